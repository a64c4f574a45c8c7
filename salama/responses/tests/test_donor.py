"""The donor view: aggregates of the grants a donor funded, right to the unit, small cells
hidden, and never an identity, in the page or in the API."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from salama.accounts.actions import do_create_api_token
from salama.cases.actions import do_open_case
from salama.core.testing import bearer, make_person
from salama.defenders.actions import do_create_defender, do_record_consent
from salama.incidents.actions import do_record_incident
from salama.orgs.models import Membership, Organization
from salama.responses import actions
from salama.responses.donor import Cell, donor_report
from salama.responses.models import Kind
from salama.sharing.actions import do_share_case
from salama.sharing.models import Scope
from salama.vocab.models import Term


def unique(label: str) -> str:
    return f"{label}-{secrets.token_hex(5)}"


@pytest.fixture
def donor(cast: Any) -> tuple[Organization, Any, str]:
    org = Organization.objects.create(name="Fondo Solidario", slug="fondo", kind="donor", country="NL")
    person = make_person("officer@fondo.example", "Programme officer")
    Membership.objects.create(user=person, organization=org, role="viewer")
    return org, person, do_create_api_token(person, org, "test", 30)[1]


def funded_grant(
    cast: Any,
    org: str,
    funder: Organization,
    identities: list[str],
    *,
    country: str,
    amount: str,
    currency: str,
    purpose: str,
    paid_after_days: int | None,
    outcome: str | None,
) -> Any:
    """A grant on a new case whose every identifying text is a unique string kept in `identities`."""
    lead = cast.membership(f"{org}_coordinator")
    names = {
        "public_name": unique("Pseudonym"),
        "legal_name": unique("Legal"),
        "aliases": [unique("Alias")],
    }
    person = do_create_defender(lead, country=country, **names)
    title, summary = unique("CaseTitle"), unique("Summary")
    case = do_open_case(lead, title=title, defenders=[person], summary=summary, opened_on=date(2024, 1, 10))
    incident_title = unique("Incident")
    threat = Term.objects.get(vocabulary__code="violation-types", code="death-threats")
    do_record_incident(lead, case, title=incident_title, date_start=date(2024, 1, 5), acts=[{"violation": threat}])
    identities += [*names["aliases"], names["public_name"], names["legal_name"], title, summary, case.reference]
    identities.append(incident_title)
    response = actions.do_create_response(
        lead, case, kind=Kind.EMERGENCY_GRANT, status="active", started_on=date(2024, 1, 11)
    )
    actions.do_save_detail(
        lead, response, amount=Decimal(amount), currency=currency, purpose=purpose, funder_organization=funder
    )
    if paid_after_days is not None:
        notes = unique("StepNotes")
        identities.append(notes)
        actions.do_add_step(
            lead,
            response,
            kind="disbursement",
            occurred_on=date(2024, 1, 10) + timedelta(days=paid_after_days),
            amount=Decimal(amount),
            notes=notes,
        )
    if outcome:
        texts = [unique("Worked"), unique("NotWorked"), unique("OutcomeNotes")]
        identities += texts
        actions.do_close_response(
            lead,
            response,
            status="completed",
            outcome=outcome,
            what_worked=texts[0],
            what_did_not_work=texts[1],
            outcome_notes=texts[2],
        )
    return case


@pytest.fixture
def funded(cast: Any, donor: Any, vocab: None) -> dict[str, Any]:
    """Six USD grants recorded by A in Colombia (paid after 2, 3, 3, 4, 9, 40 days; five closed
    as achieved, one open) and two EUR grants recorded by B in Kenya (not paid, not achieved),
    all funded by the donor; and one grant funded by someone else."""
    org = donor[0]
    identities: list[str] = []
    cases = []
    for days, outcome in ((2, "achieved"), (3, "achieved"), (3, "achieved"), (4, "achieved"), (9, "achieved")):
        cases.append(
            funded_grant(
                cast, "a", org, identities, country="CO", amount="1000", currency="USD",
                purpose="legal_fees", paid_after_days=days, outcome=outcome,
            )
        )  # fmt: skip
    cases.append(
        funded_grant(
            cast, "a", org, identities, country="CO", amount="500.50", currency="USD",
            purpose="legal_fees", paid_after_days=40, outcome=None,
        )
    )  # fmt: skip
    for _ in range(2):
        funded_grant(
            cast, "b", org, identities, country="KE", amount="700", currency="EUR",
            purpose="medical", paid_after_days=None, outcome="not_achieved",
        )  # fmt: skip
    funded_grant(
        cast, "a", cast.org_b, identities, country="CO", amount="99999", currency="GBP",
        purpose="subsistence", paid_after_days=1, outcome=None,
    )  # fmt: skip
    return {"identities": identities, "cases": cases}


def cells(rows: list[Any]) -> dict[str, Any]:
    return {row.key: (row.cell.count, row.cell.hidden) for row in rows}


def test_the_report_aggregates_the_grants_the_donor_funded(cast, donor, funded):
    report = donor_report(Membership.objects.get(user=donor[1]))
    assert report.is_donor and report.threshold == 5
    assert report.total == Cell(8, False)
    amounts = {row.currency: (row.cell, row.total) for row in report.amounts}
    # EUR (2) is under 5; showing USD (6) beside the total (8) would give it away, so both go.
    assert amounts == {"USD": (Cell(None, True), None), "EUR": (Cell(None, True), None)}
    assert cells(report.purposes) == {"legal_fees": (None, True), "medical": (None, True)}
    # Two small cells hide each other: 2 and 1, or 1 and 2, agree with the 5 and the 8 shown.
    assert cells(report.outcomes) == {"achieved": (5, False), "not_achieved": (None, True), "open": (None, True)}
    times = report.response_times
    assert times is not None and times.cell == Cell(6, False) and times.median_days == 3.5
    assert cells(times.buckets) == {"0-3": (None, True), "4-7": (None, True), "8-30": (None, True), "31+": (None, True)}
    by_year_region = {(row.year, row.region): (row.cell.count, row.cell.hidden) for row in report.by_year_region}
    assert by_year_region == {(2024, "americas"): (None, True), (2024, "africa"): (None, True)}
    assert report.shared_cases == []


def test_the_threshold_is_a_setting(cast, donor, funded, settings):
    settings.DONOR_MIN_CELL = 2
    report = donor_report(Membership.objects.get(user=donor[1]))
    assert {row.currency: row.total for row in report.amounts} == {"USD": Decimal("5500.50"), "EUR": Decimal("1400")}
    # Three hidden 1s beside a shown 3 and a total of 6 could only be 1 each: the 3 goes too.
    assert cells(report.response_times.buckets) == {"0-3": (None, True), "4-7": (None, True), "8-30": (None, True),
                                                     "31+": (None, True)}  # fmt: skip


def test_no_identity_appears_in_the_page_or_the_api(cast, donor, funded, as_user, client):
    page = as_user(donor[1]).get(reverse("responses:donor", args=["fondo"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "a count under 5 is hidden" in html and "5500.50" not in html
    answer = client.get("/api/v1/organizations/fondo/donor-report", **bearer(donor[2]))
    assert answer.status_code == 200
    body = answer.content.decode()
    assert answer.json()["total"] == {"count": 8, "hidden": False}
    assert {"count": None, "hidden": True} in [row["cell"] for row in answer.json()["purposes"]]
    identities = funded["identities"]
    assert len(identities) > 80
    leaked = [text for text in identities if text in html or text in body]
    assert leaked == []
    assert "99999" not in html + body  # another funder's grant
    for case in funded["cases"]:
        assert str(case.pk) not in html + body  # not even a case id, unless shared


def test_a_case_shared_with_the_donor_is_linked_and_nothing_more(cast, donor, funded, as_user):
    case = funded["cases"][0]
    admin = cast.membership("a_admin")
    do_record_consent(
        admin, case.defenders.get(), scope="share_with_organisation", organization=donor[0], given_on=date(2024, 1, 1)
    )
    do_share_case(
        admin,
        case,
        to_organization=donor[0],
        scope=Scope.SUMMARY,
        purpose="Reporting to the funder",
        expires_at=timezone.now() + timedelta(days=30),
    )
    link = reverse("sharing:shared_detail", args=["fondo", case.pk])
    # the grant names no recipients: the donor's leads see the case, as with any sharing
    assert link not in as_user(donor[1]).get(reverse("responses:donor", args=["fondo"])).content.decode()
    lead = make_person("director@fondo.example", "Director")
    Membership.objects.create(user=lead, organization=donor[0], role="admin")
    html = as_user(lead).get(reverse("responses:donor", args=["fondo"])).content.decode()
    assert link in html
    assert case.title not in html and case.reference not in html


def test_another_kind_of_organisation_has_no_donor_report(cast, funded, as_user, client):
    html = as_user(cast.a_admin).get(reverse("responses:donor", args=[cast.org_a.slug])).content.decode()
    assert "for organisations of the donor kind" in html and "a count under" not in html
    body = client.get(f"/api/v1/organizations/{cast.org_a.slug}/donor-report", **bearer(cast.tokens["a_admin"])).json()
    assert body["is_donor"] is False and body["amounts"] == []


def test_no_hidden_count_follows_from_the_total_and_the_counts_shown(cast, donor, funded, settings):
    for threshold in (2, 3, 5, 7):
        settings.DONOR_MIN_CELL = threshold
        report = donor_report(Membership.objects.get(user=donor[1]))
        assert report.total == Cell(8, False)
        breakdowns = [
            [row.cell for row in report.amounts],
            [row.cell for row in report.purposes],
            [row.cell for row in report.outcomes],
            [row.cell for row in report.by_year_region],
        ]
        for breakdown in breakdowns:
            hidden = [cell for cell in breakdown if cell.hidden]
            shown = sum(cell.count or 0 for cell in breakdown if not cell.hidden)
            # None hidden, or several sharing a remainder that leaves each of them more than one value.
            assert not hidden or (len(hidden) >= 2 and 8 - shown > len(hidden)), (threshold, breakdown)


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=50))
def test_a_cell_is_hidden_exactly_when_positive_and_under_the_threshold(count, threshold):
    from django.conf import settings

    previous = getattr(settings, "DONOR_MIN_CELL", 5)
    settings.DONOR_MIN_CELL = threshold
    try:
        cell = Cell.of(count)
    finally:
        settings.DONOR_MIN_CELL = previous
    assert cell.hidden == (0 < count < threshold)
    assert cell.count == (None if cell.hidden else count)


def test_response_time_counts_from_the_referral_when_there_is_one(cast, donor, vocab, actors):
    from salama.directory.models import ProtectionActor
    from salama.referrals.models import Referral

    identities: list[str] = []
    case = funded_grant(
        cast, "a", donor[0], identities, country="CO", amount="10", currency="USD",
        purpose="other", paid_after_days=12, outcome=None,
    )  # fmt: skip
    referral = Referral(
        organization=cast.org_a,
        case=case,
        actor=ProtectionActor.objects.get(slug="front-line-defenders"),
        status="sent",
        sent_on=date(2024, 1, 17),  # a week after the case opened
    )
    referral.save()
    response = case.responses.get()
    response.referral = referral
    response.save()
    report = donor_report(Membership.objects.get(user=donor[1]))
    assert report.response_times is not None
    assert [(row.key, row.cell.hidden) for row in report.response_times.buckets] == [("4-7", True)]
    with override_settings(DONOR_MIN_CELL=1):
        report = donor_report(Membership.objects.get(user=donor[1]))
    assert report.response_times is not None and report.response_times.median_days == 5
