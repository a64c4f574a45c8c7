"""One message to N email recipients through the delivery engine, into a local aiosmtpd sink.

Scale: SALAMA_BENCH_DELIVERY_RECIPIENTS (default 100000); `python -m benchmarks.bench_delivery N`
runs this benchmark alone.

Embedded mode, as `salama serve` runs it: one process, SQLite in a file (WAL), the embedded
worker threads woken on commit. The harness's own test database is SQLite in memory, which
cannot be shared by worker threads, so the measurement runs in a child process with its own
data folder; the sink runs in a third process, so that it does not share a GIL with the
sender. Publishing = creating the message and its version (one transaction), then the fan-out
of the frozen audience in committed batches (`commit_each_batch`), as an alert's fan-out job
would; workers start on the first batch.

Figures: time from publishing to every delivery recorded as sent; time from publishing to the
first message accepted by the sink; the fan-out (row creation) time on its own; and the
ceiling: a plain smtplib loop on one connection sending N prebuilt messages to the same sink,
with the ratio engine/ceiling in messages per second (above 1 means the engine, with its
connection pool, beats the plain loop).
"""

from __future__ import annotations

import json
import os
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RECIPIENTS = int(os.environ.get("SALAMA_BENCH_DELIVERY_RECIPIENTS", "100000"))
ROOT = Path(__file__).resolve().parent.parent


