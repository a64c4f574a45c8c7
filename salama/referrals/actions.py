"""Every change to referrals goes through these functions.

Each one checks the permission and need to know (through the case), changes state in one
transaction, writes one audit entry, a line of the referral's own history and a line on the case
timeline. What was sent, the reply and the notes are encrypted: the audit log and the timeline
name them, never hold them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salama.audit.actions import record, record_fields, record_reveal
from salama.cases.access import require_visible_case
from salama.cases.models import Case, TimelineEvent
from salama.core.permissions import require
from salama.core.values import is_blank
from salama.defenders.models import Defender
from salama.directory.models import ProtectionActor
from salama.orgs.models import Membership

from .access import REVEALABLE, require_visible_referral
from .consent import missing_consents, sharing_consent
from .models import Referral, ReferralConsent, ReferralEvent

Status = Referral.Status
# Where each status may go next. A referral is never sent back to draft: what was sent was sent.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.SENT, Status.CLOSED}),
    Status.SENT: frozenset({Status.ACKNOWLEDGED, Status.ACCEPTED, Status.DECLINED, Status.CLOSED}),
    Status.ACKNOWLEDGED: frozenset({Status.ACCEPTED, Status.DECLINED, Status.CLOSED}),
    Status.ACCEPTED: frozenset({Status.CLOSED}),
    Status.DECLINED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
LOGGABLE = (
    "actor",
    "status",
    "channel",
    "sent_on",
    "reply_due_on",
    "reply_received_on",
    "reference_number",
    "outcome",
    "documents_sent",
    "defenders",
    "grant_amount",
    "grant_currency",
    "kind",
    "language",
    "format",
)
# The encrypted details a draft holds: every revealable text but the reply and the outcome notes,
# which come with their own actions.
ENCRYPTED = tuple(name for name in REVEALABLE if name not in ("reply", "outcome_notes"))
# Details a person may set on a draft or change later (the status, reply and outcome have their
# own actions, with their own history lines).
EDITABLE = (
    "channel",
    "reference_number",
    "reply_due_on",
    "documents_sent",
    "grant_amount",
    "grant_currency",
    *ENCRYPTED,
)


def _target(referral: Referral) -> tuple[str, Any]:
    return ("referral", referral.pk)


def _timeline(referral: Referral, actor: Membership | None, kind: str, **details: Any) -> None:
    TimelineEvent.objects.create(
        case=referral.case,
        kind=kind,
        actor=actor.user if actor else None,
        target_type="referral",
        target_id=str(referral.pk),
        details={"actor": referral.actor.name, **details},
    )


def _history(
    referral: Referral, actor: Membership | None, kind: str, old: str = "", new: str = "", **details: Any
) -> None:
    ReferralEvent.objects.create(
        referral=referral,
        kind=kind,
        old_status=old,
        new_status=new,
        by=actor.user if actor else None,
        details=details,
    )


def _audit(action: str, actor: Membership, referral: Referral, changes: dict[str, tuple[Any, Any]]) -> None:
    record(
        action,
        actor=actor.user,
        organization=actor.organization,
        target=_target(referral),
        changes=changes,
        loggable=LOGGABLE,
    )


def _check_defenders(case: Case, defenders: Iterable[Defender]) -> list[Defender]:
    """Only defenders of this case: a referral cannot be a way to send anyone else's record."""
    chosen = list(defenders)
    on_case = set(case.defenders.values_list("pk", flat=True))
    if not chosen:
        raise ValidationError({"defenders": _("Choose at least one defender of the case.")})
    if any(defender.pk not in on_case for defender in chosen):
        raise ValidationError({"defenders": _("Choose defenders of this case.")})
    return chosen


def _ids(records: Iterable[Any]) -> list[str]:
    return sorted(str(item.pk) for item in records)


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise ValueError(f"not editable here: {', '.join(unknown)}")
    if "documents_sent" in fields:
        from .documents import KINDS

        if any(kind not in KINDS for kind in fields["documents_sent"]):
            raise ValidationError({"documents_sent": _("Unknown kind of document.")})


