"""The safety timers, as rows (ARCHITECTURE.md s.5): one `tick(now)` does both halves.

1. Overdue schedules (active, `escalate_at <= now`, no open missed-check-in emergency) are found
   set-wise and get their Emergency and EscalationStep rows in one transaction. The partial
   unique constraint on open emergencies refuses a second one should two ticks race.
2. Due steps are claimed with a conditional UPDATE (pending -> firing, a lease and a random
   claim token), the claim commits, then each step is sent and marked fired in one transaction
   that only the holder of the current claim can commit. A worker killed after the claim leaves
   a lease that expires and is claimed again; one killed after the commit has fired the step.
   Either way the step fires once. The delivery engine's idempotency keys (the message is found
   again by its producer, the step's id) make a repeated send add nothing.

Registered with the workers as a `WorkSource`, so it runs in the embedded threads and, in scale
mode, in the Celery task `salama.safety_tick`.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from salama.audit.actions import record
from salama.cases.models import Case, TimelineEvent
from salama.core import jobs
from salama.core.bulk import insert_values
from salama.orgs.models import Organization

from . import notify
from .actions import timeline
from .models import CheckInSchedule, Emergency, EscalationStep

log = logging.getLogger("salama.safety")
# Bounded work per tick: with thousands overdue at once (an outage), each tick opens this many
# and fires their first steps before the next batch, so help starts moving within a second.
START_BATCH = 2_000
FIRE_BATCH = 50
CHUNK = 500
Step = EscalationStep.State


class Superseded(Exception):
    """Another worker holds the step's claim now: this one's work is rolled back."""


def overdue(now: datetime) -> Any:
    open_missed = Emergency.objects.filter(
        schedule=OuterRef("pk"), kind=Emergency.Kind.MISSED_CHECKIN, state__in=Emergency.OPEN_STATES
    )
    return CheckInSchedule.objects.filter(active=True, escalate_at__lte=now).exclude(Exists(open_missed))


def start_missed(now: datetime) -> int:
    """Open an escalation for every overdue schedule; how many were opened."""
    try:
        with transaction.atomic():
            return _start_missed(now)
    except IntegrityError:
        # A concurrent tick opened them first (PostgreSQL); nothing is lost.
        log.info("safety: another tick opened the overdue escalations first")
        return 0


def _start_missed(now: datetime) -> int:
    rows = list(
        overdue(now)
        .order_by("escalate_at")
        .values_list("pk", "organization_id", "defender_id", "case_id", "escalation_chain")[:START_BATCH]
    )
    if not rows:
        return 0
    emergencies: list[tuple[Any, ...]] = []
    steps: list[tuple[Any, ...]] = []
    for schedule_id, org_id, defender_id, case_id, chain in rows:
        emergency_id = uuid.uuid4()
        emergencies.append((emergency_id, org_id, schedule_id, defender_id, case_id))
        due = now
        for position, step in enumerate(chain, start=1):
            due = due + timedelta(minutes=int(step["after"]))
            steps.append((emergency_id, position, step["to"], due))
    # Written as plain multi-row inserts: at thousands of rows a tick, building model instances
    # would cost more than the database work. Nothing is sealed in a missed check-in's emergency
    # yet, so it needs no data key now (EncryptedModel.save makes one the first time).
    insert_values(
        Emergency,
        ("id", "organization_id", "schedule_id", "defender_id", "case_id"),
        emergencies,
        kind=Emergency.Kind.MISSED_CHECKIN,
        started_at=now,
    )
    insert_values(EscalationStep, ("emergency_id", "position", "audience", "due_at"), steps)
    _timeline_lines(emergencies, now)
    # One audit entry per organisation and tick: the emergencies themselves are the record.
    counts: dict[Any, int] = defaultdict(int)
    for row in emergencies:
        counts[row[1]] += 1
    for org_id, organization in Organization.objects.in_bulk(list(counts)).items():
        record(
            "safety.emergency_opened",
            organization=organization,
            changes={"kind": (None, Emergency.Kind.MISSED_CHECKIN), "count": (None, counts[org_id])},
            loggable=("kind", "count"),
        )
    return len(emergencies)


def _timeline_lines(emergencies: list[tuple[Any, ...]], now: datetime) -> None:
    """One "missed check-in" line per case: the schedule's case, or every case of the defender."""
    without_case = sorted({row[3] for row in emergencies if not row[4]}, key=str)
    cases_of: dict[Any, list[Any]] = defaultdict(list)
    through = Case.defenders.through
    for start in range(0, len(without_case), CHUNK):
        pairs = through.objects.filter(defender_id__in=without_case[start : start + CHUNK])
        for case_id, defender_id in pairs.values_list("case_id", "defender_id"):
            cases_of[defender_id].append(case_id)
    lines = [
        (case_id, str(emergency_id))
        for emergency_id, _org, _schedule, defender_id, own_case in emergencies
        for case_id in ([own_case] if own_case else cases_of.get(defender_id, []))
    ]
    insert_values(
        TimelineEvent,
        ("case_id", "target_id"),
        lines,
        kind="safety.checkin_missed",
        occurred_at=now,
        target_type="emergency",
        details={"emergency_kind": Emergency.Kind.MISSED_CHECKIN},
    )


