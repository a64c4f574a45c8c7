"""The pages, with JavaScript off: create from the case, the refusal shown, the document page."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from salama.referrals.models import Referral

pytestmark = pytest.mark.django_db


def test_create_from_the_case_with_the_actor_chosen(as_user: Any, cast: Any, case: Any, un_sr: Any) -> None:
    client = as_user(cast.a_caseworker_team)
    url = f"/o/org-a/cases/{case.pk}/referrals/new/?actor=un-sr-hrd"
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="un-sr-hrd" selected' in page.content.decode()
    response = client.post(
        url, {"actor": "un-sr-hrd", "defenders": [str(case.defenders.get().pk)], "domestic_remedies": "None."}
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/o/org-a/referrals/{referral.pk}/"
    assert referral.domestic_remedies == "None."


def test_sending_without_consent_shows_the_reason(as_user: Any, cast: Any, referral: Any) -> None:
    client = as_user(cast.a_caseworker_team)
    response = client.post(f"/o/org-a/referrals/{referral.pk}/status/", {"status-status": "sent"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Lucía P. has no consent in force" in body


def test_document_page_lists_what_is_missing(as_user: Any, cast: Any, referral: Any) -> None:
    client = as_user(cast.a_caseworker_team)
    page = client.get(f"/o/org-a/referrals/{referral.pk}/documents/un_sr_communication/").content.decode()
    assert "No incident is recorded on this case" in page
    assert f"/o/org-a/cases/{referral.case_id}/incidents/new/" in page
    download = client.get(
        f"/o/org-a/referrals/{referral.pk}/documents/un_sr_communication/download/?language=en&format=pdf"
    )
    assert download.status_code == 302  # back to the page that says what is missing


def test_case_page_and_org_list_show_overdue(
    as_user: Any, cast: Any, caseworker: Any, referral: Any, share_consent: Any
) -> None:
    from salama.referrals.actions import do_change_status, do_update_referral

    do_update_referral(caseworker, referral, reply_due_on=date(2020, 1, 1))
    do_change_status(caseworker, referral, Referral.Status.SENT, sent_on=date(2019, 12, 1))
    client = as_user(cast.a_caseworker_team)
    case_page = client.get(f"/o/org-a/cases/{referral.case_id}/").content.decode()
    assert "overdue" in case_page and referral.actor.name in case_page
    listed = client.get("/o/org-a/referrals/?overdue=on").content.decode()
    assert f"/o/org-a/referrals/{referral.pk}/" in listed
    other = as_user(cast.a_caseworker_other).get("/o/org-a/referrals/?overdue=on").content.decode()
    assert f"/o/org-a/referrals/{referral.pk}/" not in other


def test_reveal_is_audited(as_user: Any, cast: Any, caseworker: Any, referral: Any) -> None:
    from salama.audit.models import AuditEntry
    from salama.referrals.actions import do_update_referral

    do_update_referral(caseworker, referral, what_was_sent="The full file, by email.")
    client = as_user(cast.a_caseworker_team)
    assert "The full file" not in client.get(f"/o/org-a/referrals/{referral.pk}/").content.decode()
    revealed = client.post(f"/o/org-a/referrals/{referral.pk}/reveal/").content.decode()
    assert "The full file, by email." in revealed
    assert AuditEntry.objects.filter(action="referral.revealed", target_id=str(referral.pk)).exists()
