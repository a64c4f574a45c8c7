"""Refer a case to the UN Special Rapporteur, download the draft, record the reply."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from docx import Document
from playwright.sync_api import expect

from salama.audit.models import AuditEntry
from salama.core.testing import PASSWORD

from .conftest import sign_in_through_ui, totp_now

pytestmark = pytest.mark.browser


def _case_ready_for_the_rapporteur(cast: Any) -> Any:
    from salama.cases.actions import do_add_team_member, do_open_case
    from salama.defenders.actions import do_create_defender, do_record_consent
    from salama.directory.models import ProtectionActor
    from salama.incidents.actions import do_record_incident
    from salama.vocab.actions import load_default_vocabularies
    from salama.vocab.models import Term

    admin = cast.membership("a_admin")
    ProtectionActor.objects.get_or_create(
        slug="un-sr-hrd",
        defaults={"name": "UN Special Rapporteur on the situation of human rights defenders", "kind": "mechanism"},
    )
    defender = do_create_defender(admin, public_name="Lucía P.", legal_name="Lucía Pérez Quintero")
    do_record_consent(admin, defender, scope="share_with_mechanism", mechanism="un-sr-hrd", given_on=date(2026, 3, 1))
    case = do_open_case(admin, title="Río Verde", defenders=[defender])
    do_add_team_member(admin, case, cast.a_caseworker_team)
    load_default_vocabularies()
    do_record_incident(
        admin,
        case,
        title="Threats after the land hearing",
        date_start=date(2026, 3, 14),
        narrative="Two men on a motorbike threatened her outside the court house.",
        relation_to_work="She represents the community in a land restitution claim.",
        acts=[{"violation": Term.objects.get(vocabulary__code="violation-types", code="death-threats")}],
        perpetrators=[{"type": Term.objects.get(vocabulary__code="perpetrator-types", code="police")}],
    )
    return case


def test_refer_to_the_special_rapporteur_download_the_draft_and_record_the_reply(live_server, page, cast):
    case = _case_ready_for_the_rapporteur(cast)
    base = live_server.url
    sign_in_through_ui(page, base, cast.a_caseworker_team.email, PASSWORD, totp_now(cast.a_caseworker_team))
    page.wait_for_url(f"{base}/o/org-a/")
    page.goto(f"{base}/o/org-a/cases/{case.pk}/")
    page.get_by_role("region", name="Referrals").get_by_role("link", name="Refer this case").click()
    page.get_by_label("Refer to").select_option("un-sr-hrd")
    page.get_by_label("Domestic remedies tried, or why not").fill("A complaint to the Fiscalía; no answer.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("UN Special Rapporteur")

    page.get_by_label("New status").select_option("sent")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator("#referral-status")).to_have_text("Sent")

    page.get_by_role("link", name="Communication to the UN Special Rapporteur").click()
    page.get_by_label("Language of the draft").select_option("es")
    page.get_by_label("Format").select_option("docx")
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download the draft").click()
    download = downloading.value
    assert download.suggested_filename.endswith("un_sr_communication-es.docx")
    with open(download.path(), "rb") as handle:
        text = "\n".join(p.text for p in Document(io.BytesIO(handle.read())).paragraphs)
    assert "Threats after the land hearing" in text
    assert "Fiscalía" in text
    assert "Pérez Quintero" not in text  # no consent to be named publicly
    assert AuditEntry.objects.filter(action="referral.document_downloaded").count() == 1

    page.goto(f"{base}/o/org-a/cases/{case.pk}/referrals/")
    page.get_by_role("link", name="UN Special Rapporteur on the situation of human rights defenders").click()
    page.locator("#id_reply-reply").fill("The Rapporteur has sent a communication to the State.")
    page.get_by_role("button", name="Record the reply").click()
    expect(page.locator("#referral-reply-date")).not_to_have_text("—")
    page.get_by_role("button", name="Hidden — reveal").click()
    expect(page.get_by_role("main")).to_contain_text("The Rapporteur has sent a communication to the State.")
