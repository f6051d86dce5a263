"""What the benchmarks share: Django set up the way a benchmark runs it, and gunicorn started on
loopback. Each script imports this first (`python bench/<script>.py` puts bench/ on the path)."""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "askpro.settings",
    "SECRET_KEY": "bench-only",
    "LOG_LEVEL": "WARNING",
    "SECURE_SSL_REDIRECT": "false",
    "ALLOWED_HOSTS": "127.0.0.1",
    # The limiters run, as in production, with limits no run reaches.
    "RETELL_RATE_LIMIT": "1000000",
    "MCP_RATE_LIMIT": "1000000",
}


def django_setup(**overrides: str) -> None:
    """Django for this checkout, with the benchmark defaults unless the environment says otherwise."""
    sys.path.insert(0, str(ROOT))
    for key, value in {**BENCH_ENV, **overrides}.items():
        os.environ.setdefault(key, value)
    import django

    django.setup()


def start_gunicorn(port: int, workers: int, app: list[str], env: dict | None = None) -> subprocess.Popen:
    """gunicorn serving `app` (its module and worker-class arguments) once /healthz answers."""
    import requests

    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *app, "-b", f"127.0.0.1:{port}", "-w", str(workers)],
        cwd=ROOT,
        env={**os.environ, "GUNICORN_CMD_ARGS": "--log-level warning", **(env or {})},
    )
    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except requests.RequestException as exc:
            print("waiting for gunicorn:", type(exc).__name__, flush=True)
        time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")
