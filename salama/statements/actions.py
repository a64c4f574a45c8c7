"""Every change to joint statements goes through these functions.

Each checks the permission, changes state in one transaction, and writes its audit entry; a
status change of a statement linked to a case also writes a line on the case's timeline. The
sign-on rules live here, so the API cannot go round them:

- only the drafting organisation changes the text, invites, opens, closes and publishes;
- opening and publishing need every named defender's "named publicly" consent in force;
- an organisation signs while the statement is open and before its deadline, if it was invited
  or the statement is open to the whole network;
- a change to the text after signatures makes them "signed an earlier version": the signers are
  asked to confirm, and only signatures on the current text are published.

The text is sealed; audit entries and timeline lines carry names of fields, never the text.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salama.audit.actions import record
from salama.cases.access import visible_cases
from salama.cases.models import TimelineEvent
from salama.core.permissions import require
from salama.defenders.access import visible_defenders
from salama.defenders.models import Consent
from salama.orgs.models import Membership, Organization

from . import notify
from .access import invitation_of, is_drafter, signature_of, text_in
from .models import LANGUAGE_CHOICES, Invitation, JointStatement, Signature, StatementText
from .texts import text_version

LOGGABLE = (
    *("title", "status", "default_language", "open_to_network", "signature_deadline", "language", "case"),
    *("names_defenders", "organization", "display_name", "public_page", "published_on", "published_url"),
)
SETTINGS_FIELDS = ("title", "default_language", "open_to_network", "case", "names_defenders")
Status = JointStatement.Status


# -- helpers -----------------------------------------------------------------------------------


def _audit(actor: Membership, action: str, statement: JointStatement, changes: dict[str, Any] | None = None) -> None:
    record(
        action,
        actor=actor.user,
        organization=actor.organization,
        target=("statement", statement.pk),
        changes={"title": (None, statement.title), **(changes or {})},
        loggable=LOGGABLE,
    )


def _timeline(statement: JointStatement, actor: Membership, old: str) -> None:
    """A line on the linked case's timeline: the working title and the statuses, never the text."""
    if statement.case_id is None:
        return
    TimelineEvent.objects.create(
        case_id=statement.case_id,
        kind="statement.status_changed",
        actor=actor.user,
        target_type="statement",
        target_id=str(statement.pk),
        details={"title": statement.title, "old": old, "new": statement.status},
    )


def _locked(statement: JointStatement) -> JointStatement:
    """Re-read the row under a lock before a change of status: two leads pressing the same
    button, or a page open since before another's change, act on the status as it is now."""
    JointStatement.objects.select_for_update().filter(pk=statement.pk).first()
    statement.refresh_from_db()
    return statement


def _set_status(actor: Membership, statement: JointStatement, new: str, **fields: Any) -> None:
    old = statement.status
    statement.status = new
    for name, value in fields.items():
        setattr(statement, name, value)
    statement.save()
    _audit(actor, "statement.status_changed", statement, {"status": (old, new)})
    _timeline(statement, actor, old)


def _require_drafter(actor: Membership, statement: JointStatement) -> None:
    if not is_drafter(actor, statement):
        raise ValidationError(_("Only the organisation that drafted the statement can do this."))


def _require_editable(statement: JointStatement) -> None:
    if not statement.editable:
        raise ValidationError(_("A closed, published or withdrawn statement cannot be changed."))


def _checked_case(actor: Membership, case: Any) -> Any:
    if case is not None and not visible_cases(actor).filter(pk=case.pk).exists():
        raise ValidationError({"case": _("Choose a case you can see.")})
    return case


def _checked_defenders(actor: Membership, defenders: Iterable[Any]) -> list[Any]:
    defenders = list(defenders)
    visible = set(visible_defenders(actor).filter(pk__in=[d.pk for d in defenders]).values_list("pk", flat=True))
    if any(d.pk not in visible for d in defenders):
        raise ValidationError({"names_defenders": _("Choose defenders of your own organisation that you can see.")})
    return defenders


