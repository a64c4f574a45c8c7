from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from salama.vocab.actions import do_import_huridocs, load_default_vocabularies
from salama.vocab.specs import ImportRefused, SyncReport


class Command(BaseCommand):
    help = (
        "Controlled vocabularies: `vocab load-defaults` loads Salama's own; `vocab import-huridocs PATH` "
        "imports the HURIDOCS micro-thesauri CSV. Both are safe to repeat."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("load-defaults", help="load or update Salama's default vocabularies")
        huridocs = sub.add_parser("import-huridocs", help="import or update the HURIDOCS micro-thesauri")
        huridocs.add_argument("path", help="the CSV file, e.g. huridocs_microthesauri.csv")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            report = do_import_huridocs(options["path"]) if action == "import-huridocs" else load_default_vocabularies()
        except ImportRefused as refusal:
            raise CommandError(str(refusal)) from None
        self._print(report)

    def _print(self, report: SyncReport) -> None:
        for warning in report.warnings:
            self.stderr.write(_("warning: %(warning)s") % {"warning": warning})
        self.stdout.write(
            _(
                "%(vocabularies)d vocabularies (%(vocabularies_created)d new, %(vocabularies_changed)d changed, "
                "%(vocabularies_unchanged)d unchanged); %(terms)d terms in the source: %(terms_created)d new, "
                "%(terms_changed)d changed, %(terms_retired)d retired, %(terms_restored)d restored. "
                "Took %(seconds)s s."
            )
            % {
                "vocabularies": report.vocabularies,
                "vocabularies_created": report.vocabularies_created,
                "vocabularies_changed": report.vocabularies_changed,
                "vocabularies_unchanged": report.vocabularies_unchanged,
                "terms": report.terms,
                "terms_created": report.terms_created,
                "terms_changed": report.terms_changed,
                "terms_retired": report.terms_retired,
                "terms_restored": report.terms_restored,
                "seconds": f"{report.seconds:.1f}",
            }
        )
