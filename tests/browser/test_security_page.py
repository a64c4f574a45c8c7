"""The account security page lists where the person is signed in and ends the other sessions."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from salama.accounts.models import Session
from salama.core.testing import PASSWORD, sign_in

from .conftest import (
    add_authenticator,
    main_heading,
    sign_in_through_ui,
    status_message,
    totp_now,
    totp_of,
)

pytestmark = pytest.mark.browser


def session_rows(page):
    table = page.get_by_role("region", name="Where you are signed in").get_by_role("table")
    # The header row aside.
    return table.get_by_role("row").filter(has=page.get_by_role("cell"))


def open_security_page(page, base_url):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Account security").click()
    page.wait_for_url(f"{base_url}/account/")
    expect(main_heading(page)).to_have_text("Account security")


def test_signing_out_of_all_other_sessions_ends_the_other_browser(live_server, page, fresh_page, cast):
    base, person = live_server.url, cast.a_admin
    sign_in_through_ui(page, base, person.email, PASSWORD, totp_now(person))
    page.wait_for_url(f"{base}/o/org-a/")
    open_security_page(page, base)
    expect(session_rows(page)).to_have_count(1)
    expect(session_rows(page).first).to_contain_text("This session")

    # The same person on a second computer, with a second authenticator app: a code is spent
    # once, so the first phone's code cannot sign in twice in the same 30 seconds.
    laptop = fresh_page()
    sign_in_through_ui(laptop, base, person.email, PASSWORD, totp_of(add_authenticator(person)))
    laptop.wait_for_url(f"{base}/o/org-a/")
    assert Session.objects.filter(user=person).count() == 2

    page.reload()
    rows = session_rows(page)
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="This session")).to_have_count(1)
    other = rows.filter(has_not_text="This session")
    expect(other.get_by_role("button", name="Sign out")).to_be_visible()

    page.get_by_role("button", name="Sign out of all other sessions").click()
    page.wait_for_url(f"{base}/account/")
    expect(status_message(page, "signed out")).to_be_visible()
    expect(session_rows(page)).to_have_count(1)
    expect(session_rows(page).first).to_contain_text("This session")
    assert Session.objects.filter(user=person).count() == 1

    # The other browser is back at the sign-in page; this one is still signed in.
    laptop.reload()
    laptop.wait_for_url(f"{base}/login/?next=/o/org-a/")
    expect(main_heading(laptop)).to_have_text("Sign in")
    page.reload()
    expect(main_heading(page)).to_have_text("Account security")


def test_ending_one_other_session_is_told_in_the_singular(live_server, page, cast):
    base, person = live_server.url, cast.a_coordinator
    sign_in(Client(), person)  # signed in elsewhere too
    sign_in_through_ui(page, base, person.email, PASSWORD, totp_now(person))
    page.wait_for_url(f"{base}/o/org-a/")
    open_security_page(page, base)
    expect(session_rows(page)).to_have_count(2)

    page.get_by_role("button", name="Sign out of all other sessions").click()
    message = status_message(page, "signed out")
    expect(message).to_be_visible()
    assert message.inner_text().strip() == "1 other session was signed out."
