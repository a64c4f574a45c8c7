"""Escalation flags: a defender's incidents move from threats to attacks, or grow in frequency.

The rules are pure functions over a defender's incidents (`IncidentFact`: a date and a
category), so they can be tested on generated series without a database. `incident_facts`
reads every incident a member may see, for every defender they may see, in a fixed number of
queries, and `escalation_flags` judges one defender's series. docs/safety.md ("Safety board")
states the rules and why they were chosen.

Only coded, unencrypted fields are read (dates, violation terms, the incident's title, which
the incident form asks to keep free of names): flags never open a narrative.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from salama.cases.models import Case
from salama.defenders.access import visible_defenders
from salama.incidents.access import incidents_for
from salama.incidents.models import VIOLATION_TYPES, Act, Victim
from salama.orgs.models import Membership
from salama.vocab.models import PATH_SEPARATOR

THREAT = "threat"
ATTACK = "attack"
OTHER = "other"
# Of an incident with several acts, the gravest decides its category.
GRAVITY = {OTHER: 0, THREAT: 1, ATTACK: 2}

# Which violations (codes of the "violation-types" vocabulary) are threats, harassment and
# surveillance, and which are attacks on the person, their liberty or their home. A narrower
# term takes the category of its nearest listed broader term, so "attempted-killing" is an
# attack through "physical-attack"; a narrower term listed on its own overrides its parent
# ("sexual-harassment" is harassment, not an attack, although it sits under "sexual-violence").
# Everything else (legal action, restrictions, loss of livelihood, ...) counts towards
# frequency but is neither a threat nor an attack.
VIOLATION_CATEGORIES: dict[str, str] = {
    "killing": ATTACK,
    "enforced-disappearance": ATTACK,
    "abduction": ATTACK,
    "torture-ill-treatment": ATTACK,
    "physical-attack": ATTACK,
    "sexual-violence": ATTACK,
    "arbitrary-arrest-detention": ATTACK,
    "raid-break-in": ATTACK,
    "death-threats": THREAT,
    "threats-harassment": THREAT,
    "intimidation-of-family": THREAT,
    "surveillance": THREAT,
    "smear-campaign": THREAT,
    "sexual-harassment": THREAT,
    "digital-attacks": THREAT,  # hacking, spyware, online harassment: watching and frightening
}

WINDOW_DAYS = 90  # "recent": today and the 89 days before
HISTORY_WINDOWS = 4  # the earlier rate: the four 90-day periods (360 days) before the recent one
THREAT_MEMORY_DAYS = 365  # how far back threats before an attack are looked for
MIN_RECENT_INCIDENTS = 3  # growing frequency never fires on one or two incidents
GROWTH_FACTOR = 2  # recent count at least this many times the earlier average
# Enough history for both rules: an attack early in the recent window looks back a year.
LOOKBACK_DAYS = max(WINDOW_DAYS * (1 + HISTORY_WINDOWS), WINDOW_DAYS + THREAT_MEMORY_DAYS)

THREATS_TO_ATTACKS = "threats_to_attacks"
GROWING_FREQUENCY = "growing_frequency"


@dataclass(frozen=True)
class IncidentFact:
    """What the rules and the board know of one incident: nothing protected."""

    pk: Any
    case_id: Any
    on: date
    category: str
    title: str = ""


@dataclass(frozen=True)
class Flag:
    kind: str
    explanation: str  # in words, with the numbers behind it
    incidents: tuple[IncidentFact, ...]  # the incidents it rests on, newest first


def category_of(path: str) -> str:
    """The category of a violation term from its path ("/physical-attack/attempted-killing/")."""
    for code in reversed([code for code in path.split(PATH_SEPARATOR) if code]):
        if code in VIOLATION_CATEGORIES:
            return VIOLATION_CATEGORIES[code]
    return OTHER


def recent_start(today: date) -> date:
    return today - timedelta(days=WINDOW_DAYS - 1)


def _newest_first(facts: Iterable[IncidentFact]) -> tuple[IncidentFact, ...]:
    return tuple(sorted(facts, key=lambda fact: (fact.on, str(fact.pk)), reverse=True))


def recent_incidents(facts: Iterable[IncidentFact], today: date) -> tuple[IncidentFact, ...]:
    """Incidents dated in the recent window, newest first; a date after today is a typo, not news."""
    start = recent_start(today)
    return _newest_first(fact for fact in facts if start <= fact.on <= today)


def threats_to_attacks(facts: Sequence[IncidentFact], today: date) -> Flag | None:
    """An attack in the recent window, when the year before it held threats and no attack.

    A defender attacked before is already known to face attacks: a new one is grave, but it is
    not the move from threats to attacks this flag points out."""
    attacks = [fact for fact in recent_incidents(facts, today) if fact.category == ATTACK]
    if not attacks:
        return None
    first_attack = attacks[-1]
    since = first_attack.on - timedelta(days=THREAT_MEMORY_DAYS)
    before = [fact for fact in facts if since <= fact.on < first_attack.on]
    threats = [fact for fact in before if fact.category == THREAT]
    if not threats or any(fact.category == ATTACK for fact in before):
        return None
    attacked = ngettext(
        "%(attacks)d attack-type incident in the last %(days)d days (the first on %(first)s)",
        "%(attacks)d attack-type incidents in the last %(days)d days (the first on %(first)s)",
        len(attacks),
    ) % {"attacks": len(attacks), "days": WINDOW_DAYS, "first": first_attack.on.isoformat()}
    threatened = ngettext(
        "after %(threats)d threat-type incident and no attack in the %(memory)d days before it",
        "after %(threats)d threat-type incidents and no attack in the %(memory)d days before it",
        len(threats),
    ) % {"threats": len(threats), "memory": THREAT_MEMORY_DAYS}
    explanation = _("From threats to attacks: %(attacked)s, %(threatened)s.") % {
        "attacked": attacked,
        "threatened": threatened,
    }
    return Flag(THREATS_TO_ATTACKS, explanation, _newest_first([*attacks, *threats]))


def growing_frequency(facts: Sequence[IncidentFact], today: date) -> Flag | None:
    """At least MIN_RECENT_INCIDENTS in the recent window and at least GROWTH_FACTOR times the
    average per window over the HISTORY_WINDOWS windows before it."""
    recent = recent_incidents(facts, today)
    history_start = recent_start(today) - timedelta(days=WINDOW_DAYS * HISTORY_WINDOWS)
    earlier = [fact for fact in facts if history_start <= fact.on < recent_start(today)]
    # recent >= factor * (earlier / windows), kept in whole numbers.
    if len(recent) < MIN_RECENT_INCIDENTS or len(recent) * HISTORY_WINDOWS < GROWTH_FACTOR * len(earlier):
        return None
    explanation = _(
        "Growing frequency: %(recent)d incidents in the last %(days)d days, against %(earlier)d in the "
        "%(history)d days before (an average of %(average)s per %(days)d days)."
    ) % {
        "recent": len(recent),
        "days": WINDOW_DAYS,
        "earlier": len(earlier),
        "history": WINDOW_DAYS * HISTORY_WINDOWS,
        # Rounded once here; number_format only writes it the reader's way (decimal comma, ...).
        "average": number_format(f"{len(earlier) / HISTORY_WINDOWS:.1f}", 1),
    }
    return Flag(GROWING_FREQUENCY, explanation, recent)


def escalation_flags(facts: Sequence[IncidentFact], today: date) -> list[Flag]:
    return [flag for rule in (threats_to_attacks, growing_frequency) if (flag := rule(facts, today)) is not None]


# -- reading the facts, set-wise ----------------------------------------------------------------


def incident_facts(
    membership: Membership, today: date, defender_ids: set[Any] | None = None
) -> dict[Any, list[IncidentFact]]:
    """Per defender pk, the incidents of the lookback period this member may see, in at most four
    queries whatever the number of defenders (three when the caller already holds the pks of the
    defenders the member may see, `defender_ids`).

    An incident is a defender's when it names them as a victim; an incident that names no
    defender among its victims is every defender's of its case (a case's incidents concern the
    people it protects unless the record says who)."""
    if defender_ids is None:
        defender_ids = set(visible_defenders(membership).values_list("pk", flat=True))
    since = today - timedelta(days=LOOKBACK_DAYS)
    in_period = incidents_for(membership).filter(date_start__gte=since, date_start__lte=today)
    visible = in_period.values("pk")
    incidents: dict[Any, IncidentFact] = {}
    acts = Act.objects.filter(incident__in=visible).values_list(
        "incident_id",
        "incident__case_id",
        "incident__date_start",
        "incident__title",
        "violation__path",
        "violation__vocabulary__code",
    )
    for pk, case_id, on, title, path, vocabulary in acts:
        category = category_of(path) if vocabulary == VIOLATION_TYPES else OTHER
        known = incidents.get(pk)
        if known is None or GRAVITY[category] > GRAVITY[known.category]:
            incidents[pk] = IncidentFact(pk, case_id, on, category, title)
    # Every named victim, even one outside this member's need to know: such an incident is that
    # defender's, and must not be handed to the case's other defenders.
    victims: dict[Any, set[Any]] = defaultdict(set)
    named = Victim.objects.filter(incident__in=visible, defender__isnull=False)
    for incident_id, defender_id in named.values_list("incident_id", "defender_id"):
        victims[incident_id].add(defender_id)
    on_case: dict[Any, set[Any]] = defaultdict(set)
    links = Case.defenders.through.objects.filter(case_id__in=in_period.values("case_id"))
    for case_id, defender_id in links.values_list("case_id", "defender_id"):
        on_case[case_id].add(defender_id)
    by_defender: dict[Any, list[IncidentFact]] = defaultdict(list)
    for pk, fact in incidents.items():
        for defender_id in victims[pk] if pk in victims else on_case[fact.case_id]:
            if defender_id in defender_ids:
                by_defender[defender_id].append(fact)
    return dict(by_defender)
