"""Referral suggestions for a case: the directory's actors ranked by fit, each saying why.

The score is a plain sum of points, each point with the sentence that earned it (see
docs/directory.md, "Scoring"):

- each need of the case that one of the actor's offers meets: +3;
- geography: the case's country named by the actor +2, its region +2, an actor working
  worldwide +1;
- a sector or gender criterion the case meets (the actor serves these defenders): +2;
- every one of its published criteria confirmed met (none failed, none to check): +2;
- a typical response within 72 hours: +1, and +2 more when the case is in immediate danger;
- its track record in the case's country (`salama.responses.learning.track_records`): +1 per
  response that worked, -1 per one that did not, between -2 and +3;
- each criterion that cannot be checked yet ("to check"): -1.

An actor that fails a criterion is ineligible: it is ranked below every eligible actor, still
shown, with what it fails. Ties are broken by name, so the order is stable.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from .data import ACTORS_FILE
from .eligibility import FAILED, PASSED, UNKNOWN, CaseFacts, RuleResult, evaluate_all, parse_amount
from .models import ProtectionActor
from .regions import region_name, region_of

log = logging.getLogger("salama.directory")

NEEDS = {
    "immediate_danger": gettext_lazy("immediate danger"),
    "funds": gettext_lazy("funds"),
    "respite_abroad": gettext_lazy("respite abroad"),
    "pressure_on_state": gettext_lazy("pressure on the state"),
    "physical_deterrence": gettext_lazy("physical deterrence"),
    "legal": gettext_lazy("legal support"),
    "psychosocial": gettext_lazy("psychosocial support"),
    "visibility": gettext_lazy("visibility"),
}
FAST_RESPONSE_HOURS = 72
# Rules that say whom an actor serves: meeting one is a reason to suggest it.
TARGETED_RULES = frozenset({"sector_in", "gender_in", "women_or_trans_led"})
GEOGRAPHY_RULES = frozenset({"region_in", "country_in"})

POINTS_NEED = 3
POINTS_COUNTRY = 2
POINTS_REGION = 2
POINTS_WORLDWIDE = 1
POINTS_SERVES = 2
POINTS_ALL_CRITERIA_MET = 2
POINTS_FAST = 1
POINTS_FAST_IN_DANGER = 2
POINTS_TO_CHECK = -1
TRACK_RECORD_MIN, TRACK_RECORD_MAX = -2, 3

# Answers the caseworker gives on the suggestions page (and the API), with their CaseFacts field.
YES_NO_ANSWERS = {
    "in_exile": "in_exile",
    "emergency": "emergency",
    "family_to_accompany": "family_to_accompany",
    "will_return": "will_return",
    "harm_serious_urgent_irreparable": "harm_serious_urgent_irreparable",
    "domestic_remedies_tried": "domestic_remedies_tried",
    "women_or_trans_led": "women_or_trans_led",
}


@lru_cache(maxsize=1)
def needs_to_offers() -> dict[str, tuple[str, ...]]:
    """Which offers meet each need: shipped data (actors.json), read once."""
    document = json.loads(ACTORS_FILE.read_text(encoding="utf-8"))
    return {need: tuple(offers) for need, offers in document["needs"].items()}


@dataclass
class Suggestion:
    actor: ProtectionActor
    score: int = 0
    reasons: list[str] = field(default_factory=list)
    failed: list[RuleResult] = field(default_factory=list)
    unknown: list[RuleResult] = field(default_factory=list)
    passed: list[RuleResult] = field(default_factory=list)
    needs_met: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.failed

    def earn(self, points: int, reason: str) -> None:
        self.score += points
        self.reasons.append(reason)


# Facts --------------------------------------------------------------------------------------


def _tri_state(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value in ("yes", "true", "1", 1):
        return True
    if value in ("no", "false", "0", 0):
        return False
    return None


def _whole_number(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def facts_from_case(case: Any, answers: Mapping[str, Any] | None = None, needs: Iterable[str] = ()) -> CaseFacts:
    """The facts recorded on the case (its defenders' country, sectors, genders) plus the answers
    given on the suggestions page. An answer left blank stays unknown."""
    answers = answers or {}
    defenders = list(case.defenders.all().prefetch_related("sectors"))
    countries = [defender.country.code for defender in defenders if defender.country]
    country = answers.get("country") or (countries[0] if countries else None)
    sectors = frozenset(term.code for defender in defenders for term in defender.sectors.all())
    genders = frozenset(defender.gender for defender in defenders)
    duration = _whole_number(answers.get("duration_months"))
    return CaseFacts(
        country=country,
        region=region_of(country),
        sectors=sectors or None,
        genders=genders or None,
        needs=frozenset(needs) & NEEDS.keys(),
        amount=parse_amount(answers.get("amount")),
        currency=(answers.get("currency") or None),
        duration_months=duration,
        **{name: _tri_state(answers.get(key)) for key, name in YES_NO_ANSWERS.items()},
    )


# Scoring ------------------------------------------------------------------------------------


def _coverage(actor: ProtectionActor, facts: CaseFacts) -> RuleResult | None:
    """The actor's own regions and countries as a criterion, unless a rule already says it."""
    if not (actor.regions or actor.countries) or any(r.get("rule") in GEOGRAPHY_RULES for r in actor.eligibility):
        return None
    places = ", ".join([region_name(code) for code in actor.regions] + list(actor.countries))
    criterion = _("works only in %(places)s") % {"places": places}
    if not facts.country:
        why = _("to check: the case's country is not recorded")
        return RuleResult("coverage", UNKNOWN, f"{actor.name}: {criterion}; {why}.")
    covered = facts.country in actor.countries or (facts.region or "") in actor.regions
    why = _("the case's country is %(country)s") % {"country": facts.country}
    return RuleResult("coverage", PASSED if covered else FAILED, f"{actor.name}: {criterion}; {why}.")


def _country(facts: CaseFacts) -> str:
    return str(countries.name(facts.country)) or str(facts.country) if facts.country else ""


def _score_needs(suggestion: Suggestion, facts: CaseFacts) -> None:
    offers = set(suggestion.actor.offers)
    labels = dict(ProtectionActor.Offer.choices)
    for need in sorted(facts.needs):
        matching = [code for code in needs_to_offers().get(need, ()) if code in offers]
        if matching:
            suggestion.needs_met.append(need)
            suggestion.earn(
                POINTS_NEED,
                _("Matches the need “%(need)s” (%(offers)s).")
                % {"need": NEEDS[need], "offers": ", ".join(str(labels.get(code, code)) for code in matching)},
            )


def _score_geography(suggestion: Suggestion, facts: CaseFacts) -> None:
    actor = suggestion.actor
    if facts.country and facts.country in actor.countries:
        suggestion.earn(POINTS_COUNTRY, _("Works in this country (%(country)s).") % {"country": _country(facts)})
    elif facts.region and facts.region in actor.regions:
        suggestion.earn(POINTS_REGION, _("Works in this region (%(region)s).") % {"region": region_name(facts.region)})
    elif not actor.regions and not actor.countries:
        suggestion.earn(POINTS_WORLDWIDE, _("Works worldwide."))


def _score_served(suggestion: Suggestion) -> None:
    for result in suggestion.passed:
        if result.rule in TARGETED_RULES:
            suggestion.earn(POINTS_SERVES, _("Serves these defenders: %(sentence)s") % {"sentence": result.sentence})


def _score_confirmed(suggestion: Suggestion) -> None:
    """An actor whose published criteria are all checked and met is a surer referral."""
    if suggestion.passed and not suggestion.failed and not suggestion.unknown:
        suggestion.earn(
            POINTS_ALL_CRITERIA_MET,
            _("Meets all %(count)s of its published criteria.") % {"count": len(suggestion.passed)},
        )


def _score_speed(suggestion: Suggestion, facts: CaseFacts) -> None:
    hours = suggestion.actor.response_time_hours
    if hours is None or hours > FAST_RESPONSE_HOURS:
        return
    points = POINTS_FAST + (POINTS_FAST_IN_DANGER if "immediate_danger" in facts.needs else 0)
    suggestion.earn(points, _("Responds within %(hours)s hours.") % {"hours": hours})


def _score_track_record(suggestion: Suggestion, record: Any, facts: CaseFacts) -> None:
    if record is None or not (record.worked or record.did_not_work):
        return
    total = record.worked + record.did_not_work
    points = max(TRACK_RECORD_MIN, min(TRACK_RECORD_MAX, record.worked - record.did_not_work))
    suggestion.earn(
        points,
        _("Worked in %(worked)s of %(total)s earlier responses in %(country)s.")
        % {"worked": record.worked, "total": total, "country": _country(facts)},
    )


def _track_records(organization: Any, facts: CaseFacts) -> dict[str, Any]:
    """What the network learnt about each actor here; nothing when that is not available."""
    if not facts.country:
        return {}
    try:
        from salama.responses.learning import track_records
    except ImportError:
        return {}
    try:
        return dict(track_records(organization, country=facts.country, sector_codes=facts.sectors or frozenset()))
    except Exception:  # a learning problem must never hide the directory's suggestions
        log.exception("track records could not be read")
        return {}


def score_actor(actor: ProtectionActor, facts: CaseFacts, record: Any = None) -> Suggestion:
    suggestion = Suggestion(actor)
    results = evaluate_all(actor.eligibility, facts, actor.name)
    coverage = _coverage(actor, facts)
    if coverage is not None:
        results.insert(0, coverage)
    for result in results:
        {PASSED: suggestion.passed, FAILED: suggestion.failed, UNKNOWN: suggestion.unknown}[result.outcome].append(
            result
        )
    _score_needs(suggestion, facts)
    _score_geography(suggestion, facts)
    _score_served(suggestion)
    _score_confirmed(suggestion)
    _score_speed(suggestion, facts)
    _score_track_record(suggestion, record, facts)
    suggestion.score += POINTS_TO_CHECK * len(suggestion.unknown)
    if not suggestion.reasons:
        suggestion.reasons.append(_("Offers %(offers)s.") % {"offers": ", ".join(actor.offer_labels()) or "—"})
    return suggestion


def rank(suggestions: Iterable[Suggestion]) -> list[Suggestion]:
    """Eligible first, then by score, then by name."""
    return sorted(suggestions, key=lambda s: (not s.eligible, -s.score, s.actor.name.lower()))


def suggest(actors: Iterable[ProtectionActor], facts: CaseFacts, organization: Any = None) -> list[Suggestion]:
    """Every actor that meets at least one need (every actor when no need is given), ranked."""
    records = _track_records(organization, facts)
    suggestions = [score_actor(actor, facts, records.get(actor.slug)) for actor in actors]
    if facts.needs:
        suggestions = [s for s in suggestions if s.needs_met]
    return rank(suggestions)


def suggest_for_case(case: Any, membership: Any, needs: set[str], answers: dict[str, Any]) -> list[Suggestion]:
    """Ranked suggestions for a case the member may see (the caller fetched it through
    salama.cases.access, which enforces need to know)."""
    from salama.cases.access import require_visible_case

    from .access import active_actors

    require_visible_case(membership, case)
    facts = facts_from_case(case, answers, needs)
    return suggest(active_actors(), facts, membership.organization)
