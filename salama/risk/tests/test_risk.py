"""Risk assessments and protection plans: the guided form without JavaScript, need to know,
audited reveals, completion and history, plans and templates, the board's summary, the API."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, get_args

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test import Client
from django.utils import timezone

from salama.audit.models import AuditEntry
from salama.cases.actions import do_add_team_member, do_open_case, do_remove_team_member
from salama.cases.models import TimelineEvent
from salama.cases.timeline import describe
from salama.core.testing import bearer
from salama.defenders.actions import do_create_defender
from salama.risk import actions, api
from salama.risk.access import assessments_of, history, level_of
from salama.risk.models import Domain, Measure, ReviewTrigger, RiskAssessment, Threat
from salama.risk.plans import grant_request_lines, load_templates
from salama.risk.summary import LEVELS, latest_levels, reviews_due
from salama.vocab.actions import load_default_vocabularies

SECRET_FACTS = "Men on motorbikes photographed the office"
SECRET_ACTOR = "Commander of the 5th brigade"


@pytest.fixture
def world(cast: Any) -> dict[str, Any]:
    """A defender on a case whose team is A's team caseworker alone."""
    load_default_vocabularies()
    admin = cast.membership("a_admin")
    defender = do_create_defender(admin, public_name="Defender Luz")
    case = do_open_case(admin, title="Case Luz", defenders=[defender])
    do_add_team_member(admin, case, cast.a_caseworker_team)
    do_add_team_member(admin, case, cast.a_viewer)
    do_remove_team_member(admin, case, cast.a_admin)
    return {"defender": defender, "case": case, "url": f"/o/{cast.org_a.slug}/risk/"}


def _assessment(cast: Any, world: dict[str, Any], **extra: Any) -> RiskAssessment:
    me = cast.membership("a_caseworker_team")
    return actions.do_record_assessment(
        me,
        world["defender"],
        case=world["case"],
        threats=[{"likelihood": 4, "impact": 5, "facts": SECRET_FACTS, "named_actor": SECRET_ACTOR}],
        vulnerabilities=[{"domain": Domain.DIGITAL, "severity": 4, "description": "Shared phone"}],
        capacities=[{"domain": Domain.DIGITAL, "strength": 4, "offsets": 0}],
        next_review_on=extra.pop("next_review_on", timezone.localdate() + timedelta(days=90)),
        complete=extra.pop("complete", True),
        **extra,
    )


def _follow(client: Client, response: Any) -> Any:
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.get(response["Location"])