@transaction.atomic
def do_create_referral(
    actor: Membership, case: Case, *, to: ProtectionActor, defenders: Iterable[Defender], **fields: Any
) -> Referral:
    """A draft: saved whatever the consents say; sending it is what needs them."""
    require(actor, "referrals.edit")
    require_visible_case(actor, case)
    if not to.active:
        raise ValidationError({"actor": _("This protection actor is no longer active in the directory.")})
    _check_fields(fields)
    chosen = _check_defenders(case, defenders)
    referral = Referral(organization_id=case.organization_id, case=case, actor=to, created_by=actor.user, **fields)
    referral.save()
    referral.defenders.set(chosen)
    _audit(
        "referral.created",
        actor,
        referral,
        {
            "actor": (None, to.slug),
            "defenders": (None, _ids(chosen)),
            **{name: (None, value) for name, value in fields.items() if not is_blank(value)},
        },
    )
    _history(referral, actor, ReferralEvent.Kind.CREATED, new=Status.DRAFT)
    _timeline(referral, actor, "referral.created")
    return referral


@transaction.atomic
def do_update_referral(
    actor: Membership, referral: Referral, *, defenders: Iterable[Defender] | None = None, **fields: Any
) -> Referral:
    require(actor, "referrals.edit")
    require_visible_referral(actor, referral)
    _check_fields(fields)
    changes: dict[str, tuple[Any, Any]] = {}
    for name, value in fields.items():
        old = getattr(referral, name)
        if old != value:
            changes[name] = (None if name in ENCRYPTED else old, None if name in ENCRYPTED else value)
            setattr(referral, name, value)
    if defenders is not None:
        if referral.status != Status.DRAFT:
            raise ValidationError({"defenders": _("The defenders concerned cannot change once the referral is sent.")})
        chosen = _check_defenders(referral.case, defenders)
        before = _ids(referral.defenders.all())
        if before != _ids(chosen):
            changes["defenders"] = (before, _ids(chosen))
            referral.defenders.set(chosen)
    if not changes:
        return referral
    referral.save()
    _audit("referral.updated", actor, referral, changes)
    return referral


def default_reply_due(referral: Referral, sent_on: date) -> date | None:
    """The actor's typical response time, from the directory, counted from the day it was sent."""
    hours = referral.actor.response_time_hours
    return sent_on + timedelta(days=max(1, math.ceil(hours / 24))) if hours else None


def check_consents(referral: Referral) -> None:
    """Refuse, naming each defender and the consent missing, when any is not in force."""
    missing = missing_consents(referral.defenders.order_by("public_name"), referral.actor)
    if missing:
        raise ValidationError({"status": [item.reason for item in missing]})


@transaction.atomic
def do_change_status(
    actor: Membership,
    referral: Referral,
    new_status: str,
    *,
    sent_on: date | None = None,
    channel: str = "",
    note: str = "",
) -> Referral:
    require(actor, "referrals.edit")
    require_visible_referral(actor, referral)
    old = referral.status
    if new_status == old:
        return referral
    if new_status not in TRANSITIONS.get(old, frozenset()):
        raise ValidationError(
            {
                "status": _("A referral that is %(old)s cannot become %(new)s.")
                % {
                    "old": Status(old).label,
                    "new": Status(new_status).label if new_status in Status.values else new_status,
                }
            }
        )
    changes: dict[str, tuple[Any, Any]] = {"status": (old, new_status)}
    if new_status == Status.SENT:
        check_consents(referral)
        referral.sent_on = sent_on or timezone.localdate()
        changes["sent_on"] = (None, referral.sent_on)
        if channel:
            changes["channel"] = (referral.channel, channel)
            referral.channel = channel
        if referral.reply_due_on is None:
            referral.reply_due_on = default_reply_due(referral, referral.sent_on)
            changes["reply_due_on"] = (None, referral.reply_due_on)
        for defender in referral.defenders.all():
            ReferralConsent.objects.update_or_create(
                referral=referral,
                defender=defender,
                defaults={"consent": sharing_consent(defender, referral.actor), "checked_by": actor.user},
            )
    referral.status = new_status
    referral.status_changed_at = timezone.now()
    referral.save()
    _audit("referral.status_changed", actor, referral, changes)
    _history(referral, actor, ReferralEvent.Kind.STATUS, old=old, new=new_status)
    if new_status == Status.SENT:
        _timeline(referral, actor, "referral.sent")
    else:
        _timeline(referral, actor, "referral.status_changed", old=old, new=new_status)
    return referral


