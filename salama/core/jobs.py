"""Background work: jobs are rows, claimed under a lease, run, and recorded (ARCHITECTURE.md s.5).

The same `work_once` runs in the embedded worker threads of `salama serve` and in Celery
workers in scale mode. A lost, late or duplicated wake-up does no harm: the rows are the record,
and a lease that expires (a crashed worker) makes the job claimable again.
"""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from salama.audit.context import channel as audit_channel

from .models import Job, WorkerHeartbeat

log = logging.getLogger("salama.jobs")

Handler = Callable[[dict[str, Any]], None]
HANDLERS: dict[str, Handler] = {}
_wake = threading.Event()


@dataclass(frozen=True)
class WorkSource:
    """Another engine with rows of its own (salama.delivery) that runs in these same workers."""

    name: str
    work_once: Callable[[], int]  # claim, run and record one batch; how much was done
    has_due_work: Callable[[], bool]
    wake_celery: Callable[[], None]  # scale mode: queue the task that runs work_once
    health: Callable[[], dict[str, Any]]


SOURCES: dict[str, WorkSource] = {}


def register_source(source: WorkSource) -> None:
    SOURCES[source.name] = source


class PermanentError(Exception):
    """The job cannot succeed by retrying; it fails at once."""


def job(kind: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if kind in HANDLERS and HANDLERS[kind] is not handler:
            raise ValueError(f"job kind {kind} registered twice")
        HANDLERS[kind] = handler
        return handler

    return register


def enqueue(kind: str, payload: dict[str, Any] | None = None, *, priority: int = 100) -> Job:
    """Record work to do, in the caller's transaction; workers are woken once it commits."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler for job kind {kind}")
    created = Job.objects.create(kind=kind, payload=payload or {}, priority=priority)
    transaction.on_commit(wake)
    return created


def wake() -> None:
    if settings.SALAMA_QUEUE == "celery":
        from salama.celery import run_jobs

        run_jobs.delay()
    else:
        _wake.set()


def claim(limit: int = 10) -> list[int]:
    """Lease up to `limit` due jobs (pending, or running with an expired lease) and commit."""
    now = timezone.now()
    postgresql = connection.vendor == "postgresql"
    table = Job._meta.db_table
    due = (
        f"SELECT id FROM {table} "  # noqa: S608
        f"WHERE (state = %s AND run_after <= %s) OR (state = %s AND lease_until < %s) "
        f"ORDER BY priority, run_after LIMIT %s{' FOR UPDATE SKIP LOCKED' if postgresql else ''}"
    )
    # On PostgreSQL, ARRAY() runs the subquery once: as `IN (...)` the planner may run it again
    # per row and lease more than `limit` jobs.
    chosen = f"id = ANY(ARRAY({due}))" if postgresql else f"id IN ({due})"
    sql = f"UPDATE {table} SET state = %s, lease_until = %s, attempts = attempts + 1 WHERE {chosen} RETURNING id"  # noqa: S608
    lease_until = now + timedelta(seconds=settings.JOB_LEASE_SECONDS)
    params: list[Any] = [Job.State.RUNNING, lease_until, Job.State.PENDING, now, Job.State.RUNNING, now, limit]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with full jitter: up to 30 s, 60 s, 120 s ... capped at one hour."""
    ceiling = min(3600, 30 * 2 ** max(0, attempts - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311


def run(job_id: int) -> None:
    job_row = Job.objects.get(pk=job_id)
    handler = HANDLERS.get(job_row.kind)
    try:
        if handler is None:
            raise PermanentError(f"no handler for {job_row.kind}")
        with audit_channel("worker"):
            handler(job_row.payload)
    except Exception as exc:  # a job's failure is recorded, never lost
        permanent = isinstance(exc, PermanentError) or job_row.attempts >= settings.JOB_MAX_ATTEMPTS
        log.warning(
            "job %s#%s failed (%s): %s", job_row.kind, job_id, type(exc).__name__, "final" if permanent else "retry"
        )
        Job.objects.filter(pk=job_id, state=Job.State.RUNNING).update(
            state=Job.State.FAILED if permanent else Job.State.PENDING,
            run_after=timezone.now() + retry_delay(job_row.attempts),
            lease_until=None,
            last_error=type(exc).__name__[:300],
            finished_at=timezone.now() if permanent else None,
        )
        return
    Job.objects.filter(pk=job_id, state=Job.State.RUNNING).update(
        state=Job.State.DONE, lease_until=None, finished_at=timezone.now(), payload={}
    )


def work_once(limit: int = 10) -> int:
    """Claim and run one batch; the number of jobs run."""
    ids = claim(limit)
    for job_id in ids:
        run(job_id)
    return len(ids)


def has_due_work() -> bool:
    now = timezone.now()
    due = Q(state=Job.State.PENDING, run_after__lte=now) | Q(state=Job.State.RUNNING, lease_until__lt=now)
    return Job.objects.filter(due).exists()


def work_sources_once() -> int:
    """One batch of every other engine; an engine that fails does not starve the others."""
    done = 0
    for source in SOURCES.values():
        try:
            done += source.work_once()
        except Exception:
            log.exception("work source %s: unexpected error; continuing", source.name)
    return done


HOUSEKEEPING_EVERY = timedelta(minutes=10)
KEEP_FINISHED_JOBS = timedelta(days=7)
_housekeeping_lock = threading.Lock()
_last_housekeeping: list[datetime] = []


def housekeeping() -> dict[str, int]:
    """Forget what is no longer needed: expired sessions, old finished jobs, silent workers."""
    from salama.accounts.models import Session

    now = timezone.now()
    removed = {
        "sessions": Session.objects.filter(expire_date__lt=now).delete()[0],
        "jobs": Job.objects.filter(state=Job.State.DONE, finished_at__lt=now - KEEP_FINISHED_JOBS).delete()[0],
        "heartbeats": WorkerHeartbeat.objects.filter(last_seen_at__lt=now - timedelta(days=1)).delete()[0],
    }
    return removed


def housekeeping_if_due() -> None:
    with _housekeeping_lock:
        now = timezone.now()
        if _last_housekeeping and now - _last_housekeeping[-1] < HOUSEKEEPING_EVERY:
            return
        _last_housekeeping[:] = [now]
    housekeeping()


def beat(name: str, mode: str) -> None:
    WorkerHeartbeat.objects.update_or_create(name=name, defaults={"mode": mode, "last_seen_at": timezone.now()})


def worker_name(suffix: str) -> str:
    return f"{socket.gethostname()}:{threading.get_native_id()}:{suffix}"


# A heartbeat is a database write: once per few seconds, not once per batch (a busy delivery
# loop runs several batches a second). /healthz counts workers seen in the last 30 s.
BEAT_EVERY_SECONDS = 5.0


def worker_loop(name: str, stop: threading.Event, mode: str = "embedded") -> None:
    """Run jobs until `stop` is set, waking on commit or at least once a second."""
    last_beat = -BEAT_EVERY_SECONDS
    while not stop.is_set():
        close_old_connections()
        try:
            if time.monotonic() - last_beat >= BEAT_EVERY_SECONDS:
                beat(name, mode)
                last_beat = time.monotonic()
            housekeeping_if_due()
            if work_once() + work_sources_once() == 0:
                _wake.wait(timeout=1.0)
                _wake.clear()
        except Exception:
            log.exception("worker %s: unexpected error; continuing", name)
            stop.wait(1.0)
    connections.close_all()  # this thread's own connections


class EmbeddedWorkers:
    """Worker threads inside the web process (the default, embedded mode)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for index in range(self.count):
            thread = threading.Thread(
                target=lambda i=index: worker_loop(worker_name(f"w{i}"), self.stop),
                name=f"salama-worker-{index}",
                daemon=True,
            )
            thread.start()
            self.threads.append(thread)

    def shutdown(self) -> None:
        self.stop.set()
        _wake.set()
        for thread in self.threads:
            thread.join(timeout=5)


def health() -> dict[str, Any]:
    recent = timezone.now() - timedelta(seconds=30)
    return {
        "mode": settings.SALAMA_QUEUE,
        "alive": WorkerHeartbeat.objects.filter(last_seen_at__gte=recent).count(),
        "pending": Job.objects.filter(state=Job.State.PENDING, run_after__lte=timezone.now()).count(),
        "failed": Job.objects.filter(state=Job.State.FAILED).count(),
        **{source.name: source.health() for source in SOURCES.values()},
    }
