"""Webhook acknowledgement under load: p50/p95/p99 latency and lost events.

Budget (DESIGN.md): p99 under 50 ms at 200 requests/s on 2 cores with PostgreSQL + Redis, zero lost
events. Starts gunicorn on 127.0.0.1 against a dedicated PostgreSQL database, sends signed
`call_ended` deliveries (each a new call, so each must be stored) at a fixed rate for a bounded
time, then counts the stored rows. Traffic goes to loopback only.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/askpro_bench REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python bench/webhook_ack.py --rate 200 --seconds 20
"""

import argparse
import faulthandler
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from harness import ROOT, django_setup, start_gunicorn

django_setup()

import django  # noqa: E402
from django.core.management import call_command  # noqa: E402

from companies.models import Company  # noqa: E402
from core import clock  # noqa: E402
from integrations.retell.signature import sign  # noqa: E402
from telephony.models import WebhookEvent  # noqa: E402
from telephony.simulation import demo_call_events  # noqa: E402

KEY = "key_bench_retell"


def prepare() -> Company:
    call_command("migrate", verbosity=0)
    company, _ = Company.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    company.retell_api_key = KEY
    company.save()
    WebhookEvent.objects.filter(company=company).delete()
    return company


# How to serve the app: askpro.wsgi on gunicorn's sync workers (production: Django, and /mcp
# through mcp_api.bridge) or askpro.asgi on uvicorn workers, the alternative measured against it.
SERVERS = {
    "asgi": ["askpro.asgi:application", "-k", "uvicorn_worker.UvicornWorker"],
    "wsgi": ["askpro.wsgi"],
}


def start_server(port: int, workers: int, server_kind: str = "wsgi") -> subprocess.Popen:
    return start_gunicorn(port, workers, SERVERS[server_kind], env={"Q_SYNC": "false"})


def bodies(count: int) -> list[bytes]:
    template = demo_call_events(
        to_number="+493083793369",
        day=__import__("datetime").date(2027, 1, 5),
        at="11:00",
        name="Bench",
        email="bench@example.com",
    )[1]
    out = []
    for i in range(count):
        payload = json.loads(json.dumps(template))
        payload["call"]["call_id"] = f"call_bench_{i:07d}"
        out.append(json.dumps(payload, ensure_ascii=False).encode())
    return out


def fire(url: str, payloads: list[bytes], rate: int) -> tuple[list[float], int]:
    latencies, errors, lock = [], [0], threading.Lock()
    session_local = threading.local()

    def send(body: bytes) -> None:
        session = getattr(session_local, "s", None) or requests.Session()
        session_local.s = session
        headers = {
            "Content-Type": "application/json",
            "x-retell-signature": sign(body, KEY, clock.now_ms()),
        }
        started = time.perf_counter()
        response = session.post(url, data=body, headers=headers, timeout=10)
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            errors[0] += response.status_code != 204

    with ThreadPoolExecutor(max_workers=32) as pool:
        start = time.perf_counter()
        for i, body in enumerate(payloads):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(send, body)
    return latencies, errors[0]


def fire_wrk(url: str, payloads: list[bytes], rate: int, seconds: int) -> str:
    """Drive the same load with wrk (C, one thread): the client no longer competes for our cores
    as much as 32 Python threads do. Returns wrk's latency report."""
    connections = max(4, rate // 15)
    lines = Path(tempfile.mkstemp(prefix="askpro-bench-", suffix=".tsv")[1])
    now_ms = clock.now_ms()
    lines.write_text("".join(f"{sign(b, KEY, now_ms)}\t{b.decode()}\n" for b in payloads))
    # Each connection waits, then sends: the pause leaves room for ~10 ms of our own answer time.
    env = {**os.environ, "WRK_DELAY_MS": str(max(1, int(connections * 1000 / rate) - 10))}
    result = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(ROOT / "bench" / "webhook_ack.lua"),
            url,
            "--",
            str(lines),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=seconds + 60,
        check=True,
    )
    return result.stdout


def rss_mb(parent: int) -> list[float]:
    """Resident memory of gunicorn's master and its workers, in MB."""
    pids = [parent] + [int(p) for p in Path(f"/proc/{parent}/task/{parent}/children").read_text().split()]
    return [int(Path(f"/proc/{pid}/status").read_text().split("VmRSS:")[1].split()[0]) / 1024 for pid in pids]


def main() -> None:
    faulthandler.dump_traceback_later(int(os.environ.get("BENCH_WATCHDOG", "600")), exit=True)
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8199)
    parser.add_argument("--generator", choices=["python", "wrk"], default="python")
    parser.add_argument("--server", choices=sorted(SERVERS), default="wsgi")
    args = parser.parse_args()
    company = prepare()
    url = f"http://127.0.0.1:{args.port}/api/retell/webhook/{company.webhook_key}"
    payloads = bodies(args.rate * args.seconds * (2 if args.generator == "wrk" else 1))
    server = start_server(args.port, args.workers, args.server)
    try:
        if args.generator == "wrk":
            print(fire_wrk(url, payloads, args.rate, args.seconds))
        else:
            latencies, errors = fire(url, payloads, args.rate)
        print("gunicorn RSS after the run (MB):", ", ".join(f"{mb:.0f}" for mb in rss_mb(server.pid)))
    finally:
        server.terminate()
        server.wait(timeout=10)
    if args.generator == "wrk":
        stored = WebhookEvent.objects.filter(company=company).count()
        print(f"stored={stored}: every request wrk counted above must be stored (none lost)")
        return
    stored = WebhookEvent.objects.filter(company=company).count()
    ms = sorted(x * 1000 for x in latencies)
    print(
        f"database={django.db.connection.vendor} redis={bool(os.environ.get('REDIS_URL'))} "
        f"rate={args.rate}/s seconds={args.seconds} server={args.server} gunicorn_workers={args.workers}"
    )
    print(f"sent={len(payloads)} non_204={errors} stored={stored} lost={len(payloads) - stored}")
    print(
        f"latency_ms p50={statistics.median(ms):.1f} p95={ms[int(len(ms) * 0.95) - 1]:.1f} "
        f"p99={ms[int(len(ms) * 0.99) - 1]:.1f} max={ms[-1]:.1f}"
    )


if __name__ == "__main__":
    main()
