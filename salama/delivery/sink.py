"""A local SMTP sink on aiosmtpd, for tests, benchmarks and the demo mailbox (mailbox.py).

It records the `Message-ID` of every message it accepts and, like a relay that deduplicates by
Message-ID, acknowledges a second copy without accepting it again: `accepted` holds each
Message-ID once, `duplicates` counts the copies offered again. Faults can be injected per
recipient (a 4xx or 5xx answer to RCPT) and per message (slow DATA, a dropped connection).
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from collections import Counter, defaultdict, deque
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

MESSAGE_ID = b"\nmessage-id:"


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
    def __init__(self, *, keep_content: bool = True) -> None:
        self.keep_content = keep_content
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
                import time

                self.first_accept_at = time.time()
        return "250 OK"


def start(handler: SinkHandler, port: int = 0) -> Controller:
    """Start the sink on 127.0.0.1 in a thread of its own; `.port` is where it listens."""
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10)
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
                "ids": list(handler.accepted) if line.strip() == "ids" else [],
            }
        with open(report_path, "w") as out:
            json.dump(report, out)
        sys.stdout.write("ok\n")
        sys.stdout.flush()
    controller.stop()


if __name__ == "__main__":
    serve_forever(sys.argv[1])
