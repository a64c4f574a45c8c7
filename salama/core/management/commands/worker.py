from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from salama.core.jobs import SOURCES, beat, has_due_work, housekeeping_if_due, worker_loop, worker_name

log = logging.getLogger("salama.jobs")


def nudge_for_due_jobs(stop: threading.Event) -> None:
    """In scale mode, retries and expired leases fall due without any message being sent: look
    for them once a second, and report this worker machine as alive."""
    from salama.celery import run_jobs

    name = worker_name("celery")
    while not stop.wait(1.0):
        close_old_connections()
        try:
            beat(name, "celery")
            housekeeping_if_due()
            if has_due_work():
                run_jobs.delay()
            for source in SOURCES.values():
                if source.has_due_work():
                    source.wake_celery()
        except Exception:  # the database or broker is away for a moment: keep trying
            log.exception("worker %s: could not look for due work; trying again", name)


class Command(BaseCommand):
    help = "Run background workers: Celery in scale mode (SALAMA_QUEUE=celery), else a polling worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args: Any, concurrency: int, **options: Any) -> None:
        if settings.SALAMA_QUEUE == "celery":
            from salama.celery import app

            # Retries and leases fall due without anyone sending a message: nudge for them.
            threading.Thread(target=nudge_for_due_jobs, args=(threading.Event(),), daemon=True).start()
            app.worker_main(["worker", "--loglevel=INFO", f"--concurrency={concurrency}", "--prefetch-multiplier=1"])
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        threads = [
            threading.Thread(target=lambda i=i: worker_loop(worker_name(f"w{i}"), stop, mode="standalone"), daemon=True)
            for i in range(concurrency)
        ]
        for thread in threads:
            thread.start()
        self.stdout.write(f"{concurrency} workers running; Ctrl+C to stop.")
        while not stop.wait(1.0):
            pass
        for thread in threads:
            thread.join(timeout=10)
