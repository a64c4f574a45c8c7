"""The shortcuts on the sending path give the same bytes, tokens and verdicts as the general
code they stand in for: link signing, base64 bodies, placeholder filling, the lean SMTP
transaction (with and without PIPELINING), the fan-out's plain INSERT, and the sink's parser."""

from __future__ import annotations

import base64
import smtplib
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP as AiosmtpdSMTP
from django.core import signing
from hypothesis import given
from hypothesis import strategies as st

from salama.delivery import channels, engine, links
from salama.delivery.channels.email.channel import _base64_lines
from salama.delivery.models import Delivery, Suppression
from salama.delivery.sink import LeanSMTP, SinkHandler, message_id_of, start

from .conftest import people, publish, reset_default_channels, run_until_idle

State = Delivery.State
KEYS = st.text(alphabet=st.characters(codec="utf-8"), max_size=80)


@given(KEYS)
def test_link_tokens_are_those_of_djangos_signer(key):
    for purpose in links.PURPOSES:
        token = links.sign(purpose, key)
        assert token == signing.Signer(salt=f"salama.delivery.link.{purpose}").sign(key)
        assert links.read_token(purpose, token) == key


@given(st.binary(max_size=500))
def test_base64_lines_are_those_of_encodebytes_with_crlf(data):
    assert _base64_lines(data) == base64.encodebytes(data).decode("ascii").replace("\n", "\r\n")


@given(
    st.lists(st.sampled_from(["[[greeting]]", "[[link:ack]]", "[[link:unsubscribe]]", "[[other]]", "[[", "a <b>"])),
    st.text(max_size=10),
)
def test_placeholders_are_filled_as_the_regular_expression_did(parts, greeting):
    text = "".join(parts)
    links_ = {"ack": "https://x/ack?a=1&b=2"}

    def reference(match: Any) -> str:
        name = match.group(1)
        filled = greeting if name == "greeting" else links_.get(name.removeprefix("link:"), "")
        return channels.html_escape(filled)

    expected = channels.PLACEHOLDER.sub(reference, text)
    assert channels.substitute(text, greeting, links_, escape=channels.html_escape) == expected


class StrictSink(SinkHandler):
    """Refuses MAIL for one sender run and DATA for marked messages, on demand."""

    def __init__(self, *, pipelining: bool) -> None:
        super().__init__(pipelining=pipelining)
        self.refuse_mail: list[str] = []
        self.refuse_data_to: dict[str, str] = {}

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse_mail:
            return self.refuse_mail.pop()
        envelope.mail_from, envelope.mail_options = address, options
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        refusal = self.refuse_data_to.get(envelope.rcpt_tos[0]) if envelope.rcpt_tos else None
        if refusal:
            return refusal
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture(params=[True, False], ids=["pipelining", "one-by-one"])
def strict_sink(request: Any, settings: Any) -> Iterator[StrictSink]:
    handler = StrictSink(pipelining=request.param)
    controller = start(handler)
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER = False, ""
    settings.DELIVERY_EMAIL_FROM = "Salama alerts <alerts@salama.example>"
    reset_default_channels()
    yield handler
    reset_default_channels()
    controller.stop()


def test_every_refusal_is_classified_as_documented(org, strict_sink, clock):
    strict_sink.fail_rcpt("p1@example.org", "451 4.7.1 try later")
    strict_sink.fail_rcpt("p2@example.org", "550 5.1.1 no such user")
    strict_sink.refuse_data_to["p3@example.org"] = "554 5.6.0 content refused"
    strict_sink.refuse_data_to["p4@example.org"] = "452 4.3.1 out of space"
    message = publish(org, people(6))
    run_until_idle()
    outcome = {row.idempotency_key: (row.state, row.last_error) for row in Delivery.objects.filter(message=message)}
    assert sorted(outcome.values()) == sorted(
        [
            (State.SENT, ""),
            (State.SENT, ""),
            (State.PENDING, "smtp:rcpt:451"),
            (State.FAILED, "smtp:rcpt:550"),
            (State.FAILED, "smtp:data:554"),
            (State.PENDING, "smtp:data:452"),
        ]
    )
    # Only the refused recipient is suppressed; a refused message says nothing of the address.
    assert Suppression.objects.filter(organization=org, channel="email").count() == 1
    # The envelope sender is the address alone, whatever display name the setting carries.
    accepted = [message_id_of(content) for _rcpt, content in strict_sink.accepted.values()]
    assert len(accepted) == 2 and all(accepted)


