"""An admin invites someone; the single-use link brings them in once; a viewer cannot invite."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from salama.core.permissions import Role
from salama.core.testing import PASSWORD
from salama.orgs.models import Invitation, Membership

from .conftest import (
    create_account_from_invitation,
    main_heading,
    sign_in_through_ui,
    status_message,
    totp_now,
)

pytestmark = pytest.mark.browser

EMAIL = "new.person@example.org"


def open_members_page(page, base_url):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    page.wait_for_url(f"{base_url}/o/org-a/members/")
    expect(main_heading(page)).to_have_text("Members")


def invite_through_ui(page, base_url, cast, email=EMAIL, role="Caseworker"):
    """Org A's admin signs in and invites someone; returns the path of the link shown."""
    sign_in_through_ui(page, base_url, cast.a_admin.email, PASSWORD, totp_now(cast.a_admin))
    page.wait_for_url(f"{base_url}/o/org-a/")
    open_members_page(page, base_url)

    invite = page.get_by_role("region", name="Invite someone")
    invite.get_by_label("Email address").fill(email)
    invite.get_by_label("Role").select_option(label=role)
    invite.get_by_role("button", name="Send invitation").click()

    notice = status_message(page, "single-use link")
    expect(notice).to_contain_text(f"Invitation sent to {email}")
    link = notice.locator("code#invitation-link").inner_text().strip()
    path = urlsplit(link).path
    assert re.fullmatch(r"/invitations/\d+-[0-9a-f]{64}/", path), link
    return path


def test_an_admin_invites_a_caseworker_and_the_link_opens_the_invitation(live_server, page, fresh_page, cast):
    path = invite_through_ui(page, live_server.url, cast)

    open_invitations = page.get_by_role("region", name="Invite someone").get_by_role("table")
    expect(open_invitations.get_by_role("row").filter(has_text=EMAIL)).to_contain_text("Caseworker")
    invitation = Invitation.objects.get(email=EMAIL)
    assert invitation.organization == cast.org_a and invitation.role == Role.CASEWORKER and invitation.is_open
    assert path == f"/invitations/{invitation.link_token}/"

    stranger = fresh_page()
    stranger.goto(f"{live_server.url}{path}")
    expect(main_heading(stranger)).to_have_text("Join Org A")
    expect(stranger.get_by_role("main")).to_contain_text(f"You are invited as Caseworker, with the address {EMAIL}.")
    expect(stranger.get_by_role("button", name="Create account")).to_be_visible()


def test_the_invitation_link_creates_one_account_and_then_cannot_be_used(live_server, page, fresh_page, cast):
    path = invite_through_ui(page, live_server.url, cast)

    newcomer = fresh_page()
    create_account_from_invitation(newcomer, f"{live_server.url}{path}")
    newcomer.wait_for_url(f"{live_server.url}/login/enrol/")
    expect(main_heading(newcomer)).to_have_text("Set up your second factor")
    membership = Membership.objects.get(user__email=EMAIL)
    assert membership.organization == cast.org_a and membership.role == Role.CASEWORKER

    again = fresh_page()
    response = again.goto(f"{live_server.url}{path}")
    assert response.status == 404
    expect(main_heading(again)).to_have_text("This invitation cannot be used")
    expect(again.get_by_role("button", name="Create account")).to_have_count(0)


def test_an_existing_account_accepts_once_and_the_link_is_then_spent(live_server, page, fresh_page, cast):
    """The same single-use rule, through the path that needs no new password."""
    invited = cast.b_viewer
    path = invite_through_ui(page, live_server.url, cast, email=invited.email, role="Viewer")

    guest = fresh_page()
    guest.goto(f"{live_server.url}{path}")
    expect(main_heading(guest)).to_have_text("Join Org A")
    guest.get_by_role("main").get_by_role("link", name="Sign in").click()
    guest.wait_for_url(f"{live_server.url}/login/?next={path}")
    guest.get_by_label("Email address").fill(invited.email)
    guest.get_by_label("Password").fill(PASSWORD)
    guest.get_by_role("button", name="Continue").click()
    guest.get_by_label("Code").fill(totp_now(invited))
    guest.get_by_role("button", name="Sign in").click()

    guest.wait_for_url(f"{live_server.url}{path}")
    guest.get_by_role("button", name="Accept the invitation").click()
    guest.wait_for_url(f"{live_server.url}/o/org-a/")
    expect(main_heading(guest)).to_have_text("Org A")
    expect(status_message(guest, "Welcome to Org A.")).to_be_visible()
    assert Membership.objects.get(user=invited, organization=cast.org_a).role == Role.VIEWER

    # A second use, by anyone, signed in or not, is refused.
    guest.goto(f"{live_server.url}{path}")
    expect(main_heading(guest)).to_have_text("This invitation cannot be used")
    other = fresh_page()
    response = other.goto(f"{live_server.url}{path}")
    assert response.status == 404
    expect(main_heading(other)).to_have_text("This invitation cannot be used")
    # The admin's list of open invitations no longer has it.
    page.goto(f"{live_server.url}/o/org-a/members/")
    expect(page.get_by_role("region", name="Invite someone")).not_to_contain_text(invited.email)


def test_a_viewer_sees_the_members_but_no_invite_form(live_server, page, cast):
    viewer = cast.a_viewer
    sign_in_through_ui(page, live_server.url, viewer.email, PASSWORD, totp_now(viewer))
    page.wait_for_url(f"{live_server.url}/o/org-a/")
    open_members_page(page, live_server.url)

    members = page.get_by_role("table", name="Members of this organisation")
    for name in ("A admin", "A coordinator", "A caseworker_team", "A caseworker_other", "A viewer"):
        expect(members.get_by_role("row").filter(has_text=name)).to_have_count(1)
    expect(members.get_by_role("row").filter(has_text="A admin")).to_contain_text("Organisation admin")
    expect(members).not_to_contain_text("B admin")

    expect(page.get_by_role("heading", name="Invite someone")).to_have_count(0)
    expect(page.get_by_role("button", name="Send invitation")).to_have_count(0)
    expect(page.get_by_role("button", name="Change role")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove")).to_have_count(0)
    expect(page.get_by_role("main").get_by_role("combobox")).to_have_count(0)
