"""Live-call functions while the worker drains: p50/p95/p99 of `check_availability` over real
HTTP with the worker idle, then while it works off a backlog of booking events, on one machine.

The issue (#15) saw live functions slow down 4.7x at p95 while the worker drained. Here gunicorn
(--web-workers sync workers, as in production) and one `manage.py qcluster` run from --checkout
(this one by default, or a worktree of an older revision), with the Cal.com stand-in of
bench/worker_throughput.py (40 event types, one per branch of 10 companies, --latency-ms added
to every answer) in its own process, all on this machine.

Phase "idle": --rate signed function calls a second for --seconds, the worker alive with nothing
to do. Phase "draining": --backlog booking events (Retell's `call_analyzed` with a booking wish,
stored and queued as the acknowledgement does) are queued at once, then the same calls for
--seconds, or until the backlog is worked off if that comes first (only calls made while it was
not are counted); then the rest of the backlog is awaited to report how long the drain took.
--worker-nice 10 runs the qcluster niced, to see whether gunicorn then keeps its time.
--queue-rate 6 queues the backlog at 6 events/s while the calls run instead, to compare
checkouts at one pace (the older worker's) rather than each at its own.

Each call is a new call at a random bench line asking one day. --cache hit (the default): days
1-7 from today, every (line, day) asked once before the idle phase, so each measured call is
answered from the availability cache: our own time, which is what the worker's CPU competes
with. The backlog books from day 10 on, so its invalidations (the booked day and the days either
side) never touch those days. --cache miss: every call asks a (line, day) nobody asked before
(day 20 on), one Cal.com round trip each, holding a gunicorn sync worker for it: keep --rate
under web workers x 1000 / latency (6/s with 2 workers at 300 ms). The cache is cleared once,
before the run.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/askpro_bench_lwd \\
    REDIS_URL=redis://127.0.0.1:6379/4 \\
        .venv/bin/python bench/live_while_draining.py --backlog 6000 --seconds 30

For an older revision, --checkout /tmp/before with a database of its own: the database is
migrated by the checkout under test (its own indexes), then emptied and filled.
"""

import argparse
import faulthandler
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import requests
import worker_throughput as wt  # sets Django up (harness.django_setup)
from harness import BENCH_RETELL_KEY, ROOT

from core import clock
from integrations.cache import clear_cached_data
from integrations.retell.signature import sign

CALLER = "+4915112345678"
HIT_DAYS = range(1, 8)
FIRST_BOOKED_DAY, FIRST_MISS_DAY = 10, 20


def start_web(checkout: Path, port: int, workers: int) -> subprocess.Popen:
    """harness.start_gunicorn, from `checkout`."""
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "askpro.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers)],
        cwd=checkout,
        env={**os.environ, "GUNICORN_CMD_ARGS": "--log-level warning", "Q_SYNC": "false"},
    )
    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def purge_queue() -> None:
    """Drop queued tasks a cut-short run left in the broker (their rows are flushed anyway)."""
    from django_q.brokers import get_broker

    get_broker().purge_queue()


class Caller:
    """Signed `check_availability` calls to gunicorn; times in ms, and failures."""

    def __init__(self, port: int, lines):
        base = f"http://127.0.0.1:{port}/api/retell/functions"
        self.urls = {line: f"{base}/{company.webhook_key}" for company, _b, line in lines}
        self.local, self.count, self.lock = threading.local(), 0, threading.Lock()

    def call(self, line: str, day, until=None) -> tuple[float, bool]:
        with self.lock:
            self.count += 1
            call_id = f"call_lwd_{os.getpid()}_{self.count:07d}"
        payload = {
            "name": "check_availability",
            "args": {"date": day.isoformat(), **({"date_to": until.isoformat()} if until else {})},
            "call": {"call_id": call_id, "direction": "inbound", "from_number": CALLER, "to_number": line},
        }
        body = json.dumps(payload).encode()
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        headers = {
            "Content-Type": "application/json",
            "x-retell-signature": sign(body, BENCH_RETELL_KEY, clock.now_ms()),
        }
        started = time.perf_counter()
        response = session.post(self.urls[line], data=body, headers=headers, timeout=30)
        elapsed = (time.perf_counter() - started) * 1000
        ok = response.status_code == 200 and response.json().get("success") is True
        return elapsed, ok


