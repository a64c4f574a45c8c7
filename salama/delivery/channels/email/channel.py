"""Email over SMTP: a pool of kept-open connections, one message per recipient.

Each message is assembled from content rendered once per language: only the greeting and the
signed links are filled in per recipient. The `Message-ID` is derived from the delivery's
idempotency key, so a copy sent again after a crash carries the same id and a relay or mailbox
that deduplicates by Message-ID drops it. No tracking pixels, no rewritten links.

OpenPGP: when the recipient registered a public key (`Item.extra["openpgp_key"]`), the whole
MIME body (text and HTML parts) is encrypted to it and sent as PGP/MIME (RFC 3156). The real
subject travels inside, as a protected header; outside there is a neutral one. Only this step
is per recipient: the content is still rendered once per language. A key that fails is a
permanent failure of that delivery: nothing goes in clear to someone who asked for encryption.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.header import Header
from email.utils import formatdate
from functools import lru_cache

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from salama.crypto import normalise

from .. import InvalidAddress, Item, Outcome, Result, html_escape, substitute
from . import openpgp

FORBIDDEN = set(' \t\r\n<>,;"()[]\\')
IDLE_CHECK_SECONDS = 30
MIN_CHUNK = 20


class SMTPPool:
    """At most `size` connections, each used by one thread at a time and kept open between uses."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.slots = threading.BoundedSemaphore(size)
        self.lock = threading.Lock()
        self.idle: list[tuple[smtplib.SMTP, float]] = []

    def connect(self) -> smtplib.SMTP:
        conn = smtplib.SMTP(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=settings.DELIVERY_SMTP_TIMEOUT)
        conn.ehlo()
        if settings.EMAIL_USE_TLS:
            conn.starttls(context=ssl.create_default_context())
            conn.ehlo()
        if settings.EMAIL_HOST_USER:
            conn.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
        return conn

    def acquire(self) -> smtplib.SMTP:
        self.slots.acquire()
        try:
            while True:
                with self.lock:
                    conn, since = self.idle.pop() if self.idle else (None, 0.0)
                if conn is None:
                    return self.connect()
                # A connection idle for a while may have been closed by the server.
                if time.monotonic() - since < IDLE_CHECK_SECONDS or self._alive(conn):
                    return conn
                self._close(conn)
        except BaseException:
            self.slots.release()
            raise

    def release(self, conn: smtplib.SMTP, healthy: bool) -> None:
        if healthy and conn.sock is not None:
            with self.lock:
                self.idle.append((conn, time.monotonic()))
        else:
            self._close(conn)
        self.slots.release()

    def close(self) -> None:
        with self.lock:
            idle, self.idle = self.idle, []
        for conn, _since in idle:
            self._close(conn)

    @staticmethod
    def _alive(conn: smtplib.SMTP) -> bool:
        try:
            return conn.noop()[0] == 250
        except (OSError, smtplib.SMTPException):
            return False

    @staticmethod
    def _close(conn: smtplib.SMTP) -> None:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()


@lru_cache(maxsize=256)
def encoded_subject(subject: str) -> str:
    subject = " ".join(subject.split())  # no line breaks: they would start new headers
    return subject if subject.isascii() else Header(subject, "utf-8").encode()


@lru_cache(maxsize=64)
def neutral_subject(language: str) -> str:
    """The outer subject of an encrypted message: says nothing the envelope does not."""
    with translation.override(language):
        return encoded_subject(gettext("Urgent alert"))


def _base64_part(content_type: str, text: str, parameters: str = "", headers: str = "") -> str:
    body = base64.encodebytes(text.encode()).decode("ascii").replace("\n", "\r\n")
    return (
        f"Content-Type: {content_type}; charset=utf-8{parameters}\r\n{headers}"
        f"Content-Transfer-Encoding: base64\r\n\r\n{body}"
    )


