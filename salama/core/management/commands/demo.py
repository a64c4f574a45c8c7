from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from salama.core.demo import DEMO_PASSWORD, load_demo_network


class Command(BaseCommand):
    help = "Load the demo network (safe to repeat), print its logins, then serve."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="only load the network and print the logins")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, no_serve: bool, host: str, port: int, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("The demo network has published passwords: it never loads in production.")
        call_command("migrate", interactive=False, verbosity=0)
        logins = load_demo_network()
        out = self.stdout
        out.write("")
        out.write("Demo network loaded. Every demo account has the password:")
        out.write(f"    {DEMO_PASSWORD}")
        out.write("Sign in with an address below, then type one of its backup codes as the second factor")
        out.write("(each code works once; run the demo again for fresh ones).")
        out.write("")
        for login in logins:
            out.write(f"{login.email}")
            out.write(f"    {login.name}, {login.where}")
            out.write(f"    backup codes: {' '.join(login.backup_codes[:5])}")
        out.write("")
        if not no_serve:
            out.write(f"Open {site_url(host, port)}/ in your browser.")
            out.write("Mail the demo sends never leaves this computer: read it under Demo mailbox.")
            serve_as_demo(host, port)


def site_url(host: str, port: int) -> str:
    """An IPv6 address goes in brackets in a URL (RFC 3986)."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve_as_demo(host: str, port: int) -> None:
    settings.DEMO_MODE = True  # for this serving process only: the mailbox and its page
    if not os.environ.get("SALAMA_SITE_URL"):
        settings.SITE_URL = site_url(host, port)  # the demo mail's links lead back here
    call_command("serve", host=host, port=port, no_migrate=True)
