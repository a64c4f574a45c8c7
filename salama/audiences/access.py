"""The only way to fetch subscribers, contact points and audience rules.

The list belongs to the organisation that runs it; within it, the permission `audiences.view`
(admins and coordinators) is the whole of need to know: the route policies check it, these
helpers keep every query inside the member's organisation. Missing and another organisation's
are the same 404.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import Http404

from salama.delivery import channels
from salama.delivery.models import Delivery, Suppression
from salama.orgs.models import Membership, Organization

from .actions import hashed_address
from .freezing import CONTACT_PREFIX, MEMBER_PREFIX
from .models import AudienceRule, Channel, ContactPoint, Interest, MemberOptOut, Subscriber


@dataclass(frozen=True)
class SubscriberFilters:
    kind: str = ""
    country: str = ""
    region: str = ""
    language: str = ""


def _uuid(value: Any) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise Http404 from None


def _interest(facet: str, code: str) -> Exists:
    return Exists(Interest.objects.filter(subscriber=OuterRef("pk"), facet=facet, code=code))


def subscribers_of(membership: Membership, filters: SubscriberFilters | None = None) -> QuerySet[Subscriber]:
    filters = filters or SubscriberFilters()
    queryset = Subscriber.objects.filter(organization_id=membership.organization_id)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    for facet, code in (("country", filters.country), ("region", filters.region), ("language", filters.language)):
        if code:
            queryset = queryset.filter(_interest(facet, code))
    return (
        queryset.annotate(contact_count=Count("contact_points", distinct=True))
        .prefetch_related("interests", "sectors")
        .order_by("-created_at", "pk")
    )


def find_by_address(membership: Membership, address: str) -> list[Subscriber]:
    """Exact search by address, through the keyed hash: nothing is opened to compare."""
    keys = []
    for channel_name in Channel.values:
        try:
            keys.append(hashed_address(membership.organization_id, channel_name, address))
        except channels.InvalidAddress:
            continue
    points = ContactPoint.objects.filter(organization_id=membership.organization_id, address_key__in=keys)
    return list(subscribers_of(membership).filter(pk__in=points.values("subscriber")))


def access_subscriber(membership: Membership, subscriber_id: Any) -> Subscriber:
    subscriber = subscribers_of(membership).filter(pk=_uuid(subscriber_id)).first()
    if subscriber is None:
        raise Http404
    return subscriber


def contact_points_of(subscriber: Subscriber) -> QuerySet[ContactPoint]:
    return ContactPoint.objects.filter(subscriber=subscriber, organization_id=subscriber.organization_id)


def access_contact_point(subscriber: Subscriber, contact_point_id: Any) -> ContactPoint:
    point = contact_points_of(subscriber).filter(pk=_uuid(contact_point_id)).first()
    if point is None:
        raise Http404
    return point


def rules_of(membership: Membership) -> QuerySet[AudienceRule]:
    return AudienceRule.objects.filter(organization_id=membership.organization_id).prefetch_related(
        "member_organizations", "sectors"
    )


def access_rule(membership: Membership, rule_id: Any) -> AudienceRule:
    try:
        rule = rules_of(membership).filter(pk=int(rule_id)).first()
    except (TypeError, ValueError):
        rule = None
    if rule is None:
        raise Http404
    return rule


def member_organizations() -> QuerySet[Organization]:
    """The organisations whose members a rule may name: every organisation of this Salama,
    which is one network's workspace (docs/audiences.md)."""
    return Organization.objects.order_by("name")


# -- what a signed link reaches ----------------------------------------------------------------


@dataclass(frozen=True)
class LinkTarget:
    organization: Organization
    contact_point: ContactPoint | None = None
    user: Any = None


