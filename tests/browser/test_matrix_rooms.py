"""An organisation admin sets up a Matrix room with JavaScript off: from the organisation's
settings to the room list, adds the room with the bot's token, sends a test message, sees it
accepted, then replaces the token without ever seeing the old one.

The live server runs no workers: the test sends the deliveries itself between steps, as the
embedded workers would; the homeserver is the fake one of the delivery tests."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from salama.core.testing import PASSWORD
from salama.delivery.channels.matrix.models import MatrixRoom
from salama.delivery.tests.conftest import run_until_idle
from salama.delivery.tests.matrix_homeserver import ROOM, TOKEN, Homeserver, homeserver  # noqa: F401  fixture

from .conftest import sign_in_through_ui, status_message, totp_now

pytestmark = pytest.mark.browser


def test_an_admin_adds_tests_and_rekeys_a_matrix_room_without_javascript(live_server, page_without_js, cast, request):
    homeserver_url = request.getfixturevalue("homeserver")
    page, base = page_without_js, live_server.url
    sign_in_through_ui(page, base, cast.a_admin.email, PASSWORD, totp_now(cast.a_admin))
    page.goto(f"{base}/o/{cast.org_a.slug}/settings/")
    page.get_by_role("link", name="Matrix rooms for urgent alerts").click()
    page.get_by_label("Homeserver").fill(homeserver_url)
    page.locator("#id_room").fill(ROOM)
    page.get_by_label("Bot access token").fill(TOKEN)
    page.get_by_role("button", name="Add the room").click()
    expect(status_message(page, "Room added. Send a test message to check it.")).to_be_visible()

    page.get_by_role("link", name=ROOM).click()
    page.get_by_role("button", name="Send a test message").click()
    expect(page.locator("#test-outcome")).to_contain_text("waiting to be sent")
    run_until_idle()
    page.locator("#test-outcome").get_by_role("link", name="Refresh").click()
    expect(page.locator("#test-outcome")).to_contain_text("accepted by the homeserver")
    assert Homeserver.requests[0][1] == f"Bearer {TOKEN}"

    expect(page.get_by_label("Bot access token")).to_have_value("")  # never shown back
    page.get_by_label("Bot access token").fill("syt_new_token")
    page.get_by_role("button", name="Save").click()
    expect(status_message(page, "Saved.")).to_be_visible()
    assert MatrixRoom.objects.get().access_token == "syt_new_token"
    assert TOKEN not in page.content()
