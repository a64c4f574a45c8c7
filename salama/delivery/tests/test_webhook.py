"""Webhooks: Standard Webhooks headers and signatures, checked by a verifier written from the
specification (independent of the signer), against a local HTTP server."""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.conf import settings

from salama.delivery import engine
from salama.delivery.engine import Recipient
from salama.delivery.models import Delivery, Suppression

from .conftest import CONTENT, run_until_idle

SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def verify(secret: str, headers: Any, body: bytes) -> bool:
    """Standard Webhooks, "Verifying webhooks": the signed content is id.timestamp.body, the key
    is the base64 part of the secret after `whsec_`, signatures are space separated `v1,<b64>`."""
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    key = base64.b64decode(secret.split("_", 1)[1])
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, "sha256").digest())
    for signature in headers["webhook-signature"].split(" "):
        version, _, value = signature.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected):
            return True
    return False


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[Any, bytes]] = []
    statuses: list[int] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        status = self.statuses.pop(0) if self.statuses else 204
        if status < 300:
            self.received.append((self.headers, body))
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received, Receiver.statuses = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks?x=1"
    server.shutdown()
    server.server_close()


def send_to(org: Any, url: str, count: int = 1) -> Any:
    message = engine.create_message(org, "tests.alert", "1")
    version = engine.add_version(message, {"webhook": CONTENT["webhook"]})
    recipients = [
        Recipient(
            "webhook", f"{url}&n={n}", "en", greeting="Partner", contact_ref=f"endpoint:{n}", extra={"secret": SECRET}
        )
        for n in range(count)
    ]
    engine.create_deliveries(version, recipients)
    return message


def test_signatures_verify_with_the_standard_webhooks_algorithm(org, receiver):
    message = send_to(org, receiver)
    run_until_idle()
    ((headers, body),) = Receiver.received
    row = Delivery.objects.get(message=message)
    assert headers["webhook-id"] == row.idempotency_key and row.state == Delivery.State.SENT
    assert verify(SECRET, headers, body)
    assert not verify("whsec_" + base64.b64encode(b"another secret").decode(), headers, body)
    assert not verify(SECRET, headers, body + b" ")
    payload = json.loads(body)
    assert payload["greeting"] == "Partner" and payload["ack"].startswith(settings.SITE_URL)


def test_statuses_are_classified(org, receiver, clock):
    Receiver.statuses = [503, 429, 400, 410]
    message = send_to(org, receiver, count=4)
    run_until_idle()
    rows = sorted(Delivery.objects.filter(message=message).values_list("state", "last_error"))
    assert rows == [("failed", "http:400"), ("failed", "http:410"), ("pending", "http:429"), ("pending", "http:503")]
    assert Suppression.objects.filter(channel="webhook").count() == 1  # 410 Gone only
    clock.shift(timedelta(seconds=settings.DELIVERY_RETRY_BASE_SECONDS + 1))
    run_until_idle()
    assert engine.counts(message)["sent"] == 2


def test_an_unreachable_endpoint_is_transient(org):
    message = send_to(org, "http://127.0.0.1:1/?a=1")
    run_until_idle()
    assert Delivery.objects.get(message=message).last_error == "http:connection"


def test_webhook_addresses_must_be_http(org):
    message = engine.create_message(org, "tests.alert", "1")
    version = engine.add_version(message, {"webhook": CONTENT["webhook"]})
    bad = [Recipient("webhook", url, "en") for url in ("ftp://x.org/", "file:///etc/passwd", "http://u:p@x.org/")]
    assert engine.create_deliveries(version, bad)["invalid"] == 3
