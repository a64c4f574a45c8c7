"""The demo mailbox: under `salama demo`, every message Salama sends lands in an SMTP sink inside
the web process instead of leaving the machine, and the "Demo mailbox" page shows it.

Messages stay in memory only: the demo's addresses are invented, and nothing sent in a demo
should outlive the process or sit on disk in clear. The workers that send must therefore run in
the same process (the embedded queue, which `salama demo` uses).
"""

from __future__ import annotations

import email
import logging
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import channels

_lock = threading.Lock()
_running: tuple[Any, Any] | None = None  # (SinkHandler, Controller) while the sink runs


def demo_mode() -> bool:
    return bool(settings.DEMO_MODE) and not settings.PRODUCTION


def start() -> int:
    """Start the sink on a free loopback port and send all mail to it; the port it took."""
    global _running
    if not demo_mode():
        raise ImproperlyConfigured("The demo mailbox runs only in demo mode, never in production.")
    from .sink import SinkHandler
    from .sink import start as start_sink

    # aiosmtpd logs each connection and its commands (recipients included) at INFO: personal
    # data that has no place in Salama's logs, demo or not.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    with _lock:
        if _running is None:
            handler = SinkHandler()
            _running = (handler, start_sink(handler))
        port = int(_running[1].port)
    _route_all_mail_to(port)
    return port


def stop() -> None:
    global _running
    with _lock:
        running, _running = _running, None
    if running is not None:
        running[1].stop()


def _route_all_mail_to(port: int) -> None:
    # Account mail (invitations, resets) too, so a newcomer sees everything the demo sends and
    # nothing reaches a configured relay with an invented address.
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    channel = channels.REGISTRY.pop("email", None)  # a pool opened earlier points elsewhere
    if channel is not None:
        channel.close()


@dataclass(frozen=True)
class Mail:
    number: int
    to: str
    subject: str
    date: Any
    text: str
    html: str


def _part(message: EmailMessage, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    return str(part.get_content()) if part is not None and part.get_content_type() == f"text/{kind}" else ""


def _date(message: EmailMessage) -> Any:
    try:
        return parsedate_to_datetime(str(message["Date"]))
    except (TypeError, ValueError):
        return None


def _parse(number: int, recipient: str, content: bytes) -> Mail:
    message: EmailMessage = email.message_from_bytes(content, policy=policy.default)  # type: ignore[assignment]
    return Mail(
        number=number,
        to=str(message["To"] or recipient),
        subject=str(message["Subject"] or ""),
        date=_date(message),
        text=_part(message, "plain"),
        html=_part(message, "html"),
    )


def _received() -> list[tuple[str, bytes]]:
    running = _running
    if running is None:
        return []
    handler = running[0]
    with handler.lock:
        return [handler.accepted[key] for key in handler.order]


def messages() -> list[Mail]:
    """Every message received, newest first."""
    received = _received()
    return [_parse(n, *received[n]) for n in reversed(range(len(received)))]


def message(number: int) -> Mail | None:
    received = _received()
    return _parse(number, *received[number]) if 0 <= number < len(received) else None
