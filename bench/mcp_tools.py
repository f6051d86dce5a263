"""An agent's wait for each MCP tool: p50/p95 over real HTTP, as production serves it.

Starts gunicorn (askpro.wsgi: Django and /mcp through mcp_api.bridge) on 127.0.0.1 against a
dedicated database, with the Cal.com sandbox in this process, and drives /mcp with the official
SDK client (protocol 2026-07-28, one request per call, as a stateless agent sends them). The
availability cache is warm after the first look; each booking takes the next free slot, so
every one reaches the sandbox. Traffic goes to loopback only.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/askpro_bench REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python bench/mcp_tools.py --calls 100
"""

import argparse
import asyncio
import os
import statistics
import time
from datetime import date, timedelta

from harness import django_setup, start_gunicorn

django_setup()

import django  # noqa: E402
import httpx2  # noqa: E402
from django.core.management import call_command  # noqa: E402
from mcp import Client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402

from companies.models import Branch, Company  # noqa: E402
from mcp_api.tokens import mcp_token_create  # noqa: E402
from sandbox.server import start_sandbox  # noqa: E402


def prepare(base_url: str) -> tuple[Company, Branch, str]:
    call_command("migrate", verbosity=0)
    company, _ = Company.objects.get_or_create(slug="bench-mcp", defaults={"name": "Bench MCP"})
    company.calcom_api_key, company.calcom_base_url = "cal_bench", base_url
    company.save()
    branch, _ = Branch.objects.get_or_create(
        company=company, name="Bench", defaults={"calcom_event_type_id": 1001}
    )
    return company, branch, mcp_token_create(company=company, name="bench")[1]


async def measure(url: str, token: str, branch: Branch, calls: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    async with Client(streamable_http_client(url, http_client=http)) as client:

        async def timed(tool: str, arguments: dict) -> dict:
            started = time.perf_counter()
            result = await client.call_tool(tool, arguments)
            times.setdefault(tool, []).append((time.perf_counter() - started) * 1000)
            assert not result.is_error, result.content[0].text
            return result.structured_content

        free = await timed("check_availability", {"branch_id": branch.pk})
        days = [free["date_from"], free["date_to"]]
        for _ in range(calls):
            await timed("list_branches", {})
            await timed(
                "check_availability", {"branch_id": branch.pk, "date_from": days[0], "date_to": days[1]}
            )
            await timed("find_appointments", {"phone": "+4915112345678"})
        slots = await _free_starts(timed, branch, calls)
        for n, start in enumerate(slots):
            await timed(
                "book_appointment",
                {
                    "branch_id": branch.pk,
                    "start": start,
                    "name": "Bench Caller",
                    "phone": "+4915112345678",
                    "idempotency_key": f"bench-{time.time_ns()}-{n}",
                },
            )
    return times


async def _free_starts(timed, branch: Branch, wanted: int) -> list[str]:
    """Enough free starts (in UTC) for `wanted` bookings, from the sandbox's coming weeks."""
    starts: list[str] = []
    first = None
    while len(starts) < wanted:
        arguments = {"branch_id": branch.pk, **({"date_from": first} if first else {})}
        page = await timed("check_availability", arguments)
        starts += [slot["start"]["utc"] for slot in page["slots"]]
        first = _day_after(page["date_to"])
    return starts[:wanted]


def _day_after(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8198)
    args = parser.parse_args()
    with start_sandbox(seed=3) as sandbox:
        _company, branch, token = prepare(sandbox.base_url)
        server = start_gunicorn(args.port, args.workers, ["askpro.wsgi"])
        try:
            times = asyncio.run(measure(f"http://127.0.0.1:{args.port}/mcp", token, branch, args.calls))
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(
        f"database={django.db.connection.vendor} redis={bool(os.environ.get('REDIS_URL'))} "
        f"gunicorn_workers={args.workers} calls={args.calls}"
    )
    for tool, ms in times.items():
        ms = sorted(ms)
        print(
            f"{tool:20s} n={len(ms):4d} p50={statistics.median(ms):6.1f} ms "
            f"p95={ms[max(0, int(len(ms) * 0.95) - 1)]:6.1f} ms max={ms[-1]:6.1f} ms"
        )


if __name__ == "__main__":
    main()