def paced(caller: Caller, asks, rate: float, seconds: float, until=lambda: False):
    """Send `asks` ((line, day) each) at `rate` a second for `seconds`, or until `until()`; the
    samples (ms) of calls started before then, and how many failed."""
    samples, failed, lock = [], [0], threading.Lock()

    def send(line, day):
        elapsed, ok = caller.call(line, day)
        with lock:
            samples.append(elapsed)
            failed[0] += not ok

    with ThreadPoolExecutor(max_workers=16) as pool:
        started = time.perf_counter()
        for i, (line, day) in enumerate(asks):
            due = started + i / rate
            if due - started >= seconds or until():
                break
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(send, line, day)
    return samples, failed[0], time.perf_counter() - started


def queue_backlog(backlog, rate: float) -> None:
    """Store and queue the events: all at once, or at `rate` a second (the worker's pace
    set from outside, to compare checkouts at the same events/s)."""
    from django.db import connection

    started = time.perf_counter()
    for i, event in enumerate(backlog):
        if rate:
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        wt.store_and_queue(*event)
    connection.close()


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    if not ordered:
        return "n=0"

    def at(share: float) -> float:
        return ordered[max(0, int(len(ordered) * share) - 1)]

    return (
        f"n={len(ordered)} p50={statistics.median(ordered):.1f} p95={at(0.95):.1f} "
        f"p99={at(0.99):.1f} max={ordered[-1]:.1f} ms"
    )


def worked() -> int:
    ended = wt.ended_count()
    return ended[wt.WebhookEventStatus.PROCESSED] + ended[wt.WebhookEventStatus.FAILED]


class Progress(threading.Thread):
    """Polls how many events were worked off; `done` once `target` were."""

    def __init__(self, target: int):
        super().__init__(daemon=True)
        self.target, self.count, self.finished_at, self.stopping = target, 0, None, False

    def run(self):
        from django.db import connection

        while not self.stopping:
            self.count = worked()
            if self.count >= self.target and self.finished_at is None:
                self.finished_at = time.perf_counter()
            time.sleep(0.25)
        connection.close()

    def done(self) -> bool:
        return self.finished_at is not None


def cpu(processes: dict[str, subprocess.Popen]) -> dict[str, float]:
    return {name: wt.cluster_cpu_seconds([p.pid]) for name, p in processes.items()}


