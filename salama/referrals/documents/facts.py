"""What a submission draft says, gathered from the case in memory (decrypted values never touch
the disk), with what consent forbids already taken out.

A defender is named, with contact details, only when they consent to their record going to
this actor and, for a document that would make them public, consent to being named publicly.
Otherwise the draft uses their public name or pseudonym and leaves every contact detail out.
Victims of an incident who are not defenders on record have no consent record at all: their
names are never put in a draft.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import formats

from salama.defenders.models import Consent, Defender
from salama.incidents.models import Incident

from ..consent import named_publicly, sharing_consent
from ..models import Referral


@dataclass(frozen=True)
class Person:
    defender_id: Any
    name: str
    named: bool  # False: `name` is the public name or pseudonym, and contacts are left out
    consent: Consent | None  # the consent in force to share with this actor
    gender: str
    country: str
    sectors: list[str]
    contacts: list[str]


@dataclass(frozen=True)
class IncidentFacts:
    when: str
    on: date
    place: str
    title: str
    narrative: str
    relation_to_work: str
    violations: list[str]
    perpetrators: list[str]
    victims: list[str]


@dataclass
class CaseFacts:
    referral: Referral
    people: list[Person] = field(default_factory=list)
    incidents: list[IncidentFacts] = field(default_factory=list)
    grant_lines: list[tuple[str, str]] = field(default_factory=list)


def _date(value: date | None) -> str:
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def _person(defender: Defender, referral: Referral, public_document: bool, language: str) -> Person:
    consent = sharing_consent(defender, referral.actor)
    named = consent is not None and (not public_document or named_publicly(defender))
    contacts: list[str] = []
    name = defender.public_name
    if named:
        name = defender.legal_name or defender.public_name
        contacts = [value for value in (defender.email, defender.phone) if value]
    return Person(
        defender_id=defender.pk,
        name=name,
        named=named,
        consent=consent,
        gender=str(defender.get_gender_display()),
        country=str(defender.country.name) if defender.country else "",
        sectors=[term.label(language) for term in defender.sectors.all()],
        contacts=contacts,
    )


def _when(incident: Incident) -> str:
    start = _date(incident.date_start)
    if incident.date_end and incident.date_end != incident.date_start:
        return f"{start} \u2013 {_date(incident.date_end)}"
    return start


def _incident(incident: Incident, names: dict[Any, str], language: str) -> IncidentFacts:
    place = ", ".join(
        part
        for part in (incident.place, incident.admin_area, incident.country.name if incident.country else "")
        if part
    )
    perpetrators = []
    for perpetrator in incident.perpetrators.select_related("type"):
        kind = perpetrator.type.label(language)
        perpetrators.append(f"{kind}: {perpetrator.named_actor}" if perpetrator.named_actor else kind)
    victims = [names[v.defender_id] for v in incident.victims.all() if v.defender_id in names]
    return IncidentFacts(
        when=_when(incident),
        on=incident.date_start,
        place=place,
        title=incident.title,
        narrative=incident.narrative,
        relation_to_work=incident.relation_to_work,
        violations=sorted({act.violation.label(language) for act in incident.acts.select_related("violation")}),
        perpetrators=perpetrators,
        victims=victims,
    )


def incidents_in_order(referral: Referral) -> list[Incident]:
    return list(
        Incident.objects.filter(case=referral.case, organization_id=referral.organization_id).order_by(
            "date_start", "created_at", "pk"
        )
    )


def grant_lines(referral: Referral) -> list[tuple[str, str]]:
    """Costed measures of the defenders' protection plans marked for a grant request."""
    from salama.risk.models import ProtectionPlan
    from salama.risk.plans import grant_request_lines

    lines = []
    plans = ProtectionPlan.objects.filter(
        organization_id=referral.organization_id, defender__in=referral.defenders.all()
    ).order_by("created_at")
    for plan in plans:
        for line in grant_request_lines(plan):
            lines.append((line.title, f"{formats.number_format(line.amount, 2)} {line.currency}".strip()))
    return lines


def gather(referral: Referral, public_document: bool, language: str) -> CaseFacts:
    """Call inside `translation.override(language)`: labels and dates come out in it."""
    facts = CaseFacts(referral)
    for defender in referral.defenders.order_by("public_name").prefetch_related("sectors"):
        facts.people.append(_person(defender, referral, public_document, language))
    names = {person.defender_id: person.name for person in facts.people}
    facts.incidents = [_incident(incident, names, language) for incident in incidents_in_order(referral)]
    facts.grant_lines = grant_lines(referral)
    return facts