def test_guided_form_end_to_end_without_javascript(cast, world, as_user):
    client = as_user(cast.a_caseworker_team)
    defender = world["defender"]
    start = f"{world['url']}defenders/{defender.pk}/new/"
    page = client.get(start)
    assert page.status_code == 200
    assert "1. Context" in page.content.decode()

    response = client.post(
        start, {"assessed_on": "2025-11-01", "confidence": "high", "case": str(world["case"].pk), "context": "Ctx"}
    )
    assessment = RiskAssessment.objects.get(defender=defender)
    assert response["Location"].endswith(f"/assessments/{assessment.pk}/step/2/")
    step = f"{world['url']}assessments/{assessment.pk}/step/"
    threat = {
        "kind": "declared",
        "perpetrator_type": str(_term_pk("police")),
        "named_actor": SECRET_ACTOR,
        "means": "phone",
        "facts": SECRET_FACTS,
        "pattern": "Third call this month",
        "objective": "Stop the land claim",
        "author": "Local police",
        "feasibility": "They have done it before",
        "conclusion": "Serious",
        "likelihood": "4",
        "impact": "5",
        "status": "open",
        "closed_reason": "",
    }
    # "add another" saves and stays on the step with an empty form
    response = client.post(step + "2/", {**threat, "action": "add"})
    assert response["Location"].endswith("/step/2/")
    response = client.post(
        step + "2/", {**threat, "likelihood": "1", "impact": "1", "named_actor": "", "action": "next"}
    )
    assert response["Location"].endswith("/step/3/")
    assert [(t.likelihood, t.impact) for t in assessment.threats.all()] == [(4, 5), (1, 1)]

    response = client.post(
        step + "3/", {"domain": "digital", "severity": "4", "description": "One phone", "action": "next"}
    )
    assert response["Location"].endswith("/step/4/")
    vulnerability = assessment.vulnerabilities.get()
    page = client.get(step + "4/").content.decode()
    assert f'value="{vulnerability.pk}"' in page  # the capacity can offset it
    response = client.post(
        step + "4/",
        {"domain": "digital", "strength": "4", "description": "Signal", "offsets": vulnerability.pk, "action": "next"},
    )
    assert response["Location"].endswith("/step/5/")

    review = client.get(step + "5/").content.decode()
    assert "Level: Critical" in review
    assert "The highest scores 20 of 25 (likelihood 4, impact 5)" in review
    assert "risk-matrix" in review

    # completing without a review date is refused, with the answer on the page
    refused = client.post(step + "5/", {"action": "complete"})
    assert refused.status_code == 400
    assert "Set the date of the next review." in refused.content.decode()
    response = client.post(
        step + "5/",
        {"next_review_on": "2026-02-01", "review_triggers": ["new_incident", "missed_check_in"], "action": "complete"},
    )
    detail = _follow(client, response).content.decode()
    assessment.refresh_from_db()
    assert assessment.status == RiskAssessment.Status.COMPLETE
    assert assessment.level == "critical"
    assert assessment.review_triggers == ["missed_check_in", "new_incident"]
    assert "Level: Critical" in detail and "How the level was reached:" in detail
    assert "<strong>T1</strong>" in detail
    assert SECRET_FACTS not in detail  # protected until revealed
    event = TimelineEvent.objects.get(case=world["case"], kind="risk.assessed")
    assert "completed a risk assessment: the level is Critical" in describe(event)
    # a completed assessment is history: its steps lead back to the page
    assert client.get(step + "2/")["Location"].endswith(f"/assessments/{assessment.pk}/")


def _term_pk(code: str) -> Any:
    from salama.vocab.models import Term

    return Term.objects.get(vocabulary__code="perpetrator-types", code=code).pk


def test_an_untouched_item_form_moves_on_without_adding(cast, world, as_user):
    client = as_user(cast.a_caseworker_team)
    assessment = actions.do_start_assessment(cast.membership("a_caseworker_team"), world["defender"])
    step = f"{world['url']}assessments/{assessment.pk}/step/"
    untouched = {"kind": "declared", "means": "other", "likelihood": "3", "impact": "3", "status": "open"}
    assert client.post(step + "2/", {**untouched, "action": "next"})["Location"].endswith("/step/3/")
    assert client.post(step + "3/", {"severity": "3", "action": "next"})["Location"].endswith("/step/4/")
    assert assessment.threats.count() == 0 and assessment.vulnerabilities.count() == 0
    # an invalid item shows its errors and keeps what was typed
    invalid = client.post(step + "3/", {"severity": "3", "description": "Kept text", "action": "add"})
    assert invalid.status_code == 400 and "Kept text" in invalid.content.decode()


def test_protected_text_is_encrypted_and_revealed_only_on_an_audited_request(cast, world, as_user):
    assessment = _assessment(cast, world)
    threat = assessment.threats.get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT facts, named_actor FROM risk_threat WHERE id = %s", [threat.pk.hex])
        row = cursor.fetchone()
    assert row is not None and SECRET_FACTS not in row[0] and SECRET_ACTOR not in row[1]

    reveal = f"{world['url']}assessments/{assessment.pk}/reveal/"
    viewer = as_user(cast.a_viewer)  # on the case team: sees the assessment, not its text
    assert viewer.get(f"{world['url']}assessments/{assessment.pk}/").status_code == 200
    assert viewer.post(reveal, {"part": "threats"}).status_code == 403

    page = as_user(cast.a_caseworker_team).post(reveal, {"part": "threats"}).content.decode()
    assert SECRET_FACTS in page and SECRET_ACTOR in page
    entry = AuditEntry.objects.filter(action="risk_assessment.revealed").get()
    assert entry.target_id == str(assessment.pk) and SECRET_FACTS not in json.dumps(entry.changes)


