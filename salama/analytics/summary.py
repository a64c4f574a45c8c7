"""The monthly summary: incidents counted once per organisation, month and country, in all and
under each violation term at each depth of the vocabulary, so that the main aggregations read a
few thousand summary rows instead of grouping a million incidents.

It is derived data and never the record. `aggregate()` asks `answer_from_summary` first; the
summary answers only what it can answer exactly (the incident unit; periods, country, region and
at most one violation axis; no filter but countries, regions and dates on month boundaries) and
everything else takes the live query unchanged.

Freshness does not rely on the code paths that write: database triggers (migration 0003) mark
every (organisation, month) a write touches in `MonthlyCountDirty`, and each read first
recomputes the marked months of the organisations it counts, in one transaction, so an answer
is never stale. The rows of a month are computed by the live counting machinery itself
(`counted_rows`, `_count`, `value_expression`), so both paths mean the same thing. A change of
the violation vocabulary (a term moved, added or removed) changes every roll-up: its digest is
kept per organisation and a different one rebuilds the organisation.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from salama.directory.regions import REGION_OF_COUNTRY
from salama.incidents.models import VIOLATION_TYPES
from salama.orgs.models import Organization
from salama.vocab.models import Term

from .dimensions import NOT_RECORDED, Dimension, dimension, value_expression
from .models import MonthlyCount, MonthlyCountDirty, MonthlyCountState
from .query import Filters, Lines, _axis, _count, _notes, chosen_countries, counted_rows, cross_table
from .scope import Scope
from .series import month_end
from .tables import INCIDENTS, TOTAL_AXIS, Axis, Table

SUMMARISED_DIMENSIONS = frozenset({"year", "quarter", "month", "country", "region", "violation"})
VIOLATION = "violation"
# Any constant will do, as long as nothing else in Salama takes the same advisory lock.
REFRESH_LOCK = 0x53554D4D  # "SUMM"
CHUNK = 2_000


# --- what the summary depends on ---------------------------------------------------------------


def violation_vocabulary() -> tuple[str, int]:
    """A digest of what the roll-up of violations depends on (each term's id, code and place in
    the tree) and the deepest level of the tree."""
    terms = list(Term.objects.filter(vocabulary__code=VIOLATION_TYPES).order_by("pk").values_list("pk", "code", "path"))
    digest = hashlib.sha256(repr(terms).encode()).hexdigest()
    depths = [len([part for part in path.split("/") if part]) - 1 for _pk, _code, path in terms]
    return digest, max([0, *depths])


def _first_of(key: Any) -> date:
    year, month = divmod(int(key), 100)
    return date(year, month, 1)


# --- computing rows ----------------------------------------------------------------------------


def _runs(months: list[date]) -> list[tuple[date, date]]:
    """Sorted months as runs of consecutive months, (first, last): each run is one date range
    the incident indexes can read."""
    runs: list[tuple[date, date]] = []
    for month in months:
        if runs and month_end(runs[-1][1]) + timedelta(days=1) == month:
            runs[-1] = (runs[-1][0], month)
        else:
            runs.append((month, month))
    return runs


def summary_rows(organization_id: Any, months: tuple[date, date] | None, max_depth: int) -> list[MonthlyCount]:
    """The summary rows of an organisation, for the months from `months[0]` to `months[1]` or
    for every month: the live query's own counts, grouped by month and country as well."""
    filters = Filters(date_from=months[0], date_to=month_end(months[1])) if months else Filters()
    base = counted_rows(Scope(frozenset({organization_id})), INCIDENTS, filters)
    month = value_expression(dimension("month"), INCIDENTS)
    country = value_expression(dimension("country"), INCIDENTS)

    def row(found: dict[str, Any], kind: str, depth: int, value: str) -> MonthlyCount:
        place = "" if found["c"] == NOT_RECORDED else found["c"]
        return MonthlyCount(
            organization_id=organization_id,
            month=_first_of(found["m"]),
            country=place,
            dimension=kind,
            depth=depth,
            value=value,
            incidents=found["n"],
        )

    rows = [row(found, MonthlyCount.ALL, 0, "") for found in _count(base, {"m": month, "c": country}, distinct=False)]
    for depth in range(max_depth + 1):
        violation = value_expression(dimension(VIOLATION), INCIDENTS, depth)
        grouped = _count(base, {"m": month, "c": country, "v": violation}, distinct=True)
        rows += [row(found, MonthlyCount.VIOLATION, depth, str(found["v"])) for found in grouped]
    return rows