def _check_deadline(deadline: datetime | None) -> None:
    if deadline is not None and deadline <= timezone.now():
        raise ValidationError({"signature_deadline": _("The signature deadline must be in the future.")})


def consent_refusal(statement: JointStatement) -> str:
    """Why the statement may not name its defenders publicly; empty when it may."""
    for defender in statement.names_defenders.order_by("public_name"):
        consenting = Consent.objects.filter(
            defender=defender, scope=Consent.Scope.NAMED_PUBLICLY, withdrawn_on__isnull=True
        ).exists()
        if not consenting:
            return _(
                "%(name)s has not consented to be named publicly. Record their consent, "
                "or remove them from the defenders the statement names."
            ) % {"name": defender.public_name}
    return ""


def open_refusal(statement: JointStatement) -> str:
    """Why the statement cannot open for signatures now; empty when it can."""
    if statement.status != Status.DRAFT:
        return _("Only a draft can be opened for signatures.")
    if text_in(statement, statement.default_language) is None:
        return _("Write the statement's text in its main language first.")
    return consent_refusal(statement)


def publish_refusal(statement: JointStatement) -> str:
    if statement.status != Status.CLOSED:
        return _("Close the statement to signatures before publishing it.")
    if not Signature.objects.filter(statement=statement, text_version=statement.text_version).exists():
        return _("Nobody has signed the current text.")
    return consent_refusal(statement)


def _refresh_version(actor: Membership, statement: JointStatement) -> None:
    """After a text change: the new version; the drafter's own signature follows its own text,
    everyone else's now is on an earlier version and its signers are asked to confirm."""
    new = text_version(statement)
    if new == statement.text_version:
        return
    statement.text_version = new
    statement.save(update_fields=["text_version", "updated_at"])
    stale = Signature.objects.filter(statement=statement).exclude(text_version=new)
    stale.filter(organization_id=statement.organization_id).update(text_version=new, signed_at=timezone.now())
    if statement.status == Status.OPEN:
        for signature in stale.exclude(organization_id=statement.organization_id).select_related("organization"):
            notify.send_confirmation_request(signature)


# -- drafting ----------------------------------------------------------------------------------


@transaction.atomic
def do_create_statement(
    actor: Membership,
    *,
    title: str,
    default_language: str = "en",
    open_to_network: bool = False,
    case: Any = None,
    names_defenders: Iterable[Any] = (),
) -> JointStatement:
    require(actor, "statements.edit")
    if not title.strip():
        raise ValidationError({"title": _("Give the statement a working title.")})
    statement = JointStatement.objects.create(
        organization=actor.organization,
        title=title.strip(),
        default_language=default_language,
        open_to_network=open_to_network,
        case=_checked_case(actor, case),
        created_by=actor.user,
    )
    statement.names_defenders.set(_checked_defenders(actor, names_defenders))
    _audit(actor, "statement.created", statement, {"status": (None, statement.status)})
    return statement


@transaction.atomic
def do_update_statement(actor: Membership, statement: JointStatement, **fields: Any) -> JointStatement:
    """Change the settings given (working title, main language, openness, case, named defenders).
    While it takes signatures, a newly named defender needs their consent at once."""
    require(actor, "statements.edit")
    _locked(statement)
    _require_drafter(actor, statement)
    _require_editable(statement)
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"unknown statement fields {sorted(unknown)}")
    if "title" in fields and not str(fields["title"]).strip():
        raise ValidationError({"title": _("Give the statement a working title.")})
    changes: dict[str, Any] = {}
    if "case" in fields:
        _checked_case(actor, fields["case"])
    if "names_defenders" in fields:
        named = _checked_defenders(actor, fields.pop("names_defenders"))
        before = sorted(str(pk) for pk in statement.names_defenders.values_list("pk", flat=True))
        statement.names_defenders.set(named)
        after = sorted(str(d.pk) for d in named)
        if before != after:
            changes["names_defenders"] = (before, after)
    for name, value in fields.items():
        old = getattr(statement, name)
        if old != value:
            changes[name] = (str(getattr(old, "pk", old)), str(getattr(value, "pk", value)))
            setattr(statement, name, value)
    if statement.status == Status.OPEN:
        refusal = consent_refusal(statement)
        if refusal:
            raise ValidationError({"names_defenders": refusal})
    statement.save()
    if changes:
        _audit(actor, "statement.updated", statement, changes)
    return statement


