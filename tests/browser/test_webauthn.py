"""Security keys in a real browser: Chromium's virtual authenticator, driven over DevTools."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from playwright.sync_api import expect
from webauthn.helpers import base64url_to_bytes

from salama.accounts.actions import do_add_webauthn_device
from salama.accounts.models import WebAuthnDevice
from salama.core.testing import PASSWORD

from .conftest import main_heading, sign_in_through_ui, status_message, totp_now

pytestmark = pytest.mark.browser


@pytest.fixture
def key_site(live_server: Any, settings: Any) -> str:
    """Security keys accepted at the live server's own origin (localhost is a secure context)."""
    settings.WEBAUTHN_RP_ID = "localhost"
    settings.WEBAUTHN_ORIGIN = [live_server.url]
    return live_server.url


@pytest.fixture
def authenticator(page: Any) -> tuple[Any, str]:
    """A USB security key plugged into this page's browser; it answers without a touch."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable", {"enableUI": False})
    added = devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": False,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return devtools, added["authenticatorId"]


def csp_violations(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None)
    return seen


def password_step(page: Any, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base_url}/login/verify/")


def test_register_a_security_key_then_sign_in_with_it(key_site, page, cast, authenticator):
    devtools, authenticator_id = authenticator
    violations = csp_violations(page)
    person = cast.a_admin
    sign_in_through_ui(page, key_site, person.email, PASSWORD, totp_now(person))
    page.wait_for_url(f"{key_site}/o/org-a/")

    page.goto(f"{key_site}/account/")
    page.get_by_label("Name for this security key").fill("Blue key")
    page.get_by_role("button", name="Add a security key").click()
    expect(status_message(page, "Security key added.")).to_be_visible()
    expect(page.get_by_role("cell", name="Blue key", exact=True)).to_be_visible()
    stored = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    device = WebAuthnDevice.objects.get(user=person)
    assert [base64.b64decode(c["credentialId"]) for c in stored["credentials"]] == [
        base64url_to_bytes(device.credential_id)
    ]

    page.locator("form.sign-out").get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{key_site}/login/")
    password_step(page, key_site, person.email)
    page.get_by_role("button", name="Use a security key").click()
    page.wait_for_url(f"{key_site}/o/org-a/")
    expect(main_heading(page)).to_have_text("Org A")
    device.refresh_from_db()
    assert device.sign_count >= 1 and device.last_used_at is not None
    assert violations == []


def test_the_explanation_for_browsers_without_javascript_is_hidden(key_site, page, cast):
    do_add_webauthn_device(cast.a_admin, "Blue key", "AAAA", "AAAA", 0)
    password_step(page, key_site, cast.a_admin.email)
    expect(page.get_by_role("button", name="Use a security key")).to_be_visible()
    expect(page.get_by_text("Security keys need JavaScript.")).to_be_hidden()


def test_a_person_without_a_key_is_not_offered_one(key_site, page, cast):
    password_step(page, key_site, cast.a_admin.email)
    expect(page.get_by_label("Code")).to_be_visible()
    expect(page.get_by_role("button", name="Use a security key")).to_have_count(0)


def test_without_javascript_the_key_is_explained_and_codes_still_work(key_site, page_without_js, cast):
    page = page_without_js
    person = cast.a_admin
    do_add_webauthn_device(person, "Blue key", "AAAA", "AAAA", 0)
    password_step(page, key_site, person.email)
    expect(page.get_by_role("button", name="Use a security key")).to_be_hidden()
    expect(page.get_by_text("Security keys need JavaScript.")).to_be_visible()
    page.get_by_label("Code").fill(totp_now(person))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{key_site}/o/org-a/")
