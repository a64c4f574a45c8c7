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

import binascii
import re
import smtplib
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.header import Header
from email.utils import formatdate
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from salama.crypto import normalise

from .. import InvalidAddress, Item, Outcome, Result, html_escape, substitute
from . import openpgp

FORBIDDEN = set(' \t\r\n<>,;"()[]\\')
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
# An address the lean path may put between angle brackets as it is: printable ASCII without
# the characters `normalise` refuses. Anything else goes through smtplib's own quoting.
PLAIN_ADDRESS = re.compile(r"[!#-'*+\-./0-9=?A-Z^-~]+@[A-Za-z0-9.\-]+")
IDLE_CHECK_SECONDS = 30
MIN_CHUNK = 20
BASE64_LINE = 76
MAX_REPLY_LINE = 8192  # as smtplib reads replies


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


def _base64_lines(data: bytes) -> str:
    """Base64 in lines of 76 characters, each ending in CRLF (as base64.encodebytes, in one
    C call instead of one per line)."""
    if not data:
        return ""
    encoded = binascii.b2a_base64(data, newline=False).decode("ascii")
    return "\r\n".join([encoded[n : n + BASE64_LINE] for n in range(0, len(encoded), BASE64_LINE)]) + "\r\n"


def _base64_part(content_type: str, text: str, parameters: str = "", headers: str = "") -> str:
    body = _base64_lines(text.encode())
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


class Refused(Exception):
    """A reply other than the one expected, at one stage of the transaction."""

    def __init__(self, stage: str, code: int) -> None:
        super().__init__(stage, code)
        self.stage, self.code = stage, code


@lru_cache(maxsize=16)
def envelope_sender(sender: str) -> bytes:
    # The configured sender may carry a display name ("Salama <alerts@...>"): smtplib's quoting
    # keeps the address only. Once per sender, not per message.
    return smtplib.quoteaddr(sender).encode()


def envelope_commands(conn: smtplib.SMTP, sender: str, address: str, message: bytes) -> tuple[bytes, bytes]:
    """MAIL FROM (with SIZE when the server announced it) and RCPT TO, as sent."""
    mail = b"MAIL FROM:" + envelope_sender(sender)
    if conn.has_extn("size"):
        mail += b" size=%d" % len(message)
    return mail + b"\r\n", b"RCPT TO:<" + address.encode() + b">\r\n"


def stuffed(message: bytes) -> bytes:
    """The content as it goes after DATA, up to (not including) the final dot line: dot-stuffed
    (RFC 5321 4.5.2) and ending in CRLF. The message is built with CRLF line ends."""
    data = message.replace(b"\n.", b"\n..")
    if data[:1] == b".":
        data = b"." + data
    return data if data[-2:] == b"\r\n" else data + b"\r\n"


def refusal_result(delivery_id: int, stage: str, code: int) -> Result:
    """MAIL refused: transient (our configuration, not their address); RCPT and DATA: 4xx
    transient, 5xx permanent, and only a refused recipient suppresses the address."""
    if stage == "mail":
        return Result(delivery_id, Outcome.TRANSIENT, f"smtp:mail:{code}")
    verdict = classify(code, stage)
    return Result(delivery_id, verdict.outcome, verdict.code, verdict.suppress)


def lean_send(conn: smtplib.SMTP, sender: str, delivery_id: int, address: str, message: bytes) -> tuple[Result, bool]:
    """One SMTP transaction on smtplib's connection (its socket and reply reader), command by
    command, without the layers of `sendmail` that cost more than the exchange itself (address
    parsing, option lists, a regular expression over the message). For servers without
    PIPELINING; `Pipeline` below is the same transaction for those with it. Classification as
    in `refusal_result`; a refusal is followed by RSET (421 closes the connection instead); a
    dropped or timed-out connection is transient `smtp:connection` and the connection dropped.
    """
    mail, rcpt = envelope_commands(conn, sender, address, message)
    try:
        _expect(conn, "mail", mail, 250)
        _expect(conn, "rcpt", rcpt, 250, 251)
        _expect(conn, "data", b"DATA\r\n", 354)
        _expect(conn, "data", stuffed(message) + b".\r\n", 250)
    except Refused as refused:
        if refused.code == 421:
            conn.close()
        else:
            _reset(conn)
        return refusal_result(delivery_id, refused.stage, refused.code), conn.sock is not None
    except (OSError, smtplib.SMTPException):
        return Result(delivery_id, Outcome.TRANSIENT, "smtp:connection"), False
    return Result(delivery_id, Outcome.SENT), True


