"""Subscribers, contact points, rules, the signed-link pages, the API, and what stays secret."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from salama.audiences import actions, freezing
from salama.audiences.models import ContactPoint, MemberOptOut, Subscriber
from salama.audit.models import AuditEntry
from salama.core.testing import bearer
from salama.delivery import engine
from salama.delivery.links import signed_link
from salama.delivery.models import Delivery, Suppression

pytestmark = pytest.mark.django_db

NAME = "Canary-Name-Qx81"
AFFILIATION = "Canary-Affiliation-Vb20"
ADDRESS = "canary.subscriber.k7@example.net"


def every_table() -> str:
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608
            dump.append(repr(cursor.fetchall()))
    return "\n".join(dump)


def send_to(cast: Any, audience: Any, text: str = "[[link:preferences]] [[link:unsubscribe]]") -> list[Delivery]:
    message = engine.create_message(cast.org_a, "alert", "1")
    version = engine.add_version(message, {"email": {"en": {"subject": "s", "text": text, "html": ""}}})
    engine.create_deliveries(version, freezing.recipients(audience))
    return list(Delivery.objects.filter(message=message))


def token_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


# -- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "address", "message"),
    [
        ("email", "not an address", "Enter a valid email address"),
        ("email", "someone@", "Enter a valid email address"),
        ("webhook", "ftp://partner.example.net/hook", "https:// address"),
        ("webhook", "https://user:pw@partner.example.net/hook", "https:// address"),
    ],
)
def test_invalid_addresses_are_refused_with_a_clear_message(
    lead: Any, channel: str, address: str, message: str
) -> None:
    subscriber = actions.do_create_subscriber(lead, kind="activist", display_name="Ana")
    with pytest.raises(ValidationError) as refused:
        actions.do_add_contact_point(lead, subscriber, channel=channel, address=address, consent_how="form")
    assert message in str(refused.value.message_dict["address"])
    assert not ContactPoint.objects.exists()


def test_webhooks_need_https_in_production(lead: Any, settings: Any) -> None:
    settings.PRODUCTION = True
    with pytest.raises(ValidationError):
        actions.clean_address("webhook", "http://partner.example.net/hook")
    assert actions.clean_address("webhook", "https://partner.example.net/hook")


def test_one_address_once_per_list(lead: Any, subscribe: Any) -> None:
    subscribe("Ana", "ana@example.net")
    other = actions.do_create_subscriber(lead, kind="activist", display_name="Ben")
    with pytest.raises(ValidationError, match="already on the list"):
        actions.do_add_contact_point(lead, other, channel="email", address="ANA@example.net", consent_how="form")


def test_form_shows_the_address_error(cast: Any, as_user: Any, lead: Any) -> None:
    subscriber = actions.do_create_subscriber(lead, kind="activist", display_name="Ana")
    url = reverse("audiences:contact_add", args=[cast.org_a.slug, subscriber.pk])
    response = as_user(cast.a_admin).post(
        url, {"channel": "email", "address": "nope", "consent_how": "form", "consent": "on"}
    )
    assert response.status_code == 400 and b"Enter a valid email address" in response.content


def test_verification_needs_a_reason_and_the_right_role(cast: Any, lead: Any) -> None:
    subscriber = actions.do_create_subscriber(lead, kind="activist", display_name="Ana")
    point = actions.do_add_contact_point(lead, subscriber, channel="email", address="a@example.net", consent_how="form")
    with pytest.raises(ValidationError):
        actions.do_verify_contact_point(lead, point, reason=" ")
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.do_verify_contact_point(cast.membership("a_coordinator"), point, reason="phone")


# -- verification by link ----------------------------------------------------------------------


def test_verification_link_is_sent_through_the_engine_and_confirms(cast: Any, lead: Any, subscribe: Any) -> None:
    _subscriber, point = subscribe("Ana", "ana@example.net", verified=False)
    actions.do_send_verification(lead, point)
    delivery = Delivery.objects.get(contact_ref=f"verify:{point.pk}")
    assert delivery.state == Delivery.State.PENDING
    token = actions.verification_token(point)
    url = reverse("audiences:verify", args=[token])
    client = Client()
    assert client.get(url).status_code == 200
    assert ContactPoint.objects.get(pk=point.pk).verified_at is None  # a GET (a link scanner) changes nothing
    assert client.post(url).status_code == 200
    assert ContactPoint.objects.get(pk=point.pk).verified_at is not None


def test_verification_link_for_an_old_address_does_not_verify_the_new_one(lead: Any, subscribe: Any) -> None:
    _subscriber, point = subscribe("Ana", "ana@example.net", verified=False)
    token = actions.verification_token(point)
    actions.do_update_contact_point(lead, point, address="ana2@example.net")
    response = Client().post(reverse("audiences:verify", args=[token]))
    assert b"This link is not valid" in response.content
    assert ContactPoint.objects.get(pk=point.pk).verified_at is None


# -- preferences and unsubscribe by signed link ------------------------------------------------


def test_preferences_link_works_without_signing_in(cast: Any, lead: Any, subscribe: Any) -> None:
    subscriber, _point = subscribe("Ana", "ana@example.net", languages=["en"])
    rule = actions.do_create_rule(lead, name="All", subscriber_kinds=["activist"])
    (delivery,) = send_to(cast, freezing.freeze(cast.org_a, rule, producer_kind="alert", producer_id="1"))
    link = signed_link("preferences", delivery.idempotency_key)
    client = Client()
    page = client.get(reverse("audiences:preferences", args=[token_of(link)]))
    assert page.status_code == 200 and b"Your preferences" in page.content
    saved = client.post(
        reverse("audiences:preferences", args=[token_of(link)]), {"languages": "es, en", "countries": ["CO"]}
    )
    assert saved.status_code == 200
    subscriber = Subscriber.objects.get(pk=subscriber.pk)
    assert subscriber.languages == ["es", "en"] and subscriber.countries == ["CO"]
    assert AuditEntry.objects.filter(action="subscriber.preferences_changed", actor=None).exists()


def test_a_tampered_or_foreign_link_reveals_nothing(cast: Any, lead: Any, subscribe: Any) -> None:
    subscribe("Ana", "ana@example.net")
    rule = actions.do_create_rule(lead, name="All", subscriber_kinds=["activist"])
    (delivery,) = send_to(cast, freezing.freeze(cast.org_a, rule, producer_kind="alert", producer_id="1"))
    good = token_of(signed_link("preferences", delivery.idempotency_key))
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    signed_for_nothing = token_of(signed_link("preferences", "0" * 64))
    wrong_purpose = token_of(signed_link("ack", delivery.idempotency_key))
    client = Client()
    answers = set()
    for token in (tampered, signed_for_nothing, wrong_purpose, "garbage"):
        for name in ("audiences:preferences", "audiences:unsubscribe"):
            response = client.get(reverse(name, args=[token]))
            assert response.status_code == 200 and b"This link is not valid" in response.content
            assert b"ana@example.net" not in response.content and b"Org A" not in response.content
            # The page's own URL (the language form's "next") and CSRF token aside.
            answers.add(re.sub(rb'value="[^"]*"', b"", response.content))
    assert len(answers) == 1  # the same answer whatever is wrong with the link


def test_unsubscribe_withdraws_consent_and_suppresses(cast: Any, lead: Any, subscribe: Any) -> None:
    _subscriber, point = subscribe("Ana", "ana@example.net")
    rule = actions.do_create_rule(lead, name="All", subscriber_kinds=["activist"])
    audience = freezing.freeze(cast.org_a, rule, producer_kind="alert", producer_id="1")
    (delivery,) = send_to(cast, audience)
    url = reverse("audiences:unsubscribe", args=[token_of(signed_link("unsubscribe", delivery.idempotency_key))])
    client = Client()
    assert client.get(url).status_code == 200
    assert ContactPoint.objects.get(pk=point.pk).consent_withdrawn_at is None  # a GET does nothing
    assert client.post(url).status_code == 200
    assert ContactPoint.objects.get(pk=point.pk).consent_withdrawn_at is not None
    key = actions.hashed_address(cast.org_a.pk, "email", "ana@example.net")
    assert Suppression.objects.filter(address_key=key, reason=Suppression.Reason.OPT_OUT).exists()
    assert list(freezing.recipients(audience)) == []
    # Added again later by an admin, the address stays suppressed: the opt-out wins.
    assert engine.suppressed_keys(cast.org_a.pk, "email", [key]) == {key}


def test_a_member_opts_out_through_the_link(cast: Any, lead: Any) -> None:
    rule = actions.do_create_rule(lead, name="B members", member_organizations=[cast.org_b])
    audience = freezing.freeze(cast.org_a, rule, producer_kind="alert", producer_id="1")
    deliveries = send_to(cast, audience)
    viewer = next(d for d in deliveries if d.contact_ref == freezing.member_ref(cast.b_viewer.pk))
    prefs = reverse("audiences:preferences", args=[token_of(signed_link("preferences", viewer.idempotency_key))])
    assert Client().get(prefs).status_code == 200
    url = reverse("audiences:unsubscribe", args=[token_of(signed_link("unsubscribe", viewer.idempotency_key))])
    assert Client().post(url).status_code == 200
    assert MemberOptOut.objects.filter(organization=cast.org_a, user=cast.b_viewer).exists()
    assert "b-viewer@example.org" not in {r.address for r in freezing.recipients(audience)}
    again = freezing.freeze(cast.org_a, rule, producer_kind="alert", producer_id="2")
    assert "b-viewer@example.org" not in {r.address for r in freezing.recipients(again)}


# -- admin pages -------------------------------------------------------------------------------


def test_admin_pages_without_javascript(cast: Any, as_user: Any) -> None:
    client = as_user(cast.a_coordinator)
    slug = cast.org_a.slug
    created = client.post(
        reverse("audiences:subscriber_create", args=[slug]),
        {"kind": "journalist", "display_name": "Ana", "affiliation": "Radio", "languages": "es, en"},
    )
    assert created.status_code == 302
    subscriber = Subscriber.objects.get()
    added = client.post(
        reverse("audiences:contact_add", args=[slug, subscriber.pk]),
        {"channel": "email", "address": "ana@example.net", "consent_how": "written", "consent": "on"},
    )
    assert added.status_code == 302
    detail = client.get(reverse("audiences:subscriber_detail", args=[slug, subscriber.pk]))
    assert b"ana@example.net" in detail.content
    assert AuditEntry.objects.filter(action="subscriber.viewed").exists()
    listing = client.get(reverse("audiences:subscribers", args=[slug]), {"kind": "journalist", "language": "es"})
    assert b"Ana" in listing.content
    listed = client.get(reverse("audiences:subscribers", args=[slug]), {"kind": "diplomat"}).content
    assert not re.search(rb"\bAna\b", listed)  # a word of its own: the menu's "Analysis" is not her
    found = client.post(reverse("audiences:subscribers", args=[slug]), {"address": "ANA@example.net"})
    assert b"Ana" in found.content
    missed = client.post(reverse("audiences:subscribers", args=[slug]), {"address": "nobody@example.net"})
    assert b"No subscriber matches" in missed.content
    rule = client.post(
        reverse("audiences:rule_create", args=[slug]),
        {"name": "Journalists", "subscriber_kinds": ["journalist"], "languages": "es"},
    )
    assert rule.status_code == 302
    preview = client.get(rule["Location"])
    assert b"0 recipients" in preview.content  # Ana's address is not verified yet
    assert b"ana@example.net" not in preview.content


# -- API ---------------------------------------------------------------------------------------


def test_api_crud_and_preview(cast: Any, subscribe: Any) -> None:
    client = Client()
    headers = bearer(cast.tokens["a_coordinator"])
    base = f"/api/v1/organizations/{cast.org_a.slug}"

    def call(method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body) if body is not None else ""
        return client.generic(method, base + path, data=data, content_type="application/json", **headers)

    made = call("POST", "/subscribers", {"kind": "diplomat", "display_name": "Amb", "languages": ["fr"]})
    assert made.status_code == 201, made.content
    sid = made.json()["id"]
    bad = call("POST", f"/subscribers/{sid}/contact-points", {"address": "nope", "consent_how": "form"})
    assert bad.status_code == 400 and "address" in bad.json()["error"]["fields"]
    point = call("POST", f"/subscribers/{sid}/contact-points", {"address": "amb@example.net", "consent_how": "form"})
    assert point.status_code == 201 and point.json()["verified_at"] is None
    assert call("POST", "/subscribers/search", {"address": "amb@example.net"}).json()[0]["id"] == sid
    assert call("PATCH", f"/subscribers/{sid}", {"countries": ["fr"]}).json()["countries"] == ["FR"]
    rule = call("POST", "/audience-rules", {"name": "Diplomats", "subscriber_kinds": ["diplomat"]})
    assert rule.status_code == 201
    assert call("GET", f"/audience-rules/{rule.json()['id']}/preview").json() == {
        "contact_points": 0,
        "members": 0,
        "total": 0,
    }
    verify = bearer(cast.tokens["a_admin"])
    pid = point.json()["id"]
    client.post(
        f"{base}/subscribers/{sid}/contact-points/{pid}/verify",
        json.dumps({"reason": "met in person"}),
        content_type="application/json",
        **verify,
    )
    assert call("GET", f"/audience-rules/{rule.json()['id']}/preview").json()["total"] == 1
    assert call("DELETE", f"/subscribers/{sid}").status_code == 204
    assert not ContactPoint.objects.exists()


# -- secrets -----------------------------------------------------------------------------------


def test_names_and_addresses_never_at_rest_in_clear_nor_in_logs(
    cast: Any, as_user: Any, lead: Any, caplog: Any
) -> None:
    with caplog.at_level(logging.DEBUG):
        subscriber = actions.do_create_subscriber(lead, kind="partner", display_name=NAME, affiliation=AFFILIATION)
        point = actions.do_add_contact_point(lead, subscriber, channel="email", address=ADDRESS, consent_how="form")
        actions.do_send_verification(lead, point)
        actions.do_verify_contact_point(lead, point, reason="phone")
        actions.do_update_subscriber(lead, subscriber, display_name=NAME + "-2")
        rule = actions.do_create_rule(lead, name="Partners", subscriber_kinds=["partner"])
        audience = freezing.freeze(cast.org_a, rule, producer_kind="alert", producer_id="1")
        (delivery,) = send_to(cast, audience)
        link = signed_link("unsubscribe", delivery.idempotency_key)
        Client().post(reverse("audiences:unsubscribe", args=[token_of(link)]))
        as_user(cast.a_admin).post(reverse("audiences:subscribers", args=[cast.org_a.slug]), {"address": ADDRESS})
    stored = every_table()
    audit = json.dumps(list(AuditEntry.objects.values()), default=str)
    for secret in (NAME, AFFILIATION, ADDRESS, "canary.subscriber"):
        assert secret not in stored, secret
        assert secret not in audit, secret
        assert secret not in caplog.text, secret
