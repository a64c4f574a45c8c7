import pytest
from playwright.sync_api import expect

from salama.cases.actions import do_add_team_member, do_open_case
from salama.core.testing import PASSWORD
from salama.defenders.actions import do_create_defender
from salama.incidents.models import Incident
from salama.vocab.actions import load_default_vocabularies

from .conftest import sign_in_through_ui, totp_now

pytestmark = pytest.mark.browser


def test_record_an_incident_without_javascript(live_server, page_without_js, cast):
    load_default_vocabularies()
    page = page_without_js
    coordinator = cast.membership("a_coordinator")
    defender = do_create_defender(coordinator, public_name="La Lideresa", legal_name="Carmen Rosa Palacios")
    case = do_open_case(coordinator, title="Operación Garza", defenders=[defender])
    do_add_team_member(coordinator, case, cast.a_caseworker_team)
    base = live_server.url
    sign_in_through_ui(page, base, cast.a_caseworker_team.email, PASSWORD, totp_now(cast.a_caseworker_team))
    page.wait_for_url(f"{base}/o/org-a/")
    page.goto(f"{base}/o/org-a/cases/{case.pk}/")
    page.get_by_role("link", name="Record an incident").click()
    page.locator("[name=title]").fill("Threat at the community meeting")
    page.locator("[name=date_start]").fill("2026-11-20")
    page.locator("[name=country]").select_option("CO")
    page.locator("[name=narrative]").fill("Two armed men threatened her by name.")
    page.get_by_role("button", name="Add another victim").click()  # a round trip, no script
    page.locator("[name=victims-0-defender]").select_option(str(defender.pk))
    page.locator("[name=acts-0-violation]").select_option(label="Death threats")
    page.locator("[name=acts-0-victim]").select_option(label="Victim 1")
    page.get_by_role("button", name="Record the incident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Threat at the community meeting")
    expect(page.get_by_role("main")).not_to_contain_text("armed men")  # hidden until revealed
    incident = Incident.objects.get(case=case)
    assert incident.narrative == "Two armed men threatened her by name."
    assert [act.violation.code for act in incident.acts.all()] == ["death-threats"]
    # Editing is the same form, filled in; hidden details are kept when left empty.
    page.get_by_role("link", name="Edit").click()
    expect(page.locator("[name=narrative]")).to_have_value("")
    page.locator("[name=title]").fill("Threat at the assembly")
    page.locator("[name=comment]").fill("Renamed after the second interview.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Threat at the assembly")
    assert Incident.objects.get(pk=incident.pk).narrative == "Two armed men threatened her by name."
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("main")).to_contain_text("Revision 2")
    expect(page.locator("ins").first).to_have_text("assembly")
    page.goto(f"{base}/o/org-a/cases/{case.pk}/")
    expect(page.get_by_role("main")).to_contain_text("recorded an incident")
