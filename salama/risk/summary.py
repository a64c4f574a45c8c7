"""What the safety board reads from risk assessments: stable signatures, organisation-wide.

These functions take an organisation, not a member: the caller narrows the result to what its
reader may see (salama.defenders.access.visible_defenders) before showing anything.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from .levels import LEVEL_CODES, LEVEL_LABELS
from .models import RiskAssessment

# (code, translated label), lowest first.
LEVELS: list[tuple[str, Any]] = [(code, LEVEL_LABELS[code]) for code in LEVEL_CODES]


def latest_completed(organization: Any) -> QuerySet[RiskAssessment]:
    """Each defender's latest completed assessment (by date of assessment, then completion)."""
    completed = RiskAssessment.objects.filter(organization=organization, status=RiskAssessment.Status.COMPLETE)
    newest = completed.filter(defender=OuterRef("defender")).order_by("-assessed_on", "-completed_at", "-pk")
    return completed.filter(pk=Subquery(newest.values("pk")[:1]))


def latest_levels(organization: Any) -> dict[Any, str]:
    """Defender primary key (a UUID) -> level code of their latest completed assessment."""
    return dict(latest_completed(organization).values_list("defender_id", "level"))


def reviews_due(organization: Any, on: date) -> QuerySet[RiskAssessment]:
    """Latest completed assessments whose next review falls on or before `on`."""
    return (
        latest_completed(organization)
        .filter(next_review_on__lte=on)
        .select_related("defender", "assessor")
        .order_by("next_review_on", "defender__public_name")
    )
