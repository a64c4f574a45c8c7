"""The safety board in the API: the same sections as the page, from the same function
(`salama.safety.board.safety_board`), so the API shows nothing the page does not. Names, coded
values, dates and incident titles only; never a protected field."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema

from salama.api.errors import ERRORS
from salama.api.policies import requires

from .board import Board, DefenderRow, safety_board
from .flags import IncidentFact

router = Router(tags=["safety"])
PATH = "/organizations/{org_slug}/safety/board"


class SafetyBoardCountsOut(Schema):
    emergencies: int
    overdue_checkins: int
    reviews_due: int
    flagged_defenders: int
    high_risk_defenders: int = Field(description="Defenders whose latest assessment is high or critical.")


class SafetyBoardEmergencyOut(Schema):
    id: UUID
    kind: Literal["duress", "sos", "missed_checkin"]
    state: Literal["open", "acknowledged"]
    defender: UUID
    defender_name: str
    started_at: datetime
    open_seconds: int


class SafetyBoardOverdueOut(Schema):
    schedule: UUID
    defender: UUID
    defender_name: str
    due_at: datetime
    overdue_seconds: int
    escalating: bool = Field(description="The grace period is over as well: an escalation starts or has started.")


class SafetyBoardReviewOut(Schema):
    assessment: UUID
    defender: UUID
    defender_name: str
    level: str
    next_review_on: date
    days_late: int


class SafetyBoardIncidentOut(Schema):
    id: UUID
    case: UUID
    date: date
    title: str
    category: Literal["threat", "attack", "other"]


class SafetyBoardFlagOut(Schema):
    kind: Literal["threats_to_attacks", "growing_frequency"]
    explanation: str
    incidents: list[SafetyBoardIncidentOut]


class SafetyBoardDefenderOut(Schema):
    id: UUID
    public_name: str
    level: str = Field(description="Level code of the latest completed assessment; empty when there is none.")
    flags: list[SafetyBoardFlagOut]
    recent_incidents: list[SafetyBoardIncidentOut] = Field(description="The latest few of the last 90 days.")
    recent_count: int = Field(description="Incidents of the last 90 days.")


class SafetyBoardOut(Schema):
    generated_at: datetime
    counts: SafetyBoardCountsOut
    emergencies: list[SafetyBoardEmergencyOut] = Field(description="Duress and SOS first, then missed check-ins.")
    overdue_checkins: list[SafetyBoardOverdueOut] = Field(description="The longest overdue first.")
    reviews_due: list[SafetyBoardReviewOut] = Field(description="The most overdue first.")
    defenders: list[SafetyBoardDefenderOut] = Field(description="Highest risk level first, then flagged ones.")


def _incident(fact: IncidentFact) -> dict[str, Any]:
    return {"id": fact.pk, "case": fact.case_id, "date": fact.on, "title": fact.title, "category": fact.category}


def _defender(row: DefenderRow) -> dict[str, Any]:
    return {
        "id": row.defender_id,
        "public_name": row.defender_name,
        "level": row.level,
        "flags": [
            {"kind": flag.kind, "explanation": flag.explanation, "incidents": [_incident(f) for f in flag.incidents]}
            for flag in row.flags
        ],
        "recent_incidents": [_incident(fact) for fact in row.recent],
        "recent_count": row.recent_count,
    }


def board_out(board: Board) -> dict[str, Any]:
    return {
        "generated_at": board.now,
        "counts": vars(board.counts),
        "emergencies": [
            {
                "id": row.pk,
                "kind": row.kind,
                "state": row.state,
                "defender": row.defender_id,
                "defender_name": row.defender_name,
                "started_at": row.started_at,
                "open_seconds": int(row.open_for.total_seconds()),
            }
            for row in board.emergencies
        ],
        "overdue_checkins": [
            {
                "schedule": row.schedule_id,
                "defender": row.defender_id,
                "defender_name": row.defender_name,
                "due_at": row.due_at,
                "overdue_seconds": int(row.overdue_by.total_seconds()),
                "escalating": row.escalating,
            }
            for row in board.overdue
        ],
        "reviews_due": [
            {
                "assessment": row.assessment_id,
                "defender": row.defender_id,
                "defender_name": row.defender_name,
                "level": row.level,
                "next_review_on": row.next_review_on,
                "days_late": row.days_late,
            }
            for row in board.reviews
        ],
        "defenders": [_defender(row) for row in board.defenders],
    }


@router.get(PATH, response={200: SafetyBoardOut, **ERRORS}, summary="The safety board, as the page shows it")
@requires("safety.view")
def get_safety_board(request: HttpRequest, org_slug: str):  # type: ignore[no-untyped-def]
    return board_out(safety_board(request.membership))  # type: ignore[attr-defined]
