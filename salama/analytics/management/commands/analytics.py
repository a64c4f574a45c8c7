from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from salama.analytics.summary import rebuild_all


class Command(BaseCommand):
    help = (
        "The analysis: `analytics rebuild` rebuilds the monthly summary of every organisation from the "
        "incidents (after a restore, say). Safe to repeat."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("rebuild", help="rebuild the monthly summary from the incidents")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        started = time.perf_counter()
        organizations = rebuild_all()
        self.stdout.write(
            _("Monthly summary rebuilt for %(organizations)d organisations in %(seconds)s s.")
            % {"organizations": organizations, "seconds": f"{time.perf_counter() - started:.1f}"}
        )