def test_need_to_know_follows_the_defender(cast, world, as_user):
    assessment = _assessment(cast, world)
    other = as_user(cast.a_caseworker_other)
    assert other.get(f"{world['url']}assessments/{assessment.pk}/").status_code == 404
    assert other.get(f"{world['url']}defenders/{world['defender'].pk}/").status_code == 404
    assert "Defender Luz" not in other.get(world["url"]).content.decode()
    assert "Defender Luz" in as_user(cast.a_coordinator).get(world["url"]).content.decode()
    assert as_user(cast.b_admin).get(f"/o/{cast.org_b.slug}/risk/assessments/{assessment.pk}/").status_code == 404
    with pytest.raises(Http404):
        actions.do_start_assessment(cast.membership("a_caseworker_other"), world["defender"])
    with pytest.raises(PermissionDenied):
        actions.do_start_assessment(cast.membership("a_viewer"), world["defender"])
    assert not assessments_of(cast.membership("a_caseworker_other")).exists()


def test_completed_assessments_are_not_edited_and_history_shows_the_trend(cast, world, as_user):
    me = cast.membership("a_caseworker_team")
    first = _assessment(cast, world, assessed_on=date(2025, 1, 10))
    with pytest.raises(ValidationError):
        actions.do_add_vulnerability(me, first, domain=Domain.LEGAL, severity=2)
    second = actions.do_record_assessment(
        me,
        world["defender"],
        assessed_on=date(2025, 6, 1),
        threats=[{"likelihood": 2, "impact": 2}],
        next_review_on=date(2025, 9, 1),
        complete=True,
    )
    draft = actions.do_start_assessment(me, world["defender"], assessed_on=date(2025, 7, 1))
    lines = history(me, world["defender"])
    assert [(line.assessment.pk, line.trend) for line in lines] == [
        (draft.pk, ""),
        (second.pk, "lower"),
        (first.pk, "first"),
    ]
    page = as_user(cast.a_caseworker_team).get(f"{world['url']}defenders/{world['defender'].pk}/").content.decode()
    assert "Lower" in page and "First assessment" in page and "Critical" in page
    # the board reads the latest completed one, and what is due for review
    assert latest_levels(cast.org_a) == {world["defender"].pk: second.level}
    assert list(reviews_due(cast.org_a, date(2025, 8, 31))) == []
    assert list(reviews_due(cast.org_a, date(2025, 9, 1))) == [second]
    assert [code for code, _label in LEVELS] == ["low", "moderate", "high", "critical"]


def test_a_closed_threat_needs_a_reason_and_does_not_count(cast, world):
    me = cast.membership("a_caseworker_team")
    assessment = actions.do_start_assessment(me, world["defender"])
    with pytest.raises(ValidationError):
        actions.do_add_threat(me, assessment, likelihood=5, impact=5, status=Threat.Status.CLOSED)
    actions.do_add_threat(
        me, assessment, likelihood=5, impact=5, status=Threat.Status.CLOSED, closed_reason=Threat.ClosedReason.ENDED
    )
    assert level_of(assessment).code == "low"


def test_plans_templates_and_grant_lines(cast, world, as_user):
    me = cast.membership("a_caseworker_team")
    assessment = _assessment(cast, world)
    plan = actions.do_create_plan(me, world["defender"], title="Plan 2025", assessment=assessment)
    client = as_user(cast.a_caseworker_team)
    plan_url = f"{world['url']}plans/{plan.pk}/"
    response = client.post(plan_url + "template/", {"template": "digital-security-baseline"})
    assert response.status_code == 302
    response = client.post(
        plan_url + "measures/",
        {
            "kind": "response",
            "title": "Lawyer on call",
            "description": "Name of the lawyer",
            "owner": cast.a_coordinator.pk,
            "status": "planned",
            "cost_amount": "250.00",
            "cost_currency": "eur",
            "for_grant_request": "on",
        },
    )
    assert response.status_code == 302
    lawyer = plan.measures.get(title="Lawyer on call")
    assert lawyer.cost_currency == "EUR" and lawyer.owner == cast.a_coordinator
    lines = grant_request_lines(plan)
    assert [(line.title, line.amount, line.currency) for line in lines] == [
        ("Password manager for the team", Decimal("120.00"), "USD"),
        ("Replace an outdated phone", Decimal("350.00"), "USD"),
        ("Lawyer on call", Decimal("250.00"), "EUR"),
    ]
    phone = plan.measures.get(title="Replace an outdated phone")
    client.post(plan_url + f"measures/{phone.pk}/status/", {"status": "dropped"})
    phone.refresh_from_db()
    assert phone.status == Measure.Status.DROPPED
    assert [line.title for line in grant_request_lines(plan)] == ["Password manager for the team", "Lawyer on call"]

    page = client.get(plan_url).content.decode()
    assert "Lawyer on call" in page and "Name of the lawyer" not in page
    assert "Name of the lawyer" in client.post(plan_url + "reveal/").content.decode()
    assert as_user(cast.a_viewer).post(plan_url + "measures/", {"title": "x", "kind": "prevention"}).status_code == 403
    assert as_user(cast.a_caseworker_other).get(plan_url).status_code == 404


