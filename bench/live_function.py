"""Our own time answering a live-call function: availability on a cache hit and a miss, and a
booking.

Budget (DESIGN.md): p95 under 50 ms of our own time on a cache hit; a miss adds one Cal.com
round trip and nothing else; a live booking runs at most 15 SQL statements. Cal.com is the local
sandbox on 127.0.0.1, so a miss or a booking shows our overhead plus one loopback round trip.
Every request is a new call id (no answer cache), and the availability cache is warm after the
first call of each run, except in the "miss" run where it is cleared before each request. Each
booking takes the next free half hour of the sandbox's working days (a fresh sandbox each run).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/askpro_bench REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python bench/live_function.py --requests 300
"""

import argparse
import json
import os
import statistics
import time
from datetime import timedelta

from harness import django_setup

django_setup(ALLOWED_HOSTS="testserver")  # Django's test client, in this process

import django  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from companies.demo import next_weekday  # noqa: E402
from companies.models import Branch, Company, PhoneNumber  # noqa: E402
from core import clock  # noqa: E402
from integrations.cache import clear_cached_data  # noqa: E402
from integrations.retell.signature import sign  # noqa: E402
from sandbox.server import start_sandbox  # noqa: E402

KEY = "key_bench_retell"


def prepare(base_url: str) -> Company:
    call_command("migrate", verbosity=0)
    company, _ = Company.objects.get_or_create(slug="bench-live", defaults={"name": "Bench Live"})
    company.retell_api_key, company.calcom_api_key, company.calcom_base_url = KEY, "cal_bench", base_url
    company.save()
    branch, _ = Branch.objects.get_or_create(
        company=company, name="Bench", defaults={"calcom_event_type_id": 1001}
    )
    PhoneNumber.objects.update_or_create(
        number="+493083793300", defaults={"company": company, "branch": branch}
    )
    return company


def function_call(client: Client, company: Company, name: str, args: dict) -> float:
    """One signed function call; its time in ms (it must succeed)."""
    payload = {
        "name": name,
        "args": args,
        "call": {
            "call_id": f"bench_{time.time_ns()}",
            "direction": "inbound",
            "from_number": "+4915112345678",
            "to_number": "+493083793300",
        },
    }
    body = json.dumps(payload).encode()
    started = time.perf_counter()
    response = client.post(
        f"/api/retell/functions/{company.webhook_key}",
        body,
        content_type="application/json",
        HTTP_X_RETELL_SIGNATURE=sign(body, KEY, clock.now_ms()),
    )
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200 and response.json()["success"], response.content
    return elapsed


def timed_calls(client: Client, company: Company, count: int, *, clear_each: bool) -> list[float]:
    day = next_weekday()
    samples = []
    for _ in range(count):
        if clear_each:
            clear_cached_data()
        samples.append(function_call(client, company, "check_availability", {"date": day.isoformat()}))
    return samples


def free_half_hours():
    """(day, "HH:MM") through the sandbox's working days, 09:00 to 16:30."""
    day = next_weekday()
    while True:
        if day.weekday() < 5:
            for minutes in range(9 * 60, 17 * 60, 30):
                yield day, f"{minutes // 60:02d}:{minutes % 60:02d}"
        day += timedelta(days=1)


def timed_bookings(client: Client, company: Company, count: int) -> tuple[list[float], int]:
    """Book `count` free half hours; the times, and the SQL statements of one more booking."""
    slots = free_half_hours()
    samples = [
        function_call(client, company, "book_appointment", _booking_args(*next(slots))) for _ in range(count)
    ]
    with CaptureQueriesContext(connection) as captured:
        function_call(client, company, "book_appointment", _booking_args(*next(slots)))
    return samples, len(captured.captured_queries)


def _booking_args(day, hhmm: str) -> dict:
    return {"date": day.isoformat(), "time": hhmm, "name": "Bench Caller"}


def report(label: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    print(
        f"{label}: n={len(ordered)} p50={statistics.median(ordered):.1f} ms "
        f"p95={ordered[int(len(ordered) * 0.95) - 1]:.1f} ms max={ordered[-1]:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--bookings", type=int, default=100)
    args = parser.parse_args()
    with start_sandbox(rate_limit=0) as sandbox:
        company = prepare(sandbox.base_url)
        client = Client()
        clear_cached_data()
        timed_calls(client, company, 5, clear_each=False)  # warm imports, connections, cache
        print(f"database={django.db.connection.vendor} redis={bool(os.environ.get('REDIS_URL'))}")
        report("cache hit ", timed_calls(client, company, args.requests, clear_each=False))
        report("cache miss", timed_calls(client, company, max(50, args.requests // 3), clear_each=True))
        bookings, statements = timed_bookings(client, company, args.bookings)
        report("booking   ", bookings)
        print(f"booking: {statements} SQL statements")


if __name__ == "__main__":
    main()
