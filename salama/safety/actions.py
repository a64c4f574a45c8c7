"""Every change to check-in schedules and emergencies goes through these functions.

Staff actions check the permission and need to know; the defender's own actions (checking in,
raising or cancelling an SOS) are reached through the signed link or a code, which is their
credential. Each writes its audit entry and, when the defender is on a case, a timeline line.
A duress emergency appears on staff timelines as "duress" and on nothing the defender sees.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salama.audit.actions import record
from salama.cases.access import visible_cases
from salama.cases.models import Case, TimelineEvent
from salama.core import jobs
from salama.core.permissions import require, role_can
from salama.defenders.access import require_visible_defender
from salama.defenders.models import Defender
from salama.orgs.models import Membership

from . import codes, notify
from .models import Audience, CheckIn, CheckInSchedule, Emergency, EscalationStep, default_chain

log = logging.getLogger("salama.safety")
LOGGABLE = (
    *("defender", "case", "interval", "grace_period", "channel", "active", "escalation_chain", "kind"),
    *("state", "outcome", "via", "late", "reason", "silent", "position", "link_version", "language"),
)
MIN_INTERVAL = timedelta(minutes=15)
MAX_AHEAD = timedelta(days=366)
MAX_STEP_DELAY = 30 * 24 * 60  # minutes


@dataclass(frozen=True)
class Credentials:
    """What the defender is given, shown once: the link and the two codes."""

    link: str
    code: str
    duress_code: str


# -- helpers -----------------------------------------------------------------------------------


def _audit(action: str, organization: Any, target: tuple[str, Any], actor: Any = None, **changes: Any) -> None:
    record(
        action,
        actor=actor,
        organization=organization,
        target=target,
        changes={name: (None, value) for name, value in changes.items()},
        loggable=LOGGABLE,
    )


def timeline(emergency: Emergency, kind: str, actor: Any = None, **details: Any) -> None:
    """A line on the case's timeline (staff only see it); duress is named as such."""
    case_ids = [emergency.case_id] if emergency.case_id else []
    if not case_ids:
        case_ids = list(
            Case.objects.filter(organization_id=emergency.organization_id, defenders=emergency.defender_id).values_list(
                "pk", flat=True
            )
        )
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            case_id=case_id,
            kind=kind,
            actor=actor,
            target_type="emergency",
            target_id=str(emergency.pk),
            details={"emergency_kind": emergency.kind, **details},
        )
        for case_id in case_ids
    )


def _check_chain(chain: list[dict[str, Any]]) -> list[dict[str, Any]]:
    audiences = set(Audience.values)
    cleaned = []
    for step in chain:
        try:
            audience, after = str(step["to"]), int(step.get("after", 0))
        except (KeyError, TypeError, ValueError):
            raise ValidationError(
                {"escalation_chain": _("Each step names who it reaches and after how many minutes.")}
            ) from None
        if audience not in audiences or not 0 <= after <= MAX_STEP_DELAY:
            raise ValidationError({"escalation_chain": _("Each step names who it reaches and after how many minutes.")})
        cleaned.append({"to": audience, "after": after})
    if not cleaned:
        raise ValidationError({"escalation_chain": _("The escalation chain needs at least one step.")})
    return cleaned


def _check_due(moment: datetime) -> None:
    now = timezone.now()
    if not now - MAX_AHEAD <= moment <= now + MAX_AHEAD:
        raise ValidationError({"next_due_at": _("Choose a time within a year from now.")})


def _check_schedule(actor: Membership, defender: Defender, case: Case | None, fields: dict[str, Any]) -> None:
    require_visible_defender(actor, defender)
    if fields["interval"] > MAX_AHEAD / 12 or fields["grace_period"] > MAX_AHEAD / 12:
        raise ValidationError(_("Intervals and grace periods are at most a month."))
    if case is not None and not visible_cases(actor).filter(pk=case.pk, defenders=defender).exists():
        raise ValidationError({"case": _("Choose a case of this defender that you can see.")})
    if fields["interval"] < MIN_INTERVAL:
        raise ValidationError({"interval": _("Check-ins cannot be due more often than every 15 minutes.")})
    if fields["grace_period"] < timedelta(0):
        raise ValidationError({"grace_period": _("The grace period cannot be negative.")})
    fields["escalation_chain"] = _check_chain(fields["escalation_chain"])
    refusal = notify.reachability_refusal(actor.organization_id, defender, case, fields["escalation_chain"])
    if refusal:
        raise ValidationError(refusal)


def _wake() -> None:
    transaction.on_commit(jobs.wake)


# -- schedules ---------------------------------------------------------------------------------


