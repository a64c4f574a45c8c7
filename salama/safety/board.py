"""The safety board of an organisation, as one member may see it: open emergencies, overdue
check-ins, risk reviews due, and the defenders by risk level with their escalation flags and
recent incidents.

`safety_board` is the single source of the page and of the API. It reads everything in a fixed
number of queries whatever the number of defenders (each section is one query, narrowed to the
member's need to know by a subquery on `visible_defenders`), and it reads no encrypted field:
what the board shows is public names, coded values, dates and incident titles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from salama.defenders.access import visible_defenders
from salama.orgs.models import Membership
from salama.risk.summary import LEVELS, latest_levels, reviews_due

from .access import emergencies_of, schedules_of
from .flags import Flag, IncidentFact, escalation_flags, incident_facts, recent_incidents
from .models import Emergency

# Duress first (the defender is being made to act, and cannot say so openly), then SOS, then a
# missed check-in, which may still be a flat battery.
EMERGENCY_KIND_RANK: dict[str, int] = {
    Emergency.Kind.DURESS: 0,
    Emergency.Kind.SOS: 1,
    Emergency.Kind.MISSED_CHECKIN: 2,
}
# Nobody has taken an open emergency yet: it comes before an acknowledged one of the same kind.
EMERGENCY_STATE_RANK: dict[str, int] = {Emergency.State.OPEN: 0, Emergency.State.ACKNOWLEDGED: 1}
LEVEL_RANK = {code: rank for rank, (code, _label) in enumerate(LEVELS)}  # lowest first
LEVEL_LABELS = dict(LEVELS)
# From this level up a defender counts as "at high risk" in the board's counts.
HIGH_LEVELS = frozenset(code for code, _label in LEVELS[-2:])
RECENT_SHOWN = 3  # incidents listed per defender; the count says how many there are


@dataclass(frozen=True)
class EmergencyRow:
    pk: Any
    kind: str
    kind_label: str
    state: str
    state_label: str
    defender_id: Any
    defender_name: str
    started_at: datetime
    open_for: timedelta


@dataclass(frozen=True)
class OverdueRow:
    schedule_id: Any
    defender_id: Any
    defender_name: str
    due_at: datetime
    overdue_by: timedelta
    escalating: bool  # the grace period is over too


@dataclass(frozen=True)
class ReviewRow:
    assessment_id: Any
    defender_id: Any
    defender_name: str
    level: str
    level_label: str
    next_review_on: date
    days_late: int


@dataclass(frozen=True)
class DefenderRow:
    defender_id: Any
    defender_name: str
    level: str  # "" when the defender has no completed assessment
    level_label: str
    flags: tuple[Flag, ...]
    recent: tuple[IncidentFact, ...]  # the latest few of the recent window, newest first
    recent_count: int


@dataclass(frozen=True)
class Counts:
    emergencies: int
    overdue_checkins: int
    reviews_due: int
    flagged_defenders: int
    high_risk_defenders: int


@dataclass(frozen=True)
class Board:
    now: datetime
    today: date
    emergencies: list[EmergencyRow] = field(default_factory=list)
    overdue: list[OverdueRow] = field(default_factory=list)
    reviews: list[ReviewRow] = field(default_factory=list)
    defenders: list[DefenderRow] = field(default_factory=list)

    @property
    def counts(self) -> Counts:
        return Counts(
            emergencies=len(self.emergencies),
            overdue_checkins=len(self.overdue),
            reviews_due=len(self.reviews),
            flagged_defenders=sum(1 for row in self.defenders if row.flags),
            high_risk_defenders=sum(1 for row in self.defenders if row.level in HIGH_LEVELS),
        )


def safety_board(membership: Membership, now: datetime | None = None) -> Board:
    now = now or timezone.now()
    today = timezone.localdate(now)
    names = dict(visible_defenders(membership).values_list("pk", "public_name"))
    return Board(
        now=now,
        today=today,
        emergencies=_emergencies(membership, names, now),
        overdue=_overdue(membership, names, now),
        reviews=_reviews(membership, names, today),
        defenders=_defenders(membership, names, today),
    )


def _emergencies(membership: Membership, names: dict[Any, str], now: datetime) -> list[EmergencyRow]:
    rows = [
        EmergencyRow(
            pk=pk,
            kind=kind,
            kind_label=str(Emergency.Kind(kind).label),
            state=state,
            state_label=str(Emergency.State(state).label),
            defender_id=defender_id,
            defender_name=names[defender_id],
            started_at=started_at,
            open_for=max(now - started_at, timedelta(0)),
        )
        for pk, kind, state, defender_id, started_at in emergencies_of(membership, open_only=True).values_list(
            "pk", "kind", "state", "defender_id", "started_at"
        )
        if defender_id in names  # a defender added since the names were read waits for the next refresh
    ]
    # The oldest first within a kind and state: it has waited longest.
    rows.sort(
        key=lambda row: (EMERGENCY_KIND_RANK.get(row.kind, 9), EMERGENCY_STATE_RANK.get(row.state, 9), row.started_at)
    )
    return rows


def _overdue(membership: Membership, names: dict[Any, str], now: datetime) -> list[OverdueRow]:
    # schedules_of orders by the due time: the longest overdue first.
    schedules = schedules_of(membership).filter(active=True, next_due_at__lt=now)
    return [
        OverdueRow(
            schedule_id=pk,
            defender_id=defender_id,
            defender_name=names[defender_id],
            due_at=due_at,
            overdue_by=now - due_at,
            escalating=escalate_at <= now,
        )
        for pk, defender_id, due_at, escalate_at in schedules.values_list(
            "pk", "defender_id", "next_due_at", "escalate_at"
        )
        if defender_id in names
    ]


def _reviews(membership: Membership, names: dict[Any, str], today: date) -> list[ReviewRow]:
    due = reviews_due(membership.organization_id, today).filter(defender__in=visible_defenders(membership).values("pk"))
    return [
        ReviewRow(
            assessment_id=pk,
            defender_id=defender_id,
            defender_name=names[defender_id],
            level=level,
            level_label=str(LEVEL_LABELS.get(level, level)),
            next_review_on=next_review_on,
            days_late=(today - next_review_on).days,
        )
        # reviews_due orders by the review date: the most overdue first (and it has one: it is due).
        for pk, defender_id, level, next_review_on in due.values_list("pk", "defender_id", "level", "next_review_on")
        if next_review_on is not None and defender_id in names
    ]


def _defenders(membership: Membership, names: dict[Any, str], today: date) -> list[DefenderRow]:
    """Every visible defender with a risk level, a flag or a recent incident: highest level
    first, then flagged ones, then by the number of recent incidents."""
    levels = {pk: level for pk, level in latest_levels(membership.organization_id).items() if pk in names}
    facts = incident_facts(membership, today, set(names))
    rows = []
    for pk in levels.keys() | facts.keys():
        recent = recent_incidents(facts.get(pk, ()), today)
        level = levels.get(pk, "")
        rows.append(
            DefenderRow(
                defender_id=pk,
                defender_name=names[pk],
                level=level,
                level_label=str(LEVEL_LABELS.get(level, "")),
                flags=tuple(escalation_flags(facts.get(pk, []), today)),
                recent=recent[:RECENT_SHOWN],
                recent_count=len(recent),
            )
        )
    rows = [row for row in rows if row.level or row.flags or row.recent_count]
    rows.sort(
        key=lambda row: (
            -LEVEL_RANK.get(row.level, -1),
            -len(row.flags),
            -row.recent_count,
            row.defender_name.casefold(),
            str(row.defender_id),
        )
    )
    return rows
