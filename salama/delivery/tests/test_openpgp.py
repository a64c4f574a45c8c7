"""OpenPGP email: what reaches the SMTP peer is PGP/MIME that the recipient's private key opens,
with the real subject inside; a key that fails is a permanent failure, never a message in clear."""

from __future__ import annotations

import email
import logging
import tempfile
from email import policy
from email.message import EmailMessage
from typing import Any

from django.conf import settings

from salama.delivery import engine
from salama.delivery.channels.email import channel as email_channel
from salama.delivery.channels.email import openpgp
from salama.delivery.links import read_token
from salama.delivery.models import Delivery, Suppression

from .conftest import publish, run_until_idle
from .openpgp_keys import KeyMaker

State = Delivery.State
GREETING = "Canary-Greeting-Wm52"
SUBJECT = "Canary-Subject-Tz30: act now"
CONTENT = {
    "email": {
        "en": {
            "subject": SUBJECT,
            "text": "Dear [[greeting]],\nCanary-Text-Hv11.\n[[link:ack]]\n",
            "html": '<p>Dear [[greeting]]</p><p>Canary-Html-Rq64</p><a href="[[link:ack]]">ok</a>',
        },
        "fr": {"subject": "Canary-Sujet-Lp90", "text": "Bonjour [[greeting]], Canary-Texte-Nc47.", "html": ""},
    }
}
CANARIES = [GREETING, "Canary-Subject-Tz30", "Canary-Text-Hv11", "Canary-Html-Rq64", "Canary-Sujet-Lp90", "Nc47"]


def send(org: Any, *recipients: engine.Recipient) -> Any:
    message = engine.create_message(org, "tests.alert", "1")
    version = engine.add_version(message, CONTENT)
    engine.create_deliveries(version, list(recipients))
    run_until_idle()
    return message


def received(sink: Any, address: str) -> tuple[str, bytes]:
    return next((message_id, content) for message_id, (rcpt, content) in sink.accepted.items() if rcpt == address)


def opened(keys: KeyMaker, raw: bytes) -> tuple[EmailMessage, EmailMessage]:
    """The outer message, and the MIME entity inside its encrypted part."""
    outer = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(outer, EmailMessage)
    assert outer.get_content_type() == "multipart/encrypted"
    assert outer.get_param("protocol") == "application/pgp-encrypted"
    version_part, payload_part = outer.iter_parts()
    assert version_part.get_content_type() == "application/pgp-encrypted"
    assert version_part.get_payload(decode=True).strip() == b"Version: 1"
    assert payload_part.get_content_type() == "application/octet-stream"
    armoured = payload_part.get_payload(decode=True)
    assert armoured.startswith(b"-----BEGIN PGP MESSAGE-----")
    inner = email.message_from_bytes(keys.decrypt(armoured), policy=policy.default)
    assert isinstance(inner, EmailMessage)
    return outer, inner


def test_a_recipient_with_a_key_gets_pgp_mime_that_their_private_key_opens(org, sink, openpgp_keys):
    key = openpgp_keys.public_key("ana@example.org")
    message = send(org, engine.Recipient("email", "ana@example.org", "en", GREETING, extra={"openpgp_key": key}))
    row = Delivery.objects.get(message=message)
    assert row.state == State.SENT
    message_id, raw = received(sink, "ana@example.org")
    for canary in CANARIES:
        assert canary.encode() not in raw
    outer, inner = opened(openpgp_keys, raw)
    assert outer["Subject"] == "Urgent alert"
    assert outer["Message-ID"] == f"<{row.idempotency_key}@localhost>" == message_id
    assert outer["To"] == "ana@example.org"
    assert inner.get_content_type() == "multipart/alternative"
    assert inner.get_param("protected-headers") == "v1"
    assert inner["Subject"] == SUBJECT and inner["To"] == "ana@example.org"
    text = inner.get_body(("plain",)).get_content()
    html = inner.get_body(("html",)).get_content()
    assert f"Dear {GREETING}," in text and "Canary-Text-Hv11" in text
    assert f"<p>Dear {GREETING}</p>" in html and "Canary-Html-Rq64" in html
    link = next(word for word in text.split() if word.startswith(settings.SITE_URL))
    assert read_token("ack", link.rstrip("/").rsplit("/", 1)[1]) == row.idempotency_key


def test_a_text_only_message_is_encrypted_too_and_the_neutral_subject_is_translated(org, sink, openpgp_keys):
    key = openpgp_keys.public_key("bea@example.org")
    send(org, engine.Recipient("email", "bea@example.org", "fr", GREETING, extra={"openpgp_key": key}))
    _id, raw = received(sink, "bea@example.org")
    for canary in CANARIES:
        assert canary.encode() not in raw
    outer, inner = opened(openpgp_keys, raw)
    assert outer["Subject"] == email_channel.neutral_subject("fr")
    assert inner.get_content_type() == "text/plain" and inner.get_param("protected-headers") == "v1"
    assert inner["Subject"] == "Canary-Sujet-Lp90"
    assert inner.get_content() == f"Bonjour {GREETING}, Canary-Texte-Nc47."


