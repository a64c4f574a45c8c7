"""The referrals API: create, the consent refusal with its reason, reply, outcome, reveal,
missing information and the download."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import pytest
from django.test import Client
from docx import Document

from salama.core.testing import bearer

pytestmark = pytest.mark.django_db


def _post(client: Client, url: str, body: dict[str, Any], token: str) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json", **bearer(token))


@pytest.fixture
def api(cast: Any) -> Any:
    token = cast.tokens["a_caseworker_team"]
    client = Client()

    class Api:
        def get(self, url: str) -> Any:
            return client.get(f"/api/v1/organizations/org-a{url}", **bearer(token))

        def post(self, url: str, body: dict[str, Any]) -> Any:
            return _post(client, f"/api/v1/organizations/org-a{url}", body, token)

    return Api()


def test_create_send_reply_outcome(clock: Any, api: Any, case: Any, un_sr: Any, defender: Any, admin: Any) -> None:
    created = api.post(f"/cases/{case.pk}/referrals", {"actor": "un-sr-hrd", "reference_number": "UA/1"})
    assert created.status_code == 201, created.content
    referral = created.json()
    assert referral["status"] == "draft"
    assert referral["defenders"] == [str(defender.pk)]
    refused = api.post(f"/referrals/{referral['id']}/status", {"status": "sent"})
    assert refused.status_code == 400
    [reason] = refused.json()["error"]["fields"]["status"]
    assert "Lucía P." in reason
    from salama.defenders.actions import do_record_consent

    do_record_consent(admin, defender, scope="share_with_mechanism", mechanism=un_sr.name, given_on=date(2026, 1, 1))
    sent = api.post(f"/referrals/{referral['id']}/status", {"status": "sent", "channel": "web_form"})
    assert sent.status_code == 200, sent.content
    assert sent.json()["status"] == "sent"
    replied = api.post(f"/referrals/{referral['id']}/reply", {"reply": "We will act.", "received_on": "2026-11-25"})
    assert replied.json()["reply_received_on"] == "2026-11-25"
    assert "We will act." not in replied.content.decode()
    outcome = api.post(f"/referrals/{referral['id']}/outcome", {"outcome": "communication_sent"})
    assert outcome.json()["outcome"] == "communication_sent"
    revealed = api.post(f"/referrals/{referral['id']}/reveal", {"fields": ["reply"]})
    assert revealed.json() == {"reply": "We will act."}
    listed = api.get(f"/cases/{case.pk}/referrals").json()
    assert [item["id"] for item in listed["items"]] == [referral["id"]]
    assert api.get("/referrals?status=closed").json()["count"] == 0
    assert api.get("/referrals?status=sent").json()["count"] == 1
    assert api.get("/referrals?actor=un-sr-hrd").json()["count"] == 1


def test_missing_information_and_download(api: Any, referral: Any, incident: Any, caseworker: Any) -> None:
    missing = api.get(f"/referrals/{referral.pk}/documents/un_sr_communication/missing").json()
    assert [item["message"] for item in missing] == ["No domestic remedy recorded: say what was tried or why not."]
    refused = api.get(f"/referrals/{referral.pk}/documents/un_sr_communication?language=es&format=docx")
    assert refused.status_code == 400
    from salama.referrals.actions import do_update_referral

    do_update_referral(caseworker, referral, domestic_remedies="None were available.")
    assert api.get(f"/referrals/{referral.pk}/documents/un_sr_communication/missing").json() == []
    download = api.get(f"/referrals/{referral.pk}/documents/un_sr_communication?language=es&format=docx")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    text = "\n".join(p.text for p in Document(io.BytesIO(download.content)).paragraphs)
    assert "None were available." in text


def test_other_organisation_and_outside_need_to_know_get_404(cast: Any, referral: Any) -> None:
    client = Client()
    for name, slug in (("b_admin", "org-b"), ("b_admin", "org-a"), ("a_caseworker_other", "org-a")):
        response = client.get(f"/api/v1/organizations/{slug}/referrals/{referral.pk}", **bearer(cast.tokens[name]))
        assert response.status_code == 404


def test_history_includes_reminders_sent_by_nobody(api: Any, referral: Any) -> None:
    from salama.referrals.models import ReferralEvent

    ReferralEvent.objects.create(referral=referral, kind=ReferralEvent.Kind.REMINDER, details={"reason": "stale"})
    history = api.get(f"/referrals/{referral.pk}").json()["history"]
    assert [(event["kind"], event["by"]) for event in history][-1] == ("reminder", None)


def test_the_api_offers_to_reveal_exactly_the_encrypted_texts() -> None:
    from typing import get_args

    from salama.referrals.access import REVEALABLE
    from salama.referrals.api import RevealName
    from salama.referrals.models import Referral

    encrypted = {field.name for field in Referral._meta.get_fields() if type(field).__name__.startswith("Encrypted")}
    assert set(get_args(RevealName)) == set(REVEALABLE) == encrypted