def run(args) -> None:
    checkout = Path(args.checkout).resolve()
    rng = random.Random(args.seed)
    load = os.getloadavg()[0]
    calendar, base_url = wt.start_calendar(args.latency_ms)
    web = cluster = None
    try:
        lines = wt.prepare(base_url, checkout)
        clear_cached_data()
        purge_queue()
        today = clock.now().date()
        events = wt.event_bodies(args.warm + args.backlog, lines, today + timedelta(days=FIRST_BOOKED_DAY))
        warm, backlog = events[: args.warm], events[args.warm :]
        web = start_web(checkout, args.port, args.web_workers)
        env = {"Q_WORKERS": str(args.workers), "LOG_LEVEL": "WARNING"}
        if args.worker_nice:  # the worker yields the CPU to gunicorn (nice execs: same pid)
            cluster = subprocess.Popen(
                ["nice", "-n", str(args.worker_nice), sys.executable, "manage.py", "qcluster"],
                cwd=checkout,
                env={**os.environ, **env},
                stdout=subprocess.DEVNULL,
            )
        else:
            cluster = wt.start_clusters(1, checkout, env)[0]
        caller = Caller(args.port, lines)
        line_names = [line for _c, _b, line in lines]

        hit_pairs = [(line, today + timedelta(days=d)) for line in line_names for d in HIT_DAYS]
        if args.cache == "hit":  # every (line, day) into the cache (one fetch a line), gunicorn warm
            first, last = today + timedelta(days=HIT_DAYS[0]), today + timedelta(days=HIT_DAYS[-1])
            with ThreadPoolExecutor(max_workers=4) as pool:
                results = list(pool.map(lambda line: caller.call(line, first, last), line_names))
            assert all(ok for _ms, ok in results), "warming calls failed"

            def asks():
                while True:
                    yield rng.choice(hit_pairs)

        else:
            for _ in range(5):  # gunicorn's imports and connections, on days never measured
                caller.call(line_names[0], today)
            miss_pairs = [
                (line, today + timedelta(days=d)) for d in range(FIRST_MISS_DAY, 365) for line in line_names
            ]
            rng.shuffle(miss_pairs)
            fresh = iter(miss_pairs)

            def asks():
                yield from fresh

        time.sleep(args.warmup)  # the cluster's imports and worker processes
        for event in warm:  # its task modules, threads' connections, HTTP sessions
            wt.store_and_queue(*event)
        deadline = time.perf_counter() + 120
        while worked() < len(warm):
            if time.perf_counter() > deadline:
                raise RuntimeError(f"the warm events were not worked off: {wt.ended_count()}")
            time.sleep(0.2)

        processes = {"web": web, "worker": cluster, "calendar": calendar}
        cpu_idle = cpu(processes)
        idle, idle_failed, idle_took = paced(caller, asks(), args.rate, args.seconds)
        cpu_idle = {k: v - cpu_idle[k] for k, v in cpu(processes).items()}

        queue_started = time.perf_counter()
        queuer = threading.Thread(target=queue_backlog, args=(backlog, args.queue_rate))
        queuer.start()
        if not args.queue_rate:  # a backlog: all queued before the live calls start
            queuer.join()
        queued_in = time.perf_counter() - queue_started
        progress = Progress(len(warm) + len(backlog))
        progress.start()
        worked_before = worked()
        cpu_drain = cpu(processes)
        draining, drain_failed, drain_took = paced(
            caller, asks(), args.rate, args.seconds, until=progress.done
        )
        cpu_drain = {k: v - cpu_drain[k] for k, v in cpu(processes).items()}
        worked_in_window = worked() - worked_before
        deadline = time.perf_counter() + args.drain_timeout
        while not progress.done() and time.perf_counter() < deadline:
            time.sleep(0.2)
        progress.stopping = True
        queuer.join()
        queued_in = queued_in if not args.queue_rate else len(backlog) / args.queue_rate
        drained = progress.count - len(warm)
        drain_end = progress.finished_at or time.perf_counter()
    finally:
        wt.stop([p for p in (cluster, web) if p is not None])
        wt.stop([calendar])
        purge_queue()

    print(
        f"checkout={checkout} web_workers={args.web_workers} q_workers={args.workers} "
        f"worker_nice={args.worker_nice} latency_ms={args.latency_ms} cache={args.cache} "
        f"rate={args.rate}/s seconds={args.seconds} "
        f"backlog={len(backlog)} queue_rate={args.queue_rate or 'at once'} loadavg_at_start={load:.1f}"
    )
    print(f"idle     : {percentiles(idle)} failed={idle_failed} over {idle_took:.1f} s")
    print(f"draining : {percentiles(draining)} failed={drain_failed} over {drain_took:.1f} s")
    if idle and draining:
        p95 = [sorted(s)[max(0, int(len(s) * 0.95) - 1)] for s in (idle, draining)]
        print(f"draining/idle p95 = {p95[1] / p95[0]:.2f}x")
    print(
        f"backlog queued in {queued_in:.1f} s; during the draining window the worker worked off "
        f"{worked_in_window} ({worked_in_window / drain_took:.1f} events/s)"
    )
    finished = f"all {drained}" if drained >= len(backlog) else f"only {drained}/{len(backlog)} (timeout)"
    print(
        f"drain: {finished} worked off in {drain_end - queue_started:.1f} s from the first queued "
        f"({drained / (drain_end - queue_started):.1f} events/s)"
    )
    for label, spent, took in (("idle", cpu_idle, idle_took), ("draining", cpu_drain, drain_took)):
        shares = " ".join(f"{name}={seconds / took:.2f}" for name, seconds in spent.items())
        print(f"CPU cores busy, {label}: {shares}")


def main() -> None:
    faulthandler.dump_traceback_later(int(os.environ.get("BENCH_WATCHDOG", "900")), exit=True)
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkout", default=str(ROOT), help="the checkout whose gunicorn and qcluster run")
    parser.add_argument("--backlog", type=int, default=5000, help="booking events queued at once")
    parser.add_argument(
        "--queue-rate", type=float, default=0, help="queue the backlog at this rate (0: at once)"
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="each phase's live calls")
    parser.add_argument("--rate", type=float, default=10.0, help="live calls a second")
    parser.add_argument("--cache", choices=["hit", "miss"], default="hit")
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--workers", type=int, default=2, help="Q_WORKERS")
    parser.add_argument("--worker-nice", type=int, default=0, help="run the qcluster at this niceness")
    parser.add_argument("--warm", type=int, default=40, help="events worked off before measuring")
    parser.add_argument("--warmup", type=float, default=6.0, help="seconds for the cluster to start")
    parser.add_argument("--drain-timeout", type=float, default=150.0)
    parser.add_argument("--port", type=int, default=8297)
    parser.add_argument("--seed", type=int, default=15)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
