"""The dimensions an aggregate can be cut by, declared once.

A dimension says how to read its value for each counting unit (an incident, a victim, an act) as
one SQL expression, so that counting stays in the database (`salama.analytics.query`). Values
that were not recorded (no country, a victim who is not a defender on record, an unknown gender)
are a value of their own, `NOT_RECORDED`: analysts must see how much is missing, so it is never
dropped.

Term dimensions (violation, perpetrator type, sector, victim status, source reliability) roll up
their vocabulary's hierarchy to a chosen depth: each term is counted under its ancestor at that
depth. The mapping from term to ancestor is read from the (small) vocabulary and written into the
query as a CASE, so that an incident with two violations under the same broader term is counted
once under it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, CharField, F, Q, Value, When
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, ExtractMonth, ExtractQuarter, ExtractYear
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from salama.defenders.access import SECTORS_VOCABULARY
from salama.defenders.models import Defender
from salama.directory.regions import REGION_NAMES, REGION_OF_COUNTRY
from salama.incidents.models import PERPETRATOR_TYPES, SOURCE_RELIABILITY, VICTIM_STATUS, VIOLATION_TYPES
from salama.vocab.models import Term

from .tables import ACTS, INCIDENTS, VICTIMS

NOT_RECORDED = "-"
NOT_RECORDED_LABEL = _("Not recorded")

# Where each unit's row reaches the incident, its victim and its acts, as ORM paths.
_INCIDENT = {INCIDENTS: "", VICTIMS: "incident__", ACTS: "incident__"}
_VICTIM = {INCIDENTS: "victims__", VICTIMS: "", ACTS: "victim__"}
# A victim is counted under the violations of the acts they suffered.
_ACT = {INCIDENTS: "acts__", VICTIMS: "acts__", ACTS: ""}


@dataclass(frozen=True)
class Dimension:
    code: str
    label: Promise
    # The ORM path of the raw value for each unit, before any roll-up.
    paths: dict[str, str]
    kind: str  # "period", "country", "region", "choice" or "term"
    multi_valued: frozenset[str]  # the units for which one unit may hold several values
    vocabulary: str = ""  # term dimensions
    default_depth: int = 0

    def path(self, unit: str) -> str:
        return self.paths[unit]


def _each(prefixes: dict[str, str], suffix: str) -> dict[str, str]:
    return {unit: prefix + suffix for unit, prefix in prefixes.items()}


_MANY_PER_INCIDENT = frozenset({INCIDENTS})
_MANY_ALWAYS = frozenset({INCIDENTS, VICTIMS, ACTS})

DIMENSIONS: dict[str, Dimension] = {
    d.code: d
    for d in [
        Dimension("year", _("Year"), _each(_INCIDENT, "date_start"), "period", frozenset()),
        Dimension("quarter", _("Quarter"), _each(_INCIDENT, "date_start"), "period", frozenset()),
        Dimension("month", _("Month"), _each(_INCIDENT, "date_start"), "period", frozenset()),
        Dimension("country", _("Country"), _each(_INCIDENT, "country"), "country", frozenset()),
        Dimension("region", _("Region"), _each(_INCIDENT, "country"), "region", frozenset()),
        Dimension(
            "sector",
            _("Sector of work (of the victims)"),
            _each(_VICTIM, "defender__sectors"),
            "term",
            _MANY_ALWAYS,
            SECTORS_VOCABULARY,
        ),
        Dimension(
            "violation",
            _("Violation"),
            _each(_ACT, "violation"),
            "term",
            frozenset({INCIDENTS, VICTIMS}),
            VIOLATION_TYPES,
        ),
        Dimension(
            "perpetrator_type",
            _("Type of perpetrator"),
            _each(_INCIDENT, "perpetrators__type"),
            "term",
            _MANY_ALWAYS,
            PERPETRATOR_TYPES,
        ),
        Dimension(
            "gender", _("Gender (of the victims)"), _each(_VICTIM, "defender__gender"), "choice", _MANY_PER_INCIDENT
        ),
        Dimension(
            "victim_status",
            _("Status of the victims"),
            _each(_VICTIM, "status"),
            "term",
            _MANY_PER_INCIDENT,
            VICTIM_STATUS,
        ),
        Dimension(
            "source_reliability",
            _("Reliability of the sources"),
            _each(_INCIDENT, "sources__reliability"),
            "term",
            _MANY_ALWAYS,
            SOURCE_RELIABILITY,
        ),
    ]
}

PERIODS = ("year", "quarter", "month")


def dimension(code: str) -> Dimension:
    try:
        return DIMENSIONS[code]
    except KeyError:
        raise ValueError(f"unknown dimension {code}") from None


def choices() -> list[tuple[str, Promise]]:
    return [(d.code, d.label) for d in DIMENSIONS.values()]


# --- reading values in SQL -----------------------------------------------------------------


@dataclass(frozen=True)
class TermLevel:
    """A vocabulary rolled up to one depth: each term's key (its ancestor's code), and the keys
    and labels of that depth in reading order."""

    ancestor_of: dict[Any, str]
    keys: tuple[str, ...]
    labels: tuple[str, ...]


def term_level(vocabulary: str, depth: int) -> TermLevel:
    # Retired terms too: past records still carry them and must be counted.
    terms = list(Term.objects.filter(vocabulary__code=vocabulary).order_by("position"))
    by_path = {t.path: t for t in terms}
    ancestor_of: dict[Any, str] = {}
    shown: dict[str, str] = {}
    for term in terms:
        parts = [p for p in term.path.split("/") if p]
        ancestor = by_path.get("/" + "/".join(parts[: depth + 1]) + "/", term)
        ancestor_of[term.pk] = ancestor.code
        # Terms are in depth-first reading order, so the first sight of an ancestor is its place.
        if not term.retired_at and ancestor.code not in shown:
            shown[ancestor.code] = ancestor.label()
    return TermLevel(ancestor_of, tuple(shown), tuple(shown.values()))


class _TextDatePart:
    """On SQLite a date is stored as 'YYYY-MM-DD' text and Django extracts its parts through a
    Python function called once per row; cutting the text in SQL is a third faster over a
    million incidents. Other databases keep their native EXTRACT."""

    start = 1
    length = 4

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.lhs)  # type: ignore[attr-defined]
        return f"CAST(substr({sql}, {self.start}, {self.length}) AS integer)", list(params)


class YearOf(_TextDatePart, ExtractYear):
    pass


class MonthOf(_TextDatePart, ExtractMonth):
    start, length = 6, 2


class QuarterOf(ExtractQuarter):
    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.lhs)
        return f"((CAST(substr({sql}, 6, 2) AS integer) + 2) / 3)", list(params)


def value_expression(dim: Dimension, unit: str, depth: int | None = None) -> Combinable:
    """The dimension's value for one row of the unit, as text or an integer; NOT_RECORDED when
    there is none."""
    path = dim.path(unit)
    builders: dict[str, Callable[[], Combinable]] = {
        "year": lambda: YearOf(path),
        "quarter": lambda: YearOf(path) * 10 + QuarterOf(path),
        "month": lambda: YearOf(path) * 100 + MonthOf(path),
    }
    if dim.code in builders:
        return builders[dim.code]()
    if dim.kind == "country":
        return Case(
            When(Q(**{path: ""}) | Q(**{f"{path}__isnull": True}), then=Value(NOT_RECORDED)),
            default=Cast(F(path), CharField()),
            output_field=CharField(),
        )
    if dim.kind == "region":
        members: dict[str, list[str]] = {}
        for country, region in REGION_OF_COUNTRY.items():
            members.setdefault(region, []).append(country)
        whens = [When(Q(**{f"{path}__in": countries}), then=Value(region)) for region, countries in members.items()]
        return Case(*whens, default=Value(NOT_RECORDED), output_field=CharField())
    if dim.kind == "choice":
        unknown = Q(**{f"{path}__isnull": True}) | Q(**{path: Defender.Gender.UNKNOWN}) | Q(**{path: ""})
        return Case(When(unknown, then=Value(NOT_RECORDED)), default=Cast(path, CharField()), output_field=CharField())
    level = term_level(dim.vocabulary, dim.default_depth if depth is None else depth)
    by_ancestor: dict[str, list[Any]] = {}
    for term_id, code in level.ancestor_of.items():
        by_ancestor.setdefault(code, []).append(term_id)
    term_whens = [When(Q(**{f"{path}__in": ids}), then=Value(code)) for code, ids in by_ancestor.items()]
    return Case(*term_whens, default=Value(NOT_RECORDED), output_field=CharField())


# --- keys and labels for display -----------------------------------------------------------


def period_label(code: str, key: int) -> str:
    if code == "year":
        return str(key)
    if code == "quarter":
        return f"{key // 10} Q{key % 10}"
    return f"{key // 100}-{key % 100:02d}"


def period_keys(code: str, present: list[int]) -> list[int]:
    """Every period from the first to the last present, so that a trend shows its zeros."""
    if not present:
        return []
    first, last = min(present), max(present)
    if code == "year":
        return list(range(first, last + 1))
    per_year, base = (4, 10) if code == "quarter" else (12, 100)
    keys: list[int] = []
    year, step = divmod(first, base)
    while year * base + step <= last:
        keys.append(year * base + step)
        step += 1
        if step > per_year:
            year, step = year + 1, 1
    return keys


def _country_label(code: str) -> str:
    from django_countries import countries

    return str(countries.name(code)) or code


def axis_values(dim: Dimension, present: list[Any], depth: int | None = None) -> tuple[list[str], list[str]]:
    """The keys shown along the dimension, in reading order, and their labels: every period
    between the first and last counted, every term of the roll-up level and every gender, the
    countries and regions counted; and NOT_RECORDED last when anything is counted under it."""
    missing = NOT_RECORDED in present
    present = [str(p) for p in present if p != NOT_RECORDED and p is not None]
    keys: list[str]
    labels: list[str]
    if dim.kind == "period":
        periods = period_keys(dim.code, [int(p) for p in present])
        keys = [str(k) for k in periods]
        labels = [period_label(dim.code, k) for k in periods]
    elif dim.kind == "country":
        keys = sorted(set(present), key=_country_label)
        labels = [_country_label(k) for k in keys]
    elif dim.kind == "region":
        keys = [code for code in REGION_NAMES if code in present]
        labels = [str(REGION_NAMES[k]) for k in keys]
    elif dim.kind == "choice":
        keys = [value for value, _label in Defender.Gender.choices if value != Defender.Gender.UNKNOWN]
        labels = [str(label) for value, label in Defender.Gender.choices if value != Defender.Gender.UNKNOWN]
        extra = [p for p in present if p not in keys]
        keys += extra
        labels += extra
    else:
        level = term_level(dim.vocabulary, dim.default_depth if depth is None else depth)
        keys = list(level.keys)
        labels = list(level.labels)
        # A retired term still counted is shown after the current ones.
        extra = [p for p in present if p not in level.keys]
        keys += extra
        labels += extra
    if missing:
        keys.append(NOT_RECORDED)
        labels.append(str(NOT_RECORDED_LABEL))
    return keys, labels
