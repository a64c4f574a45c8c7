"""A fake Matrix homeserver on localhost: it deduplicates by transaction id as real homeservers
do, and resolves room aliases from its directory."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import pytest

ROOM = "!room:example.org"
TOKEN = "syt_bot_token"


class Homeserver(BaseHTTPRequestHandler):
    requests: list[tuple[str, str, dict[str, Any]]] = []  # (txn id, authorization, content)
    events: dict[str, str] = {}  # txn id -> event id: the homeserver's transaction memory
    answers: list[tuple[int, dict[str, Any]]] = []
    aliases: dict[str, str] = {}  # alias -> room id: the homeserver's room directory

    def do_GET(self) -> None:
        alias = unquote(self.path.rsplit("/", 1)[-1])
        known = self.path.startswith("/_matrix/client/v3/directory/room/") and alias in self.aliases
        status, answer = (200, {"room_id": self.aliases[alias]}) if known else (404, {"errcode": "M_NOT_FOUND"})
        self._answer(status, answer)

    def _answer(self, status: int, answer: dict[str, Any]) -> None:
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self) -> None:
        parts = self.path.split("/")
        room, txn = unquote(parts[-4]), unquote(parts[-1])
        content = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.requests.append((txn, self.headers["authorization"], content))
        status, answer = self.answers.pop(0) if self.answers else (200, {})
        if status == 200:
            answer = {"event_id": self.events.setdefault(txn, f"$event{len(self.events)}:{room.split(':')[1]}")}
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def homeserver() -> Iterator[str]:
    Homeserver.requests, Homeserver.events, Homeserver.answers, Homeserver.aliases = [], {}, [], {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Homeserver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
