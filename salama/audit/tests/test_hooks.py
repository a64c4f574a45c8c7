"""The existing actions and the sign-in signals write the right entries, and never a secret."""

from __future__ import annotations

import base64
import json
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from salama.accounts.actions import do_set_password_by_reset
from salama.accounts.models import ApiToken, Session
from salama.audit.models import AuditEntry
from salama.audit.verify import verify_chain
from salama.core import jobs
from salama.core.testing import PASSWORD, bearer, sign_in
from salama.orgs.actions import do_invite
from salama.orgs.models import Invitation, Membership, Organization

NEW_PASSWORD = "an entirely new passphrase 2027"
SENSITIVE_DESCRIPTION = "We shelter Ana Ruiz at the safe house on Calle 9"


def last(action: str) -> AuditEntry:
    entry = AuditEntry.objects.filter(action=action).order_by("-sequence").first()
    assert entry is not None, f"no {action} entry"
    return entry


def code_for(user) -> str:  # type: ignore[no-untyped-def]
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def code_from_page(html: str) -> tuple[str, str]:
    secret = re.search(r'class="secret" translate="no">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return secret, f"{TOTP(key).token():06d}"


def test_inviting_withdrawing_and_accepting_are_recorded(cast, as_user):
    admin = as_user(cast.a_admin)
    admin.post("/o/org-a/invitations/", {"email": "New.Person@example.org", "role": "caseworker"})
    invitation = Invitation.objects.get(email="new.person@example.org")
    entry = last("member.invited")
    assert (entry.actor, entry.actor_label, entry.organization, entry.organization_pk) == (
        cast.a_admin,
        cast.a_admin.email,
        cast.org_a,
        cast.org_a.pk,
    )
    assert (entry.target_type, entry.target_id, entry.channel) == ("invitation", str(invitation.pk), "web")
    assert entry.changes == {
        "email": {"old": None, "new": "new.person@example.org"},
        "role": {"old": None, "new": "caseworker"},
    }
    # Inviting the same address again withdraws the first invitation, and says so.
    admin.post("/o/org-a/invitations/", {"email": "new.person@example.org", "role": "viewer"})
    superseded = last("member.invitation_revoked")
    assert superseded.target_id == str(invitation.pk) and superseded.changes["reason"]["new"] == "superseded"
    second = Invitation.objects.open().get(email="new.person@example.org")
    admin.post(f"/o/org-a/invitations/{second.pk}/withdraw/")
    assert last("member.invitation_revoked").target_id == str(second.pk)
    admin.post(f"/o/org-a/invitations/{second.pk}/withdraw/")  # again: nothing changes, nothing recorded
    assert AuditEntry.objects.filter(action="member.invitation_revoked").count() == 2
    # An existing account accepts while signed in.
    invitation = do_invite(cast.membership("b_admin"), cast.a_viewer.email, "coordinator")
    as_user(cast.a_viewer).post(f"/invitations/{invitation.link_token}/")
    accepted = last("member.invitation_accepted")
    assert (accepted.actor, accepted.organization, accepted.target_id) == (
        cast.a_viewer,
        cast.org_b,
        str(invitation.pk),
    )
    assert accepted.changes["role"]["new"] == "coordinator"


def test_role_changes_and_removals_through_the_api_are_recorded_as_api(cast):
    client = Client()
    target = cast.membership("a_caseworker_other")
    url = f"/api/v1/organizations/org-a/memberships/{target.pk}"
    response = client.patch(
        url, data='{"role": "coordinator"}', content_type="application/json", **bearer(cast.tokens["a_admin"])
    )
    assert response.status_code == 200
    entry = last("member.role_changed")
    assert (entry.actor, entry.organization, entry.channel) == (cast.a_admin, cast.org_a, "api")
    assert (entry.target_type, entry.target_id) == ("account", cast.a_caseworker_other.email)
    assert entry.changes == {"role": {"old": "caseworker", "new": "coordinator"}}
    assert client.delete(url, **bearer(cast.tokens["a_admin"])).status_code == 204
    removed = last("member.removed")
    assert (removed.actor, removed.organization, removed.target_id) == (
        cast.a_admin,
        cast.org_a,
        cast.a_caseworker_other.email,
    )
    assert removed.changes == {
        "role": {"old": "coordinator", "new": None},
        "api_tokens_revoked": {"old": None, "new": 1},
    }


def test_organisations_created_and_changed_are_recorded_without_free_text(cast, as_user):
    as_user(cast.operator).post(
        "/operator/organisations/",
        {
            "name": "Org C",
            "slug": "org-c",
            "kind": "local_ngo",
            "country": "MX",
            "description": SENSITIVE_DESCRIPTION,
            "first_admin_email": "first.admin@example.org",
        },
    )
    org_c = Organization.objects.get(slug="org-c")
    entry = last("organization.created")
    assert (entry.actor, entry.organization, entry.target_id) == (cast.operator, org_c, str(org_c.pk))
    assert entry.changes["name"] == {"old": None, "new": "Org C"}
    assert entry.changes["country"] == {"old": None, "new": "MX"}
    assert entry.changes["description"] == {}
    invited = last("member.invited")
    assert (invited.actor, invited.organization) == (cast.operator, org_c)
    assert invited.changes["role"]["new"] == "admin"

    response = as_user(cast.a_admin).post(
        "/o/org-a/settings/",
        {"name": "Org A renamed", "kind": "local_ngo", "country": "CO", "region": "americas", "description": "x"},
    )
    assert response.status_code == 302
    updated = last("organization.updated")
    assert (updated.actor, updated.organization) == (cast.a_admin, cast.org_a)
    # Only what changed; the description by name only.
    assert updated.changes == {"name": {"old": "Org A", "new": "Org A renamed"}, "description": {}}
    assert SENSITIVE_DESCRIPTION not in json.dumps(list(AuditEntry.objects.values_list("changes", flat=True)))


def test_api_tokens_created_and_revoked_are_recorded(cast, as_user):
    client = as_user(cast.a_coordinator)
    response = client.post("/account/tokens/", {"name": "reporting script", "organization": "org-a", "days": 30})
    token = ApiToken.objects.get(name="reporting script")
    secret = re.search(r"slm_[A-Za-z0-9_-]+", response.content.decode()).group(0)
    entry = last("token.created")
    assert (entry.actor, entry.organization, entry.target_type, entry.target_id, entry.channel) == (
        cast.a_coordinator,
        cast.org_a,
        "api_token",
        str(token.pk),
        "web",
    )
    assert set(entry.changes) == {"name", "expires_at"} and entry.changes["name"]["new"] == "reporting script"
    client.post(f"/account/tokens/{token.pk}/revoke/")
    revoked = last("token.revoked")
    assert (revoked.actor, revoked.organization, revoked.target_id) == (cast.a_coordinator, cast.org_a, str(token.pk))
    client.post(f"/account/tokens/{token.pk}/revoke/")  # already revoked: nothing more
    assert AuditEntry.objects.filter(action="token.revoked").count() == 1
    assert secret not in json.dumps(list(AuditEntry.objects.values()), default=str)


def test_the_token_command_is_recorded_as_the_command_line(cast):
    call_command("token", "create", "--user", cast.b_viewer.email, "--name", "from the shell", stdout=None)
    entry = last("token.created")
    assert (entry.actor, entry.organization, entry.channel) == (cast.b_viewer, cast.org_b, "cli")


def test_account_security_changes_are_recorded_for_the_platform_not_an_organisation(cast, as_user):
    client, other = as_user(cast.a_admin), as_user(cast.a_admin)
    response = client.post(
        "/account/password/", {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    changed = last("password.changed")
    assert (changed.actor, changed.organization, changed.target_id) == (cast.a_admin, None, cast.a_admin.email)
    assert changed.changes == {"password": {}, "sessions_ended": {"old": None, "new": 1}}

    page = client.get("/account/authenticators/add/").content.decode()
    _secret, code = code_from_page(page)
    client.post("/account/authenticators/add/", {"code": code, "name": "Spare phone"})
    spare = TOTPDevice.objects.get(user=cast.a_admin, name="Spare phone")
    added = last("second_factor.added")
    assert (added.actor, added.target_type, added.target_id) == (cast.a_admin, "second_factor", spare.persistent_id)
    assert added.changes == {"kind": {"old": None, "new": "totp"}, "name": {}}
    client.post(f"/account/devices/totp/{spare.pk}/remove/")
    assert last("second_factor.removed").target_id == spare.persistent_id

    client.post("/account/backup-codes/")
    assert last("backup_codes.regenerated").changes == {"count": {"old": None, "new": 10}}

    other = sign_in(Client(), cast.a_admin)
    handle = Session.objects.get(session_key=other.session.session_key).handle
    client.post(f"/account/sessions/{handle}/end/")
    assert last("session.ended").actor == cast.a_admin
    sign_in(Client(), cast.a_admin)
    client.post("/account/sessions/end-others/")
    assert last("session.others_ended").changes == {"sessions_ended": {"old": None, "new": 1}}

    do_set_password_by_reset(cast.a_admin, "yet another passphrase 2028")
    reset = last("password.reset")
    assert (reset.actor, reset.organization) == (cast.a_admin, None)
    assert reset.changes["api_tokens_revoked"] == {"old": None, "new": 1}
    assert set(
        AuditEntry.objects.filter(actor=cast.a_admin, organization__isnull=True).values_list("action", flat=True)
    ) >= {
        "password.changed",
        "second_factor.added",
        "second_factor.removed",
        "backup_codes.regenerated",
        "session.ended",
        "session.others_ended",
        "password.reset",
        "signin.succeeded",
    }


def test_sign_ins_and_failed_sign_ins_are_recorded_without_what_was_typed(cast):
    client = Client()
    client.post("/login/", {"username": cast.a_viewer.email.upper(), "password": "wrong password here"})
    failed = last("signin.failed")
    assert (failed.actor, failed.organization, failed.target_type, failed.target_id) == (
        None,
        None,
        "account",
        cast.a_viewer.email,
    )
    assert failed.changes == {"step": {"old": None, "new": "password"}}
    # An address with no account (perhaps a password typed in the wrong box): "unknown", not the text.
    typed = "my-Secret-passphrase@typed-in-the-wrong-box.org"
    client.post("/login/", {"username": typed, "password": PASSWORD})
    unknown = last("signin.failed")
    assert (unknown.target_type, unknown.target_id) == ("account", "unknown")
    assert typed.lower() not in json.dumps(list(AuditEntry.objects.values()), default=str).lower()
    # The password alone is not a sign-in; the second factor completes it.
    client.post("/login/", {"username": cast.a_viewer.email, "password": PASSWORD})
    assert not AuditEntry.objects.filter(action="signin.succeeded").exists()
    client.post("/login/verify/", {"code": code_for(cast.a_viewer)})
    succeeded = last("signin.succeeded")
    assert (succeeded.actor, succeeded.target_id, succeeded.channel) == (cast.a_viewer, cast.a_viewer.email, "web")
    # A wrong second factor (after the right one: a wrong code pauses the device for a moment).
    again = Client()
    again.post("/login/", {"username": cast.a_viewer.email, "password": PASSWORD})
    again.post("/login/verify/", {"code": "000000" if code_for(cast.a_viewer) != "000000" else "111111"})
    failed = last("signin.failed")
    assert (failed.target_id, failed.changes) == (cast.a_viewer.email, {"step": {"old": None, "new": "second_factor"}})


def test_entries_written_by_a_background_job_say_worker(db, monkeypatch):
    from salama.audit.actions import record

    monkeypatch.setitem(jobs.HANDLERS, "test.audit", lambda payload: record("password.changed"))
    jobs.enqueue("test.audit")
    assert jobs.work_once() == 1
    assert last("password.changed").channel == "worker"


@pytest.mark.parametrize("step", ["scenario"])
def test_no_secret_ever_reaches_the_audit_log(cast, as_user, step):
    """A full scenario with every kind of secret Salama handles, then a scan of every entry."""
    secrets: list[str] = [PASSWORD, NEW_PASSWORD, *cast.tokens.values()]
    secrets += [device.key for device in TOTPDevice.objects.all()]
    admin = as_user(cast.a_admin)
    # Invitations: the link is a credential.
    admin.post("/o/org-a/invitations/", {"email": "joiner@example.org", "role": "viewer"})
    invitation = Invitation.objects.get(email="joiner@example.org")
    secrets += [invitation.link_token, invitation.salt]
    newcomer = Client()
    newcomer.post(
        f"/invitations/{invitation.link_token}/",
        {"display_name": "Joiner", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    # Enrolment: the authenticator secret and backup codes.
    page = newcomer.get("/login/enrol/").content.decode()
    secret, code = code_from_page(page)
    secrets += [secret, code]
    done = newcomer.post("/login/enrol/", {"code": code, "name": "phone"})
    secrets += re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
    assert Membership.objects.filter(user__email="joiner@example.org").exists()
    # API tokens, backup codes, a password change, a reset link.
    response = admin.post("/account/tokens/", {"name": "t", "organization": "org-a", "days": 5})
    secrets.append(re.search(r"slm_[A-Za-z0-9_-]+", response.content.decode()).group(0))
    codes = admin.post("/account/backup-codes/").content.decode()
    secrets += re.findall(r"<code>([a-z2-7]+)</code>", codes)
    secrets += list(StaticToken.objects.values_list("token", flat=True))
    admin.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "third passphrase 4 you",
            "new_password2": "third passphrase 4 you",
        },
    )
    secrets.append("third passphrase 4 you")
    Client().post("/password-reset/", {"email": cast.b_admin.email})
    jobs.work_once()
    reset_link = re.search(r"https?://\S+/password-reset/\S+/", mail.outbox[-1].body).group(0)
    secrets.append(reset_link.rstrip("/").rsplit("/", 1)[-1])
    # Failed sign-ins with a password typed where the address goes.
    Client().post("/login/", {"username": "typed-Passphrase@in-address-box.org", "password": "x"})
    secrets.append("typed-Passphrase@in-address-box.org")
    Client().post("/login/", {"username": cast.a_viewer.email, "password": "Wrong-Passphrase-Attempt"})
    secrets.append("Wrong-Passphrase-Attempt")

    assert verify_chain().ok
    everything = json.dumps(list(AuditEntry.objects.values()), default=str).lower()
    assert AuditEntry.objects.count() > 15
    leaked = [s for s in secrets if s and s.lower() in everything]
    assert leaked == []
