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
from salama.audit.actions import account, created, diff, record
from salama.core.jobs import enqueue
from salama.core.permissions import Role, require

from .models import Invitation, Membership, Organization

# Recorded with their values in the audit log; the description is free text, so by name only.
ORG_LOGGABLE = ("name", "slug", "kind", "country", "region", "languages")


@transaction.atomic
def do_create_organization(operator: User, *, first_admin_email: str, **fields: Any) -> tuple[Organization, Invitation]:
    """A platform operator creates an organisation and invites its first admin."""
    if not operator.is_platform_operator:
        raise PermissionDenied(_("Only platform operators can create organisations."))
    if Organization.objects.filter(slug=fields["slug"]).exists():
        raise ValidationError({"slug": _("This short name is taken.")})
    organization = Organization.objects.create(**fields)
    record(
        "organization.created",
        actor=operator,
        organization=organization,
        target=("organization", organization.pk),
        changes=created(fields),
        loggable=ORG_LOGGABLE,
    )
    invitation = _invite(organization, first_admin_email, Role.ADMIN, invited_by=operator)
    return organization, invitation


@transaction.atomic
def do_update_organization(actor: Membership, **fields: Any) -> Organization:
    require(actor, "org.edit")
    organization = actor.organization
    # From the database: a ModelForm has usually set the new values on this instance already.
    before = Organization.objects.filter(pk=organization.pk).values(*fields).get()
    for name, value in fields.items():
        setattr(organization, name, value)
    organization.save()
    changes = diff(before, fields)
    if changes:
        record(
            "organization.updated",
            actor=actor.user,
            organization=organization,
            target=("organization", organization.pk),
            changes=changes,
            loggable=ORG_LOGGABLE,
        )
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
    record(
        "member.invited",
        actor=invited_by,
        organization=organization,
        target=("invitation", invitation.pk),
        changes=created({"email": invitation.email, "role": role}),
        loggable=("email", "role"),
    )
    return invitation


@transaction.atomic
def do_invite(actor: Membership, email: str, role: str) -> Invitation:
    require(actor, "members.manage")
    email = email.strip().lower()
    if Membership.objects.filter(organization=actor.organization, user__email=email).exists():
        raise ValidationError({"email": _("This person is already a member.")})
    superseded = list(
        Invitation.objects.open().filter(organization=actor.organization, email=email).values_list("pk", flat=True)
    )
    Invitation.objects.filter(pk__in=superseded).update(revoked_at=timezone.now())
    for invitation_id in superseded:
        record(
            "member.invitation_revoked",
            actor=actor.user,
            organization=actor.organization,
            target=("invitation", invitation_id),
            changes={"reason": (None, "superseded")},
            loggable=("reason",),
        )
    return _invite(actor.organization, email, role, invited_by=actor.user)


@transaction.atomic
def do_revoke_invitation(actor: Membership, invitation: Invitation) -> None:
    require(actor, "members.manage")
    if invitation.organization_id != actor.organization_id:
        raise PermissionDenied
    revoked = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        record(
            "member.invitation_revoked",
            actor=actor.user,
            organization=actor.organization,
            target=("invitation", invitation.pk),
            changes=created({"email": invitation.email}),
            loggable=("email",),
        )


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
    record(
        "member.invitation_accepted",
        actor=user,
        organization=invitation.organization,
        target=("invitation", invitation.pk),
        changes=created({"email": user.email, "role": membership.role}),
        loggable=("email", "role"),
    )
    return membership


def _admins_left(organization: Organization, without: Membership) -> int:
    return Membership.objects.filter(organization=organization, role=Role.ADMIN).exclude(pk=without.pk).count()


@transaction.atomic
def do_change_role(actor: Membership, membership: Membership, role: str) -> Membership:
    require(actor, "members.manage")
    if membership.organization_id != actor.organization_id:
        raise PermissionDenied
    if membership.role == Role.ADMIN and role != Role.ADMIN and _admins_left(membership.organization, membership) == 0:
        raise ValidationError(_("An organisation needs at least one admin. Make someone else admin first."))
    old_role = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    if old_role != role:
        record(
            "member.role_changed",
            actor=actor.user,
            organization=membership.organization,
            target=account(membership.user),
            changes={"role": (old_role, role)},
            loggable=("role",),
        )
    return membership


@transaction.atomic
def do_remove_member(actor: Membership, membership: Membership) -> None:
    require(actor, "members.manage")
    if membership.organization_id != actor.organization_id:
        raise PermissionDenied
    if membership.role == Role.ADMIN and _admins_left(membership.organization, membership) == 0:
        raise ValidationError(_("An organisation needs at least one admin. Make someone else admin first."))
    revoked = membership.user.api_tokens.filter(organization=membership.organization, revoked_at__isnull=True).update(  # type: ignore[attr-defined]
        revoked_at=timezone.now()
    )
    record(
        "member.removed",
        actor=actor.user,
        organization=membership.organization,
        target=account(membership.user),
        changes={"role": (membership.role, None), "api_tokens_revoked": (None, revoked)},
        loggable=("role", "api_tokens_revoked"),
    )
    membership.delete()
