"""What an audience rule selects, as querysets the database evaluates set-wise.

Who (union): the members of the chosen organisations, and the subscribers of the chosen kinds.
Filters (intersection): each non-empty filter (countries, regions, sectors, languages) keeps the
subscribers with at least one of its values; a subscriber must pass every filter. The language
filter also applies to members, by their account language. See docs/audiences.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf

from salama.delivery.models import Suppression
from salama.orgs.models import Membership

from .models import AudienceRule, ContactPoint, Interest, MemberOptOut, Subscriber


def _not_suppressed(organization_id: Any) -> Q:
    suppressed = Suppression.objects.filter(
        organization_id=organization_id, channel=OuterRef("channel"), address_key=OuterRef("address_key")
    )
    return ~Q(Exists(suppressed))


def usable_contact_points(organization_id: Any) -> QuerySet[ContactPoint]:
    """Contact points a message may go to: active, verified, consented, consent not withdrawn,
    and not on the suppression list."""
    return ContactPoint.objects.filter(
        _not_suppressed(organization_id),
        organization_id=organization_id,
        active=True,
        verified_at__isnull=False,
        consent_given_at__isnull=False,
        consent_withdrawn_at__isnull=True,
    )


def matching_subscribers(organization_id: Any, rule: AudienceRule | None) -> QuerySet[Subscriber]:
    """No rule means the whole list: every subscriber of the organisation (a network alert)."""
    if rule is None:
        return Subscriber.objects.filter(organization_id=organization_id)
    if not rule.subscriber_kinds:
        return Subscriber.objects.none()
    queryset = Subscriber.objects.filter(organization_id=organization_id, kind__in=rule.subscriber_kinds)
    facets = ((Interest.Facet.LANGUAGE, rule.languages), (Interest.Facet.COUNTRY, rule.countries))
    for facet, codes in (*facets, (Interest.Facet.REGION, rule.regions)):
        if codes:
            queryset = queryset.filter(
                Exists(Interest.objects.filter(subscriber=OuterRef("pk"), facet=facet, code__in=codes))
            )
    sector_ids = list(rule.sectors.values_list("pk", flat=True)) if rule.pk else []
    if sector_ids:
        through = Subscriber.sectors.through.objects.filter(subscriber_id=OuterRef("pk"), term_id__in=sector_ids)
        queryset = queryset.filter(Exists(through))
    return queryset


def default_language() -> str:
    return settings.LANGUAGE_CODE.split("-")[0]


def matching_members(organization_id: Any, rule: AudienceRule | None) -> QuerySet[Any]:
    """The active accounts with a membership in the rule's organisations that have not opted
    out of this organisation's messages, annotated with the language to write to them in."""
    language = Coalesce(NullIf("language", Value("")), Value(default_language()))
    users = get_user_model().objects.annotate(audience_language=language)
    org_ids = list(rule.member_organizations.values_list("pk", flat=True)) if rule is not None and rule.pk else []
    if not org_ids:
        return users.none()
    memberships = Membership.objects.filter(user=OuterRef("pk"), organization_id__in=org_ids)
    opted_out = MemberOptOut.objects.filter(organization_id=organization_id, user=OuterRef("pk"))
    users = users.filter(Exists(memberships), ~Q(Exists(opted_out)), is_active=True)
    if rule is not None and rule.languages:
        users = users.filter(audience_language__in=rule.languages)
    return users


def rule_contact_points(
    organization_id: Any, rule: AudienceRule | None, extra_subscribers: Iterable[Any] = ()
) -> QuerySet[ContactPoint]:
    extra_ids = [getattr(s, "pk", s) for s in extra_subscribers]
    chosen = Q(subscriber__in=matching_subscribers(organization_id, rule).values("pk"))
    if extra_ids:
        chosen |= Q(subscriber_id__in=extra_ids)
    return usable_contact_points(organization_id).filter(chosen)


def preview_count(rule: AudienceRule) -> dict[str, int]:
    """How many would receive a message now: contact points and members, never who."""
    contacts = rule_contact_points(rule.organization_id, rule).count()
    members = matching_members(rule.organization_id, rule).count()
    return {"contact_points": contacts, "members": members, "total": contacts + members}
