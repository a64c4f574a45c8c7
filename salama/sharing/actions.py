"""Granting, revoking and every partner read of a shared case.

Each entry is written to both organisations' audit logs: the sharing organisation must be able
to see everything done with what it shared, and the partner must be able to account for what
its own people opened. Entries name the grant and what was opened, never a value.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from salama.accounts.models import User
from salama.audit.actions import record
from salama.cases.access import require_visible_case
from salama.cases.models import Case, TimelineEvent
from salama.core.permissions import require
from salama.defenders.models import Consent
from salama.orgs.models import Membership, Organization

from .models import MAX_DURATION, Scope, SharingGrant

GRANT_LOGGABLE = ("grant", "partner", "shared_by", "scope", "expires_at")


def _record_both(
    action: str,
    actor: User,
    grant: SharingGrant,
    target: tuple[str, Any],
    changes: dict[str, tuple[Any, Any]] | None = None,
) -> None:
    changes = {
        "grant": (None, str(grant.pk)),
        "partner": (None, grant.to_organization.slug),
        "shared_by": (None, grant.from_organization.slug),
        **(changes or {}),
    }
    for org in (grant.from_organization, grant.to_organization):
        record(action, actor=actor, organization=org, target=target, changes=changes, loggable=GRANT_LOGGABLE)


def lacking_consent(case: Case, partner: Organization) -> list[str]:
    """Public names of the case's defenders without a consent in force to share with `partner`."""
    consenting = Consent.objects.filter(
        scope=Consent.Scope.SHARE_WITH_ORGANISATION, organization=partner, withdrawn_on__isnull=True
    ).values("defender_id")
    return list(case.defenders.exclude(pk__in=consenting).order_by("public_name").values_list("public_name", flat=True))


@transaction.atomic
def do_share_case(
    actor: Membership,
    case: Case,
    *,
    to_organization: Organization,
    scope: str,
    purpose: str,
    expires_at: datetime,
    recipients: Iterable[User] = (),
) -> SharingGrant:
    require(actor, "cases.share")
    require_visible_case(actor, case)
    errors: dict[str, list[str]] = {}
    if to_organization.pk == actor.organization_id:
        errors["to_organization"] = [_("Choose another organisation than your own.")]
    if scope not in Scope.values:
        errors["scope"] = [_("Choose what to share.")]
    if not purpose.strip():
        errors["purpose"] = [_("Say why the case is shared.")]
    now = timezone.now()
    if expires_at <= now:
        errors["expires_at"] = [_("Choose an expiry date in the future.")]
    elif expires_at > now + MAX_DURATION + timedelta(days=1):  # a day's slack: grants end at midnight
        errors["expires_at"] = [_("A case can be shared for at most %(days)d days.") % {"days": MAX_DURATION.days}]
    recipients = list(recipients)
    members = set(Membership.objects.filter(organization=to_organization).values_list("user_id", flat=True))
    if any(user.pk not in members for user in recipients):
        errors["recipients"] = [_("Recipients must be members of the partner organisation.")]
    if errors:
        raise ValidationError(errors)
    lacking = lacking_consent(case, to_organization)
    if lacking:
        raise ValidationError(
            {
                "to_organization": [
                    _("These defenders have not consented to sharing with %(partner)s: %(names)s.")
                    % {"partner": to_organization.name, "names": ", ".join(lacking)}
                ]
            }
        )
    grant = SharingGrant.objects.create(
        case=case,
        from_organization=actor.organization,
        to_organization=to_organization,
        scope=scope,
        purpose=purpose.strip(),
        expires_at=expires_at,
        created_by=actor.user,
    )
    grant.recipients.set(recipients)
    _record_both(
        "case.shared",
        actor.user,
        grant,
        ("case", case.pk),
        {"scope": (None, scope), "expires_at": (None, expires_at), "purpose": (None, None)},
    )
    TimelineEvent.objects.create(
        case=case,
        kind="case.shared",
        actor=actor.user,
        target_type="sharing_grant",
        target_id=str(grant.pk),
        details={"partner": to_organization.name, "scope": scope},
    )
    return grant


@transaction.atomic
def do_revoke_grant(actor: Membership, grant: SharingGrant) -> SharingGrant:
    require(actor, "cases.share")
    if grant.from_organization_id != actor.organization_id:
        raise Http404
    require_visible_case(actor, grant.case)
    grant = SharingGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.revoked_at is not None:
        raise ValidationError(_("This sharing was already revoked."))
    grant.revoked_at = timezone.now()
    grant.revoked_by = actor.user
    grant.save(update_fields=["revoked_at", "revoked_by"])
    _record_both("case.share_revoked", actor.user, grant, ("case", grant.case_id))
    TimelineEvent.objects.create(
        case=grant.case,
        kind="case.share_revoked",
        actor=actor.user,
        target_type="sharing_grant",
        target_id=str(grant.pk),
        details={"partner": grant.to_organization.name},
    )
    return grant


# Partner reads. The caller has fetched the case through access_shared_case with the capability
# the read needs; these only put the read on record, in both organisations, before any value is
# opened.


@transaction.atomic
def do_note_shared_view(reader: Membership, grant: SharingGrant) -> None:
    _record_both("shared_case.viewed", reader.user, grant, ("case", grant.case_id))


@transaction.atomic
def do_reveal_shared(reader: Membership, grant: SharingGrant, fields: Iterable[str]) -> list[str]:
    # The grant's scope limits what the partner may see; the reader's own role still decides
    # whether they may reveal at all, as it would at home.
    require(reader, "cases.reveal")
    names = sorted(set(fields))
    _record_both("shared_case.revealed", reader.user, grant, ("case", grant.case_id), {n: (None, None) for n in names})
    return names


@transaction.atomic
def do_reveal_shared_incident(reader: Membership, grant: SharingGrant, incident: Any, fields: Iterable[str]) -> None:
    require(reader, "cases.reveal")
    changes = {name: (None, None) for name in sorted(set(fields))}
    _record_both("shared_case.incident_revealed", reader.user, grant, ("incident", incident.pk), changes)


@transaction.atomic
def do_note_shared_download(reader: Membership, grant: SharingGrant, evidence: Any) -> None:
    _record_both("shared_case.evidence_downloaded", reader.user, grant, ("evidence", evidence.pk))