def link_target(idempotency_key: str) -> LinkTarget | None:
    """The contact point, or member, a delivery went to; None for anything else (a delivery of
    another producer, a contact point deleted since)."""
    delivery = Delivery.objects.filter(idempotency_key=idempotency_key).select_related("message__organization").first()
    if delivery is None:
        return None
    organization = delivery.message.organization
    ref = delivery.contact_ref
    point_id = _safe_uuid(ref.removeprefix(CONTACT_PREFIX)) if ref.startswith(CONTACT_PREFIX) else None
    if point_id is not None:
        point = ContactPoint.objects.filter(organization=organization, pk=point_id).select_related("subscriber").first()
        return LinkTarget(organization, contact_point=point) if point is not None else None
    if ref.startswith(MEMBER_PREFIX):
        from django.contrib.auth import get_user_model

        user_id = ref.removeprefix(MEMBER_PREFIX)
        user = get_user_model().objects.filter(pk=int(user_id)).first() if user_id.isdigit() else None
        return LinkTarget(organization, user=user) if user is not None else None
    return None


def _safe_uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


def contact_point_for_verification(point_id: str) -> ContactPoint | None:
    pk = _safe_uuid(point_id)
    return ContactPoint.objects.filter(pk=pk).select_related("subscriber").first() if pk else None


# -- suppressions and opt-outs ------------------------------------------------------------------


def mask(channel_name: str, address: str) -> str:
    """Enough to recognise an address one already knows, not to learn it: the first character
    of an email's local part and its domain, or a webhook's host."""
    if channel_name == Channel.EMAIL and "@" in address:
        local, domain = address.rsplit("@", 1)
        return f"{local[:1]}•••@{domain}"
    host = urlsplit(address).hostname if "://" in address else ""
    return f"{urlsplit(address).scheme}://{host}/•••" if host else "•••"


def suppressions_of(membership: Membership, channel: str = "", reason: str = "") -> QuerySet[Suppression]:
    queryset = Suppression.objects.filter(organization_id=membership.organization_id)
    if channel:
        queryset = queryset.filter(channel=channel)
    if reason:
        queryset = queryset.filter(reason=reason)
    return queryset.order_by("-created_at", "-id")


def access_suppression(membership: Membership, suppression_id: Any) -> Suppression:
    try:
        pk = int(suppression_id)
    except (TypeError, ValueError):
        raise Http404 from None
    found = suppressions_of(membership).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@dataclass(frozen=True)
class SuppressedAddress:
    """A suppression, and whose address it is when the list still knows it."""

    suppression: Suppression
    masked: str = ""
    contact_point: ContactPoint | None = None
    member: Any = None


def who_is_suppressed(membership: Membership, suppressions: Iterable[Suppression]) -> list[SuppressedAddress]:
    """Matches each suppression's keyed hash with the list's contact points and the members who
    opted out (the suppression itself stores no address). An address that is on neither any
    more (a deleted contact point, a bounced address since corrected) stays unnamed."""
    rows = list(suppressions)
    keys = {row.address_key for row in rows}
    points = {
        (point.channel, point.address_key): point
        for point in ContactPoint.objects.filter(organization_id=membership.organization_id, address_key__in=keys)
    }
    members = {
        (
            Channel.EMAIL.value,
            hashed_address(membership.organization_id, Channel.EMAIL, opt_out.user.email),
        ): opt_out.user
        for opt_out in member_opt_outs_of(membership)
    }
    found = []
    for row in rows:
        point, member = points.get((row.channel, row.address_key)), members.get((row.channel, row.address_key))
        address = point.address if point is not None else (member.email if member is not None else "")
        found.append(SuppressedAddress(row, mask(row.channel, address) if address else "", point, member))
    return found


def member_opt_outs_of(membership: Membership) -> QuerySet[MemberOptOut]:
    return (
        MemberOptOut.objects.filter(organization_id=membership.organization_id)
        .select_related("user")
        .order_by("-created_at")
    )


def own_opt_outs(user: Any) -> QuerySet[MemberOptOut]:
    """A person's own opt-outs, of every organisation whose messages they stopped."""
    return MemberOptOut.objects.filter(user=user).select_related("organization").order_by("organization__name")


def access_own_opt_out(user: Any, opt_out_id: Any) -> MemberOptOut:
    found = own_opt_outs(user).filter(pk=opt_out_id).first() if str(opt_out_id).isdigit() else None
    if found is None:
        raise Http404
    return found
