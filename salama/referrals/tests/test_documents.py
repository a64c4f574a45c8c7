"""Submission drafts: what is missing, refusal, the facts in every language, and consent."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from docx import Document
from pypdf import PdfReader

from salama.audit.models import AuditEntry
from salama.defenders.actions import do_record_consent
from salama.referrals import actions, documents

pytestmark = pytest.mark.django_db
LANGUAGES = ["en", "es", "fr", "ar"]


def docx_text(content: bytes) -> str:
    return "\n".join(paragraph.text for paragraph in Document(io.BytesIO(content)).paragraphs)


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    assert reader.pages, "a draft has at least one page"
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def complete(caseworker: Any, referral: Any, incident: Any) -> Any:
    return actions.do_update_referral(
        caseworker,
        referral,
        domestic_remedies="A complaint to the Fiscalía on 16 March 2026; no answer.",
        urgency="The threats named her children.",
        state_informed="The Ombudsman was told on 17 March 2026.",
        requested_action="Trial observation of the hearing on 2 December.",
        grant_need="Moving the family for three months.",
        grant_amount="4500.00",
        grant_currency="USD",
    )


def test_missing_information_is_listed_and_generation_refused(admin: Any, referral: Any) -> None:
    missing = documents.missing_facts(referral, "un_sr_communication")
    messages = [item.message for item in missing]
    assert any("No incident is recorded" in message for message in messages)
    assert any("No domestic remedy recorded" in message for message in messages)
    assert all(item.fix_url.startswith("/o/org-a/") for item in missing)
    with pytest.raises(ValidationError) as refused:
        actions.do_download_document(admin, referral, "un_sr_communication", "en", "docx")
    assert "No domestic remedy recorded: say what was tried or why not." in refused.value.message_dict["kind"]
    assert not AuditEntry.objects.filter(action="referral.document_downloaded").exists()


def test_each_kind_declares_its_own_facts(referral: Any, incident: Any) -> None:
    assert any("irreparable" in m.message for m in documents.missing_facts(referral, "iachr_precautionary"))
    assert any("local action" in m.message for m in documents.missing_facts(referral, "eu_embassy_request"))
    grant = [m.message for m in documents.missing_facts(referral, "grant_application")]
    assert any("amount" in message for message in grant)
    assert not any("incident" in message.lower() for message in grant)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(documents.KINDS))
def test_drafts_hold_the_case_facts_in_each_language(admin: Any, complete: Any, kind: str, language: str) -> None:
    assert documents.missing_facts(complete, kind) == []
    download = actions.do_download_document(admin, complete, kind, language, "docx")
    text = docx_text(download.content)
    assert "Threats after the land hearing" in text
    assert "Popayán" in text
    assert "Org A" in text
    assert complete.case.reference in text
    if kind in {"un_sr_communication", "iachr_precautionary"}:
        assert "Two men on a motorbike" in text
    if kind == "un_sr_communication":
        assert "Lieutenant Gómez" in text
        assert "land restitution claim" in text
        assert "Fiscalía" in text
    if kind == "grant_application":
        assert "USD" in text
    assert Document(io.BytesIO(download.content)).core_properties.language == language
    pdf = actions.do_download_document(admin, complete, kind, language, "pdf")
    assert pdf.media_type == "application/pdf"
    printed = " ".join(pdf_text(pdf.content).split())
    for fact in ("Threats after the land hearing", "Popayán", complete.case.reference):
        assert fact in printed


def test_arabic_draft_is_right_to_left(admin: Any, complete: Any) -> None:
    content = actions.do_download_document(admin, complete, "eu_embassy_request", "ar", "docx").content
    body = Document(io.BytesIO(content)).element.xml
    assert "<w:bidi/>" in body
    # After Arabic letters "2026-0001" would otherwise read as "0001-2026".
    assert f"\u2066{complete.case.reference}\u2069" in docx_text(content)


def test_download_is_audited(admin: Any, complete: Any) -> None:
    actions.do_download_document(admin, complete, "un_sr_communication", "fr", "pdf")
    entry = AuditEntry.objects.get(action="referral.document_downloaded")
    assert entry.actor == admin.user
    assert entry.changes["kind"]["new"] == "un_sr_communication"
    assert entry.changes["case"]["new"] == str(complete.case_id)


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_without_consent_the_draft_uses_the_pseudonym(admin: Any, complete: Any, fmt: str) -> None:
    content = actions.do_download_document(admin, complete, "eu_embassy_request", "en", fmt).content
    text = docx_text(content) if fmt == "docx" else " ".join(pdf_text(content).split())
    assert "Lucía P. (pseudonym)" in text
    assert "Pérez Quintero" not in text
    assert "lucia@example.org" not in text
    assert "+57 300" not in text


def test_public_document_needs_consent_to_be_named(admin: Any, complete: Any, share_consent: Any) -> None:
    text = docx_text(actions.do_download_document(admin, complete, "un_sr_communication", "es", "docx").content)
    assert "Pérez Quintero" not in text and "lucia@example.org" not in text
    do_record_consent(admin, complete.defenders.get(), scope="named_publicly", given_on=date(2026, 3, 20))
    text = docx_text(actions.do_download_document(admin, complete, "un_sr_communication", "es", "docx").content)
    assert "Lucía Pérez Quintero" in text
    assert "lucia@example.org" in text


def test_private_document_needs_only_the_sharing_consent(admin: Any, caseworker: Any, case: Any, incident: Any) -> None:
    from salama.directory.models import ProtectionActor

    embassies, _created = ProtectionActor.objects.get_or_create(
        slug="eu-guidelines-embassies", defaults={"name": "EU embassies", "kind": "mechanism"}
    )
    defender = case.defenders.get()
    do_record_consent(
        admin, defender, scope="share_with_mechanism", mechanism=embassies.slug, given_on=date(2026, 1, 1)
    )
    referral = actions.do_create_referral(
        caseworker, case, to=embassies, defenders=[defender], requested_action="A visit."
    )
    text = docx_text(actions.do_download_document(admin, referral, "eu_embassy_request", "en", "docx").content)
    assert "Lucía Pérez Quintero" in text
    assert "+57 300 123 4567" in text


def test_viewers_cannot_download(cast: Any, complete: Any) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.do_download_document(cast.membership("a_viewer"), complete, "un_sr_communication", "en", "pdf")


def test_drafts_are_made_without_touching_the_disk(admin: Any, complete: Any, monkeypatch: Any) -> None:
    """Every temporary file asks tempfile.gettempdir() where to go: none may be asked for."""
    import tempfile

    def refuse() -> str:
        raise AssertionError("a temporary file was made while writing a draft")

    monkeypatch.setattr(tempfile, "gettempdir", refuse)
    for fmt in documents.FORMATS:
        assert actions.do_download_document(admin, complete, "iachr_precautionary", "ar", fmt).content


def test_grant_application_lists_the_costed_protection_measures(admin: Any, complete: Any) -> None:
    from decimal import Decimal

    from salama.risk.actions import do_add_measure, do_create_plan

    plan = do_create_plan(admin, complete.defenders.get(), title="Plan after the threats")
    do_add_measure(
        admin, plan, title="Armoured door", cost_amount=Decimal("1200"), cost_currency="usd", for_grant_request=True
    )
    do_add_measure(admin, plan, title="Not for the grant", cost_amount=Decimal("50"), cost_currency="USD")
    text = docx_text(actions.do_download_document(admin, complete, "grant_application", "en", "docx").content)
    assert "Armoured door: 1,200.00 USD" in text or "Armoured door: 1200.00 USD" in text
    assert "Not for the grant" not in text
