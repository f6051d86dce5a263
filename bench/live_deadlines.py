"""Does every live function answer within its Retell tool timeout when Cal.com hangs or
throttles? Each function is called as Retell calls it (signed, in-process test client) against
the local sandbox: "hanging" answers every request after --hang-s seconds (longer than any tool
timeout), "throttled" allows one request a minute per key (then 429 with when to come back).
Prints each function's answer time beside its tool timeout.

    .venv/bin/python bench/live_deadlines.py
"""

import argparse
import time

from harness import bench_company, django_setup, live_call, signed_post

django_setup(ALLOWED_HOSTS="testserver")

from django.test import Client  # noqa: E402

from companies.demo import next_weekday  # noqa: E402
from companies.models import Company  # noqa: E402
from integrations.cache import clear_cached_data  # noqa: E402
from sandbox.server import start_sandbox  # noqa: E402
from telephony.retell.tools import FUNCTIONS  # noqa: E402

LINE, CALLER = "+493083793302", "+4915112345678"
CALLED = ("check_availability", "find_alternatives", "book_appointment")


def timed(client: Client, company: Company, name: str, args: dict) -> tuple[float, str]:
    call = live_call(CALLER, LINE, f"bench_{time.time_ns()}")
    started = time.perf_counter()
    response = signed_post(
        client, f"/api/retell/functions/{company.webhook_key}", {"name": name, "args": args, "call": call}
    )
    return time.perf_counter() - started, response.json().get("message", "")[:70]


def run(label: str, company: Company, client: Client) -> None:
    day = next_weekday().isoformat()
    args = {"date": day, "time": "10:00", "name": "Bench Caller"}
    print(f"-- Cal.com {label}")
    for name in CALLED:
        clear_cached_data()
        elapsed, said = timed(client, company, name, args)
        limit = FUNCTIONS[name]["timeout_ms"] / 1000
        verdict = "within" if elapsed < limit else "OVER"
        print(
            f"{name:20s} answered in {elapsed:5.2f} s, tool timeout {limit:4.1f} s: {verdict}  said: {said}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hang-s", type=float, default=40.0)
    args = parser.parse_args()
    client = Client()
    with start_sandbox(rate_limit=0, latency_ms=int(args.hang_s * 1000)) as sandbox:
        run(
            f"hanging ({args.hang_s:.0f} s per request)",
            bench_company(sandbox.base_url, "bench-hang", LINE),
            client,
        )
    with start_sandbox(rate_limit=1) as sandbox:
        company = bench_company(sandbox.base_url, "bench-throttle", LINE)
        timed(client, company, "check_availability", {"date": next_weekday().isoformat()})  # the minute's one
        run("throttled (1 request a minute)", company, client)


if __name__ == "__main__":
    main()
