"""Eligibility rules as data, and how they are checked against the facts of a case.

An actor's `eligibility` is a list of rules such as `{"rule": "amount_at_most", "amount": 8000,
"currency": "USD"}`. The vocabulary of rule types is `RULE_TYPES`; each declares its parameters,
how it reads (the criterion) and how it is checked. A check answers passed, failed or unknown
(a fact it needs is missing), always with a translated sentence saying which criterion and why:
an unknown is shown as "to check", never hidden, and a failure is shown, never dropped.

Amounts are compared only in the same currency: Salama keeps no exchange rates, so a request in
another currency than the cap's is unknown, with a sentence asking to convert and check.

Pure: no database and no model imports, so the rules can be checked on generated facts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .regions import REGION_NAMES, region_name

PASSED = "passed"
FAILED = "failed"
UNKNOWN = "unknown"

# The genders of salama.defenders.models.Defender.Gender, as words in a sentence.
GENDER_WORDS = {
    "woman": gettext_lazy("a woman"),
    "man": gettext_lazy("a man"),
    "non_binary": gettext_lazy("a non-binary person"),
    "trans_woman": gettext_lazy("a trans woman"),
    "trans_man": gettext_lazy("a trans man"),
    "other": gettext_lazy("another gender"),
    "unknown": gettext_lazy("not known"),
    "not_applicable": gettext_lazy("a collective"),
}
WOMEN_AND_TRANS = frozenset({"woman", "non_binary", "trans_woman", "trans_man"})
# Genders that tell nothing about a women- or trans-led requirement on their own.
UNDETERMINED_GENDERS = frozenset({"other", "unknown", "not_applicable"})

# Sector codes of the default `sectors` vocabulary, as they read in a sentence.
SECTOR_NAMES = {
    "land-environment": gettext_lazy("land and environmental defenders"),
    "indigenous-peoples": gettext_lazy("indigenous peoples' defenders"),
    "womens-rights": gettext_lazy("women's rights defenders"),
    "lgbtiq-rights": gettext_lazy("LGBTIQ+ rights defenders"),
    "journalism-expression": gettext_lazy("journalists, writers and artists"),
    "lawyers-justice": gettext_lazy("lawyers"),
    "labour-rights": gettext_lazy("labour rights defenders"),
    "academic-freedom": gettext_lazy("scholars and students"),
    "conflict-documentation": gettext_lazy("people documenting violations in conflict"),
    "protest-movements": gettext_lazy("protest movements"),
    "business-human-rights": gettext_lazy("business and human rights defenders"),
    "anti-corruption": gettext_lazy("anti-corruption activists"),
    "migrants-refugees": gettext_lazy("migrants' and refugees' rights defenders"),
    "minority-rights": gettext_lazy("minority rights defenders"),
    "other": gettext_lazy("other defenders"),
}


@dataclass(frozen=True)
class CaseFacts:
    """What the rules are checked against. None means not known (the rule is then unknown)."""

    country: str | None = None  # ISO 3166-1 alpha-2
    region: str | None = None  # a region code of salama.directory.regions
    sectors: frozenset[str] | None = None  # sector codes of the defenders; None or empty: not recorded
    genders: frozenset[str] | None = None  # genders of the defenders
    women_or_trans_led: bool | None = None  # the group or action is led by women or trans people
    needs: frozenset[str] = frozenset()
    amount: Decimal | None = None
    currency: str | None = None  # ISO 4217
    in_exile: bool | None = None
    emergency: bool | None = None
    family_to_accompany: bool | None = None
    will_return: bool | None = None
    harm_serious_urgent_irreparable: bool | None = None
    duration_months: int | None = None
    domestic_remedies_tried: bool | None = None


@dataclass(frozen=True)
class RuleResult:
    rule: str
    outcome: str  # PASSED, FAILED or UNKNOWN
    sentence: str  # "<actor>: <criterion>; <why>."


Check = Callable[[Mapping[str, Any], CaseFacts], tuple[str, str]]
Describe = Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class RuleType:
    code: str
    label: Any  # shown in the rule vocabulary on the edit page
    params: Mapping[str, Callable[[Any], bool]]  # parameter -> validator
    describe: Describe
    check: Check
    optional: frozenset[str] = field(default_factory=frozenset)


# Parameter validators ----------------------------------------------------------------------


def _codes(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, str) and item for item in value)


def _regions(value: Any) -> bool:
    return _codes(value) and all(item in REGION_NAMES for item in value)


def _countries(value: Any) -> bool:
    return _codes(value) and all(len(item) == 2 and item.isalpha() and item.isupper() for item in value)


def _genders(value: Any) -> bool:
    return _codes(value) and all(item in GENDER_WORDS for item in value)


def _positive_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _currency(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 3 and value.isalpha() and value.isupper()


# Helpers for sentences -----------------------------------------------------------------------


def _join(items: Iterable[Any]) -> str:
    return ", ".join(str(item) for item in items)


def _yes_no(value: bool | None, passed_when: bool, passed: str, failed: str, unknown: str) -> tuple[str, str]:
    if value is None:
        return UNKNOWN, unknown
    return (PASSED, passed) if value == passed_when else (FAILED, failed)


def _money(amount: Any, currency: str) -> str:
    return f"{currency} {Decimal(str(amount)):,.0f}"


# The checks ----------------------------------------------------------------------------------


def _check_region_in(rule: Mapping[str, Any], facts: CaseFacts) -> tuple[str, str]:
    if not facts.region:
        return UNKNOWN, _("the case's country, and so its region, is not recorded")
    if facts.region in rule["regions"]:
        return PASSED, _("the case is in %(region)s") % {"region": region_name(facts.region)}
    return FAILED, _("the case is in %(region)s") % {"region": region_name(facts.region)}


def _check_country_in(rule: Mapping[str, Any], facts: CaseFacts) -> tuple[str, str]:
    if not facts.country:
        return UNKNOWN, _("the case's country is not recorded")
    inside = facts.country in rule["countries"]
    return (PASSED if inside else FAILED), _("the case's country is %(country)s") % {"country": facts.country}


def _check_country_not_in(rule: Mapping[str, Any], facts: CaseFacts) -> tuple[str, str]:
    if not facts.country:
        return UNKNOWN, _("the case's country is not recorded")
    inside = facts.country in rule["countries"]
    return (FAILED if inside else PASSED), _("the case's country is %(country)s") % {"country": facts.country}


def _check_sector_in(rule: Mapping[str, Any], facts: CaseFacts) -> tuple[str, str]:
    if not facts.sectors:
        return UNKNOWN, _("no sector of work is recorded for the case's defenders")
    shared = sorted(facts.sectors & set(rule["sectors"]))
    if shared:
        return PASSED, _("the case's defenders include %(sectors)s") % {
            "sectors": _join(SECTOR_NAMES.get(code, code) for code in shared)
        }
    return FAILED, _("the case's defenders are recorded as %(sectors)s") % {
        "sectors": _join(SECTOR_NAMES.get(code, code) for code in sorted(facts.sectors))
    }


def _genders_sentence(genders: frozenset[str]) -> str:
    words = [str(GENDER_WORDS.get(code, code)) for code in sorted(genders)]
    if len(words) == 1:
        return _("this case's defender is recorded as %(gender)s") % {"gender": words[0]}
    return _("this case's defenders are recorded as %(genders)s") % {"genders": _join(words)}


def _check_gender_in(rule: Mapping[str, Any], facts: CaseFacts) -> tuple[str, str]:
    known = (facts.genders or frozenset()) - UNDETERMINED_GENDERS
    if not known:
        return UNKNOWN, _("the defenders' gender is not recorded")
    outcome = PASSED if known & set(rule["genders"]) else FAILED
    return outcome, _genders_sentence(known)


def _check_women_or_trans_led(rule: Mapping[str, Any], facts: CaseFacts) -> tuple[str, str]:
    genders = facts.genders or frozenset()
    if facts.women_or_trans_led:
        return PASSED, _("the caseworker says the group or action is led by women or trans people")
    if genders & WOMEN_AND_TRANS:
        return PASSED, _genders_sentence(genders & WOMEN_AND_TRANS)
    known = genders - UNDETERMINED_GENDERS
    if facts.women_or_trans_led is False and not (genders & WOMEN_AND_TRANS):
        return FAILED, _("the caseworker says the group or action is not led by women or trans people")
    if not known:
        return UNKNOWN, _("the defenders' gender is not recorded, nor who leads the group")
    return FAILED, _genders_sentence(known)


def _check_not_in_exile(rule: Mapping[str, Any], facts: CaseFacts) -> tuple[str, str]:
    return _yes_no(
        facts.in_exile,
        False,
        _("the defender is not in exile"),
        _("the defender is already in exile"),
        _("whether the defender is already in exile is not known"),
    )


def _check_amount_at_most(rule: Mapping[str, Any], facts: CaseFacts) -> tuple[str, str]:
    if facts.amount is None:
        return UNKNOWN, _("no amount is requested yet")
    requested = _money(facts.amount, facts.currency or "")
    if not facts.currency or facts.currency != rule["currency"]:
        return UNKNOWN, _("%(requested)s is requested in another currency: convert it and check") % {
            "requested": requested.strip()
        }
    cap = Decimal(str(rule["amount"]))
    outcome = PASSED if facts.amount <= cap else FAILED
    return outcome, _("%(requested)s is requested") % {"requested": requested}


def _check_not_emergency(rule: Mapping[str, Any], facts: CaseFacts) -> tuple[str, str]:
    return _yes_no(
        facts.emergency,
        False,
        _("the situation is not an emergency"),
        _("the situation is an emergency"),
        _("whether the situation is an emergency is not known"),
    )


def _check_no_family(rule: Mapping[str, Any], facts: CaseFacts) -> tuple[str, str]:
    return _yes_no(
        facts.family_to_accompany,
        False,
        _("no family member would come along"),
        _("family members would come along"),
        _("whether family members would come along is not known"),
    )


def _check_will_return(rule: Mapping[str, Any], facts: CaseFacts) -> tuple[str, str]:
    return _yes_no(
        facts.will_return,
        True,
        _("the defender means to return home afterwards"),
        _("the defender does not mean to return home afterwards"),
        _("whether the defender would return home afterwards is not known"),
    )


def _check_harm(rule: Mapping[str, Any], facts: CaseFacts) -> tuple[str, str]:
    return _yes_no(
        facts.harm_serious_urgent_irreparable,
        True,
        _("the harm feared is serious, urgent and irreparable"),
        _("the harm feared is not recorded as serious, urgent and irreparable"),
        _("whether the harm is serious, urgent and irreparable is not assessed"),
    )


def _check_duration(rule: Mapping[str, Any], facts: CaseFacts) -> tuple[str, str]:
    if facts.duration_months is None:
        return UNKNOWN, _("the time needed is not known")
    outcome = PASSED if facts.duration_months <= rule["months"] else FAILED
    return outcome, _("%(months)s months are needed") % {"months": facts.duration_months}


def _check_domestic_remedies(rule: Mapping[str, Any], facts: CaseFacts) -> tuple[str, str]:
    return _yes_no(
        facts.domestic_remedies_tried,
        True,
        _("domestic remedies were tried"),
        _("domestic remedies were not tried"),
        _("whether domestic remedies were tried is not known"),
    )


def _regions_text(rule: Mapping[str, Any]) -> str:
    return _join(region_name(code) for code in rule["regions"])


RULE_TYPES: dict[str, RuleType] = {
    rule.code: rule
    for rule in [
        RuleType(
            "region_in",
            gettext_lazy("Only in these regions"),
            {"regions": _regions},
            lambda r: _("works only in %(regions)s") % {"regions": _regions_text(r)},
            _check_region_in,
        ),
        RuleType(
            "country_in",
            gettext_lazy("Only in these countries"),
            {"countries": _countries},
            lambda r: _("covers only %(countries)s") % {"countries": _join(r["countries"])},
            _check_country_in,
        ),
        RuleType(
            "country_not_in",
            gettext_lazy("Not in these countries"),
            {"countries": _countries},
            lambda r: _("does not act in %(countries)s") % {"countries": _join(r["countries"])},
            _check_country_not_in,
        ),
        RuleType(
            "sector_in",
            gettext_lazy("Only for these sectors of work"),
            {"sectors": _codes},
            lambda r: (
                _("serves %(sectors)s") % {"sectors": _join(SECTOR_NAMES.get(code, code) for code in r["sectors"])}
            ),
            _check_sector_in,
        ),
        RuleType(
            "gender_in",
            gettext_lazy("Only for defenders of these genders"),
            {"genders": _genders},
            lambda r: (
                _("serves only defenders who are %(genders)s")
                % {"genders": _join(GENDER_WORDS[code] for code in r["genders"])}
            ),
            _check_gender_in,
        ),
        RuleType(
            "women_or_trans_led",
            gettext_lazy("Women- or trans-led"),
            {},
            lambda r: _("grants go to women, trans and non-binary defenders and to groups they lead"),
            _check_women_or_trans_led,
        ),
        RuleType(
            "not_in_exile",
            gettext_lazy("Not for defenders already in exile"),
            {},
            lambda r: _("does not fund defenders already in exile"),
            _check_not_in_exile,
        ),
        RuleType(
            "amount_at_most",
            gettext_lazy("Amount cap"),
            {"amount": _positive_number, "currency": _currency},
            lambda r: _("gives at most %(cap)s") % {"cap": _money(r["amount"], r["currency"])},
            _check_amount_at_most,
        ),
        RuleType(
            "not_emergency",
            gettext_lazy("Not for emergencies"),
            {},
            lambda r: _("cannot act in an emergency"),
            _check_not_emergency,
        ),
        RuleType(
            "no_family",
            gettext_lazy("No family accompanying"),
            {},
            lambda r: _("hosts the defender without family members"),
            _check_no_family,
        ),
        RuleType(
            "will_return",
            gettext_lazy("Return home afterwards"),
            {},
            lambda r: _("expects the defender to return home afterwards"),
            _check_will_return,
        ),
        RuleType(
            "harm_serious_urgent_irreparable",
            gettext_lazy("Serious, urgent and irreparable harm"),
            {},
            lambda r: _("acts only on a serious and urgent risk of irreparable harm"),
            _check_harm,
        ),
        RuleType(
            "duration_at_most_months",
            gettext_lazy("Duration cap"),
            {"months": _positive_int},
            lambda r: _("lasts at most %(months)s months") % {"months": r["months"]},
            _check_duration,
        ),
        RuleType(
            "domestic_remedies_tried",
            gettext_lazy("Domestic remedies tried"),
            {},
            lambda r: _("expects domestic remedies to have been tried"),
            _check_domestic_remedies,
        ),
    ]
}

# Keys any rule may carry besides its parameters: a short note citing the criterion.
COMMON_KEYS = frozenset({"rule", "note"})


def validate_rules(rules: Any) -> list[str]:
    """Every problem with a list of rules, as sentences; empty when the list is valid."""
    if not isinstance(rules, list):
        return [_("The eligibility rules must be a list.")]
    problems: list[str] = []
    for position, rule in enumerate(rules, start=1):
        problems.extend(_rule_problems(position, rule))
    return problems


def _rule_problems(position: int, rule: Any) -> list[str]:
    if not isinstance(rule, dict):
        return [_("Rule %(n)s is not an object.") % {"n": position}]
    code = rule.get("rule")
    rule_type = RULE_TYPES.get(code) if isinstance(code, str) else None
    if rule_type is None:
        return [
            _("Rule %(n)s: %(code)r is not a known rule type (known: %(known)s).")
            % {"n": position, "code": code, "known": ", ".join(RULE_TYPES)}
        ]
    problems = []
    for name, valid in rule_type.params.items():
        if name not in rule and name in rule_type.optional:
            continue
        if name not in rule or not valid(rule[name]):
            problems.append(
                _("Rule %(n)s (%(code)s): %(param)r is missing or not valid.")
                % {"n": position, "code": code, "param": name}
            )
    unknown = sorted(set(rule) - set(rule_type.params) - COMMON_KEYS)
    if unknown:
        problems.append(
            _("Rule %(n)s (%(code)s): unknown keys %(keys)s.") % {"n": position, "code": code, "keys": _join(unknown)}
        )
    if "note" in rule and not isinstance(rule["note"], str):
        problems.append(_("Rule %(n)s (%(code)s): the note must be text.") % {"n": position, "code": code})
    return problems


def describe(rule: Mapping[str, Any]) -> str:
    return RULE_TYPES[rule["rule"]].describe(rule)


def evaluate(rule: Mapping[str, Any], facts: CaseFacts, actor_name: str) -> RuleResult:
    rule_type = RULE_TYPES[rule["rule"]]
    outcome, why = rule_type.check(rule, facts)
    criterion = rule_type.describe(rule)
    if outcome == UNKNOWN:
        sentence = _("%(actor)s: %(criterion)s; to check: %(why)s.")
    else:
        sentence = _("%(actor)s: %(criterion)s; %(why)s.")
    return RuleResult(rule_type.code, outcome, sentence % {"actor": actor_name, "criterion": criterion, "why": why})


def evaluate_all(rules: Iterable[Mapping[str, Any]], facts: CaseFacts, actor_name: str) -> list[RuleResult]:
    return [evaluate(rule, facts, actor_name) for rule in rules]


def parse_amount(value: Any) -> Decimal | None:
    """An amount from an answer, or None when it is blank or not a number."""
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None
