"""A large database against a small one: acknowledgement, the inbound call, every live
function, the sweepers and the prunes.

Issue #15, item 5: with 1,000,000 inbox rows, 300,000 customers and appointments and 50
companies in PostgreSQL, each stays within 10 % of a small database, and EXPLAIN shows no
sequential scan of a tenant table.

Two databases (created if missing, migrated): the small one holds the 50 companies and the
measured caller's few appointments; the large one the same, plus bulk rows filled once with SQL
(INSERT ... SELECT generate_series; `--refill` drops and fills it again): webhook events (the
Retell inbox, the last INBOX_KEEP_DAYS - 1 days, as the daily prune keeps it), their calls,
customers, one appointment, booking request and call link each, notifications, Cal.com notices
and appointment changes. The measured tenant is one of the 50, with its 1/50 share of every
table. Django serves one database per process, so the script runs itself once per database and
round (`--phase`), alternating small, large, small, large, and pools each database's samples.
Each round: the Django test client in process, Cal.com the local sandbox (no latency, no rate
limit), REDIS_URL a bench Redis database (cache and task broker; no worker runs, so a task is
only enqueued; `--redis-url ''` for the ORM broker). Prunes run in a transaction rolled back,
so the large database keeps its rows. In the last large round every distinct SELECT, UPDATE,
DELETE and INSERT of each operation is EXPLAINed (SELECTs with ANALYZE): a sequential scan of a
tenant table of 10,000 rows or more fails the check; one of a smaller table (the 50 companies)
is listed as "small table"; a scan node that reads 10,000 rows or more is listed as "wide".
Seeded rows are dated from the fill: days later the prunes find old rows (a note says so) and
the caller's seeded history ages; `--refill` then.

    .venv/bin/python bench/large_db.py                  # fills the large database the first time
    .venv/bin/python bench/large_db.py --rounds 3 --iterations 300 --refill
"""

import argparse
import faulthandler
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from harness import BENCH_RETELL_KEY, ROOT, django_setup, live_call, signed_post

DEFAULT_URL = "postgres://postgres:postgres@127.0.0.1:5432/{}"
COMPANIES = 50
MEASURED = 7  # ldb-07: the tenant every request is for
SLUG = "ldb-{:02d}"
LINE = "+4930837934{:02d}"
CALLER = "+4915112345678"
CALLER_NAME = "Bench Anrufer"
CALLER_UPCOMING = 3  # booked appointments the measured caller has ahead (and 2 past ones)
SEED_PHONE = "+49160"  # the bulk customers: +49160 and eight digits
ACK_PREFIX = "call_ldb_ack_"
DUE_PREFIX = "call_ldb_due_"
DUE_EVENTS = 5  # webhook events due for a retry in both databases: the sweeper's same work
FAR = timedelta(days=3650)  # seeded waiting rows are not due, however old the fill gets
TENANT_PREFIXES = (
    "companies_",
    "booking_",
    "telephony_",
    "console_",
    "notifications_",
    "mcp_api_",
    "integrations_",
)
SMALL_TABLE_ROWS = 10_000  # a tenant table below this may be scanned whole ("small table")
WIDE_SCAN_ROWS = 10_000  # a scan node reading this many rows is listed as "wide"
COUNTED = (
    "companies_company",
    "companies_branch",
    "companies_phonenumber",
    "telephony_webhookevent",
    "telephony_call",
    "telephony_call_appointments",
    "booking_customer",
    "booking_appointment",
    "booking_bookingrequest",
    "booking_appointmentchange",
    "booking_calendarnotice",
    "notifications_notification",
)
FUNCTIONS = (
    "check_availability",
    "find_alternatives",
    "find_my_appointments",
    "book_appointment",
    "reschedule_appointment",
    "cancel_appointment",
)
SWEEPERS = {
    "sweep webhook events": "telephony.tasks.requeue_due_webhook_events",
    "sweep booking requests": "booking.tasks.retry_due_booking_requests",
    "sweep appointment changes": "booking.tasks.retry_due_appointment_changes",
    "sweep calendar notices": "booking.tasks.requeue_due_calendar_notices",
    "sweep notifications": "notifications.tasks.requeue_due_notifications",
}
PRUNES = {
    "prune webhook events": "telephony.tasks.prune_webhook_events",
    "prune calendar notices": "booking.tasks.prune_calendar_notices",
    "prune notifications": "notifications.tasks.prune_notifications",
}
OPERATIONS = ("acknowledgement", "inbound", *FUNCTIONS, *SWEEPERS, *PRUNES)


# -- the parent: databases, rounds, the table ------------------------------------------------


