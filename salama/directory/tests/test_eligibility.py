"""Eligibility rules on generated facts: for each rule type, a fact that satisfies it passes, one
that breaks it fails, and a missing fact is unknown ("to check"), each with a sentence naming the
criterion; then the five examples of the issue."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salama.directory.eligibility import (
    FAILED,
    PASSED,
    RULE_TYPES,
    UNKNOWN,
    WOMEN_AND_TRANS,
    CaseFacts,
    evaluate,
    validate_rules,
)
from salama.directory.regions import REGION_NAMES, REGION_OF_COUNTRY, region_of

ACTOR = "Some fund"
COUNTRIES = sorted(REGION_OF_COUNTRY)
SECTORS = ["land-environment", "journalism-expression", "academic-freedom", "womens-rights", "labour-rights"]
GENDERS = ["woman", "man", "non_binary", "trans_woman", "trans_man", "other", "unknown", "not_applicable"]

countries = st.sampled_from(COUNTRIES)
maybe_bool = st.one_of(st.none(), st.booleans())


@st.composite
def facts(draw: st.DrawFn) -> CaseFacts:
    """Any case: every fact present or missing."""
    country = draw(st.one_of(st.none(), countries))
    return CaseFacts(
        country=country,
        region=region_of(country),
        sectors=draw(st.one_of(st.none(), st.frozensets(st.sampled_from(SECTORS), min_size=1))),
        genders=draw(st.one_of(st.none(), st.frozensets(st.sampled_from(GENDERS), min_size=1))),
        women_or_trans_led=draw(maybe_bool),
        amount=draw(st.one_of(st.none(), st.decimals(min_value=0, max_value=100_000, places=2))),
        currency=draw(st.one_of(st.none(), st.sampled_from(["USD", "EUR", "COP"]))),
        in_exile=draw(maybe_bool),
        emergency=draw(maybe_bool),
        family_to_accompany=draw(maybe_bool),
        will_return=draw(maybe_bool),
        harm_serious_urgent_irreparable=draw(maybe_bool),
        duration_months=draw(st.one_of(st.none(), st.integers(min_value=1, max_value=60))),
        domestic_remedies_tried=draw(maybe_bool),
    )


def outcome(rule: dict, case: CaseFacts) -> str:  # type: ignore[type-arg]
    return evaluate(rule, case, ACTOR).outcome


@given(facts())
def test_every_rule_answers_with_a_sentence_naming_the_actor(case: CaseFacts) -> None:
    rules = [
        {"rule": "region_in", "regions": ["americas"]},
        {"rule": "country_in", "countries": ["CO"]},
        {"rule": "country_not_in", "countries": ["FR"]},
        {"rule": "sector_in", "sectors": ["journalism-expression"]},
        {"rule": "gender_in", "genders": ["woman"]},
        {"rule": "amount_at_most", "amount": 8000, "currency": "USD"},
        {"rule": "duration_at_most_months", "months": 3},
        *({"rule": code} for code, rule in RULE_TYPES.items() if not rule.params),
    ]
    assert {rule["rule"] for rule in rules} == set(RULE_TYPES)
    for rule in rules:
        result = evaluate(rule, case, ACTOR)
        assert result.outcome in {PASSED, FAILED, UNKNOWN}
        assert result.sentence.startswith(f"{ACTOR}: ")
        if result.outcome == UNKNOWN:
            assert "to check" in result.sentence


# Region, country ------------------------------------------------------------------------------


@given(countries, st.sampled_from(sorted(set(REGION_OF_COUNTRY.values()))))
def test_region_in(country: str, region: str) -> None:
    rule = {"rule": "region_in", "regions": [region]}
    expected = PASSED if REGION_OF_COUNTRY[country] == region else FAILED
    assert outcome(rule, CaseFacts(country=country, region=region_of(country))) == expected
    assert outcome(rule, CaseFacts()) == UNKNOWN


@given(countries, st.lists(countries, min_size=1, max_size=5))
def test_country_in_and_not_in(country: str, listed: list[str]) -> None:
    case = CaseFacts(country=country, region=region_of(country))
    inside = country in listed
    assert outcome({"rule": "country_in", "countries": listed}, case) == (PASSED if inside else FAILED)
    assert outcome({"rule": "country_not_in", "countries": listed}, case) == (FAILED if inside else PASSED)
    assert outcome({"rule": "country_in", "countries": listed}, CaseFacts()) == UNKNOWN
    assert outcome({"rule": "country_not_in", "countries": listed}, CaseFacts()) == UNKNOWN


# Sector, gender -------------------------------------------------------------------------------


@given(st.frozensets(st.sampled_from(SECTORS), min_size=1), st.sampled_from(SECTORS))
def test_sector_in(sectors: frozenset[str], served: str) -> None:
    rule = {"rule": "sector_in", "sectors": [served]}
    assert outcome(rule, CaseFacts(sectors=sectors)) == (PASSED if served in sectors else FAILED)
    assert outcome(rule, CaseFacts(sectors=None)) == UNKNOWN


@given(st.frozensets(st.sampled_from(GENDERS), min_size=1))
def test_gender_in(genders: frozenset[str]) -> None:
    rule = {"rule": "gender_in", "genders": ["woman", "trans_woman"]}
    known = genders - {"other", "unknown", "not_applicable"}
    expected = UNKNOWN if not known else PASSED if known & {"woman", "trans_woman"} else FAILED
    assert outcome(rule, CaseFacts(genders=genders)) == expected


@given(st.frozensets(st.sampled_from(GENDERS), min_size=1), maybe_bool)
def test_women_or_trans_led(genders: frozenset[str], led: bool | None) -> None:
    rule = {"rule": "women_or_trans_led"}
    result = outcome(rule, CaseFacts(genders=genders, women_or_trans_led=led))
    if led or genders & WOMEN_AND_TRANS:
        assert result == PASSED
    elif led is False or genders & {"man"}:
        assert result == FAILED
    else:
        assert result == UNKNOWN
    assert outcome(rule, CaseFacts()) == UNKNOWN


# Yes/no facts ---------------------------------------------------------------------------------

YES_NO_RULES = [
    # rule, fact, the value that passes
    ("not_in_exile", "in_exile", False),
    ("not_emergency", "emergency", False),
    ("no_family", "family_to_accompany", False),
    ("will_return", "will_return", True),
    ("harm_serious_urgent_irreparable", "harm_serious_urgent_irreparable", True),
    ("domestic_remedies_tried", "domestic_remedies_tried", True),
]


@pytest.mark.parametrize(("rule", "fact", "passing"), YES_NO_RULES)
@given(case=facts())
def test_yes_no_rules(rule: str, fact: str, passing: bool, case: CaseFacts) -> None:
    assert outcome({"rule": rule}, replace(case, **{fact: passing})) == PASSED
    assert outcome({"rule": rule}, replace(case, **{fact: not passing})) == FAILED
    assert outcome({"rule": rule}, replace(case, **{fact: None})) == UNKNOWN


# Amounts and durations ------------------------------------------------------------------------


@given(st.decimals(min_value=0, max_value=50_000, places=2), st.integers(min_value=1, max_value=20_000))
def test_amount_at_most_in_the_same_currency(amount: Decimal, cap: int) -> None:
    rule = {"rule": "amount_at_most", "amount": cap, "currency": "USD"}
    assert outcome(rule, CaseFacts(amount=amount, currency="USD")) == (PASSED if amount <= cap else FAILED)
    assert outcome(rule, CaseFacts(amount=None)) == UNKNOWN


@given(st.decimals(min_value=0, max_value=50_000, places=2), st.sampled_from(["EUR", "COP", None]))
def test_an_amount_in_another_currency_is_to_check_never_converted(amount: Decimal, currency: str | None) -> None:
    result = evaluate(
        {"rule": "amount_at_most", "amount": 8000, "currency": "USD"},
        CaseFacts(amount=amount, currency=currency),
        ACTOR,
    )
    assert result.outcome == UNKNOWN
    assert "to check" in result.sentence


@given(st.integers(min_value=1, max_value=60), st.integers(min_value=1, max_value=36))
def test_duration_at_most_months(needed: int, cap: int) -> None:
    rule = {"rule": "duration_at_most_months", "months": cap}
    assert outcome(rule, CaseFacts(duration_months=needed)) == (PASSED if needed <= cap else FAILED)
    assert outcome(rule, CaseFacts()) == UNKNOWN


# The five examples of the issue ---------------------------------------------------------------

UAF = [{"rule": "women_or_trans_led"}, {"rule": "amount_at_most", "amount": 8000, "currency": "USD"}]
SHELTER_CITY = [
    {"rule": "duration_at_most_months", "months": 3},
    {"rule": "will_return"},
    {"rule": "no_family"},
]
ICORN = [
    {"rule": "sector_in", "sectors": ["journalism-expression"]},
    {"rule": "duration_at_most_months", "months": 24},
    {"rule": "not_emergency"},
]
FLD = [{"rule": "amount_at_most", "amount": 7500, "currency": "EUR"}, {"rule": "not_in_exile"}]
IACHR = [{"rule": "region_in", "regions": ["americas"]}, {"rule": "harm_serious_urgent_irreparable"}]


def outcomes(rules: list[dict], case: CaseFacts, name: str = ACTOR) -> list[str]:  # type: ignore[type-arg]
    return [evaluate(rule, case, name).outcome for rule in rules]


def test_urgent_action_fund_example() -> None:
    woman = CaseFacts(genders=frozenset({"woman"}), amount=Decimal(5000), currency="USD")
    assert outcomes(UAF, woman) == [PASSED, PASSED]
    man = CaseFacts(genders=frozenset({"man"}), amount=Decimal(9000), currency="USD")
    results = [evaluate(rule, man, "Urgent Action Fund") for rule in UAF]
    assert [r.outcome for r in results] == [FAILED, FAILED]
    assert results[0].sentence == (
        "Urgent Action Fund: grants go to women, trans and non-binary defenders and to groups they lead; "
        "this case's defender is recorded as a man."
    )
    led = CaseFacts(genders=frozenset({"man"}), women_or_trans_led=True)
    assert outcomes(UAF[:1], led) == [PASSED]


def test_shelter_city_example() -> None:
    fits = CaseFacts(duration_months=3, will_return=True, family_to_accompany=False)
    assert outcomes(SHELTER_CITY, fits) == [PASSED, PASSED, PASSED]
    family = CaseFacts(duration_months=6, will_return=False, family_to_accompany=True)
    assert outcomes(SHELTER_CITY, family) == [FAILED, FAILED, FAILED]
    assert outcomes(SHELTER_CITY, CaseFacts()) == [UNKNOWN, UNKNOWN, UNKNOWN]


def test_icorn_example() -> None:
    writer = CaseFacts(sectors=frozenset({"journalism-expression"}), duration_months=24, emergency=False)
    assert outcomes(ICORN, writer) == [PASSED, PASSED, PASSED]
    lawyer_in_danger = CaseFacts(sectors=frozenset({"lawyers-justice"}), emergency=True)
    assert outcomes(ICORN, lawyer_in_danger) == [FAILED, UNKNOWN, FAILED]


def test_front_line_defenders_example() -> None:
    assert outcomes(FLD, CaseFacts(amount=Decimal(7500), currency="EUR", in_exile=False)) == [PASSED, PASSED]
    assert outcomes(FLD, CaseFacts(amount=Decimal("7500.01"), currency="EUR", in_exile=True)) == [FAILED, FAILED]


def test_iachr_example() -> None:
    colombia = CaseFacts(country="CO", region=region_of("CO"), harm_serious_urgent_irreparable=True)
    assert outcomes(IACHR, colombia) == [PASSED, PASSED]
    kenya = CaseFacts(country="KE", region=region_of("KE"), harm_serious_urgent_irreparable=None)
    assert outcomes(IACHR, kenya) == [FAILED, UNKNOWN]


# Validating rules -----------------------------------------------------------------------------


def test_valid_rules_pass_validation() -> None:
    assert validate_rules(UAF + SHELTER_CITY + ICORN + FLD + IACHR) == []
    assert validate_rules([{"rule": "not_in_exile", "note": "As published."}]) == []


@pytest.mark.parametrize(
    ("rules", "says"),
    [
        ({"rule": "not_in_exile"}, "must be a list"),
        (["not_in_exile"], "is not an object"),
        ([{"rule": "no_weekends"}], "'no_weekends' is not a known rule type"),
        ([{"rule": "amount_at_most", "amount": 8000}], "'currency' is missing or not valid"),
        ([{"rule": "amount_at_most", "amount": -1, "currency": "USD"}], "'amount' is missing or not valid"),
        ([{"rule": "region_in", "regions": ["atlantis"]}], "'regions' is missing or not valid"),
        ([{"rule": "country_in", "countries": ["colombia"]}], "'countries' is missing or not valid"),
        ([{"rule": "not_in_exile", "strict": True}], "unknown keys strict"),
    ],
)
def test_invalid_rules_are_refused_with_the_reason(rules: object, says: str) -> None:
    problems = validate_rules(rules)
    assert problems
    assert any(says in problem for problem in problems), problems


def test_region_names_cover_every_region_a_country_maps_to() -> None:
    assert set(REGION_OF_COUNTRY.values()) <= set(REGION_NAMES)
