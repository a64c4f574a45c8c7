"""The email channel against a real SMTP peer (aiosmtpd) with faults injected."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy
from typing import Any

from django.conf import settings

from salama.delivery import engine
from salama.delivery.links import read_token
from salama.delivery.models import Delivery, Suppression

from .conftest import people, publish, run_until_idle

State = Delivery.State


def parsed(sink: Any, address: str) -> email.message.EmailMessage:
    content = next(c for rcpt, c in sink.accepted.values() if rcpt == address)
    return email.message_from_bytes(content, policy=policy.default)  # type: ignore[return-value]


def test_a_message_has_text_and_html_the_greeting_and_a_signed_link_and_nothing_else(org, sink):
    message = publish(org, people(2))
    run_until_idle()
    row = Delivery.objects.get(
        message=message,
        state=State.SENT,
        sent_at__isnull=False,
        id=min(Delivery.objects.filter(message=message).values_list("id", flat=True)),
    )
    mail = parsed(sink, "p0@example.org")
    assert mail["Message-ID"] == f"<{row.idempotency_key}@localhost>"
    assert mail["Subject"] == "Urgent: act now"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Dear Person 0," in text and "<p>Dear Person 0</p>" in html
    link = next(word for word in text.split() if word.startswith(settings.SITE_URL))
    assert read_token("ack", link.rstrip("/").rsplit("/", 1)[1]) == row.idempotency_key
    assert "<img" not in html  # no tracking pixel
    assert "Person 1" not in text


def test_a_greeting_cannot_inject_html(org, sink):
    message = engine.create_message(org, "tests.alert", "1")
    version = engine.add_version(
        message, {"email": {"en": {"subject": "s", "text": "t", "html": "<p>[[greeting]]</p>"}}}
    )
    engine.create_deliveries(version, [engine.Recipient("email", "x@example.org", "en", greeting="<script>x</script>")])
    run_until_idle()
    assert "&lt;script&gt;" in parsed(sink, "x@example.org").get_body(("html",)).get_content()


def test_rcpt_errors_are_per_recipient_4xx_retried_5xx_suppressed(org, sink, clock):
    sink.fail_rcpt("p1@example.org", "451 4.7.1 try later")
    sink.fail_rcpt("p2@example.org", "550 5.1.1 no such user")
    message = publish(org, people(5))
    run_until_idle()
    states = {r.idempotency_key: r for r in Delivery.objects.filter(message=message)}
    assert engine.counts(message)["sent"] == 3
    failed = [r for r in states.values() if r.state == State.FAILED]
    retrying = [r for r in states.values() if r.state == State.PENDING]
    assert [r.last_error for r in failed] == ["smtp:rcpt:550"]
    assert [r.last_error for r in retrying] == ["smtp:rcpt:451"]
    assert Suppression.objects.filter(organization=org, channel="email", reason="bounce").count() == 1
    clock.shift(timedelta(seconds=settings.DELIVERY_RETRY_BASE_SECONDS + 1))
    run_until_idle()
    assert engine.counts(message)["sent"] == 4 and engine.counts(message)["failed"] == 1
    assert len(sink.accepted) == 4 and not sink.duplicates


def test_a_dropped_connection_is_retried_with_the_same_message_id(org, sink, clock):
    sink.drop_data()
    message = publish(org, people(3))
    run_until_idle()
    assert engine.counts(message)["sent"] == 2
    clock.shift(timedelta(seconds=settings.DELIVERY_RETRY_BASE_SECONDS + 1))
    run_until_idle()
    assert engine.counts(message)["sent"] == 3 and len(sink.accepted) == 3


def test_slow_data_past_the_timeout_is_retried_with_the_same_message_id(org, sink, clock, settings):
    settings.DELIVERY_SMTP_TIMEOUT = 0.2
    sink.slow_data(0.5)
    message = publish(org, people(1))
    run_until_idle()
    row = Delivery.objects.get(message=message)
    assert row.state == State.PENDING and row.last_error == "smtp:connection"
    clock.shift(timedelta(seconds=settings.DELIVERY_RETRY_BASE_SECONDS + 1))
    run_until_idle()
    row.refresh_from_db()
    assert row.state == State.SENT
    assert list(sink.accepted) == [f"<{row.idempotency_key}@localhost>"]


def test_an_unreachable_server_is_transient_for_every_recipient(org, sink, settings):
    settings.EMAIL_PORT = 1  # nothing listens there
    message = publish(org, people(3))
    run_until_idle()
    assert set(Delivery.objects.filter(message=message).values_list("state", "last_error")) == {
        (State.PENDING, "smtp:connect")
    }


def test_connections_are_reused(org, sink, settings):
    settings.DELIVERY_SMTP_CONNECTIONS = 1
    from .conftest import reset_default_channels

    reset_default_channels()
    publish(org, people(40))
    run_until_idle()
    assert len(sink.accepted) == 40
    assert len(sink.peers) == 1