@transaction.atomic
def do_record_reply(actor: Membership, referral: Referral, *, reply: str, received_on: date | None = None) -> Referral:
    require(actor, "referrals.edit")
    require_visible_referral(actor, referral)
    if referral.status == Status.DRAFT:
        raise ValidationError({"reply": _("Send the referral before recording a reply.")})
    if not reply.strip():
        raise ValidationError({"reply": _("Write what the reply said.")})
    received_on = received_on or timezone.localdate()
    if referral.sent_on and received_on < referral.sent_on:
        raise ValidationError({"received_on": _("A reply cannot arrive before the referral was sent.")})
    referral.reply = reply
    old_date = referral.reply_received_on
    referral.reply_received_on = received_on
    referral.save()
    _audit(
        "referral.reply_recorded",
        actor,
        referral,
        {"reply": (None, None), "reply_received_on": (old_date, received_on)},
    )
    _history(referral, actor, ReferralEvent.Kind.REPLY, received_on=received_on.isoformat())
    _timeline(referral, actor, "referral.reply_recorded")
    return referral


@transaction.atomic
def do_record_outcome(actor: Membership, referral: Referral, *, outcome: str, notes: str = "") -> Referral:
    require(actor, "referrals.edit")
    require_visible_referral(actor, referral)
    if outcome not in Referral.Outcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    if referral.status == Status.DRAFT and outcome != Referral.Outcome.WITHDRAWN:
        raise ValidationError({"outcome": _("A referral that was never sent can only be withdrawn.")})
    old = referral.outcome
    referral.outcome = outcome
    referral.outcome_notes = notes
    referral.save()
    _audit("referral.outcome_recorded", actor, referral, {"outcome": (old, outcome), "outcome_notes": (None, None)})
    _history(referral, actor, ReferralEvent.Kind.OUTCOME, outcome=outcome)
    _timeline(referral, actor, "referral.outcome_recorded", outcome=outcome)
    return referral


@transaction.atomic
def do_reveal(actor: Membership, referral: Referral, fields: Iterable[str]) -> list[str]:
    """Put the reveal on record before any value is opened."""
    require(actor, "cases.reveal")
    require_visible_referral(actor, referral)
    return record_reveal("referral.revealed", actor, _target(referral), fields, REVEALABLE)


@dataclass(frozen=True)
class Download:
    content: bytes
    media_type: str
    filename: str


def do_download_document(actor: Membership, referral: Referral, kind: str, language: str, fmt: str) -> Download:
    """A submission draft, made in memory and never written to disk. Refused while required facts
    are missing; audited (who downloaded which document of which case)."""
    from . import documents

    require(actor, "cases.reveal")
    require_visible_referral(actor, referral)
    if kind not in documents.KINDS:
        raise ValidationError({"kind": _("Unknown kind of document.")})
    if language not in documents.LANGUAGES:
        raise ValidationError({"language": _("Choose one of the languages offered.")})
    if fmt not in documents.FORMATS:
        raise ValidationError({"format": _("Choose DOCX or PDF.")})
    missing = documents.missing_facts(referral, kind)
    if missing:
        raise ValidationError({"kind": [item.message for item in missing]})
    with transaction.atomic():
        record(
            "referral.document_downloaded",
            actor=actor.user,
            organization=actor.organization,
            target=_target(referral),
            changes={
                "kind": (None, kind),
                "language": (None, language),
                "format": (None, fmt),
                "case": (None, str(referral.case_id)),
            },
            loggable=(*LOGGABLE, "case"),
        )
    content = documents.generate(referral, kind, language, fmt)
    filename = f"{referral.case.reference}-{kind}-{language}.{fmt}"
    return Download(content, documents.FORMATS[fmt], filename)


def do_note_decryption_failure(actor: Membership, referral: Referral, fields: Iterable[str]) -> None:
    with transaction.atomic():
        record_fields("referral.decryption_failed", actor, _target(referral), fields)
