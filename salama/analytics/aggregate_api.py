"""`GET /api/v1/analytics/aggregate`: the analysis pages' aggregates for other tools.

The token belongs to one membership, so it names the organisation; `organization` may repeat its
slug (any other is 404, as everywhere in the API). Scoped like the pages (`scope_for`: the
organisation, and with `network=true` those that opted in), and always suppressed with
k = settings.SALAMA_ANALYTICS_MIN_CELL: the answer says how many counts were hidden and why,
and a hidden count is null (JSON) or empty (CSV), never a number. Counts only, so every role
that sees the analysis page may call it (analytics.view, which every role holds).
"""

from datetime import date
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from salama.api.errors import ERRORS
from salama.api.policies import requires
from salama.core.permissions import require
from salama.orgs.models import Membership

from .exports import Method, as_data, export, filter_lines
from .query import Filters, aggregate
from .scope import scope_for
from .suppression import suppress

router = Router(tags=["analytics"])

Unit = Literal["incidents", "victims", "acts"]
DimensionCode = Literal[
    "year",
    "quarter",
    "month",
    "country",
    "region",
    "sector",
    "violation",
    "perpetrator_type",
    "gender",
    "victim_status",
    "source_reliability",
]


class AggregateIn(Schema):
    organization: str | None = Field(None, description="The token's organisation (its slug); it is the default.")
    network: bool = Field(False, description="Also count the organisations that opted in to network aggregates.")
    unit: Unit = "incidents"
    rows: DimensionCode = "year"
    columns: DimensionCode | None = Field(None, description="A second dimension, for a cross-tabulation.")
    depth: int | None = Field(None, ge=0, le=5, description="Level of the vocabulary hierarchy terms roll up to.")
    date_from: date | None = None
    date_to: date | None = None
    countries: list[str] = Field(default_factory=list, max_length=300, description="ISO 3166-1 alpha-2 codes.")
    regions: list[str] = Field(default_factory=list, max_length=50)
    sectors: list[str] = Field(default_factory=list, max_length=100, description="Vocabulary codes, rolled up.")
    violations: list[str] = Field(default_factory=list, max_length=100, description="Vocabulary codes, rolled up.")
    perpetrator_types: list[str] = Field(default_factory=list, max_length=100)
    genders: list[str] = Field(default_factory=list, max_length=20)
    victim_statuses: list[str] = Field(default_factory=list, max_length=50)
    source_reliabilities: list[str] = Field(default_factory=list, max_length=20)
    format: Literal["json", "csv"] = "json"


class MethodOut(Schema):
    unit: Unit
    network: bool
    date_from: date | None
    date_to: date | None
    filters: dict[str, str]
    k: int = Field(description="Counts from 1 to k-1 are hidden, and others where needed.")
    generated_at: str
    generated_by: str = Field(description="The organisation; never a person.")


class AggregateOut(Schema):
    method: MethodOut
    suppressed: int = Field(description="How many counts are hidden (null in rows).")
    notes: list[str] = Field(description="What was counted and what was hidden, in words.")
    header: list[str]
    hxl: list[str] = Field(description="The HXL hashtag of each column.")
    rows: list[list[str | int | None]] = Field(description="One line per cell, then the totals.")


def _membership(request: HttpRequest, organization: str | None) -> Membership:
    membership: Membership = request.membership  # type: ignore[attr-defined]
    if organization not in (None, membership.organization.slug):
        raise Http404
    require(membership, "analytics.view")
    return membership


@router.get(
    "/analytics/aggregate",
    response={200: AggregateOut, **ERRORS},
    openapi_extra={
        "responses": {
            200: {
                "description": "The aggregate, suppressed; as CSV (with the HXL row) when format=csv",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
@requires(None)
def get_aggregate(request: HttpRequest, params: Query[AggregateIn]) -> Any:
    """Counts of incidents, victims or acts by one dimension, or two, with the pages' filters."""
    membership = _membership(request, params.organization)
    if params.columns == params.rows:
        raise ValidationError({"columns": [_("Choose a dimension other than the rows.")]})
    if params.date_from and params.date_to and params.date_from > params.date_to:
        raise ValidationError({"date_from": [_("The start of the period is after its end.")]})
    filters = Filters(
        date_from=params.date_from,
        date_to=params.date_to,
        countries=tuple(params.countries),
        regions=tuple(params.regions),
        sectors=tuple(params.sectors),
        violations=tuple(params.violations),
        perpetrator_types=tuple(params.perpetrator_types),
        genders=tuple(params.genders),
        victim_statuses=tuple(params.victim_statuses),
        source_reliabilities=tuple(params.source_reliabilities),
    )
    table = aggregate(
        scope_for(membership, network=params.network),
        unit=params.unit,
        rows=params.rows,
        columns=params.columns,
        filters=filters,
        depth=params.depth,
    )
    k = settings.SALAMA_ANALYTICS_MIN_CELL
    method = Method(
        unit=table.unit,
        k=k,
        organization=membership.organization.name,
        generated_at=timezone.now(),
        network=params.network,
        date_from=params.date_from,
        date_to=params.date_to,
        filters=filter_lines(filters),
    )
    if params.format == "csv":
        made = export(table, method, "csv")
        response = HttpResponse(made.content, content_type=made.content_type)
        response["Content-Disposition"] = f'attachment; filename="{made.filename}"'
        return response
    return as_data(suppress(table, k), method)
