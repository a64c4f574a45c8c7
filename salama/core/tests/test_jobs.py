"""Jobs are rows: claimed under a lease, retried with backoff, reclaimed after a crash."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import transaction

from salama.core import jobs
from salama.core.models import Job

CALLS: list[dict] = []


@jobs.job("tests.record")
def record(payload: dict) -> None:
    CALLS.append(payload)


@jobs.job("tests.flaky")
def flaky(payload: dict) -> None:
    raise ConnectionError("peer went away")


@jobs.job("tests.hopeless")
def hopeless(payload: dict) -> None:
    raise jobs.PermanentError("cannot ever work")


RAN = threading.Event()


@jobs.job("tests.signal")
def signal(payload: dict) -> None:
    RAN.set()


@pytest.fixture(autouse=True)
def clean_calls():  # type: ignore[no-untyped-def]
    CALLS.clear()


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(datetime(2026, 11, 25, 12, 0, tzinfo=UTC), tick=False) as traveller:
        yield traveller


def test_a_job_runs_once_and_keeps_no_payload(db, clock):
    job = jobs.enqueue("tests.record", {"case_id": 7})
    assert jobs.work_once() == 1
    assert jobs.work_once() == 0
    assert CALLS == [{"case_id": 7}]
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.payload == {}


def test_urgent_work_is_claimed_first(db, clock):
    jobs.enqueue("tests.record", {"n": "routine"}, priority=100)
    jobs.enqueue("tests.record", {"n": "urgent"}, priority=1)
    assert jobs.claim(limit=1) == [Job.objects.get(payload={"n": "urgent"}).pk]


def test_a_claimed_job_is_not_claimed_twice_until_its_lease_expires(db, clock):
    job = jobs.enqueue("tests.record", {})
    assert jobs.claim() == [job.pk]
    assert jobs.claim() == []
    clock.shift(timedelta(seconds=settings.JOB_LEASE_SECONDS + 1))  # the worker died mid-job
    assert jobs.claim() == [job.pk]
    job.refresh_from_db()
    assert job.attempts == 2


def test_transient_failures_retry_with_growing_delays_then_fail(db, clock):
    job = jobs.enqueue("tests.flaky", {})
    delays = []
    for _attempt in range(settings.JOB_MAX_ATTEMPTS):
        before = datetime.now(tz=UTC)
        assert jobs.work_once() == 1
        job.refresh_from_db()
        if job.state == Job.State.FAILED:
            break
        assert job.state == Job.State.PENDING and job.last_error == "ConnectionError"
        delays.append((job.run_after - before).total_seconds())
        assert jobs.work_once() == 0  # not before its time
        clock.move_to(job.run_after)
    assert job.state == Job.State.FAILED
    assert job.attempts == settings.JOB_MAX_ATTEMPTS
    assert 15 <= delays[0] <= 30
    assert delays[3] > delays[0] * 2  # exponential, even with jitter


def test_a_permanent_error_fails_at_once(db, clock):
    job = jobs.enqueue("tests.hopeless", {})
    jobs.work_once()
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and job.attempts == 1 and job.finished_at is not None


def test_nothing_is_queued_when_the_transaction_rolls_back(db, clock):
    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.enqueue("tests.record", {})
        raise RuntimeError("the change that caused the job failed")
    assert not Job.objects.exists()


def test_an_unknown_kind_is_refused_at_enqueue(db):
    with pytest.raises(ValueError, match="no handler"):
        jobs.enqueue("tests.nothing", {})


def test_the_embedded_worker_runs_jobs_and_reports_in_healthz(transactional_db, client):
    RAN.clear()
    # The test database is SQLite in memory, shared between threads without a busy timeout:
    # this thread stays off it while the worker runs.
    done = jobs.enqueue("tests.signal", {})
    workers = jobs.EmbeddedWorkers(1)
    workers.start()
    try:
        assert RAN.wait(timeout=30), "the embedded worker did not run the job"
    finally:
        workers.shutdown()
    body = client.get("/healthz").json()
    done.refresh_from_db()
    assert done.state == Job.State.DONE
    assert body["status"] == "ok" and body["database"]["ok"] is True
    assert body["workers"]["alive"] >= 1 and body["workers"]["mode"] == "embedded"


def test_scale_mode_wakes_celery_workers_that_run_the_same_code(db, settings, django_capture_on_commit_callbacks):
    from salama.celery import app

    settings.SALAMA_QUEUE = "celery"
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            job = jobs.enqueue("tests.record", {"via": "celery"})
    finally:
        app.conf.task_always_eager = False
    job.refresh_from_db()
    assert job.state == Job.State.DONE and CALLS == [{"via": "celery"}]


def test_housekeeping_forgets_expired_sessions_and_old_jobs(cast, clock):
    from django.test import Client

    from salama.accounts.models import Session
    from salama.core.testing import sign_in

    sign_in(Client(), cast.a_admin)
    jobs.enqueue("tests.record", {})
    jobs.work_once()
    clock.shift(timedelta(days=8))
    fresh = jobs.enqueue("tests.record", {})
    removed = jobs.housekeeping()
    assert removed["sessions"] >= 1 and removed["jobs"] == 1
    assert not Session.objects.exists()
    assert list(Job.objects.all()) == [fresh]
