"""The only way to fetch risk assessments, protection plans and their items.

Need to know follows the defender: a member sees an assessment or a plan only when they may see
its defender (salama.defenders.access.visible_defenders). Missing, another organisation's and
outside a person's need to know are all the same 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from salama.core.encryption import with_presence
from salama.defenders.access import visible_defenders
from salama.defenders.models import Defender
from salama.incidents.access import perpetrator_terms
from salama.orgs.models import Membership
from salama.vocab.models import Term

from .levels import CapacityScore, RiskLevel, ThreatScore, VulnerabilityScore, assess, trend
from .models import Capacity, Measure, ProtectionPlan, RiskAssessment, Threat, Vulnerability

# What can be revealed on an assessment: the five-step analysis and named actors of its threats,
# the descriptions of its vulnerabilities and capacities, and its own context and notes.
THREAT_TEXT = ("named_actor", "facts", "pattern", "objective", "author", "feasibility", "conclusion")
ASSESSMENT_TEXT = ("context", "review_notes")
REVEALABLE = ("assessment", "threats", "vulnerabilities", "capacities")
ITEM_MODELS: dict[str, Any] = {"threat": Threat, "vulnerability": Vulnerability, "capacity": Capacity}


def _uuid(value: Any) -> None:
    try:
        UUID(str(value))
    except ValueError:
        raise Http404 from None


def assessments_of(membership: Membership, defender: Defender | None = None) -> QuerySet[RiskAssessment]:
    queryset = RiskAssessment.objects.filter(
        organization_id=membership.organization_id, defender__in=visible_defenders(membership)
    )
    if defender is not None:
        queryset = queryset.filter(defender=defender)
    return queryset.select_related("defender", "assessor", "case")


def access_assessment(membership: Membership, assessment_id: Any) -> RiskAssessment:
    _uuid(assessment_id)
    assessment = assessments_of(membership).filter(pk=assessment_id).first()
    if assessment is None:
        raise Http404
    return assessment


def require_visible_assessment(membership: Membership, assessment: RiskAssessment) -> None:
    """Actions check need to know again, so no caller can act on an assessment its actor may not see."""
    if not assessments_of(membership).filter(pk=assessment.pk).exists():
        raise Http404


def threats_of(assessment: RiskAssessment) -> QuerySet[Threat]:
    return with_presence(assessment.threats.select_related("perpetrator_type"), THREAT_TEXT).order_by("position")


def vulnerabilities_of(assessment: RiskAssessment) -> QuerySet[Vulnerability]:
    return with_presence(assessment.vulnerabilities.all(), ["description"]).order_by("position")


def capacities_of(assessment: RiskAssessment) -> QuerySet[Capacity]:
    return with_presence(assessment.capacities.select_related("offsets"), ["description"]).order_by("position")


def access_item(assessment: RiskAssessment, kind: str, item_id: Any) -> Any:
    model = ITEM_MODELS.get(kind)
    if model is None:
        raise Http404
    _uuid(item_id)
    item = model.objects.filter(assessment=assessment, pk=item_id).first()
    if item is None:
        raise Http404
    return item


def level_of(assessment: RiskAssessment) -> RiskLevel:
    """The level and its explanation, from the items' scores (nothing is decrypted)."""
    return assess(
        [ThreatScore(t.likelihood, t.impact, t.status) for t in assessment.threats.all()],
        [VulnerabilityScore(v.pk, v.severity) for v in assessment.vulnerabilities.all()],
        [CapacityScore(c.strength, c.offsets_id) for c in assessment.capacities.all()],
    )


@dataclass(frozen=True)
class HistoryLine:
    assessment: RiskAssessment
    trend: str  # higher, lower, same, first; "" for a draft


def history(membership: Membership, defender: Defender) -> list[HistoryLine]:
    """The defender's assessments, newest first, each completed one with its trend against the
    completed one before it."""
    assessments = list(assessments_of(membership, defender).order_by("assessed_on", "completed_at", "created_at"))
    lines: list[HistoryLine] = []
    previous: str | None = None
    for assessment in assessments:
        if assessment.is_draft:
            lines.append(HistoryLine(assessment, ""))
            continue
        lines.append(HistoryLine(assessment, trend(assessment.level, previous)))
        previous = assessment.level
    return lines[::-1]


def matrix(threats: list[Threat]) -> list[dict[str, Any]]:
    """Rows of the 5x5 matrix, impact 5 at the top, likelihood 1 to 5 from left to right; each
    cell lists the threats placed in it and its score."""
    rows = []
    for impact in range(5, 0, -1):
        cells = [
            {
                "likelihood": likelihood,
                "score": likelihood * impact,
                "threats": [t for t in threats if t.likelihood == likelihood and t.impact == impact],
            }
            for likelihood in range(1, 6)
        ]
        rows.append({"impact": impact, "cells": cells})
    return rows


def perpetrator_choices() -> QuerySet[Term]:
    return perpetrator_terms()


# Protection plans ------------------------------------------------------------------------------


def plans_of(membership: Membership, defender: Defender | None = None) -> QuerySet[ProtectionPlan]:
    queryset = ProtectionPlan.objects.filter(
        organization_id=membership.organization_id, defender__in=visible_defenders(membership)
    )
    if defender is not None:
        queryset = queryset.filter(defender=defender)
    return queryset.select_related("defender", "assessment")


def access_plan(membership: Membership, plan_id: Any) -> ProtectionPlan:
    _uuid(plan_id)
    plan = plans_of(membership).filter(pk=plan_id).first()
    if plan is None:
        raise Http404
    return plan


def require_visible_plan(membership: Membership, plan: ProtectionPlan) -> None:
    if not plans_of(membership).filter(pk=plan.pk).exists():
        raise Http404


def measures_of(plan: ProtectionPlan) -> QuerySet[Measure]:
    return with_presence(Measure.objects.filter(plan=plan).select_related("owner"), ["description"]).order_by(
        "position"
    )


def access_measure(plan: ProtectionPlan, measure_id: Any) -> Measure:
    _uuid(measure_id)
    measure = measures_of(plan).filter(pk=measure_id).first()
    if measure is None:
        raise Http404
    return measure
