"""A realistic generator of incidents for one organisation, for tests and the benchmark.

Real rows are written with bulk inserts (`insert_rows`: what bulk_create writes, in one executemany):
encrypted fields are left empty and every record carries the placeholder data key
PLACEHOLDER_KEY (never looked up), because saving records one by one would make and store one
data key per record. Analysis reads only coded, unencrypted columns, so nothing is lost.

What makes the data realistic (the shapes the analysis must cope with):

* about half of the incidents have no confirmed sector: their victims are defenders recorded
  without a sector, or people who are not defenders;
* about a third have an unspecified perpetrator (the "unknown" perpetrator type);
* multi-victim events (a quarter of incidents have two to six victims) and one to three acts
  per incident, acts naming their victim;
* revisions of past years: some incidents are recorded (created) one to three years after they
  happened, so a past year's count grows after it was first published;
* a Zipf-like skew of countries and violations, and a yearly seasonal swing of dates;
* a few probable duplicates: the same event recorded twice (same date, place and victim).

Deterministic for a given seed: the same seed writes the same rows (ids included).

The monthly count series used to test the statistics, with no database, are in
salama.analytics.series.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from salama.core.bulk import insert_rows

BATCH = 5_000
PLACEHOLDER_KEY = "bench-no-key"  # never looked up: the encrypted columns are empty

UNCONFIRMED_SECTOR_SHARE = 0.5
UNKNOWN_PERPETRATOR_SHARE = 1 / 3
MULTI_VICTIM_SHARE = 0.25
LATE_RECORDING_SHARE = 0.15
DUPLICATE_SHARE = 0.01


def skewed(items: Sequence[Any], exponent: float = 1.1) -> list[float]:
    """Zipf-like weights: the n-th item weighs 1 / n**exponent."""
    return [1 / (rank**exponent) for rank in range(1, len(items) + 1)]


class Picker:
    """Weighted choice with precomputed cumulative weights (random.choices recomputes them)."""

    def __init__(self, rng: random.Random, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.rng, self.items = rng, list(items)
        self.cum = list(_accumulate(weights))

    def __call__(self) -> Any:
        return self.rng.choices(self.items, cum_weights=self.cum)[0]


def _accumulate(weights: Sequence[float]) -> Iterator[float]:
    total = 0.0
    for weight in weights:
        total += weight
        yield total


@dataclass
class Generated:
    """What was written, for the caller's assertions."""

    incidents: int = 0
    victims: int = 0
    acts: int = 0
    defenders: int = 0
    cases: int = 0
    countries: list[str] = field(default_factory=list)
    duplicates: int = 0
    late: int = 0


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _terms(vocabulary: str) -> list[Any]:
    from salama.vocab.models import Term

    terms = list(Term.objects.filter(vocabulary__code=vocabulary, retired_at=None).order_by("position"))
    if not terms:
        raise RuntimeError(f"the {vocabulary} vocabulary is empty: load the default vocabularies first")
    return terms


def _seasonal_day(rng: random.Random, first: date, days: int) -> date:
    """A day in [first, first + days), more often in the (southern) winter months: a yearly swing
    of about +-30 %, by rejection."""
    while True:
        day = first + timedelta(days=rng.randrange(days))
        weight = 1 + 0.3 * math.sin(2 * math.pi * (day.timetuple().tm_yday / 365.25))
        if rng.random() * 1.3 < weight:
            return day