def _delete_marks(pks: list[Any]) -> None:
    # By primary key, never by month: a mark written since it was read must stay for next time.
    for start in range(0, len(pks), CHUNK):
        MonthlyCountDirty.objects.filter(pk__in=pks[start : start + CHUNK]).delete()


def _lock(organization_id: Any) -> None:
    """On PostgreSQL, one refresh of an organisation at a time (SQLite has one writer anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [REFRESH_LOCK, int(organization_id) % 2**31])


def _rebuild(organization_id: Any, digest: str, max_depth: int) -> None:
    marks = list(MonthlyCountDirty.objects.filter(organization_id=organization_id).values_list("pk", flat=True))
    rows = summary_rows(organization_id, None, max_depth)
    MonthlyCount.objects.filter(organization_id=organization_id).delete()
    MonthlyCount.objects.bulk_create(rows, batch_size=CHUNK)
    _delete_marks(marks)
    MonthlyCountState.objects.update_or_create(
        organization_id=organization_id, defaults={"vocabulary_digest": digest, "built_at": timezone.now()}
    )


def _refresh_marked(organization_id: Any, max_depth: int) -> None:
    marks = list(MonthlyCountDirty.objects.filter(organization_id=organization_id).values_list("pk", "month"))
    if not marks:
        return
    months = sorted({month for _pk, month in marks})
    rows = [row for run in _runs(months) for row in summary_rows(organization_id, run, max_depth)]
    for start in range(0, len(months), CHUNK):
        MonthlyCount.objects.filter(organization_id=organization_id, month__in=months[start : start + CHUNK]).delete()
    MonthlyCount.objects.bulk_create(rows, batch_size=CHUNK)
    _delete_marks([pk for pk, _month in marks])


def refresh(organization_ids: Collection[Any]) -> int:
    """Bring the organisations' summary up to date: rebuild those never built or built against
    another vocabulary, recompute the marked months of the others. Three small reads and no
    write when all is fresh. Returns the deepest level of the violation vocabulary."""
    digest, max_depth = violation_vocabulary()
    built = dict(
        MonthlyCountState.objects.filter(organization_id__in=organization_ids).values_list(
            "organization_id", "vocabulary_digest"
        )
    )
    marked = set(
        MonthlyCountDirty.objects.filter(organization_id__in=organization_ids)
        .values_list("organization_id", flat=True)
        .distinct()
    )
    for organization_id in sorted(organization_ids):
        if built.get(organization_id) == digest and organization_id not in marked:
            continue  # fresh
        with transaction.atomic():
            _lock(organization_id)
            state = MonthlyCountState.objects.filter(organization_id=organization_id).first()
            if state is None or state.vocabulary_digest != digest:
                _rebuild(organization_id, digest, max_depth)
            else:
                _refresh_marked(organization_id, max_depth)
    return max_depth


def rebuild_all() -> int:
    """Rebuild every organisation's summary from the incidents (after a restore, say), and drop
    the marks of organisations that no longer exist. Returns how many organisations."""
    digest, max_depth = violation_vocabulary()
    organization_ids = list(Organization.objects.order_by("pk").values_list("pk", flat=True))
    for organization_id in organization_ids:
        with transaction.atomic():
            _lock(organization_id)
            _rebuild(organization_id, digest, max_depth)
    MonthlyCountDirty.objects.exclude(organization_id__in=Organization.objects.values("pk")).delete()
    return len(organization_ids)


# --- answering from it -------------------------------------------------------------------------


def _summarised_depth(row_dim: Dimension, column_dim: Dimension | None, depth: int | None) -> int | None:
    """The violation depth to read, or -1 when no axis is a violation; None when the summary
    cannot answer."""
    dims = [row_dim] if column_dim is None else [row_dim, column_dim]
    if any(d.code not in SUMMARISED_DIMENSIONS for d in dims):
        return None
    if not any(d.code == VIOLATION for d in dims):
        return -1
    chosen = dimension(VIOLATION).default_depth if depth is None else depth
    return chosen if chosen >= 0 else None


def _answerable_filters(filters: Filters) -> bool:
    others = replace(filters, date_from=None, date_to=None, countries=(), regions=())
    return (
        others.is_empty()
        and (filters.date_from is None or filters.date_from.day == 1)
        and (filters.date_to is None or filters.date_to == month_end(filters.date_to))
    )


def _key(code: str, found: dict[str, Any]) -> str:
    """The dimension's key for a group of summary rows, as the live query writes it."""
    if code in ("country", "region"):
        country = found["country"]
        return (country or NOT_RECORDED) if code == "country" else REGION_OF_COUNTRY.get(country, NOT_RECORDED)
    if code == VIOLATION:
        return str(found["value"])
    month: date = found["month"]
    if code == "year":
        return str(month.year)
    if code == "quarter":
        return str(month.year * 10 + (month.month + 2) // 3)
    return str(month.year * 100 + month.month)


def answer_from_summary(
    scope: Scope, unit: str, row_dim: Dimension, column_dim: Dimension | None, filters: Filters, depth: int | None
) -> Table | None:
    """The table `aggregate()` would compute, read from the summary; None when the summary
    cannot answer it exactly."""
    violation_depth = _summarised_depth(row_dim, column_dim, depth)
    if unit != INCIDENTS or violation_depth is None or not _answerable_filters(filters):
        return None
    deepest = refresh(scope.organization_ids)
    # Beyond the deepest level every term is its own roll-up, as at the deepest level.
    violation_depth = min(violation_depth, deepest)
    rows = MonthlyCount.objects.filter(organization_id__in=scope.organization_ids)
    if filters.date_from:
        rows = rows.filter(month__gte=filters.date_from)
    if filters.date_to:
        rows = rows.filter(month__lte=filters.date_to)
    countries = chosen_countries(filters)
    if countries is not None:
        rows = rows.filter(country__in=countries)
    every = rows.filter(dimension=MonthlyCount.ALL)
    if violation_depth < 0:
        return _table(row_dim, column_dim, every, every, depth)
    by_violation = rows.filter(dimension=MonthlyCount.VIOLATION, depth=violation_depth)
    return _table(row_dim, column_dim, by_violation, every, depth)


# The summary column each dimension's value is read from.
_COLUMN = {
    "year": "month",
    "quarter": "month",
    "month": "month",
    "country": "country",
    "region": "country",
    VIOLATION: "value",
}


def _sums(rows: QuerySet[MonthlyCount], codes: list[str]) -> dict[tuple[str, ...], int]:
    """Incidents per combination of the dimensions' values: summed in SQL over the columns they
    read (a few hundred groups at most), then into the dimensions' keys here."""
    columns = sorted({_COLUMN[code] for code in codes})
    sums: dict[tuple[str, ...], int] = defaultdict(int)
    for found in rows.values(*columns).annotate(n=Sum("incidents")).order_by():
        sums[tuple(_key(code, found) for code in codes)] += found["n"]
    return sums


def _table(
    row_dim: Dimension,
    column_dim: Dimension | None,
    cells_from: QuerySet[MonthlyCount],
    every: QuerySet[MonthlyCount],
    depth: int | None,
) -> Table:
    """The same Table as the live query: the cells are sums of summary rows (incidents of two
    months or two countries are never the same); a total along the violation axis is the
    incidents in all, read from the "all" rows, since an incident may fall under several
    violations."""
    unit = INCIDENTS
    if column_dim is None:
        return _one_way(row_dim, cells_from, every, depth)
    cells = {(r, c): n for (r, c), n in _sums(cells_from, [row_dim.code, column_dim.code]).items() if n}

    def totals_along(dim: Dimension, axis: Axis, lines: Lines, across_violations: bool) -> tuple[int, ...]:
        return _totals(dim, axis.keys, lines, every, across_violations)

    def never() -> int:
        raise ValueError("the summary holds at most one violation axis")

    return cross_table(unit, (row_dim, column_dim), cells, depth, totals_along, never)


def _one_way(
    dim: Dimension, cells_from: QuerySet[MonthlyCount], every: QuerySet[MonthlyCount], depth: int | None
) -> Table:
    counted = {key[0]: n for key, n in _sums(cells_from, [dim.code]).items() if n}
    axis = _axis(dim, counted, INCIDENTS, depth)
    counts = tuple((counted.get(key, 0),) for key in axis.keys)
    row_totals = tuple(line[0] for line in counts)
    total = (every.aggregate(n=Sum("incidents"))["n"] or 0) if axis.multi_valued else sum(row_totals)
    return Table(INCIDENTS, axis, TOTAL_AXIS, counts, row_totals, (total,), total, notes=_notes(INCIDENTS, [axis]))


def _totals(
    dim: Dimension,
    keys: tuple[str, ...],
    lines: tuple[tuple[int, ...], ...],
    every: QuerySet[MonthlyCount],
    across_violations: bool,
) -> tuple[int, ...]:
    if not across_violations:
        return tuple(sum(line) for line in lines)
    totals = {key[0]: n for key, n in _sums(every, [dim.code]).items()}
    return tuple(totals.get(key, 0) for key in keys)
