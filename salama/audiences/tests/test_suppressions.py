"""The suppression list, lifting a bounce with a written reason, and opt-outs and complaints
that only the person lifts: a subscriber through their signed preferences link, a member on
their own account page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from salama.audiences import actions, freezing
from salama.audiences.access import mask
from salama.audiences.models import ContactPoint, MemberOptOut
from salama.audit.models import AuditEntry
from salama.core.testing import bearer
from salama.delivery import engine
from salama.delivery.links import signed_link
from salama.delivery.models import Suppression

from .test_audiences import send_to, token_of

pytestmark = pytest.mark.django_db


def suppressions_url(cast: Any) -> str:
    return reverse("audiences:suppressions", kwargs={"org_slug": cast.org_a.slug})


def lift_url(cast: Any, suppression: Suppression) -> str:
    return reverse("audiences:suppression_lift", kwargs={"org_slug": cast.org_a.slug, "suppression_id": suppression.pk})


def suppression_of(cast: Any, address: str, channel: str = "email") -> Suppression:
    key = actions.hashed_address(cast.org_a.pk, channel, address)
    return Suppression.objects.get(organization=cast.org_a, channel=channel, address_key=key)


def unsubscribe(cast: Any, lead: Any, subscribe: Any, address: str) -> tuple[ContactPoint, str]:
    """Subscribe, send, and unsubscribe through the message's link; returns the preferences link."""
    _subscriber, point = subscribe("Ana", address)
    rule = actions.do_create_rule(lead, name=f"All {address}", subscriber_kinds=["activist"])
    (delivery,) = send_to(cast, freezing.freeze(cast.org_a, rule, producer_kind="alert", producer_id=address))
    Client().post(
        reverse("audiences:unsubscribe", args=[token_of(signed_link("unsubscribe", delivery.idempotency_key))])
    )
    return point, reverse(
        "audiences:preferences", args=[token_of(signed_link("preferences", delivery.idempotency_key))]
    )


@pytest.mark.parametrize(
    ("channel", "address", "masked"),
    [
        ("email", "ana.quintero@example.net", "a•••@example.net"),
        ("webhook", "https://partner.example.net/hooks/secret-path", "https://partner.example.net/•••"),
        ("email", "", "•••"),
    ],
)
def test_addresses_are_masked_to_a_first_letter_and_a_domain(channel, address, masked):
    assert mask(channel, address) == masked


def test_the_list_masks_addresses_filters_and_says_whose_they_are(cast, lead, subscribe, as_user):
    unsubscribe(cast, lead, subscribe, "ana.quintero@example.net")
    engine.suppress(cast.org_a, "email", "gone@example.org", Suppression.Reason.BOUNCE)
    page = as_user(cast.a_coordinator).get(suppressions_url(cast))
    body = page.content.decode()
    assert page.status_code == 200 and "a•••@example.net" in body and "ana.quintero" not in body
    assert "No longer on the list" in body and "Only the person can lift it" in body
    bounces = as_user(cast.a_coordinator).get(suppressions_url(cast), {"reason": "bounce"}).content.decode()
    assert "a•••@example.net" not in bounces and "Permanent failure" in bounces
    webhooks = as_user(cast.a_coordinator).get(suppressions_url(cast), {"channel": "webhook"})
    assert b"No suppressed address" in webhooks.content


def test_a_lead_lifts_a_bounce_with_a_written_reason_and_it_is_audited(cast, lead, as_user):
    engine.suppress(cast.org_a, "email", "full@example.org", Suppression.Reason.BOUNCE)
    bounce = suppression_of(cast, "full@example.org")
    client = as_user(cast.a_coordinator)
    refused = client.post(lift_url(cast, bounce), {"note": "  "})
    assert refused.status_code == 400 and Suppression.objects.filter(pk=bounce.pk).exists()
    assert client.post(lift_url(cast, bounce), {"note": "Mailbox emptied"}).status_code == 302
    assert not Suppression.objects.filter(pk=bounce.pk).exists()
    entry = AuditEntry.objects.get(action="suppression.lifted")
    assert entry.actor == cast.a_coordinator and entry.changes["note"] == {"old": None, "new": "Mailbox emptied"}
    assert entry.changes["cause"] == {"old": "bounce", "new": None}


