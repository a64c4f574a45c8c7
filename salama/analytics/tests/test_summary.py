"""The monthly summary answers exactly what the live query answers, takes over only where it
can, and is never stale: whatever writes the incidents, the next aggregate sees it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from itertools import pairwise
from typing import Any
from unittest.mock import patch

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salama.analytics.generator import generate_incidents
from salama.analytics.models import MonthlyCount, MonthlyCountDirty, MonthlyCountState
from salama.analytics.query import Filters, aggregate
from salama.analytics.scope import Scope
from salama.analytics.summary import refresh
from salama.analytics.tables import INCIDENTS, VICTIMS, Table
from salama.incidents.models import Act, Incident
from salama.vocab.actions import load_default_vocabularies, sync_vocabularies
from salama.vocab.defaults import SOURCE as DEFAULTS_SOURCE
from salama.vocab.defaults import read_defaults
from salama.vocab.specs import VocabularySpec

from .fixture import build_network, term

TODAY = date(2026, 11, 15)

# Every shape the summary answers: (rows, columns, depth).
COMBINATIONS = [
    ("year", "country", None),
    ("year", None, None),
    ("quarter", None, None),
    ("month", None, None),
    ("region", None, None),
    ("country", "region", None),
    ("quarter", "region", None),
    *[("violation", None, depth) for depth in (None, 0, 1, 2, 5)],
    *[("violation", "country", depth) for depth in (0, 1, 2)],
    *[("country", "violation", depth) for depth in (0, 2)],
    ("year", "violation", 1),
    ("violation", "month", 0),
    ("region", "violation", 1),
]

ALIGNED_FILTERS = [
    Filters(),
    Filters(date_from=date(2024, 3, 1)),
    Filters(date_to=date(2025, 2, 28)),
    Filters(date_from=date(2024, 1, 1), date_to=date(2024, 6, 30)),
]


def violation_tree(moves: dict[str, str | None]) -> list[VocabularySpec]:
    """The default vocabularies with violation terms moved under others (code: new parent)."""
    specs = read_defaults()
    for position, spec in enumerate(specs):
        if spec.code == "violation-types":
            terms = [replace(t, parent=moves.get(t.code, t.parent)) for t in spec.terms]
            specs[position] = replace(spec, terms=terms)
    return specs


def hierarchical_violations() -> None:
    """Three levels: a few broad terms, narrower ones under them, and some under those."""
    codes = [t.code for spec in read_defaults() if spec.code == "violation-types" for t in spec.terms]
    moves: dict[str, str | None] = {code: codes[0] for code in codes[4:10]}
    moves.update({code: codes[4] for code in codes[10:14]})
    moves.update({code: codes[1] for code in codes[14:17]})
    sync_vocabularies(DEFAULTS_SOURCE, violation_tree(moves))


def live(scope: Scope, **options: Any) -> Table:
    with patch("salama.analytics.summary.answer_from_summary", return_value=None):
        return aggregate(scope, **options)


def assert_same(scope: Scope, **options: Any) -> None:
    options.setdefault("unit", INCIDENTS)
    summarised, counted = aggregate(scope, **options), live(scope, **options)
    assert summarised == counted, options


def read_tables(sql: list[dict[str, Any]]) -> str:
    return " ".join(query["sql"] for query in sql)


@pytest.fixture
def generated(cast: Any) -> Any:
    load_default_vocabularies()
    hierarchical_violations()
    generate_incidents(cast.org_a, 250, seed=7, today=TODAY, years=3, countries=12)
    generate_incidents(cast.org_b, 60, seed=8, today=TODAY, years=2, countries=5)
    return cast


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_summary_and_the_live_query_give_the_same_tables(cast: Any, seed: int):
    load_default_vocabularies()
    hierarchical_violations()
    generate_incidents(cast.org_a, 150 + 50 * seed, seed=seed, today=TODAY, years=2 + seed % 2, countries=6 * seed)
    generate_incidents(cast.org_b, 40, seed=seed + 100, today=TODAY, years=2, countries=4)
    own, network = Scope(frozenset({cast.org_a.pk})), Scope(frozenset({cast.org_a.pk, cast.org_b.pk}), network=True)
    countries = sorted(set(Incident.objects.filter(organization=cast.org_a).values_list("country", flat=True)))
    filters = [*ALIGNED_FILTERS, Filters(countries=tuple(countries[:3])), Filters(regions=("africa", "americas"))]
    for rows, columns, depth in COMBINATIONS:
        for chosen in filters:
            for scope in (own, network):
                assert_same(scope, rows=rows, columns=columns, depth=depth, filters=chosen)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    combination=st.sampled_from(COMBINATIONS),
    first=st.tuples(st.integers(2023, 2026), st.integers(1, 12)),
    months=st.integers(0, 30),
    use_from=st.booleans(),
    use_to=st.booleans(),
    regions=st.lists(st.sampled_from(["africa", "americas", "asia", "europe", "oceania", "nowhere"]), max_size=2),
)
def test_any_month_aligned_window_and_region_agree(
    generated: Any, combination: Any, first: Any, months: int, use_from: bool, use_to: bool, regions: list[str]
):
    year, month = first
    start = date(year, month, 1)
    after = year * 12 + month - 1 + months + 1  # the month after the window, as a month index
    following = date(after // 12, after % 12 + 1, 1)
    end = date.fromordinal(following.toordinal() - 1)
    filters = Filters(date_from=start if use_from else None, date_to=end if use_to else None, regions=tuple(regions))
    rows, columns, depth = combination
    assert_same(Scope(frozenset({generated.org_a.pk})), rows=rows, columns=columns, depth=depth, filters=filters)


def test_the_summary_answers_when_it_can_and_the_live_query_otherwise(generated: Any):
    scope = Scope(frozenset({generated.org_a.pk}))
    aggregate(scope, unit=INCIDENTS, rows="year")  # builds the summary
    with CaptureQueriesContext(connection) as summarised:
        aggregate(scope, unit=INCIDENTS, rows="violation", columns="country", depth=1)
    assert "analytics_monthlycount" in read_tables(summarised.captured_queries)
    assert "incidents_" not in read_tables(summarised.captured_queries)
    not_summarised = [
        {"unit": INCIDENTS, "rows": "year", "filters": Filters(sectors=("journalism-expression",))},
        {"unit": INCIDENTS, "rows": "year", "filters": Filters(date_from=date(2024, 3, 15))},
        {"unit": INCIDENTS, "rows": "year", "filters": Filters(date_to=date(2024, 3, 30))},
        {"unit": INCIDENTS, "rows": "year", "filters": Filters(violations=("killing",))},
        {"unit": VICTIMS, "rows": "year"},
        {"unit": INCIDENTS, "rows": "gender"},
        {"unit": INCIDENTS, "rows": "violation", "columns": "perpetrator_type"},
    ]
    for options in not_summarised:
        with CaptureQueriesContext(connection) as counted:
            aggregate(scope, **options)
        assert "analytics_monthlycount" not in read_tables(counted.captured_queries), options
        assert "incidents_" in read_tables(counted.captured_queries), options


def test_a_fresh_summary_costs_no_write(generated: Any):
    scope = Scope(frozenset({generated.org_a.pk}))
    aggregate(scope, unit=INCIDENTS, rows="year")
    assert not MonthlyCountDirty.objects.filter(organization=generated.org_a).exists()
    with CaptureQueriesContext(connection) as again:
        aggregate(scope, unit=INCIDENTS, rows="year")
    assert not any(q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for q in again.captured_queries)


# --- staleness -----------------------------------------------------------------------------------


def every_shape(scope: Scope) -> Iterator[dict[str, Any]]:
    for rows, columns, depth in [("year", "country", None), ("violation", "country", 1), ("month", "violation", 0)]:
        yield {"unit": INCIDENTS, "rows": rows, "columns": columns, "depth": depth}


def assert_fresh(scope: Scope) -> None:
    for options in every_shape(scope):
        assert_same(scope, **options)


@pytest.fixture
def recorded(cast: Any) -> Any:
    network = build_network(cast)
    hierarchical_violations()
    generate_incidents(cast.org_a, 80, seed=5, today=TODAY, years=2, countries=6)
    scope = Scope(frozenset({cast.org_a.pk}))
    assert_fresh(scope)  # built
    return cast, network, scope


def test_writes_through_the_actions_are_seen(recorded: Any):
    from salama.incidents.actions import do_delete_incident, do_record_incident, do_update_incident

    cast, network, scope = recorded
    admin = cast.membership("a_admin")
    before = aggregate(scope, unit=INCIDENTS, rows="year").total
    incident = do_record_incident(
        admin,
        network["case"],
        title="New",
        date_start=date(2025, 7, 9),
        country="PE",
        acts=[{"violation": term("violation-types", "killing"), "victim": None}],
    )
    assert aggregate(scope, unit=INCIDENTS, rows="year").total == before + 1
    assert_fresh(scope)
    do_update_incident(admin, incident, date_start=date(2023, 1, 31))
    assert_fresh(scope)
    do_update_incident(admin, incident, country="BR")
    assert_fresh(scope)
    do_update_incident(admin, incident, comment="narrative only", narrative="Changed, and counts do not move")
    assert_fresh(scope)
    do_update_incident(
        admin,
        incident,
        acts=[
            {"violation": term("violation-types", "killing"), "victim": None},
            {"violation": term("violation-types", "surveillance"), "victim": None},
        ],
        victims=[],
        perpetrators=[],
        sources=[],
    )
    assert_fresh(scope)
    do_delete_incident(admin, incident)
    assert aggregate(scope, unit=INCIDENTS, rows="year").total == before
    assert_fresh(scope)


def test_writes_around_the_actions_are_seen_too(recorded: Any):
    cast, _network, scope = recorded
    some = Incident.objects.filter(organization=cast.org_a).order_by("pk")
    first = some.first()
    assert first is not None
    Act.objects.create(incident=first, violation=term("violation-types", "surveillance"))
    assert_fresh(scope)
    Act.objects.filter(incident=first).delete()
    assert_fresh(scope)
    Act.objects.filter(incident__in=some[:10]).update(violation=term("violation-types", "killing"))
    assert_fresh(scope)
    Incident.objects.filter(pk__in=some[:20].values("pk")).update(country="UY")
    assert_fresh(scope)
    Incident.objects.filter(pk__in=some[20:30].values("pk")).update(date_start=date(2021, 2, 2))
    assert_fresh(scope)
    generate_incidents(cast.org_a, 40, seed=99, today=TODAY, years=1, countries=3)  # bulk_create
    assert_fresh(scope)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE incidents_incident SET country = %s WHERE country = %s", ["CL", "UY"])
    assert_fresh(scope)
    Incident.objects.filter(pk=first.pk).delete()
    assert_fresh(scope)


def test_an_import_is_seen(recorded: Any):
    from salama.transfer import actions as transfer

    cast, network, scope = recorded
    admin = cast.membership("a_admin")
    case = network["case"]
    content = (
        "external_id,case,title,date_start,country,violation_types\n"
        f"x-1,{case.reference},Imported,2025-04-03,CO,Death threats\n"
        f"x-2,{case.reference},Imported too,2022-12,,killing\n"
    ).encode()
    batch = transfer.do_upload(admin, "incidents", "incidents.csv", content)
    columns = ("external_id", "case", "title", "date_start", "country", "violation_types")
    transfer.do_set_mapping(admin, batch, {name: name for name in columns})
    transfer.do_start_import(admin, batch)
    assert Incident.objects.filter(external_id__in=["x-1", "x-2"]).count() == 2
    assert_fresh(scope)


def test_a_vocabulary_move_is_reflected(recorded: Any):
    cast, _network, scope = recorded
    assert_fresh(scope)
    before = MonthlyCountState.objects.get(organization=cast.org_a).vocabulary_digest
    codes = [t.code for spec in read_defaults() if spec.code == "violation-types" for t in spec.terms]
    # Move a whole branch under another broad term, and a leaf to the top.
    sync_vocabularies(DEFAULTS_SOURCE, violation_tree({codes[4]: codes[2], codes[15]: None}))
    assert_fresh(scope)
    assert MonthlyCountState.objects.get(organization=cast.org_a).vocabulary_digest != before


def test_the_rebuild_command_builds_every_organisation_from_the_incidents(recorded: Any):
    cast, _network, scope = recorded
    MonthlyCount.objects.all().delete()
    with connection.cursor() as cursor:  # as after a restore that bypassed the triggers
        cursor.execute(
            "INSERT INTO analytics_monthlycount (organization_id, month, country, dimension, depth, value, "
            "incidents) VALUES (%s, %s, 'ZZ', 'all', 0, '', 5)",
            [cast.org_a.pk, date(2020, 1, 1)],
        )
    out = io.StringIO()
    call_command("analytics", "rebuild", stdout=out)
    assert "rebuilt" in out.getvalue()
    assert not MonthlyCount.objects.filter(country="ZZ").exists()
    assert MonthlyCountState.objects.filter(organization=cast.org_b).exists()
    assert_fresh(scope)


def test_refresh_touches_only_marked_months(recorded: Any):
    cast, _network, _scope = recorded
    incident = Incident.objects.filter(organization=cast.org_a).exclude(date_start__year=2025).first()
    assert incident is not None
    moved = {incident.date_start.replace(day=1), date(2025, 7, 1)}
    others = set(
        MonthlyCount.objects.filter(organization=cast.org_a).exclude(month__in=moved).values_list("pk", flat=True)
    )
    Incident.objects.filter(pk=incident.pk).update(date_start=date(2025, 7, 3))
    assert set(MonthlyCountDirty.objects.filter(organization=cast.org_a).values_list("month", flat=True)) == moved
    refresh([cast.org_a.pk])
    assert not MonthlyCountDirty.objects.filter(organization=cast.org_a).exists()
    assert others <= set(MonthlyCount.objects.filter(organization=cast.org_a).values_list("pk", flat=True))
    assert (
        MonthlyCount.objects.get(
            organization=cast.org_a, dimension="all", month=date(2025, 7, 1), country=incident.country.code
        ).incidents
        == Incident.objects.filter(
            organization=cast.org_a, date_start__year=2025, date_start__month=7, country=incident.country.code
        ).count()
    )


@given(st.sets(st.integers(0, 80), max_size=30))
def test_marked_months_are_read_as_runs_of_consecutive_months(indexes: set[int]):
    from salama.analytics.summary import _runs

    months = [date(2020 + i // 12, i % 12 + 1, 1) for i in sorted(indexes)]
    runs = _runs(months)
    covered = [
        date(2020 + i // 12, i % 12 + 1, 1)
        for first, last in runs
        for i in range((first.year - 2020) * 12 + first.month - 1, (last.year - 2020) * 12 + last.month)
    ]
    assert covered == months
    assert all(_next(a[1]) != b[0] for a, b in pairwise(runs))


def _next(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)
