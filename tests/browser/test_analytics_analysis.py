"""The analysis page with JavaScript off: choose what to count and a filter, read the table, and
drill down from a count to the incidents behind it."""

import pytest
from playwright.sync_api import expect

from salama.analytics.tests.fixture import build_network
from salama.core.testing import PASSWORD

from .conftest import sign_in_through_ui, totp_now

pytestmark = pytest.mark.browser


def test_filter_then_drill_down_to_the_incidents(live_server, page_without_js, cast):
    page = page_without_js
    build_network(cast)  # A: I1 Colombia 2023 (a woman and a man), I2 Kenya 2024, I3 no country 2024
    base = live_server.url
    sign_in_through_ui(page, base, cast.a_coordinator.email, PASSWORD, totp_now(cast.a_coordinator))
    page.wait_for_url(f"{base}/o/org-a/")
    page.goto(f"{base}/o/org-a/analytics/")
    page.locator("#id_unit").select_option("victims")
    page.locator("#id_rows").select_option("country")
    page.get_by_label("Genders of the victims").select_option(["woman"])
    page.get_by_role("button", name="Count").click()
    table = page.locator("table.analysis")
    expect(table.locator("caption")).to_have_text("Counting: victims.")
    colombia = table.locator("tr", has=page.locator('th:text-is("Colombia")'))
    expect(colombia.locator("td")).to_have_text("1")
    expect(table.locator("th", has_text="Kenya")).to_have_count(0)
    # Gender is not a filter of the incident list, so no count links there...
    expect(colombia.locator("a")).to_have_count(0)
    # ...but a count of incidents by country does.
    page.goto(f"{base}/o/org-a/analytics/?unit=incidents&rows=country")
    page.locator("table.analysis tr", has=page.locator('th:text-is("Kenya")')).get_by_role("link", name="1").click()
    page.wait_for_url(f"{base}/o/org-a/incidents/?country=KE")
    expect(page.get_by_role("main")).to_contain_text("I2")
    expect(page.get_by_role("main")).not_to_contain_text("I1")


def test_a_filter_that_matches_nothing_is_explained(live_server, page_without_js, cast):
    page = page_without_js
    build_network(cast)
    base = live_server.url
    sign_in_through_ui(page, base, cast.a_viewer.email, PASSWORD, totp_now(cast.a_viewer))
    page.wait_for_url(f"{base}/o/org-a/")
    page.goto(f"{base}/o/org-a/analytics/?unit=incidents&rows=year&countries=FR")
    expect(page.locator("p.empty")).to_contain_text("Nothing matches these filters")
    expect(page.locator("table.analysis")).to_have_count(0)