@transaction.atomic
def do_create_schedule(
    actor: Membership,
    *,
    defender: Defender,
    case: Case | None = None,
    interval: timedelta = timedelta(hours=24),
    grace_period: timedelta = timedelta(hours=1),
    channel: str = CheckInSchedule.Channel.EMAIL,
    language: str = "",
    escalation_chain: list[dict[str, Any]] | None = None,
    first_due_at: datetime | None = None,
) -> tuple[CheckInSchedule, Credentials]:
    require(actor, "safety.manage")
    fields = {
        "interval": interval,
        "grace_period": grace_period,
        "escalation_chain": escalation_chain or default_chain(),
    }
    _check_schedule(actor, defender, case, fields)
    if first_due_at is not None:
        _check_due(first_due_at)
    schedule = CheckInSchedule(
        organization_id=actor.organization_id,
        defender=defender,
        case=case,
        channel=channel,
        language=language,
        next_due_at=first_due_at or timezone.now() + interval,
        created_by=actor.user,
        **fields,
    )
    credentials = _new_credentials(schedule)
    schedule.save()
    _audit(
        "safety.schedule_created",
        actor.organization,
        ("checkin_schedule", schedule.pk),
        actor.user,
        defender=str(defender.pk),
        case=str(case.pk) if case else None,
        interval=str(interval),
    )
    return schedule, credentials


@transaction.atomic
def do_update_schedule(actor: Membership, schedule: CheckInSchedule, **changes: Any) -> CheckInSchedule:
    require(actor, "safety.manage")
    allowed = {"case", "interval", "grace_period", "channel", "language", "escalation_chain", "active", "next_due_at"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"unknown schedule fields {sorted(unknown)}")
    if "next_due_at" in changes:
        _check_due(changes["next_due_at"])
    for name, value in changes.items():
        setattr(schedule, name, value)
    fields = {
        "interval": schedule.interval,
        "grace_period": schedule.grace_period,
        "escalation_chain": schedule.escalation_chain,
    }
    _check_schedule(actor, schedule.defender, schedule.case, fields)
    schedule.escalation_chain = fields["escalation_chain"]
    schedule.save()
    _audit(
        "safety.schedule_updated",
        actor.organization,
        ("checkin_schedule", schedule.pk),
        actor.user,
        **{name: str(value) for name, value in changes.items() if name in LOGGABLE and name != "case"},
    )
    return schedule


def _new_credentials(schedule: CheckInSchedule) -> Credentials:
    code, duress = codes.new_code(), codes.new_code()
    while duress == code:
        duress = codes.new_code()
    schedule.code_digest, schedule.duress_digest = codes.code_digest(code), codes.code_digest(duress)
    return Credentials(codes.link_url(schedule), code, duress)


@transaction.atomic
def do_issue_credentials(actor: Membership, schedule: CheckInSchedule) -> Credentials:
    """A new link and new codes; the old ones stop working at once."""
    require(actor, "safety.manage")
    require_visible_defender(actor, schedule.defender)
    schedule.link_version += 1
    credentials = _new_credentials(schedule)
    schedule.save(update_fields=["link_version", "code_digest", "duress_digest", "updated_at"])
    _audit(
        "safety.credentials_issued",
        actor.organization,
        ("checkin_schedule", schedule.pk),
        actor.user,
        link_version=schedule.link_version,
    )
    return credentials


# -- checking in -------------------------------------------------------------------------------


@transaction.atomic
def do_check_in(
    schedule: CheckInSchedule, *, via: str, duress: bool = False, actor: Membership | None = None
) -> CheckIn:
    """Record a check-in and move the schedule on. A late check-in resolves the open missed
    check-in escalation and tells those already alerted. A duress check-in does the same on the
    surface and starts a silent escalation underneath."""
    if actor is not None:
        require(actor, "safety.manage")
        require_visible_defender(actor, schedule.defender)
    now = timezone.now()
    schedule = (
        CheckInSchedule.objects.select_for_update().select_related("defender", "organization").get(pk=schedule.pk)
    )
    late = now > schedule.next_due_at
    checkin = CheckIn.objects.create(
        schedule=schedule, at=now, via=via, late=late, duress=duress, recorded_by=actor.user if actor else None
    )
    schedule.last_checkin_at = now
    schedule.next_due_at = now + schedule.interval
    schedule.save(update_fields=["last_checkin_at", "next_due_at", "updated_at"])
    _audit(
        "safety.checked_in",
        schedule.organization,
        ("checkin_schedule", schedule.pk),
        actor.user if actor else None,
        via=via,
        late=late,
        **({"silent": True} if duress else {}),
    )
    if duress:
        already = Emergency.objects.filter(
            schedule=schedule, kind=Emergency.Kind.DURESS, state__in=Emergency.OPEN_STATES
        ).exists()
        if not already:  # a second duress check-in while one escalates adds nothing new
            open_emergency(schedule.organization, schedule.defender, Emergency.Kind.DURESS, schedule=schedule)
        return checkin
    missed = Emergency.objects.filter(
        schedule=schedule, kind=Emergency.Kind.MISSED_CHECKIN, state__in=Emergency.OPEN_STATES
    ).first()
    if missed is not None:
        _close(missed, Emergency.State.RESOLVED, Emergency.Outcome.CHECKED_IN_LATE, None)
        notify.stand_down(missed, "checked_in_late")
    return checkin