@transaction.atomic
def do_save_text(
    actor: Membership, statement: JointStatement, language: str, *, title: str, body: str
) -> StatementText:
    """Create or replace the text in one language."""
    require(actor, "statements.edit")
    _locked(statement)
    _require_drafter(actor, statement)
    _require_editable(statement)
    if language not in dict(LANGUAGE_CHOICES):
        raise ValidationError({"language": _("Choose one of the offered languages.")})
    if not title.strip():
        raise ValidationError({"title": _("Give the statement a title in this language.")})
    if not body.strip():
        raise ValidationError({"body": _("Write the statement's text in this language.")})
    text = text_in(statement, language) or StatementText(
        statement=statement, organization_id=statement.organization_id, language=language
    )
    if not text._state.adding and text.title == title and text.body == body:
        return text
    text.title, text.body = title, body
    text.save()
    # Field names only: the text is sealed and stays out of the log.
    _audit(actor, "statement.text_saved", statement, {"language": (None, language), "body": (None, None)})
    _refresh_version(actor, statement)
    return text


# -- the sign-on flow --------------------------------------------------------------------------


@transaction.atomic
def do_invite(actor: Membership, statement: JointStatement, organizations: Iterable[Organization]) -> list[Invitation]:
    """Invite organisations of the network; those invited while it is open are told at once,
    those invited on a draft when it opens."""
    require(actor, "statements.sign")
    _locked(statement)
    _require_drafter(actor, statement)
    _require_editable(statement)
    created = []
    for organization in organizations:
        if organization.pk == statement.organization_id:
            raise ValidationError({"organizations": _("Your own organisation signs when it opens the statement.")})
        invitation, new = Invitation.objects.get_or_create(
            statement=statement, organization=organization, defaults={"invited_by": actor.user}
        )
        if not new:
            continue
        created.append(invitation)
        _audit(actor, "statement.invited", statement, {"organization": (None, organization.slug)})
        if statement.status == Status.OPEN:
            notify.send_invitation(invitation)
    return created


@transaction.atomic
def do_open(
    actor: Membership, statement: JointStatement, *, signature_deadline: datetime | None, display_name: str = ""
) -> JointStatement:
    """Open for signatures: the drafting organisation signs first (under the name given), and
    every organisation invited so far is told."""
    require(actor, "statements.sign")
    _locked(statement)
    _require_drafter(actor, statement)
    _check_deadline(signature_deadline)
    refusal = open_refusal(statement)
    if refusal:
        raise ValidationError(refusal)
    statement.text_version = text_version(statement)
    _set_status(actor, statement, Status.OPEN, signature_deadline=signature_deadline, opened_at=timezone.now())
    Signature.objects.update_or_create(
        statement=statement,
        organization=actor.organization,
        defaults={
            "signed_by": actor.user,
            "display_name": (display_name or actor.organization.name).strip(),
            "signed_at": timezone.now(),
            "text_version": statement.text_version,
        },
    )
    for invitation in Invitation.objects.filter(statement=statement).select_related("organization", "statement"):
        notify.send_invitation(invitation)
    return statement


def sign_refusal(actor: Membership, statement: JointStatement) -> str:
    """Why this organisation cannot sign now; empty when it can."""
    if is_drafter(actor, statement):
        return _("Your organisation drafted this statement; it signed when the statement opened.")
    if statement.status != Status.OPEN:
        return _("The statement is not open for signatures.")
    if statement.deadline_passed:
        return _("The deadline for signatures has passed.")
    if not statement.open_to_network and invitation_of(statement, actor.organization_id) is None:
        return _("Only the organisations invited may sign this statement.")
    return ""


