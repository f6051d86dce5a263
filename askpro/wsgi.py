"""The production entry point (gunicorn sync workers) and `runserver`'s: Django, and the MCP
endpoint for AI agents at /mcp (mcp_api.bridge says why this is not ASGI)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "askpro.settings")
django_application = get_wsgi_application()

from mcp_api.bridge import McpOverWsgi  # noqa: E402  (needs the settings above)
from mcp_api.server import is_mcp_path  # noqa: E402

mcp_application = McpOverWsgi()


def application(environ, start_response):
    if is_mcp_path(environ.get("PATH_INFO", "")):
        return mcp_application(environ, start_response)
    return django_application(environ, start_response)
