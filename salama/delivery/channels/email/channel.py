"""Email over SMTP: a pool of kept-open connections, one message per recipient.

Each message is assembled from content rendered once per language: only the greeting and the
signed links are filled in per recipient. The `Message-ID` is derived from the delivery's
idempotency key, so a copy sent again after a crash carries the same id and a relay or mailbox
that deduplicates by Message-ID drops it. No tracking pixels, no rewritten links.

OpenPGP: not built yet. The extension point is `EmailChannel.protect`, which receives the
finished MIME body of one recipient and may return a PGP/MIME body instead (RFC 3156) when the
recipient's contact point carries a key (in `Item.extra`).
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

from salama.crypto import normalise

from .. import InvalidAddress, Item, Outcome, Result, html_escape, substitute

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


def _base64_part(content_type: str, text: str) -> str:
    body = base64.encodebytes(text.encode()).decode("ascii").replace("\n", "\r\n")
    return f"Content-Type: {content_type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{body}"


def build_message(item: Item, sender: str, domain: str, date: str) -> bytes:
    """One recipient's message: headers, then text and (when rendered) HTML alternatives."""
    content = item.content
    text = substitute(str(content.get("text", "")), item.greeting, item.links)
    headers = (
        f"From: {sender}\r\nTo: {item.address}\r\nSubject: {encoded_subject(str(content.get('subject', '')))}\r\n"
        f"Date: {date}\r\nMessage-ID: <{item.idempotency_key}@{domain}>\r\nContent-Language: {item.language}\r\n"
        "MIME-Version: 1.0\r\n"
    )
    if not content.get("html"):
        return (headers + _base64_part("text/plain", text)).encode()
    html = substitute(str(content["html"]), item.greeting, item.links, escape=html_escape)
    boundary = f"=_salama_{item.idempotency_key[:24]}"  # base64 lines never start with "--"
    body = (
        f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\n{_base64_part('text/plain', text)}"
        f"--{boundary}\r\n{_base64_part('text/html', html)}"
        f"--{boundary}--\r\n"
    )
    return (headers + body).encode()


def classify(code: int, stage: str) -> Result:
    """4xx (and anything unknown) is worth retrying; 5xx is not. Only a refused recipient
    suppresses the address: a refused sender or message says nothing about the address."""
    label = f"smtp:{stage}:{code}"
    if 500 <= code < 600:
        return Result(0, Outcome.PERMANENT, label, suppress=stage == "rcpt")
    return Result(0, Outcome.TRANSIENT, label)


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

    def protect(self, item: Item, message: bytes) -> bytes:
        """Extension point for OpenPGP (see the module docstring); today the message as is."""
        return message

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
            message = self.protect(item, build_message(item, sender, domain, date))
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
