"""The safety board in a browser with JavaScript off: an open emergency and a flagged defender."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from salama.cases.actions import do_open_case
from salama.core.testing import PASSWORD
from salama.defenders.actions import do_create_defender
from salama.incidents.actions import do_record_incident
from salama.safety.actions import do_raise_sos
from salama.vocab.actions import load_default_vocabularies
from salama.vocab.models import Term

from .conftest import main_heading, sign_in_through_ui, totp_now

pytestmark = pytest.mark.browser


def test_the_board_shows_an_open_emergency_and_a_flagged_defender_without_javascript(
    live_server, page_without_js, cast
):
    page, base = page_without_js, live_server.url
    load_default_vocabularies()
    admin = cast.membership("a_coordinator")
    amina = do_create_defender(admin, public_name="Amina")
    case = do_open_case(admin, title="Amina's protection", defenders=[amina])
    today = timezone.localdate()
    for code, days_ago, title in (("death-threats", 60, "Threatening calls"), ("physical-attack", 3, "Beaten at home")):
        do_record_incident(
            admin,
            case,
            title=title,
            date_start=today - timedelta(days=days_ago),
            acts=[{"violation": Term.objects.get(vocabulary__code="violation-types", code=code)}],
        )
    do_raise_sos(defender=amina, actor=admin, location="a secret place")

    sign_in_through_ui(page, base, cast.a_coordinator.email, PASSWORD, totp_now(cast.a_coordinator))
    expect(main_heading(page)).to_have_text("Org A")  # a member of one organisation lands on its page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Safety board").click()
    page.wait_for_url(f"{base}/o/{cast.org_a.slug}/safety/board/")
    expect(main_heading(page)).to_have_text("Safety board")
    assert page.evaluate("typeof window.htmx") == "undefined"

    emergencies = page.get_by_role("region", name="Open emergencies")
    row = emergencies.get_by_role("row").filter(has_text="Amina")
    expect(row).to_contain_text("SOS")
    expect(row.get_by_role("link", name="SOS")).to_be_visible()

    defenders = page.get_by_role("region", name="Defenders by risk level")
    flagged = defenders.get_by_role("row").filter(has_text="Amina")
    expect(flagged).to_contain_text("From threats to attacks: 1 attack-type incident in the last 90 days")
    expect(flagged).to_contain_text("after 1 threat-type incident and no attack")
    expect(flagged.get_by_role("link", name="Beaten at home").first).to_be_visible()
    expect(page.get_by_text("a secret place")).to_have_count(0)
