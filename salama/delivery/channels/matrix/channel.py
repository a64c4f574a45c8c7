"""Matrix: one `m.room.message` per delivery, through the Client-Server API.

`PUT /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}` with the delivery's
idempotency key as the transaction id: a homeserver answers a repeated transaction id with the
event it already made, so a re-send after a crash adds nothing to the room and this channel
deduplicates (within the homeserver's transaction memory, which is per access token).

The address is the room id; the homeserver address and the access token come from the
recipient envelope's `extra` (sealed), set from the organisation's `MatrixRoom`. The standard
library's http.client is enough, as for webhooks; no redirects are followed.
"""

from __future__ import annotations

import html
import http.client
import json
import re
import ssl
import time
from urllib.parse import quote, urlsplit

from django.conf import settings

from .. import InvalidAddress, Item, Outcome, Result, substitute

# "!opaque:server.name": the room id, not an alias (#name:server), which can be repointed.
ROOM_ID = re.compile(r"^![^:\s/]+:[A-Za-z0-9.\-\[\]:]+$")
TIMEOUT_SECONDS = 10
# A short rate-limit wait is cheaper inline than a full engine backoff; longer ones go back to
# the engine, whose first retry comes after at least 15 s anyway.
INLINE_WAIT_MAX_MS = 3000
ERRCODE = re.compile(r"^M_[A-Z_]{1,40}$")


def formatted(body: str) -> str:
    """The plain text as Matrix HTML: escaped, line breaks kept; nothing of the text is markup."""
    return html.escape(body, quote=True).replace("\n", "<br>")


def message_content(text: str) -> dict[str, str]:
    return {
        "msgtype": "m.text",
        "body": text,
        "format": "org.matrix.custom.html",
        "formatted_body": formatted(text),
    }


def errcode(body: bytes) -> str:
    """The Matrix error code, when it looks like one; never anything else from the answer."""
    try:
        code = json.loads(body).get("errcode", "")
    except (ValueError, AttributeError):
        return ""
    return code if isinstance(code, str) and ERRCODE.match(code) else ""


def retry_after_ms(body: bytes) -> int | None:
    try:
        value = json.loads(body).get("retry_after_ms")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and value >= 0 else None


def classify(status: int, body: bytes) -> tuple[Outcome, str]:
    if 200 <= status < 300:
        return Outcome.SENT, ""
    label = f"matrix:{errcode(body) or status}"
    if status == 429 or status >= 500:
        return Outcome.TRANSIENT, label
    # M_FORBIDDEN (the bot left the room), M_UNKNOWN_TOKEN, M_NOT_FOUND: configuration to fix,
    # so failed, but the room is not suppressed: once fixed, "send again" works.
    return Outcome.PERMANENT, label


def _request(method: str, homeserver: str, path: str, body: bytes | None, token: str) -> tuple[int, bytes]:
    parts = urlsplit(homeserver)
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        context = ssl.create_default_context()
        conn = http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=TIMEOUT_SECONDS)
    headers = {
        "authorization": f"Bearer {token}",
        "content-type": "application/json",
        "user-agent": "Salama-Matrix",
    }
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(64 * 1024)
    finally:
        conn.close()


class MatrixChannel:
    name = "matrix"
    dedups = True

    def normalise(self, address: str) -> str:
        address = address.strip()
        if not ROOM_ID.match(address):
            raise InvalidAddress("not a Matrix room id")
        return address

    def send_batch(self, items: list[Item]) -> list[Result]:
        # A room per organisation: a handful of deliveries per alert, sent one after another.
        return [self.send_one(item) for item in items]

    def send_one(self, item: Item) -> Result:
        homeserver, token = item.extra.get("homeserver", ""), item.extra.get("token", "")
        if not homeserver or not token:
            return Result(item.delivery_id, Outcome.PERMANENT, "matrix:not_configured")
        scheme = urlsplit(homeserver).scheme
        if scheme not in ({"https"} if settings.PRODUCTION else {"https", "http"}):
            return Result(item.delivery_id, Outcome.PERMANENT, "matrix:insecure_homeserver")
        text = substitute(str(item.content.get("text", "")), item.greeting, item.links)
        body = json.dumps(message_content(text), ensure_ascii=False).encode()
        path = (
            urlsplit(homeserver).path.rstrip("/")
            + f"/_matrix/client/v3/rooms/{quote(item.address, safe='')}"
            + f"/send/m.room.message/{quote(item.idempotency_key, safe='')}"
        )
        outcome, code = self._attempt(homeserver, path, body, token)
        return Result(item.delivery_id, outcome, code)

    def _attempt(self, homeserver: str, path: str, body: bytes, token: str) -> tuple[Outcome, str]:
        """One PUT, and a second with the same transaction id after a short rate-limit wait."""
        for attempt in range(2):
            try:
                status, answer = self._put(homeserver, path, body, token)
            except (OSError, http.client.HTTPException, ValueError):
                return Outcome.TRANSIENT, "matrix:connection"
            wait = retry_after_ms(answer) if status == 429 else None
            if attempt == 0 and wait is not None and wait <= INLINE_WAIT_MAX_MS:
                time.sleep(wait / 1000)
                continue
            return classify(status, answer)
        return Outcome.TRANSIENT, "matrix:429"  # pragma: no cover  (the loop always returns)

    @staticmethod
    def _put(homeserver: str, path: str, body: bytes, token: str) -> tuple[int, bytes]:
        return _request("PUT", homeserver, path, body, token)

    def close(self) -> None:
        pass


class AliasNotResolved(Exception):
    """The homeserver did not turn the alias into a room id; `code` as in a delivery error."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def resolve_alias(homeserver: str, alias: str, token: str) -> str:
    """The room id an alias names now (`GET /_matrix/client/v3/directory/room/{alias}`).

    Called once when a person saves the room: messages then go to the room id, which nobody
    can repoint, as an alias can be."""
    parts = urlsplit(homeserver)
    path = parts.path.rstrip("/") + f"/_matrix/client/v3/directory/room/{quote(alias, safe='')}"
    try:
        status, body = _request("GET", homeserver, path, None, token)
    except (OSError, http.client.HTTPException, ValueError):
        raise AliasNotResolved("matrix:connection") from None
    if status != 200:
        raise AliasNotResolved(f"matrix:{errcode(body) or status}")
    try:
        room_id = json.loads(body).get("room_id", "")
    except (ValueError, AttributeError):
        room_id = ""
    if not isinstance(room_id, str) or not ROOM_ID.match(room_id):
        raise AliasNotResolved("matrix:bad_answer")
    return room_id
