"""The embedded defaults under a real multi-process server: gunicorn with two workers and the
task worker on one SQLite file, as `README` tells a small installation to run.

Before SQLite was configured for it (WAL, busy timeout, IMMEDIATE transactions), three webhooks
at once met "database is locked"; and with each process counting in its own local-memory cache,
700 of 700 requests passed a limit of 600 a minute. Here every accepted webhook is stored and
processed, and the limit holds across both workers.

These processes live in real time, not in the suite's pinned time: signatures are made with the
real clock (time-machine's escape hatch).
"""

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import time_machine

from tests.processes import free_port, wait_until_up
from tests.retell_fakes import OMIT, sign, webhook_payload

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"roomy": "key_test_roomy_0123456789abcdef", "tight": "key_test_tight_0123456789abcdef"}
TIGHT_LIMIT = 20
SETUP = """
from companies.models import Branch, Company, PhoneNumber
for slug, key, limit, number in (
    ("roomy", "{roomy}", 100000, "+493011111111"),
    ("tight", "{tight}", {limit}, "+493022222222"),
):
    company = Company.objects.create(name=slug, slug=slug, retell_api_key=key, retell_rate_limit=limit,
                                     webhook_key="hook-" + slug)
    branch = Branch.objects.create(company=company, name="Mitte")
    PhoneNumber.objects.create(company=company, branch=branch, number=number)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn -w 2 and one qcluster on a fresh SQLite file; stopped after the module."""
    database = tmp_path_factory.mktemp("sqlite") / "askpro.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "ASKPRO_TEST_NOW"}},
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "multi-process-test",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_CMD_ARGS": "--log-level warning",
        "Q_WORKERS": "1",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    script = SETUP.replace("{roomy}", KEYS["roomy"]).replace("{tight}", KEYS["tight"])
    subprocess.run([*manage, "shell", "-c", script.replace("{limit}", str(TIGHT_LIMIT))], env=env, check=True)
    port = free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "askpro.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
    )
    worker = subprocess.Popen([*manage, "qcluster"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", web)
        yield {"url": f"http://127.0.0.1:{port}", "env": env, "manage": manage}
    finally:
        for process in (web, worker):
            process.terminate()
        for process in (web, worker):
            process.wait(timeout=20)


def _post(server, slug: str, call_id: str, event: str = "call_started") -> int:
    # No booking wish: Cal.com is not part of this test (nor reachable from these processes).
    payload = webhook_payload(
        event, call_id=call_id, collected_dynamic_variables=OMIT, retell_llm_dynamic_variables=OMIT
    )
    body = json.dumps(payload).encode()
    real_ms = int(time_machine.escape_hatch.time.time() * 1000)
    headers = {"Content-Type": "application/json", "x-retell-signature": sign(body, KEYS[slug], real_ms)}
    response = requests.post(
        f"{server['url']}/api/retell/webhook/hook-{slug}", data=body, headers=headers, timeout=30
    )
    return response.status_code


def _in_parallel(calls, threads: int = 12) -> list[int]:
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda args: _post(*args), calls))


COUNT = "from telephony.models import {model} as M; print(M.objects.filter(company__slug='{slug}').count())"
STATUSES = (
    "from collections import Counter; from telephony.models import WebhookEvent as W; "
    "print(sorted(Counter(W.objects.filter(company__slug='{slug}')"
    ".values_list('status', flat=True)).items()))"
)


def _query(server, code: str) -> str:
    done = subprocess.run(
        [*server["manage"], "shell", "--no-imports", "-c", code],
        env=server["env"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_concurrent_webhooks_are_all_stored_and_processed_beside_the_worker(server):
    calls = [
        (server, "roomy", f"call_{i:03d}", event)
        for i in range(40)
        for event in ("call_started", "call_ended")
    ]
    codes = _in_parallel(calls)
    assert codes == [204] * 80  # no 500, no "database is locked"
    deadline = time.monotonic() + 60
    statuses = ""
    while time.monotonic() < deadline:
        statuses = _query(server, STATUSES.format(slug="roomy"))
        if statuses == "[('processed', 80)]":
            break
        time.sleep(0.5)
    assert statuses == "[('processed', 80)]"
    assert _query(server, COUNT.format(model="Call", slug="roomy")) == "40"


def test_the_rate_limit_holds_across_both_workers(server):
    codes = _in_parallel([(server, "tight", f"burst_{i:03d}") for i in range(2 * TIGHT_LIMIT)])
    assert sorted(codes) == [204] * TIGHT_LIMIT + [429] * TIGHT_LIMIT
    assert _query(server, COUNT.format(model="WebhookEvent", slug="tight")) == str(TIGHT_LIMIT)