# -- emergencies -------------------------------------------------------------------------------


def steps_for(emergency: Emergency, chain: list[dict[str, Any]], start: datetime) -> list[EscalationStep]:
    """The chain's steps as rows, each due at its cumulative delay; a silent emergency leaves out
    the steps that would reach people outside the organisation."""
    steps, due = [], start
    for position, step in enumerate(chain, start=1):
        due = due + timedelta(minutes=int(step["after"]))
        if emergency.silent and step["to"] == Audience.TRUSTED_CONTACTS:
            continue
        steps.append(EscalationStep(emergency=emergency, position=position, audience=step["to"], due_at=due))
    return steps


def open_emergency(
    organization: Any,
    defender: Defender,
    kind: str,
    *,
    schedule: CheckInSchedule | None = None,
    case: Case | None = None,
    raised_by: Any = None,
    location: str = "",
) -> Emergency:
    """An emergency and its steps, in the caller's transaction; the first step is due now."""
    now = timezone.now()
    emergency = Emergency(
        id=uuid.uuid4(),
        organization=organization,
        defender=defender,
        schedule=schedule,
        case=case or (schedule.case if schedule else None),
        kind=kind,
        silent=kind == Emergency.Kind.DURESS,
        raised_by=raised_by,
        started_at=now,
        cancel_until=now + timedelta(seconds=settings.SAFETY_SOS_CANCEL_SECONDS)
        if kind == Emergency.Kind.SOS
        else None,
    )
    emergency.location = location
    emergency.save()
    chain = schedule.escalation_chain if schedule else default_chain()
    EscalationStep.objects.bulk_create(steps_for(emergency, chain, now))
    # Duress reads as an SOS on staff timelines, flagged as duress.
    event = "safety.checkin_missed" if kind == Emergency.Kind.MISSED_CHECKIN else "safety.sos_raised"
    timeline(emergency, event, raised_by, duress=emergency.silent)
    _audit(
        "safety.emergency_opened",
        organization,
        ("emergency", emergency.pk),
        raised_by,
        kind=kind,
        defender=str(defender.pk),
    )
    _wake()
    return emergency


def _close(emergency: Emergency, state: str, outcome: str, actor: Membership | None) -> None:
    now = timezone.now()
    emergency.state, emergency.outcome = state, outcome
    emergency.resolved_at, emergency.resolved_by = now, actor.user if actor else None
    emergency.save()
    emergency.steps.filter(state=EscalationStep.State.PENDING).update(state=EscalationStep.State.STOPPED)
    kind = "safety.sos_cancelled" if state == Emergency.State.CANCELLED else "safety.resolved"
    timeline(emergency, kind, actor.user if actor else None, outcome=outcome, duress=emergency.silent)
    _audit(
        kind,
        emergency.organization,
        ("emergency", emergency.pk),
        actor.user if actor else None,
        state=state,
        outcome=outcome,
    )
    # The schedule counts a resolution as contact, so the tick does not start the chain again.
    schedule = emergency.schedule
    if schedule is not None and schedule.escalate_at <= now:
        schedule.next_due_at = now + schedule.interval
        schedule.save(update_fields=["next_due_at", "updated_at"])


def _require_open(emergency: Emergency) -> None:
    if not emergency.is_open:
        raise ValidationError(_("This emergency is already closed."))


def _prepare_alert(actor: Membership | None, emergency: Emergency) -> None:
    """An urgent-alert draft from the case, never published: a person writes and approves it."""
    from salama.alerts.actions import do_create_alert

    if actor is None or not role_can(actor.role, "alerts.edit"):
        return
    cases = [emergency.case] if emergency.case else []
    try:
        with transaction.atomic():
            alert = do_create_alert(actor, cases=cases, defenders=[emergency.defender])
    except (ValidationError, PermissionDenied):
        log.warning("safety: no alert draft for emergency %s", emergency.pk)
        return
    emergency.alert = alert
    emergency.save(update_fields=["alert"])