def test_templates_ship_the_four_protocols_with_measures():
    templates = load_templates()
    assert {"missed-check-in", "digital-security-baseline", "office-security", "travel-and-movement"} <= set(templates)
    for template in templates.values():
        assert len(template.measures) >= 3
        assert {m.kind for m in template.measures} <= set(Measure.Kind.values)


def test_api_literals_follow_the_models():
    pairs = [
        (api.ThreatKind, Threat.Kind),
        (api.ThreatMeans, Threat.Means),
        (api.ThreatStatus, Threat.Status),
        (api.ThreatClosedReason, Threat.ClosedReason),
        (api.DomainCode, Domain),
        (api.AssessmentStatus, RiskAssessment.Status),
        (api.Confidence, RiskAssessment.Confidence),
        (api.TriggerCode, ReviewTrigger),
        (api.MeasureKind, Measure.Kind),
        (api.MeasureStatus, Measure.Status),
    ]
    for literal, choices in pairs:
        assert list(get_args(literal)) == list(choices.values)
    assert list(get_args(api.LevelCode)) == [code for code, _label in LEVELS]


def test_api_assessments_and_plans(cast, world):
    client = Client()
    base = f"/api/v1/organizations/{cast.org_a.slug}/risk/"
    body = {
        "defender": str(world["defender"].pk),
        "case": str(world["case"].pk),
        "assessed_on": "2025-12-01",
        "threats": [
            {"likelihood": 3, "impact": 4, "perpetrator_type": "police", "facts": SECRET_FACTS, "means": "phone"},
            {"likelihood": 5, "impact": 5, "status": "closed", "closed_reason": "ended"},
        ],
        "vulnerabilities": [{"domain": "movement", "severity": 5, "description": "Same route daily"}],
        "capacities": [
            {"domain": "movement", "strength": 2, "offsets": 0},
            {"domain": "organisational", "strength": 5},
        ],
        "next_review_on": "2026-01-15",
        "review_triggers": ["location_change"],
        "complete": True,
    }
    team = bearer(cast.tokens["a_caseworker_team"])
    response = client.post(base + "assessments", json.dumps(body), content_type="application/json", **team)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "complete" and created["level"]["code"] == "high"
    assert created["level"]["explanation"][0].startswith("1 threat counts. 1 closed threat does not.")
    assert created["threats"][0]["perpetrator_type"] == "police"
    assert created["threats"][0]["protected_set"] == ["facts"]
    assert SECRET_FACTS not in response.content.decode()
    assert created["capacities"][0]["offsets"] == created["vulnerabilities"][0]["id"]

    one = base + f"assessments/{created['id']}"
    assert client.get(one, **team).json()["id"] == created["id"]
    assert client.get(one, **bearer(cast.tokens["a_caseworker_other"])).status_code == 404
    listed = client.get(base + "assessments", **bearer(cast.tokens["a_caseworker_other"])).json()
    assert listed["count"] == 0
    revealed = client.post(one + "/reveal", json.dumps({"parts": ["threats"]}), content_type="application/json", **team)
    assert revealed.json()["threats"][created["threats"][0]["id"]]["facts"] == SECRET_FACTS
    viewer = bearer(cast.tokens["a_viewer"])
    assert client.post(one + "/reveal", "{}", content_type="application/json", **viewer).status_code == 403
    assert (
        client.post(base + "assessments", json.dumps(body), content_type="application/json", **viewer).status_code
        == 403
    )
    hidden = {**body, "defender": str(do_create_defender(cast.membership("a_admin"), public_name="Other").pk)}
    refused = client.post(base + "assessments", json.dumps(hidden), content_type="application/json", **team)
    assert refused.status_code == 400 and "defender" in refused.json()["error"]["fields"]

    plan_body = {
        "defender": body["defender"],
        "title": "Plan",
        "assessment": created["id"],
        "template": "office-security",
    }
    plan = client.post(base + "plans", json.dumps(plan_body), content_type="application/json", **team).json()
    assert len(plan["measures"]) == 4 and plan["assessment"] == created["id"]
    measure = client.post(
        base + f"plans/{plan['id']}/measures",
        json.dumps({"title": "Escort", "cost_amount": "80.50", "cost_currency": "USD", "for_grant_request": True}),
        content_type="application/json",
        **team,
    )
    assert measure.status_code == 201
    patched = client.patch(
        base + f"plans/{plan['id']}/measures/{measure.json()['id']}",
        json.dumps({"status": "in_progress"}),
        content_type="application/json",
        **team,
    )
    assert patched.json()["status"] == "in_progress"
    assert client.get(base + "plans", **team).json()["count"] == 1


