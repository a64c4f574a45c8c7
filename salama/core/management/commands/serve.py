from __future__ import annotations

import ipaddress
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from salama.core.jobs import EmbeddedWorkers
from salama.core.startup import load_and_set_aside
from salama.vocab.actions import load_default_vocabularies


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def start_demo_mailbox() -> int:
    if settings.SALAMA_QUEUE != "embedded":
        # The sink keeps mail in this process's memory, where only embedded workers send from.
        raise CommandError("The demo mailbox needs SALAMA_QUEUE=embedded.")
    from salama.delivery import mailbox

    return mailbox.start()


def stop_demo_mailbox() -> None:
    from salama.delivery import mailbox

    mailbox.stop()


def waitress_options() -> dict[str, Any]:
    """Bodies stay in memory both ways. Waitress spools a request body above `inbuf_overflow`
    (512 KB by default) and a response above `outbuf_overflow` (1 MB) to a temporary file: an
    uploaded piece of evidence, a downloaded original or an export would then sit on disk in
    clear. Requests are capped by MAX_REQUEST_BYTES anyway, and a response is already whole in
    memory as Django built it."""
    return {
        "ident": "Salama",
        "max_request_body_size": settings.MAX_REQUEST_BYTES,
        "inbuf_overflow": settings.MAX_REQUEST_BYTES + 1,
        "outbuf_overflow": sys.maxsize,
    }


class Command(BaseCommand):
    help = "Serve Salama with its embedded background workers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-migrate", action="store_true", help="do not apply pending migrations first")

    def handle(self, *args: Any, host: str, port: int, threads: int, no_migrate: bool, **options: Any) -> None:
        if not settings.PRODUCTION and not is_loopback(host):
            raise CommandError(
                "Development mode serves only on this machine. Set SALAMA_ENV=production "
                "(with SALAMA_SECRET_KEY and SALAMA_ALLOWED_HOSTS) to serve on other addresses."
            )
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
            load_default_vocabularies()  # idempotent: adds what a new release ships
        from waitress import serve

        from salama.wsgi import application

        if settings.DEMO_MODE:
            self.stdout.write(f"Demo mailbox: all mail goes to an SMTP sink on 127.0.0.1:{start_demo_mailbox()}")
        workers = None
        if settings.SALAMA_QUEUE == "embedded":
            workers = EmbeddedWorkers(settings.EMBEDDED_WORKERS)
            workers.start()
        proxy: dict[str, Any] = {}
        if settings.BEHIND_TLS_PROXY:
            # Trust the proxy's forwarded scheme and client address, so that HTTPS is detected
            # and sign-in throttling counts each client, not the proxy.
            proxy = {
                "trusted_proxy": settings.TRUSTED_PROXY,
                "trusted_proxy_count": settings.PROXY_COUNT,
                "trusted_proxy_headers": {"x-forwarded-proto", "x-forwarded-for"},
                "clear_untrusted_proxy_headers": True,
            }
        load_and_set_aside()
        self.stdout.write(f"Salama is serving on http://{host}:{port}/ (queue: {settings.SALAMA_QUEUE})")
        try:
            serve(application, host=host, port=port, threads=threads, **waitress_options(), **proxy)
        finally:
            if workers:
                workers.shutdown()
            if settings.DEMO_MODE:
                stop_demo_mailbox()
