"""The donor view: what a donor's grants funded, in aggregate, with no identity.

A donor organisation sees the emergency grants whose funder is itself (`GrantDetail.
funder_organization`), whichever organisation recorded them. Everything here is counted from
coded columns (kind, purpose, currency, amounts, outcome, dates, country); nothing encrypted is
opened, and no defender name, pseudonym, case title, reference or free text is read at all.
Counts from 1 to `DONOR_MIN_CELL - 1` are shown as "hidden", and the sums and medians
of such cells are withheld, so a small cell cannot point at one defender. Each breakdown goes
through the analysis's small-cell suppression (`salama.analytics.suppression`), so more counts
are hidden where the total would otherwise give a small one away.

The only way past the aggregate is the network's ordinary one: a case the recording
organisation shared with the donor (salama.sharing) is linked to the partner's page for it,
which applies the grant's scope and the defenders' consent as always.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import median
from typing import Any

from django.conf import settings
from django.db.models import Min

from salama.analytics.suppression import TOTAL, suppress
from salama.analytics.tables import RESPONSES, TOTAL_AXIS, Axis, Table
from salama.cases.access import grants_for
from salama.cases.models import Case
from salama.directory.regions import region_of
from salama.orgs.models import Membership, Organization

from .models import GrantDetail, Outcome, Response, ResponseStep

OPEN = "open"  # a grant whose response is not closed yet
UNKNOWN = "unknown"  # no country recorded for the case's defenders


def min_cell() -> int:
    return max(1, int(getattr(settings, "DONOR_MIN_CELL", 5)))


@dataclass(frozen=True)
class Cell:
    """A count, or `hidden` when it is positive but under the threshold (its value withheld)."""

    count: int | None
    hidden: bool

    @classmethod
    def of(cls, count: int) -> Cell:
        if 0 < count < min_cell():
            return cls(None, True)
        return cls(count, False)


@dataclass(frozen=True)
class Row:
    key: str
    cell: Cell


@dataclass(frozen=True)
class AmountRow:
    currency: str
    cell: Cell
    total: Decimal | None  # withheld with a hidden cell


@dataclass(frozen=True)
class YearRegionRow:
    year: int
    region: str
    cell: Cell


@dataclass(frozen=True)
class ResponseTimes:
    cell: Cell  # grants with a first disbursement
    median_days: float | None
    buckets: list[Row]  # "0-3", "4-7", "8-30", "31+" days


@dataclass
class DonorReport:
    is_donor: bool
    threshold: int
    total: Cell = field(default_factory=lambda: Cell(0, False))
    amounts: list[AmountRow] = field(default_factory=list)
    purposes: list[Row] = field(default_factory=list)
    outcomes: list[Row] = field(default_factory=list)
    response_times: ResponseTimes | None = None
    by_year_region: list[YearRegionRow] = field(default_factory=list)
    shared_cases: list[Any] = field(default_factory=list)  # (case id, partner URL parameters) only


@dataclass(frozen=True)
class _Grant:
    """One funded grant, reduced to the coded values the report counts."""

    response_id: Any
    case_id: Any
    purpose: str
    currency: str
    amount: Decimal | None
    outcome: str
    year: int
    region: str
    days_to_first_disbursement: int | None


BUCKETS = (("0-3", 0, 3), ("4-7", 4, 7), ("8-30", 8, 30), ("31+", 31, None))


def _bucket(days: int) -> str:
    for name, low, high in BUCKETS:
        if days >= low and (high is None or days <= high):
            return name
    return BUCKETS[-1][0]


def funded_grants(donor: Organization) -> list[_Grant]:
    details = list(
        GrantDetail.objects.filter(funder_organization=donor).select_related("response", "response__referral")
    )
    response_ids = [d.response_id for d in details]
    case_ids = {d.response.case_id for d in details}
    first_paid = dict(
        ResponseStep.objects.filter(response_id__in=response_ids, kind=ResponseStep.Kind.DISBURSEMENT)
        .values("response_id")
        .annotate(first=Min("occurred_on"))
        .values_list("response_id", "first")
    )
    opened = dict(Case.objects.filter(pk__in=case_ids).values_list("pk", "opened_on"))
    countries: dict[Any, str] = {}
    for case_id, country in (
        Case.defenders.through.objects.filter(case_id__in=case_ids)
        .exclude(defender__country="")
        .values_list("case_id", "defender__country")
        .order_by("case_id", "defender__country")
    ):
        countries.setdefault(case_id, str(country))
    grants = []
    for detail in details:
        response = detail.response
        sent_on = response.referral.sent_on if response.referral is not None else None
        start = sent_on or opened.get(response.case_id)
        paid = first_paid.get(response.pk)
        days = max(0, (paid - start).days) if paid and start else None
        year = (paid or response.started_on or response.created_at.date()).year
        closed = response.status in (Response.Status.COMPLETED, Response.Status.CANCELLED)
        grants.append(
            _Grant(
                response_id=response.pk,
                case_id=response.case_id,
                purpose=detail.purpose or GrantDetail.Purpose.OTHER,
                currency=detail.currency or "",
                amount=detail.amount,
                outcome=(response.outcome or Outcome.TOO_EARLY) if closed else OPEN,
                year=year,
                region=region_of(countries.get(response.case_id)) or UNKNOWN,
                days_to_first_disbursement=days,
            )
        )
    return grants


def _protected(counter: Counter[Any], keys: list[Any], total: int) -> tuple[list[Cell], bool]:
    """The cells of one breakdown of `total` grants after small-cell suppression, and whether
    the total itself had to be hidden."""
    names = tuple(str(key) for key in keys)
    table = Table(
        RESPONSES,
        Axis("breakdown", "", names, names),
        TOTAL_AXIS,
        tuple((counter[key],) for key in keys),
        tuple(counter[key] for key in keys),
        (total,),
        total,
    )
    hidden = suppress(table, min_cell()).suppressed
    cells = [Cell(None, True) if (row, 0) in hidden else Cell(counter[key], False) for row, key in enumerate(keys)]
    return cells, bool({(TOTAL, 0), (TOTAL, TOTAL)} & hidden)


def _rows(counter: Counter[str], order: list[str], total: int) -> list[Row]:
    keys = [key for key in order if counter.get(key)] + sorted(set(counter) - set(order))
    cells, _total_hidden = _protected(counter, keys, total)
    return [Row(key, cell) for key, cell in zip(keys, cells, strict=True)]


def donor_report(membership: Membership) -> DonorReport:
    donor = membership.organization
    report = DonorReport(is_donor=donor.kind == Organization.Kind.DONOR, threshold=min_cell())
    if not report.is_donor:
        return report
    grants = funded_grants(donor)
    report.total = Cell.of(len(grants))
    by_currency: dict[str, list[_Grant]] = defaultdict(list)
    for grant in grants:
        by_currency[grant.currency].append(grant)
    currencies = sorted(by_currency)
    counts = Counter({currency: len(by_currency[currency]) for currency in currencies})
    cells, total_hidden = _protected(counts, currencies, len(grants))
    for currency, cell in zip(currencies, cells, strict=True):
        total = sum((g.amount or Decimal(0) for g in by_currency[currency]), Decimal(0))
        report.amounts.append(AmountRow(currency, cell, None if cell.hidden else total))
    report.purposes = _rows(Counter(g.purpose for g in grants), list(GrantDetail.Purpose.values), len(grants))
    report.outcomes = _rows(Counter(g.outcome for g in grants), [*Outcome.values, OPEN], len(grants))
    timed = [g.days_to_first_disbursement for g in grants if g.days_to_first_disbursement is not None]
    timed_cell = Cell.of(len(timed))
    report.response_times = ResponseTimes(
        cell=timed_cell,
        median_days=None if timed_cell.hidden or not timed else float(median(timed)),
        buckets=_rows(Counter(_bucket(days) for days in timed), [name for name, _low, _high in BUCKETS], len(timed)),
    )
    year_region = Counter((g.year, g.region) for g in grants)
    places = sorted(year_region)
    cells, hidden_again = _protected(year_region, places, len(grants))
    report.by_year_region = [
        YearRegionRow(year, region, cell) for (year, region), cell in zip(places, cells, strict=True)
    ]
    if total_hidden or hidden_again:
        report.total = Cell(None, True)
    funded_cases = {g.case_id for g in grants}
    shared = grants_for(membership).filter(case_id__in=funded_cases).values_list("case_id", flat=True).distinct()
    report.shared_cases = sorted({str(case_id) for case_id in shared})
    return report