@transaction.atomic
def do_raise_sos(
    *,
    defender: Defender,
    schedule: CheckInSchedule | None = None,
    actor: Membership | None = None,
    case: Case | None = None,
    location: str = "",
) -> Emergency:
    """From the defender's link (no actor) or a caseworker's page. Confirmed already: the pages
    ask first. An SOS already open for the schedule is returned rather than doubled."""
    if actor is not None:
        require(actor, "safety.manage")
        require_visible_defender(actor, defender)
        if case is not None and not visible_cases(actor).filter(pk=case.pk, defenders=defender).exists():
            raise ValidationError({"case": _("Choose a case of this defender that you can see.")})
    if schedule is not None:
        existing = Emergency.objects.filter(
            schedule=schedule, kind=Emergency.Kind.SOS, state__in=Emergency.OPEN_STATES
        ).first()
        if existing is not None:
            return existing
    organization = actor.organization if actor else defender.organization
    emergency = open_emergency(
        organization,
        defender,
        Emergency.Kind.SOS,
        schedule=schedule,
        case=case,
        raised_by=actor.user if actor else None,
        location=location,
    )
    drafter = actor or _schedule_author(schedule)
    _prepare_alert(drafter, emergency)
    return emergency


def _schedule_author(schedule: CheckInSchedule | None) -> Membership | None:
    if schedule is None or schedule.created_by_id is None:
        return None
    return Membership.objects.filter(user_id=schedule.created_by_id, organization_id=schedule.organization_id).first()


@transaction.atomic
def do_cancel_sos(emergency: Emergency, *, actor: Membership | None = None) -> Emergency:
    """Within the cancel window, by whoever raised it (the defender through their link)."""
    if actor is not None:
        require(actor, "safety.manage")
    if emergency.raised_by_id != (actor.user_id if actor else None):
        raise ValidationError(_("Only the person who raised the SOS can cancel it."))
    if emergency.kind != Emergency.Kind.SOS or not emergency.can_cancel():
        raise ValidationError(_("The time to cancel this SOS has passed; ask a coordinator to resolve it."))
    _close(emergency, Emergency.State.CANCELLED, Emergency.Outcome.FALSE_ALARM, actor)
    notify.stand_down(emergency, "cancelled")
    return emergency


@transaction.atomic
def do_acknowledge(actor: Membership, emergency: Emergency) -> Emergency:
    """Someone is on it: the steps not yet fired are stopped."""
    require(actor, "safety.respond")
    require_visible_defender(actor, emergency.defender)
    _require_open(emergency)
    if emergency.state == Emergency.State.ACKNOWLEDGED:
        return emergency
    emergency.state = Emergency.State.ACKNOWLEDGED
    emergency.acknowledged_at, emergency.acknowledged_by = timezone.now(), actor.user
    emergency.save()
    emergency.steps.filter(state=EscalationStep.State.PENDING).update(state=EscalationStep.State.STOPPED)
    timeline(emergency, "safety.acknowledged", actor.user, duress=emergency.silent)
    _audit("safety.acknowledged", actor.organization, ("emergency", emergency.pk), actor.user, state=emergency.state)
    return emergency


@transaction.atomic
def do_escalate_now(actor: Membership, emergency: Emergency) -> EscalationStep | None:
    """Bring the next waiting step forward to now (re-opening it if acknowledged)."""
    require(actor, "safety.respond")
    require_visible_defender(actor, emergency.defender)
    _require_open(emergency)
    waiting = emergency.steps.filter(state__in=[EscalationStep.State.PENDING, EscalationStep.State.STOPPED])
    step = waiting.order_by("position").first()
    if step is None:
        raise ValidationError(_("Every step of the chain has already been sent."))
    step.state, step.due_at = EscalationStep.State.PENDING, timezone.now()
    step.save(update_fields=["state", "due_at"])
    timeline(emergency, "safety.escalated", actor.user, position=step.position, duress=emergency.silent)
    _audit("safety.escalated", actor.organization, ("emergency", emergency.pk), actor.user, position=step.position)
    _wake()
    return step


@transaction.atomic
def do_resolve(actor: Membership, emergency: Emergency, outcome: str) -> Emergency:
    require(actor, "safety.respond")
    require_visible_defender(actor, emergency.defender)
    _require_open(emergency)
    if outcome not in Emergency.Outcome.values:
        raise ValidationError({"outcome": _("Choose what happened.")})
    _close(emergency, Emergency.State.RESOLVED, outcome, actor)
    notify.stand_down(emergency, "resolved")
    return emergency


# -- refused links and codes -------------------------------------------------------------------


def record_refused(reason: str, address: str | None) -> None:
    """A forged, expired or wrong link or code: audited (never the value typed) and counted."""
    codes.count_guess(address)
    record("safety.checkin_refused", changes={"reason": (None, reason)}, loggable=("reason",))
