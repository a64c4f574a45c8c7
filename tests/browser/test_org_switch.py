"""A person in two organisations switches between them; others get "not found"."""

import pytest
from playwright.sync_api import expect

from salama.core.permissions import Role
from salama.core.testing import PASSWORD
from salama.orgs.models import Membership

from .conftest import main_heading, sign_in_through_ui, totp_now

pytestmark = pytest.mark.browser


def test_a_member_of_two_organisations_switches_with_the_header_switcher(live_server, page, cast):
    person = cast.a_coordinator
    Membership.objects.create(user=person, organization=cast.org_b, role=Role.VIEWER)

    sign_in_through_ui(page, live_server.url, person.email, PASSWORD, totp_now(person))
    # Two organisations and none chosen yet: the start page asks which one.
    page.wait_for_url(f"{live_server.url}/")
    expect(main_heading(page)).to_have_text("Welcome, A coordinator")
    page.get_by_role("main").get_by_role("link", name="Org A").click()
    page.wait_for_url(f"{live_server.url}/o/org-a/")
    expect(main_heading(page)).to_have_text("Org A")

    switcher = page.get_by_role("banner").get_by_label("Organisation")
    expect(switcher).to_have_value("org-a")
    switcher.select_option(label="Org B")
    page.get_by_role("banner").get_by_role("button", name="Switch").click()

    page.wait_for_url(f"{live_server.url}/o/org-b/")
    expect(main_heading(page)).to_have_text("Org B")
    expect(page.get_by_role("main")).to_contain_text("Your role: Viewer")
    expect(page.get_by_role("banner").get_by_label("Organisation")).to_have_value("org-b")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    page.wait_for_url(f"{live_server.url}/o/org-b/members/")
    expect(main_heading(page)).to_have_text("Members")
    members = page.get_by_role("table", name="Members of this organisation")
    expect(members).to_contain_text("b-admin@example.org")
    expect(members).not_to_contain_text("a-admin@example.org")

    # The choice is remembered: the start page now leads to Org B.
    page.goto(f"{live_server.url}/")
    page.wait_for_url(f"{live_server.url}/o/org-b/")
    expect(main_heading(page)).to_have_text("Org B")


def test_a_member_of_one_organisation_gets_not_found_for_another(live_server, page, cast):
    person = cast.a_caseworker_team
    sign_in_through_ui(page, live_server.url, person.email, PASSWORD, totp_now(person))
    page.wait_for_url(f"{live_server.url}/o/org-a/")
    # One organisation: the switcher offers nothing else.
    expect(page.get_by_role("banner").get_by_label("Organisation").get_by_role("option")).to_have_text(["Org A"])

    for path in ("/o/org-b/", "/o/org-b/members/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 404
        expect(main_heading(page)).to_have_text("Not found")
        expect(page.get_by_role("main")).not_to_contain_text("Org B")
        assert page.url == f"{live_server.url}{path}"
