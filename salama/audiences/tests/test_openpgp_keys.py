"""Registering an OpenPGP key on an email contact point: by a lead, through the API, or by the
subscriber on their signed preferences page; checked on save, refused with the reason."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from salama.audiences import actions, freezing
from salama.audiences.models import ContactPoint
from salama.audit.models import AuditEntry
from salama.core.testing import bearer
from salama.delivery.links import signed_link
from salama.delivery.models import Delivery
from salama.delivery.tests.openpgp_keys import KeyMaker

from .test_audiences import every_table, send_to, token_of

pytestmark = pytest.mark.django_db

ADDRESS = "ana@example.net"


def grouped(fingerprint: str) -> str:
    return " ".join(fingerprint[i : i + 4] for i in range(0, 40, 4))


def test_a_lead_registers_a_key_and_sees_its_fingerprint(
    cast: Any, as_user: Any, lead: Any, subscribe: Any, openpgp_keys: KeyMaker
) -> None:
    key = openpgp_keys.public_key(ADDRESS, name="Ana")
    subscriber, point = subscribe("Ana", ADDRESS)
    actions.do_update_contact_point(lead, point, openpgp_key=key)
    point = ContactPoint.objects.get(pk=point.pk)
    fingerprint = openpgp_keys.fingerprint(key)
    assert point.openpgp_fingerprint == fingerprint and "BEGIN PGP PUBLIC KEY BLOCK" in point.openpgp_key
    entry = AuditEntry.objects.filter(action="contact_point.updated").latest("pk")
    assert fingerprint not in json.dumps(entry.changes) and "openpgp_key" in json.dumps(entry.changes)
    page = as_user(cast.a_coordinator).get(
        reverse("audiences:subscriber_detail", args=[cast.org_a.slug, subscriber.pk])
    )
    assert grouped(fingerprint).encode() in page.content
    stored = every_table()
    assert fingerprint not in stored and fingerprint.lower() not in stored
    assert key.splitlines()[3] not in stored  # a line of the key's body


def test_the_add_form_takes_a_key_and_shows_a_refusal_on_its_field(
    cast: Any, as_user: Any, lead: Any, openpgp_keys: KeyMaker
) -> None:
    client = as_user(cast.a_coordinator)
    subscriber = actions.do_create_subscriber(lead, kind="activist", display_name="Ana", affiliation="")
    url = reverse("audiences:contact_add", args=[cast.org_a.slug, subscriber.pk])
    fields = {"channel": "email", "address": ADDRESS, "consent_how": "written", "consent": "on"}
    other = openpgp_keys.public_key("someone.else@example.net")
    refused = client.post(url, {**fields, "openpgp_key": other})
    assert refused.status_code == 400 and b"None of this key" in refused.content
    assert not ContactPoint.objects.exists()
    added = client.post(url, {**fields, "openpgp_key": openpgp_keys.public_key(ADDRESS, name="Ana")})
    assert added.status_code == 302
    assert ContactPoint.objects.get().openpgp_fingerprint


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("garbage", "not an ASCII-armoured OpenPGP public key"),
        ("damaged", "could not be read"),
        ("private", "This is a private key"),
        ("wrong_address", "None of this key's user ids is ana@example.net"),
        ("signing_only", "no valid encryption key"),
        ("revoked", "revoked"),
        ("expired", "This key expired on"),
    ],
)
def test_unusable_keys_are_refused_with_the_reason(
    lead: Any, subscribe: Any, openpgp_keys: KeyMaker, kind: str, reason: str
) -> None:
    _subscriber, point = subscribe("Ana", ADDRESS)
    good = openpgp_keys.public_key(ADDRESS, name="Ana")
    keys = {
        "garbage": "hello, this is my key",
        "damaged": "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nbm90IGEga2V5\n-----END PGP PUBLIC KEY BLOCK-----\n",
        "private": openpgp_keys.secret_key(good),
        "wrong_address": openpgp_keys.public_key("someone.else@example.net"),
        "signing_only": openpgp_keys.public_key(ADDRESS, encrypts=False),
        "revoked": openpgp_keys.revoked_public_key(ADDRESS),
        "expired": openpgp_keys.public_key(ADDRESS, expires="1d", name="Short-lived"),
    }
    with time_machine.travel(timezone.now() + timedelta(days=3), tick=False), pytest.raises(ValidationError) as refused:
        actions.do_update_contact_point(lead, point, openpgp_key=keys[kind])
    assert reason in " ".join(refused.value.message_dict["openpgp_key"])
    assert ContactPoint.objects.get(pk=point.pk).openpgp_key == ""


def test_a_webhook_cannot_have_a_key(lead: Any, subscribe: Any, openpgp_keys: KeyMaker) -> None:
    _subscriber, point = subscribe("Partner", "https://partner.example.net/hook", channel="webhook")
    with pytest.raises(ValidationError) as refused:
        actions.do_update_contact_point(lead, point, openpgp_key=openpgp_keys.public_key(ADDRESS, name="Ana"))
    assert "Only an email address" in refused.value.message_dict["openpgp_key"][0]


def test_a_new_address_must_match_the_key_kept(lead: Any, subscribe: Any, openpgp_keys: KeyMaker) -> None:
    _subscriber, point = subscribe("Ana", ADDRESS)
    actions.do_update_contact_point(lead, point, openpgp_key=openpgp_keys.public_key(ADDRESS, name="Ana"))
    with pytest.raises(ValidationError):
        actions.do_update_contact_point(lead, point, address="ana.new@example.net")
    assert ContactPoint.objects.get(pk=point.pk).address == ADDRESS
    new_key = openpgp_keys.public_key("ana.new@example.net", name="Ana")
    actions.do_update_contact_point(lead, point, address="ana.new@example.net", openpgp_key=new_key)
    point = ContactPoint.objects.get(pk=point.pk)
    assert point.address == "ana.new@example.net" and point.openpgp_fingerprint == openpgp_keys.fingerprint(new_key)
    actions.do_update_contact_point(lead, point, openpgp_key="")
    assert ContactPoint.objects.get(pk=point.pk).openpgp_fingerprint == ""


def test_the_api_registers_refuses_and_removes_a_key(cast: Any, openpgp_keys: KeyMaker) -> None:
    client = Client()
    headers = bearer(cast.tokens["a_coordinator"])
    base = f"/api/v1/organizations/{cast.org_a.slug}"

    def call(method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body) if body is not None else ""
        return client.generic(method, base + path, data=data, content_type="application/json", **headers)

    sid = call("POST", "/subscribers", {"display_name": "Ana"}).json()["id"]
    wrong = openpgp_keys.public_key("someone.else@example.net")
    bad = call(
        "POST", f"/subscribers/{sid}/contact-points", {"address": ADDRESS, "consent_how": "form", "openpgp_key": wrong}
    )
    assert bad.status_code == 400 and "openpgp_key" in bad.json()["error"]["fields"]
    key = openpgp_keys.public_key(ADDRESS, name="Ana")
    made = call(
        "POST", f"/subscribers/{sid}/contact-points", {"address": ADDRESS, "consent_how": "form", "openpgp_key": key}
    )
    assert made.status_code == 201 and made.json()["openpgp_fingerprint"] == openpgp_keys.fingerprint(key)
    pid = made.json()["id"]
    removed = call("PATCH", f"/subscribers/{sid}/contact-points/{pid}", {"openpgp_key": ""})
    assert removed.status_code == 200 and removed.json()["openpgp_fingerprint"] == ""


def test_the_subscriber_registers_their_key_on_the_preferences_page(
    cast: Any, lead: Any, subscribe: Any, openpgp_keys: KeyMaker
) -> None:
    _subscriber, point = subscribe("Ana", ADDRESS, languages=["en"])
    rule = actions.do_create_rule(lead, name="All", subscriber_kinds=["activist"])
    audience = freezing.freeze(cast.org_a, rule, producer_kind="alert", producer_id="1")
    (delivery,) = send_to(cast, audience)
    url = reverse("audiences:preferences", args=[token_of(signed_link("preferences", delivery.idempotency_key))])
    client = Client()
    assert b"Encryption (OpenPGP)" in client.get(url).content
    refused = client.post(url, {"openpgp_key": openpgp_keys.public_key("someone.else@example.net")})
    assert refused.status_code == 400 and b"None of this key" in refused.content
    key = openpgp_keys.public_key(ADDRESS, name="Ana")
    assert b"Your key is saved" in client.post(url, {"openpgp_key": key}).content
    assert grouped(openpgp_keys.fingerprint(key)).encode() in client.get(url).content
    assert AuditEntry.objects.filter(action="contact_point.updated", actor=None).exists()
    # The next message is made with the key, sealed in the delivery for the email channel.
    (recipient,) = freezing.recipients(audience)
    assert recipient.extra == {"openpgp_key": ContactPoint.objects.get(pk=point.pk).openpgp_key}
    assert Delivery.objects.count() == 1
