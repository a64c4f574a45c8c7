import re

import pytest
from playwright.sync_api import expect

from salama.audit.models import AuditEntry
from salama.core.testing import PASSWORD
from salama.defenders.actions import do_create_defender

from .conftest import sign_in_through_ui, totp_now

pytestmark = pytest.mark.browser

NOTE = "Canary-Browser-Note-Jd58"


def test_open_a_case_add_a_note_reveal_it_and_see_the_timeline(live_server, page, cast):
    # Recorded by the caseworker: need to know offers them the defenders they recorded.
    do_create_defender(cast.membership("a_caseworker_team"), public_name="El Guardián")
    base = live_server.url
    sign_in_through_ui(page, base, cast.a_caseworker_team.email, PASSWORD, totp_now(cast.a_caseworker_team))
    page.wait_for_url(f"{base}/o/org-a/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    page.get_by_role("link", name="Open a case").click()
    page.get_by_label("Title or code name").fill("Operación Río")
    page.get_by_label("El Guardián").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Operación Río")
    expect(page.get_by_role("link", name="El Guardián")).to_be_visible()

    page.get_by_role("textbox", name=re.compile(r"^Note")).fill(NOTE)
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("main")).not_to_contain_text(NOTE)
    page.get_by_role("button", name="Hidden — reveal the notes").click()
    expect(page.get_by_role("main")).to_contain_text(NOTE)
    assert AuditEntry.objects.filter(action="case.revealed").count() == 1
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline.get_by_role("listitem").first).to_contain_text("A caseworker_team added a note.")
    expect(timeline).to_contain_text("A caseworker_team opened the case")
