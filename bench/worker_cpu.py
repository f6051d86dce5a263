"""What one booking event costs the worker, in process: CPU milliseconds, SQL statements and
Python function calls per event.

The same events as bench/worker_throughput.py (Retell's `call_analyzed` with a confirmed wish,
each its own free slot; the Cal.com stand-in in its own process, answering at once), processed
one after another by the task function in this process, without django-q2 and without threads.
CPU time on a shared machine moves by a fifth between runs of the same code; the counts do not:
statements and function calls per event are the figures to compare revisions by, and CPU time
tells what they cost on this machine at this moment.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/askpro_bench_worker \\
    REDIS_URL=redis://127.0.0.1:6379/10 \\
        .venv/bin/python bench/worker_cpu.py --events 500
"""

import argparse
import cProfile
import pstats
import time
from datetime import timedelta

import worker_throughput as bench  # sets Django up (bench/harness.py)
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import clock
from telephony.models import WebhookEvent
from telephony.tasks import process_webhook_event


def stored_events(count: int, base_url: str) -> list[int]:
    lines = bench.prepare(base_url)
    bodies = bench.event_bodies(count, lines, clock.now().date() + timedelta(days=2))
    return [
        WebhookEvent.objects.create(company=company, event="call_analyzed", call_id=call_id, body=body).pk
        for company, call_id, body in bodies
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500, help="events timed")
    parser.add_argument("--counted", type=int, default=100, help="events whose calls are counted")
    parser.add_argument("--warm", type=int, default=50, help="events processed before measuring")
    args = parser.parse_args()
    calendar, base_url = bench.start_calendar(0)
    try:
        ids = stored_events(args.warm + args.events + args.counted + 1, base_url)
        warm, timed = ids[: args.warm], ids[args.warm : args.warm + args.events]
        counted, shown = ids[args.warm + args.events : -1], ids[-1]
        for event_id in warm:  # imports, connections, HTTP session, caches
            process_webhook_event(event_id)
        started = time.process_time()
        for event_id in timed:
            process_webhook_event(event_id)
        cpu_ms = (time.process_time() - started) * 1000 / len(timed)
        profile = cProfile.Profile()
        profile.enable()
        for event_id in counted:
            process_webhook_event(event_id)
        profile.disable()
        calls = pstats.Stats(profile).total_calls / len(counted)
        with CaptureQueriesContext(connection) as captured:
            process_webhook_event(shown)
    finally:
        bench.stop([calendar])
    statements = captured.captured_queries
    print(f"events={len(timed)} (calls counted over {len(counted)})")
    print(f"machine reference: {bench.machine_reference_ms():.0f} ms (bench/harness.py)")
    print(f"CPU {cpu_ms:.2f} ms per event; {calls:,.0f} Python function calls per event")
    transactions = sum(query["sql"].startswith("BEGIN") for query in statements)
    print(f"{len(statements)} SQL statements per event, in {transactions} transactions and autocommit")


if __name__ == "__main__":
    main()
