"""Real worker processes: a worker killed with SIGKILL mid fan-out, and scale mode (Celery and
Redis). They run `salama` in subprocesses against a database of their own: a SQLite file, or,
when the suite runs with DATABASE_URL on PostgreSQL, a throwaway database on that server.

What is guaranteed, and asserted: every recipient ends `sent`, exactly once in the database;
the sink accepts every Message-ID exactly once. SMTP itself cannot deduplicate: messages the
sink had accepted in the batch the killed worker never recorded are offered again after the
lease expires, with the same Message-ID, and a relay that deduplicates by Message-ID (as this
sink and many MTAs do) keeps one copy. So copies *offered* twice are bounded by one batch per
killed worker; copies *accepted* twice are zero.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from salama.delivery.sink import SinkHandler, start

ROOT = Path(__file__).resolve().parents[3]
BATCH = 10
TIMEOUT = 90

PUBLISH = """
import json
from salama.orgs.models import Organization
from salama.delivery import engine
from salama.delivery.models import Priority
org, _ = Organization.objects.get_or_create(
    slug="{slug}", defaults=dict(name="Org", kind="network", country="KE", region="africa")
)
message = engine.create_message(org, "tests.alert", "{slug}", priority=Priority.URGENT)
version = engine.add_version(message, {{"email": {{"en": {{"subject": "Urgent", "text": "Dear [[greeting]]"}}}}}})
people = [engine.Recipient("email", f"p{{n}}@example.org", "en", greeting=f"P{{n}}") for n in range({count})]
engine.create_deliveries(version, people)
print(message.pk)
"""

# Run once the workers have stopped: the clock is moved past every lease and retry delay, and
# whatever the workers left unrecorded is settled here, by the same engine code. No waiting.
SETTLE = """
import json
from datetime import timedelta
import time_machine
from django.utils import timezone
from salama.delivery import engine
from salama.delivery.models import Delivery, Message
message = Message.objects.get(pk="{message}")
with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
    engine.sweep()
    while engine.work_once("settle"):
        pass
keys = list(Delivery.objects.filter(message=message).values_list("idempotency_key", flat=True))
print(json.dumps({{"counts": engine.counts(message), "keys": keys}}))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def salama(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603  our own command
        [sys.executable, "-m", "salama.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return (done.stdout.strip().splitlines() or [""])[-1]


@pytest.fixture(scope="module")
def database(tmp_path_factory: Any) -> Iterator[dict[str, str]]:
    directory = tmp_path_factory.mktemp("delivery-processes")
    env = {
        **os.environ,
        "SALAMA_DATA_DIR": str(directory),
        "DJANGO_SETTINGS_MODULE": "salama.settings",
        # Short, so the restarted worker takes the killed worker's batch back soon; long enough
        # that a healthy batch on a loaded machine (the suite, a sink thread and the workers on
        # two cores) is recorded before its lease runs out and is not offered twice.
        "SALAMA_DELIVERY_LEASE_SECONDS": "8",
        "SALAMA_DELIVERY_BATCH_SIZE": str(BATCH),
        "SALAMA_DELIVERY_SMTP_CONNECTIONS": "1",
        "SALAMA_EMAIL_HOST": "127.0.0.1",
    }
    url = os.environ.get("DATABASE_URL", "")
    dropped = admin = None
    if url.startswith("postgres"):
        import psycopg

        name = f"salama_delivery_{uuid.uuid4().hex[:12]}"
        parts = urlsplit(url)
        admin = urlunsplit(parts._replace(path="/postgres"))  # the test database may not exist yet
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = dropped = urlunsplit(parts._replace(path=f"/{name}"))
    else:
        env.pop("DATABASE_URL", None)
    salama(env, "migrate", "-v", "0")
    yield env
    if dropped and admin:
        import psycopg

        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(dropped).path[1:]}" WITH (FORCE)')


class KillingSink(SinkHandler):
    """Kills the worker while it waits for the answer to message number `kill_at`, which the
    sink has already kept: the worst moment, since that result is never recorded."""

    def __init__(self, total: int, kill_at: int) -> None:
        super().__init__(keep_content=False)
        self.total, self.kill_at = total, kill_at
        self.victim: subprocess.Popen[str] | None = None
        self.killed = threading.Event()
        self.complete = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if len(self.accepted) >= self.kill_at and self.victim is not None and not self.killed.is_set():
            os.killpg(self.victim.pid, signal.SIGKILL)
            self.killed.set()
        if len(self.accepted) >= self.total:
            self.complete.set()
        return reply


def start_worker(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "salama.cli", "worker", "--concurrency", "1"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("SALAMA_TEST_WORKER_LOG", os.devnull), "a"),
        text=True,
        start_new_session=True,  # its own process group, so Celery's children die with it
    )