@transaction.atomic
def do_sign(actor: Membership, statement: JointStatement, *, display_name: str = "") -> Signature:
    """Sign for the organisation, or confirm a signature given on an earlier version."""
    require(actor, "statements.sign")
    locked = JointStatement.objects.select_for_update().get(pk=statement.pk)
    refusal = sign_refusal(actor, locked)
    if refusal:
        raise ValidationError(refusal)
    name = (display_name or actor.organization.name).strip()
    if len(name) > 200:
        raise ValidationError({"display_name": _("Keep the name to 200 characters.")})
    existing = signature_of(locked, actor.organization_id)
    signature, _created = Signature.objects.update_or_create(
        statement=locked,
        organization=actor.organization,
        defaults={
            "signed_by": actor.user,
            "display_name": name,
            "signed_at": timezone.now(),
            "text_version": locked.text_version,
        },
    )
    Invitation.objects.filter(statement=locked, organization=actor.organization).update(
        status=Invitation.Status.SIGNED, answered_by=actor.user, answered_at=timezone.now()
    )
    action = "statement.signature_confirmed" if existing else "statement.signed"
    _audit(actor, action, locked, {"organization": (None, actor.organization.slug), "display_name": (None, name)})
    return signature


@transaction.atomic
def do_decline(actor: Membership, statement: JointStatement) -> Invitation:
    """Decline the invitation; a signature already given is withdrawn with it."""
    require(actor, "statements.sign")
    _locked(statement)
    if is_drafter(actor, statement):
        raise ValidationError(_("Your organisation drafted this statement; withdraw it instead."))
    if statement.status != Status.OPEN:
        raise ValidationError(_("The statement is not open for signatures."))
    invitation = invitation_of(statement, actor.organization_id)
    if invitation is None:
        if not statement.open_to_network:
            raise ValidationError(_("Only the organisations invited may answer this statement."))
        invitation = Invitation(statement=statement, organization=actor.organization)
    Signature.objects.filter(statement=statement, organization=actor.organization).delete()
    invitation.status = Invitation.Status.DECLINED
    invitation.answered_by, invitation.answered_at = actor.user, timezone.now()
    invitation.save()
    _audit(actor, "statement.declined", statement, {"organization": (None, actor.organization.slug)})
    return invitation


@transaction.atomic
def do_close(actor: Membership, statement: JointStatement) -> JointStatement:
    require(actor, "statements.sign")
    _locked(statement)
    _require_drafter(actor, statement)
    if statement.status != Status.OPEN:
        raise ValidationError(_("Only a statement open for signatures can be closed."))
    _set_status(actor, statement, Status.CLOSED, closed_at=timezone.now())
    return statement


@transaction.atomic
def do_publish(
    actor: Membership,
    statement: JointStatement,
    *,
    public_page: bool = False,
    published_on: date | None = None,
    published_url: str = "",
) -> JointStatement:
    """Publish with the signatories on the current text; consent is checked again, since it can
    be withdrawn while signatures are collected."""
    require(actor, "statements.sign")
    _locked(statement)
    _require_drafter(actor, statement)
    refusal = publish_refusal(statement)
    if refusal:
        raise ValidationError(refusal)
    _set_status(
        actor,
        statement,
        Status.PUBLISHED,
        public_page=public_page,
        published_on=published_on or timezone.localdate(),
        published_url=published_url,
    )
    return statement


@transaction.atomic
def do_withdraw(actor: Membership, statement: JointStatement) -> JointStatement:
    require(actor, "statements.sign")
    _locked(statement)
    _require_drafter(actor, statement)
    if statement.status in {Status.PUBLISHED, Status.WITHDRAWN}:
        raise ValidationError(_("A published or withdrawn statement cannot be withdrawn."))
    _set_status(actor, statement, Status.WITHDRAWN)
    return statement
