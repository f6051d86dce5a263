"""In-call bookings while Cal.com fails: how many callers hear "booked" in the call, and does any
slot get booked twice? Each booking is a live book_appointment (signed, in-process test client)
for its own free half hour, against the local sandbox with --reset-rate of creates that book but
never answer (the request times out) and --error-rate of 500s on every request. The sandbox's
ledger is the truth for "booked twice".

    .venv/bin/python bench/live_booking_faults.py --bookings 20
"""

import argparse
import time
from collections import Counter
from datetime import timedelta

from harness import bench_company, django_setup, live_call, signed_post

django_setup(ALLOWED_HOSTS="testserver")

from django.test import Client  # noqa: E402

from companies.demo import next_weekday  # noqa: E402
from companies.models import Company  # noqa: E402
from sandbox.server import start_sandbox  # noqa: E402

LINE = "+493083793303"


def half_hours():
    day = next_weekday()
    while True:
        if day.weekday() < 5:
            for minutes in range(9 * 60, 17 * 60, 30):
                yield day, f"{minutes // 60:02d}:{minutes % 60:02d}"
        day += timedelta(days=1)


def book(client: Client, company: Company, day, hhmm: str, index: int) -> tuple[bool, float]:
    args = {"date": day.isoformat(), "time": hhmm, "name": f"Caller {index}"}
    call = live_call(f"+4915100{index:06d}", LINE, f"bench_faults_{time.time_ns()}")
    started = time.perf_counter()
    response = signed_post(
        client,
        f"/api/retell/functions/{company.webhook_key}",
        {"name": "book_appointment", "args": args, "call": call},
    )
    return response.json()["success"] is True, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=20)
    parser.add_argument("--reset-rate", type=float, default=0.3)
    parser.add_argument("--error-rate", type=float, default=0.15)
    parser.add_argument("--seed", default="7")
    args = parser.parse_args()
    with start_sandbox(
        rate_limit=0,
        seed=args.seed,
        error_rate=args.error_rate,
        create_then_timeout_rate=args.reset_rate,
        hang_seconds=15.0,
    ) as sandbox:
        company, client, slots = bench_company(sandbox.base_url, "bench-faults", LINE), Client(), half_hours()
        outcomes = [book(client, company, *next(slots), index) for index in range(args.bookings)]
        ledger = [b for b in sandbox.bookings.all() if b.get("status") != "cancelled"]
    twice = sum(n - 1 for n in Counter(b["start"] for b in ledger).values() if n > 1)
    confirmed = sum(ok for ok, _ in outcomes)
    slowest = max(seconds for _, seconds in outcomes)
    print(f"{args.reset_rate:.0%} create-then-timeout, {args.error_rate:.0%} 500s, seed {args.seed}")
    print(f"confirmed in the call: {confirmed}/{args.bookings}; slots booked twice: {twice}")
    print(f"slowest answer {slowest:.1f} s")


if __name__ == "__main__":
    main()