def test_only_recipients_with_a_key_get_encrypted_mail(org, sink, openpgp_keys):
    key = openpgp_keys.public_key("ana@example.org")
    send(
        org,
        engine.Recipient("email", "ana@example.org", "en", "Ana", extra={"openpgp_key": key}),
        engine.Recipient("email", "carl@example.org", "en", "Carl"),
    )
    _id, clear = received(sink, "carl@example.org")
    assert b"Canary-Subject-Tz30" in clear and b"multipart/encrypted" not in clear
    _id, sealed = received(sink, "ana@example.org")
    assert b"multipart/encrypted" in sealed and b"Canary-Subject-Tz30" not in sealed


def test_a_key_that_cannot_encrypt_fails_that_delivery_for_good_and_sends_nothing_in_clear(org, sink, openpgp_keys):
    signing_only = openpgp_keys.public_key("dan@example.org", encrypts=False)
    message = send(
        org,
        engine.Recipient("email", "dan@example.org", "en", "Dan", extra={"openpgp_key": signing_only}),
        engine.Recipient("email", "eve@example.org", "en", "Eve", extra={"openpgp_key": "not a key"}),
        engine.Recipient("email", "carl@example.org", "en", "Carl"),
    )
    rows = {row.contact_ref or row.pk: row for row in Delivery.objects.filter(message=message)}
    failed = sorted(row.last_error for row in rows.values() if row.state == State.FAILED)
    assert failed == ["openpgp:unreadable_key", "openpgp:unusable_key"]
    assert [rcpt for rcpt, _content in sink.accepted.values()] == ["carl@example.org"]
    assert not Suppression.objects.exists()  # the address is fine: the key is for a person to renew


def test_gnupg_missing_is_retried_not_sent_in_clear(org, sink, openpgp_keys, monkeypatch):
    key = openpgp_keys.public_key("ana@example.org")

    def no_gnupg(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError("gpg not found")

    monkeypatch.setattr(openpgp.gnupg, "GPG", no_gnupg)
    message = send(org, engine.Recipient("email", "ana@example.org", "en", "Ana", extra={"openpgp_key": key}))
    row = Delivery.objects.get(message=message)
    assert row.state == State.PENDING and row.last_error == "openpgp:gnupg_unavailable"
    assert not sink.accepted


def test_gnupg_keeps_no_keyring_and_no_home_behind(org, sink, openpgp_keys):
    key = openpgp_keys.public_key("ana@example.org")
    send(org, engine.Recipient("email", "ana@example.org", "en", "Ana", extra={"openpgp_key": key}))
    root = openpgp.home_root()
    assert list(root.iterdir()) == []
    assert root.stat().st_mode & 0o777 == 0o700


def test_no_plaintext_in_a_temporary_file_or_a_log(org, sink, openpgp_keys, monkeypatch, caplog):
    key = openpgp_keys.public_key("ana@example.org")
    asked: list[str] = []
    monkeypatch.setattr(tempfile, "gettempdir", lambda: asked.append("str") or "/nonexistent")
    monkeypatch.setattr(tempfile, "gettempdirb", lambda: asked.append("bytes") or b"/nonexistent")
    with caplog.at_level(logging.DEBUG):
        send(org, engine.Recipient("email", "ana@example.org", "en", GREETING, extra={"openpgp_key": key}))
    assert Delivery.objects.get().state == State.SENT
    assert asked == []  # every tempfile without a named folder asks gettempdir
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")  # not the test sink's
    for secret in [*CANARIES, "ana@example.org", "-----BEGIN PGP PUBLIC KEY BLOCK-----"]:
        assert secret not in ours


def test_a_resend_after_a_crash_carries_the_same_message_id(org, sink, openpgp_keys):
    key = openpgp_keys.public_key("ana@example.org")
    recipient = engine.Recipient("email", "ana@example.org", "en", "Ana", extra={"openpgp_key": key})
    message = publish(org, [recipient])
    row = Delivery.objects.get(message=message)
    sink.accepted[f"<{row.idempotency_key}@localhost>"] = ("ana@example.org", b"an earlier copy")
    run_until_idle()
    assert sink.duplicates[f"<{row.idempotency_key}@localhost>"] == 1
    assert sink.accepted[f"<{row.idempotency_key}@localhost>"][1] == b"an earlier copy"
