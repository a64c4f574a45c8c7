"""Every change to organisations, memberships and invitations goes through these functions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salama.accounts.models import User
from salama.core.jobs import enqueue
from salama.core.permissions import Role, role_can

from .models import Invitation, Membership, Organization


def _require(membership: Membership, permission: str) -> None:
    decision = role_can(membership.role, permission)
    if not decision:
        raise PermissionDenied(decision.reason)


@transaction.atomic
def do_create_organization(operator: User, *, first_admin_email: str, **fields: Any) -> tuple[Organization, Invitation]:
    """A platform operator creates an organisation and invites its first admin."""
    if not operator.is_platform_operator:
        raise PermissionDenied(_("Only platform operators can create organisations."))
    if Organization.objects.filter(slug=fields["slug"]).exists():
        raise ValidationError({"slug": _("This short name is taken.")})
    organization = Organization.objects.create(**fields)
    invitation = _invite(organization, first_admin_email, Role.ADMIN, invited_by=operator)
    return organization, invitation


@transaction.atomic
def do_update_organization(actor: Membership, **fields: Any) -> Organization:
    _require(actor, "org.edit")
    organization = actor.organization
    for name, value in fields.items():
        setattr(organization, name, value)
    organization.save()
    return organization


def _invite(organization: Organization, email: str, role: str, invited_by: User) -> Invitation:
    invitation = Invitation.objects.create(
        organization=organization,
        email=email.strip().lower(),
        role=role,
        invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
    )
    enqueue("orgs.invitation_mail", {"invitation_id": invitation.pk}, priority=20)
    return invitation


@transaction.atomic
def do_invite(actor: Membership, email: str, role: str) -> Invitation:
    _require(actor, "members.manage")
    email = email.strip().lower()
    if Membership.objects.filter(organization=actor.organization, user__email=email).exists():
        raise ValidationError({"email": _("This person is already a member.")})
    Invitation.objects.open().filter(organization=actor.organization, email=email).update(revoked_at=timezone.now())
    return _invite(actor.organization, email, role, invited_by=actor.user)


@transaction.atomic
def do_revoke_invitation(actor: Membership, invitation: Invitation) -> None:
    _require(actor, "members.manage")
    if invitation.organization_id != actor.organization_id:
        raise PermissionDenied
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def do_accept_invitation(user: User, invitation: Invitation) -> Membership:
    """Single use, by the person it was sent to: the first acceptance wins; an expired or
    revoked link does nothing. (So a link seen by someone else, the platform operator
    included, never makes them a member.)"""
    if user.email != invitation.email:
        raise ValidationError(
            _("This invitation was sent to another email address. Sign in with that address, or ask for a new one.")
        )
    claimed = Invitation.objects.open().filter(pk=invitation.pk).update(accepted_at=timezone.now(), accepted_by=user)
    if not claimed:
        raise ValidationError(_("This invitation has expired, was withdrawn or was already used."))
    membership, _created = Membership.objects.get_or_create(
        user=user, organization=invitation.organization, defaults={"role": invitation.role}
    )
    return membership


def _admins_left(organization: Organization, without: Membership) -> int:
    return Membership.objects.filter(organization=organization, role=Role.ADMIN).exclude(pk=without.pk).count()


@transaction.atomic
def do_change_role(actor: Membership, membership: Membership, role: str) -> Membership:
    _require(actor, "members.manage")
    if membership.organization_id != actor.organization_id:
        raise PermissionDenied
    if membership.role == Role.ADMIN and role != Role.ADMIN and _admins_left(membership.organization, membership) == 0:
        raise ValidationError(_("An organisation needs at least one admin. Make someone else admin first."))
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def do_remove_member(actor: Membership, membership: Membership) -> None:
    _require(actor, "members.manage")
    if membership.organization_id != actor.organization_id:
        raise PermissionDenied
    if membership.role == Role.ADMIN and _admins_left(membership.organization, membership) == 0:
        raise ValidationError(_("An organisation needs at least one admin. Make someone else admin first."))
    membership.user.api_tokens.filter(organization=membership.organization).update(revoked_at=timezone.now())  # type: ignore[attr-defined]
    membership.delete()
