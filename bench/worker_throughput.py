"""The task worker's throughput on booking events: events/s, worker CPU per event, and whether a
burst is worked off within a minute.

Each event is Retell's `call_analyzed` with a confirmed booking wish (a free slot of its own),
stored in the webhook inbox and queued as the acknowledgement does; the worker records the call
and books the wish in Cal.com. Cal.com is the project's sandbox in its own process, with 40
event types (one per branch, 10 companies) open 08:00-20:00 every day and --latency-ms added to
every answer. One or more `manage.py qcluster` run from --checkout (this one by default, or a
worktree of an older revision: the before/after comparison runs the same script against both).

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/askpro_bench_worker \\
    REDIS_URL=redis://127.0.0.1:6379/10 \\
        .venv/bin/python bench/worker_throughput.py --events 2000 --latency-ms 300

`--rate 200` stores and queues the events at that rate (a burst) instead of all at once (a
backlog), and reports when the last one was worked off, counted from the first. CPU is what the
cluster's processes (the sentinel, pusher, monitor and workers) spent between the first event
and the last, read from /proc; and, for the same span, what PostgreSQL and the Cal.com stand-in
spent, which share the two cores with the worker here.
"""

import argparse
import faulthandler
import json
import os
import resource
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from datetime import time as clock_time
from pathlib import Path

from harness import BENCH_RETELL_KEY, ROOT, django_setup, machine_reference_ms

django_setup()

from django.core.management import call_command  # noqa: E402

from askpro.queues import enqueue  # noqa: E402
from companies.models import Branch, Company, PhoneNumber  # noqa: E402
from core import clock  # noqa: E402
from telephony.models import WebhookEvent, WebhookEventStatus  # noqa: E402
from telephony.simulation import demo_call_events  # noqa: E402

COMPANIES, BRANCHES_EACH = 10, 4
FIRST_EVENT_TYPE = 5001
OPEN_FROM, OPEN_UNTIL, SLOT_MINUTES = 8, 20, 30
SLOTS_A_DAY = (OPEN_UNTIL - OPEN_FROM) * 60 // SLOT_MINUTES
TASK = "telephony.tasks.process_webhook_event"


def serve_calendar(port: int, latency_ms: int) -> None:
    """The sandbox with one event type (and host) per bench branch, open every day."""
    from sandbox.schedule import EventTypeConfig, Host, SandboxCalendar
    from sandbox.server import SandboxServer

    event_types = tuple(
        EventTypeConfig(
            FIRST_EVENT_TYPE + index,
            f"beratung-{index}",
            "Beratung",
            SLOT_MINUTES,
            (Host(100 + index, f"Host {index}", f"host{index}@bench.example", f"host-{index}"),),
        )
        for index in range(COMPANIES * BRANCHES_EACH)
    )
    hours = {weekday: (clock_time(OPEN_FROM), clock_time(OPEN_UNTIL)) for weekday in range(7)}
    calendar = SandboxCalendar(event_types=event_types, working_hours=hours, booking_window_days=365)
    server = SandboxServer(port=port, calendar=calendar, rate_limit=None, latency_ms=latency_ms).start()
    signal.signal(signal.SIGTERM, lambda *_: server.stop() or sys.exit(0))
    print(f"calendar on {server.base_url}", flush=True)
    while True:
        time.sleep(3600)


def start_calendar(latency_ms: int) -> tuple[subprocess.Popen, str]:
    import requests

    port = 8700 + os.getpid() % 200
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve-calendar", str(port), "--latency-ms", str(latency_ms)]
    )
    base_url = f"http://127.0.0.1:{port}/v2"
    for _ in range(100):
        try:
            requests.get(f"{base_url}/event-types", headers={"Authorization": "Bearer cal_x"}, timeout=2)
            return process, base_url
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the calendar stand-in did not start")


