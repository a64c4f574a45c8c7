"""The only way to fetch schedules and emergencies: those of the defenders the member may see
(salama.defenders.access.visible_defenders decides need to know). Missing, another
organisation's and outside a person's need to know are all the same 404."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from salama.defenders.access import visible_defenders
from salama.orgs.models import Membership

from .models import CheckIn, CheckInSchedule, Emergency, EscalationStep


def _uuid(value: Any) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise Http404 from None


def schedules_of(membership: Membership) -> QuerySet[CheckInSchedule]:
    return (
        CheckInSchedule.objects.filter(
            organization_id=membership.organization_id, defender__in=visible_defenders(membership)
        )
        .select_related("defender", "case", "organization")
        .order_by("next_due_at", "pk")
    )


def access_schedule(membership: Membership, schedule_id: Any) -> CheckInSchedule:
    schedule = schedules_of(membership).filter(pk=_uuid(schedule_id)).first()
    if schedule is None:
        raise Http404
    return schedule


def emergencies_of(membership: Membership, *, open_only: bool = False) -> QuerySet[Emergency]:
    queryset = Emergency.objects.filter(
        organization_id=membership.organization_id, defender__in=visible_defenders(membership)
    ).select_related("defender", "case", "organization", "acknowledged_by", "resolved_by", "raised_by")
    if open_only:
        queryset = queryset.filter(state__in=Emergency.OPEN_STATES)
    return queryset.order_by("-started_at", "pk")


def access_emergency(membership: Membership, emergency_id: Any) -> Emergency:
    emergency = emergencies_of(membership).filter(pk=_uuid(emergency_id)).first()
    if emergency is None:
        raise Http404
    return emergency


def steps_of(emergency: Emergency) -> QuerySet[EscalationStep]:
    return emergency.steps.order_by("position")


def checkins_of(schedule: CheckInSchedule, limit: int = 20) -> QuerySet[CheckIn]:
    return schedule.checkins.select_related("recorded_by").order_by("-at")[:limit]


def open_sos_for(schedule: CheckInSchedule) -> Emergency | None:
    """The defender's own open SOS on this schedule (for the cancel button on their page)."""
    return Emergency.objects.filter(
        schedule=schedule, kind=Emergency.Kind.SOS, state=Emergency.State.OPEN, raised_by__isnull=True
    ).first()
