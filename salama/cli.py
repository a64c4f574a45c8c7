"""The `salama` command: every manage.py command, plus serve, demo, worker, createadmin, token."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salama.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as problem:
        # One clear line saying what to set, not a traceback.
        sys.stderr.write(f"salama: configuration problem: {problem}\n")
        raise SystemExit(2) from None
    from django.core.management import execute_from_command_line

    execute_from_command_line(["salama", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
