"""The demo network's documented incidents: what a newcomer sees in Tierra Digna's lists."""

from __future__ import annotations

from django.template.defaultfilters import date as shown
from django.test import Client

from salama.audit.verify import verify_chain
from salama.cases.access import cases_for
from salama.core.demo import load_demo_network
from salama.core.permissions import Role
from salama.core.testing import sign_in
from salama.incidents.access import IncidentFilters, incidents_for
from salama.incidents.models import Incident
from salama.orgs.models import Membership
from salama.vocab.models import Term


def _member(role: str) -> Membership:
    return Membership.objects.filter(organization__slug="tierra-digna", role=role).order_by("pk").first()


def test_the_demo_documents_two_cases_of_tierra_digna_once_however_often_it_loads(db):
    load_demo_network()
    load_demo_network()
    coordinator, caseworker = _member(Role.COORDINATOR), _member(Role.CASEWORKER)
    titles = {case.title: case.status for case in cases_for(coordinator)}
    assert titles == {"Colibrí": "active", "Río Claro": "active"}
    assert Incident.objects.count() == 6
    # The caseworker is on both teams, so her lists are not empty either.
    assert incidents_for(caseworker).count() == 6
    assert verify_chain().ok


def test_the_demo_incident_list_filters_by_a_violation_and_its_narrower_terms(db):
    load_demo_network()
    coordinator = _member(Role.COORDINATOR)
    threats = Term.objects.get(vocabulary__code="violation-types", code="death-threats")
    attack = Term.objects.get(vocabulary__code="violation-types", code="physical-attack")
    assert {i.title for i in incidents_for(coordinator, IncidentFilters(violation=threats))} == {
        "Threatening leaflet after the land restitution hearing",
        "Community leader beaten at the checkpoint",
    }
    client = sign_in(Client(), coordinator.user)
    page = client.get(f"/o/tierra-digna/incidents/?violation={attack.pk}")
    assert page.status_code == 200
    assert "Community leader beaten at the checkpoint" in page.content.decode()
    assert "Men on motorcycles watching her house" not in page.content.decode()


def test_a_date_is_shown_no_more_precisely_than_it_is_known(db):
    load_demo_network()
    client = sign_in(Client(), _member(Role.COORDINATOR).user)
    charges = Incident.objects.get(title="Criminal charges for invading the land")
    beating = Incident.objects.get(title="Community leader beaten at the checkpoint")
    page = client.get("/o/tierra-digna/incidents/").content.decode()
    assert f"{shown(charges.date_start, 'YEAR_MONTH_FORMAT')} <span" in page  # the day is not known
    assert shown(charges.date_start, "DATE_FORMAT") not in page
    assert f"{shown(beating.date_start, 'DATE_FORMAT')} <span" in page