def test_reviews_due_ignore_older_assessments_and_other_organisations(cast, world):
    me = cast.membership("a_caseworker_team")
    today = date(2025, 5, 1)
    _assessment(cast, world, assessed_on=today - timedelta(days=200), next_review_on=today - timedelta(days=100))
    newer = _assessment(cast, world, assessed_on=today - timedelta(days=10), next_review_on=today + timedelta(days=80))
    assert list(reviews_due(cast.org_a, today)) == []
    assert list(reviews_due(cast.org_b, today + timedelta(days=100))) == []
    assert list(reviews_due(cast.org_a, today + timedelta(days=80))) == [newer]
    assert me.organization == cast.org_a


def test_the_demo_network_has_an_explained_assessment_and_a_costed_plan(db):
    from salama.core.demo import load_demo_network

    load_demo_network()
    load_demo_network()  # a second run adds nothing
    assessment = RiskAssessment.objects.get()
    assert assessment.status == RiskAssessment.Status.COMPLETE and assessment.level in dict(LEVELS)
    assert len(level_of(assessment).explanation) == 4
    plan = assessment.plans.get()
    assert len(grant_request_lines(plan)) >= 3


def test_a_reassessment_starts_from_the_previous_one_and_rescores_its_threats(cast, world, as_user):
    me = cast.membership("a_caseworker_team")
    previous = _assessment(cast, world, assessed_on=date(2025, 1, 10), next_review_on=date(2025, 4, 1))
    # the previous one also had a threat that was closed
    closed = Threat(organization=cast.org_a, assessment=previous, likelihood=5, impact=5, status="closed", position=9)
    closed.closed_reason = "ended"
    closed.save()
    client = as_user(cast.a_caseworker_team)
    start = f"{world['url']}defenders/{world['defender'].pk}/new/"
    assert "Start from the latest completed assessment" in client.get(start).content.decode()
    client.post(start, {"assessed_on": "2025-05-01", "confidence": "medium", "copy_previous": "on"})
    draft = RiskAssessment.objects.get(status=RiskAssessment.Status.DRAFT)
    copied = draft.threats.get()  # the closed one stays behind
    assert copied.facts == SECRET_FACTS and copied.named_actor == SECRET_ACTOR
    assert copied.data_key_id != previous.threats.get(status="open").data_key_id
    capacity = draft.capacities.get()
    assert capacity.offsets == draft.vulnerabilities.get()

    rescore = f"{world['url']}assessments/{draft.pk}/threats/rescore/"
    refused = {"threat": copied.pk, "likelihood": "2", "impact": "5", "status": "closed", "closed_reason": ""}
    client.post(rescore, refused)
    copied.refresh_from_db()
    assert copied.status == "open"
    client.post(rescore, {**refused, "closed_reason": "mitigated"})
    copied.refresh_from_db()
    assert (copied.likelihood, copied.status, copied.closed_reason) == (2, "closed", "mitigated")
    assert level_of(draft).code == "low"
    with pytest.raises(ValidationError):
        actions.do_rescore_threat(me, previous, previous.threats.first(), likelihood=1, impact=1, status="open")
