"""A local SMTP sink on aiosmtpd, for tests, benchmarks and the demo mailbox (mailbox.py).

It records the `Message-ID` of every message it accepts and, like a relay that deduplicates by
Message-ID, acknowledges a second copy without accepting it again: `accepted` holds each
Message-ID once, `duplicates` counts the copies offered again. Faults can be injected per
recipient (a 4xx or 5xx answer to RCPT) and per message (slow DATA, a dropped connection).

It shares small machines with the sender it measures, so it is kept cheap: uvloop when
installed, and `LeanSMTP` (below). It advertises PIPELINING like a relay; `SinkHandler(
pipelining=False)` makes it a server without, for the tests of the command-by-command path.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import threading
import time
from collections import Counter, defaultdict, deque
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, Envelope, Session

MESSAGE_ID = b"\nmessage-id:"
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
# `<local@domain> PARAMS` with a dot-atom local part, an LDH domain and no comments: what any
# ordinary client sends. Anything else goes to aiosmtpd's full RFC 5322 parser.
PLAIN_ANGLE_ADDRESS = re.compile(
    rf"\s*<({_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>\s*([^()]*)", re.DOTALL
)


def message_id_of(content: bytes) -> str:
    """The Message-ID header of a message, found without parsing the whole message."""
    head = content[: content.find(b"\r\n\r\n") + 2 if b"\r\n\r\n" in content else len(content)]
    lowered = head.lower()
    start = lowered.find(MESSAGE_ID)
    if start < 0:
        return ""
    start += len(MESSAGE_ID)
    end = head.find(b"\r\n", start)
    return head[start:end].strip().decode("ascii", "replace")


class SinkHandler:
    def __init__(self, *, keep_content: bool = True, pipelining: bool = True) -> None:
        self.keep_content = keep_content
        # Advertise PIPELINING (RFC 2920), as relays do: aiosmtpd reads commands in order from a
        # buffered stream and answers them in order, which is all the extension asks of a server.
        self.pipelining = pipelining
        self.lock = threading.Lock()
        self.accepted: dict[str, tuple[str, bytes]] = {}  # Message-ID -> (recipient, content)
        self.order: list[str] = []
        self.duplicates: Counter[str] = Counter()
        self.rcpt_faults: dict[str, deque[str]] = defaultdict(deque)
        self.data_faults: deque[tuple[str, float]] = deque()
        self.first_accept_at: float | None = None
        self.peers: set[Any] = set()

    # -- fault injection -------------------------------------------------------------------
    def fail_rcpt(self, address: str, *replies: str) -> None:
        """Answer RCPT TO for `address` with these replies, one per attempt, then accept."""
        self.rcpt_faults[address.lower()].extend(replies)

    def slow_data(self, seconds: float) -> None:
        self.data_faults.append(("slow", seconds))

    def drop_data(self) -> None:
        self.data_faults.append(("drop", 0))

    # -- aiosmtpd hooks -----------------------------------------------------------------------
    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any) -> str:
        faults = self.rcpt_faults.get(address.lower())
        if faults:
            return faults.popleft()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_faults:
            kind, seconds = self.data_faults.popleft()
            if kind == "slow":
                await asyncio.sleep(seconds)
            else:
                server.transport.close()  # type: ignore[union-attr]
                return "421 closing"
        self.peers.add(session.peer)
        content = envelope.original_content or b""
        if isinstance(content, str):
            content = content.encode()
        msgid = message_id_of(content)
        with self.lock:
            if msgid and msgid in self.accepted:
                self.duplicates[msgid] += 1
                return "250 OK duplicate ignored"
            rcpt = envelope.rcpt_tos[0] if envelope.rcpt_tos else ""
            self.accepted[msgid] = (rcpt, content if self.keep_content else b"")
            self.order.append(msgid)
            if self.first_accept_at is None:
                self.first_accept_at = time.time()
        return "250 OK"


class LeanSMTP(SMTP):
    """aiosmtpd's server, answering the same, with two shortcuts for what ordinary clients send.

    In a profile of the sink, half of its CPU went to parsing plain `<a@b.example>` addresses
    with the email package's full header parser and to reading DATA line by line through
    several layers; on a small machine the sink shares the CPU with the sender it measures.
    """

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        plain = PLAIN_ANGLE_ADDRESS.fullmatch(arg) if arg else None
        if plain is None or (self.local_part_limit and len(plain[1].rpartition("@")[0]) > self.local_part_limit):
            return super()._getaddr(arg)
        return plain[1], plain[2]

    async def smtp_DATA(self, arg: str) -> None:
        if self._decode_data:
            return await super().smtp_DATA(arg)
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        if self.envelope is None or not self.envelope.rcpt_tos:
            return await self.push("503 Error: need RCPT command")
        if arg:
            return await self.push("501 Syntax: DATA")
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        refusal = await self._read_data()
        if refusal:
            self._set_post_data_state()
            return await self.push(refusal)
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push("250 OK" if status is MISSING else status)

    async def _read_data(self) -> str:
        """Read up to the lone dot into the envelope, undoing dot-stuffing (RFC 5321 4.5.2);
        the refusal when a line or the message is too long (read to its end all the same)."""
        reader, lines, size, refusal, partial = self._reader, [], 0, "", False
        limit = self.data_size_limit
        while self.transport is not None:
            try:
                line = await reader.readuntil(b"\r\n")
            except asyncio.CancelledError:
                self._writer.close()
                raise
            except asyncio.LimitOverrunError as overrun:
                refusal = refusal or "500 Line too long (see RFC5321 4.5.3.1.6)"
                await reader.read(overrun.consumed)
                partial = True
                continue
            if partial:  # the end of a line too long, already refused
                partial = False
                continue
            if line == b".\r\n":
                break
            size += len(line)
            if limit and size > limit:
                refusal = refusal or "552 Error: Too much mail data"
            elif len(line) > self.line_length_limit:
                refusal = refusal or "500 Line too long (see RFC5321 4.5.3.1.6)"
            if not refusal:
                lines.append(line[1:] if line[:1] == b"." else line)
        content = b"".join(lines)
        if self.envelope is not None:
            self.envelope.content = self.envelope.original_content = content
        return refusal


class SinkController(Controller):
    def factory(self) -> SMTP:
        return LeanSMTP(self.handler, **self.SMTP_kwargs)


def event_loop() -> asyncio.AbstractEventLoop:
    """uvloop when installed: it spends about a third less CPU per message than asyncio's own
    loop, which is what bounds the sink on a small machine (docs/delivery.md)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def start(handler: SinkHandler, port: int = 0) -> Controller:
    """Start the sink on 127.0.0.1 in a thread of its own; `.port` is where it listens."""
    controller = SinkController(handler, hostname="127.0.0.1", port=port, ready_timeout=10, loop=event_loop())
    if port == 0:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            controller.port = probe.getsockname()[1]
    controller.start()
    return controller


def serve_forever(report_path: str) -> None:
    """A sink process: prints its port, and on a line "report" on stdin writes its counts as JSON."""
    handler = SinkHandler(keep_content=False)
    controller = start(handler)
    sys.stdout.write(f"{controller.port}\n")
    sys.stdout.flush()
    for line in sys.stdin:
        with handler.lock:
            report = {
                "accepted": len(handler.accepted),
                "duplicates": sum(handler.duplicates.values()),
                "first_accept_at": handler.first_accept_at,
                "cpu_s": time.process_time(),
                "ids": list(handler.accepted) if line.strip() == "ids" else [],
            }
        with open(report_path, "w") as out:
            json.dump(report, out)
        sys.stdout.write("ok\n")
        sys.stdout.flush()
    controller.stop()


if __name__ == "__main__":
    serve_forever(sys.argv[1])