def generate_incidents(
    organization: Any,
    incidents: int,
    *,
    seed: int = 20261126,
    today: date | None = None,
    years: int = 5,
    countries: int = 30,
) -> Generated:
    """Write `incidents` incidents (with defenders, cases, victims, acts, perpetrators and
    sources) for `organization`, dated over the `years` years before `today`."""
    from django.db import transaction
    from django_countries import countries as all_countries

    from salama.cases.models import Case
    from salama.defenders.models import Defender
    from salama.incidents.models import Act, Incident, Perpetrator, Source, Victim

    # Made-up test data: a seeded, reproducible generator is the point, not unpredictability.
    rng = random.Random(seed)  # noqa: S311
    today = today or datetime.now(tz=UTC).date()
    first_day = today - timedelta(days=365 * years)
    codes = sorted(code for code, _name in all_countries)
    country_list = random.Random(seed + 1).sample(  # noqa: S311
        codes, min(countries, len(codes))
    )
    country = Picker(rng, country_list, skewed(country_list))
    violations = _terms("violation-types")
    random.Random(seed + 2).shuffle(violations)  # noqa: S311
    violation = Picker(rng, violations, skewed(violations, 0.9))
    perpetrator_types = _terms("perpetrator-types")
    unknown_perpetrator = next(t for t in perpetrator_types if t.code == "unknown")
    known_perpetrator = Picker(
        rng, [t for t in perpetrator_types if t.code != "unknown"], [1.0] * (len(perpetrator_types) - 1)
    )
    sectors = _terms("sectors")
    sector = Picker(rng, sectors, skewed(sectors, 0.8))
    statuses = _terms("victim-status")
    status = Picker(rng, statuses, skewed(statuses, 1.3))
    reliabilities = _terms("source-reliability")
    reliability = Picker(rng, reliabilities, skewed(reliabilities, 0.7))  # the reliable grades first
    source_kind = Picker(rng, [k for k, _l in Source.Kind.choices], [30, 15, 25, 20, 7, 3])
    precision = Picker(rng, [p for p, _l in Incident.Precision.choices], [70, 15, 10, 5])
    gender = Picker(rng, ["woman", "man", "non_binary", "unknown", "not_applicable"], [40, 40, 3, 12, 5])
    summary = Generated(countries=country_list)
    created_at = datetime.now(tz=UTC)

    # Defenders: half recorded without a sector, which leaves their incidents unconfirmed.
    n_defenders = max(10, incidents // 3)
    defender_rows, sector_links = [], []
    for n in range(n_defenders):
        defender = Defender(
            id=_uuid(rng),
            organization=organization,
            data_key_id=PLACEHOLDER_KEY,
            record_version=1,
            public_name=f"Generated defender {n:07d}",
            country=country(),
            gender=gender(),
        )
        defender_rows.append(defender)
        if rng.random() >= UNCONFIRMED_SECTOR_SHARE:
            for term in {sector() for _ in range(rng.choice((1, 1, 2)))}:
                sector_links.append(Defender.sectors.through(defender_id=defender.pk, term_id=term.pk))
    summary.defenders = n_defenders

    # Cases: one for about five incidents, each protecting one or two defenders.
    n_cases = max(1, incidents // 5)
    case_rows, case_links, case_defenders = [], [], []
    for n in range(n_cases):
        case = Case(
            id=_uuid(rng),
            organization=organization,
            data_key_id=PLACEHOLDER_KEY,
            record_version=1,
            reference=f"G{seed % 10_000:04d}-{n:07d}",
            title=f"Generated case {n}",
            status="active",
            opened_on=first_day,
            created_at=created_at,
        )
        case_rows.append(case)
        protected = rng.sample(defender_rows, min(len(defender_rows), rng.choice((1, 1, 1, 2))))
        case_defenders.append(protected)
        case_links += [Case.defenders.through(case_id=case.pk, defender_id=d.pk) for d in protected]
    summary.cases = n_cases
    with transaction.atomic():
        insert_rows(Defender, defender_rows)
        insert_rows(Defender.sectors.through, sector_links)
        insert_rows(Case, case_rows)
        insert_rows(Case.defenders.through, case_links)

    rows: dict[str, list[Any]] = {"incidents": [], "victims": [], "acts": [], "perpetrators": [], "sources": []}

    def flush() -> None:
        with transaction.atomic():
            tables: list[tuple[Any, str]] = [
                (Incident, "incidents"),
                (Victim, "victims"),
                (Act, "acts"),
                (Perpetrator, "perpetrators"),
                (Source, "sources"),
            ]
            for model, name in tables:
                insert_rows(model, rows[name])
        for batch in rows.values():
            batch.clear()

    previous: tuple[Any, ...] | None = None
    for n in range(incidents):
        case_index = rng.randrange(n_cases)
        duplicate = previous is not None and rng.random() < DUPLICATE_SHARE
        if duplicate and previous is not None:
            # The same event told twice (by two sources, or re-entered): same day, place, victim.
            case_index, start, where, area, first_victim = previous
            summary.duplicates += 1
        else:
            start = _seasonal_day(rng, first_day, (today - first_day).days)
            where = country()
            area = f"Area {rng.randrange(1, 9)}"
            first_victim = rng.choice(case_defenders[case_index])
        late = rng.random() < LATE_RECORDING_SHARE and start.year < today.year
        recorded = start + timedelta(days=rng.randrange(365, 3 * 365) if late else rng.randrange(1, 45))
        recorded = min(recorded, today)
        summary.late += late
        incident = Incident(
            id=_uuid(rng),
            organization=organization,
            case_id=case_rows[case_index].pk,
            data_key_id=PLACEHOLDER_KEY,
            record_version=1,
            title=f"Generated incident {n}",
            date_start=start,
            date_end=start + timedelta(days=rng.randrange(1, 60)) if rng.random() < 0.1 else None,
            date_precision=precision(),
            country=where,
            admin_area=area,
            place=f"Town {rng.randrange(200)}",
            created_at=datetime(recorded.year, recorded.month, recorded.day, 12, tzinfo=UTC),
        )
        rows["incidents"].append(incident)
        victims = _victims(rng, incident, first_victim, defender_rows, status)
        rows["victims"] += victims
        for _act in range(rng.choice((1, 1, 1, 2, 2, 3))):
            rows["acts"].append(Act(incident_id=incident.pk, violation_id=violation().pk, victim=rng.choice(victims)))
        perpetrator = unknown_perpetrator if rng.random() < UNKNOWN_PERPETRATOR_SHARE else known_perpetrator()
        rows["perpetrators"].append(
            Perpetrator(
                id=_uuid(rng),
                organization=organization,
                incident=incident,
                type=perpetrator,
                data_key_id=PLACEHOLDER_KEY,
                record_version=1,
            )
        )
        for position in range(rng.choice((1, 1, 2))):
            rows["sources"].append(
                Source(
                    id=_uuid(rng),
                    organization=organization,
                    incident=incident,
                    kind=source_kind(),
                    reliability=reliability(),
                    position=position,
                    data_key_id=PLACEHOLDER_KEY,
                    record_version=1,
                )
            )
        summary.victims += len(victims)
        previous = (case_index, start, where, area, first_victim)
        if len(rows["incidents"]) >= BATCH:
            summary.acts += len(rows["acts"])
            flush()
    summary.acts += len(rows["acts"])
    flush()
    summary.incidents = incidents
    return summary


def _victims(rng: random.Random, incident: Any, first: Any, defenders: list[Any], status: Picker) -> list[Any]:
    """The case's defender, and in a multi-victim event others: defenders or other people."""
    from salama.incidents.models import Victim

    count = rng.randrange(2, 7) if rng.random() < MULTI_VICTIM_SHARE else 1
    victims = []
    for position in range(count):
        defender = first if position == 0 else (rng.choice(defenders) if rng.random() < 0.5 else None)
        victims.append(
            Victim(
                id=_uuid(rng),
                organization_id=incident.organization_id,
                incident=incident,
                defender_id=defender.pk if defender is not None else None,
                status=status(),
                position=position,
                data_key_id=PLACEHOLDER_KEY,
                record_version=1,
            )
        )
    return victims
