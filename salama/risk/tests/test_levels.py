"""The level rule of salama.risk.levels, as declared in docs/risk.md: examples, then properties."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from salama.risk.levels import (
    CRITICAL,
    HIGH,
    LEVEL_CODES,
    LOW,
    MODERATE,
    CapacityScore,
    ThreatScore,
    VulnerabilityScore,
    assess,
    trend,
)

scores = st.integers(min_value=1, max_value=5)
statuses = st.sampled_from(["open", "monitoring", "closed"])
threats = st.lists(st.builds(ThreatScore, scores, scores, statuses), max_size=6)
open_threats = st.builds(ThreatScore, scores, scores, st.sampled_from(["open", "monitoring"]))


@st.composite
def assessments(draw):  # type: ignore[no-untyped-def]
    vulnerabilities = [VulnerabilityScore(key, draw(scores)) for key in range(draw(st.integers(0, 6)))]
    keys = st.sampled_from([None, *range(len(vulnerabilities))])
    capacities = draw(st.lists(st.builds(CapacityScore, scores, keys), max_size=6))
    return draw(threats), vulnerabilities, capacities


def rank(code: str) -> int:
    return LEVEL_CODES.index(code)


def test_threat_bands():
    assert assess([ThreatScore(2, 2)]).code == LOW
    assert assess([ThreatScore(1, 5)]).code == MODERATE
    assert assess([ThreatScore(2, 5)]).code == HIGH
    assert assess([ThreatScore(4, 4)]).code == CRITICAL


def test_closed_threats_do_not_count():
    level = assess([ThreatScore(5, 5, "closed")], [VulnerabilityScore(1, 5)] * 3)
    assert level.code == LOW
    assert "closed threats do not count" in level.explanation[0]


def test_unoffset_vulnerabilities_raise_and_offsets_take_it_back():
    threat = [ThreatScore(2, 3)]  # 6: moderate
    weak = [VulnerabilityScore("phone", 5), VulnerabilityScore("office", 4), VulnerabilityScore("routes", 3)]
    assert assess(threat, weak).code == CRITICAL  # 12 unoffset: two steps up
    offset = [CapacityScore(5, "phone"), CapacityScore(4, "office")]
    level = assess(threat, weak, offset)
    assert level.code == MODERATE  # 3 left unoffset: no step
    assert level.exposure == 3
    assert "3 vulnerabilities, 2 offset by a capacity" in level.explanation[1]


def test_general_capacities_lower_one_step():
    threat = [ThreatScore(4, 5)]
    level = assess(threat, [], [CapacityScore(3), CapacityScore(3)])
    assert level.code == HIGH
    assert level.general_capacity == 6
    assert "one step down" in level.explanation[2]


def test_the_explanation_names_the_highest_threat():
    level = assess([ThreatScore(4, 5), ThreatScore(1, 1), ThreatScore(5, 5, "closed")])
    assert "The highest scores 20 of 25 (likelihood 4, impact 5)" in level.explanation[0]
    assert "2 threats count. 1 closed threat does not." in level.explanation[0]
    assert level.explanation[-1].endswith("the level is Critical.")


def test_trend():
    assert trend(HIGH, None) == "first"
    assert trend(HIGH, MODERATE) == "higher"
    assert trend(LOW, MODERATE) == "lower"
    assert trend(LOW, LOW) == "same"


@given(assessments())
def test_every_level_is_explained(case):  # type: ignore[no-untyped-def]
    level = assess(*case)
    assert level.code in LEVEL_CODES
    assert level.explanation and all(line.strip() for line in level.explanation)


@given(assessments())
def test_no_counting_threat_means_the_lowest_level(case):  # type: ignore[no-untyped-def]
    _threats, vulnerabilities, capacities = case
    closed = [ThreatScore(t.likelihood, t.impact, "closed") for t in _threats]
    assert assess(closed, vulnerabilities, capacities).code == LOW


@given(assessments(), open_threats)
def test_adding_an_open_threat_never_lowers(case, threat):  # type: ignore[no-untyped-def]
    found, vulnerabilities, capacities = case
    assert rank(assess([*found, threat], vulnerabilities, capacities).code) >= rank(assess(*case).code)


@given(assessments(), scores)
def test_adding_a_vulnerability_never_lowers(case, severity):  # type: ignore[no-untyped-def]
    found, vulnerabilities, capacities = case
    more = [*vulnerabilities, VulnerabilityScore("new", severity)]
    assert rank(assess(found, more, capacities).code) >= rank(assess(*case).code)


@given(assessments(), scores, st.data())
def test_adding_a_capacity_never_raises(case, strength, data):  # type: ignore[no-untyped-def]
    found, vulnerabilities, capacities = case
    offsets = data.draw(st.sampled_from([None, *(v.key for v in vulnerabilities)]))
    more = [*capacities, CapacityScore(strength, offsets)]
    assert rank(assess(found, vulnerabilities, more).code) <= rank(assess(*case).code)


@given(assessments())
def test_closing_a_threat_never_raises(case):  # type: ignore[no-untyped-def]
    found, vulnerabilities, capacities = case
    for index in range(len(found)):
        closed = [
            *found[:index],
            ThreatScore(found[index].likelihood, found[index].impact, "closed"),
            *found[index + 1 :],
        ]
        assert rank(assess(closed, vulnerabilities, capacities).code) <= rank(assess(*case).code)


@given(assessments())
def test_the_level_stays_within_one_step_down_and_two_up_of_the_threat_band(case):  # type: ignore[no-untyped-def]
    level = assess(*case)
    counting = [t for t in case[0] if t.status != "closed"]
    if counting:
        top = max(t.likelihood * t.impact for t in counting)
        start = rank(CRITICAL if top >= 16 else HIGH if top >= 10 else MODERATE if top >= 5 else LOW)
        assert start - 1 <= rank(level.code) <= start + 2
