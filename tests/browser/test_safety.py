"""The defender's check-in page on a small phone with JavaScript off, and an SOS raised and
cancelled from it; a caseworker raising an SOS for a defender from the staff pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from salama.core.testing import PASSWORD

from .conftest import main_heading, sign_in_through_ui, totp_now

pytestmark = pytest.mark.browser


@pytest.fixture
def credentials(cast: Any) -> Any:
    from salama.cases.actions import do_add_team_member, do_open_case
    from salama.defenders.actions import do_create_defender
    from salama.safety.actions import do_create_schedule

    admin = cast.membership("a_admin")
    defender = do_create_defender(admin, public_name="Ana", email="ana@example.org")
    case = do_open_case(admin, title="Accompaniment", defenders=[defender])
    do_add_team_member(admin, case, cast.a_caseworker_team)
    return do_create_schedule(admin, defender=defender, case=case, interval=timedelta(hours=12))[1]


def link_path(credentials: Any) -> str:
    return "/" + credentials.link.split("/", 3)[3]


def small_phone(fresh_page: Any) -> Any:
    return fresh_page(java_script_enabled=False, viewport={"width": 320, "height": 568}, is_mobile=True)


def test_checking_in_on_a_small_phone_without_javascript(fresh_page: Any, live_server: Any, credentials: Any) -> None:
    from salama.safety.models import CheckIn

    page = small_phone(fresh_page)
    page.goto(live_server.url + link_path(credentials))
    expect(page).to_have_title("Confirmation")
    button = page.get_by_role("button", name="I am fine")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320 and box["height"] >= 48
    assert "Salama" not in page.content()
    button.click()
    expect(main_heading(page)).to_have_text("Thank you")
    assert CheckIn.objects.count() == 1


def test_raising_and_cancelling_an_sos(fresh_page: Any, live_server: Any, credentials: Any) -> None:
    from salama.safety.models import Emergency

    page = small_phone(fresh_page)
    page.goto(live_server.url + link_path(credentials))
    page.get_by_role("link", name="I need help now").click()
    expect(main_heading(page)).to_have_text("Ask for help now?")
    assert not Emergency.objects.exists()  # the confirmation comes first
    page.get_by_label("Where are you? (optional)").fill("Bus station")
    page.get_by_role("button", name="Yes, send for help").click()
    expect(main_heading(page)).to_have_text("Help has been asked for")
    assert Emergency.objects.get().state == "open"
    page.get_by_role("button", name="Cancel: it was a mistake").click()
    expect(main_heading(page)).to_have_text("Cancelled")
    emergency = Emergency.objects.get()
    assert emergency.state == "cancelled" and emergency.outcome == "false_alarm"


def test_a_caseworker_raises_and_cancels_an_sos(fresh_page: Any, live_server: Any, credentials: Any, cast: Any) -> None:
    from salama.safety.models import Emergency

    page = fresh_page(java_script_enabled=False)
    user = cast.a_caseworker_team
    sign_in_through_ui(page, live_server.url, user.email, PASSWORD, totp_now(user))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    defender = Emergency._meta.get_field("defender").related_model.objects.get(public_name="Ana")
    page.goto(f"{live_server.url}/o/org-a/safety/sos/{defender.pk}/")
    page.get_by_role("button", name="Yes, raise the SOS now").click()
    expect(main_heading(page)).to_contain_text("SOS: Ana")
    page.get_by_role("button", name="Cancel: false alarm").click()
    expect(page.get_by_text("SOS cancelled")).to_be_visible()
    assert Emergency.objects.get().state == "cancelled"
