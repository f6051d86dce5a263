"""The production entry point (gunicorn sync workers) and `runserver`'s: Django, and beside it
the MCP endpoint for AI agents (settings.MCP_WSGI_APP; mcp_api.bridge says why not ASGI)."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.utils.module_loading import import_string

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "askpro.settings")
django_application = get_wsgi_application()
beside_django = import_string(settings.MCP_WSGI_APP)()


def application(environ, start_response):
    if beside_django.handles(environ.get("PATH_INFO", "")):
        return beside_django(environ, start_response)
    return django_application(environ, start_response)
