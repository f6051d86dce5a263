"""Task work that mostly waits runs on threads inside each qcluster worker process (#15).

A django-q2 worker process runs one task at a time. A booking event spends about 300 ms waiting
for Cal.com and a few milliseconds computing, so two processes handled five events a second
while the CPU idled. Tasks marked `@io_bound` hand their work to a pool of WORKER_IO_THREADS
threads in the worker process and return: each process keeps that many round trips in flight,
and the GIL is free for whichever thread has something to compute.

Nothing is lost by handing work to a thread: the work is a stored row (an inbox event, a
booking request, a notification) that the thread claims under a lease before it starts. A
process that dies with work in its threads leaves leases that run out, and the sweepers hand
those rows out again.

Bounds: a task waits for a free thread before it returns, so a process never holds more than
its threads' worth of work and the backlog stays in the broker. Each thread keeps its own
database connection (CONN_MAX_AGE), so a machine opens clusters x Q_WORKERS x
WORKER_IO_THREADS connections for its workers (docs/architecture.md, "Scaling out").

Outside a qcluster worker process (web requests, commands, tests, Q_SYNC) the work runs inline,
and with WORKER_IO_THREADS=1 (the SQLite default: it takes one writer at a time) it runs in the
task itself, as before.
"""

import contextlib
import functools
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, connections

logger = logging.getLogger(__name__)

_pool: ThreadPoolExecutor | None = None
_free: threading.BoundedSemaphore | None = None
_threads = 0


def io_bound(task):
    """Run `task` on this worker process's I/O threads when there are any; inline otherwise.
    The task must record its own outcome (a work row): its return value is not kept."""

    @functools.wraps(task)
    def handed_over(*args, **kwargs):
        if _pool is None:
            return task(*args, **kwargs)
        pool, free = _pool, _free
        free.acquire()  # backpressure: wait here, in the broker's order, for a free thread
        try:
            pool.submit(_run, task, args, kwargs, free)
        except RuntimeError:  # the pool is shutting down: do it here rather than drop it
            free.release()
            return task(*args, **kwargs)
        return None

    return handed_over


def start(threads: int | None = None) -> None:
    """Give this process its I/O threads (a qcluster worker, at spawn: booking.apps)."""
    global _pool, _free, _threads
    threads = threads or settings.WORKER_IO_THREADS
    if threads <= 1 or _pool is not None:
        return
    _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="io")
    _free, _threads = threading.BoundedSemaphore(threads), threads
    logger.info("worker process runs waiting work on %d threads", threads)


def stop() -> None:
    """Finish what the threads hold, close their database connections, and go back to running
    work inline (tests, shutdown)."""
    global _pool, _free, _threads
    pool, threads, _pool, _free, _threads = _pool, _threads, None, None, 0
    if pool is not None:
        _close_connections_of_each_thread(pool, threads)
        pool.shutdown(wait=True)


def _close_connections_of_each_thread(pool: ThreadPoolExecutor, threads: int) -> None:
    """A thread's connections are its own to close; left open, each stays a database session
    until its thread's objects are collected. One task per thread: each waits at a barrier
    until every thread holds one, so no thread takes two."""
    everyone = threading.Barrier(threads)

    def close_mine():
        with contextlib.suppress(threading.BrokenBarrierError):  # a thread short: close anyway
            everyone.wait(timeout=10)
        connections.close_all()

    for _ in range(threads):
        pool.submit(close_mine)


def started(**_signal) -> None:
    """django-q2's post_spawn receiver: sent in each new worker process, and also by Q_SYNC's
    inline run of a task in the calling process, which must stay inline (its caller reads the
    outcome next)."""
    from django_q.conf import Conf

    if Conf.SYNC or multiprocessing.parent_process() is None:
        return
    # Background work gives way to live calls on a shared machine: a caller waits on the web
    # tier's answer, nobody on a worker's (#15: live functions slowed while the worker drained).
    os.nice(settings.WORKER_NICENESS)
    _warm_up()
    start()


def _warm_up() -> None:
    """Build, once and before the threads start, what every task builds on first use: each of
    24 threads meeting Django's lazily compiled email pattern at once compiled it for itself
    (0.16 s of CPU each, 7.7 s per cluster start: a sixth of a 3,000-event run, #15)."""
    from django.core.validators import EmailValidator

    for pattern in (EmailValidator.user_regex, EmailValidator.domain_regex, EmailValidator.literal_regex):
        pattern.pattern  # noqa: B018 -- reading an attribute compiles the lazy pattern


def _run(task, args, kwargs, free: threading.BoundedSemaphore) -> None:
    try:
        task(*args, **kwargs)
    except Exception:  # its row stays claimed: the sweeper takes it back when the lease runs out
        logger.exception("%s%r failed on an I/O thread", task.__qualname__, args)
    finally:
        # Django's end-of-request rule for this thread's own connection: closed if it broke or
        # is past CONN_MAX_AGE, kept for the thread's next task otherwise.
        close_old_connections()
        free.release()
