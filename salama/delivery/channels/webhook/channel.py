"""Webhooks for partner systems, following the Standard Webhooks specification.

Headers: `webhook-id` (the delivery's idempotency key, which receivers use to drop copies, so
this channel deduplicates), `webhook-timestamp` (Unix seconds) and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed by the endpoint's `whsec_`
secret, which travels sealed in the delivery's recipient envelope as `extra["secret"]`).

The standard library's http.client is enough: one POST per delivery, no redirects followed
(a redirect could point the payload anywhere), bounded concurrency.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from django.conf import settings

from .. import InvalidAddress, Item, Outcome, Result, substitute

SECRET_PREFIX = "whsec_"  # noqa: S105  the prefix of every secret, not a secret
TRANSIENT_STATUSES = {408, 429}


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def _json_escape(value: str) -> str:
    return json.dumps(value)[1:-1]


def classify(status: int) -> Result:
    if 200 <= status < 300:
        return Result(0, Outcome.SENT)
    label = f"http:{status}"
    if status in TRANSIENT_STATUSES or status >= 500:
        return Result(0, Outcome.TRANSIENT, label)
    # 410 Gone is how a receiver says "stop sending here" in the specification.
    return Result(0, Outcome.PERMANENT, label, suppress=status == 410)


class WebhookChannel:
    name = "webhook"
    dedups = True

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None

    def normalise(self, address: str) -> str:
        parts = urlsplit(address.strip())
        allowed = {"https"} if settings.PRODUCTION else {"https", "http"}
        if parts.scheme not in allowed or not parts.hostname or parts.username or parts.password:
            raise InvalidAddress("not a webhook address")
        return address.strip()

    def send_batch(self, items: list[Item]) -> list[Result]:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(settings.DELIVERY_WEBHOOK_CONCURRENCY, thread_name_prefix="salama-hook")
        return list(self._executor.map(self.send_one, items))

    def send_one(self, item: Item) -> Result:
        secret = item.extra.get("secret", "")
        if not secret:
            return Result(item.delivery_id, Outcome.PERMANENT, "webhook:no_secret")
        payload = json.dumps(item.content.get("payload", {}), ensure_ascii=False, separators=(",", ":"))
        body = substitute(payload, item.greeting, item.links, escape=_json_escape).encode()
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": "Salama-Webhooks",
            "webhook-id": item.idempotency_key,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, item.idempotency_key, timestamp, body),
        }
        try:
            status = self._post(item.address, body, headers)
        except (OSError, http.client.HTTPException, ValueError):
            return Result(item.delivery_id, Outcome.TRANSIENT, "http:connection")
        verdict = classify(status)
        return Result(item.delivery_id, verdict.outcome, verdict.code, verdict.suppress)

    @staticmethod
    def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
        parts = urlsplit(url)
        timeout = settings.DELIVERY_WEBHOOK_TIMEOUT
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(
                parts.hostname or "", parts.port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
        try:
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read(64 * 1024)  # only the status matters; a bounded read keeps the socket tidy
            return response.status
        finally:
            conn.close()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None
