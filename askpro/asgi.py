"""For ASGI servers: Django, and beside it the MCP endpoint (settings.MCP_ASGI_APP). Production
runs askpro.wsgi (mcp_api.bridge has the measurements); this is for those who must run ASGI.
Django refuses the lifespan scope, so lifespan goes to the MCP app, whose lifespan runs its
session manager. Under ASGI, set DB_CONN_MAX_AGE=0: Django's persistent connections are per
thread."""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application
from django.utils.module_loading import import_string

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "askpro.settings")
django_application = get_asgi_application()
beside_django = import_string(settings.MCP_ASGI_APP)()


async def application(scope, receive, send):
    if scope["type"] == "lifespan" or beside_django.handles(scope.get("path", "")):
        await beside_django(scope, receive, send)
    else:
        await django_application(scope, receive, send)