def prepare(base_url: str, checkout: Path = ROOT) -> list[tuple[Company, Branch, str]]:
    """Fresh bench companies in an emptied database (it must be a bench database), migrated by
    the checkout under test (an older one lacks this one's newer indexes)."""
    from django.db import connection

    if "bench" not in connection.settings_dict["NAME"]:
        raise SystemExit("DATABASE_URL must name a database for benchmarks (its name containing 'bench')")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=checkout, check=True)
    call_command("flush", interactive=False, verbosity=0)
    lines = []
    for c in range(COMPANIES):
        company = Company.objects.create(
            slug=f"bench-worker-{c}",
            name=f"Bench worker {c}",
            retell_api_key=BENCH_RETELL_KEY,
            calcom_api_key=f"cal_bench_worker_{c}",
            calcom_base_url=base_url,
        )
        for b in range(BRANCHES_EACH):
            index = c * BRANCHES_EACH + b
            branch = Branch.objects.create(
                company=company, name=f"Branch {b}", calcom_event_type_id=FIRST_EVENT_TYPE + index
            )
            line = f"+49308379{4000 + index:04d}"
            PhoneNumber.objects.update_or_create(number=line, defaults={"company": company, "branch": branch})
            lines.append((company, branch, line))
    return lines


def event_bodies(count: int, lines, first_day: date) -> list[tuple[Company, str, str]]:
    """(company, call id, body): each a call_analyzed booking a slot no other event takes."""
    out = []
    for i in range(count):
        company, _branch, line = lines[i % len(lines)]
        slot = i // len(lines)
        day = first_day + timedelta(days=slot // SLOTS_A_DAY)
        minutes = OPEN_FROM * 60 + (slot % SLOTS_A_DAY) * SLOT_MINUTES
        analyzed = demo_call_events(
            to_number=line,
            day=day,
            at=f"{minutes // 60:02d}:{minutes % 60:02d}",
            name=f"Bench {i}",
            email=f"bench{i}@example.com",
        )[2]
        out.append((company, analyzed["call"]["call_id"], json.dumps(analyzed)))
    return out


def cluster_cpu_seconds(root_pids: list[int]) -> float:
    """user + system CPU of these processes and all their descendants (living, or reaped by
    their parents), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    seen, todo, total = set(), list(root_pids), 0
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(value) for value in fields[11:15])  # its own and its reaped children's
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / ticks


def named_cpu_seconds(name: str) -> float:
    """user + system CPU of every process whose command is `name` (PostgreSQL's server and its
    backends: not ours, so not in our children's usage), from /proc; with what their ended
    children used (a backend whose connection closed during the run: the server reaped it)."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        command, fields = text[text.index("(") + 1 : text.rindex(")")], text.rsplit(")", 1)[1].split()
        if command == name:
            total += sum(int(value) for value in fields[11:15])
    return total / ticks


def tree_rss_mb(root_pids: list[int]) -> dict[int, float]:
    """Resident memory of each process of these trees, in MB."""
    sizes, todo = {}, list(root_pids)
    while todo:
        pid = todo.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            sizes[pid] = int(status.split("VmRSS:")[1].split()[0]) / 1024
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return sizes


def start_clusters(count: int, checkout: Path, env: dict) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=checkout,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def ended_count() -> dict[str, int]:
    rows = WebhookEvent.objects.filter(company__slug__startswith="bench-worker-")
    return {
        status: rows.filter(status=status).count()
        for status in (WebhookEventStatus.PROCESSED, WebhookEventStatus.FAILED, WebhookEventStatus.RETRYING)
    }


def store_and_queue(company: Company, call_id: str, body: str) -> None:
    """What the acknowledgement does (askpro.inbox.inbox_store), without the HTTP around it."""
    row = WebhookEvent.objects.create(company=company, event="call_analyzed", call_id=call_id, body=body)
    enqueue(TASK, row.pk, queue="webhooks")


def stop(processes: list[subprocess.Popen]) -> float:
    """Stop them; the CPU seconds they and every descendant used from the start, read once
    they were reaped (a worker recycled on the way took its own CPU with it from /proc)."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(args) -> None:
    calendar, base_url = start_calendar(args.latency_ms)
    clusters = []
    try:
        lines = prepare(base_url, Path(args.checkout))
        everything = event_bodies(args.warm + args.events, lines, clock.now().date() + timedelta(days=2))
        warm, events = everything[: args.warm], everything[args.warm :]
        env = {"Q_WORKERS": str(args.workers), "LOG_LEVEL": "WARNING"}
        if args.threads:
            env["WORKER_IO_THREADS"] = str(args.threads)
        clusters = start_clusters(args.clusters, Path(args.checkout), env)
        time.sleep(args.warmup)  # imports, Django, the worker processes
        for event in warm:  # the task modules, each thread's connection, the HTTP sessions
            store_and_queue(*event)
        while sum(ended_count().values()) - ended_count()[WebhookEventStatus.RETRYING] < len(warm):
            time.sleep(0.2)
        # All alive now, and all reaped at the end: the difference is the measured events' CPU.
        cpu_before = cluster_cpu_seconds([c.pid for c in clusters]) + stop([])
        calendar_before = cluster_cpu_seconds([calendar.pid])
        database_before = named_cpu_seconds("postgres")
        started = time.perf_counter()
        last_done, done = started, {}
        for i, event in enumerate(events):
            if args.rate:
                delay = started + i / args.rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            store_and_queue(*event)
        queued_in = time.perf_counter() - started
        deadline = started + args.timeout
        while time.perf_counter() < deadline:
            done = {
                status: count - (len(warm) if status == WebhookEventStatus.PROCESSED else 0)
                for status, count in ended_count().items()
            }
            if done[WebhookEventStatus.PROCESSED] + done[WebhookEventStatus.FAILED] >= len(events):
                last_done = time.perf_counter()
                break
            time.sleep(0.1)
        else:
            last_done = time.perf_counter()
        calendar_cpu = cluster_cpu_seconds([calendar.pid]) - calendar_before
        database_cpu = named_cpu_seconds("postgres") - database_before
        rss = tree_rss_mb([c.pid for c in clusters])
    finally:
        cpu = stop(clusters) - cpu_before
        stop([calendar])
    elapsed = last_done - started
    worked = done.get(WebhookEventStatus.PROCESSED, 0) + done.get(WebhookEventStatus.FAILED, 0)
    from booking.models import Appointment

    booked = Appointment.objects.filter(status="booked").count() - len(warm)
    print(
        f"checkout={args.checkout} clusters={args.clusters} workers={args.workers} "
        f"threads={args.threads or 'default'} latency_ms={args.latency_ms} "
        f"mode={f'rate {args.rate}/s' if args.rate else 'backlog'} events={len(events)}"
    )
    print(
        f"worked off {worked}/{len(events)} in {elapsed:.1f} s (queued in {queued_in:.1f} s): "
        f"{worked / elapsed:.1f} events/s; processed={done.get(WebhookEventStatus.PROCESSED, 0)} "
        f"failed={done.get(WebhookEventStatus.FAILED, 0)} "
        f"retrying={done.get(WebhookEventStatus.RETRYING, 0)} "
        f"booked={booked}"
    )
    print(f"cluster CPU {cpu:.1f} s = {cpu * 1000 / max(worked, 1):.1f} ms per event")
    print(f"machine reference: {machine_reference_ms():.0f} ms (bench/harness.py)")
    # The rest of the two cores: what shares them with the worker here, and not in production.
    print(
        f"beside it: PostgreSQL {database_cpu * 1000 / max(worked, 1):.1f} ms, "
        f"the Cal.com stand-in {calendar_cpu * 1000 / max(worked, 1):.1f} ms per event"
    )
    print(f"largest cluster process afterwards: {max(rss.values()):.0f} MB RSS ({len(rss)} processes)")


def main() -> None:
    faulthandler.dump_traceback_later(int(os.environ.get("BENCH_WATCHDOG", "900")), exit=True)
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--rate", type=int, default=0, help="store and queue at this rate (0: all at once)")
    parser.add_argument("--clusters", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="Q_WORKERS per cluster")
    parser.add_argument("--threads", type=int, default=0, help="WORKER_IO_THREADS (0: the default)")
    parser.add_argument("--checkout", default=str(ROOT), help="the checkout whose qcluster runs")
    parser.add_argument("--warmup", type=float, default=6.0, help="seconds for the cluster to start")
    # Enough for every I/O thread (2 x 24) to have opened its database connection, its HTTP
    # session to each of the 10 companies' Cal.com accounts (integrations/sessions.py) and run
    # each statement five times, after which it runs prepared: with 200, the measured events
    # still paid for those, as a process does only after it starts.
    parser.add_argument("--warm", type=int, default=1000, help="events worked off before measuring")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--serve-calendar", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_calendar:
        serve_calendar(args.serve_calendar, args.latency_ms)
    else:
        run(args)


if __name__ == "__main__":
    main()