class Pipeline:
    """Transactions on one connection to a server that announced PIPELINING (RFC 2920): one
    round trip per message. Each write carries the previous message's content (sent once its
    DATA got 354: "the actual transfer of message content is explicitly allowed to be the first
    command in a group", 3.1), then this message's MAIL, RCPT and DATA; the replies come back
    in order. So a message's result is known one step later, and `finish` settles the last.

    Same classification as `lean_send`. A refused envelope is followed by RSET at the head of
    the next group; a 421 or a dropped connection ends the pipeline: the message whose content
    was sent is `smtp:connection` (retried later with the same Message-ID, which a deduplicating
    relay drops if it had kept it); the one whose envelope only was sent cannot have been
    accepted, and `send` says so (`retry`): the caller sends it again on a fresh connection.
    """

    def __init__(self, conn: smtplib.SMTP, sender: str) -> None:
        self.conn, self.sender = conn, sender
        self.waiting: tuple[int, bytes] | None = None  # delivery id and content, after its 354
        self.reset = False

    def send(self, delivery_id: int, address: str, message: bytes) -> Step:
        """The results settled by this step, whether the connection can be used again, and
        whether this message must be sent again elsewhere (its content never left)."""
        mail, rcpt = envelope_commands(self.conn, self.sender, address, message)
        done: list[Result] = []
        try:
            self._write_head(mail + rcpt + b"DATA\r\n")
            done += self._read_head()
            codes = (_reply_code(self.conn), _reply_code(self.conn), _reply_code(self.conn))
        except (OSError, smtplib.SMTPException):
            return Step(self._broken(done), healthy=False, retry=True)
        for stage, code, accepted in zip(("mail", "rcpt", "data"), codes, ((250,), (250, 251), (354,)), strict=True):
            if code in accepted:
                continue
            done.append(refusal_result(delivery_id, stage, code))
            if code == 421 or codes[2] == 354:
                # 421: the server is closing. 354 after a refused envelope: the server waits for
                # content that must not be sent. Either way this connection is done.
                self.conn.close()
                return Step(done, healthy=False)
            self.reset = True
            return Step(done, healthy=True)
        self.waiting = (delivery_id, stuffed(message))
        return Step(done, healthy=True)

    def finish(self) -> tuple[list[Result], bool]:
        """Settle the last message (and reset a refused envelope): the connection is then idle."""
        done: list[Result] = []
        try:
            self._write_head(b"")
            done += self._read_head()
        except (OSError, smtplib.SMTPException):
            return self._broken(done), False
        return done, self.conn.sock is not None

    def _write_head(self, rest: bytes) -> None:
        head = b"RSET\r\n" if self.reset else b""
        if self.waiting is not None:
            head += self.waiting[1] + b".\r\n"
        if head + rest:
            if self.conn.sock is None:
                raise smtplib.SMTPServerDisconnected("not connected")
            self.conn.sock.sendall(head + rest)

    def _read_head(self) -> list[Result]:
        if self.reset:
            self.reset = False
            if _reply_code(self.conn) != 250:
                raise smtplib.SMTPServerDisconnected("RSET refused")
        if self.waiting is None:
            return []
        delivery_id, _content = self.waiting
        code = _reply_code(self.conn)
        self.waiting = None
        if code == 250:
            return [Result(delivery_id, Outcome.SENT)]
        if code == 421:
            self.conn.close()
        return [refusal_result(delivery_id, "data", code)]

    def _broken(self, done: list[Result]) -> list[Result]:
        """The connection failed: the message whose content was sent may have been kept."""
        lost = [Result(self.waiting[0], Outcome.TRANSIENT, "smtp:connection")] if self.waiting is not None else []
        self.waiting, self.reset = None, False
        return done + lost


