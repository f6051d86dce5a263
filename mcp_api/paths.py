"""Where the MCP endpoint lives. Kept apart from mcp_api.server so that admin, commands and the
entry points can name it without loading the MCP SDK (most processes never serve /mcp)."""

MCP_PATH = "/mcp"
# Paths the MCP app serves; everything else is Django's (askpro.wsgi, askpro.asgi).
MCP_PATHS = (MCP_PATH, "/.well-known/oauth-protected-resource")


def is_mcp_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in MCP_PATHS)
