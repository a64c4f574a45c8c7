"""Organisations as tenants: roles, invitations, the operator, and who sees what."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from salama.accounts.models import User
from salama.core.jobs import work_once
from salama.core.permissions import Role
from salama.orgs.actions import do_invite
from salama.orgs.models import Invitation, Membership, Organization


def test_members_see_the_member_list_and_only_admins_manage_it(cast, as_user):
    page = as_user(cast.a_viewer).get("/o/org-a/members/").content.decode()
    assert cast.a_caseworker_team.email in page
    assert cast.b_admin.email not in page
    assert "Send invitation" not in page
    response = as_user(cast.a_coordinator).post("/o/org-a/invitations/", {"email": "x@example.org", "role": "viewer"})
    assert response.status_code == 403
    assert "Only organisation admins" in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_admin_invites_and_the_link_works_once(cast, as_user):
    admin = as_user(cast.a_admin)
    response = admin.post("/o/org-a/invitations/", {"email": "New.Person@Example.org", "role": "caseworker"})
    assert response.status_code == 200
    invitation = Invitation.objects.get()
    assert invitation.email == "new.person@example.org"
    link = f"/invitations/{invitation.link_token}/"
    assert link in response.content.decode()
    assert work_once() == 1 and link in mail.outbox[0].body
    newcomer = Client()
    assert "Create your account" in newcomer.get(link).content.decode()
    response = newcomer.post(
        link,
        {
            "display_name": "New Person",
            "password1": "a strong passphrase 4 me",
            "password2": "a strong passphrase 4 me",
        },
    )
    assert response["Location"] == "/login/enrol/"
    user = User.objects.get(email="new.person@example.org")
    assert Membership.objects.get(user=user).role == Role.CASEWORKER
    # Nothing is reachable before the second factor is set up.
    assert newcomer.get("/o/org-a/").status_code == 302
    assert Client().get(link).status_code == 404


def test_invitations_expire_and_can_be_withdrawn(cast, as_user):
    invitation = do_invite(cast.membership("a_admin"), "late@example.org", Role.VIEWER)
    link = f"/invitations/{invitation.link_token}/"
    with time_machine.travel(timezone.now() + timedelta(days=settings.INVITATION_DAYS, minutes=1)):
        assert Client().get(link).status_code == 404
    as_user(cast.a_admin).post(f"/o/org-a/invitations/{invitation.pk}/withdraw/")
    assert Client().get(link).status_code == 404


def test_a_forged_or_altered_link_is_refused(cast):
    invitation = do_invite(cast.membership("a_admin"), "someone@example.org", Role.VIEWER)
    token = invitation.link_token
    assert Client().get(f"/invitations/{token}/").status_code == 200
    for bad in (
        token[:-1] + ("0" if token[-1] != "0" else "1"),
        f"{invitation.pk}-",
        "abc",
        f"{invitation.pk + 1}{token[len(str(invitation.pk)) :]}",
    ):
        assert Client().get(f"/invitations/{bad}/").status_code == 404


def test_an_existing_member_accepts_while_signed_in(cast, as_user):
    invitation = do_invite(cast.membership("b_admin"), cast.a_viewer.email, Role.COORDINATOR)
    client = as_user(cast.a_viewer)
    response = client.post(f"/invitations/{invitation.link_token}/")
    assert response["Location"] == "/o/org-b/"
    assert Membership.objects.get(user=cast.a_viewer, organization=cast.org_b).role == Role.COORDINATOR
    # and may now switch between both
    assert client.post("/organisations/switch/", {"organization": "org-a"})["Location"] == "/o/org-a/"
    assert client.post("/organisations/switch/", {"organization": "org-b"})["Location"] == "/o/org-b/"


def test_switching_to_an_organisation_you_do_not_belong_to_is_404(cast, as_user):
    assert as_user(cast.a_admin).post("/organisations/switch/", {"organization": "org-b"}).status_code == 404


def test_roles_change_and_the_last_admin_stays(cast, as_user):
    admin = as_user(cast.a_admin)
    target = cast.membership("a_viewer")
    admin.post(f"/o/org-a/members/{target.pk}/role/", {"role": "coordinator"})
    target.refresh_from_db()
    assert target.role == Role.COORDINATOR
    own = cast.membership("a_admin")
    response = admin.post(f"/o/org-a/members/{own.pk}/role/", {"role": "viewer"}, follow=True)
    own.refresh_from_db()
    assert own.role == Role.ADMIN
    assert "at least one admin" in response.content.decode()
    # another organisation's membership is not found, not changed
    other = cast.membership("b_viewer")
    assert admin.post(f"/o/org-a/members/{other.pk}/role/", {"role": "admin"}).status_code == 404
    other.refresh_from_db()
    assert other.role == Role.VIEWER


def test_removing_a_member_revokes_their_tokens_for_that_organisation(cast, as_user):
    from salama.accounts.models import ApiToken

    target = cast.membership("a_caseworker_other")
    as_user(cast.a_admin).post(f"/o/org-a/members/{target.pk}/remove/")
    assert not Membership.objects.filter(pk=target.pk).exists()
    assert not ApiToken.objects.usable().filter(user=cast.a_caseworker_other).exists()
    assert as_user(cast.a_caseworker_other).get("/o/org-a/").status_code == 404


def test_the_operator_creates_an_organisation_and_cannot_read_it(cast, as_user):
    operator = as_user(cast.operator)
    response = operator.post(
        "/operator/organisations/",
        {
            "name": "Casa de Refugio",
            "slug": "casa-refugio",
            "kind": "local_ngo",
            "country": "MX",
            "region": "americas",
            "languages": ["es"],
            "description": "",
            "first_admin_email": "director@casa.example.org",
        },
    )
    assert response.status_code == 200
    org = Organization.objects.get(slug="casa-refugio")
    invitation = Invitation.objects.get(organization=org)
    assert invitation.role == Role.ADMIN and invitation.email == "director@casa.example.org"
    assert invitation.link_token in response.content.decode()
    assert operator.get("/o/casa-refugio/").status_code == 404
    assert operator.get("/o/org-a/members/").status_code == 404
    assert as_user(cast.a_admin).post("/operator/organisations/", {"name": "x"}).status_code == 403


def test_operator_form_errors_keep_what_was_typed(cast, as_user):
    response = as_user(cast.operator).post(
        "/operator/organisations/", {"name": "Half filled", "slug": "org-a", "kind": "bogus"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="Half filled"' in body
    assert Organization.objects.count() == 2


@pytest.mark.parametrize("role", ["coordinator", "caseworker_team", "viewer"])
def test_only_admins_edit_the_organisation(cast, as_user, role):
    response = as_user(cast.people[f"a_{role}"]).post("/o/org-a/settings/", {"name": "Renamed", "kind": "network"})
    assert response.status_code == 403
    cast.org_a.refresh_from_db()
    assert cast.org_a.name == "Org A"


def test_admin_edits_the_organisation(cast, as_user):
    response = as_user(cast.a_admin).post(
        "/o/org-a/settings/",
        {
            "name": "Org A renamed",
            "kind": "national_ngo",
            "country": "CO",
            "region": "americas",
            "languages": ["es", "en"],
        },
    )
    assert response.status_code == 302
    cast.org_a.refresh_from_db()
    assert cast.org_a.name == "Org A renamed" and cast.org_a.languages == ["es", "en"]