# -- firing steps ------------------------------------------------------------------------------


def claim(now: datetime, limit: int = FIRE_BATCH) -> tuple[str, list[int]]:
    """Lease up to `limit` due steps (pending and due, or firing with an expired lease); commit."""
    token = secrets.token_hex(16)
    table = EscalationStep._meta.db_table
    postgresql = connection.vendor == "postgresql"
    due = (
        f"SELECT id FROM {table} "  # noqa: S608
        f"WHERE (state = %s AND due_at <= %s) OR (state = %s AND lease_until < %s) "
        f"ORDER BY due_at LIMIT %s{' FOR UPDATE SKIP LOCKED' if postgresql else ''}"
    )
    # As in salama.core.jobs.claim: ARRAY() runs the subquery once on PostgreSQL.
    chosen = f"id = ANY(ARRAY({due}))" if postgresql else f"id IN ({due})"
    sql = (
        f"UPDATE {table} SET state = %s, lease_until = %s, claim = %s, attempts = attempts + 1 "  # noqa: S608
        f"WHERE {chosen} RETURNING id"
    )
    lease_until = now + timedelta(seconds=settings.SAFETY_STEP_LEASE_SECONDS)
    params: list[Any] = [Step.FIRING, lease_until, token, Step.PENDING, now, Step.FIRING, now, limit]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return token, sorted(row[0] for row in cursor.fetchall())


def fire(step_id: int, token: str, now: datetime) -> bool:
    """Send one claimed step and record it, all or nothing; False when it was not ours to send."""
    try:
        with transaction.atomic():
            return _fire(step_id, token, now)
    except Superseded:
        return False


def _fire(step_id: int, token: str, now: datetime) -> bool:
    step = (
        EscalationStep.objects.select_related("emergency__defender", "emergency__organization", "emergency__case")
        .filter(pk=step_id, state=Step.FIRING, claim=token)
        .first()
    )
    if step is None:
        return False
    emergency = step.emergency
    mine = EscalationStep.objects.filter(pk=step.pk, state=Step.FIRING, claim=token)
    if not emergency.is_open:
        # Closed meanwhile (an acknowledgement already stopped the waiting steps; a step it
        # brings forward with "escalate now" is meant to go).
        if not mine.update(state=Step.STOPPED, lease_until=None):
            raise Superseded
        return True
    recipients = notify.recipients_for(emergency, step.audience)
    message = notify.send(emergency, ("safety.step", str(step.pk)), step.audience, recipients)
    if not mine.update(state=Step.FIRED, fired_at=now, lease_until=None, message=message, recipients=len(recipients)):
        raise Superseded
    timeline(emergency, "safety.escalated", position=step.position, audience=step.audience, duress=emergency.silent)
    return True


def fire_due(now: datetime) -> int:
    token, ids = claim(now)
    return sum(fire(step_id, token, now) for step_id in ids)


def remind_due(now: datetime, limit: int = FIRE_BATCH) -> int:
    """Remind defenders whose check-in has fallen due (once per due time), by their channel."""
    due = CheckInSchedule.objects.filter(active=True, next_due_at__lte=now).filter(
        Q(reminded_for__isnull=True) | Q(reminded_for__lt=F("next_due_at"))
    )
    sent = 0
    for schedule in due.select_related("defender", "organization").order_by("next_due_at")[:limit]:
        with transaction.atomic():
            # Conditional, like a claim: a concurrent tick that got there first wins.
            marked = CheckInSchedule.objects.filter(pk=schedule.pk, next_due_at=schedule.next_due_at).exclude(
                reminded_for=schedule.next_due_at
            )
            if marked.update(reminded_for=schedule.next_due_at):
                sent += notify.send_reminder(schedule)
    return sent


def tick(now: datetime | None = None) -> dict[str, int]:
    """Start escalations for missed check-ins, fire the steps that are due, remind defenders."""
    now = now or timezone.now()
    return {"started": start_missed(now), "fired": fire_due(now), "reminded": remind_due(now)}


# -- the workers -------------------------------------------------------------------------------


def work_once() -> int:
    return sum(tick().values())


def has_due_work() -> bool:
    now = timezone.now()
    due = Q(state=Step.PENDING, due_at__lte=now) | Q(state=Step.FIRING, lease_until__lt=now)
    unreminded = CheckInSchedule.objects.filter(active=True, next_due_at__lte=now).filter(
        Q(reminded_for__isnull=True) | Q(reminded_for__lt=F("next_due_at"))
    )
    return EscalationStep.objects.filter(due).exists() or overdue(now).exists() or unreminded.exists()


def wake_celery() -> None:
    from salama.celery import safety_tick

    safety_tick.delay()


def health() -> dict[str, int]:
    return {
        "steps_due": EscalationStep.objects.filter(state=Step.PENDING, due_at__lte=timezone.now()).count(),
        "open_emergencies": Emergency.objects.filter(state__in=Emergency.OPEN_STATES).count(),
    }


def register_with_workers() -> None:
    jobs.register_source(
        jobs.WorkSource(
            name="safety", work_once=work_once, has_due_work=has_due_work, wake_celery=wake_celery, health=health
        )
    )
