"""The only way to fetch alerts and what hangs off them.

Every member of the organisation may see its alerts (`alerts.view`). What an alert links to is
still read through need to know: `linked_cases` lists only the cases the member may see, so an
alert never tells a caseworker about a case outside their team.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from salama.audiences.models import AudienceRule
from salama.cases.access import visible_cases
from salama.cases.models import Case
from salama.delivery.links import read_token
from salama.delivery.models import Delivery
from salama.orgs.models import Membership, Organization
from salama.vocab.access import access_vocabulary, terms_of
from salama.vocab.models import Term

from .models import Acknowledgement, ActionTaken, Alert, AlertTarget, AlertVersion

PRODUCER_KIND = "alerts.alert"
# What officials answered, coded so responses can be counted across alerts.
RESPONSES_VOCABULARY = "response-types"


def _uuid(value: Any) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise Http404 from None


def alerts_of(membership: Membership, state: str = "") -> QuerySet[Alert]:
    queryset = Alert.objects.filter(organization_id=membership.organization_id).select_related("original")
    if state:
        queryset = queryset.filter(state=state)
    return queryset.order_by("-created_at")


def access_alert(membership: Membership, alert_id: Any) -> Alert:
    """The alert, or 404 for a missing one and another organisation's alike."""
    alert = alerts_of(membership).filter(pk=_uuid(alert_id)).first()
    if alert is None:
        raise Http404
    return alert


def versions_of(alert: Alert) -> QuerySet[AlertVersion]:
    return AlertVersion.objects.filter(alert=alert, organization_id=alert.organization_id).order_by("language")


def version_in(alert: Alert, language: str) -> AlertVersion | None:
    return versions_of(alert).filter(language=language).first()


def targets_of(alert: Alert) -> QuerySet[AlertTarget]:
    return AlertTarget.objects.filter(alert=alert, organization_id=alert.organization_id).order_by("position", "id")


def access_target(alert: Alert, target_id: Any) -> AlertTarget:
    target = targets_of(alert).filter(pk=_uuid(target_id)).first()
    if target is None:
        raise Http404
    return target


def linked_cases(membership: Membership, alert: Alert) -> QuerySet[Case]:
    return visible_cases(membership).filter(alerts=alert).order_by("reference")


def actions_of(alert: Alert) -> QuerySet[ActionTaken]:
    return ActionTaken.objects.filter(alert=alert).select_related("target", "response", "member")


def acknowledgements_of(alert: Alert) -> QuerySet[Acknowledgement]:
    return Acknowledgement.objects.filter(alert=alert)


def deliveries_of(alert: Alert) -> QuerySet[Delivery]:
    if alert.message_id is None:
        return Delivery.objects.none()
    return Delivery.objects.filter(message_id=alert.message_id)


def delivery_for_link(token: str) -> tuple[Delivery, Alert] | None:
    """The delivery and alert a signed ack link was made for; None for anything else (a forged
    or foreign token, another producer's message, a deleted alert), so every bad link gets the
    same answer."""
    key = read_token("ack", token)
    if key is None:
        return None
    delivery = Delivery.objects.filter(idempotency_key=key).select_related("message").first()
    if delivery is None or delivery.message.producer_kind != PRODUCER_KIND:
        return None
    alert = Alert.objects.filter(pk=delivery.message.producer_id, message_id=delivery.message_id).first()
    if alert is None:
        return None
    return delivery, alert


def audience_rules_of(org: Organization) -> QuerySet[AudienceRule]:
    return AudienceRule.objects.filter(organization=org).order_by("name")


def response_terms() -> QuerySet[Term]:
    """The active response types; none when the vocabulary is not loaded yet."""
    try:
        return terms_of(access_vocabulary(RESPONSES_VOCABULARY))
    except Http404:
        return Term.objects.none()