def test_a_refused_sender_is_retried_and_the_connection_kept(org, strict_sink, clock):
    strict_sink.refuse_mail.append("451 4.3.0 sender rate limited")
    message = publish(org, people(3))
    run_until_idle()
    rows = list(Delivery.objects.filter(message=message))
    assert sorted(r.last_error for r in rows) == ["", "", "smtp:mail:451"]
    assert len(strict_sink.accepted) == 2 and len(strict_sink.peers) == 1


def test_dot_stuffed_lines_arrive_as_written(org, sink):
    text = ".first line starts with a dot\n..two dots\n.\nDear [[greeting]]"
    message = engine.create_message(org, "tests.alert", "1")
    version = engine.add_version(message, {"email": {"en": {"subject": "Dots", "text": text}}})
    engine.create_deliveries(version, people(1))
    run_until_idle()
    (_rcpt, content), *_ = sink.accepted.values()
    body = content.split(b"\r\n\r\n", 1)[1]
    assert base64.b64decode(body).decode() == text.replace("[[greeting]]", "Person 0")


def test_running_the_fan_out_again_inserts_nothing_and_keeps_suppressed_rows(org):
    engine.suppress(org, "email", "p1@example.org")
    message = engine.create_message(org, "tests.alert", "1")
    version = engine.add_version(message, {"email": {"en": {"subject": "S", "text": "T"}}})
    assert engine.create_deliveries(version, people(3)) == {"offered": 3, "invalid": 0}
    engine.create_deliveries(version, people(3))
    rows = Delivery.objects.filter(message=message)
    assert rows.count() == 3
    assert sorted(rows.values_list("state", "last_error")) == [
        (State.PENDING, ""),
        (State.PENDING, ""),
        (State.SUPPRESSED, "suppressed"),
    ]
    assert all(row.next_attempt_at and row.created_at and row.attempts == 0 for row in rows)


PLAIN_LOCAL = st.from_regex(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,10}(\.[A-Za-z0-9_-]{1,5}){0,2}", fullmatch=True)
PLAIN_DOMAIN = st.from_regex(r"[A-Za-z0-9-]{1,10}(\.[A-Za-z0-9-]{1,6}){0,2}", fullmatch=True)


@given(PLAIN_LOCAL, PLAIN_DOMAIN, st.sampled_from(["", " SIZE=100", "  BODY=8BITMIME SMTPUTF8"]))
def test_the_sinks_address_shortcut_agrees_with_aiosmtpd(local, domain, params):
    lean, full = LeanSMTP(SinkHandler()), AiosmtpdSMTP(SinkHandler())
    arg = f"<{local}@{domain}>{params}"
    assert lean._getaddr(arg) == full._getaddr(arg)


def test_the_sink_answers_odd_addresses_through_aiosmtpd():
    lean, full = LeanSMTP(SinkHandler()), AiosmtpdSMTP(SinkHandler())
    for arg in ['<"quoted local"@example.org>', "<a@b> (comment) SIZE=1", "<>", "plain@example.org", "<a..b@c>"]:
        assert lean._getaddr(arg) == full._getaddr(arg)


def test_the_sink_refuses_lines_and_messages_that_are_too_long():
    handler = SinkHandler()
    controller = start(handler)
    try:
        with smtplib.SMTP("127.0.0.1", controller.port) as client:
            with pytest.raises(smtplib.SMTPDataError) as long_line:
                client.sendmail(
                    "a@b.example", ["c@d.example"], b"Subject: a\r\nMessage-ID: <1@x>\r\n\r\n" + b"x" * 5000
                )
            assert long_line.value.smtp_code == 500
            client.sendmail("a@b.example", ["c@d.example"], b"Subject: b\r\nMessage-ID: <2@x>\r\n\r\nfine\r\n")
    finally:
        controller.stop()
    assert list(handler.accepted) == ["<2@x>"]