def _headers(item: Item, sender: str, domain: str, date: str, subject: str) -> str:
    return (
        f"From: {sender}\r\nTo: {item.address}\r\nSubject: {subject}\r\n"
        f"Date: {date}\r\nMessage-ID: <{item.idempotency_key}@{domain}>\r\nContent-Language: {item.language}\r\n"
        "MIME-Version: 1.0\r\n"
    )


def _body(item: Item, parameters: str = "", headers: str = "") -> str:
    """The text and (when rendered) HTML alternatives as one MIME entity; `parameters` and
    `headers` go on its top part (the protected headers of an encrypted message)."""
    content = item.content
    text = substitute(str(content.get("text", "")), item.greeting, item.links)
    if not content.get("html"):
        return _base64_part("text/plain", text, parameters, headers)
    html = substitute(str(content["html"]), item.greeting, item.links, escape=html_escape)
    boundary = f"=_salama_{item.idempotency_key[:24]}"  # base64 lines never start with "--"
    return (
        f'Content-Type: multipart/alternative; boundary="{boundary}"{parameters}\r\n{headers}\r\n'
        f"--{boundary}\r\n{_base64_part('text/plain', text)}"
        f"--{boundary}\r\n{_base64_part('text/html', html)}"
        f"--{boundary}--\r\n"
    )


def build_message(item: Item, sender: str, domain: str, date: str) -> bytes:
    """One recipient's message: headers, then text and (when rendered) HTML alternatives."""
    subject = encoded_subject(str(item.content.get("subject", "")))
    return (_headers(item, sender, domain, date, subject) + _body(item)).encode()


def build_encrypted_message(item: Item, sender: str, domain: str, date: str) -> bytes:
    """PGP/MIME (RFC 3156) with protected headers (draft-autocrypt-lamps-protected-headers):
    the encrypted part is the body `build_message` would send, carrying the real subject."""
    subject = encoded_subject(str(item.content.get("subject", "")))
    protected = f"Subject: {subject}\r\nFrom: {sender}\r\nTo: {item.address}\r\n"
    inner = _body(item, '; protected-headers="v1"', protected)
    armoured = openpgp.encrypt(item.extra["openpgp_key"], inner.encode()).decode("ascii")
    encrypted = armoured.replace("\r\n", "\n").rstrip("\n").replace("\n", "\r\n")
    boundary = f"=_salama_pgp_{item.idempotency_key[:24]}"
    body = (
        f'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="{boundary}"\r\n\r\n'
        "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156).\r\n"
        f"--{boundary}\r\nContent-Type: application/pgp-encrypted\r\n"
        "Content-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n\r\n"
        f'--{boundary}\r\nContent-Type: application/octet-stream; name="encrypted.asc"\r\n'
        "Content-Description: OpenPGP encrypted message\r\n"
        'Content-Disposition: inline; filename="encrypted.asc"\r\n\r\n'
        f"{encrypted}\r\n"
        f"--{boundary}--\r\n"
    )
    return (_headers(item, sender, domain, date, neutral_subject(item.language)) + body).encode()


def classify(code: int, stage: str) -> Result:
    """4xx (and anything unknown) is worth retrying; 5xx is not. Only a refused recipient
    suppresses the address: a refused sender or message says nothing about the address."""
    label = f"smtp:{stage}:{code}"
    if 500 <= code < 600:
        return Result(0, Outcome.PERMANENT, label, suppress=stage == "rcpt")
    return Result(0, Outcome.TRANSIENT, label)


def encryption_failed(item: Item, failure: openpgp.EncryptionFailed) -> Result:
    """A key that no longer works is for a person to fix (permanent, the address not suppressed);
    GnuPG missing on this server is ours to fix, and is retried."""
    outcome = Outcome.TRANSIENT if failure.code == "openpgp:gnupg_unavailable" else Outcome.PERMANENT
    return Result(item.delivery_id, outcome, failure.code)


