"""Does the availability cache stay warm while several callers book at one branch?

Callers ring in groups of --on-line at one branch (the sandbox's event type 1001, one host):
their calls come in together, so the inbound webhook's prefetch warms the next working days
(booking.tasks.prefetch_availability, run here as a worker would), then one after another each
asks `check_availability` for one of the next --days working days (drawn with --seed) and books
the first time offered. Reported: how many questions the cache answered, and how many went to
Cal.com instead (each a `GET /v2/slots`, spending the key's 120 a minute). A booking should
forget only the days around its own, so a caller asking about another day is still a hit.

Runs in process (Django's test client, the sandbox on 127.0.0.1, no rate limit). Before and
after: copy this file into a worktree of the older revision and run it there too.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/askpro_bench_hits \\
    REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python bench/availability_hits.py --calls 60
"""

import argparse
import random
import time
from datetime import timedelta

from harness import bench_company, django_setup, signed_post

django_setup(ALLOWED_HOSTS="testserver")  # Django's test client, in this process

from django.test import Client  # noqa: E402

from askpro import metrics  # noqa: E402
from booking.tasks import prefetch_availability  # noqa: E402
from companies.demo import next_weekday  # noqa: E402
from integrations.cache import clear_cached_data  # noqa: E402
from sandbox.server import start_sandbox  # noqa: E402

LINE, CALLER = "+493083793302", "+4915112345678"


def working_days(count: int) -> list:
    days, day = [], next_weekday()
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def ask(client: Client, company, name: str, args: dict, call_id: str) -> dict:
    payload = {
        "name": name,
        "args": args,
        "call": {"call_id": call_id, "direction": "inbound", "from_number": CALLER, "to_number": LINE},
    }
    response = signed_post(client, f"/api/retell/functions/{company.webhook_key}", payload)
    assert response.status_code == 200, response.content
    return response.json()


def hits() -> float:
    return metrics.cache_hits_total.labels("availability")._value.get()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--days", type=int, default=8, help="working days the callers ask about")
    parser.add_argument("--on-line", type=int, default=4, help="callers whose calls overlap")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--latency-ms", type=int, default=0)
    args = parser.parse_args()
    draw = random.Random(args.seed)
    days = working_days(args.days)
    with start_sandbox(rate_limit=0, latency_ms=args.latency_ms) as sandbox:
        company = bench_company(sandbox.base_url, "bench-hits", LINE)
        clear_cached_data()
        client, answered, booked, questions = Client(), 0, 0, 0
        branch = company.branches.get()
        for index in range(args.calls):
            if index % args.on_line == 0:  # the next group's calls ring: one prefetch warms them
                prefetch_availability(company.pk, branch.pk)
            call_id, day = f"call_hits_{time.time_ns()}", draw.choice(days)
            before = hits()
            answer = ask(client, company, "check_availability", {"date": day.isoformat()}, call_id)
            questions += 1
            answered += hits() > before
            offered = (answer.get("data") or {}).get("slots") or []
            if offered:
                first = offered[0]
                wish = {"date": day.isoformat(), "time": first["time"], "name": f"Caller {index}"}
                booked += bool(ask(client, company, "book_appointment", wish, call_id).get("success"))
        misses = questions - answered
    print(f"callers={args.calls} together={args.on_line} days={args.days} seed={args.seed} booked={booked}")
    print(
        f"questions answered from the cache: {answered}/{questions} ({answered / questions:.0%}); "
        f"questions that went to Cal.com: {misses}"
    )


if __name__ == "__main__":
    main()