def main() -> None:
    faulthandler.dump_traceback_later(int(os.environ.get("BENCH_WATCHDOG", "1200")), exit=True)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small-url", default=DEFAULT_URL.format("askpro_bench_small"))
    parser.add_argument("--large-url", default=DEFAULT_URL.format("askpro_bench_large"))
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="'' for the ORM broker")
    parser.add_argument("--events", type=int, default=1_000_000, help="webhook events in the large db")
    parser.add_argument("--customers", type=int, default=300_000, help="and as many appointments")
    parser.add_argument("--refill", action="store_true", help="drop the large database and fill it again")
    parser.add_argument("--rounds", type=int, default=2, help="measurements of each database, alternating")
    parser.add_argument("--iterations", type=int, default=200, help="per read operation and round")
    parser.add_argument("--cycles", type=int, default=40, help="book, reschedule, cancel per round")
    parser.add_argument("--sweeps", type=int, default=30, help="calls of each sweeper per round")
    parser.add_argument("--prunes", type=int, default=3, help="calls of each prune per round")
    parser.add_argument("--phase", choices=["setup", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--size", choices=["small", "large"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--explain", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        faulthandler.dump_traceback_later(int(os.environ.get("BENCH_WATCHDOG", "600")), exit=True)
        result = child_setup(args) if args.phase == "setup" else child_measure(args)
        Path(args.out).write_text(json.dumps(result))
        return
    started = time.perf_counter()
    urls = {"small": args.small_url, "large": args.large_url}
    ensure_database(args.small_url, drop=False)
    ensure_database(args.large_url, drop=args.refill)
    setups = {size: run_child(args, urls, "setup", size) for size in ("small", "large")}
    rounds = []
    for number in range(args.rounds):
        for size in ("small", "large"):
            explain = size == "large" and number == args.rounds - 1
            rounds.append(run_child(args, urls, "measure", size, number=number, explain=explain))
    report(args, setups, rounds, time.perf_counter() - started)


def ensure_database(url: str, *, drop: bool) -> None:
    """Create the database `url` names on its server if it is missing (dropped first on --refill)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if drop and "bench" not in name:
        raise SystemExit(f"--refill drops only benchmark databases (a name with 'bench'), not {name!r}")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if drop:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}", flush=True)


def run_child(args, urls: dict, phase: str, size: str, *, number: int = 0, explain: bool = False) -> dict:
    """This script again, for one database: its result."""
    out = Path(tempfile.mkstemp(prefix="askpro-large-db-", suffix=".json")[1])
    command = [sys.executable, str(Path(__file__).resolve()), "--phase", phase, "--size", size]
    command += ["--out", str(out), "--round", str(number)]
    for option in ("events", "customers", "iterations", "cycles", "sweeps", "prunes"):
        command += [f"--{option}", str(getattr(args, option))]
    if explain:
        command.append("--explain")
    env = {
        **os.environ,
        "DATABASE_URL": urls[size],
        "REDIS_URL": args.redis_url,
        "CACHE_KEY_PREFIX": f"askpro-bench-large-db-{size}",
        "Q_SYNC": "false",
    }
    print(f"-- {phase} {size}" + (f" (round {number + 1})" if phase == "measure" else ""), flush=True)
    try:
        if subprocess.run(command, cwd=ROOT, env=env, timeout=900).returncode:
            raise SystemExit(f"{phase} {size} failed (its traceback is above)")
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(len(ordered) * share) - 1)]


def report(args, setups: dict, rounds: list[dict], elapsed: float) -> None:
    large = setups["large"]
    print()
    print(f"large database {urlsplit(args.large_url).path.lstrip('/')}: {large['fill']}")
    for table, count in large["counts"].items():
        small_count = setups["small"]["counts"][table]
        print(f"  {table:<30} {count:>10,} rows   (small: {small_count:,})")
    broker = f"Redis broker and cache at {args.redis_url}" if args.redis_url else "ORM broker, local cache"
    print(
        f"measured tenant {SLUG.format(MEASURED)} of {COMPANIES}; Cal.com: the sandbox, no latency; "
        f"{broker}; no worker (tasks only enqueued); rounds: {args.rounds} x (small, large)"
    )
    pooled: dict[str, dict[str, list[float]]] = {"small": {}, "large": {}}
    per_round: dict[str, dict[str, list[float]]] = {"small": {}, "large": {}}
    for result in rounds:
        for name, samples in result["samples"].items():
            pooled[result["size"]].setdefault(name, []).extend(samples)
            per_round[result["size"]].setdefault(name, []).append(statistics.median(samples))
    print()
    header = (
        f"{'operation':<28} {'n':>5} {'small p50/p95 ms':>17} {'large p50/p95 ms':>17} {'ratio':>6}"
        "  within 10 %?"
    )
    print(header)
    print("-" * len(header))
    over = []
    for name in OPERATIONS:
        small, big = pooled["small"].get(name), pooled["large"].get(name)
        if not small or not big:
            continue
        ratio = statistics.median(big) / statistics.median(small)
        verdict = "yes" if ratio <= 1.10 else "NO"
        if ratio > 1.10:
            over.append(name)
        rounds_shown = " ".join(
            f"{s:.2f}/{b:.2f}"
            for s, b in zip(per_round["small"][name], per_round["large"][name], strict=False)
        )
        print(
            f"{name:<28} {len(big):>5} {_pair(small):>17} {_pair(big):>17} {ratio:>6.2f}  {verdict:<4}"
            f"  (p50 per round s/l: {rounds_shown})"
        )
    notes = [note for result in rounds for note in result.get("notes", [])]
    for note in dict.fromkeys(notes):
        print(f"note: {note}")
    explained = next((r["explain"] for r in rounds if r.get("explain")), None)
    violations, wide = report_explain(explained) if explained is not None else (["(not explained)"], [])
    print()
    print(f"operations over 10 %: {', '.join(over) if over else 'none'}")
    print(f"sequential scans of tenant tables: {', '.join(violations) if violations else 'none'}")
    print(f"wide index scans of tenant tables: {', '.join(wide) if wide else 'none'}")
    print(f"total time {elapsed:.0f} s")


def _pair(samples: list[float]) -> str:
    return f"{statistics.median(samples):.2f}/{percentile(samples, 0.95):.2f}"


def report_explain(explained: dict) -> tuple[list[str], list[str]]:
    """Print what EXPLAIN found per operation; the tenant tables scanned whole (the failures),
    and those an index scan read 10,000 rows or more of."""
    print()
    print("EXPLAIN (large database; SELECTs with ANALYZE), per operation:")
    violations, wide_scans, details = [], [], []
    for name in OPERATIONS:
        findings = explained.get(name)
        if findings is None:
            continue
        statements = findings["statements"]
        seq = sorted({f["table"] for f in findings["flags"] if f["kind"] == "seq"})
        small = sorted({f["table"] for f in findings["flags"] if f["kind"] == "small table"})
        wide = sorted(
            {f"{f['table']} ({f['rows']:,} rows)" for f in findings["flags"] if f["kind"] == "wide"}
        )
        line = f"  {name:<28} {statements:>2} statements; seq scans: {', '.join(seq) or 'none'}"
        if small:
            line += f"; small table: {', '.join(small)}"
        if wide:
            line += f"; wide: {', '.join(wide)}"
        print(line)
        for error in findings["errors"]:
            print(f"    could not explain: {error}")
        violations += [f"{table} ({name})" for table in seq]
        wide_scans += [f"{table} ({name})" for table in wide]
        details += [f for f in findings["flags"] if f["kind"] in ("seq", "wide")]
    shown = set()
    for flag in details:
        if flag["sql"] in shown:
            continue
        shown.add(flag["sql"])
        print()
        print(f"[{flag['kind']}] {flag['table']}: {flag['sql'][:600]}")
        print("\n".join(f"    {line}" for line in flag["plan"].splitlines()))
    return violations, wide_scans


# -- the children: one database each ---------------------------------------------------------


def child_setup(args) -> dict:
    """Migrate; the 50 companies and the measured caller (ORM); the bulk rows in the large one."""
    django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    tenants = ensure_tenants()
    ensure_caller(tenants[MEASURED][0])
    fill = "small: the companies and the measured caller only"
    if args.size == "large":
        fill = fill_large(args, tenants)
    return {"counts": row_counts(), "fill": fill}


def ensure_tenants() -> list[tuple]:
    """(company, branch, line) for each of the 50 tenants, made through the ORM (secrets are
    encrypted there)."""
    from companies.models import Branch, Company, PhoneNumber

    tenants = []
    for index in range(COMPANIES):
        slug = SLUG.format(index)
        company, created = Company.objects.get_or_create(slug=slug, defaults={"name": f"Praxis {index:02d}"})
        if created:
            company.retell_api_key = BENCH_RETELL_KEY
            company.calcom_api_key = f"cal_{slug}"
            company.calcom_base_url = "http://127.0.0.1:9/v2"  # the sandbox's address is set per round
            company.save()
        branch, _ = Branch.objects.get_or_create(
            company=company, name="Hauptpraxis", defaults={"calcom_event_type_id": 1001}
        )
        PhoneNumber.objects.get_or_create(
            number=LINE.format(index), defaults={"company": company, "branch": branch}
        )
        tenants.append((company, branch, LINE.format(index)))
    return tenants


def ensure_caller(company) -> None:
    """The measured caller: a customer with upcoming and past appointments, and the webhook
    events due for a retry (the same in both databases; prepare() dates them each round)."""
    from booking.models import Appointment, AppointmentSource, AppointmentStatus, Customer
    from core import clock
    from telephony.models import WebhookEvent, WebhookEventStatus

    customer, _ = Customer.objects.get_or_create(
        company=company, phone=CALLER, defaults={"name": CALLER_NAME}
    )
    branch = company.branches.get()
    now = clock.now()
    for index in range(CALLER_UPCOMING + 2):
        start = (
            now + timedelta(days=20 + index) if index < CALLER_UPCOMING else now - timedelta(days=index * 9)
        )
        Appointment.objects.get_or_create(
            company=company,
            calcom_booking_uid=f"ldb-caller-{index}",
            defaults={
                "branch": branch,
                "customer": customer,
                "attendee_name": CALLER_NAME,
                "event_type_id": 1001,
                "start": start,
                "end": start + timedelta(minutes=30),
                "status": AppointmentStatus.BOOKED,
                "source": AppointmentSource.ADMIN,
            },
        )
    for index in range(DUE_EVENTS):
        WebhookEvent.objects.get_or_create(
            company=company,
            call_id=f"{DUE_PREFIX}{index}",
            event="call_ended",
            defaults={"body": "{}", "status": WebhookEventStatus.RETRYING, "attempts": 1},
        )


def row_counts() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        counts = {}
        for table in COUNTED:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (our table names)
            counts[table] = cursor.fetchone()[0]
    return counts


def fill_large(args, tenants: list[tuple]) -> str:
    """The bulk rows, in one transaction (all or nothing), then VACUUM ANALYZE; skipped when
    they are there."""
    from django.conf import settings
    from django.db import connection, transaction

    from booking.models import Customer
    from core import clock

    if Customer.objects.filter(phone__startswith=SEED_PHONE).exists():
        return "filled before (--refill to fill again)"
    window = max(1, settings.INBOX_KEEP_DAYS - 1) * 86400  # seconds the inbox and outboxes span
    calls = math.ceil(args.events / 3)
    params = {
        "idx": list(range(len(tenants))),
        "companies": [company.pk for company, _, _ in tenants],
        "branches": [branch.pk for _, branch, _ in tenants],
        "lines": [line for _, _, line in tenants],
        "tenants": len(tenants),
        "now": clock.now(),
        "far": clock.now() + FAR,
        "customers": args.customers,
        "events": args.events,
        "calls": calls,
        "spacing": window / calls,
        "window": window,
        "prefix": SEED_PHONE,
        "prefix_pattern": SEED_PHONE + "%",
        "prefix_length": len(SEED_PHONE),
        "seed_uid": "seed-%",
    }
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        for label, statement in FILL:
            step = time.perf_counter()
            cursor.execute(statement, params)
            print(f"   {label}: {cursor.rowcount:,} rows, {time.perf_counter() - step:.1f} s", flush=True)
    filled = time.perf_counter() - started
    step = time.perf_counter()
    with connection.cursor() as cursor:
        for table in COUNTED:
            cursor.execute(f"VACUUM ANALYZE {table}")
    return f"filled in {filled:.0f} s, VACUUM ANALYZE {time.perf_counter() - step:.0f} s"


# Each statement reads the parameters of fill_large(); `%%` is a literal percent sign.
FILL = (
    (
        "tenants",
        """CREATE TEMP TABLE ldb_tenant ON COMMIT DROP AS
        SELECT * FROM unnest(%(idx)s::int[], %(companies)s::bigint[], %(branches)s::bigint[],
                             %(lines)s::text[]) AS t(idx, company_id, branch_id, line)""",
    ),
    (
        "customers",
        """INSERT INTO booking_customer (company_id, phone, name, email, created_at, updated_at)
        SELECT t.company_id, %(prefix)s || lpad(g::text, 8, '0'), 'Kunde ' || g,
               CASE WHEN g %% 3 = 0 THEN 'kunde' || g || '@example.com' ELSE '' END,
               %(now)s::timestamptz - make_interval(days => 400 - g %% 360), %(now)s::timestamptz
        FROM generate_series(1, %(customers)s) AS g JOIN ldb_tenant t ON t.idx = g %% %(tenants)s""",
    ),
    (
        "customer map",
        """CREATE TEMP TABLE ldb_customer ON COMMIT DROP AS
        SELECT substr(phone, %(prefix_length)s + 1)::int AS g, id, company_id, phone
        FROM booking_customer WHERE phone LIKE %(prefix_pattern)s""",
    ),
    ("customer map index", "CREATE UNIQUE INDEX ON ldb_customer (g)"),
    (
        "appointments",
        # One per customer, from 300 days ago to 59 days ahead, 07:00-14:30 UTC.
        """INSERT INTO booking_appointment (company_id, branch_id, customer_id, attendee_name,
            attendee_email, event_type_id, start, "end", status, source, calcom_booking_id,
            calcom_booking_uid, host_email, failure_reason, attempts, metadata, alternatives,
            cancelled_at, created_at, updated_at)
        SELECT c.company_id, t.branch_id, c.id, 'Kunde ' || c.g, '', 1001, s.start,
               s.start + interval '30 minutes',
               CASE WHEN d.day > 0 THEN
                        CASE WHEN c.g %% 20 < 17 THEN 'booked' WHEN c.g %% 20 = 17 THEN 'pending'
                             ELSE 'cancelled' END
                    ELSE CASE WHEN c.g %% 20 < 15 THEN 'booked' WHEN c.g %% 20 < 17 THEN 'cancelled'
                              WHEN c.g %% 20 = 17 THEN 'rescheduled' WHEN c.g %% 20 = 18 THEN 'failed'
                              ELSE 'rejected' END END,
               CASE WHEN c.g %% 2 = 0 THEN 'live_call' ELSE 'post_call' END, c.g, 'seed-' || c.g,
               'host@praxis.example',
               CASE WHEN d.day <= 0 AND c.g %% 20 = 18 THEN 'Der Termin war schon vergeben.' ELSE '' END,
               1, '{}'::jsonb, '[]'::jsonb,
               CASE WHEN (d.day > 0 AND c.g %% 20 >= 18) OR (d.day <= 0 AND c.g %% 20 IN (15, 16))
                    THEN s.start - interval '1 day' END,
               LEAST(s.start - interval '7 days', %(now)s::timestamptz),
               LEAST(s.start - interval '7 days', %(now)s::timestamptz)
        FROM ldb_customer c JOIN ldb_tenant t ON t.company_id = c.company_id
        CROSS JOIN LATERAL (SELECT ((c.g::bigint * 7919) %% 360 - 300)::int AS day) d
        CROSS JOIN LATERAL (SELECT date_trunc('day', %(now)s::timestamptz) + make_interval(days => d.day,
                            mins => 420 + (c.g %% 16) * 30) AS start) s""",
    ),
    (
        "calls",
        # Three events each; evenly over the window, the newest now.
        """INSERT INTO telephony_call (retell_call_id, company_id, branch_id, customer_id, agent_id,
            from_number, to_number, direction, status, started_at, ended_at, duration_ms,
            disconnection_reason, transcript, summary, sentiment, successful, analysis,
            dynamic_variables, availability_checks, slots_offered, created_at, updated_at)
        SELECT 'call_seed_' || k, c.company_id, t.branch_id, c.id, 'agent_seed', c.phone, t.line,
               'inbound', 'analyzed', s.at, s.at + interval '95 seconds', 95000, 'user_hangup',
               'Agent: Guten Tag, Sie sprechen mit der Praxis. User: Ich hätte gern einen Termin.',
               'Terminwunsch', 'Positive', true, '{}'::jsonb, '{"collected": {"sprache": "de"}}'::jsonb,
               1, 3, s.at, s.at
        FROM generate_series(1, %(calls)s) AS k
        JOIN ldb_customer c ON c.g = (k - 1) %% %(customers)s + 1
        JOIN ldb_tenant t ON t.company_id = c.company_id
        CROSS JOIN LATERAL (SELECT %(now)s::timestamptz
                            - make_interval(secs => (%(calls)s - k) * %(spacing)s) AS at) s""",
    ),
    (
        "webhook events",
        # 98.5 % processed; 0.5 % failed; 0.5 % retrying, 0.3 % received, 0.2 % processing, none due.
        """INSERT INTO telephony_webhookevent (company_id, event, call_id, body, received_at, status,
            attempts, last_error, result, lease_until, next_attempt_at, processed_at, updated_at)
        SELECT c.company_id, v.event, 'call_seed_' || v.k,
               '{"event":"' || v.event || '","call":{"call_id":"call_seed_' || v.k
               || '","call_type":"phone_call","agent_id":"agent_seed","direction":"inbound",'
               || '"from_number":"' || c.phone || '","to_number":"' || t.line
               || '","call_status":"ended","start_timestamp":' || (extract(epoch FROM v.at) * 1000)::bigint
               || ',"transcript":"Agent: Guten Tag, Sie sprechen mit der Praxis. User: Ich möchte einen'
               || ' Termin."}}',
               v.at,
               CASE WHEN v.h < 5 THEN 'failed' WHEN v.h < 10 THEN 'retrying' WHEN v.h < 13 THEN 'received'
                    WHEN v.h < 15 THEN 'processing' ELSE 'processed' END,
               CASE WHEN v.h < 5 THEN 8 WHEN v.h < 10 THEN 2 WHEN v.h < 13 THEN 0 ELSE 1 END,
               CASE WHEN v.h < 10 THEN 'Seeded: Cal.com did not answer' ELSE '' END,
               NULL,
               CASE WHEN v.h >= 13 AND v.h < 15 THEN %(far)s::timestamptz END,
               CASE WHEN v.h >= 5 AND v.h < 13 THEN %(far)s::timestamptz END,
               CASE WHEN v.h < 5 OR v.h >= 15 THEN v.at + interval '1 second' END,
               v.at
        FROM (SELECT e / 3 + 1 AS k, (e::bigint * 7919) %% 1000 AS h,
                     (ARRAY['call_started', 'call_ended', 'call_analyzed'])[e %% 3 + 1] AS event,
                     %(now)s::timestamptz - make_interval(secs => (%(calls)s - (e / 3 + 1)) * %(spacing)s)
                         + make_interval(secs => (e %% 3) * 40) - interval '2 minutes' AS at
              FROM generate_series(0, %(events)s - 1) AS e) v
        JOIN ldb_customer c ON c.g = (v.k - 1) %% %(customers)s + 1
        JOIN ldb_tenant t ON t.company_id = c.company_id""",
    ),
    (
        "booking requests",
        """INSERT INTO booking_bookingrequest (company_id, idempotency_key, status, source, call_id,
            payload, result, attempts, last_error, lease_until, next_attempt_at, created_at,
            updated_at, appointment_id)
        SELECT a.company_id, md5('ldb-br-' || a.id) || md5('ldb-br-2-' || a.id),
               CASE WHEN a.status = 'failed' THEN 'failed' WHEN a.calcom_booking_id %% 500 = 3
                    THEN 'retrying' ELSE 'succeeded' END,
               a.source, 'call_seed_' || a.calcom_booking_id,
               jsonb_build_object('start', a.start, 'name', a.attendee_name), NULL, 1, '', NULL,
               CASE WHEN a.status <> 'failed' AND a.calcom_booking_id %% 500 = 3
                    THEN %(far)s::timestamptz END,
               a.created_at, a.created_at, a.id
        FROM booking_appointment a WHERE a.calcom_booking_uid LIKE %(seed_uid)s""",
    ),
    (
        "call appointment links",
        """INSERT INTO telephony_call_appointments (call_id, appointment_id)
        SELECT cl.id, a.id FROM booking_appointment a
        JOIN telephony_call cl ON cl.retell_call_id = 'call_seed_' || a.calcom_booking_id
        WHERE a.calcom_booking_uid LIKE %(seed_uid)s""",
    ),
    (
        "notifications",
        """INSERT INTO notifications_notification (company_id, booking_request_id, appointment_id,
            idempotency_key, kind, channel, recipient, language, text, status, provider_id, result,
            attempts, last_error, lease_until, next_attempt_at, created_at, updated_at, sent_at)
        SELECT r.company_id, r.id, a.id, 'booking_request:' || r.id || ':booking_confirmed',
               'booking_confirmed', 'sms', c.phone, 'de', 'Ihr Termin ist gebucht.',
               CASE WHEN a.calcom_booking_id %% 200 = 3 THEN 'failed'
                    WHEN a.calcom_booking_id %% 1000 < 3 THEN 'received' ELSE 'succeeded' END,
               'SM' || r.id, NULL, 1, '', NULL,
               CASE WHEN a.calcom_booking_id %% 200 <> 3 AND a.calcom_booking_id %% 1000 < 3
                    THEN %(far)s::timestamptz END,
               x.at, x.at, CASE WHEN a.calcom_booking_id %% 1000 >= 3 THEN x.at END
        FROM booking_bookingrequest r JOIN booking_appointment a ON a.id = r.appointment_id
        JOIN booking_customer c ON c.id = a.customer_id
        CROSS JOIN LATERAL (SELECT %(now)s::timestamptz - make_interval(secs => (a.calcom_booking_id * 7919)
                            %% %(window)s) AS at) x
        WHERE a.calcom_booking_uid LIKE %(seed_uid)s AND a.calcom_booking_id %% 3 = 0""",
    ),
    (
        "calendar notices",
        """INSERT INTO booking_calendarnotice (company_id, trigger, booking_uid, delivery_key, body,
            received_at, status, result, attempts, last_error, lease_until, next_attempt_at,
            processed_at, updated_at)
        SELECT a.company_id, 'BOOKING_CREATED', a.calcom_booking_uid,
               md5('ldb-cn-' || a.id) || md5('ldb-cn-2-' || a.id),
               '{"triggerEvent":"BOOKING_CREATED","payload":{"uid":"' || a.calcom_booking_uid || '"}}',
               x.at, CASE WHEN a.calcom_booking_id %% 1000 < 4 THEN 'received' ELSE 'succeeded' END, NULL,
               1, '', NULL, CASE WHEN a.calcom_booking_id %% 1000 < 4 THEN %(far)s::timestamptz END,
               CASE WHEN a.calcom_booking_id %% 1000 >= 4 THEN x.at END, x.at
        FROM booking_appointment a
        CROSS JOIN LATERAL (SELECT %(now)s::timestamptz - make_interval(secs => (a.calcom_booking_id * 7919)
                            %% %(window)s) AS at) x
        WHERE a.calcom_booking_uid LIKE %(seed_uid)s AND a.calcom_booking_id %% 3 = 1""",
    ),
    (
        "appointment changes",
        """INSERT INTO booking_appointmentchange (company_id, appointment_id, kind, idempotency_key,
            source, call_id, payload, status, result, attempts, last_error, lease_until,
            next_attempt_at, created_at, updated_at)
        SELECT a.company_id, a.id, CASE a.status WHEN 'cancelled' THEN 'cancel' ELSE 'reschedule' END,
               md5('ldb-ac-' || a.id) || md5('ldb-ac-2-' || a.id), 'live_call',
               'call_seed_' || a.calcom_booking_id, '{}'::jsonb, 'succeeded', NULL, 1, '', NULL, NULL,
               a.created_at, a.created_at
        FROM booking_appointment a
        WHERE a.calcom_booking_uid LIKE %(seed_uid)s AND a.status IN ('cancelled', 'rescheduled')""",
    ),
)


def child_measure(args) -> dict:
    """One round on one database: each operation timed; in the last large round, EXPLAINed."""
    django_setup(ALLOWED_HOSTS="testserver")  # Django's test client, in this process
    from django.db import connection
    from django.test import Client

    from sandbox.server import start_sandbox

    notes = []
    with start_sandbox(rate_limit=0, latency_ms=0) as sandbox:
        company = prepare(sandbox.base_url)
        bench = Operations(Client(), company, args.round)
        bench.warm_up()
        samples = bench.run_all(args)
        notes += bench.notes
        explained = bench.explain_all() if args.explain else None
        cleanup(company)
    connection.close()
    return {"size": args.size, "samples": samples, "notes": notes, "explain": explained}


def prepare(base_url: str):
    """The same starting point in both databases, each round: the company books in this
    round's sandbox; the caller has exactly their upcoming appointments; the due webhook events
    are due; nothing is left of earlier rounds' acknowledgements, queue or cache."""
    from booking.models import Appointment, AppointmentStatus, Customer
    from companies.models import Company
    from core import clock
    from integrations.cache import clear_cached_data
    from telephony.models import WebhookEvent, WebhookEventStatus

    company = Company.objects.get(slug=SLUG.format(MEASURED))
    company.calcom_base_url = base_url
    company.save()
    now = clock.now()
    caller = Customer.objects.get(company=company, phone=CALLER)
    active = (AppointmentStatus.BOOKED, AppointmentStatus.PENDING)
    Appointment.objects.filter(company=company, customer=caller, status__in=active).exclude(
        calcom_booking_uid__startswith="ldb-caller-"
    ).update(status=AppointmentStatus.CANCELLED, cancelled_at=now)
    for index in range(CALLER_UPCOMING):
        start = now.replace(hour=7, minute=0, second=0, microsecond=0) + timedelta(days=20 + index)
        Appointment.objects.filter(company=company, calcom_booking_uid=f"ldb-caller-{index}").update(
            start=start, end=start + timedelta(minutes=30), status=AppointmentStatus.BOOKED
        )
    WebhookEvent.objects.filter(company=company, call_id__startswith=ACK_PREFIX).delete()
    WebhookEvent.objects.filter(company=company, call_id__startswith=DUE_PREFIX).update(
        status=WebhookEventStatus.RETRYING, next_attempt_at=now - timedelta(minutes=1), lease_until=None
    )
    purge_queue()
    clear_cached_data()
    return company


def cleanup(company) -> None:
    from telephony.models import WebhookEvent

    WebhookEvent.objects.filter(company=company, call_id__startswith=ACK_PREFIX).delete()
    purge_queue()


def purge_queue() -> None:
    """Drop the tasks this round enqueued (no worker runs here)."""
    from django_q.brokers import get_broker

    get_broker().purge_queue()


class _RolledBack(Exception):
    pass


class Operations:
    """Each measured operation as one call returning its time in ms."""

    def __init__(self, client, company, round_number: int):
        from companies.demo import next_weekday
        from telephony.simulation import demo_call_events

        self.client, self.company = client, company
        self.line = LINE.format(MEASURED)
        self.prefix = f"{ACK_PREFIX}{round_number}_{os.getpid()}_"
        self.sequence = 0
        self.day = next_weekday()
        self.slots = self._free_half_hours(self.day + timedelta(days=1))
        self.reference = ""  # the appointment the write cycle is at
        self.notes: list[str] = []
        self.handed_back: set[int] = set()
        self.ended = demo_call_events(
            to_number=self.line, day=self.day, at="11:00", name="Bench", email="bench@example.com"
        )[1]

    # -- the operations

    def acknowledgement(self) -> float:
        payload = json.loads(json.dumps(self.ended))
        payload["call"]["call_id"] = self._next_id(self.prefix)
        started = time.perf_counter()
        response = signed_post(self.client, f"/api/retell/webhook/{self.company.webhook_key}", payload)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 204, response.content
        return elapsed

    def inbound(self) -> float:
        """The inbound-call webhook: the agent's variables before the call is answered."""
        payload = {"event": "call_inbound", "call_inbound": {"from_number": CALLER, "to_number": self.line}}
        started = time.perf_counter()
        response = signed_post(self.client, f"/api/retell/inbound/{self.company.webhook_key}", payload)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.content
        assert response.json()["call_inbound"]["dynamic_variables"]["caller_known"] == "true"
        return elapsed

    def check_availability(self) -> float:
        return self._function("check_availability", {"date": self.day.isoformat()})[0]

    def find_alternatives(self) -> float:
        return self._function("find_alternatives", {"date": self.day.isoformat(), "time": "11:00"})[0]

    def find_my_appointments(self) -> float:
        elapsed, data = self._function("find_my_appointments", {})
        assert len(data["appointments"]) == CALLER_UPCOMING, data
        return elapsed

    def book_appointment(self) -> float:
        day, hhmm = next(self.slots)
        args = {"date": day.isoformat(), "time": hhmm, "name": CALLER_NAME}
        elapsed, data = self._function("book_appointment", args)
        self.reference = data["appointment_ref"]
        return elapsed

    def reschedule_appointment(self) -> float:
        day, hhmm = next(self.slots)
        args = {"appointment_ref": self.reference, "new_date": day.isoformat(), "new_time": hhmm}
        elapsed, data = self._function("reschedule_appointment", args)
        self.reference = data["appointment_ref"]
        return elapsed

    def cancel_appointment(self) -> float:
        return self._function("cancel_appointment", {"appointment_ref": self.reference})[0]

    def sweep(self, name: str) -> float:
        from django.utils.module_loading import import_string

        task = import_string(SWEEPERS[name])
        started = time.perf_counter()
        handed = task()
        elapsed = (time.perf_counter() - started) * 1000
        if name == "sweep webhook events":
            self.handed_back.add(handed)
        elif handed:
            self.notes.append(f"{name} found {handed} due rows")
        return elapsed

    def prune(self, name: str) -> float:
        """The prune, in a transaction rolled back: the database keeps its rows."""
        from django.db import transaction
        from django.utils.module_loading import import_string

        task = import_string(PRUNES[name])
        started = time.perf_counter()
        try:
            with transaction.atomic():
                removed = task()
                elapsed = (time.perf_counter() - started) * 1000
                raise _RolledBack
        except _RolledBack:
            pass
        if removed:
            self.notes.append(f"{name} would remove {removed} rows (rolled back)")
        return elapsed

    # -- running them

    def steps(self) -> list[tuple[str, object]]:
        """(operation, its one call) in the order a round runs them."""
        steps = [(name, getattr(self, name)) for name in ("acknowledgement", "inbound", *FUNCTIONS[:3])]
        steps += [(name, lambda name=name: self.sweep(name)) for name in SWEEPERS]
        steps += [(name, lambda name=name: self.prune(name)) for name in PRUNES]
        return steps

    def warm_up(self) -> None:
        for _, step in self.steps():
            step()
        self._cycle()
        self.notes.clear()

    def run_all(self, args) -> dict[str, list[float]]:
        counts = dict.fromkeys(("acknowledgement", "inbound", *FUNCTIONS[:3]), args.iterations)
        counts |= dict.fromkeys(SWEEPERS, args.sweeps) | dict.fromkeys(PRUNES, args.prunes)
        samples: dict[str, list[float]] = {}
        for name, step in self.steps():
            samples[name] = [step() for _ in range(counts[name])]
        for _ in range(args.cycles):
            for name, elapsed in self._cycle().items():
                samples.setdefault(name, []).append(elapsed)
        if self.handed_back != {DUE_EVENTS}:
            self.notes.append(
                f"the webhook sweeper handed back {sorted(self.handed_back)} (expected {DUE_EVENTS})"
            )
        return samples

    def _cycle(self) -> dict[str, float]:
        return {name: getattr(self, name)() for name in FUNCTIONS[3:]}

    def explain_all(self) -> dict:
        """Each operation once more, its SQL captured and EXPLAINed."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        explained = {}
        for name, step in [*self.steps(), *((n, getattr(self, n)) for n in FUNCTIONS[3:])]:
            with CaptureQueriesContext(connection) as captured:
                step()
            explained[name] = explain([query["sql"] for query in captured.captured_queries])
        return explained

    # -- helpers

    def _function(self, name: str, args: dict) -> tuple[float, dict]:
        payload = {
            "name": name,
            "args": args,
            "call": live_call(CALLER, self.line, self._next_id("call_ldb_fn_")),
        }
        started = time.perf_counter()
        response = signed_post(self.client, f"/api/retell/functions/{self.company.webhook_key}", payload)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["success"], (name, args, body)
        return elapsed, body["data"]

    def _next_id(self, prefix: str) -> str:
        self.sequence += 1
        return f"{prefix}{self.sequence:07d}_{time.time_ns()}"

    @staticmethod
    def _free_half_hours(day):
        """(day, "HH:MM") through the sandbox's working days, 09:00 to 16:30."""
        while True:
            if day.weekday() < 5:
                for minutes in range(9 * 60, 17 * 60, 30):
                    yield day, f"{minutes // 60:02d}:{minutes % 60:02d}"
            day += timedelta(days=1)


def explain(statements: list[str]) -> dict:
    """EXPLAIN each distinct statement; what its plans scan."""
    from django.db import connection

    flags, errors, distinct = [], [], []
    for sql in statements:
        verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if verb in ("SELECT", "UPDATE", "DELETE", "INSERT", "WITH") and sql not in distinct:
            distinct.append(sql)
    sizes: dict[str, float] = {}
    for sql in distinct:
        analyze = sql.lstrip().upper().startswith("SELECT")
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN ({'ANALYZE, ' if analyze else ''}FORMAT JSON) {sql}")
                plan = cursor.fetchone()[0]
                plan = json.loads(plan) if isinstance(plan, str) else plan
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]} in {sql[:200]}")
            continue
        for node in _scans(plan[0]["Plan"]):
            table = node.get("Relation Name", "")
            if not table.startswith(TENANT_PREFIXES):
                continue
            read = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * node.get(
                "Actual Loops", 1
            )
            kind = None
            if node["Node Type"] == "Seq Scan":
                kind = "seq" if _table_rows(table, sizes) >= SMALL_TABLE_ROWS else "small table"
            elif read >= WIDE_SCAN_ROWS:
                kind = "wide"
            if kind:
                shown = _text_plan(sql, analyze) if kind != "small table" else ""
                flags.append({"kind": kind, "table": table, "rows": int(read), "sql": sql, "plan": shown})
    return {"statements": len(distinct), "flags": flags, "errors": errors}


def _scans(node: dict):
    if "Relation Name" in node:
        yield node
    for child in node.get("Plans", []):
        yield from _scans(child)


def _table_rows(table: str, sizes: dict) -> float:
    from django.db import connection

    if table not in sizes:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            sizes[table] = cursor.fetchone()[0]
    return sizes[table]


def _text_plan(sql: str, analyze: bool) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ({'ANALYZE, ' if analyze else ''}COSTS OFF) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


if __name__ == "__main__":
    main()
