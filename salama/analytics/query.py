"""Counting: `aggregate()` and `compare()` turn a scope, a unit, one or two dimensions and filters
into a `Table`.

All counting happens in the database: one GROUP BY with COUNT(DISTINCT ...) for the cells, and
one more per total that cannot be added up from the cells (a total along a multi-valued
dimension is a distinct count, not a sum). Rows are never walked in Python; only the grouped
counts (a few hundred at most) come back. The reasoning, and the measurements, are in
docs/analytics.md.

What the monthly summary can answer exactly (incidents by period, country, region and
violation) `aggregate()` reads from it instead (salama.analytics.summary), with the same Table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from salama.defenders.access import SECTORS_VOCABULARY
from salama.defenders.models import Defender
from salama.directory.regions import REGION_OF_COUNTRY
from salama.incidents.models import (
    PERPETRATOR_TYPES,
    SOURCE_RELIABILITY,
    VICTIM_STATUS,
    VIOLATION_TYPES,
    Act,
    Incident,
    Perpetrator,
    Source,
    Victim,
)
from salama.vocab.models import Term

from .dimensions import NOT_RECORDED, Dimension, axis_values, dimension, value_expression
from .scope import Scope
from .tables import ACTS, INCIDENTS, TOTAL_AXIS, UNITS, VICTIMS, Axis, Table


@dataclass(frozen=True)
class Filters:
    """What to count. Every filter narrows the incidents; those on victims (sector, gender,
    status) also narrow the victims and acts counted, and violations the acts counted. Term
    filters are vocabulary codes and take in every narrower term."""

    date_from: date | None = None  # on the incident's (start) date
    date_to: date | None = None
    countries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    violations: tuple[str, ...] = ()
    perpetrator_types: tuple[str, ...] = ()
    genders: tuple[str, ...] = ()  # NOT_RECORDED: victims who are not defenders or of unknown gender
    victim_statuses: tuple[str, ...] = ()
    source_reliabilities: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return self == Filters()


def _rolled_up(vocabulary: str, codes: Iterable[str]) -> list[Any]:
    """The ids of the terms and of every narrower one: one prefix query per term chosen."""
    paths = Term.objects.filter(vocabulary__code=vocabulary, code__in=list(codes)).values_list("path", flat=True)
    match = Q(pk__in=[])
    for path in paths:
        match |= Q(path__startswith=path)
    return list(Term.objects.filter(Q(vocabulary__code=vocabulary) & match).values_list("pk", flat=True))


def _matching_victims(filters: Filters) -> QuerySet[Victim] | None:
    conditions = Q()
    if filters.sectors:
        sectors = _rolled_up(SECTORS_VOCABULARY, filters.sectors)
        conditions &= Q(defender__in=Defender.objects.filter(sectors__in=sectors).values("pk"))
    if filters.genders:
        genders = Q(defender__gender__in=[g for g in filters.genders if g != NOT_RECORDED])
        if NOT_RECORDED in filters.genders:
            genders |= Q(defender__isnull=True) | Q(defender__gender=Defender.Gender.UNKNOWN)
        conditions &= genders
    if filters.victim_statuses:
        conditions &= Q(status_id__in=_rolled_up(VICTIM_STATUS, filters.victim_statuses))
    return Victim.objects.filter(conditions) if conditions else None


def chosen_countries(filters: Filters) -> list[str] | None:
    """The countries the country and region filters keep; None when they keep every one."""
    countries = set(filters.countries)
    if filters.regions:
        countries |= {c for c, region in REGION_OF_COUNTRY.items() if region in filters.regions}
    return sorted(countries) if countries or filters.regions else None


def _incident_conditions(filters: Filters, victims: QuerySet[Victim] | None) -> Q:
    """Conditions on Incident rows: those with related rows are subqueries on incident ids, so
    that they never multiply the rows being counted."""
    q = Q()
    if filters.date_from:
        q &= Q(date_start__gte=filters.date_from)
    if filters.date_to:
        q &= Q(date_start__lte=filters.date_to)
    countries = chosen_countries(filters)
    if countries is not None:
        q &= Q(country__in=countries)
    related: list[tuple[Any, str, tuple[str, ...], str]] = [
        (Act, "violation_id", filters.violations, VIOLATION_TYPES),
        (Perpetrator, "type_id", filters.perpetrator_types, PERPETRATOR_TYPES),
        (Source, "reliability_id", filters.source_reliabilities, SOURCE_RELIABILITY),
    ]
    for model, field, codes, vocabulary in related:
        if codes:
            rows = model.objects.filter(**{f"{field}__in": _rolled_up(vocabulary, codes)})
            q &= Q(pk__in=rows.values("incident_id"))
    if victims is not None:
        q &= Q(pk__in=victims.values("incident_id"))
    return q


def counted_rows(scope: Scope, unit: str, filters: Filters) -> QuerySet[Any]:
    """The rows of the unit in scope that the filters keep (unevaluated)."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit}")
    organizations = sorted(scope.organization_ids, key=str)
    victims = _matching_victims(filters)
    incidents = Incident.objects.filter(organization_id__in=organizations)
    conditions = _incident_conditions(filters, victims)
    if unit == INCIDENTS:
        return incidents.filter(conditions)
    chosen = incidents.filter(conditions).values("pk") if conditions else None
    rows: QuerySet[Any]
    if unit == VICTIMS:
        rows = Victim.objects.filter(organization_id__in=organizations)
        if filters.violations:
            violations = _rolled_up(VIOLATION_TYPES, filters.violations)
            rows = rows.filter(pk__in=Act.objects.filter(violation_id__in=violations).values("victim_id"))
        victim_field = "pk"
    else:
        rows = Act.objects.filter(incident__organization_id__in=organizations)
        if filters.violations:
            rows = rows.filter(violation_id__in=_rolled_up(VIOLATION_TYPES, filters.violations))
        victim_field = "victim_id"
    if chosen is not None:
        rows = rows.filter(incident_id__in=chosen)
    if victims is not None:
        rows = rows.filter(**{f"{victim_field}__in": victims.values("pk")})
    return rows


