"""The aggregation core: counts on a fixture known by hand, for every dimension and unit, the
organisation boundary, filters and the comparison of two periods."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salama.analytics.actions import do_set_aggregate_sharing
from salama.analytics.dimensions import DIMENSIONS, NOT_RECORDED
from salama.analytics.query import Filters, Period, aggregate, compare
from salama.analytics.scope import scope_for
from salama.analytics.tables import Table
from salama.audit.models import AuditEntry

from .fixture import build_network

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(cast: Any) -> dict[str, Any]:
    return build_network(cast)


@pytest.fixture
def scope_a(cast: Any, network: dict[str, Any]) -> Any:
    return scope_for(cast.membership("a_viewer"))


def by_key(table: Table) -> dict[str, int]:
    return {key: line[0] for key, line in zip(table.rows.keys, table.counts, strict=True) if line[0]}


def one_way(scope: Any, unit: str, rows: str, **options: Any) -> tuple[dict[str, int], Table]:
    table = aggregate(scope, unit=unit, rows=rows, **options)
    return by_key(table), table


@pytest.mark.parametrize(
    ("unit", "rows", "expected", "total"),
    [
        ("incidents", "year", {"2023": 1, "2024": 2}, 3),
        ("incidents", "country", {"CO": 1, "KE": 1, NOT_RECORDED: 1}, 3),
        ("incidents", "region", {"americas": 1, "africa": 1, NOT_RECORDED: 1}, 3),
        ("incidents", "quarter", {"20232": 1, "20241": 1, "20244": 1}, 3),
        ("incidents", "month", {"202305": 1, "202402": 1, "202411": 1}, 3),
        (
            "incidents",
            "violation",
            {"physical-attack": 1, "death-threats": 1, "legal-action": 1, "surveillance": 1},
            3,
        ),
        ("incidents", "perpetrator_type", {"state-actors": 2, "non-state-actors": 1, "unknown": 1}, 3),
        ("incidents", "gender", {"woman": 2, "man": 1, NOT_RECORDED: 1}, 3),
        (
            "incidents",
            "sector",
            {"land-environment": 2, "indigenous-peoples": 2, "journalism-expression": 1, NOT_RECORDED: 1},
            3,
        ),
        ("incidents", "victim_status", {"injured": 1, "detained": 1, NOT_RECORDED: 2}, 3),
        ("incidents", "source_reliability", {"likely-reliable": 1, "uncertain": 1, "unknown": 1}, 3),
        ("victims", "year", {"2023": 2, "2024": 2}, 4),
        ("victims", "gender", {"woman": 2, "man": 1, NOT_RECORDED: 1}, 4),
        ("victims", "victim_status", {"injured": 1, "detained": 1, NOT_RECORDED: 2}, 4),
        (
            "victims",
            "violation",
            {"physical-attack": 1, "death-threats": 1, "legal-action": 1, NOT_RECORDED: 1},
            4,
        ),
        (
            "victims",
            "sector",
            {"land-environment": 2, "indigenous-peoples": 2, "journalism-expression": 1, NOT_RECORDED: 1},
            4,
        ),
        ("acts", "violation", {"physical-attack": 2, "death-threats": 1, "legal-action": 1, "surveillance": 1}, 5),
        ("acts", "gender", {"woman": 2, "man": 1, NOT_RECORDED: 2}, 5),
        ("acts", "country", {"CO": 3, "KE": 1, NOT_RECORDED: 1}, 5),
        ("acts", "perpetrator_type", {"state-actors": 4, "non-state-actors": 3, "unknown": 1}, 5),
    ],
)
def test_counts_by_every_dimension_and_unit(
    scope_a: Any, unit: str, rows: str, expected: dict[str, int], total: int
) -> None:
    counted, table = one_way(scope_a, unit, rows)
    assert counted == expected
    assert table.total == total
    assert table.unit == unit


def test_periods_show_their_zeros_in_order(scope_a: Any) -> None:
    table = aggregate(scope_a, unit="incidents", rows="quarter")
    assert table.rows.keys == ("20232", "20233", "20234", "20241", "20242", "20243", "20244")
    assert table.rows.labels[0] == "2023 Q2"
    assert [line[0] for line in table.counts] == [1, 0, 0, 1, 0, 0, 1]
    months = aggregate(scope_a, unit="incidents", rows="month")
    assert len(months.rows.keys) == 19 and months.rows.labels[-1] == "2024-11"


def test_term_dimensions_list_every_term_of_the_level_and_roll_up_to_a_depth(scope_a: Any) -> None:
    broad = aggregate(scope_a, unit="incidents", rows="violation")
    assert "killing" in broad.rows.keys and "attempted-killing" not in broad.rows.keys
    assert broad.rows.multi_valued
    narrow, _table = one_way(scope_a, "incidents", "violation", depth=1)
    # An incident with an attempted killing and a physical attack: once under each narrower
    # term, once under the broader one.
    assert narrow == {
        "attempted-killing": 1,
        "physical-attack": 1,
        "death-threats": 1,
        "criminal-charges": 1,
        "surveillance": 1,
    }


def test_not_recorded_is_a_value_shown_last_with_its_label(scope_a: Any) -> None:
    table = aggregate(scope_a, unit="incidents", rows="country")
    assert table.rows.keys[-1] == NOT_RECORDED
    assert table.rows.labels[-1] == "Not recorded"


def test_multi_valued_totals_are_distinct_counts_not_sums(scope_a: Any) -> None:
    table = aggregate(scope_a, unit="incidents", rows="gender")
    assert sum(table.row_totals) == 4 and table.total == 3
    assert any("counted under each" in note for note in table.notes)
    single = aggregate(scope_a, unit="incidents", rows="year")
    assert single.notes[0] == "Counting: incidents."


def test_cross_tabulation(scope_a: Any) -> None:
    table = aggregate(scope_a, unit="incidents", rows="year", columns="violation")
    cells = {
        (r, c): table.counts[i][j]
        for i, r in enumerate(table.rows.keys)
        for j, c in enumerate(table.columns.keys)
        if table.counts[i][j]
    }
    assert cells == {
        ("2023", "physical-attack"): 1,
        ("2023", "death-threats"): 1,
        ("2024", "legal-action"): 1,
        ("2024", "surveillance"): 1,
    }
    assert table.row_totals == (1, 2)
    assert dict(zip(table.columns.keys, table.column_totals, strict=True))["physical-attack"] == 1
    assert table.total == 3
    both_multi = aggregate(scope_a, unit="incidents", rows="gender", columns="sector")
    assert both_multi.total == 3
    totals = dict(zip(both_multi.rows.keys, both_multi.row_totals, strict=True))
    assert (totals["woman"], totals["man"], totals[NOT_RECORDED]) == (2, 1, 1)


def test_the_same_dimension_twice_is_refused(scope_a: Any) -> None:
    with pytest.raises(ValueError, match="two different"):
        aggregate(scope_a, unit="incidents", rows="year", columns="year")


@pytest.mark.parametrize(
    ("filters", "unit", "total"),
    [
        (Filters(countries=("CO",)), "incidents", 1),
        (Filters(regions=("africa",)), "incidents", 1),
        (Filters(violations=("legal-action",)), "incidents", 1),
        (Filters(violations=("legal-action",)), "acts", 1),
        (Filters(violations=("physical-attack",)), "acts", 2),
        (Filters(violations=("physical-attack",)), "victims", 1),
        (Filters(perpetrator_types=("state-actors",)), "incidents", 2),
        (Filters(genders=("woman",)), "incidents", 2),
        (Filters(genders=("woman",)), "victims", 2),
        (Filters(genders=(NOT_RECORDED,)), "victims", 1),
        (Filters(genders=("man",)), "acts", 1),
        (Filters(sectors=("journalism-expression",)), "incidents", 1),
        (Filters(sectors=("journalism-expression",)), "victims", 1),
        (Filters(victim_statuses=("detained",)), "incidents", 1),
        (Filters(source_reliabilities=("uncertain",)), "incidents", 1),
        (Filters(date_from=date(2024, 1, 1)), "incidents", 2),
        (Filters(date_to=date(2023, 12, 31)), "victims", 2),
        (Filters(countries=("CO",), genders=("man",)), "victims", 1),
        (Filters(countries=("FR",)), "incidents", 0),
    ],
)
def test_filters(scope_a: Any, filters: Filters, unit: str, total: int) -> None:
    assert aggregate(scope_a, unit=unit, rows="year", filters=filters).total == total


def test_nothing_matches_gives_an_empty_table(scope_a: Any) -> None:
    table = aggregate(scope_a, unit="incidents", rows="country", filters=Filters(countries=("FR",)))
    assert table.total == 0 and table.rows.keys == ()


def test_an_organisation_never_counts_another_s_rows_unless_it_opted_in(cast: Any, network: dict[str, Any]) -> None:
    viewer_a = cast.membership("a_viewer")
    assert aggregate(scope_for(viewer_a), unit="incidents", rows="year").total == 3
    assert aggregate(scope_for(viewer_a, network=True), unit="incidents", rows="year").total == 3
    do_set_aggregate_sharing(cast.membership("b_admin"), opted_in=True)
    assert aggregate(scope_for(viewer_a), unit="incidents", rows="year").total == 3
    network_scope = scope_for(viewer_a, network=True)
    assert network_scope.network
    assert aggregate(network_scope, unit="incidents", rows="year").total == 4
    do_set_aggregate_sharing(cast.membership("b_admin"), opted_in=False)
    assert aggregate(scope_for(viewer_a, network=True), unit="incidents", rows="year").total == 3
    # B's own view never includes A, which did not opt in.
    assert aggregate(scope_for(cast.membership("b_viewer"), network=True), unit="incidents", rows="year").total == 1


def test_sharing_is_for_admins_and_audited(cast: Any, network: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        do_set_aggregate_sharing(cast.membership("a_coordinator"), opted_in=True)
    do_set_aggregate_sharing(cast.membership("a_admin"), opted_in=True)
    entry = AuditEntry.objects.filter(action="analytics.sharing_changed").get()
    assert entry.changes["opted_in"] == {"old": False, "new": True}


def test_members_count_every_incident_of_their_organisation(cast: Any, network: dict[str, Any]) -> None:
    # The caseworker is not on case A's team, yet counts its incidents: counts are de-identified.
    table = aggregate(scope_for(cast.membership("a_caseworker_other")), unit="incidents", rows="year")
    assert table.total == 3


def test_compare_two_periods(scope_a: Any) -> None:
    table = compare(
        scope_a,
        unit="incidents",
        rows="country",
        period_a=Period(date(2023, 1, 1), date(2023, 12, 31)),
        period_b=Period(date(2024, 1, 1), date(2024, 12, 31)),
    )
    assert table.columns.keys == ("a", "b", "change")
    rows = {key: line for key, line in zip(table.rows.keys, table.counts, strict=True)}
    assert rows == {"CO": (1, 0, -1), "KE": (0, 1, 1), NOT_RECORDED: (0, 1, 1)}
    assert table.column_totals == (1, 2, 1)
    assert table.total == 3


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    unit=st.sampled_from(["incidents", "victims", "acts"]),
    pair=st.lists(st.sampled_from(sorted(DIMENSIONS)), min_size=2, max_size=2, unique=True),
    depth=st.sampled_from([0, 1]),
)
def test_every_cross_tab_keeps_its_totals_consistent(scope_a: Any, unit: str, pair: list[str], depth: int) -> None:
    """Totals are distinct counts: never more than the cells they sum, equal to that sum along a
    single-valued dimension, and never less than any one cell."""
    table = aggregate(scope_a, unit=unit, rows=pair[0], columns=pair[1], depth=depth)
    assert table.total == {"incidents": 3, "victims": 4, "acts": 5}[unit]
    for r, line in enumerate(table.counts):
        assert max(line, default=0) <= table.row_totals[r] <= sum(line)
        if not table.columns.multi_valued:
            assert table.row_totals[r] == sum(line)
    for c, column in enumerate(zip(*table.counts, strict=True)):
        assert max(column, default=0) <= table.column_totals[c] <= sum(column)
        if not table.rows.multi_valued:
            assert table.column_totals[c] == sum(column)
    assert max(table.row_totals, default=0) <= table.total <= sum(table.row_totals)
    if not table.rows.multi_valued:
        assert table.total == sum(table.row_totals)
