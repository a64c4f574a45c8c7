"""Every change to cases goes through these functions.

Each one checks the permission and need to know, changes state in one transaction, writes one
audit entry and one timeline line. The summary and notes are encrypted: the audit log and the
timeline name them, never hold them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from salama.accounts.models import User
from salama.audit.actions import record, record_fields, record_reveal
from salama.core.permissions import require
from salama.defenders.access import visible_defenders
from salama.orgs.models import Membership, Organization
from salama.revisions.actions import record_revision, snapshot

from .access import REVEALABLE, require_visible_case
from .models import Case, CaseNote, TimelineEvent

CASE_LOGGABLE = ("title", "status", "priority", "closed_reason", "closed_on", "tags", "defenders", "team", "reference")
ENCRYPTED = ("summary",)


def _target(case: Case) -> tuple[str, Any]:
    return ("case", case.pk)


def _event(case: Case, actor: Membership, kind: str, target: tuple[str, Any] = ("", ""), **details: Any) -> None:
    TimelineEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor.user,
        target_type=target[0],
        target_id=str(target[1]),
        details=details,
    )


def _codes(terms: Iterable[Any]) -> list[str]:
    return sorted(str(term.code) for term in terms)


def _ids(records: Iterable[Any]) -> list[str]:
    return sorted(str(record.pk) for record in records)


def _check_defenders(membership: Membership, defenders: Iterable[Any]) -> list[Any]:
    """Only defenders the actor may see: a case cannot be a way to reach anyone else's."""
    defenders = list(defenders)
    visible = set(visible_defenders(membership).filter(pk__in=[d.pk for d in defenders]).values_list("pk", flat=True))
    if any(d.pk not in visible for d in defenders):
        raise ValidationError({"defenders": _("Choose defenders of your own organisation.")})
    return defenders


def _member(org: Organization, user: User) -> Membership:
    membership = Membership.objects.filter(organization=org, user=user).first()
    if membership is None:
        raise ValidationError({"user": _("Only members of the organisation can be on a case team.")})
    return membership


def next_reference(org: Organization, year: int) -> str:
    """The next `YYYY-NNNN` of this organisation. Called inside the opening transaction, after the
    organisation row is locked, so two openings never read the same last number; the unique
    constraint refuses a duplicate should anything slip through."""
    prefix = f"{year}-"
    taken = Case.objects.filter(organization=org, reference__startswith=prefix).values_list("reference", flat=True)
    last = max((int(ref.removeprefix(prefix)) for ref in taken if ref.removeprefix(prefix).isdigit()), default=0)
    return f"{prefix}{last + 1:04d}"


@transaction.atomic
def do_open_case(
    actor: Membership,
    *,
    title: str,
    defenders: Iterable[Any],
    summary: str = "",
    priority: str = Case.Priority.NORMAL,
    tags: Iterable[Any] = (),
    opened_on: date | None = None,
) -> Case:
    require(actor, "cases.edit")
    defenders = _check_defenders(actor, defenders)
    if not defenders:
        raise ValidationError({"defenders": _("Choose at least one defender.")})
    opened_on = opened_on or timezone.localdate()
    # PostgreSQL: a row lock on the organisation serialises numbering per organisation. SQLite:
    # every transaction already begins IMMEDIATE, holding the single write lock.
    org = Organization.objects.select_for_update().get(pk=actor.organization_id)
    case = Case(
        organization=org,
        reference=next_reference(org, opened_on.year),
        title=title,
        summary=summary,
        priority=priority,
        opened_on=opened_on,
        created_by=actor.user,
    )
    case.save()
    case.defenders.set(defenders)
    case.tags.set(list(tags))
    # Whoever opens a case is on its team: otherwise a caseworker could not see what they opened.
    case.team.add(actor.user)
    changes: dict[str, tuple[Any, Any]] = {
        "reference": (None, case.reference),
        "title": (None, title),
        "priority": (None, priority),
        "defenders": (None, _ids(defenders)),
        "team": (None, [str(actor.user.pk)]),
    }
    if summary:
        changes["summary"] = (None, None)
    if case.tags.exists():
        changes["tags"] = (None, _codes(case.tags.all()))
    record(
        "case.opened",
        actor=actor.user,
        organization=org,
        target=_target(case),
        changes=changes,
        loggable=CASE_LOGGABLE,
    )
    _event(case, actor, "case.opened", reference=case.reference, priority=priority)
    record_revision(actor, case, {})
    return case


@transaction.atomic
def do_update_case(actor: Membership, case: Case, **fields: Any) -> Case:
    """title, summary, priority, tags, defenders: only those given are changed."""
    require(actor, "cases.edit")
    require_visible_case(actor, case)
    before = Case.objects.get(pk=case.pk)
    revision_base = snapshot(before, list(fields))
    changes: dict[str, tuple[Any, Any]] = {}
    if "defenders" in fields:
        defenders = _check_defenders(actor, fields.pop("defenders"))
        if not defenders:
            raise ValidationError({"defenders": _("Choose at least one defender.")})
        old, new = _ids(before.defenders.all()), _ids(defenders)
        if old != new:
            changes["defenders"] = (old, new)
            case.defenders.set(defenders)
    if "tags" in fields:
        tags = list(fields.pop("tags"))
        old, new = _codes(before.tags.all()), _codes(tags)
        if old != new:
            changes["tags"] = (old, new)
            case.tags.set(tags)
    for name, value in fields.items():
        if name not in {"title", "summary", "priority"}:
            raise ValueError(f"{name} is not changed through do_update_case")
        if getattr(before, name) != value:
            changes[name] = (None, None) if name in ENCRYPTED else (getattr(before, name), value)
            setattr(case, name, value)
    if not changes:
        return case
    case.save()
    record(
        "case.updated",
        actor=actor.user,
        organization=actor.organization,
        target=_target(case),
        changes=changes,
        loggable=CASE_LOGGABLE,
    )
    _event(case, actor, "case.updated", fields=sorted(changes))
    record_revision(actor, case, revision_base, list(revision_base))
    return case


