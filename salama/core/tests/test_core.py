from __future__ import annotations

import io

from django.core.checks import run_checks
from django.core.management import call_command
from django.test import Client

from salama.accounts.models import User
from salama.core.demo import DEMO_PASSWORD
from salama.orgs.models import Membership, Organization


def test_healthz_is_public_json(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response.json()["database"]["ok"] is True


def test_the_demo_network_loads_twice_without_duplicates_and_its_logins_work(db):
    first = io.StringIO()
    call_command("demo", "--no-serve", stdout=first)
    counts = (User.objects.count(), Organization.objects.count(), Membership.objects.count())
    second = io.StringIO()
    call_command("demo", "--no-serve", stdout=second)
    assert (User.objects.count(), Organization.objects.count(), Membership.objects.count()) == counts
    kinds = set(Organization.objects.values_list("kind", flat=True))
    assert {"local_ngo", "network", "international_ngo", "government", "intergovernmental", "donor"} <= kinds
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {"admin", "coordinator", "caseworker", "viewer"}
    # A newcomer signs in with a printed address, the password and a printed backup code.
    lines = second.getvalue().splitlines()
    email = next(line.strip() for line in lines if line.startswith("lucia."))
    code = next(line for line in lines[lines.index(email) :] if "backup codes:" in line).split(":")[1].split()[0]
    assert DEMO_PASSWORD in second.getvalue()
    client = Client()
    assert client.post("/login/", {"username": email, "password": DEMO_PASSWORD})["Location"] == "/login/verify/"
    assert client.post("/login/verify/", {"code": code}).status_code == 302
    assert client.get("/").status_code == 302 and client.get("/o/tierra-digna/").status_code == 200


def test_missing_security_middleware_is_a_system_check_error(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "salama.core.middleware.AccessPolicyMiddleware"]
    errors = [message for message in run_checks() if message.id == "salama.E001"]
    assert len(errors) == 1 and "AccessPolicyMiddleware" in errors[0].msg


def test_oversized_forms_are_413_with_a_page(cast, as_user, settings):
    response = as_user(cast.a_admin).post(
        "/o/org-a/settings/", {"name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)}
    )
    assert response.status_code == 413
    cast.org_a.refresh_from_db()
    assert cast.org_a.name == "Org A"


def test_denials_show_the_reason(cast, as_user):
    response = as_user(cast.a_viewer).get("/o/org-a/settings/")
    assert response.status_code == 403
    assert "Only organisation admins can change the organisation" in response.content.decode()


def test_unknown_addresses_are_a_404_page(cast, as_user):
    response = as_user(cast.a_admin).get("/no/such/page/")
    assert response.status_code == 404
