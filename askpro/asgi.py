"""For ASGI servers: Django and the MCP endpoint at /mcp. Production runs askpro.wsgi (see
mcp_api.bridge for the measurements); this is here for those who must run ASGI. Django
refuses the lifespan scope, so lifespan goes to the MCP app, whose lifespan runs its session
manager. Under ASGI, set DB_CONN_MAX_AGE=0: Django's persistent connections are per thread."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "askpro.settings")
django_application = get_asgi_application()

from mcp_api.server import is_mcp_path, mcp_http_app  # noqa: E402  (needs the settings above)

mcp_application = mcp_http_app()


async def application(scope, receive, send):
    if scope["type"] == "lifespan" or is_mcp_path(scope.get("path", "")):
        await mcp_application(scope, receive, send)
    else:
        await django_application(scope, receive, send)
