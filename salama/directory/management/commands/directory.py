from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from salama.directory.actions import do_load_actors
from salama.directory.data import shipped_entries
from salama.directory.validation import actor_problems


class Command(BaseCommand):
    help = (
        "The protection directory: `directory load` loads the shipped data (salama/directory/data/actors.json). "
        "Safe to repeat; entries a platform operator edited are left as they are."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("load", help="load or update the shipped directory entries")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        problems = {entry["slug"]: actor_problems(entry) for entry in shipped_entries()}
        problems = {slug: found for slug, found in problems.items() if found}
        if problems:
            raise CommandError(_("The shipped directory data is not valid: %(problems)s") % {"problems": problems})
        report = do_load_actors()
        self.stdout.write(
            _("%(created)d new, %(updated)d updated, %(unchanged)d unchanged, %(kept)d kept as edited locally.")
            % {
                "created": len(report.created),
                "updated": len(report.updated),
                "unchanged": len(report.unchanged),
                "kept": len(report.kept_local),
            }
        )
        if report.kept_local:
            self.stdout.write(_("Kept: %(slugs)s") % {"slugs": ", ".join(report.kept_local)})
