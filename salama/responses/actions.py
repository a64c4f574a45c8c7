"""Every change to responses and lessons goes through these functions.

Each one checks the permission and the case's need to know, changes state in one transaction,
writes one audit entry and one case timeline line. Encrypted fields are named in the audit log
and the timeline, never their values.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salama.accounts.models import User
from salama.audit.actions import record, record_fields, record_reveal
from salama.cases.access import require_visible_case
from salama.cases.models import Case, TimelineEvent
from salama.core.encryption import EncryptedField
from salama.core.permissions import LEADS, require
from salama.core.values import is_blank
from salama.orgs.models import Membership

from .access import OUTCOME_NOTES, STEP_NOTES, case_context, require_visible_response, steps_of
from .models import (
    DETAIL_MODELS,
    STEP_FIELDS,
    STEP_KINDS,
    AccompanimentDetail,
    AdvocacyDetail,
    Kind,
    Lesson,
    Outcome,
    Response,
    ResponseDetail,
    ResponseStep,
)

# Public values the audit log may keep; every other field is recorded by name alone.
LOGGABLE = (
    "kind",
    "status",
    "outcome",
    "started_on",
    "ended_on",
    "cost_amount",
    "cost_currency",
    "actor",
    "referral",
    "owner",
    "defenders",
    "amount",
    "currency",
    "purpose",
    "funder_actor",
    "funder_organization",
    "report_due_on",
    "report_received_on",
    "host",
    "country",
    "permit_status",
    "permit_applied_on",
    "permit_decided_on",
    "permit_valid_until",
    "departure_on",
    "return_on",
    "checkin_schedule",
    "court",
    "stage",
    "support",
    "sessions_count",
    "lead_mission",
    "joint_statement",
    "step",
    "occurred_on",
    "shared_with_network",
    "lesson",
)
RESPONSE_FIELDS = ("owner", "started_on", "ended_on", "cost_amount", "cost_currency", "actor", "referral")
OPEN_STATUSES = (Response.Status.PLANNED, Response.Status.ACTIVE)
CLOSED_STATUSES = (Response.Status.COMPLETED, Response.Status.CANCELLED)


def _target(response: Response) -> tuple[str, Any]:
    return ("response", response.pk)


def _event(response: Response, actor: Membership, kind: str, **details: Any) -> None:
    TimelineEvent.objects.create(
        case_id=response.case_id,
        kind=kind,
        actor=actor.user,
        target_type="response",
        target_id=str(response.pk),
        details={"response_kind": response.kind, **details},
    )


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, Decimal):
        return str(value)
    return value


def _check_open(response: Response) -> None:
    if response.is_closed:
        raise ValidationError(_("This response is closed: it can no longer be changed."))


def _check_defenders(case: Case, defenders: Iterable[Any]) -> list[Any]:
    defenders = list(defenders)
    on_case = set(case.defenders.values_list("pk", flat=True))
    if any(d.pk not in on_case for d in defenders):
        raise ValidationError({"defenders": _("Choose defenders of this case.")})
    return defenders


def _check_owner(actor: Membership, owner: User | None) -> None:
    if owner is not None and not Membership.objects.filter(organization=actor.organization, user=owner).exists():
        raise ValidationError({"owner": _("The owner must be a member of the organisation.")})


def _check_referral(case: Case, referral: Any) -> None:
    if referral is not None and referral.case_id != case.pk:
        raise ValidationError({"referral": _("Choose a referral of this case.")})


def _check_dates(started_on: date | None, ended_on: date | None) -> None:
    if started_on and ended_on and ended_on < started_on:
        raise ValidationError({"ended_on": _("The end cannot come before the start.")})


def _check_cost(amount: Decimal | None, currency: str) -> None:
    if amount is not None and amount < 0:
        raise ValidationError({"cost_amount": _("A cost cannot be negative.")})
    if amount is not None and not currency:
        raise ValidationError({"cost_currency": _("Give the currency of the cost.")})


@transaction.atomic
def do_create_response(
    actor: Membership,
    case: Case,
    *,
    kind: str,
    defenders: Iterable[Any] = (),
    owner: User | None = None,
    started_on: date | None = None,
    ended_on: date | None = None,
    cost_amount: Decimal | None = None,
    cost_currency: str = "",
    status: str = Response.Status.PLANNED,
    protection_actor: Any = None,
    referral: Any = None,
) -> Response:
    require(actor, "responses.edit")
    require_visible_case(actor, case)
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Choose the kind of response.")})
    if status not in OPEN_STATUSES:
        raise ValidationError({"status": _("A new response is planned or active; close it once it has ended.")})
    defenders = _check_defenders(case, defenders) or list(case.defenders.all())
    _check_owner(actor, owner)
    _check_referral(case, referral)
    if status == Response.Status.ACTIVE and started_on is None:
        started_on = timezone.localdate()
    _check_dates(started_on, ended_on)
    _check_cost(cost_amount, cost_currency)
    response = Response(
        organization_id=case.organization_id,
        case=case,
        kind=kind,
        owner=owner or actor.user,
        started_on=started_on,
        ended_on=ended_on,
        cost_amount=cost_amount,
        cost_currency=cost_currency.upper(),
        status=status,
        actor=protection_actor,
        referral=referral,
        created_by=actor.user,
    )
    response.save()
    response.defenders.set(defenders)
    DETAIL_MODELS[kind](organization_id=case.organization_id, response=response).save()
    changes = {
        "kind": (None, kind),
        "status": (None, status),
        "owner": (None, _plain(response.owner)),
        "actor": (None, _plain(protection_actor)),
        "defenders": (None, sorted(str(d.pk) for d in defenders)),
    }
    record(
        "response.created",
        actor=actor.user,
        organization=actor.organization,
        target=_target(response),
        changes=changes,
        loggable=LOGGABLE,
    )
    _event(response, actor, "response.created", status=status)
    return response


@transaction.atomic
def do_update_response(actor: Membership, response: Response, **fields: Any) -> Response:
    """The public columns and the defenders concerned; only those given change."""
    require(actor, "responses.edit")
    require_visible_response(actor, response)
    _check_open(response)
    changes: dict[str, tuple[Any, Any]] = {}
    if "defenders" in fields:
        defenders = _check_defenders(response.case, fields.pop("defenders"))
        old = sorted(str(pk) for pk in response.defenders.values_list("pk", flat=True))
        new = sorted(str(d.pk) for d in defenders)
        if defenders and old != new:
            response.defenders.set(defenders)
            changes["defenders"] = (old, new)
    if "protection_actor" in fields:
        fields["actor"] = fields.pop("protection_actor")
    for name in fields:
        if name not in RESPONSE_FIELDS:
            raise ValueError(f"{name} is not changed through do_update_response")
    _check_owner(actor, fields.get("owner"))
    _check_referral(response.case, fields.get("referral"))
    if "cost_currency" in fields:
        fields["cost_currency"] = (fields["cost_currency"] or "").upper()
    _check_dates(fields.get("started_on", response.started_on), fields.get("ended_on", response.ended_on))
    _check_cost(fields.get("cost_amount", response.cost_amount), fields.get("cost_currency", response.cost_currency))
    for name, value in fields.items():
        old_value = getattr(response, name)
        if _plain(old_value) != _plain(value):
            changes[name] = (_plain(old_value), _plain(value))
            setattr(response, name, value)
    if not changes:
        return response
    response.save()
    record(
        "response.updated",
        actor=actor.user,
        organization=actor.organization,
        target=_target(response),
        changes=changes,
        loggable=LOGGABLE,
    )
    _event(response, actor, "response.updated", fields=sorted(changes))
    return response


@transaction.atomic
def do_change_status(actor: Membership, response: Response, status: str) -> Response:
    """Between planned and active. Completing or cancelling is closing: `do_close_response`."""
    require(actor, "responses.edit")
    require_visible_response(actor, response)
    _check_open(response)
    if status in CLOSED_STATUSES:
        raise ValidationError({"status": _("Close the response with its outcome and what was learnt.")})
    if status not in OPEN_STATUSES:
        raise ValidationError({"status": _("Choose a status.")})
    if status == response.status:
        raise ValidationError({"status": _("The response already has this status.")})
    old = response.status
    response.status = status
    if status == Response.Status.ACTIVE and response.started_on is None:
        response.started_on = timezone.localdate()
    response.save()
    record(
        "response.status_changed",
        actor=actor.user,
        organization=actor.organization,
        target=_target(response),
        changes={"status": (old, status)},
        loggable=LOGGABLE,
    )
    _event(response, actor, "response.status_changed", old=old, new=status)
    return response


def detail_field_names(model: type[ResponseDetail]) -> list[str]:
    hidden = {"id", "organization", "data_key_id", "record_version", "response", "updated_at"}
    return [f.name for f in model._meta.concrete_fields if f.name not in hidden]


def encrypted_field_names(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]


def detail_of(response: Response) -> ResponseDetail:
    model = DETAIL_MODELS[response.kind]
    detail = model._default_manager.filter(response=response, organization_id=response.organization_id).first()
    return detail or model(organization_id=response.organization_id, response=response)


def _check_detail_links(response: Response, detail: ResponseDetail, fields: dict[str, Any]) -> None:
    schedule = fields.get("checkin_schedule")
    if (
        isinstance(detail, AccompanimentDetail)
        and schedule is not None
        and (schedule.organization_id != response.organization_id or schedule.case_id not in (None, response.case_id))
    ):
        raise ValidationError({"checkin_schedule": _("Choose a check-in schedule of this case.")})
    statement = fields.get("joint_statement")
    if (
        isinstance(detail, AdvocacyDetail)
        and statement is not None
        and statement.organization_id != response.organization_id
    ):
        raise ValidationError({"joint_statement": _("Choose a joint statement your organisation drafted.")})


@transaction.atomic
def do_save_detail(
    actor: Membership, response: Response, *, erase: Iterable[str] = (), **fields: Any
) -> ResponseDetail:
    """The kind's details. An encrypted field left empty keeps what is recorded (forms never
    show protected values); `erase` names the ones to empty on purpose."""
    require(actor, "responses.edit")
    require_visible_response(actor, response)
    _check_open(response)
    detail = detail_of(response)
    allowed = set(detail_field_names(type(detail)))
    encrypted = set(encrypted_field_names(type(detail)))
    unknown = (set(fields) | set(erase)) - allowed
    if unknown:
        raise ValueError(f"not details of a {response.kind}: {sorted(unknown)}")
    _check_detail_links(response, detail, fields)
    changes: dict[str, tuple[Any, Any]] = {}
    for name, value in fields.items():
        if name in encrypted:
            if is_blank(value):
                continue
            if getattr(detail, name) != value:
                changes[name] = (None, None)
                setattr(detail, name, value)
            continue
        old = getattr(detail, name)
        if _plain(old) != _plain(value):
            changes[name] = (_plain(old), _plain(value))
            setattr(detail, name, value)
    for name in erase:
        if name in encrypted and not is_blank(getattr(detail, name)):
            changes[name] = (None, None)
            field: Any = type(detail)._meta.get_field(name)
            setattr(detail, name, field.empty())
    if not changes and not detail._state.adding:
        return detail
    detail.save()
    record(
        "response.detail_changed",
        actor=actor.user,
        organization=actor.organization,
        target=_target(response),
        changes=changes,
        loggable=LOGGABLE,
    )
    _event(response, actor, "response.detail_changed", fields=sorted(changes))
    return detail


@transaction.atomic
def do_add_step(
    actor: Membership, response: Response, *, kind: str, occurred_on: date, notes: str = "", **fields: Any
) -> ResponseStep:
    require(actor, "responses.edit")
    require_visible_response(actor, response)
    _check_open(response)
    if kind not in STEP_KINDS[response.kind]:
        raise ValidationError({"kind": _("This kind of step does not belong to this response.")})
    unknown = set(fields) - set(STEP_FIELDS[response.kind])
    if unknown:
        raise ValueError(f"not step fields of a {response.kind}: {sorted(unknown)}")
    if kind == ResponseStep.Kind.DISBURSEMENT and not (fields.get("amount") and fields["amount"] > 0):
        raise ValidationError({"amount": _("Give the amount disbursed.")})
    step = ResponseStep(
        organization_id=response.organization_id,
        response=response,
        kind=kind,
        occurred_on=occurred_on,
        notes=notes,
        **{name: value for name, value in fields.items() if value is not None},
    )
    step.save()
    record(
        "response.step_added",
        actor=actor.user,
        organization=actor.organization,
        target=_target(response),
        changes={
            "step": (None, str(step.pk)),
            "kind": (None, kind),
            "occurred_on": (None, occurred_on),
            **({"notes": (None, None)} if notes else {}),
        },
        loggable=LOGGABLE,
    )
    _event(response, actor, "response.step_added", step_kind=kind)
    return step


@transaction.atomic
def do_remove_step(actor: Membership, step: ResponseStep) -> None:
    response = step.response
    require(actor, "responses.edit")
    require_visible_response(actor, response)
    _check_open(response)
    record(
        "response.step_removed",
        actor=actor.user,
        organization=actor.organization,
        target=_target(response),
        changes={"step": (str(step.pk), None), "kind": (step.kind, None)},
        loggable=LOGGABLE,
    )
    _event(response, actor, "response.step_removed", step_kind=step.kind)
    step.delete()


@transaction.atomic
def do_close_response(
    actor: Membership,
    response: Response,
    *,
    status: str,
    outcome: str,
    what_worked: str,
    what_did_not_work: str,
    outcome_notes: str = "",
    ended_on: date | None = None,
    share_with_network: bool = False,
) -> Lesson:
    """Closing records the outcome and what was learnt, as a de-identified `Lesson`.

    The lesson's context is coded and read from the record (country, sectors, threats, actor,
    kind); its two texts are the closer's own words, written to name no one."""
    require(actor, "responses.edit")
    require_visible_response(actor, response)
    _check_open(response)
    errors: dict[str, str] = {}
    if status not in CLOSED_STATUSES:
        errors["status"] = _("Close the response as completed or cancelled.")
    if outcome not in Outcome.values:
        errors["outcome"] = _("Choose the outcome.")
    if not what_worked.strip():
        errors["what_worked"] = _("Say what worked (or that nothing did).")
    if not what_did_not_work.strip():
        errors["what_did_not_work"] = _("Say what did not work (or that everything did).")
    if share_with_network and actor.role not in LEADS:
        errors["share_with_network"] = _("Only admins and coordinators can share a lesson with the network.")
    if errors:
        raise ValidationError(errors)
    ended_on = ended_on or response.ended_on or timezone.localdate()
    _check_dates(response.started_on, ended_on)
    old_status = response.status
    response.status = status
    response.outcome = outcome
    response.ended_on = ended_on
    response.closed_at = timezone.now()
    if outcome_notes.strip():
        response.outcome_notes = outcome_notes
    response.save()
    context = case_context(response.case)
    lesson = Lesson.objects.create(
        organization_id=response.organization_id,
        response=response,
        country=context.country,
        actor=response.actor,
        response_kind=response.kind,
        outcome=outcome,
        what_worked=what_worked.strip(),
        what_did_not_work=what_did_not_work.strip(),
        shared_with_network=share_with_network,
        year=ended_on.year,
        created_by=actor.user,
    )
    lesson.sectors.set(context.sectors)
    lesson.threats.set(context.threats)
    record(
        "response.closed",
        actor=actor.user,
        organization=actor.organization,
        target=_target(response),
        changes={
            "status": (old_status, status),
            "outcome": (None, outcome),
            "ended_on": (None, ended_on),
            "lesson": (None, str(lesson.pk)),
            "shared_with_network": (None, share_with_network),
            **({"outcome_notes": (None, None)} if outcome_notes.strip() else {}),
        },
        loggable=LOGGABLE,
    )
    _event(response, actor, "response.closed", old=old_status, new=status, outcome=outcome)
    return lesson


