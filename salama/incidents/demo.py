"""Demo data for cases and incidents: what Tierra Digna has documented of the threats against
La Maestra, and of the eviction of the Río Claro community and what followed for Don Aurelio.
Invented events: any likeness to a real one is accidental."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from salama.core.demo import la_maestra_case
from salama.core.permissions import Role
from salama.orgs.models import Membership


def load_demo_incidents() -> None:
    """Added once, after the demo defenders (salama.core.demo)."""
    from salama.cases.actions import do_add_team_member, do_change_status
    from salama.cases.models import Case

    from .models import Incident

    lead = Membership.objects.filter(organization__slug="tierra-digna", role=Role.COORDINATOR).first()
    if lead is None or Incident.objects.filter(organization=lead.organization).exists():
        return
    threats = la_maestra_case(lead)
    if threats is None:
        return
    caseworker = Membership.objects.filter(organization=lead.organization, role=Role.CASEWORKER).first()
    today = timezone.localdate()
    _threats_against_la_maestra(lead, threats, today)
    eviction = _eviction_case(lead, today)
    if eviction is None:
        return
    if caseworker is not None:
        for case in (threats, eviction):
            do_add_team_member(lead, case, caseworker.user)
    for case in (threats, eviction):
        if case.status == Case.Status.NEW:
            do_change_status(lead, case, Case.Status.ACTIVE)


def _terms(vocabulary: str) -> dict[str, Any]:
    from salama.vocab.models import Term

    return {term.code: term for term in Term.objects.filter(vocabulary__code=vocabulary)}


def _threats_against_la_maestra(lead: Membership, case: Any, today: date) -> None:
    from .actions import do_record_incident

    violation, perpetrator = _terms("violation-types"), _terms("perpetrator-types")
    status, reliability = _terms("victim-status"), _terms("source-reliability")
    defender = case.defenders.get(public_name="La Maestra")
    her = [{"defender": defender, "status": status["unharmed"]}]
    place = {"country": "CO", "admin_area": "Cauca", "place": "Santander de Quilichao"}
    do_record_incident(
        lead,
        case,
        title="Threatening leaflet after the land restitution hearing",
        date_start=today - timedelta(days=26),
        narrative="A leaflet signed by an armed group was left at her door, naming her and two other claimants.",
        relation_to_work="She leads her community's land restitution claim; the hearing was the day before.",
        acts=[{"violation": violation["death-threats"], "victim": 0}],
        victims=her,
        perpetrators=[{"type": perpetrator["paramilitary"], "named_actor": "Self-styled 'Águilas Negras'"}],
        sources=[{"kind": "victim", "reliability": reliability["highly-reliable"], "description": "Her account."}],
        **place,
    )
    do_record_incident(
        lead,
        case,
        title="Men on motorcycles watching her house",
        date_start=today - timedelta(days=19),
        date_end=today - timedelta(days=12),
        narrative="Two men on a motorcycle stopped outside her house on several evenings and photographed it.",
        acts=[{"violation": violation["surveillance"], "victim": 0}],
        victims=her,
        perpetrators=[{"type": perpetrator["unknown"]}],
        sources=[{"kind": "witness", "reliability": reliability["likely-reliable"], "description": "Neighbours."}],
        **place,
    )
    do_record_incident(
        lead,
        case,
        title="Posts calling her a guerrilla collaborator",
        date_start=today - timedelta(days=9),
        narrative="Accounts on social media shared her photograph, calling her a collaborator of a guerrilla.",
        acts=[
            {"violation": violation["smear-campaign"], "victim": 0},
            {"violation": violation["online-harassment"], "victim": 0},
        ],
        victims=her,
        perpetrators=[{"type": perpetrator["private-individuals"]}],
        sources=[{"kind": "media", "reliability": reliability["highly-reliable"], "description": "Screenshots."}],
        **place,
    )


def _eviction_case(lead: Membership, today: date) -> Any:
    """The Río Claro case: the community's eviction, and what followed for Don Aurelio."""
    from salama.cases.actions import do_open_case
    from salama.defenders.models import Defender

    from .actions import do_record_incident

    community = Defender.objects.filter(organization=lead.organization, public_name="Consejo Comunitario Río Claro")
    aurelio = Defender.objects.filter(organization=lead.organization, public_name="Don Aurelio").first()
    if not community.exists() or aurelio is None:
        return None
    violation, perpetrator = _terms("violation-types"), _terms("perpetrator-types")
    status, reliability = _terms("victim-status"), _terms("source-reliability")
    case = do_open_case(
        lead,
        title="Río Claro",
        defenders=[community.get(), aurelio],
        summary="Eviction of the Río Claro community from its collective land, and the prosecution of its leader.",
        priority="high",
        opened_on=today - timedelta(days=75),
    )
    place = {"country": "CO", "admin_area": "Chocó", "place": "Riosucio"}
    company = {"type": perpetrator["private-security"], "named_actor": "A palm oil company's security guards"}
    do_record_incident(
        lead,
        case,
        title="Eviction of the Río Claro community",
        date_start=today - timedelta(days=80),
        narrative="Guards and police destroyed crops and houses and ordered 40 families to leave the land.",
        acts=[
            {"violation": violation["forced-eviction"], "victim": 0},
            {"violation": violation["property-destruction"], "victim": 0},
        ],
        victims=[{"defender": community.get(), "status": status["displaced"]}],
        perpetrators=[company, {"type": perpetrator["police"]}],
        sources=[{"kind": "organisation", "reliability": reliability["highly-reliable"], "description": "Our visit."}],
        **place,
    )
    do_record_incident(
        lead,
        case,
        title="Community leader beaten at the checkpoint",
        date_start=today - timedelta(days=61),
        narrative="Stopped at the company's checkpoint on his way back to the land, he was beaten and threatened.",
        acts=[
            {"violation": violation["physical-attack"], "victim": 0},
            {"violation": violation["death-threats"], "victim": 0},
        ],
        victims=[{"defender": aurelio, "status": status["injured"]}],
        perpetrators=[company],
        sources=[{"kind": "victim", "reliability": reliability["highly-reliable"], "description": "His account."}],
        **place,
    )
    do_record_incident(
        lead,
        case,
        title="Criminal charges for invading the land",
        date_start=(today - timedelta(days=40)).replace(day=1),
        date_precision="month",
        narrative="The company's complaint led to charges of land invasion against him; a hearing is pending.",
        acts=[{"violation": violation["criminal-charges"], "victim": 0}],
        victims=[{"defender": aurelio, "status": status["unharmed"]}],
        perpetrators=[{"type": perpetrator["private-companies"]}, {"type": perpetrator["judiciary"]}],
        sources=[
            {"kind": "official_document", "reliability": reliability["highly-reliable"], "description": "The charges."}
        ],
        **place,
    )
    return case
