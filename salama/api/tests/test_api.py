"""The API: bearer tokens only, one error format, pagination, and tokens from the command line."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from salama.accounts.actions import do_revoke_api_token
from salama.accounts.models import ApiToken
from salama.core.testing import bearer, make_person
from salama.orgs.models import Membership


def get(token: str, path: str) -> tuple[int, dict]:
    response = Client().get(f"/api/v1{path}", **bearer(token))
    return response.status_code, response.json()


def test_the_document_is_openapi_3_1(client, db):
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/me" in spec["paths"]


def test_me_answers_for_the_token(cast):
    status, body = get(cast.tokens["a_coordinator"], "/me")
    assert status == 200
    assert body["email"] == cast.a_coordinator.email and body["organization"] == "org-a"
    assert body["memberships"] == [{"organization": "org-a", "organization_name": "Org A", "role": "coordinator"}]


def test_session_cookies_are_never_accepted(cast, as_user):
    response = as_user(cast.a_admin).get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response["WWW-Authenticate"] == "Bearer"


def test_wrong_expired_and_revoked_tokens_are_refused(cast):
    token = cast.tokens["a_admin"]
    assert get(token, "/me")[0] == 200
    assert get(token[:-2] + "xx", "/me")[0] == 401
    assert get("not-even-a-token", "/me")[0] == 401
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert get(token, "/me")[0] == 401
    do_revoke_api_token(cast.a_admin, ApiToken.objects.get(user=cast.a_admin).pk)
    assert get(token, "/me")[0] == 401


def test_tokens_are_stored_as_digests_only(cast):
    token = cast.tokens["a_admin"]
    stored = ApiToken.objects.get(user=cast.a_admin)
    assert token not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert stored.token_hash == ApiToken.hash(token)


def test_a_token_sees_only_its_organisation(cast):
    status, body = get(cast.tokens["a_admin"], "/organizations/org-b/memberships")
    assert status == 404 and body == {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}
    assert get(cast.tokens["a_admin"], "/organizations")[1][0]["slug"] == "org-a"


def test_lists_are_paginated_with_count_and_next(cast):
    for number in range(7):
        person = make_person(f"extra{number}@example.org", f"Extra {number}")
        Membership.objects.create(user=person, organization=cast.org_a, role="viewer")
    status, first = get(cast.tokens["a_viewer"], "/organizations/org-a/memberships?page_size=5")
    assert status == 200 and first["count"] == 12 and len(first["items"]) == 5
    assert "/api/v1/organizations/org-a/memberships?" in first["next"] and "page=2" in first["next"]
    status, last = get(cast.tokens["a_viewer"], "/organizations/org-a/memberships?page=3&page_size=5")
    assert len(last["items"]) == 2 and last["next"] is None
    names = {item["email"] for page in (first, last) for item in page["items"]}
    assert not any(email.startswith("b-") for email in names)


@pytest.mark.parametrize("query", ["page=0", "page_size=100000", "page=abc"])
def test_bad_pagination_gets_field_errors(cast, query):
    status, body = get(cast.tokens["a_viewer"], f"/organizations/org-a/memberships?{query}")
    assert status == 400
    assert body["error"]["code"] == "invalid" and body["error"]["fields"]


def test_bad_payloads_get_field_errors_and_change_nothing(cast):
    target = cast.membership("a_viewer")
    client = Client()
    url = f"/api/v1/organizations/org-a/memberships/{target.pk}"
    response = client.patch(url, {"role": "boss"}, content_type="application/json", **bearer(cast.tokens["a_admin"]))
    assert response.status_code == 400
    assert "role" in response.json()["error"]["fields"]
    response = client.patch(url, "{not json", content_type="application/json", **bearer(cast.tokens["a_admin"]))
    assert response.status_code == 400
    target.refresh_from_db()
    assert target.role == "viewer"


def test_refusals_from_actions_are_400_with_the_reason(cast):
    own = cast.membership("a_admin")
    response = Client().patch(
        f"/api/v1/organizations/org-a/memberships/{own.pk}",
        {"role": "viewer"},
        content_type="application/json",
        **bearer(cast.tokens["a_admin"]),
    )
    assert response.status_code == 400
    assert "at least one admin" in json.dumps(response.json())


def test_denials_carry_the_reason(cast):
    response = Client().post(
        "/api/v1/organizations/org-a/invitations",
        {"email": "x@example.org", "role": "viewer"},
        content_type="application/json",
        **bearer(cast.tokens["a_caseworker_team"]),
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Only organisation admins can invite members or change roles."


def test_unknown_ids_are_404(cast):
    assert get(cast.tokens["a_admin"], "/organizations/org-a/memberships/999999")[0] == 404
    assert Client().get("/api/v1/nothing-here", **bearer(cast.tokens["a_admin"])).status_code == 404


def test_oversized_bodies_are_413(cast, settings):
    body = json.dumps(
        {"email": "a@example.org", "role": "viewer", "padding": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}
    )
    response = Client().post(
        "/api/v1/organizations/org-a/invitations",
        body,
        content_type="application/json",
        **bearer(cast.tokens["a_admin"]),
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_token_create_command_prints_the_token_last(cast):
    out = io.StringIO()
    Membership.objects.create(user=cast.outsider, organization=cast.org_b, role="viewer")
    call_command("token", "create", "--user", cast.outsider.email.upper(), "--days", "7", stdout=out)
    secret = out.getvalue().strip().splitlines()[-1]
    status, body = get(secret, "/me")
    assert status == 200 and body["organization"] == "org-b"
    Membership.objects.create(user=cast.outsider, organization=cast.org_a, role="viewer")
    with pytest.raises(CommandError, match="--org"):
        call_command("token", "create", "--user", cast.outsider.email, stdout=io.StringIO())
    with pytest.raises(CommandError, match="1 to"):
        call_command(
            "token", "create", "--user", cast.outsider.email, "--org", "org-a", "--days", "0", stdout=io.StringIO()
        )


def test_tokens_are_created_and_revoked_in_the_ui(cast, as_user):
    client = as_user(cast.a_viewer)
    response = client.post("/account/tokens/", {"name": "reporting", "organization": "org-a", "days": 30})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=cast.a_viewer, name="reporting")
    secret = response.content.decode().split('id="new-token" translate="no">')[1].split("<")[0]
    assert ApiToken.hash(secret) == token.token_hash
    assert client.get("/account/").content.decode().count(secret) == 0  # shown once
    refused = client.post("/account/tokens/", {"name": "x", "organization": "org-b", "days": 30})
    assert refused.status_code == 400
    client.post(f"/account/tokens/{token.pk}/revoke/")
    assert get(secret, "/me")[0] == 401