@transaction.atomic
def do_set_lesson_sharing(actor: Membership, lesson: Lesson, shared: bool) -> Lesson:
    """Only the organisation's leads decide what the network reads of its lessons."""
    require(actor, "responses.edit")
    if lesson.organization_id != actor.organization_id or actor.role not in LEADS:
        raise ValidationError(_("Only admins and coordinators of its organisation can share a lesson."))
    if lesson.shared_with_network == shared:
        return lesson
    lesson.shared_with_network = shared
    lesson.save(update_fields=["shared_with_network"])
    record(
        "lesson.sharing_changed",
        actor=actor.user,
        organization=actor.organization,
        target=("lesson", lesson.pk),
        changes={"shared_with_network": (not shared, shared)},
        loggable=LOGGABLE,
    )
    return lesson


def revealable(response: Response) -> tuple[str, ...]:
    return (OUTCOME_NOTES, STEP_NOTES, *encrypted_field_names(DETAIL_MODELS[response.kind]))


@transaction.atomic
def do_reveal(actor: Membership, response: Response, fields: Iterable[str]) -> list[str]:
    """Only the audit entry: whoever reveals is on record before any value is opened."""
    require(actor, "cases.reveal")
    require_visible_response(actor, response)
    return record_reveal("response.revealed", actor, _target(response), fields, revealable(response))


def open_values(response: Response, names: Iterable[str]) -> dict[str, Any]:
    """The values asked for, opened now; raises DecryptionError rather than show stored bytes."""
    names = list(names)
    values: dict[str, Any] = {}
    detail = detail_of(response)
    for name in names:
        if name == OUTCOME_NOTES:
            values[name] = response.outcome_notes
        elif name == STEP_NOTES:
            values[name] = {str(step.pk): step.notes for step in steps_of(response)}
        else:
            values[name] = getattr(detail, name)
    return values


@transaction.atomic
def do_note_decryption_failure(actor: Membership, response: Response, fields: Iterable[str]) -> None:
    record_fields("case.decryption_failed", actor, ("case", response.case_id), fields)
