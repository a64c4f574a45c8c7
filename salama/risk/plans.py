"""Protection plan templates, shipped as data (data/plan_templates.json), and the costed
measures a grant request will be made of.

A template is a starting point: applying it copies its measures into a plan, where they are
edited like any other; the template itself never changes afterwards.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import get_language

from .models import Measure, ProtectionPlan

TEMPLATES_FILE = Path(__file__).parent / "data" / "plan_templates.json"


@dataclass(frozen=True)
class TemplateMeasure:
    kind: str
    title: dict[str, str]
    description: dict[str, str]
    cost: Decimal | None
    currency: str
    for_grant_request: bool


@dataclass(frozen=True)
class PlanTemplate:
    code: str
    name: dict[str, str]
    measures: tuple[TemplateMeasure, ...]


def in_language(texts: dict[str, str], language: str | None = None) -> str:
    """The text in the active language (or its base language), else in English."""
    language = (language or get_language() or "en").lower()
    return texts.get(language) or texts.get(language.split("-")[0]) or texts.get("en", "")


def _measure(data: dict[str, Any]) -> TemplateMeasure:
    if data["kind"] not in Measure.Kind.values:
        raise ValueError(f"unknown measure kind {data['kind']!r} in {TEMPLATES_FILE}")
    return TemplateMeasure(
        kind=data["kind"],
        title=data["title"],
        description=data.get("description", {}),
        cost=Decimal(data["cost"]) if data.get("cost") else None,
        currency=data.get("currency", ""),
        for_grant_request=bool(data.get("for_grant_request", False)),
    )


@cache
def load_templates() -> dict[str, PlanTemplate]:
    """Every shipped template by code, read once per process."""
    document = json.loads(TEMPLATES_FILE.read_text(encoding="utf-8"))
    return {
        item["code"]: PlanTemplate(item["code"], item["name"], tuple(_measure(m) for m in item["measures"]))
        for item in document["templates"]
    }


def template_choices() -> list[tuple[str, str]]:
    return [(code, in_language(template.name)) for code, template in load_templates().items()]


@dataclass(frozen=True)
class GrantLine:
    measure: Measure
    title: str
    kind: str
    amount: Decimal
    currency: str


def grant_request_lines(plan: ProtectionPlan) -> list[GrantLine]:
    """The plan's measures marked for a grant request that have a cost, in plan order; dropped
    measures are left out. Only public fields: a grant request is written from titles and costs."""
    measures = (
        Measure.objects.filter(plan=plan, for_grant_request=True, cost_amount__isnull=False)
        .exclude(status=Measure.Status.DROPPED)
        .order_by("position")
    )
    return [
        GrantLine(measure, measure.title, measure.kind, measure.cost_amount, measure.cost_currency)
        for measure in measures
        if measure.cost_amount is not None
    ]
