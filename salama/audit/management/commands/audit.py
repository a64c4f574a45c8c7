from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from salama.audit.verify import verify_chain


def anchor(value: str) -> tuple[int, str]:
    match = re.fullmatch(r"(\d+):([0-9a-fA-F]{64})", value.strip())
    if match is None:
        raise ValueError(value)
    return int(match.group(1)), match.group(2).lower()


class Command(BaseCommand):
    help = (
        "The audit log: `audit verify [--anchor SEQUENCE:HASH]` checks the hash chain and exits "
        "non-zero at the first broken entry."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="recompute every hash and follow every link")
        verify.add_argument(
            "--anchor",
            type=anchor,
            help="SEQUENCE:HASH printed by an earlier run and kept elsewhere; that entry must still be there",
        )
        verify.add_argument("--batch", type=int, default=1000, help="entries read per query")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        result = verify_chain(anchor=options["anchor"], batch=max(1, options["batch"]))
        if not result.ok:
            raise CommandError(
                f"Audit chain broken at entry {result.broken_sequence}: {result.problem} ({result.detail}). "
                f"{result.count} entries before it verified."
            )
        if result.count == 0:
            self.stdout.write("OK: the audit log is empty.")
            return
        self.stdout.write(f"OK: {result.count} entries verified.")
        self.stdout.write(
            f"Anchor (keep it elsewhere; pass it back with --anchor): {result.last_sequence}:{result.last_hash}"
        )