class EmailChannel:
    name = "email"
    dedups = True

    def __init__(self) -> None:
        self._pool: SMTPPool | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    @property
    def pool(self) -> SMTPPool:
        with self._lock:
            if self._pool is None:
                self._pool = SMTPPool(settings.DELIVERY_SMTP_CONNECTIONS)
                self._executor = ThreadPoolExecutor(self._pool.size, thread_name_prefix="salama-smtp")
            return self._pool

    def normalise(self, address: str) -> str:
        address = address.strip()
        local, _at, domain = address.rpartition("@")
        if not local or not domain or "." not in domain.strip(".") or FORBIDDEN & set(address):
            raise InvalidAddress("not an email address")
        if any(ord(c) < 32 or ord(c) == 127 for c in address):
            raise InvalidAddress("not an email address")
        return normalise(address, "email")

    @staticmethod
    def compose(item: Item, sender: str, domain: str, date: str) -> bytes:
        """The message as sent: encrypted when the recipient registered a key (EncryptionFailed
        otherwise, never a message in clear)."""
        if item.extra.get("openpgp_key"):
            return build_encrypted_message(item, sender, domain, date)
        return build_message(item, sender, domain, date)

    def send_batch(self, items: list[Item]) -> list[Result]:
        if not settings.EMAIL_HOST:
            return [Result(i.delivery_id, Outcome.TRANSIENT, "smtp:not_configured") for i in items]
        pool = self.pool
        parts = max(1, min(pool.size, len(items) // MIN_CHUNK))
        chunks = [items[n::parts] for n in range(parts)]
        if parts == 1:
            return self._send_chunk(chunks[0])
        if self._executor is None:
            raise RuntimeError("the SMTP pool was closed while sending")
        results: list[Result] = []
        for chunk_results in self._executor.map(self._send_chunk, chunks):
            results += chunk_results
        return results

    def _send_chunk(self, items: list[Item]) -> list[Result]:
        sender = settings.DELIVERY_EMAIL_FROM
        domain = sender.rpartition("@")[2] or "localhost"
        date = formatdate(usegmt=True)
        results: list[Result] = []
        conn: smtplib.SMTP | None = None
        for item in items:
            if conn is None:
                try:
                    conn = self.pool.acquire()
                except (OSError, smtplib.SMTPException):
                    rest = items[len(results) :]
                    return results + [Result(i.delivery_id, Outcome.TRANSIENT, "smtp:connect") for i in rest]
            try:
                message = self.compose(item, sender, domain, date)
            except openpgp.EncryptionFailed as failure:
                results.append(encryption_failed(item, failure))
                continue
            result, healthy = self._send_one(conn, sender, item, message)
            results.append(result)
            if not healthy:
                self.pool.release(conn, healthy=False)
                conn = None
        if conn is not None:
            self.pool.release(conn, healthy=True)
        return results

    @staticmethod
    def _send_one(conn: smtplib.SMTP, sender: str, item: Item, message: bytes) -> tuple[Result, bool]:
        """The result for one recipient, and whether the connection can be used again."""
        options = [] if item.address.isascii() else ["SMTPUTF8"]
        try:
            conn.sendmail(sender, [item.address], message, mail_options=options)
        except smtplib.SMTPRecipientsRefused as refused:
            code = next(iter(refused.recipients.values()))[0]
            verdict = classify(code, "rcpt")
        except smtplib.SMTPSenderRefused as refused:
            verdict = Result(0, Outcome.TRANSIENT, f"smtp:mail:{refused.smtp_code}")  # our problem, not theirs
        except smtplib.SMTPDataError as error:
            verdict = classify(error.smtp_code, "data")
        except smtplib.SMTPResponseException as error:
            verdict = classify(error.smtp_code, "smtp")
        except (OSError, smtplib.SMTPException):
            # A dropped or timed-out connection: whether the server kept the message is unknown,
            # and the same Message-ID goes out again on retry.
            return Result(item.delivery_id, Outcome.TRANSIENT, "smtp:connection"), False
        else:
            return Result(item.delivery_id, Outcome.SENT), True
        return Result(item.delivery_id, verdict.outcome, verdict.code, verdict.suppress), conn.sock is not None

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