def _count(rows: QuerySet[Any], groups: dict[str, Any], *, distinct: bool) -> list[dict[str, Any]]:
    """One GROUP BY query: the units under each combination of values. DISTINCT only when a
    dimension reaches through a to-many relation and so repeats a unit's row; otherwise each row
    is one unit (filters are subqueries and never repeat rows) and a plain count is cheaper."""
    return list(rows.values(**groups).annotate(n=Count("pk", distinct=distinct)).order_by())


def _total(rows: QuerySet[Any]) -> int:
    return rows.count()


def _key(value: Any) -> str:
    return NOT_RECORDED if value is None or value == "" else str(value)


def _axis(dim: Dimension, present: Iterable[str], unit: str, depth: int | None) -> Axis:
    keys, labels = axis_values(dim, list(present), depth)
    return Axis(dim.code, str(dim.label), tuple(str(k) for k in keys), tuple(labels), unit in dim.multi_valued)


def unit_sentence(unit: str, axes: Iterable[Axis] = ()) -> str:
    """What is counted, in words, and how a unit under several values is counted."""
    names = {
        INCIDENTS: (_("incidents"), _("an incident")),
        VICTIMS: (_("victims"), _("a victim")),
        ACTS: (_("acts"), _("an act")),
    }[unit]
    multi = [axis.label.lower() for axis in axes if axis.multi_valued]
    if not multi:
        return _("Counting: %(units)s.") % {"units": names[0]}
    return _("Counting: %(units)s — %(one)s with several values of %(dimensions)s is counted under each.") % {
        "units": names[0],
        "one": names[1],
        "dimensions": _(" and ").join(multi),
    }


def _notes(unit: str, axes: Iterable[Axis]) -> tuple[str, ...]:
    axes = list(axes)
    notes = [unit_sentence(unit, axes)]
    if any(axis.multi_valued for axis in axes):
        notes.append(_("Totals count each unit once, so they can be less than the sum of the cells."))
    if any(axis.dimension in ("year", "quarter", "month") for axis in axes):
        notes.append(_("Incidents are counted in the period of their date, or of the start of their period."))
    return tuple(notes)


def aggregate(
    scope: Scope,
    *,
    unit: str,
    rows: str,
    columns: str | None = None,
    filters: Filters | None = None,
    depth: int | None = None,
) -> Table:
    """Units in scope, counted by one dimension or cross-tabulated by two. `depth` is the level
    of the vocabulary hierarchy term dimensions roll up to (0: the broadest terms)."""
    filters = filters or Filters()
    row_dim = dimension(rows)
    column_dim = dimension(columns) if columns else None
    if column_dim is not None and column_dim.code == row_dim.code:
        raise ValueError("a cross-tabulation needs two different dimensions")
    from .summary import answer_from_summary

    summarised = answer_from_summary(scope, unit, row_dim, column_dim, filters, depth)
    if summarised is not None:
        return summarised
    base = counted_rows(scope, unit, filters)
    row_value = value_expression(row_dim, unit, depth)
    if column_dim is None:
        return _one_way(base, unit, row_dim, row_value, depth)
    column_value = value_expression(column_dim, unit, depth)
    repeats = unit in row_dim.multi_valued or unit in column_dim.multi_valued
    grouped = _count(base, {"r": row_value, "c": column_value}, distinct=repeats)
    cells = {(_key(r["r"]), _key(r["c"])): r["n"] for r in grouped}
    values = {row_dim.code: row_value, column_dim.code: column_value}

    def totals_along(dim: Dimension, axis: Axis, lines: Lines, across_multi: bool) -> tuple[int, ...]:
        return _totals_along(base, values[dim.code], axis, lines, across_multi)

    return cross_table(unit, (row_dim, column_dim), cells, depth, totals_along, lambda: _total(base))


Lines = tuple[tuple[int, ...], ...]


