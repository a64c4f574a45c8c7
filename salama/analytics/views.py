"""The analysis pages: counts by any dimension or two, with filters, the comparison of two
periods and the network level; and the admins' page to opt in to network-level aggregates.

Counts are de-identified, so every member with `analytics.view` counts all the incidents of
their organisation (not only their cases: docs/analytics.md). Viewers, and anyone looking at the
network level, see small cells suppressed. Each cell links to the incident list filtered the same
way, when the list can express it; the list itself still applies need to know.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from salama.core.permissions import Role, role_can
from salama.core.requests import membership_of
from salama.incidents.models import PERPETRATOR_TYPES, VIOLATION_TYPES
from salama.orgs.models import Membership
from salama.vocab.models import Term

from . import actions
from .dimensions import NOT_RECORDED
from .forms import DEFAULT_PARAMETERS, AnalysisForm, SharingForm
from .query import CHANGE, PERIOD_A, PERIOD_B, Period, aggregate, compare
from .scope import Scope, is_opted_in, scope_for
from .tables import Table


def min_cell() -> int:
    return int(getattr(settings, "SALAMA_ANALYTICS_MIN_CELL", 5))


def suppressed_for(membership: Membership, scope: Scope, table: Table) -> Table:
    """Small cells hidden for viewers, and for everyone at the network level (other
    organisations' counts)."""
    if membership.role != Role.VIEWER and not scope.network:
        return table
    from .suppression import suppress  # its own module; imported here so the core stands alone

    hidden = suppress(table, min_cell())
    if hidden.columns.keys[-1:] == (CHANGE,):
        # A change beside a hidden count would give it away.
        change = len(hidden.columns.keys) - 1
        rows = {r for r, c in hidden.suppressed if c in (0, 1)}
        hidden = hidden.with_suppressed(frozenset((r, change) for r in rows))
    return hidden


# --- drill-down to the incident list ---------------------------------------------------------


def _period_range(code: str, key: str) -> tuple[date, date] | None:
    number = int(key)
    if code == "year":
        return date(number, 1, 1), date(number, 12, 31)
    if code == "quarter":
        year, quarter = divmod(number, 10)
        first = 3 * quarter - 2
        return date(year, first, 1), date(year, first + 2, calendar.monthrange(year, first + 2)[1])
    if code == "month":
        year, month = divmod(number, 100)
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    return None


@dataclass
class _Drill:
    """Turns a cell into the incident list's query, or says that the list cannot show it."""

    base: str
    params: dict[str, Any]
    periods: dict[str, Period] = field(default_factory=dict)
    term_ids: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _set(self, params: dict[str, Any], name: str, value: Any) -> bool:
        if name in params:
            return False
        params[name] = value
        return True

    def _narrow_dates(self, params: dict[str, Any], start: date, end: date) -> bool:
        start = max(start, params.get("date_from", start))
        end = min(end, params.get("date_to", end))
        params["date_from"], params["date_to"] = start, end
        return start <= end

    def _apply(self, params: dict[str, Any], dimension: str, key: str) -> bool:
        if key == NOT_RECORDED:
            return False
        if dimension in ("year", "quarter", "month"):
            span = _period_range(dimension, key)
            return span is not None and self._narrow_dates(params, *span)
        if dimension == "period":
            period = self.periods.get(key)
            return period is not None and self._narrow_dates(params, period.start, period.end)
        if dimension == "country":
            return self._set(params, "country", key)
        if dimension in ("violation", "perpetrator_type"):
            term_id = self.term_ids[dimension].get(key)
            return term_id is not None and self._set(params, dimension, term_id)
        return dimension == "total"

    def url(self, cells: list[tuple[str, str]]) -> str | None:
        params = dict(self.params)
        for dimension, key in cells:
            if not self._apply(params, dimension, key):
                return None
        query = {name: value.isoformat() if isinstance(value, date) else value for name, value in params.items()}
        return f"{self.base}?{urlencode(query)}" if query else self.base


def _drill(request: HttpRequest, form: AnalysisForm, scope: Scope) -> _Drill | None:
    """None when the incident list cannot show what the page counts: at the network level
    (other organisations' incidents), or with filters the list does not have."""
    if scope.network:
        return None
    data = form.cleaned_data
    if any(data.get(name) for name in ("regions", "sectors", "genders", "victim_statuses", "source_reliabilities")):
        return None
    params: dict[str, Any] = {}
    term_ids = {
        "violation": dict(Term.objects.filter(vocabulary__code=VIOLATION_TYPES).values_list("code", "pk")),
        "perpetrator_type": dict(Term.objects.filter(vocabulary__code=PERPETRATOR_TYPES).values_list("code", "pk")),
    }
    for name, param in (
        ("countries", "country"),
        ("violations", "violation"),
        ("perpetrator_types", "perpetrator_type"),
    ):
        chosen = data.get(name) or []
        if len(chosen) > 1:
            return None
        if chosen:
            params[param] = term_ids[param][chosen[0]] if param in term_ids else chosen[0]
    for name in ("date_from", "date_to"):
        if data.get(name):
            params[name] = data[name]
    periods = form.periods()
    named_periods = {PERIOD_A: periods[0], PERIOD_B: periods[1]} if periods else {}
    base = reverse("incidents:list", kwargs={"org_slug": request.org.slug})  # type: ignore[attr-defined]
    return _Drill(base, params, named_periods, term_ids)


# --- the page ----------------------------------------------------------------------------------


def _display(table: Table, drill: _Drill | None) -> dict[str, Any]:
    """Rows of cells for the template: the count (None when hidden) and the link behind it."""

    # A comparison's totals add two periods the list cannot show at once.
    compared = table.columns.dimension == "period"

    def link(value: int | None, *cells: tuple[str, str]) -> str | None:
        if drill is None or not value or value < 0:
            return None
        if compared and not any(dimension == "period" for dimension, _key in cells):
            return None
        return drill.url(list(cells))

    columns = table.columns
    rows = []
    for r, (key, label) in enumerate(zip(table.rows.keys, table.rows.labels, strict=True)):
        cells = []
        for c, column_key in enumerate(columns.keys):
            value = table.cell(r, c)
            cells.append(
                {"value": value, "url": link(value, (table.rows.dimension, key), (columns.dimension, column_key))}
            )
        total = None if (r, -1) in table.suppressed else table.row_totals[r]
        rows.append({"label": label, "cells": cells, "total": total, "url": link(total, (table.rows.dimension, key))})
    column_totals = [None if (-1, c) in table.suppressed else value for c, value in enumerate(table.column_totals)]
    return {
        "rows": rows,
        "column_totals": column_totals,
        "total": None if (-1, -1) in table.suppressed else table.total,
        "total_url": link(table.total),
    }


def _chart(table: Table, compared: bool) -> SafeString | None:
    """The chart beside the table (salama.analytics.charts); a comparison is read as a table."""
    if compared or not table.total:
        return None
    from .charts import chart_svg, default_kind

    kind = default_kind(table)
    # chart_svg escapes every label it writes: its output is markup of our own.
    return mark_safe(chart_svg(kind, table, ident="analysis-chart"))  # noqa: S308


def _map(table: Table, compared: bool, drill: _Drill | None) -> SafeString | None:
    """The choropleth beside a count by country, each country linking to its incidents."""
    if compared or not table.total or table.rows.dimension != "country":
        return None
    from django.utils.translation import get_language_bidi

    from .maps import map_svg

    def link_for(code: str) -> str | None:
        return drill.url([("country", code)]) if drill else None

    # map_svg escapes every label and link it writes: its output is markup of our own.
    return mark_safe(map_svg(table, link_for=link_for, rtl=get_language_bidi(), ident="analysis-map"))  # noqa: S308


def _compute(form: AnalysisForm, scope: Scope) -> tuple[Table, bool]:
    data = form.cleaned_data
    periods = form.periods()
    options = {"unit": data["unit"], "rows": data["rows"], "filters": form.filters(), "depth": data.get("depth")}
    if periods:
        return compare(scope, period_a=periods[0], period_b=periods[1], **options), True
    return aggregate(scope, columns=data.get("columns") or None, **options), False


@require_GET
def analysis_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    membership = membership_of(request)
    form = AnalysisForm(request.GET if request.GET else DEFAULT_PARAMETERS)
    context: dict[str, Any] = {"form": form, "table": None, "k": min_cell()}
    if form.is_valid():
        scope = scope_for(membership, network=form.cleaned_data.get("network", False))
        table, compared = _compute(form, scope)
        table = suppressed_for(membership, scope, table)
        drill = _drill(request, form, scope)
        context.update(
            table=table,
            compared=compared,
            scope=scope,
            other_organisations=len(scope.organization_ids) - 1,
            display=_display(table, drill),
            chart=_chart(table, compared),
            map=_map(table, compared, drill),
            suppressing=membership.role == Role.VIEWER or scope.network,
            team_only=membership.role in (Role.CASEWORKER, Role.VIEWER),
            filtered=not form.filters().is_empty() or bool(form.cleaned_data.get("date_from")),
            can_export=bool(role_can(membership.role, "analytics.export")),
        )
    context["can_share"] = bool(role_can(membership.role, "analytics.share"))
    context["opted_in"] = is_opted_in(membership.organization_id)
    return render(request, "analytics/analysis.html", context)


@require_http_methods(["GET", "POST"])
def sharing_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    membership = membership_of(request)
    if request.method == "POST":
        form = SharingForm(request.POST)
        if form.is_valid():
            actions.do_set_aggregate_sharing(membership, opted_in=form.cleaned_data["opted_in"])
            if form.cleaned_data["opted_in"]:
                messages.success(request, _("Your organisation's counts now enter network-level aggregates."))
            else:
                messages.success(request, _("Your organisation's counts no longer enter network-level aggregates."))
            return redirect("analytics:sharing", org_slug=org_slug)
    else:
        form = SharingForm(initial={"opted_in": is_opted_in(membership.organization_id)})
    return render(request, "analytics/sharing.html", {"form": form})
