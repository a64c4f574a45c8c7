"""Helpers for the fixed test cast (ARCHITECTURE.md section 7): build it, and act as its members.

Organisations A and B each have an admin, a coordinator, two caseworkers (one on the case
team, one not), and a viewer; an outsider belongs nowhere; the platform operator runs the
platform but belongs to no organisation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from salama.accounts.actions import do_create_api_token
from salama.accounts.models import User
from salama.accounts.session_store import SEEN_KEY, STARTED_KEY
from salama.accounts.views import STEP_UP_AT
from salama.core.permissions import Role
from salama.orgs.models import Membership, Organization

PASSWORD = "a long test passphrase 4 the cast"  # noqa: S105  test accounts only
ROLES = {
    "admin": Role.ADMIN,
    "coordinator": Role.COORDINATOR,
    "caseworker_team": Role.CASEWORKER,
    "caseworker_other": Role.CASEWORKER,
    "viewer": Role.VIEWER,
}


@dataclass
class Cast:
    org_a: Organization
    org_b: Organization
    people: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> User:
        try:
            return self.people[name]
        except KeyError:
            raise AttributeError(name) from None

    def membership(self, name: str) -> Membership:
        return Membership.objects.get(user=self.people[name])


def make_person(email: str, name: str, *, operator: bool = False) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, display_name=name, is_platform_operator=operator)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def make_cast() -> Cast:
    org_a = Organization.objects.create(name="Org A", slug="org-a", kind="local_ngo", country="CO", region="americas")
    org_b = Organization.objects.create(name="Org B", slug="org-b", kind="network", country="KE", region="africa")
    result = Cast(org_a, org_b)
    for prefix, org in (("a", org_a), ("b", org_b)):
        for key, role in ROLES.items():
            person = make_person(f"{prefix}-{key}@example.org", f"{prefix.upper()} {key}")
            Membership.objects.create(user=person, organization=org, role=role)
            result.people[f"{prefix}_{key}"] = person
            result.tokens[f"{prefix}_{key}"] = do_create_api_token(person, org, "test", 30)[1]
    result.people["outsider"] = make_person("outsider@example.org", "Outsider")
    result.people["operator"] = make_person("operator@example.org", "Operator", operator=True)
    return result


def sign_in(client: Client, user: User) -> Client:
    """A session as after a real sign-in: password and second factor both verified."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        raise ValueError(f"{user} has no authenticator to sign in with")
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[STARTED_KEY] = session[SEEN_KEY] = session[STEP_UP_AT] = time.time()
    session.save()
    return client


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}
