"""The delivery benchmark in scale mode: PostgreSQL, Redis and two Celery workers.

Same alert as `bench_delivery` (one message to N email recipients into the local aiosmtpd sink),
but run as a scale-mode installation runs it (ARCHITECTURE.md section 5): a PostgreSQL server
and a Redis broker started here for the run, two `salama worker` processes (Celery, one
execution slot each, so two senders on this machine's two cores), and the publishing process
on its own, waking the workers through the broker as each fan-out batch commits.

Scale: SALAMA_BENCH_DELIVERY_RECIPIENTS (default 100000); `python -m benchmarks.bench_delivery_scale N`
runs this benchmark alone. Needs PostgreSQL's server programs (`initdb`, `pg_ctl`) and
`redis-server`; without them it reports why it did not run.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from benchmarks.bench_delivery import RECIPIENTS, ROOT, SINK, Sink, ceiling, outcome

WORKERS = 2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_bin() -> Path | None:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if versions:
        return versions[-1]
    found = shutil.which("pg_ctl")  # a link on the PATH leads to the folder with the other programs
    return Path(found).resolve().parent if found else None


def as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its programs as the postgres account then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def postgresql(directory: Path) -> Iterator[str]:
    pg_bin = postgres_bin()
    assert pg_bin is not None
    data = directory / "pg"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    port = free_port()
    quietly(as_postgres([str(pg_bin / "initdb"), "-D", str(data), "-U", "salama", "-A", "trust", "-E", "UTF8"]))
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c max_connections=100"
    pg_ctl = str(pg_bin / "pg_ctl")
    quietly(as_postgres([pg_ctl, "-D", str(data), "-l", str(data / "log"), "-w", "-o", options, "start"]))
    try:
        quietly(as_postgres([str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "salama", "salama"]))
        yield f"postgres://salama@127.0.0.1:{port}/salama"
    finally:
        quietly(as_postgres([pg_ctl, "-D", str(data), "-m", "fast", "stop"]), check=False)


def quietly(command: list[str], check: bool = True) -> None:
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=check)  # noqa: S603  servers for this run only


@contextmanager
def redis_server() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603  a broker for this run only
        [str(shutil.which("redis-server")), "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout
    for line in process.stdout:  # wait until it says it accepts connections
        if "Ready to accept connections" in line:
            break
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=30)


def salama(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  our own command
        [sys.executable, "-m", "salama.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )


def start_workers(env: dict[str, str], directory: Path) -> list[subprocess.Popen[bytes]]:
    workers = []
    for index in range(WORKERS):
        log = (directory / f"worker{index}.log").open("wb")
        workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "salama.cli", "worker", "--concurrency", "1"],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return workers


def wait_until_ready(directory: Path, timeout: float = 120.0) -> None:
    """Publish only once every worker consumes from the broker: the start-up is not delivery time."""
    deadline = time.monotonic() + timeout
    logs = [directory / f"worker{index}.log" for index in range(WORKERS)]
    while not all(" ready." in log.read_text(errors="replace") for log in logs):
        if time.monotonic() > deadline:
            raise RuntimeError("the Celery workers did not start; see their logs in " + str(directory))
        time.sleep(0.1)


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        with suppress(subprocess.TimeoutExpired):
            worker.wait(timeout=30)
            continue
        worker.kill()


def missing_tools() -> list[str]:
    wanted = {"PostgreSQL server (initdb, pg_ctl)": postgres_bin(), "redis-server": shutil.which("redis-server")}
    return [name for name, found in wanted.items() if not found]


def run() -> dict[str, float | int | str]:
    missing = missing_tools()
    if missing:
        return {"not_run": "missing " + ", ".join(missing)}
    with tempfile.TemporaryDirectory(prefix="salama-bench-scale-") as name:
        directory = Path(name)
        if os.geteuid() == 0:
            directory.chmod(0o755)  # the postgres account must reach its data folder inside
        with postgresql(directory) as database_url, redis_server() as broker_url:
            return measure(directory, database_url, broker_url)


def measure(directory: Path, database_url: str, broker_url: str) -> dict[str, float | int | str]:
    sink = Sink(str(directory))
    data_dir = directory / "data"
    data_dir.mkdir()
    env = {
        **os.environ,
        "SALAMA_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "salama.settings",
        "DATABASE_URL": database_url,
        "SALAMA_QUEUE": "celery",
        "CELERY_BROKER_URL": broker_url,
        "SALAMA_EMAIL_HOST": "127.0.0.1",
        "SALAMA_EMAIL_PORT": str(sink.port),
    }
    workers: list[subprocess.Popen[bytes]] = []
    try:
        salama(env, "migrate", "-v", "0")
        workers = start_workers(env, directory)
        wait_until_ready(directory)
        done = subprocess.run(  # noqa: S603  our own module
            [sys.executable, "-m", "benchmarks.bench_delivery", "--child", str(RECIPIENTS), str(sink.port)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        engine: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        received = sink.counts()
        engine.pop("cpu_s", None)  # the publishing process only: the sending is in the Celery workers
        engine["sink_cpu_s"] = received["cpu_s"]
        loop_rate = ceiling(sink.port, RECIPIENTS)
    finally:
        stop_workers(workers)
        sink.stop()
    setup = {
        "database": "postgresql (local server)",
        "queue": f"celery, redis broker, {WORKERS} workers x 1 slot",
        "sink": SINK,
    }
    return outcome(RECIPIENTS, setup, engine, received, loop_rate)


if __name__ == "__main__":
    if sys.argv[1:]:
        RECIPIENTS = int(sys.argv[1])
    from benchmarks.__main__ import RESULTS, machine, setup_django

    setup_django()
    figures = run()
    (RESULTS / "delivery_scale.json").write_text(
        json.dumps({"machine": machine(), "figures": figures}, indent=2) + "\n"
    )
    print(figures)
