"""Waiting work on a worker process's threads (askpro/worker_threads.py, #15): tasks hand over
and return, several round trips are in flight at once, a full pool holds the next task back,
a failure frees its thread, and real events are worked off by threads on their own database
connections."""

import json
import logging
import multiprocessing
import os
import threading
import time
from datetime import datetime, timedelta

import pytest
from django.db import connections

from askpro import worker_threads
from booking.models import Appointment, AppointmentStatus
from telephony.models import Call, WebhookEvent, WebhookEventStatus
from telephony.tasks import process_webhook_event
from tests.calcom_fakes import BASE, booking_output
from tests.retell_fakes import webhook_payload


@pytest.fixture
def threads():
    worker_threads.start(3)
    yield
    worker_threads.stop()


def test_without_threads_the_task_runs_inline_and_returns_its_result():
    done = []
    task = worker_threads.io_bound(lambda value: done.append(value) or value * 2)
    assert task(21) == 42 and done == [21]


def test_tasks_hand_over_and_run_side_by_side(threads):
    arrived, release = threading.Barrier(4), threading.Event()

    @worker_threads.io_bound
    def wait_for_cal_com(number):
        arrived.wait(timeout=5)  # only passes if all three run at once (and the test thread)
        release.wait(timeout=5)

    started = time.monotonic()
    assert [wait_for_cal_com(n) for n in range(3)] == [None, None, None]  # handed over
    assert time.monotonic() - started < 1
    arrived.wait(timeout=5)
    release.set()


def test_a_full_pool_holds_the_next_task_until_a_thread_is_free(threads):
    release, handed = threading.Event(), threading.Event()

    @worker_threads.io_bound
    def slow(_):
        release.wait(timeout=5)

    for n in range(3):
        slow(n)
    fourth = threading.Thread(target=lambda: (slow(3), handed.set()))
    fourth.start()
    assert not handed.wait(timeout=0.3)  # every thread is busy: the task waits in the worker
    release.set()
    assert handed.wait(timeout=5)
    fourth.join(timeout=5)


def test_a_failing_task_is_logged_and_frees_its_thread(threads, caplog):
    ran = threading.Event()

    @worker_threads.io_bound
    def broken(_):
        raise RuntimeError("boom")

    @worker_threads.io_bound
    def fine(_):
        ran.set()

    with caplog.at_level(logging.ERROR, logger="askpro.worker_threads"):
        for n in range(5):  # more failures than threads: each must give its thread back
            broken(n)
        fine(0)
        assert ran.wait(timeout=5)
    assert "failed on an I/O thread" in caplog.text


def _created(request):
    sent = json.loads(request.body)
    start = datetime.fromisoformat(sent["start"].replace("Z", "+00:00"))
    return (
        201,
        {},
        json.dumps(booking_output(start=start, end=start + timedelta(minutes=30), uid=sent["start"])),
    )


@pytest.mark.django_db(transaction=True)
def test_booking_events_are_worked_off_by_threads_on_their_own_connections(clinic, calcom, deliver):
    calcom.add_callback("POST", f"{BASE}/bookings", callback=_created)
    for index, hour in enumerate(("09:00", "10:00", "11:00", "12:00", "13:00", "14:00")):
        payload = webhook_payload("call_analyzed", call_id=f"call_thread_{index}")
        payload["call"]["call_analysis"]["custom_analysis_data"]["uhrzeit"] = hour
        assert deliver(clinic, payload).status_code == 204
    worker_threads.start(3)
    try:
        for event in WebhookEvent.objects.order_by("pk"):
            process_webhook_event(event.pk)
    finally:
        worker_threads.stop()  # waits for the threads' work
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {WebhookEventStatus.PROCESSED}
    assert Call.objects.count() == 6
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 6
    assert len(calcom.calls) == 6


@pytest.mark.django_db(transaction=True)
def test_stopping_closes_the_database_connections_the_threads_opened():
    worker_threads.start(3)
    used, all_ran = [], threading.Barrier(4)

    @worker_threads.io_bound
    def read_a_row(_):
        Call.objects.exists()
        used.append(connections["default"])  # this thread's own
        all_ran.wait(timeout=5)  # three threads at once: each opens a connection of its own

    try:
        for n in range(3):
            read_a_row(n)
        all_ran.wait(timeout=5)
        assert len({id(connection) for connection in used}) == 3
        assert all(connection.connection is not None for connection in used)
    finally:
        worker_threads.stop()
    assert all(connection.connection is None for connection in used)


def test_q_sync_runs_a_task_inline_although_django_q_announces_a_worker(settings, monkeypatch):
    """Q_SYNC runs the worker loop in the calling process, which sends post_spawn there: the
    caller must still find the work done when async_task returns."""
    from django_q.conf import Conf
    from django_q.signals import post_spawn

    monkeypatch.setattr(Conf, "SYNC", True)
    post_spawn.send(sender="django_q", proc_name="MainProcess")
    try:
        assert worker_threads._pool is None
    finally:
        worker_threads.stop()


def test_a_worker_process_the_cluster_spawns_gets_threads_and_gives_way_to_the_web_tier(settings):
    settings.WORKER_IO_THREADS, settings.WORKER_NICENESS = 3, 5
    context = multiprocessing.get_context("fork")  # as django-q2 starts its workers
    told = context.Queue()

    def worker_process():
        before = os.nice(0)
        worker_threads.started(sender="django_q", proc_name="Process-test")
        told.put((os.nice(0) - before, worker_threads._pool is not None))
        worker_threads.stop()

    child = context.Process(target=worker_process)
    child.start()
    child.join(timeout=20)
    assert told.get(timeout=5) == (5, True)