@transaction.atomic
def do_change_status(actor: Membership, case: Case, status: str, closed_reason: str = "") -> Case:
    require(actor, "cases.edit")
    require_visible_case(actor, case)
    if status not in Case.Status.values:
        raise ValidationError({"status": _("Choose a status.")})
    if status == Case.Status.CLOSED:
        if closed_reason not in Case.ClosedReason.values:
            raise ValidationError({"closed_reason": _("Give the reason for closing the case.")})
    elif closed_reason:
        raise ValidationError({"closed_reason": _("A reason is given only when closing a case.")})
    if status == case.status and closed_reason == case.closed_reason:
        raise ValidationError({"status": _("The case already has this status.")})
    old = (case.status, case.closed_reason, case.closed_on)
    revision_base = snapshot(case, ["status", "closed_reason", "closed_on"])
    case.status = status
    if status == Case.Status.CLOSED:
        case.closed_reason = closed_reason
        case.closed_on = timezone.localdate()
    else:  # reopening, or moving between open states
        case.closed_reason = ""
        case.closed_on = None
    case.save()
    record(
        "case.status_changed",
        actor=actor.user,
        organization=actor.organization,
        target=_target(case),
        changes={
            "status": (old[0], case.status),
            "closed_reason": (old[1], case.closed_reason),
            "closed_on": (old[2], case.closed_on),
        },
        loggable=CASE_LOGGABLE,
    )
    _event(case, actor, "case.status_changed", old=old[0], new=case.status, reason=case.closed_reason)
    record_revision(actor, case, revision_base, list(revision_base))
    return case


@transaction.atomic
def do_add_team_member(actor: Membership, case: Case, user: User) -> Case:
    require(actor, "cases.manage_team")
    require_visible_case(actor, case)
    _member(actor.organization, user)
    if case.team.filter(pk=user.pk).exists():
        raise ValidationError({"user": _("This person is already on the case team.")})
    case.team.add(user)
    record(
        "case.team_member_added",
        actor=actor.user,
        organization=actor.organization,
        target=_target(case),
        changes={"team": (None, str(user.pk))},
        loggable=CASE_LOGGABLE,
    )
    _event(case, actor, "case.team_member_added", target=("user", user.pk), member=str(user))
    return case


@transaction.atomic
def do_remove_team_member(actor: Membership, case: Case, user: User) -> Case:
    require(actor, "cases.manage_team")
    require_visible_case(actor, case)
    if not case.team.filter(pk=user.pk).exists():
        raise ValidationError({"user": _("This person is not on the case team.")})
    case.team.remove(user)
    record(
        "case.team_member_removed",
        actor=actor.user,
        organization=actor.organization,
        target=_target(case),
        changes={"team": (str(user.pk), None)},
        loggable=CASE_LOGGABLE,
    )
    _event(case, actor, "case.team_member_removed", target=("user", user.pk), member=str(user))
    return case


@transaction.atomic
def do_add_note(actor: Membership, case: Case, text: str) -> CaseNote:
    require(actor, "cases.edit")
    require_visible_case(actor, case)
    if not text.strip():
        raise ValidationError({"text": _("Write the note.")})
    note = CaseNote(case=case, organization_id=case.organization_id, text=text, author=actor.user)
    note.save()
    record(
        "case.note_added",
        actor=actor.user,
        organization=actor.organization,
        target=_target(case),
        changes={"note": (None, str(note.pk)), "text": (None, None)},
        loggable=("note",),
    )
    _event(case, actor, "note.added", target=("case_note", note.pk))
    return note


@transaction.atomic
def do_reveal(actor: Membership, case: Case, fields: Iterable[str]) -> list[str]:
    """Only the audit entry: whoever reveals is on record before any value is opened."""
    require(actor, "cases.reveal")
    require_visible_case(actor, case)
    return record_reveal("case.revealed", actor, _target(case), fields, REVEALABLE)


@transaction.atomic
def do_note_view(actor: Membership, case: Case) -> None:
    """Reading a case page is a sensitive read (ARCHITECTURE.md): on record, like a change."""
    require_visible_case(actor, case)
    record("case.viewed", actor=actor.user, organization=actor.organization, target=_target(case))


@transaction.atomic
def do_note_decryption_failure(actor: Membership, case: Case, fields: Iterable[str]) -> None:
    record_fields("case.decryption_failed", actor, _target(case), fields)


@transaction.atomic
def do_delete_case(actor: Membership, case: Case) -> None:
    """The model's deletion destroys the data keys of the case and of each note on commit."""
    require(actor, "cases.delete")
    require_visible_case(actor, case)
    record(
        "case.deleted",
        actor=actor.user,
        organization=actor.organization,
        target=_target(case),
        changes={"reference": (case.reference, None)},
        loggable=CASE_LOGGABLE,
    )
    try:
        with transaction.atomic():
            case.delete()
    except ProtectedError:
        # Incidents and evidence are deleted one by one, on purpose: never a whole record at once.
        raise ValidationError(_("Delete this case's incidents and evidence first.")) from None
