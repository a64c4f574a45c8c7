"""A response from the case page to its lesson, with JavaScript off."""

import pytest
from playwright.sync_api import expect

from salama.core.testing import PASSWORD
from salama.responses.models import Lesson, Response

from .conftest import sign_in_through_ui, totp_now

pytestmark = pytest.mark.browser


def test_record_a_grant_pay_it_close_it_and_find_the_lesson(live_server, page_without_js, cast):
    from salama.cases.actions import do_add_team_member, do_open_case
    from salama.defenders.actions import do_create_defender

    coordinator = cast.membership("a_coordinator")
    defender = do_create_defender(coordinator, public_name="El Guardián", country="CO")
    case = do_open_case(coordinator, title="Operación Río", defenders=[defender])
    do_add_team_member(coordinator, case, cast.a_caseworker_team)
    page, base = page_without_js, live_server.url
    sign_in_through_ui(page, base, cast.a_caseworker_team.email, PASSWORD, totp_now(cast.a_caseworker_team))
    page.wait_for_url(f"{base}/o/org-a/")
    page.goto(f"{base}/o/org-a/cases/{case.pk}/")
    page.get_by_role("link", name="Record a response").click()
    page.get_by_label("Kind").select_option("emergency_grant")
    page.get_by_label("Status").select_option("active")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Details: Emergency grant")
    page.get_by_label("Amount granted").fill("1500")
    page.get_by_label("Currency", exact=True).fill("USD")
    page.get_by_label("Purpose").select_option("digital_security")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("main")).to_contain_text("Digital security")

    page.get_by_label("Kind of step").select_option("disbursement")
    page.get_by_label("Date").fill("2024-06-01")
    page.get_by_label("Amount", exact=True).fill("1500")
    page.get_by_role("button", name="Record the step").click()
    expect(page.get_by_role("region", name="Steps")).to_contain_text("1500")

    page.get_by_role("link", name="Close with the outcome and lessons").click()
    page.get_by_role("button", name="Close the response").click()  # nothing filled in: refused
    expect(page.get_by_role("main")).to_contain_text("This field is required")
    page.get_by_role("combobox", name="Outcome").select_option("achieved")
    page.get_by_label("What worked").fill("Paying for secure phones within a week")
    page.get_by_label("What did not work").fill("The first bank transfer was blocked")
    page.get_by_role("button", name="Close the response").click()
    expect(page.get_by_role("main")).to_contain_text("Completed")
    assert Response.objects.get(case=case).status == "completed"
    assert Lesson.objects.get().what_worked == "Paying for secure phones within a week"

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Learning library").click()
    page.get_by_label("Words").fill("secure phones")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("region", name="Lessons")).to_contain_text("Paying for secure phones within a week")
    expect(page.get_by_role("region", name="Lessons")).to_contain_text("Colombia")
