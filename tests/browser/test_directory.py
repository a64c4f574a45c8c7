"""From a case to the directory's suggestions, JavaScript off: tick a need, answer, and see the
ranking with its reasons, what an entry fails, and the link to refer."""

import re

import pytest
from playwright.sync_api import expect

from salama.cases.actions import do_add_team_member, do_open_case
from salama.core.testing import PASSWORD
from salama.defenders.actions import do_create_defender
from salama.directory.data import load_actors

from .conftest import sign_in_through_ui, totp_now

pytestmark = pytest.mark.browser


def test_referral_suggestions_for_a_case_without_javascript(live_server, page_without_js, cast):
    load_actors()  # the data migration's rows do not survive a transactional test's flush
    page = page_without_js
    coordinator = cast.membership("a_coordinator")
    defender = do_create_defender(coordinator, public_name="La Profe", country="CO", gender="woman")
    case = do_open_case(coordinator, title="Operación Colibrí", defenders=[defender])
    do_add_team_member(coordinator, case, cast.a_caseworker_team)
    base = live_server.url
    sign_in_through_ui(page, base, cast.a_caseworker_team.email, PASSWORD, totp_now(cast.a_caseworker_team))
    page.wait_for_url(f"{base}/o/org-a/")
    page.goto(f"{base}/o/org-a/cases/{case.pk}/")
    page.get_by_role("link", name="Who could help: referral suggestions").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Referral suggestions")

    page.get_by_label("respite abroad").check()
    page.get_by_label("Time needed (months)").fill("3")
    page.get_by_label("Would family members come along?").select_option("yes")
    page.get_by_label("Would the defender return home afterwards?").select_option("yes")
    page.get_by_role("button", name="Suggest").click()

    results = page.get_by_role("region", name="Suggestions, best fit first")
    shelter = results.get_by_role("listitem").filter(has_text="Shelter City (Justice & Peace)").first
    expect(shelter).to_contain_text("not eligible")
    expect(shelter).to_contain_text("family members would come along")
    first = results.locator("li.suggestion").first
    expect(first).to_contain_text("Matches the need “respite abroad”")
    refer = first.get_by_role("link", name="Refer to")
    expect(refer).to_have_attribute("href", re.compile(rf"^/o/org-a/cases/{case.pk}/referrals/new/\?actor=[a-z-]+$"))
