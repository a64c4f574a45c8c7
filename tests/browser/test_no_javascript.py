"""The core path works with JavaScript off, also on a small phone screen."""

import pytest
from playwright.sync_api import expect

from salama.accounts.models import ApiToken
from salama.core.permissions import Role
from salama.core.testing import PASSWORD
from salama.orgs.models import Membership

from .conftest import ARTIFACTS, main_heading, sign_in_through_ui, status_message, totp_now

pytestmark = pytest.mark.browser

TOKEN_NAME = "reporting script"


def assert_page_scripts_are_off(page):
    """The page's own scripts (htmx) never ran; Playwright's probes still work."""
    assert page.evaluate("typeof window.htmx") == "undefined"


def test_the_whole_path_works_without_javascript(live_server, page_without_js, cast):
    page, base = page_without_js, live_server.url
    person = cast.a_coordinator
    Membership.objects.create(user=person, organization=cast.org_b, role=Role.CASEWORKER)

    # Sign in: password, then the code from the authenticator.
    sign_in_through_ui(page, base, person.email, PASSWORD, totp_now(person))
    page.wait_for_url(f"{base}/")
    expect(main_heading(page)).to_have_text("Welcome, A coordinator")
    assert_page_scripts_are_off(page)

    # Switch organisation with the header form.
    banner = page.get_by_role("banner")
    banner.get_by_label("Organisation").select_option(label="Org B")
    banner.get_by_role("button", name="Switch").click()
    page.wait_for_url(f"{base}/o/org-b/")
    expect(main_heading(page)).to_have_text("Org B")

    # The account security page.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Account security").click()
    page.wait_for_url(f"{base}/account/")
    expect(main_heading(page)).to_have_text("Account security")

    # Create an API token for Org B: its secret is shown once.
    tokens = page.get_by_role("region", name="API tokens")
    tokens.get_by_label("Token name").fill(TOKEN_NAME)
    tokens.get_by_label("Organisation").select_option(label="Org B")
    tokens.get_by_label("Valid for (days)").fill("30")
    tokens.get_by_role("button", name="Create token").click()

    tokens = page.get_by_role("region", name="API tokens")
    expect(status_message(page, "Copy it now: it will not be shown again.")).to_be_visible()
    secret = tokens.locator("code#new-token").inner_text().strip()
    token = ApiToken.objects.get(user=person, name=TOKEN_NAME)
    assert token.organization == cast.org_b and token.is_usable
    assert token.token_hash == ApiToken.hash(secret) and secret.startswith(token.hint)
    row = tokens.get_by_role("row").filter(has_text=TOKEN_NAME)
    expect(row).to_contain_text("Org B")
    expect(row).to_contain_text("Active")

    # Shown once: the page opened again lists the token but not its secret.
    page.goto(f"{base}/account/")
    expect(page.get_by_role("region", name="API tokens").get_by_role("row").filter(has_text=TOKEN_NAME)).to_have_count(
        1
    )
    expect(page.get_by_role("main")).not_to_contain_text(secret)

    # Revoke it.
    row = page.get_by_role("region", name="API tokens").get_by_role("row").filter(has_text=TOKEN_NAME)
    row.get_by_role("button", name="Revoke").click()
    page.wait_for_url(f"{base}/account/")
    expect(status_message(page, "Token revoked.")).to_be_visible()
    row = page.get_by_role("region", name="API tokens").get_by_role("row").filter(has_text=TOKEN_NAME)
    expect(row).to_contain_text("Revoked")
    expect(row.get_by_role("button", name="Revoke")).to_have_count(0)
    token.refresh_from_db()
    assert token.revoked_at is not None
    # The cast's own token for Org A is untouched.
    assert ApiToken.objects.get(user=person, name="test").is_usable

    # Sign out: a POST form button in the header.
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/login/")
    expect(main_heading(page)).to_have_text("Sign in")
    expect(status_message(page, "You have signed out.")).to_be_visible()
    page.goto(f"{base}/account/")
    page.wait_for_url(f"{base}/login/?next=/account/")
    expect(main_heading(page)).to_have_text("Sign in")


def test_sign_in_on_a_phone_without_javascript(live_server, phone_page_without_js, cast):
    page, base = phone_page_without_js, live_server.url
    page.goto(f"{base}/login/")
    expect(main_heading(page)).to_have_text("Sign in")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "phone_sign_in_page.png"), full_page=True)

    assert_page_scripts_are_off(page)
    width = page.viewport_size["width"]
    # Playwright's own evaluation works even with the page's scripts off.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    form_controls = [
        page.get_by_label("Email address"),
        page.get_by_label("Password"),
        page.get_by_role("button", name="Continue"),
        page.get_by_label("Language"),
        page.get_by_role("button", name="Change language"),
    ]
    for control in [*form_controls, page.get_by_role("link", name="Forgot your password?")]:
        expect(control).to_be_visible()
        expect(control).to_be_enabled()
        box = control.bounding_box()
        assert box is not None
        # Within the 360 px screen: nothing to scroll sideways for.
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (control, box)
    for control in form_controls:
        assert control.bounding_box()["height"] >= 24, control  # big enough to tap (WCAG 2.5.8)

    page.get_by_label("Email address").fill(cast.a_admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/login/verify/")
    code = page.get_by_label("Code")
    expect(code).to_be_visible()
    code_box = code.bounding_box()
    assert code_box["x"] + code_box["width"] <= width
    code.fill(totp_now(cast.a_admin))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/o/org-a/")
    expect(main_heading(page)).to_have_text("Org A")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
