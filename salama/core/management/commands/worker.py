from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from salama.core.jobs import worker_loop, worker_name


def nudge_for_due_jobs() -> None:
    from django.utils import timezone

    from salama.celery import run_jobs
    from salama.core.models import Job

    while True:
        if Job.objects.filter(state=Job.State.PENDING, run_after__lte=timezone.now()).exists():
            run_jobs.delay()
        threading.Event().wait(1.0)


class Command(BaseCommand):
    help = "Run background workers: Celery in scale mode (SALAMA_QUEUE=celery), else a polling worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args: Any, concurrency: int, **options: Any) -> None:
        if settings.SALAMA_QUEUE == "celery":
            from salama.celery import app

            # Retries and leases fall due without anyone sending a message: nudge for them.
            threading.Thread(target=nudge_for_due_jobs, daemon=True).start()
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
