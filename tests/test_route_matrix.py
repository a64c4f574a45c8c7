"""The route x role matrix: every route of the UI and the API, as every member of the cast.

Routes come from the URL resolver and the OpenAPI document, never from a hand-written list, so
a new route without a declared policy fails here. The expected outcome of each cell follows
from the declared policy and the roles' permissions; the observed one from a real request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pytest
from django.db import transaction
from django.test import Client
from django.urls import include, path

from salama.api.policies import API_POLICIES
from salama.core.permissions import LEADS, PERMISSIONS, ROUTE_POLICIES, TEAM_ONLY_ROLES, Policy
from salama.core.testing import ROLES, bearer, sign_in
from salama.delivery.tests.mailbox_fixtures import demo_mailbox, send_sample_mail  # noqa: F401  fixture

from .routes import (
    CASE_TEAM,
    GRANT_STATES,
    PARTNER_SPACE,
    SAMPLES,
    WARNING_SUBSCRIPTION_OWNER,
    set_grant_state,
    web_routes,
)

# URL parameters that name a record behind the sample case's need to know.
NEED_TO_KNOW_PARAMS = frozenset(
    {"case_id", "evidence_id", "incident_id", "defender_id", "consent_id", "contact_id", "schedule_id", "emergency_id"}
)
# Risk assessments and protection plans hang off the sample defender: the same need to know.
NEED_TO_KNOW_PARAMS |= {"assessment_id", "plan_id", "measure_id"}
# Responses and their steps hang off the sample case.
NEED_TO_KNOW_PARAMS |= {"response_id", "step_id"}
# Referrals hang off the sample case.
NEED_TO_KNOW_PARAMS |= {"referral_id"}
# The sample early-warning flag is an escalation of the sample defender.
NEED_TO_KNOW_PARAMS |= {"warning_flag_id"}
# URL parameters that name one person's own record: to everyone else it does not exist.
OWNED_PARAMS = {"warning_subscription_id": WARNING_SUBSCRIPTION_OWNER}
ACTORS = [None, *(f"{org}_{role}" for org in "ab" for role in ROLES), "outsider", "operator"]


def expected(
    policy: Policy,
    actor: str | None,
    params: Iterable[str] = (),
    partner: bool = False,
    grant: str = "active",
    demo: bool = False,
) -> str:
    if policy.kind == "demo":  # outside demo mode the route does not exist, even signed out
        if not demo:
            return "not_found"
        return "login" if actor is None else "allowed"
    if policy.kind == "public":
        return "allowed"
    if actor is None:
        return "login"
    if policy.kind == "signed_in":
        return "allowed"
    if policy.kind == "operator":
        return "allowed" if actor == "operator" else "forbidden"
    if partner:
        return _expected_partner(policy, actor, set(params), grant)
    if not actor.startswith("a_"):  # the sample organisation is A: everyone else is a stranger
        return "not_found"
    role = ROLES[actor.removeprefix("a_")]
    # Need to know hides the sample case from team-only roles not on its team; the role check
    # comes first, so a role without the permission is still refused outright.
    if role not in PERMISSIONS[policy.permission].roles:
        return "forbidden"
    # Evidence and incidents hang off the sample case, so they inherit the case's need to know;
    # the sample defender is on that case, and was recorded by an admin.
    if NEED_TO_KNOW_PARAMS & set(params) and role in TEAM_ONLY_ROLES and actor not in CASE_TEAM:
        return "not_found"
    if any(OWNED_PARAMS[param] != actor for param in OWNED_PARAMS.keys() & set(params)):
        return "not_found"
    return "allowed"


def _expected_partner(policy: Policy, actor: str, params: Iterable[str], grant: str) -> str:
    """B's own URL space: the sample grant from A to B names no recipients, so it reaches B's
    admins and coordinators, and only while it is active; to everyone else the case is absent."""
    if not actor.startswith("b_"):
        return "not_found"
    role = ROLES[actor.removeprefix("b_")]
    if role not in PERMISSIONS[policy.permission].roles:
        return "forbidden"
    if "case_id" not in params:  # a list, filtered down to what the member may see
        return "allowed"
    return "allowed" if grant == "active" and role in LEADS else "not_found"


def observed(response) -> str:  # type: ignore[no-untyped-def]
    if response.status_code == 302 and response["Location"].startswith("/login/?next="):
        return "login"
    return {403: "forbidden", 404: "not_found", 401: "login"}.get(response.status_code, "allowed")


def test_every_web_route_has_a_policy_and_every_policy_a_route():
    names = {route.name for route in web_routes()}
    assert sorted(names - ROUTE_POLICIES.keys()) == [], "routes without a policy in ROUTE_POLICIES"
    assert sorted(ROUTE_POLICIES.keys() - names) == [], "policies for routes that do not exist"


@pytest.mark.parametrize("route", web_routes(), ids=lambda route: route.name)
def test_web_route_matrix(route, cast):
    from .routes import url_for

    url = url_for(route, cast)
    assert _web_mismatches(route, url, cast) == {}, f"{route.name} ({url}): observed != expected"


@pytest.mark.parametrize(
    "route", [r for r in web_routes() if ROUTE_POLICIES[r.name].kind == "demo"], ids=lambda route: route.name
)
@pytest.mark.usefixtures("demo_mailbox")
def test_demo_route_matrix_in_demo_mode(route, cast):
    """The same routes while Salama runs as the demo: any signed-in account, nobody else."""
    from .routes import url_for

    send_sample_mail()
    url = url_for(route, cast)
    assert _web_mismatches(route, url, cast, demo=True) == {}, f"{route.name} ({url}): observed != expected"


def _web_mismatches(route, url: str, cast, demo: bool = False) -> dict:  # type: ignore[no-untyped-def]
    policy = ROUTE_POLICIES[route.name]
    results = {}
    for actor in ACTORS:
        client = Client()
        if actor:
            sign_in(client, cast.people[actor])
        # GET reaches the access check even on POST-only routes (which then answer 405), so the
        # matrix changes nothing.
        response = client.get(url)
        results[actor] = (observed(response), expected(policy, actor, route.params, route.partner, demo=demo))
    return {actor: pair for actor, pair in results.items() if pair[0] != pair[1]}


def _api_operations(client: Client) -> list[tuple[str, str, str]]:
    spec = client.get("/api/v1/openapi.json").json()
    return [
        (method.upper(), route, operation["operationId"])
        for route, methods in spec["paths"].items()
        for method, operation in methods.items()
    ]


def test_every_api_operation_has_a_policy(db):
    operations = {operation_id for _method, _path, operation_id in _api_operations(Client())}
    assert sorted(operations - API_POLICIES.keys()) == []
    assert sorted(API_POLICIES.keys() - operations) == []


# Bodies for the API's write operations; a new write operation fails until it has one.
API_BODIES = {
    "update_membership": {"role": "caseworker"},
    "create_invitation": {"email": "someone.new@example.org", "role": "viewer"},
    "create_defender": {"public_name": "New defender", "phone": "+254 700 000 000"},
    "update_defender": {"region": "Cauca"},
    "reveal_defender": {"fields": ["phone"]},
    "create_consent": {"scope": "named_publicly", "given_on": "2024-06-01"},
    "withdraw_consent": {"withdrawn_on": "2024-07-01"},
    "create_case": {"title": "New case"},  # no defender: 400 for an allowed caller, past the gate
    "update_case": {"priority": "high"},
    "change_case_status": {"status": "active"},
    "add_case_team_member": {"user": 0},  # ids differ per run; a 400 still proves the gate let it in
    "add_case_note": {"text": "A sample note"},
    "reveal_case": {"fields": ["summary"]},
    "create_incident": {"title": "New", "date_start": "2024-06-01", "acts": [{"violation": "death-threats"}]},
    "update_incident": {"place": "Popayán"},
    "reveal_incident": {"fields": ["narrative"]},
    "upload_evidence": {"title": "x"},  # JSON, not multipart: 400 for an allowed caller, past the gate
    # an expiry in the past: 400 for an allowed caller, past the gate, whatever day the suite runs
    "create_subscriber": {"display_name": "New subscriber", "languages": ["en"]},
    "update_subscriber": {"countries": ["CO"]},
    "search_subscribers": {"address": "sample.subscriber@example.net"},
    "create_contact_point": {"channel": "email", "address": "new.subscriber@example.net", "consent_how": "form"},
    "update_contact_point": {"active": False},
    "verify_contact_point": {"reason": "Confirmed by phone"},
    "send_contact_point_verification": {"unused": True},
    "withdraw_contact_point_consent": {"unused": True},
    "create_audience_rule": {"name": "New rule", "subscriber_kinds": ["activist"]},
    "update_audience_rule": {"languages": ["es"]},
    "create_case_grant": {"partner": "org-b", "scope": "summary", "purpose": "x", "expires_at": "2024-01-01T00:00:00Z"},
    # urgent alerts: the sample is a draft, so workflow steps past the gate answer 400 with the reason
    "create_alert": {"scope": "network"},
    "update_alert": {"urgency": "routine"},
    "submit_alert": {},
    "approve_alert": {},
    "publish_alert": {"second_factor_code": "000000"},  # a wrong code: 400 for an allowed caller
    "close_alert": {},
    "create_follow_up": {"kind": "further"},
    "put_alert_version": {"title": "Sample alert", "summary": "Changed"},
    "create_alert_target": {"name": "Another minister"},
    "update_alert_target": {"title": "Minister of the Interior"},
    "control_alert_sending": {"operation": "pause"},
    # safety: a defender no caller can see is a 400 past the gate; the public operations get a
    # token that is not ours, which every caller is refused alike (400)
    "create_checkin_schedule": {"defender": "00000000-0000-0000-0000-000000000000"},
    "update_checkin_schedule": {"grace_minutes": 30},
    "check_in_on_behalf": {},
    "acknowledge_emergency": {},
    "resolve_emergency": {"outcome": "safe"},
    "raise_sos": {"defender": "00000000-0000-0000-0000-000000000000"},
    "cancel_sos": {},
    "check_in": {"token": "not-a-token"},
    "raise_own_sos": {"token": "not-a-token"},
    "cancel_own_sos": {"token": "not-a-token"},
    "record_alert_action": {
        "target": "00000000-0000-0000-0000-000000000000",  # not a target of the sample: 400 past the gate
        "action_type": "letter",
        "taken_on": "2024-06-01",
    },
    # risk: a defender nobody can see, so writes answer 400 past the gate
    "create_risk_assessment": {"defender": "00000000-0000-0000-0000-000000000000"},
    "reveal_risk_assessment": {"parts": ["threats"]},
    "create_protection_plan": {"defender": "00000000-0000-0000-0000-000000000000", "title": "Plan"},
    "add_protection_measure": {"title": "Another measure"},
    "update_protection_measure": {"status": "done"},
    "reveal_protection_plan": {},
    # directory: needs and answers in, ranked suggestions out (a read; nothing is written)
    "suggest_referrals": {"needs": ["respite_abroad"], "in_exile": False},
    # joint statements: the sample is A's draft, so workflow steps past the gate answer 400 with the reason
    "create_statement": {"title": "New statement"},
    "put_statement_text": {"title": "Sample statement", "body": "Changed"},
    "invite_to_statement": {"organizations": ["org-b"]},
    "open_statement": {"signature_deadline": "2024-01-01T00:00:00Z"},  # in the past: 400 past the gate
    "sign_statement": {"display_name": "Org A"},  # the drafter cannot sign its own: 400 past the gate
    "decline_statement": {},
    "close_statement": {},
    "publish_statement": {"public_page": True},
    # responses: the sample is an active grant on the sample case
    "create_response": {"kind": "advocacy"},
    "update_response": {"cost_currency": "EUR"},
    "save_response_details": {"purpose": "medical"},
    "add_response_step": {"kind": "disbursement", "occurred_on": "2024-06-01", "amount": "100"},
    "change_response_status": {"status": "planned"},
    "close_response": {"status": "completed", "outcome": "achieved", "what_worked": "x", "what_did_not_work": "y"},
    "reveal_response": {"fields": ["outcome_notes"]},
    # referrals: the sample is a draft without consent, so sending answers 400 with the reason
    "create_referral": {"actor": "no-such-actor"},  # 400 for an allowed caller, past the gate
    "update_referral": {"reference_number": "UA/COL 1/2026"},
    "change_referral_status": {"status": "sent"},
    "record_referral_reply": {"reply": "Received."},  # a draft has no reply: 400 past the gate
    "record_referral_outcome": {"outcome": "withdrawn"},
    "reveal_referral": {"fields": ["reply"]},
    # early warning: the sample flag is an escalation behind the sample defender's need to know
    "dismiss_warning_flag": {},
    "create_warning_subscription": {"country": "KE"},
}


def api_url(route: str, cast) -> str:  # type: ignore[no-untyped-def]
    """The route with each path parameter filled from SAMPLES (records in organisation A)."""
    url = "/api/v1" + route.removeprefix("/api/v1")
    if PARTNER_SPACE.search(route):
        SAMPLES["grant_id"](cast)  # the grant that lets B in
        url = url.replace("{org_slug}", cast.org_b.slug)
    for param in re.findall(r"{(\w+)}", url):
        if param not in SAMPLES:
            raise AssertionError(f"no sample for path parameter {param!r} of {route}: add one to SAMPLES")
        url = url.replace("{" + param + "}", str(SAMPLES[param](cast)))
    return url


def test_api_route_matrix(cast):
    _check_api_matrix(cast, _api_operations(Client()), "active")


def _check_api_matrix(cast, operations, grant: str) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    mismatches = {}
    for method, route, operation_id in operations:
        url = api_url(route, cast)
        policy = API_POLICIES[operation_id]
        body = API_BODIES.get(operation_id) if method in {"POST", "PUT", "PATCH"} else None
        if method in {"POST", "PUT", "PATCH"} and body is None:
            raise AssertionError(f"add a sample body for {operation_id} to API_BODIES")
        for actor in ACTORS:
            if actor in {"outsider", "operator"}:
                continue  # neither can hold a token: tokens belong to a membership
            headers = bearer(cast.tokens[actor]) if actor else {}
            sid = transaction.savepoint()
            response = client.generic(
                method,
                url,
                data=__import__("json").dumps(body) if body else "",
                content_type="application/json",
                **headers,
            )
            transaction.savepoint_rollback(sid)
            params = re.findall(r"{(\w+)}", route)
            partner = bool(PARTNER_SPACE.search(route))
            # Anonymous callers need a token, except on the reviewed public operations.
            anonymous = "allowed" if policy.kind == "public" else "login"
            want = anonymous if actor is None else expected(policy, actor, params, partner, grant)
            got = observed(response)
            if got != want:
                mismatches[(operation_id, actor)] = (got, want, response.status_code)
    assert mismatches == {}


@pytest.mark.parametrize("grant", GRANT_STATES)
@pytest.mark.parametrize("route", [r for r in web_routes() if r.partner], ids=lambda route: route.name)
def test_shared_web_route_matrix(route, grant, cast):
    """The partner's routes with the sample grant active, expired and revoked."""
    from .routes import url_for

    url = url_for(route, cast)
    set_grant_state(cast, grant)
    policy = ROUTE_POLICIES[route.name]
    results = {}
    for actor in ACTORS:
        client = Client()
        if actor:
            sign_in(client, cast.people[actor])
        results[actor] = (observed(client.get(url)), expected(policy, actor, route.params, True, grant))
    mismatches = {actor: pair for actor, pair in results.items() if pair[0] != pair[1]}
    assert mismatches == {}, f"{route.name} ({url}) with the grant {grant}: observed != expected"


@pytest.mark.parametrize("grant", GRANT_STATES)
def test_shared_api_route_matrix(grant, cast):
    operations = [op for op in _api_operations(Client()) if PARTNER_SPACE.search(op[1])]
    assert operations, "the partner's API operations are missing from the OpenAPI document"
    SAMPLES["grant_id"](cast)
    set_grant_state(cast, grant)
    _check_api_matrix(cast, operations, grant)


def test_a_route_without_a_policy_is_refused(cast, as_user, settings):
    from django.http import HttpResponse

    def unlisted(request):  # type: ignore[no-untyped-def]
        return HttpResponse("should never be seen")

    module = type(
        "urls", (), {"urlpatterns": [path("unlisted/", unlisted, name="unlisted"), path("", include("salama.urls"))]}
    )
    settings.ROOT_URLCONF = module
    response = as_user(cast.a_admin).get("/unlisted/")
    assert response.status_code == 403
    assert b"should never be seen" not in response.content