@pytest.mark.parametrize("reason", [Suppression.Reason.OPT_OUT, Suppression.Reason.COMPLAINT])
def test_an_opt_out_or_a_complaint_is_never_lifted_by_a_lead(cast, lead, as_user, reason):
    engine.suppress(cast.org_a, "email", "no@example.org", reason)
    suppression = suppression_of(cast, "no@example.org")
    with pytest.raises(ValidationError, match="Only the person"):
        actions.do_lift_suppression(lead, suppression, note="They phoned us")
    response = as_user(cast.a_admin).post(lift_url(cast, suppression), {"note": "They phoned us"})
    assert response.status_code == 400 and b"Only the person" in response.content
    assert Suppression.objects.filter(pk=suppression.pk).exists()
    assert not AuditEntry.objects.filter(action="suppression.lifted").exists()


def test_a_subscriber_resubscribes_through_their_own_preferences_link(cast, lead, subscribe):
    point, preferences = unsubscribe(cast, lead, subscribe, "ana@example.net")
    page = Client().get(preferences)
    assert b"Receive messages again" in page.content
    assert Client().post(preferences, {"resubscribe": "1"}).status_code == 200
    point.refresh_from_db()
    assert point.consent_withdrawn_at is None and point.consent_how == ContactPoint.ConsentHow.LINK
    assert not Suppression.objects.filter(organization=cast.org_a).exists()
    entry = AuditEntry.objects.get(action="contact_point.resubscribed")
    assert entry.actor is None and entry.changes["suppression"] == {"old": ["opt_out"], "new": None}
    rule = actions.do_create_rule(lead, name="Again", subscriber_kinds=["activist"])
    audience = freezing.freeze(cast.org_a, rule, producer_kind="alert", producer_id="again")
    assert [r.address for r in freezing.recipients(audience)] == ["ana@example.net"]


def test_resubscribing_lifts_a_complaint_but_not_a_bounce(cast, lead, subscribe):
    point, _preferences = unsubscribe(cast, lead, subscribe, "ana@example.net")
    Suppression.objects.filter(organization=cast.org_a).update(reason=Suppression.Reason.COMPLAINT)
    actions.do_resubscribe(point)
    assert not Suppression.objects.exists()
    engine.suppress(cast.org_a, "email", "ana@example.net", Suppression.Reason.BOUNCE)
    actions.do_resubscribe(point)
    assert Suppression.objects.get().reason == Suppression.Reason.BOUNCE


def test_a_member_opts_back_in_on_their_own_account_page(cast, lead, as_user):
    actions.do_member_opt_out(cast.org_a, cast.b_viewer)
    opt_out = MemberOptOut.objects.get()
    leads_page = as_user(cast.a_coordinator).get(reverse("audiences:opt_outs", kwargs={"org_slug": cast.org_a.slug}))
    assert cast.b_viewer.display_name.encode() in leads_page.content
    listed = as_user(cast.a_coordinator).get(suppressions_url(cast)).content.decode()
    assert "Member of the network" in listed and mask("email", cast.b_viewer.email) in listed
    # Someone else cannot opt them back in.
    other = as_user(cast.a_viewer).post(reverse("audiences:own_opt_in", kwargs={"opt_out_id": opt_out.pk}))
    assert other.status_code == 404 and MemberOptOut.objects.exists()
    own = as_user(cast.b_viewer)
    assert cast.org_a.name.encode() in own.get(reverse("audiences:own_opt_outs")).content
    assert own.post(reverse("audiences:own_opt_in", kwargs={"opt_out_id": opt_out.pk})).status_code == 302
    assert not MemberOptOut.objects.exists() and not Suppression.objects.exists()
    assert AuditEntry.objects.get(action="member.opted_in").actor == cast.b_viewer


def test_the_api_lists_suppressions_masked_with_filters(cast, lead, subscribe, client):
    point, _preferences = unsubscribe(cast, lead, subscribe, "ana@example.net")
    engine.suppress(cast.org_a, "email", "gone@example.org", Suppression.Reason.BOUNCE)
    url = f"/api/v1/organizations/{cast.org_a.slug}/suppressions"
    answer = client.get(url, **bearer(cast.tokens["a_coordinator"])).json()
    assert answer["count"] == 2 and "ana@example.net" not in str(answer)
    opted = next(item for item in answer["items"] if item["reason"] == "opt_out")
    assert opted["address"] == "a•••@example.net" and opted["subscriber"] == str(point.subscriber_id)
    bounces = client.get(url, {"reason": "bounce"}, **bearer(cast.tokens["a_coordinator"])).json()
    assert [item["address"] for item in bounces["items"]] == [""]  # on no list: unnamed
    assert client.get(url, **bearer(cast.tokens["a_caseworker_team"])).status_code == 403
