"""The caller's first question for a time: answered from the cache, or a Cal.com round trip?

Each simulated call sends Retell's inbound webhook (call_inbound), then, after the agent's
greeting (--greeting-ms), the caller's first check_availability. With the prefetch, the task the
inbound webhook queues runs meanwhile (here in a thread, as a worker would); without it (the
state before the prefetch existed) nothing does. Cal.com is the local sandbox at --latency-ms
(300 ms by default). Both modes run in one process, calls alternating, the cache cleared before
each call, so the machine's noise falls on both alike.

    .venv/bin/python bench/first_answer.py --calls 40
"""

import argparse
import statistics
import threading
import time

from harness import bench_company, django_setup, signed_post

django_setup(ALLOWED_HOSTS="testserver")  # Django's test client, in this process

from django.test import Client  # noqa: E402

from askpro import metrics  # noqa: E402
from booking.tasks import prefetch_availability  # noqa: E402
from companies.demo import next_weekday  # noqa: E402
from companies.models import Branch, Company  # noqa: E402
from integrations.cache import clear_cached_data  # noqa: E402
from sandbox.server import start_sandbox  # noqa: E402

LINE, CALLER = "+493083793301", "+4915112345678"


def signed(client: Client, path: str, payload: dict) -> dict:
    response = signed_post(client, path, payload)
    assert response.status_code == 200, response.content
    return response.json()


def hits() -> float:
    return metrics.cache_hits_total.labels("availability")._value.get()


def one_call(client: Client, company: Company, branch: Branch, *, prefetch: bool, greeting_s: float):
    """(was the first question a cache hit, its time in ms)."""
    clear_cached_data()
    inbound = {"event": "call_inbound", "call_inbound": {"from_number": CALLER, "to_number": LINE}}
    signed(client, f"/api/retell/inbound/{company.webhook_key}", inbound)
    worker = (
        threading.Thread(target=prefetch_availability, args=(company.pk, branch.pk)) if prefetch else None
    )
    if worker:
        worker.start()
    time.sleep(greeting_s)
    before = hits()
    question = {
        "name": "check_availability",
        "args": {"date": next_weekday().isoformat()},
        "call": {
            "call_id": f"bench_{time.time_ns()}",
            "direction": "inbound",
            "from_number": CALLER,
            "to_number": LINE,
        },
    }
    started = time.perf_counter()
    signed(client, f"/api/retell/functions/{company.webhook_key}", question)
    elapsed = (time.perf_counter() - started) * 1000
    if worker:
        worker.join()
    return hits() > before, elapsed


def report(label: str, results: list[tuple[bool, float]]) -> None:
    times = sorted(ms for _, ms in results)
    rate = sum(hit for hit, _ in results) / len(results)
    print(
        f"{label}: first-question cache hit rate {rate:.0%}  p50={statistics.median(times):.0f} ms "
        f"p95={times[max(0, int(len(times) * 0.95) - 1)]:.0f} ms  (n={len(times)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=40, help="calls per mode")
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--greeting-ms", type=int, default=1500, help="inbound answer to first question")
    args = parser.parse_args()
    with start_sandbox(rate_limit=0, latency_ms=args.latency_ms) as sandbox:
        company = bench_company(sandbox.base_url, "bench-first", LINE)
        branch = company.branches.get()
        client = Client()
        one_call(client, company, branch, prefetch=True, greeting_s=0.1)  # warm imports, connections
        results = {True: [], False: []}
        for index in range(args.calls * 2):
            prefetch = index % 2 == 0
            results[prefetch].append(
                one_call(client, company, branch, prefetch=prefetch, greeting_s=args.greeting_ms / 1000)
            )
        print(f"Cal.com latency {args.latency_ms} ms, greeting {args.greeting_ms} ms")
        report("without prefetch (before)", results[False])
        report("with prefetch (after)    ", results[True])


if __name__ == "__main__":
    main()
