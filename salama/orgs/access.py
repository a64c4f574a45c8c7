"""The only way to fetch organisations and their members: missing and not-yours are both 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from salama.accounts.models import User

from .models import Invitation, Membership, Organization


def memberships_of(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organization")


def access_org(user: User, slug: str) -> tuple[Organization, Membership]:
    """The organisation and the user's membership in it, or 404."""
    membership = memberships_of(user).filter(organization__slug=slug).first()
    if membership is None:
        raise Http404
    return membership.organization, membership


def access_membership(org: Organization, membership_id: int) -> Membership:
    membership = Membership.objects.filter(organization=org, pk=membership_id).select_related("user").first()
    if membership is None:
        raise Http404
    return membership


def access_invitation(org: Organization, invitation_id: int) -> Invitation:
    invitation = Invitation.objects.filter(organization=org, pk=invitation_id).first()
    if invitation is None:
        raise Http404
    return invitation


def members_of(org: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=org).select_related("user").order_by("user__display_name")


def open_invitations_of(org: Organization) -> QuerySet[Invitation]:
    return Invitation.objects.open().filter(organization=org)


def all_organizations() -> QuerySet[Organization]:
    """For the platform operator's desk: the organisations themselves, none of their data."""
    return Organization.objects.only("name", "slug", "kind", "country", "created_at").order_by("name")
