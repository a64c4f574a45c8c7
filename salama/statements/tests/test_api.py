"""The statements API: the whole sign-on through bearer tokens, with the same rules as the pages."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from salama.core.testing import bearer

from .conftest import consent_to_be_named

BASE = "/api/v1/organizations/{org}/statements"


def call(cast: Any, actor: str, method: str, path: str, body: Any = None) -> Any:
    org = {"a": "org-a", "b": "org-b"}[actor[0]]
    data = json.dumps(body) if body is not None else ""
    return Client().generic(
        method, BASE.format(org=org) + path, data=data, content_type="application/json", **bearer(cast.tokens[actor])
    )


def reason(response: Any) -> str:
    """The refusal in words: the error's message and every field's messages."""
    error = response.json()["error"]
    return " ".join([error["message"], *(m for messages in error["fields"].values() for m in messages)])


def test_the_sign_on_through_the_api(cast, named_case):
    defender = named_case.defenders.get()
    created = call(
        cast,
        "a_coordinator",
        "POST",
        "",
        {"title": "Stop the raids", "case": str(named_case.pk), "names_defenders": [str(defender.pk)]},
    )
    assert created.status_code == 201, created.content
    statement = created.json()
    one = f"/{statement['id']}"
    assert statement["status"] == "draft" and statement["case"] == str(named_case.pk)

    text = {"title": "Stop the raids", "body": "We condemn the raids on the community."}
    assert call(cast, "a_coordinator", "PUT", one + "/texts/en", text).status_code == 200
    assert call(cast, "a_coordinator", "POST", one + "/invitations", {"organizations": ["org-b"]}).status_code == 200

    # Consent first: refused with the defender's name, as in the pages.
    refused = call(cast, "a_coordinator", "POST", one + "/open", {})
    assert refused.status_code == 400 and "Ana Ríos has not consented" in reason(refused)
    consent_to_be_named(cast, defender)
    opened = call(cast, "a_coordinator", "POST", one + "/open", {"display_name": "Org A"})
    assert opened.status_code == 200 and opened.json()["status"] == "open"

    # B lists it under to_sign, reads it without the case, the defenders or the invitations.
    to_sign = call(cast, "b_admin", "GET", "?box=to_sign").json()
    assert [item["id"] for item in to_sign["items"]] == [statement["id"]]
    assert call(cast, "b_admin", "GET", "?box=ours").json()["count"] == 0
    seen = call(cast, "b_admin", "GET", one).json()
    assert seen["texts"] == [{"language": "en", **text}]
    assert seen["case"] is None and seen["names_defenders"] == [] and seen["invitations"] == []
    assert call(cast, "b_viewer", "POST", one + "/sign", {}).status_code == 403
    signed = call(cast, "b_admin", "POST", one + "/sign", {"display_name": "Org B network"})
    assert signed.status_code == 200
    assert [(s["display_name"], s["current"]) for s in signed.json()["signatories"]] == [
        ("Org A", True),
        ("Org B network", True),
    ]

    # A text change makes B's signature stale; publishing before closing is refused.
    call(cast, "a_coordinator", "PUT", one + "/texts/en", {**text, "body": "We condemn the raids. Changed."})
    stale = call(cast, "a_admin", "GET", one).json()
    assert [(s["organization"], s["current"]) for s in stale["signatories"]] == [("org-a", True), ("org-b", False)]
    assert stale["invitations"] == [
        {
            "organization": "org-b",
            "status": "signed",
            "invited_at": stale["invitations"][0]["invited_at"],
            "answered_at": stale["invitations"][0]["answered_at"],
        }
    ]
    assert call(cast, "a_admin", "POST", one + "/publish", {}).status_code == 400
    assert call(cast, "b_coordinator", "POST", one + "/sign", {"display_name": "Org B network"}).status_code == 200

    assert call(cast, "a_admin", "POST", one + "/close").status_code == 200
    published = call(cast, "a_admin", "POST", one + "/publish", {"public_page": True})
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert Client().get(f"/statements/{statement['id']}/").status_code == 200


def test_another_organisation_cannot_reach_a_draft_or_act_for_the_drafter(cast):
    created = call(cast, "a_admin", "POST", "", {"title": "Draft"}).json()
    one = f"/{created['id']}"
    assert call(cast, "b_admin", "GET", one).status_code == 404
    assert call(cast, "b_admin", "POST", one + "/sign", {}).status_code == 404
    # With B's token in A's space: the organisation in the path is not the token's.
    assert Client().get(BASE.format(org="org-a") + one, **bearer(cast.tokens["b_admin"])).status_code == 404
    # Invited and open: B may read and sign, but not close the drafter's statement.
    call(cast, "a_admin", "PUT", one + "/texts/en", {"title": "Draft", "body": "Text"})
    call(cast, "a_admin", "POST", one + "/invitations", {"organizations": ["org-b"]})
    call(cast, "a_admin", "POST", one + "/open", {})
    assert call(cast, "b_admin", "GET", one).status_code == 200
    refused = call(cast, "b_admin", "POST", one + "/close")
    assert refused.status_code == 400 and "drafted" in reason(refused)
    unknown = call(cast, "a_admin", "POST", one + "/invitations", {"organizations": ["no-such-org"]})
    assert unknown.status_code == 400
