from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from salama.core import keys


def progress_bar(what: str, done: int, total: int) -> None:
    width = 30
    filled = width * done // total if total else width
    end = "\n" if done >= total else ""
    sys.stderr.write(f"\r{what}: [{'#' * filled}{'.' * (width - filled)}] {done}/{total}{end}")
    sys.stderr.flush()


class Command(BaseCommand):
    help = (
        "Key rotation. `keys rotate` gives every organisation a new key and re-wraps its data keys; "
        "`--reencrypt` also re-seals every record under a new data key; `--root` first re-wraps "
        "everything under a new root key file. Interrupted runs can be started again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rotate = sub.add_parser("rotate", help="rotate keys")
        rotate.add_argument("--root", action="store_true", help="also replace the root key file")
        rotate.add_argument("--reencrypt", action="store_true", help="also re-encrypt every record")
        rotate.add_argument("--batch-size", type=int, default=500)
        sub.add_parser("status", help="show rotations left unfinished")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "status":
            pending = keys.key_store().pending_rotations()
            self.stdout.write("Unfinished rotations: " + (", ".join(pending) if pending else "none"))
            return
        if options["root"]:
            old = keys.rotate_root_key(progress_bar)
            self.stdout.write(
                f"New root key in place; the old one is at {old}. Restart every Salama process now, back up "
                "the new key, then delete the old one."
            )
        results = keys.rotate_org_keys(progress_bar, batch_size=options["batch_size"])
        self.stdout.write(f"Rotated the keys of {len(results)} organisations.")
        if options["reencrypt"]:
            count = keys.reencrypt_records(progress_bar, batch_size=options["batch_size"])
            self.stdout.write(f"Re-encrypted {count} records.")
