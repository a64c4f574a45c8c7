from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from salama.core.jobs import housekeeping


class Command(BaseCommand):
    help = "Delete expired sessions, finished jobs older than a week and silent workers (workers also do this)."

    def handle(self, *args: Any, **options: Any) -> None:
        removed = housekeeping()
        self.stdout.write(", ".join(f"{count} {what}" for what, count in removed.items()) + " removed.")
