"""A new person creates their account from an invitation and sets up their second factor."""

import re

import pytest
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from salama.accounts.actions import do_create_user
from salama.accounts.models import User
from salama.core.permissions import Role
from salama.orgs.actions import do_accept_invitation, do_invite
from salama.orgs.models import Membership

from .conftest import (
    NEW_PASSWORD,
    create_account_from_invitation,
    main_heading,
    totp_from_shown_key,
)

pytestmark = pytest.mark.browser

EMAIL = "new.person@example.org"


def shown_key(page):
    key = page.get_by_role("main").locator("code.secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})*", key), key
    return key


def enrol_through_ui(page, base_url):
    """Type the key shown into an 'authenticator', confirm, keep the backup codes."""
    page.wait_for_url(f"{base_url}/login/enrol/")
    expect(main_heading(page)).to_have_text("Set up your second factor")
    expect(page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()

    page.get_by_label("Code from the app").fill(totp_from_shown_key(shown_key(page)))
    page.get_by_label("Name for this authenticator").fill("my phone")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Confirm").click()
    assert answer.value.status == 200, f"confirming the authenticator answered {answer.value.status}"

    expect(main_heading(page)).to_have_text("Your backup codes")
    codes = page.get_by_role("main").get_by_role("listitem")
    expect(codes).to_have_count(10)
    shown_codes = {text.strip() for text in codes.all_inner_texts()}
    assert len(shown_codes) == 10

    page.get_by_role("link", name="I have kept them safe, continue").click()
    page.wait_for_url(f"{base_url}/o/org-a/")
    expect(main_heading(page)).to_have_text("Org A")
    return shown_codes


def assert_enrolled(user, shown_codes):
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed and device.name == "my phone"
    assert {t.token for t in StaticToken.objects.filter(device__user=user)} == shown_codes


def test_invited_person_creates_account_sets_up_totp_and_lands_in_the_organisation(live_server, page, cast):
    invitation = do_invite(cast.membership("a_admin"), EMAIL, Role.COORDINATOR)

    create_account_from_invitation(page, f"{live_server.url}/invitations/{invitation.link_token}/")
    shown_codes = enrol_through_ui(page, live_server.url)
    expect(page.get_by_role("main")).to_contain_text("Your role: Coordinator")

    user = User.objects.get(email=EMAIL)
    assert user.display_name == "Nadia Okafor" and user.check_password(NEW_PASSWORD)
    assert Membership.objects.get(user=user, organization=cast.org_a).role == Role.COORDINATOR
    assert not Membership.objects.filter(user=user, organization=cast.org_b).exists()
    assert_enrolled(user, shown_codes)
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and not invitation.is_open


def new_member_without_second_factor(cast, role=Role.COORDINATOR):
    """An invited person whose account exists but who never finished setting up a second factor."""
    invitation = do_invite(cast.membership("a_admin"), EMAIL, role)
    user = do_create_user(EMAIL, "Nadia Okafor", NEW_PASSWORD)
    do_accept_invitation(user, invitation)
    return user


def sign_in_with_password_only(page, base_url):
    page.goto(f"{base_url}/login/")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base_url}/login/enrol/")


def test_a_member_without_second_factor_sets_it_up_at_sign_in_and_lands_in_the_organisation(live_server, page, cast):
    user = new_member_without_second_factor(cast)

    sign_in_with_password_only(page, live_server.url)
    shown_codes = enrol_through_ui(page, live_server.url)

    expect(page.get_by_role("main")).to_contain_text("Your role: Coordinator")
    assert Membership.objects.get(user=user, organization=cast.org_a).role == Role.COORDINATOR
    assert_enrolled(user, shown_codes)


def a_wrong_code(shown):
    near = {totp_from_shown_key(shown, offset) for offset in range(-3, 4)}
    return next(code for code in ("123456", "234567", "345678", "456789", "567890") if code not in near)


def test_a_wrong_code_on_enrolment_shows_the_field_error_and_confirms_nothing(live_server, page, cast):
    user = new_member_without_second_factor(cast)
    sign_in_with_password_only(page, live_server.url)
    key = shown_key(page)

    code_field = page.get_by_label("Code from the app")
    code_field.fill(a_wrong_code(key))
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("main")).to_contain_text("That code did not work.")
    expect(main_heading(page)).to_have_text("Set up your second factor")
    assert page.url == f"{live_server.url}/login/enrol/"
    # A screen reader announces the field as invalid, with the error read out on focus.
    expect(code_field).to_have_attribute("aria-invalid", "true")
    expect(code_field).to_have_accessible_description(re.compile("That code did not work."))
    # The same key is offered again, so the person can simply try the newest code.
    assert shown_key(page) == key

    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticToken.objects.filter(device__user=user).exists()
    # Not signed in: the organisation's page sends the person back to the sign-in page.
    page.goto(f"{live_server.url}/o/org-a/")
    expect(main_heading(page)).to_have_text("Sign in")
    assert page.url.startswith(f"{live_server.url}/login/")
