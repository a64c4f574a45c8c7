"""Early warning with JavaScript off: subscribe, read a flag, follow it to its incidents, dismiss it."""

from datetime import date

import pytest
import time_machine
from playwright.sync_api import expect

from salama.analytics import flagging
from salama.analytics.tests import warning_fixtures as make
from salama.core.testing import PASSWORD

from .conftest import sign_in_through_ui, totp_now

pytestmark = pytest.mark.browser


def plant_a_rise(cast):
    """One incident a month in CO for two years, then nine in November 2026."""
    from salama.vocab.actions import load_default_vocabularies

    load_default_vocabularies()
    journalist = make.defender(cast.org_a, country="CO", sectors=("journalism-expression",))
    case = make.case(cast.org_a, [journalist])
    for back in range(1, 25):
        month = 2026 * 12 + 10 - back
        make.incident(case, date(month // 12, month % 12 + 1, 10), victims=[journalist])
    for day in range(1, 10):
        make.incident(case, date(2026, 11, day), victims=[journalist])
    with time_machine.travel(date(2026, 11, 15), tick=False):
        flagging.run()


def test_subscribe_read_follow_and_dismiss_a_flag(live_server, page_without_js, cast):
    page = page_without_js
    plant_a_rise(cast)
    base = live_server.url
    sign_in_through_ui(page, base, cast.a_coordinator.email, PASSWORD, totp_now(cast.a_coordinator))
    page.wait_for_url(f"{base}/o/org-a/")
    page.goto(f"{base}/o/org-a/analytics/warnings/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Early warning")
    flag = page.get_by_role("article").filter(has_text="Unusual rise")
    expect(flag).to_contain_text("Incidents this month")
    expect(flag).to_contain_text("over 24 months, 2024-11-01 to 2026-10-01")

    page.get_by_role("link", name="Subscribe to new flags").click()
    page.get_by_label("Country").select_option("CO")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("main")).to_contain_text("Colombia")

    page.goto(f"{base}/o/org-a/analytics/warnings/")
    page.get_by_role("link", name="The incidents of this month in this country").first.click()
    assert "country=CO" in page.url and "date_from=2026-11-01" in page.url
    expect(page.get_by_role("main")).to_contain_text("Incident of 2026-11-09")

    page.goto(f"{base}/o/org-a/analytics/warnings/")
    page.get_by_role("article").filter(has_text="Unusual rise").get_by_role("button", name="Dismiss").click()
    expect(page.get_by_role("heading", name="Dismissed flags")).to_be_visible()
