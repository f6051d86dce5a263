"""The MCP app (ASGI, the SDK's) served beside Django: by our WSGI server (production), or by
an ASGI server. askpro.wsgi and askpro.asgi find these by name in settings, as Django finds
its URLconf, so the entry points stay below the apps they serve.

Why not serve everything over ASGI: measured on this service (docs/benchmarks.md), Django
under uvicorn answered Retell's webhooks at 2-4x the p99 of gunicorn's sync workers, and
Django's persistent database connections must be given up under ASGI. So gunicorn keeps
serving Django as before, and requests for /mcp are handed to the MCP app running on an
event loop of its own in each worker process (a2wsgi carries each request across). The MCP
app is stateless (no sessions between requests), so any worker answers any request.
"""

import asyncio
import concurrent.futures
import threading

from a2wsgi import ASGIMiddleware

from mcp_api.paths import is_mcp_path

_STARTUP_SECONDS = 30


class McpOverWsgi:
    """A WSGI app for the MCP paths. Its loop starts on the first request, in the process that
    serves it (never before gunicorn forks its workers)."""

    handles = staticmethod(is_mcp_path)

    def __init__(self) -> None:
        self._app: ASGIMiddleware | None = None
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        return self._running()(environ, start_response)

    def _running(self) -> ASGIMiddleware:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = _start()
        return self._app


class McpOverAsgi:
    """The MCP app for an ASGI server; give it the lifespan too (it runs the session manager)."""

    handles = staticmethod(is_mcp_path)

    def __init__(self) -> None:
        from mcp_api.server import mcp_http_app

        self._app = mcp_http_app()

    async def __call__(self, scope, receive, send) -> None:
        await self._app(scope, receive, send)


def _start() -> ASGIMiddleware:
    from mcp_api.server import mcp_http_app, server  # the SDK, loaded by the first MCP request

    app = mcp_http_app()
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="mcp-loop", daemon=True).start()
    ready: concurrent.futures.Future = concurrent.futures.Future()
    asyncio.run_coroutine_threadsafe(_keep_running(server.session_manager, ready), loop)
    ready.result(timeout=_STARTUP_SECONDS)  # a manager that cannot start fails the request loudly
    return ASGIMiddleware(app, loop=loop)


async def _keep_running(manager, ready: concurrent.futures.Future) -> None:
    """What the app's lifespan would do under an ASGI server: run the session manager for
    as long as the process lives."""
    try:
        async with manager.run():
            ready.set_result(None)
            await asyncio.Event().wait()
    except BaseException as exc:
        if not ready.done():
            ready.set_exception(exc)
        raise
