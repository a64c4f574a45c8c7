"""Rows for the early-warning and data-quality tests, written directly (placeholder data keys,
empty encrypted fields) so that each test states exactly which incidents exist."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime
from typing import Any

from salama.analytics.generator import PLACEHOLDER_KEY

_references = itertools.count(1)


def term(vocabulary: str, code: str) -> Any:
    from salama.vocab.models import Term

    return Term.objects.get(vocabulary__code=vocabulary, code=code)


def sealed(model: Any, **fields: Any) -> Any:
    """Insert one encrypted-model row without making a data key (nothing in it is sealed)."""
    row = model(id=uuid.uuid4(), data_key_id=PLACEHOLDER_KEY, record_version=1, **fields)
    model.objects.bulk_create([row])
    return row


def defender(org: Any, *, country: str = "", gender: str = "woman", sectors: tuple[str, ...] = ()) -> Any:
    from salama.defenders.models import Defender

    person = sealed(Defender, organization=org, public_name="Someone", country=country, gender=gender)
    person.sectors.set([term("sectors", code) for code in sectors])
    return person


def case(org: Any, defenders: list[Any], team: list[Any] = ()) -> Any:  # type: ignore[assignment]
    from salama.cases.models import Case

    opened = sealed(
        Case, organization=org, reference=f"Q-{next(_references):05d}", title="Case", opened_on=date(2020, 1, 1)
    )
    opened.defenders.set(defenders)
    opened.team.set(team)
    return opened


def incident(
    on_case: Any,
    on: date,
    *,
    country: str = "CO",
    area: str = "",
    victims: list[Any | None] = (),  # type: ignore[assignment]
    violations: tuple[str, ...] = ("threats-harassment",),
    perpetrators: tuple[str, ...] = (),
    precision: str = "exact",
    sources: tuple[tuple[str, str], ...] = (),
) -> Any:
    from salama.incidents.models import Act, Incident, Perpetrator, Source, Victim

    org = on_case.organization
    made = sealed(
        Incident,
        organization=org,
        case=on_case,
        title=f"Incident of {on.isoformat()}",
        date_start=on,
        date_precision=precision,
        country=country,
        admin_area=area,
        created_at=datetime(on.year, on.month, on.day, 12, tzinfo=UTC),
    )
    for position, person in enumerate(victims):
        sealed(Victim, organization=org, incident=made, defender=person, position=position)
    for code in violations:
        Act.objects.create(incident=made, violation=term("violation-types", code))
    for code in perpetrators:
        sealed(Perpetrator, organization=org, incident=made, type=term("perpetrator-types", code))
    for position, (kind, reliability) in enumerate(sources):
        sealed(
            Source,
            organization=org,
            incident=made,
            kind=kind,
            reliability=term("source-reliability", reliability),
            position=position,
        )
    return made


def steady_then_rise(on_case: Any, now: date, victim: Any, *, country: str = "CO") -> list[Any]:
    """One incident on the 10th of each of the 24 months before `now`'s, then nine in its first
    nine days: a planted rise. Returns the nine."""
    for back in range(1, 25):
        month = (now.year * 12 + now.month - 1) - back
        incident(on_case, date(month // 12, month % 12 + 1, 10), country=country, victims=[victim])
    rise = [date(now.year, now.month, day) for day in range(1, 10)]
    return [incident(on_case, on, country=country, victims=[victim]) for on in rise]