def cross_table(
    unit: str,
    dims: tuple[Dimension, Dimension],
    cells: dict[tuple[str, str], int],
    depth: int | None,
    totals_along: Callable[[Dimension, Axis, Lines, bool], tuple[int, ...]],
    distinct_total: Callable[[], int],
) -> Table:
    """A cross-tab from its cells: the axes, the totals along each (`totals_along` is told when
    the other axis is multi-valued, so that a sum would count a unit twice), and the grand total
    (`distinct_total` only when both axes are multi-valued)."""
    row_dim, column_dim = dims
    row_axis = _axis(row_dim, {r for r, _c in cells}, unit, depth)
    column_axis = _axis(column_dim, {c for _r, c in cells}, unit, depth)
    counts = tuple(tuple(cells.get((r, c), 0) for c in column_axis.keys) for r in row_axis.keys)
    row_totals = totals_along(row_dim, row_axis, counts, column_axis.multi_valued)
    column_lines = columns_of(counts, len(column_axis.keys))
    column_totals = totals_along(column_dim, column_axis, column_lines, row_axis.multi_valued)
    # Each unit falls in exactly one row (or column) of a single-valued axis: those totals add up.
    if not row_axis.multi_valued:
        total = sum(row_totals)
    elif not column_axis.multi_valued:
        total = sum(column_totals)
    else:
        total = distinct_total()
    return Table(
        unit,
        row_axis,
        column_axis,
        counts,
        row_totals,
        column_totals,
        total,
        notes=_notes(unit, [row_axis, column_axis]),
    )


def columns_of(counts: tuple[tuple[int, ...], ...], width: int) -> tuple[tuple[int, ...], ...]:
    """The cells column by column; `width` empty columns when no row was counted (an axis of
    terms shows every term of its level even then)."""
    return tuple(tuple(line[c] for line in counts) for c in range(width))


def _totals_along(
    base: QuerySet[Any], value: Any, axis: Axis, lines: tuple[tuple[int, ...], ...], across_multi: bool
) -> tuple[int, ...]:
    """Per value of the axis, the distinct units: the sum of its line of cells when the other
    dimension gives each unit exactly one value, else one more grouped count."""
    if not across_multi:
        return tuple(sum(line) for line in lines)
    totals = {_key(r["v"]): r["n"] for r in _count(base, {"v": value}, distinct=axis.multi_valued)}
    return tuple(totals.get(key, 0) for key in axis.keys)


def _one_way(base: QuerySet[Any], unit: str, dim: Dimension, value: Any, depth: int | None) -> Table:
    counted = {_key(r["r"]): r["n"] for r in _count(base, {"r": value}, distinct=unit in dim.multi_valued)}
    axis = _axis(dim, counted, unit, depth)
    counts = tuple((counted.get(key, 0),) for key in axis.keys)
    row_totals = tuple(line[0] for line in counts)
    total = _total(base) if axis.multi_valued else sum(row_totals)
    return Table(unit, axis, TOTAL_AXIS, counts, row_totals, (total,), total, notes=_notes(unit, [axis]))


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def label(self) -> str:
        return _("%(start)s to %(end)s") % {"start": self.start.isoformat(), "end": self.end.isoformat()}


PERIOD_A, PERIOD_B, CHANGE = "a", "b", "change"


def compare(
    scope: Scope,
    *,
    unit: str,
    rows: str,
    period_a: Period,
    period_b: Period,
    filters: Filters | None = None,
    depth: int | None = None,
) -> Table:
    """Two periods side by side: one column per period, and the change from the first to the
    second (negative when it fell). The filters' own dates are replaced by each period."""
    filters = filters or Filters()
    tables = [
        aggregate(
            scope,
            unit=unit,
            rows=rows,
            filters=replace(filters, date_from=period.start, date_to=period.end),
            depth=depth,
        )
        for period in (period_a, period_b)
    ]
    row_dim = dimension(rows)
    present = {key for table in tables for key, n in zip(table.rows.keys, table.row_totals, strict=True) if n}
    # Periods as rows would be two disjoint ranges: keep only the periods each table has.
    if row_dim.kind == "period":
        keys = [k for t in tables for k in t.rows.keys]
        labels = [lab for t in tables for lab in t.rows.labels]
        unique = dict(zip(keys, labels, strict=True))
        row_axis = Axis(row_dim.code, str(row_dim.label), tuple(unique), tuple(unique.values()), False)
    else:
        row_axis = _axis(row_dim, present, unit, depth)
    by_key = [dict(zip(t.rows.keys, t.row_totals, strict=True)) for t in tables]
    counts = tuple((a, b, b - a) for a, b in ((by_key[0].get(k, 0), by_key[1].get(k, 0)) for k in row_axis.keys))
    columns = Axis(
        "period",
        _("Period"),
        (PERIOD_A, PERIOD_B, CHANGE),
        (period_a.label(), period_b.label(), pgettext("difference between two periods", "Change")),
    )
    totals = (tables[0].total, tables[1].total, tables[1].total - tables[0].total)
    notes = (
        *tables[0].notes,
        _("The change column is the second period's count minus the first's; row totals add both periods."),
    )
    # The periods do not overlap (the form refuses it), so a row's units in both add up.
    return Table(
        unit,
        row_axis,
        columns,
        counts,
        tuple(a + b for a, b, _change in counts),
        totals,
        totals[0] + totals[1],
        notes=notes,
    )
