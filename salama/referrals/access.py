"""The only way to fetch referrals: those of the cases the member may see (need to know follows
the case, `salama.cases.access.visible_cases`). Missing, another organisation's and outside a
person's need to know are all the same 404."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from salama.cases.access import visible_cases
from salama.cases.models import Case
from salama.directory.models import ProtectionActor
from salama.orgs.models import Membership

from .models import Referral, ReferralEvent

# What a person can ask to reveal on a referral: its encrypted text.
REVEALABLE = (
    "what_was_sent",
    "reply",
    "outcome_notes",
    "link_to_work",
    "domestic_remedies",
    "state_informed",
    "other_proceedings",
    "urgency",
    "requested_action",
    "grant_need",
)


@dataclass(frozen=True)
class ReferralFilters:
    status: str = ""
    actor: ProtectionActor | None = None
    overdue: bool = False


def overdue_q(today: Any = None) -> Q:
    """Awaiting a reply whose deadline has passed."""
    today = today or timezone.localdate()
    return Q(status__in=Referral.AWAITING_REPLY, reply_received_on__isnull=True, reply_due_on__lt=today)


def referrals_of(membership: Membership, filters: ReferralFilters | None = None) -> QuerySet[Referral]:
    filters = filters or ReferralFilters()
    queryset = Referral.objects.filter(
        organization_id=membership.organization_id, case__in=visible_cases(membership)
    ).select_related("case", "actor", "created_by")
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.actor is not None:
        queryset = queryset.filter(actor=filters.actor)
    if filters.overdue:
        queryset = queryset.filter(overdue_q())
    return queryset.order_by("-created_at", "pk")


def referrals_of_case(case: Case) -> QuerySet[Referral]:
    return (
        Referral.objects.filter(case=case, organization_id=case.organization_id)
        .select_related("actor", "created_by")
        .order_by("-created_at", "pk")
    )


def due_referrals_of_case(case: Case) -> QuerySet[Referral]:
    """Those still waiting for a reply that has a deadline, soonest first (for the case page)."""
    return (
        referrals_of_case(case)
        .filter(status__in=Referral.AWAITING_REPLY, reply_received_on__isnull=True, reply_due_on__isnull=False)
        .order_by("reply_due_on", "pk")
    )


def access_referral(membership: Membership, referral_id: Any) -> Referral:
    try:
        UUID(str(referral_id))
    except ValueError:
        raise Http404 from None
    referral = referrals_of(membership).filter(pk=referral_id).first()
    if referral is None:
        raise Http404
    return referral


def require_visible_referral(membership: Membership, referral: Referral) -> None:
    """Actions check need to know again, so no caller can act on a referral it may not see."""
    if not referrals_of(membership).filter(pk=referral.pk).exists():
        raise Http404


def events_of(referral: Referral) -> QuerySet[ReferralEvent]:
    return referral.events.select_related("by").order_by("at", "pk")


def actor_choices() -> QuerySet[ProtectionActor]:
    return ProtectionActor.objects.filter(active=True).order_by("name")


def access_actor(slug: str) -> ProtectionActor:
    actor = ProtectionActor.objects.filter(slug=slug, active=True).first()
    if actor is None:
        raise Http404
    return actor
