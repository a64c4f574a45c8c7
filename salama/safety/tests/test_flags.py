"""Escalation flags: the rules on generated series (they fire on planted patterns and stay quiet
on steady ones), their explanations, and reading a member's incidents set-wise."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salama.cases.actions import do_add_team_member, do_open_case
from salama.defenders.actions import do_create_defender
from salama.incidents.actions import do_record_incident
from salama.safety.flags import (
    ATTACK,
    GROWING_FREQUENCY,
    HISTORY_WINDOWS,
    OTHER,
    THREAT,
    THREATS_TO_ATTACKS,
    VIOLATION_CATEGORIES,
    WINDOW_DAYS,
    IncidentFact,
    category_of,
    escalation_flags,
    growing_frequency,
    incident_facts,
    threats_to_attacks,
)
from salama.vocab.actions import load_default_vocabularies
from salama.vocab.defaults import read_defaults
from salama.vocab.models import Term

TODAY = date(2026, 11, 25)
_ids = count()


def fact(days_ago: int, category: str = THREAT) -> IncidentFact:
    return IncidentFact(pk=next(_ids), case_id=1, on=TODAY - timedelta(days=days_ago), category=category)


def window_offsets(window: int) -> st.SearchStrategy[int]:
    """Days ago of a date inside 90-day window number `window` (0 = the recent one)."""
    return st.integers(min_value=window * WINDOW_DAYS, max_value=(window + 1) * WINDOW_DAYS - 1)


def steady_series(per_window: int) -> st.SearchStrategy[list[IncidentFact]]:
    """The same number of incidents in each of the five windows, at random days within each."""
    windows = [st.lists(window_offsets(w), min_size=per_window, max_size=per_window) for w in range(5)]
    return st.tuples(*windows).map(lambda days: [fact(d, OTHER) for window in days for d in window])


# -- the violation mapping --------------------------------------------------------------------


def test_every_mapped_code_is_a_violation_term_in_the_default_vocabulary():
    shipped = next(spec for spec in read_defaults() if spec.code == "violation-types")
    codes = {term.code for term in shipped.terms}
    assert set(VIOLATION_CATEGORIES) <= codes
    assert set(VIOLATION_CATEGORIES.values()) <= {THREAT, ATTACK}


@pytest.mark.parametrize(
    ("path", "category"),
    [
        ("/killing/", ATTACK),
        ("/physical-attack/attempted-killing/", ATTACK),  # inherited from the broader term
        ("/sexual-violence/", ATTACK),
        ("/sexual-violence/sexual-harassment/", THREAT),  # listed itself: overrides the parent
        ("/digital-attacks/spyware/", THREAT),
        ("/death-threats/", THREAT),
        ("/legal-action/criminal-charges/", OTHER),
        ("/unknown/", OTHER),
    ],
)
def test_category_of_a_violation_path(path, category):
    assert category_of(path) == category


# -- threats to attacks -----------------------------------------------------------------------


@given(
    threats=st.lists(st.integers(min_value=1, max_value=300), min_size=1, max_size=8),
    attack=st.integers(min_value=0, max_value=WINDOW_DAYS - 1),
)
def test_an_attack_after_threats_only_is_flagged(threats, attack):
    facts = [fact(attack + gap, THREAT) for gap in threats] + [fact(attack, ATTACK)]
    flag = threats_to_attacks(facts, TODAY)
    assert flag is not None and flag.kind == THREATS_TO_ATTACKS
    threats_said = "1 threat-type incident and" if len(threats) == 1 else f"{len(threats)} threat-type incidents and"
    assert f"after {threats_said} no attack in the 365 days before it" in flag.explanation
    assert (TODAY - timedelta(days=attack)).isoformat() in flag.explanation
    assert {f.pk for f in flag.incidents} == {f.pk for f in facts}


@given(
    threats=st.lists(st.integers(min_value=0, max_value=400), max_size=8),
    earlier_attack=st.integers(min_value=WINDOW_DAYS, max_value=WINDOW_DAYS + 270),
    attack=st.integers(min_value=0, max_value=WINDOW_DAYS - 1),
)
def test_a_defender_attacked_before_is_not_flagged_as_moving_to_attacks(threats, earlier_attack, attack):
    # The earlier attack is before the recent window and within a year of every recent one.
    facts = [fact(d, THREAT) for d in threats] + [fact(earlier_attack, ATTACK), fact(attack, ATTACK)]
    assert threats_to_attacks(facts, TODAY) is None


@given(threats=st.lists(st.integers(min_value=0, max_value=449), max_size=12))
def test_threats_alone_are_not_flagged_as_attacks(threats):
    assert threats_to_attacks([fact(d, THREAT) for d in threats], TODAY) is None


def test_an_attack_outside_the_window_or_with_no_threats_before_is_not_flagged():
    assert threats_to_attacks([fact(200, THREAT), fact(WINDOW_DAYS, ATTACK)], TODAY) is None
    assert threats_to_attacks([fact(10, ATTACK), fact(5, THREAT)], TODAY) is None  # threats after, not before
    assert threats_to_attacks([fact(10, ATTACK), fact(10 + 366, THREAT)], TODAY) is None  # threats too long ago
    assert threats_to_attacks([fact(-5, ATTACK), fact(30, THREAT)], TODAY) is None  # a date in the future


# -- growing frequency ------------------------------------------------------------------------


@settings(max_examples=60)
@given(series=st.integers(min_value=0, max_value=8).flatmap(steady_series))
def test_a_steady_rate_is_never_flagged(series):
    assert growing_frequency(series, TODAY) is None


@given(
    earlier=st.lists(st.integers(min_value=WINDOW_DAYS, max_value=WINDOW_DAYS * 5 - 1), max_size=12),
    extra=st.integers(min_value=0, max_value=5),
    data=st.data(),
)
def test_a_recent_burst_of_at_least_double_the_earlier_rate_is_flagged(earlier, extra, data):
    # Double the earlier average, rounded up, and never fewer than three.
    needed = max(3, -(-2 * len(earlier) // HISTORY_WINDOWS)) + extra
    recent = data.draw(st.lists(window_offsets(0), min_size=needed, max_size=needed))
    flag = growing_frequency([fact(d, OTHER) for d in earlier + recent], TODAY)
    assert flag is not None and flag.kind == GROWING_FREQUENCY
    assert f"{needed} incidents in the last {WINDOW_DAYS} days" in flag.explanation
    assert f"against {len(earlier)} in the {WINDOW_DAYS * HISTORY_WINDOWS} days before" in flag.explanation
    assert f"{len(earlier) / HISTORY_WINDOWS:.1f} per {WINDOW_DAYS} days" in flag.explanation
    assert len(flag.incidents) == needed


@given(recent=st.lists(window_offsets(0), max_size=2), earlier=st.lists(window_offsets(2), max_size=3))
def test_one_or_two_recent_incidents_are_never_a_growing_frequency(recent, earlier):
    assert growing_frequency([fact(d) for d in recent + earlier], TODAY) is None


def test_growth_below_double_is_not_flagged():
    earlier = [fact(WINDOW_DAYS + d) for d in range(0, 360, 45)]  # 8 in a year: 2 per window
    assert growing_frequency(earlier + [fact(d) for d in (1, 2, 3)], TODAY) is None  # 3 < 4
    flag = growing_frequency(earlier + [fact(d) for d in (1, 2, 3, 4)], TODAY)
    assert flag is not None and "4 incidents" in flag.explanation and "against 8" in flag.explanation


def test_both_flags_at_once_newest_incidents_first():
    facts = [fact(200, THREAT), fact(30, ATTACK), fact(20, THREAT), fact(10, ATTACK)]
    flags = escalation_flags(facts, TODAY)
    assert [flag.kind for flag in flags] == [THREATS_TO_ATTACKS, GROWING_FREQUENCY]
    assert "2 attack-type incidents" in flags[0].explanation and "after 1 threat-type" in flags[0].explanation
    assert [f.on for f in flags[1].incidents] == sorted((f.on for f in facts[1:]), reverse=True)


# -- reading the incidents --------------------------------------------------------------------


def violation(code: str) -> Term:
    return Term.objects.get(vocabulary__code="violation-types", code=code)


@pytest.fixture
def world(cast: Any) -> dict[str, Any]:
    load_default_vocabularies()
    admin = cast.membership("a_admin")
    ana = do_create_defender(admin, public_name="Ana")
    ben = do_create_defender(admin, public_name="Ben")
    carla = do_create_defender(admin, public_name="Carla")
    shared = do_open_case(admin, title="Shared case", defenders=[ana, ben])
    do_add_team_member(admin, shared, cast.a_caseworker_team)
    other = do_open_case(admin, title="Other case", defenders=[carla])
    return {"admin": admin, "ana": ana, "ben": ben, "carla": carla, "shared": shared, "other": other}


def record(world: dict[str, Any], case: Any, code: str, days_ago: int, victim: Any = None) -> Any:
    return do_record_incident(
        world["admin"],
        case,
        title=f"{code} {days_ago}",
        date_start=TODAY - timedelta(days=days_ago),
        acts=[{"violation": violation(code), "victim": 0 if victim else None}],
        victims=[{"defender": victim}] if victim else [],
    )


def test_incidents_are_the_named_victims_or_else_every_defender_of_the_case(cast, world):
    named = record(world, world["shared"], "death-threats", 30, victim=world["ana"])
    unnamed = record(world, world["shared"], "physical-attack", 10)
    record(world, world["other"], "killing", 5)
    record(world, world["other"], "killing", 700)  # older than any rule looks
    facts = incident_facts(world["admin"], TODAY)
    assert {f.pk for f in facts[world["ana"].pk]} == {named.pk, unnamed.pk}
    assert {f.pk for f in facts[world["ben"].pk]} == {unnamed.pk}
    assert [f.category for f in facts[world["carla"].pk]] == [ATTACK]


def test_the_gravest_act_decides_and_other_vocabularies_count_as_other(cast, world):
    both = do_record_incident(
        world["admin"],
        world["shared"],
        title="Threat then beating",
        date_start=TODAY,
        acts=[{"violation": violation("death-threats")}, {"violation": violation("physical-attack")}],
    )
    facts = incident_facts(world["admin"], TODAY)
    assert [(f.pk, f.category) for f in facts[world["ana"].pk]] == [(both.pk, ATTACK)]


def test_a_caseworker_reads_only_incidents_of_cases_on_their_team(cast, world):
    record(world, world["shared"], "death-threats", 30, victim=world["ana"])
    record(world, world["other"], "killing", 5, victim=world["ana"])  # Ana, on a case not theirs
    facts = incident_facts(cast.membership("a_caseworker_team"), TODAY)
    assert set(facts) == {world["ana"].pk}
    assert [f.category for f in facts[world["ana"].pk]] == [THREAT]
    assert incident_facts(cast.membership("a_caseworker_other"), TODAY) == {}
    assert incident_facts(cast.membership("b_admin"), TODAY) == {}


def test_reading_takes_the_same_few_queries_for_many_defenders(cast, world, django_assert_max_num_queries):
    for number in range(12):
        defender = do_create_defender(world["admin"], public_name=f"D{number}")
        case = do_open_case(world["admin"], title=f"Case {number}", defenders=[defender])
        record(world, case, "surveillance", number * 7, victim=defender)
        record(world, case, "abduction", number)
    with django_assert_max_num_queries(4):
        facts = incident_facts(world["admin"], TODAY)
    assert len(facts) == 12
