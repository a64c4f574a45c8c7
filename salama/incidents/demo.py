"""Demo data for cases and incidents: what Tierra Digna has documented of the threats against
La Maestra, and of the eviction of the Río Claro community and what followed for Don Aurelio.
Invented events: any likeness to a real one is accidental."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from salama.core.demo import la_maestra_case
from salama.core.permissions import Role
from salama.orgs.models import Membership

# Each incident: its public fields, then by vocabulary code its violations, its victim (a demo
# defender by public name, and what became of them), its perpetrators (type, named actor) and
# its source (kind, reliability, description). Dates are days before the demo is loaded.
LA_MAESTRA = {"country": "CO", "admin_area": "Cauca", "place": "Santander de Quilichao"}
RIO_CLARO = {"country": "CO", "admin_area": "Chocó", "place": "Riosucio"}
COMPANY_GUARDS = ("private-security", "A palm oil company's security guards")

THREATS = [
    dict(
        LA_MAESTRA,
        title="Threatening leaflet after the land restitution hearing",
        days_ago=26,
        narrative="A leaflet signed by an armed group was left at her door, naming her and two other claimants.",
        relation_to_work="She leads her community's land restitution claim; the hearing was the day before.",
        violations=["death-threats"],
        victim=("La Maestra", "unharmed"),
        perpetrators=[("paramilitary", "Self-styled 'Águilas Negras'")],
        source=("victim", "highly-reliable", "Her account."),
    ),
    dict(
        LA_MAESTRA,
        title="Men on motorcycles watching her house",
        days_ago=19,
        lasted_days=7,
        narrative="Two men on a motorcycle stopped outside her house on several evenings and photographed it.",
        violations=["surveillance"],
        victim=("La Maestra", "unharmed"),
        perpetrators=[("unknown", "")],
        source=("witness", "likely-reliable", "Neighbours."),
    ),
    dict(
        LA_MAESTRA,
        title="Posts calling her a guerrilla collaborator",
        days_ago=9,
        narrative="Accounts on social media shared her photograph, calling her a collaborator of a guerrilla.",
        violations=["smear-campaign", "online-harassment"],
        victim=("La Maestra", "unharmed"),
        perpetrators=[("private-individuals", "")],
        source=("media", "highly-reliable", "Screenshots."),
    ),
]

EVICTION = [
    dict(
        RIO_CLARO,
        title="Eviction of the Río Claro community",
        days_ago=80,
        narrative="Guards and police destroyed crops and houses and ordered 40 families to leave the land.",
        violations=["forced-eviction", "property-destruction"],
        victim=("Consejo Comunitario Río Claro", "displaced"),
        perpetrators=[COMPANY_GUARDS, ("police", "")],
        source=("organisation", "highly-reliable", "Our visit."),
    ),
    dict(
        RIO_CLARO,
        title="Community leader beaten at the checkpoint",
        days_ago=61,
        narrative="Stopped at the company's checkpoint on his way back to the land, he was beaten and threatened.",
        violations=["physical-attack", "death-threats"],
        victim=("Don Aurelio", "injured"),
        perpetrators=[COMPANY_GUARDS],
        source=("victim", "highly-reliable", "His account."),
    ),
    dict(
        RIO_CLARO,
        title="Criminal charges for invading the land",
        days_ago=40,
        month_only=True,
        narrative="The company's complaint led to charges of land invasion against him; a hearing is pending.",
        violations=["criminal-charges"],
        victim=("Don Aurelio", "unharmed"),
        perpetrators=[("private-companies", ""), ("judiciary", "")],
        source=("official_document", "highly-reliable", "The charges."),
    ),
]


def load_demo_incidents() -> None:
    """Added once, after the demo defenders (salama.core.demo)."""
    from salama.cases.actions import do_add_team_member, do_change_status
    from salama.cases.models import Case

    from .models import Incident

    lead = Membership.objects.filter(organization__slug="tierra-digna", role=Role.COORDINATOR).first()
    if lead is None or Incident.objects.filter(organization=lead.organization).exists():
        return
    threats = la_maestra_case(lead)
    eviction = _eviction_case(lead)
    if threats is None or eviction is None:
        return
    for case, incidents in ((threats, THREATS), (eviction, EVICTION)):
        for spec in incidents:
            _record(lead, case, spec)
    caseworker = Membership.objects.filter(organization=lead.organization, role=Role.CASEWORKER).first()
    for case in (threats, eviction):
        if caseworker is not None:
            do_add_team_member(lead, case, caseworker.user)
        if case.status == Case.Status.NEW:
            do_change_status(lead, case, Case.Status.ACTIVE)


def _eviction_case(lead: Membership) -> Any:
    """The Río Claro case: the community's eviction, and the prosecution of its leader."""
    from salama.cases.actions import do_open_case
    from salama.defenders.models import Defender

    names = ["Consejo Comunitario Río Claro", "Don Aurelio"]
    defenders = list(Defender.objects.filter(organization=lead.organization, public_name__in=names))
    if len(defenders) != len(names):
        return None
    return do_open_case(
        lead,
        title="Río Claro",
        defenders=defenders,
        summary="Eviction of the Río Claro community from its collective land, and the prosecution of its leader.",
        priority="high",
        opened_on=timezone.localdate() - timedelta(days=75),
    )


def _record(lead: Membership, case: Any, spec: dict[str, Any]) -> None:
    from salama.vocab.models import Term

    from .actions import do_record_incident

    fields = dict(spec)

    def term(vocabulary: str, code: str) -> Term:
        return Term.objects.get(vocabulary__code=vocabulary, code=code)

    start = timezone.localdate() - timedelta(days=fields.pop("days_ago"))
    if "lasted_days" in fields:
        fields["date_end"] = start + timedelta(days=fields.pop("lasted_days"))
    if fields.pop("month_only", False):
        start, fields["date_precision"] = start.replace(day=1), "month"
    name, status = fields.pop("victim")
    kind, reliability, description = fields.pop("source")
    do_record_incident(
        lead,
        case,
        date_start=start,
        acts=[{"violation": term("violation-types", code), "victim": 0} for code in fields.pop("violations")],
        victims=[{"defender": case.defenders.get(public_name=name), "status": term("victim-status", status)}],
        perpetrators=[
            {"type": term("perpetrator-types", code), "named_actor": actor}
            for code, actor in fields.pop("perpetrators")
        ],
        sources=[{"kind": kind, "reliability": term("source-reliability", reliability), "description": description}],
        **fields,
    )
