"""What the benchmarks share: Django set up the way a benchmark runs it, and gunicorn started on
loopback. Each script imports this first (`python bench/<script>.py` puts bench/ on the path)."""

import copy
import json
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


def machine_reference_ms(rounds: int = 5) -> float:
    """CPU milliseconds a fixed piece of Python work takes here, the best of `rounds`.

    The machines these benchmarks run on differ: the same revision measured 9.7-10.1 ms of
    worker CPU per event on one and 14.2 ms on another (#15). A figure is compared with another
    only in the same run; across runs, each relative to this reference."""
    slots = [
        {"start": f"2026-01-{day:02d}T{hour:02d}:00:00Z", "n": day * hour}
        for day in range(1, 29)
        for hour in range(8, 20)
    ]
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(40):
            read = json.loads(json.dumps({"slots": slots}))["slots"]
            by_day = {}
            for slot in sorted(read, key=lambda slot: (slot["n"], slot["start"])):
                by_day.setdefault(slot["start"][:10], []).append(slot["n"])
            copy.deepcopy(by_day)
        best = min(best, time.process_time() - started)
    return best * 1000


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


BENCH_RETELL_KEY = "key_bench_retell"


def bench_company(base_url: str, slug: str, line: str):
    """A company booking in the sandbox at `base_url` (event type 1001), its number `line`;
    migrates first. After django_setup()."""
    from django.core.management import call_command

    from companies.models import Branch, Company, PhoneNumber

    call_command("migrate", verbosity=0)
    company, _ = Company.objects.get_or_create(slug=slug, defaults={"name": slug})
    company.retell_api_key, company.calcom_api_key, company.calcom_base_url = (
        BENCH_RETELL_KEY,
        f"cal_{slug}",
        base_url,
    )
    company.save()
    branch, _ = Branch.objects.get_or_create(
        company=company, name="Bench", defaults={"calcom_event_type_id": 1001}
    )
    PhoneNumber.objects.update_or_create(number=line, defaults={"company": company, "branch": branch})
    return company


def signed_post(client, path: str, payload: dict):
    """POST `payload` to `path` as Retell does (signed with the bench key); the response."""
    import json

    from core import clock
    from integrations.retell.signature import sign

    body = json.dumps(payload).encode()
    return client.post(
        path,
        body,
        content_type="application/json",
        HTTP_X_RETELL_SIGNATURE=sign(body, BENCH_RETELL_KEY, clock.now_ms()),
    )


def live_call(caller: str, line: str, call_id: str) -> dict:
    return {"call_id": call_id, "direction": "inbound", "from_number": caller, "to_number": line}