def finish(process: subprocess.Popen[str]) -> None:
    """A graceful stop: only the leader gets SIGTERM, so a Celery worker finishes (and records)
    the task it is running, and the embedded loop the batch it holds, before exiting."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=TIMEOUT)


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def crash_and_restart(env: dict[str, str], slug: str, total: int = 120, kill_at: int = 35) -> None:
    sink = KillingSink(total, kill_at)
    controller = start(sink)
    env = {**env, "SALAMA_EMAIL_PORT": str(controller.port)}
    workers = []
    try:
        message = salama(env, "shell", "-c", PUBLISH.format(slug=slug, count=total))
        sink.victim = start_worker(env)
        workers.append(sink.victim)
        assert sink.killed.wait(TIMEOUT), "the worker never reached the kill point"
        sink.victim.wait(timeout=TIMEOUT)
        assert len(sink.accepted) < total  # killed in the middle of the fan-out
        workers.append(start_worker(env))
        assert sink.complete.wait(TIMEOUT), f"only {len(sink.accepted)} of {total} arrived after the restart"
        for process in workers:
            finish(process)
        settled = json.loads(salama(env, "shell", "-c", SETTLE.format(message=message)))
    finally:
        for process in workers:
            stop(process)
        controller.stop()
    assert settled["counts"]["sent"] == total and sum(settled["counts"].values()) == total
    assert set(sink.accepted) == {f"<{key}@localhost>" for key in settled["keys"]}
    assert len(sink.order) == len(set(sink.order)) == total  # no Message-ID accepted twice
    assert 1 <= sum(sink.duplicates.values()) <= BATCH  # re-offered: at most the unrecorded batch


def test_a_worker_killed_mid_fan_out_loses_nobody_and_duplicates_nothing(database):
    crash_and_restart(database, "crash-embedded")


@pytest.fixture(scope="module")
def redis(database: dict[str, str]) -> Iterator[dict[str, str]]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (make system-tools installs it)")
    port = free_port()
    process = subprocess.Popen(  # noqa: S603  a local server for this test only
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis as redis_client

    client = redis_client.Redis(port=port, socket_connect_timeout=1)
    ready = threading.Event()
    for _ in range(100):
        try:
            client.ping()
            break
        except redis_client.ConnectionError:
            ready.wait(0.05)  # the server is starting; nothing to move a clock on
    else:
        process.kill()
        pytest.fail("redis-server did not start")
    yield {**database, "SALAMA_QUEUE": "celery", "CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/0"}
    process.terminate()
    process.wait(timeout=10)


def test_scale_mode_fans_out_through_celery(redis):
    sink = KillingSink(total=80, kill_at=10**9)
    controller = start(sink)
    # A lease long enough that a loaded machine does not make a healthy batch look lost.
    env = {**redis, "SALAMA_EMAIL_PORT": str(controller.port), "SALAMA_DELIVERY_LEASE_SECONDS": "30"}
    worker = start_worker(env)
    try:
        message = salama(env, "shell", "-c", PUBLISH.format(slug="celery-fan-out", count=80))
        assert sink.complete.wait(TIMEOUT), f"only {len(sink.accepted)} of 80 arrived"
        finish(worker)
        settled = json.loads(salama(env, "shell", "-c", SETTLE.format(message=message)))
    finally:
        stop(worker)
        controller.stop()
    assert settled["counts"]["sent"] == 80 and not sink.duplicates


def test_scale_mode_survives_a_killed_celery_worker(redis):
    crash_and_restart(redis, "crash-celery")