class Step(NamedTuple):
    done: list[Result]
    healthy: bool
    retry: bool = False


def _expect(conn: smtplib.SMTP, stage: str, command: bytes, *accepted: int) -> None:
    if conn.sock is None:
        raise smtplib.SMTPServerDisconnected("not connected")
    conn.sock.sendall(command)
    code = _reply_code(conn)
    if code not in accepted:
        raise Refused(stage, code)


def _reply_code(conn: smtplib.SMTP) -> int:
    """The code of the next reply (the last line of a multi-line one), as smtplib reads it."""
    if conn.file is None:
        conn.file = conn.sock.makefile("rb")  # type: ignore[union-attr]
    while True:
        line = conn.file.readline(MAX_REPLY_LINE + 1)
        if not line:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        if len(line) > MAX_REPLY_LINE:
            raise smtplib.SMTPResponseException(500, "Line too long.")
        if line[3:4] != b"-":
            try:
                return int(line[:3])
            except ValueError:
                return -1


def _reset(conn: smtplib.SMTP) -> None:
    try:
        conn.rset()
    except (OSError, smtplib.SMTPException):
        conn.close()


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
        if CONTROL_CHARACTER.search(address):
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
        pipeline: Pipeline | None = None
        for index, item in enumerate(items):
            try:
                message = self.compose(item, sender, domain, date)
            except openpgp.EncryptionFailed as failure:
                results.append(encryption_failed(item, failure))
                continue
            address = item.address.strip()
            for _attempt in range(2):  # again on a fresh connection when the content never left
                if conn is None:
                    try:
                        conn = self.pool.acquire()
                    except (OSError, smtplib.SMTPException):
                        rest = items[index:]
                        return results + [Result(i.delivery_id, Outcome.TRANSIENT, "smtp:connect") for i in rest]
                    pipelining = conn.does_esmtp and conn.has_extn("pipelining")
                    pipeline = Pipeline(conn, sender) if pipelining else None
                step = self._deliver(conn, pipeline, sender, item, address, message)
                results += step.done
                if not step.healthy:
                    self.pool.release(conn, healthy=False)
                    conn = pipeline = None
                if not step.retry:
                    break
            else:
                results.append(Result(item.delivery_id, Outcome.TRANSIENT, "smtp:connection"))
        if conn is not None:
            done, healthy = pipeline.finish() if pipeline is not None else ([], True)
            results += done
            self.pool.release(conn, healthy=healthy)
        return results

    def _deliver(
        self, conn: smtplib.SMTP, pipeline: Pipeline | None, sender: str, item: Item, address: str, message: bytes
    ) -> Step:
        if pipeline is not None and PLAIN_ADDRESS.fullmatch(address):
            return pipeline.send(item.delivery_id, address, message)
        # An address smtplib must quote (SMTPUTF8), or no PIPELINING: the pipeline is settled first.
        done, healthy = pipeline.finish() if pipeline is not None else ([], True)
        if not healthy:
            return Step(done, healthy=False, retry=True)
        result, healthy = self._send_one(conn, sender, item, message)
        return Step([*done, result], healthy)

    @staticmethod
    def _send_one(conn: smtplib.SMTP, sender: str, item: Item, message: bytes) -> tuple[Result, bool]:
        """The result for one recipient, and whether the connection can be used again."""
        address = item.address.strip()
        if PLAIN_ADDRESS.fullmatch(address) and conn.does_esmtp:
            return lean_send(conn, sender, item.delivery_id, address, message)
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
