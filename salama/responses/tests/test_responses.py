"""Responses through the UI and the API: each kind recorded and shown, protected details only
on an audited reveal, steps, status and the case timeline, closing with lessons, need to know."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from salama.audit.models import AuditEntry
from salama.cases.access import timeline_of
from salama.cases.timeline import describe
from salama.core.testing import bearer
from salama.directory.models import ProtectionActor
from salama.incidents.actions import do_record_incident
from salama.responses import actions
from salama.responses.models import STEP_KINDS, Kind, Lesson, Response, ResponseStep
from salama.vocab.models import Term

from .conftest import open_case

FAMILY_CANARY = "Canary-Family-Zt81"
LAWYER_CANARY = "Canary-Lawyer-Qm44"
NOTES_CANARY = "Canary-Notes-Hb62"

# One public detail and one protected detail (when the kind has one) per kind.
DETAILS = {
    Kind.EMERGENCY_GRANT: ({"amount": "2500", "currency": "USD", "purpose": "legal_fees"}, "Legal fees", None),
    Kind.RELOCATION: (
        {
            "host": "Shelter City The Hague",
            "country": "NL",
            "permit_status": "granted",
            "family_members": FAMILY_CANARY,
        },
        "Shelter City The Hague",
        ("family_members", FAMILY_CANARY),
    ),
    Kind.ACCOMPANIMENT: (
        {"accompaniers": "Canary-Accompanier-Lp05"},
        None,
        ("accompaniers", "Canary-Accompanier-Lp05"),
    ),
    Kind.LEGAL_SUPPORT: (
        {"lawyer": LAWYER_CANARY, "court": "Juzgado 3 de Popayán", "stage": "trial"},
        "Juzgado 3 de Popayán",
        ("lawyer", LAWYER_CANARY),
    ),
    Kind.MEDICAL_PSYCHOSOCIAL: (
        {"provider": "Canary-Provider-Xe17", "support": "psychosocial", "sessions_count": "6"},
        "Psychosocial",
        ("provider", "Canary-Provider-Xe17"),
    ),
    Kind.DIPLOMATIC_ACTION: ({"lead_mission": "Embassy of Norway"}, "Embassy of Norway", None),
    Kind.ADVOCACY: ({}, None, None),
}


def url(name: str, cast, *args) -> str:  # type: ignore[no-untyped-def]
    return reverse(f"responses:{name}", args=[cast.org_a.slug, *args])


def api(cast, *parts: str) -> str:  # type: ignore[no-untyped-def]
    return "/api/v1/organizations/" + "/".join([cast.org_a.slug, *parts])


def grant(cast, case, **fields) -> Response:  # type: ignore[no-untyped-def]
    return actions.do_create_response(cast.membership("a_coordinator"), case, kind=Kind.EMERGENCY_GRANT, **fields)


def close(cast, response, who: str = "a_coordinator", **fields) -> Lesson:  # type: ignore[no-untyped-def]
    values = {
        "status": "completed",
        "outcome": "achieved",
        "what_worked": "Quick funds for a lawyer",
        "what_did_not_work": "Reports came late",
        **fields,
    }
    return actions.do_close_response(cast.membership(who), response, **values)


@pytest.mark.parametrize("kind", Kind.values)
def test_each_kind_is_recorded_and_shown_and_protected_details_need_a_reveal(kind, cast, case, as_user):
    client = as_user(cast.a_caseworker_team)
    answer = client.post(
        reverse("responses:create", args=[cast.org_a.slug, case.pk]), {"kind": kind, "status": "active"}
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    response = Response.objects.get(case=case)
    assert answer["Location"] == url("details", cast, response.pk)
    assert list(response.defenders.all()) == list(case.defenders.all())  # none chosen: every defender

    fields, shown, protected = DETAILS[kind]
    answer = client.post(url("details", cast, response.pk), fields)
    assert answer.status_code == 302, answer.content.decode()[:3000]
    page = client.get(url("detail", cast, response.pk)).content.decode()
    assert str(Kind(kind).label) in page
    if shown:
        assert shown in page
    if protected:
        name, value = protected
        assert value not in page
        assert "Recorded (hidden)" in page
        revealed = client.post(url("reveal", cast, response.pk), {"field": [name]}).content.decode()
        assert value in revealed
        entry = AuditEntry.objects.filter(action="response.revealed").latest("sequence")
        assert name in entry.changes and value not in json.dumps(entry.changes)
    # the case page lists the response
    case_page = client.get(reverse("cases:detail", args=[cast.org_a.slug, case.pk])).content.decode()
    assert url("detail", cast, response.pk) in case_page


def test_a_protected_value_is_never_written_to_audit_or_timeline(cast, case):
    coordinator = cast.membership("a_coordinator")
    response = actions.do_create_response(coordinator, case, kind=Kind.LEGAL_SUPPORT)
    actions.do_save_detail(coordinator, response, lawyer=LAWYER_CANARY, court="Juzgado 3")
    actions.do_add_step(
        coordinator,
        response,
        kind="hearing",
        occurred_on=date(2024, 6, 3),
        notes=NOTES_CANARY,
        counterpart="Juzgado 3",
        observers="EU delegation, Embassy of Sweden",
    )
    logged = json.dumps(list(AuditEntry.objects.values("changes"))) + json.dumps([e.details for e in timeline_of(case)])
    assert LAWYER_CANARY not in logged and NOTES_CANARY not in logged
    assert "Juzgado 3" in logged  # a public value is kept
    # empty keeps the recorded value; erase empties it
    actions.do_save_detail(coordinator, response, lawyer="", court="Juzgado 4")
    assert actions.detail_of(response).lawyer == LAWYER_CANARY
    actions.do_save_detail(coordinator, response, erase=["lawyer"])
    assert actions.detail_of(response).lawyer == ""


def test_steps_belong_to_their_kind_and_a_disbursement_needs_an_amount(cast, case):
    coordinator = cast.membership("a_coordinator")
    response = grant(cast, case)
    with pytest.raises(ValidationError) as refused:
        actions.do_add_step(coordinator, response, kind="hearing", occurred_on=date(2024, 6, 1))
    assert "kind" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        actions.do_add_step(coordinator, response, kind="disbursement", occurred_on=date(2024, 6, 1))
    assert "amount" in refused.value.message_dict
    step = actions.do_add_step(
        coordinator, response, kind="disbursement", occurred_on=date(2024, 6, 1), amount=Decimal("300"), method="cash"
    )
    assert step.kind == ResponseStep.Kind.DISBURSEMENT
    assert all(STEP_KINDS[k] is not None for k in Kind.values)


def test_status_changes_and_details_write_timeline_lines_and_audit_entries(cast, case):
    coordinator = cast.membership("a_coordinator")
    response = grant(cast, case)
    actions.do_change_status(coordinator, response, "active")
    actions.do_save_detail(coordinator, response, purpose="medical", amount=Decimal("100"), currency="EUR")
    close(cast, response)
    lines = [describe(event) for event in timeline_of(case) if event.kind.startswith("response.")]
    assert len(lines) == 4
    assert any("from Planned to Active" in line for line in lines)
    assert any("closed a response (Emergency grant) as Completed: Achieved" in line for line in lines)
    actions_logged = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "response.created",
        "response.status_changed",
        "response.detail_changed",
        "response.closed",
    } <= actions_logged
    with pytest.raises(ValidationError):
        actions.do_change_status(coordinator, response, "active")  # closed: no more changes


def test_closing_requires_the_outcome_and_both_lessons(cast, case, as_user):
    response = grant(cast, case)
    with pytest.raises(ValidationError) as refused:
        actions.do_close_response(
            cast.membership("a_coordinator"),
            response,
            status="completed",
            outcome="",
            what_worked=" ",
            what_did_not_work="",
        )
    assert {"outcome", "what_worked", "what_did_not_work"} <= set(refused.value.message_dict)
    with pytest.raises(ValidationError):
        actions.do_change_status(cast.membership("a_coordinator"), response, "completed")
    client = as_user(cast.a_coordinator)
    answer = client.post(url("close", cast, response.pk), {"status": "completed", "outcome": "achieved"})
    assert answer.status_code == 400
    assert "no one can be recognised" in answer.content.decode()
    response.refresh_from_db()
    assert response.status == "planned" and not Lesson.objects.exists()
    answer = client.post(
        url("close", cast, response.pk),
        {"status": "completed", "outcome": "partly_achieved", "what_worked": "A", "what_did_not_work": "B"},
    )
    assert answer.status_code == 302
    response.refresh_from_db()
    assert response.status == "completed" and response.outcome == "partly_achieved" and response.ended_on


def test_a_lesson_keeps_the_coded_context_of_the_case(cast, vocab, actors):
    sector = Term.objects.get(vocabulary__code="sectors", code="land-environment")
    case = open_case(cast, country="CO", sectors=[sector])
    threat = Term.objects.get(vocabulary__code="violation-types", code="death-threats")
    do_record_incident(
        cast.membership("a_coordinator"),
        case,
        title="Threat",
        date_start=date(2024, 3, 1),
        acts=[{"violation": threat}],
    )
    fld = ProtectionActor.objects.get(slug="front-line-defenders")
    response = grant(cast, case, protection_actor=fld)
    lesson = close(cast, response)
    assert (lesson.country, lesson.actor, lesson.response_kind) == ("CO", fld, Kind.EMERGENCY_GRANT)
    assert list(lesson.sectors.all()) == [sector] and list(lesson.threats.all()) == [threat]
    assert "La Profe" not in lesson.what_worked + lesson.what_did_not_work
    assert not lesson.shared_with_network


def test_only_leads_share_a_lesson(cast, case):
    response = grant(cast, case)
    with pytest.raises(ValidationError) as refused:
        close(cast, response, who="a_caseworker_team", share_with_network=True)
    assert "share_with_network" in refused.value.message_dict
    lesson = close(cast, response, who="a_caseworker_team")
    with pytest.raises(ValidationError):
        actions.do_set_lesson_sharing(cast.membership("a_caseworker_team"), lesson, True)
    with pytest.raises(ValidationError):
        actions.do_set_lesson_sharing(cast.membership("b_admin"), lesson, True)  # not its organisation
    actions.do_set_lesson_sharing(cast.membership("a_coordinator"), lesson, True)
    lesson.refresh_from_db()
    assert lesson.shared_with_network


def test_need_to_know_follows_the_case(cast, case, as_user):
    response = grant(cast, case)
    assert as_user(cast.a_caseworker_team).get(url("detail", cast, response.pk)).status_code == 200
    assert as_user(cast.a_caseworker_other).get(url("detail", cast, response.pk)).status_code == 404
    listing = as_user(cast.a_caseworker_other).get(url("list", cast)).content.decode()
    assert str(response.pk) not in listing
    with pytest.raises(Http404):
        actions.do_change_status(cast.membership("a_caseworker_other"), response, "active")
    with pytest.raises(PermissionDenied):
        actions.do_change_status(cast.membership("a_viewer"), response, "active")


def test_the_list_filters_by_kind_status_and_overdue_reports(cast, case, as_user):
    coordinator = cast.membership("a_coordinator")
    overdue = grant(cast, case)
    actions.do_save_detail(coordinator, overdue, report_due_on=date(2020, 1, 1))
    received = grant(cast, case)
    actions.do_save_detail(coordinator, received, report_due_on=date(2020, 1, 1), report_received_on=date(2020, 2, 1))
    relocation = actions.do_create_response(coordinator, case, kind=Kind.RELOCATION, status="active")
    client = as_user(cast.a_coordinator)

    def listed(query: dict) -> set[str]:  # type: ignore[type-arg]
        page = client.get(url("list", cast), query).content.decode()
        return {str(r.pk) for r in (overdue, received, relocation) if str(r.pk) in page}

    assert listed({}) == {str(overdue.pk), str(received.pk), str(relocation.pk)}
    assert listed({"overdue": "on"}) == {str(overdue.pk)}
    assert listed({"kind": "relocation"}) == {str(relocation.pk)}
    assert listed({"status": "planned"}) == {str(overdue.pk), str(received.pk)}


def test_api_records_a_response_through_to_its_close(cast, case, client):
    headers = bearer(cast.tokens["a_caseworker_team"])
    created = client.post(
        api(cast, "cases", str(case.pk), "responses"),
        {"kind": "legal_support", "actor": "front-line-defenders", "cost_amount": "120.50", "cost_currency": "eur"},
        content_type="application/json",
        **headers,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["actor"] == "front-line-defenders" and body["cost_currency"] == "EUR"
    one = api(cast, "responses", body["id"])
    saved = client.put(
        one + "/details",
        {"lawyer": LAWYER_CANARY, "court": "Juzgado 3", "stage": "trial"},
        content_type="application/json",
        **headers,
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["details"]["court"] == "Juzgado 3"
    assert saved.json()["protected_recorded"] == ["lawyer"]
    assert LAWYER_CANARY not in saved.content.decode()
    bad = client.put(one + "/details", {"stage": "nonsense"}, content_type="application/json", **headers)
    assert bad.status_code == 400 and "stage" in bad.json()["error"]["fields"]
    step = client.post(
        one + "/steps",
        {"kind": "hearing", "occurred_on": "2024-06-03", "counterpart": "Juzgado 3", "observers": "EU delegation"},
        content_type="application/json",
        **headers,
    )
    assert step.status_code == 201, step.content
    wrong = client.post(
        one + "/steps",
        {"kind": "disbursement", "occurred_on": "2024-06-03"},
        content_type="application/json",
        **headers,
    )
    assert wrong.status_code == 400
    status = client.post(one + "/status", {"status": "active"}, content_type="application/json", **headers)
    assert status.json()["status"] == "active"
    revealed = client.post(one + "/reveal", {"fields": ["lawyer"]}, content_type="application/json", **headers)
    assert revealed.json() == {"lawyer": LAWYER_CANARY}
    unclosed = client.post(
        one + "/close", {"status": "completed", "outcome": "achieved"}, content_type="application/json", **headers
    )
    assert unclosed.status_code == 400
    closed = client.post(
        one + "/close",
        {
            "status": "completed",
            "outcome": "achieved",
            "what_worked": "Observers at hearings",
            "what_did_not_work": "-",
        },
        content_type="application/json",
        **headers,
    )
    assert closed.status_code == 200 and closed.json()["lesson"]
    listed = client.get(api(cast, "responses") + "?status=completed", **headers).json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]
    hidden = client.get(one, **bearer(cast.tokens["a_caseworker_other"]))
    assert hidden.status_code == 404


def test_deleting_a_case_takes_its_responses_and_keeps_the_lessons(cast, case):
    from salama.cases.actions import do_delete_case

    response = grant(cast, case)
    actions.do_add_step(
        cast.membership("a_coordinator"), response, kind="disbursement", occurred_on=date(2024, 6, 1), amount=Decimal(1)
    )
    lesson = close(cast, response)
    do_delete_case(cast.membership("a_admin"), case)
    assert not Response.objects.exists() and not ResponseStep.objects.exists()
    lesson.refresh_from_db()
    assert lesson.response is None and lesson.what_worked
