"""Does every live function answer within its Retell tool timeout when Cal.com hangs or
throttles? Each function is called as Retell calls it (signed, in-process test client) against
the local sandbox: "hanging" answers every request after --hang-s seconds (longer than any tool
timeout), "throttled" allows one request a minute per key (then 429 with when to come back).
Prints each function's answer time beside its tool timeout.

    .venv/bin/python bench/live_deadlines.py
"""

import argparse
import json
import time

from harness import django_setup

django_setup(ALLOWED_HOSTS="testserver")

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from companies.demo import next_weekday  # noqa: E402
from companies.models import Branch, Company, PhoneNumber  # noqa: E402
from core import clock  # noqa: E402
from integrations.cache import clear_cached_data  # noqa: E402
from integrations.retell.signature import sign  # noqa: E402
from sandbox.server import start_sandbox  # noqa: E402
from telephony.retell.tools import FUNCTIONS  # noqa: E402

KEY, LINE, CALLER = "key_bench_retell", "+493083793302", "+4915112345678"
CALLED = ("check_availability", "find_alternatives", "book_appointment")


def prepare(base_url: str, slug: str) -> Company:
    call_command("migrate", verbosity=0)
    company, _ = Company.objects.get_or_create(slug=slug, defaults={"name": slug})
    company.retell_api_key, company.calcom_api_key, company.calcom_base_url = KEY, f"cal_{slug}", base_url
    company.save()
    branch, _ = Branch.objects.get_or_create(
        company=company, name="Bench", defaults={"calcom_event_type_id": 1001}
    )
    PhoneNumber.objects.update_or_create(number=LINE, defaults={"company": company, "branch": branch})
    return company


def timed(client: Client, company: Company, name: str, args: dict) -> tuple[float, str]:
    payload = {
        "name": name,
        "args": args,
        "call": {
            "call_id": f"bench_{time.time_ns()}",
            "direction": "inbound",
            "from_number": CALLER,
            "to_number": LINE,
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
    elapsed = time.perf_counter() - started
    return elapsed, response.json().get("message", "")[:70]


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
        run(f"hanging ({args.hang_s:.0f} s per request)", prepare(sandbox.base_url, "bench-hang"), client)
    with start_sandbox(rate_limit=1) as sandbox:
        company = prepare(sandbox.base_url, "bench-throttle")
        timed(client, company, "check_availability", {"date": next_weekday().isoformat()})  # the minute's one
        run("throttled (1 request a minute)", company, client)


if __name__ == "__main__":
    main()