class Sink:
    """The aiosmtpd sink in its own process (salama.delivery.sink)."""

    def __init__(self, directory: str) -> None:
        self.report = Path(directory) / "sink.json"
        self.process = subprocess.Popen(  # noqa: S603  our own module
            [sys.executable, "-m", "salama.delivery.sink", str(self.report)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.process.stdin and self.process.stdout
        self.port = int(self.process.stdout.readline())

    def counts(self) -> dict[str, Any]:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write("report\n")
        self.process.stdin.flush()
        self.process.stdout.readline()
        return json.loads(self.report.read_text())

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


SINK = "aiosmtpd with salama.delivery.sink.LeanSMTP, uvloop event loop when installed, PIPELINING advertised"
TEXT = "Dear [[greeting]],\n\n" + "Please write to the authorities today.\n" * 20 + "[[link:ack]]\n"
CONTENT = {"subject": "Urgent action", "text": TEXT, "html": "<p>" + TEXT.replace("\n", "<br>") + "</p>"}


def ceiling(port: int, count: int) -> float:
    """Messages per second of a plain SMTP client loop on one connection, sending messages
    built beforehand by the email channel from the same content, so that the sink receives
    the same bytes per message as from the engine."""
    from salama.delivery.channels import Item
    from salama.delivery.channels.email.channel import build_message

    messages = [
        (
            f"r{n}@example.org",
            build_message(
                Item(n, f"ceiling{n:058d}", f"r{n}@example.org", f"Person {n}", "en", CONTENT, {"ack": "http://x/ack"}),
                "a@localhost",
                "localhost",
                "Wed, 25 Nov 2026 12:00:00 +0000",
            ),
        )
        for n in range(count)
    ]
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as conn:
        for rcpt, message in messages:
            conn.sendmail("a@localhost", [rcpt], message)
    return count / (time.perf_counter() - start)


def child(count: int, port: int) -> dict[str, Any]:
    """The engine in embedded mode; runs in its own process (see the module docstring)."""
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    if os.environ.get("BENCH_SWITCH"):
        # Shorter GIL hand-overs let the SMTP threads answer the sink sooner (docs/delivery.md).
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH"]))
    if settings.SALAMA_QUEUE != "celery":  # in scale mode the harness migrates before the workers start
        call_command("migrate", verbosity=0)
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    from salama.core.jobs import EmbeddedWorkers
    from salama.delivery import engine
    from salama.delivery.models import Delivery, Priority
    from salama.orgs.models import Organization

    org = Organization.objects.create(name="Bench", slug="bench", kind="network", country="KE", region="africa")
    recipients = (
        engine.Recipient("email", f"person{n}@example.org", "en", greeting=f"Person {n}") for n in range(count)
    )
    # Scale mode: the Celery workers are other processes, woken through the broker on commit.
    workers = EmbeddedWorkers(0 if settings.SALAMA_QUEUE == "celery" else settings.EMBEDDED_WORKERS)
    workers.start()
    published_at = time.time()
    start, cpu_start = time.perf_counter(), time.process_time()
    message = engine.create_message(org, "bench.alert", "1", priority=Priority.URGENT)
    version = engine.add_version(message, {"email": {"en": CONTENT}})
    engine.create_deliveries(version, recipients, commit_each_batch=True)
    fan_out = time.perf_counter() - start
    # Looking is itself work in this process: a few times a second is precise enough for a run
    # of minutes, and takes little from the workers.
    while Delivery.objects.filter(message=message, state__in=["pending", "sending"]).exists():
        time.sleep(0.2)
    total, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    workers.shutdown()
    return {
        "published_at": published_at,
        "fan_out_s": fan_out,
        "total_s": total,
        "cpu_s": cpu,
        "counts": engine.counts(message),
    }


def run() -> dict[str, float | int | str]:
    with tempfile.TemporaryDirectory(prefix="salama-bench-delivery-") as directory:
        sink = Sink(directory)
        load = os.getloadavg()[0]
        try:
            env = {**os.environ, "SALAMA_DATA_DIR": directory, "DJANGO_SETTINGS_MODULE": "salama.settings"}
            env.pop("DATABASE_URL", None)
            done = subprocess.run(  # noqa: S603  our own module
                [sys.executable, "-m", "benchmarks.bench_delivery", "--child", str(RECIPIENTS), str(sink.port)],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            engine = json.loads(done.stdout.strip().splitlines()[-1])
            received = sink.counts()
            engine["sink_cpu_s"] = received["cpu_s"]
            loop_rate = ceiling(sink.port, RECIPIENTS)
        finally:
            sink.stop()
    setup = {
        "gil_switch_interval_s": os.environ.get("BENCH_SWITCH", "default (0.005)"),
        "smtp_connections": os.environ.get("SALAMA_DELIVERY_SMTP_CONNECTIONS", "default (4)"),
        "database": "sqlite (file, WAL)",
        "sink": SINK,
        "load_average_at_start": f"{load:.2f}",
    }
    return outcome(RECIPIENTS, setup, engine, received, loop_rate)


def outcome(
    count: int, setup: dict[str, str], engine: dict[str, Any], received: dict[str, Any], loop_rate: float
) -> dict[str, float | int | str]:
    """The figures of a run, in the same terms for every mode."""
    rate = count / engine["total_s"]
    return {
        "recipients": count,
        **setup,
        "delivered": engine["counts"]["sent"],
        "accepted_by_sink": received["accepted"],
        "duplicates_offered": received["duplicates"],
        "fan_out_s": round(engine["fan_out_s"], 2),
        "all_delivered_s": round(engine["total_s"], 2),
        "first_accepted_s": round(received["first_accept_at"] - engine["published_at"], 3),
        "engine_messages_per_s": round(rate, 1),
        # CPU of the publishing and sending process(es) and of the sink, per message: on a small
        # machine their sum against the cores available is what bounds the rate.
        "engine_cpu_us_per_message": round(1e6 * engine["cpu_s"] / count) if "cpu_s" in engine else "not measured",
        "sink_cpu_us_per_message": round(1e6 * engine["sink_cpu_s"] / count) if "sink_cpu_s" in engine else "n/a",
        "plain_loop_messages_per_s": round(loop_rate, 1),
        "engine_to_plain_loop_ratio": round(rate / loop_rate, 2),
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(child(int(sys.argv[2]), int(sys.argv[3]))))
    else:
        if sys.argv[1:]:
            RECIPIENTS = int(sys.argv[1])
        from benchmarks.__main__ import RESULTS, machine, setup_django

        setup_django()

        figures = run()
        (RESULTS / "delivery.json").write_text(json.dumps({"machine": machine(), "figures": figures}, indent=2) + "\n")
        print(figures)
