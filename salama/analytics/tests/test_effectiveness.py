"""Response effectiveness on a small, fully worked fixture; the page and the printed report."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine

from salama.analytics.effectiveness import effectiveness
from salama.analytics.report import Report, Section, render, table_rows
from salama.analytics.tables import INCIDENTS, Axis, Table

TODAY = date(2026, 11, 25)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(datetime(2026, 11, 25, 12, 0, tzinfo=UTC), tick=False) as traveller:
        yield traveller


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)


@pytest.fixture
def world(cast: Any) -> dict[str, Any]:
    """Two actors, three sent referrals and a draft; three started responses and a cancelled one;
    two defenders with incidents around the responses (the expected figures are in the tests)."""
    from salama.cases.actions import do_open_case
    from salama.defenders.actions import do_create_defender
    from salama.directory.models import ProtectionActor
    from salama.incidents.models import Incident, Victim
    from salama.referrals.models import Referral, ReferralEvent
    from salama.responses.models import Response, ResponseStep

    admin = cast.membership("a_admin")
    org = cast.org_a
    d1 = do_create_defender(admin, public_name="D one", country="CO")
    d2 = do_create_defender(admin, public_name="D two", country="CO")
    case = do_open_case(admin, title="Case", defenders=[d1, d2])
    mechanism = ProtectionActor.objects.create(slug="un-sr", name="UN Special Rapporteur", kind="mechanism")
    fund = ProtectionActor.objects.create(slug="fund-x", name="Fund X", kind="fund")

    def referral(actor: Any, sent_on: date | None, **fields: Any) -> Any:
        return Referral.objects.create(organization=org, case=case, actor=actor, sent_on=sent_on, **fields)

    r1 = referral(mechanism, date(2025, 1, 10), status="acknowledged", outcome="communication_sent")
    ReferralEvent.objects.create(
        referral=r1, kind="status", old_status="sent", new_status="acknowledged", at=_at(date(2025, 1, 15))
    )
    referral(mechanism, date(2025, 2, 1), status="sent", reply_received_on=date(2025, 3, 15))
    referral(fund, date(2025, 3, 1), status="sent", outcome="no_reply")
    referral(fund, None)  # a draft: never counted

    def response(kind: str, started_on: date, defenders: list[Any], **fields: Any) -> Any:
        made = Response.objects.create(organization=org, case=case, kind=kind, started_on=started_on, **fields)
        made.defenders.set(defenders)
        return made

    grant = response("emergency_grant", date(2025, 1, 1), [d1, d2], outcome="achieved", status="completed")
    ResponseStep.objects.create(organization=org, response=grant, kind="disbursement", occurred_on=date(2025, 1, 4))
    response("accompaniment", date(2025, 6, 1), [d1], status="active")
    legal = response("legal_support", date(2026, 10, 1), [d2], status="active")  # its window has not passed
    ResponseStep.objects.create(organization=org, response=legal, kind="hearing", occurred_on=date(2026, 10, 20))
    response("advocacy", date(2025, 1, 1), [d1], status="cancelled")

    for defender, day in [
        (d1, date(2024, 12, 20)),
        (d1, date(2025, 1, 1)),
        (d1, date(2025, 3, 1)),
        (d1, date(2026, 1, 1)),
        (d2, date(2023, 5, 1)),
    ]:
        incident = Incident.objects.create(organization=org, case=case, title="Incident", date_start=day)
        Victim.objects.create(organization=org, incident=incident, defender=defender)
    return {"org": org, "mechanism": mechanism, "fund": fund}


def _by_row(table: Table) -> dict[str, dict[str, int | None]]:
    return {
        label: {key: table.cell(r, c) for c, key in enumerate(table.columns.keys)}
        for r, label in enumerate(table.rows.labels)
    }


def test_referrals_by_actor_outcome_and_time_to_first_response(world: dict[str, Any]) -> None:
    result = effectiveness({world["org"].pk}, today=TODAY, k=1)
    outcomes = _by_row(result.referral_outcomes)
    assert outcomes["UN Special Rapporteur"]["communication_sent"] == 1
    assert outcomes["UN Special Rapporteur"]["pending"] == 1
    assert outcomes["Fund X"]["no_reply"] == 1
    assert result.referral_outcomes.total == 3  # the draft is not counted

    times = _by_row(result.referral_times.table)
    # 5 days to the acknowledgement; 42 days to the reply; no reply at all
    assert times["UN Special Rapporteur"]["0-7"] == 1
    assert times["UN Special Rapporteur"]["31-90"] == 1
    assert times["Fund X"]["no_reply"] == 1
    medians = dict(zip(result.referral_times.table.rows.labels, result.referral_times.medians, strict=True))
    assert medians == {"UN Special Rapporteur": 23.5, "Fund X": None}


def test_referrals_by_kind_of_actor(world: dict[str, Any]) -> None:
    result = effectiveness({world["org"].pk}, referrals_by="actor_kind", today=TODAY, k=1)
    assert dict(zip(result.referral_outcomes.rows.labels, result.referral_outcomes.row_totals, strict=True)) == {
        "Fund": 1,
        "Mechanism": 2,
    }


def test_responses_by_kind_outcome_and_time_to_first_step(world: dict[str, Any]) -> None:
    result = effectiveness({world["org"].pk}, today=TODAY, k=1)
    outcomes = _by_row(result.response_outcomes)
    assert outcomes["Emergency grant"]["achieved"] == 1
    assert outcomes["Protective accompaniment"]["pending"] == 1
    assert outcomes["Legal support"]["pending"] == 1
    assert result.response_outcomes.total == 3  # the cancelled one is left out
    times = _by_row(result.response_times.table)
    assert times["Emergency grant"]["0-7"] == 1
    assert times["Protective accompaniment"]["no_step"] == 1
    assert times["Legal support"]["8-30"] == 1


def test_incidents_before_and_after_and_defenders_with_no_new_incident(world: dict[str, Any]) -> None:
    result = effectiveness({world["org"].pk}, today=TODAY, k=1, window_months=12)
    around = _by_row(result.incidents_around)
    # the grant: d1 had 2 before (the start day counts before) and 2 after; d2 none in either window
    assert around["Emergency grant"] == {"before": 2, "after": 2}
    assert around["Protective accompaniment"] == {"before": 3, "after": 1}
    # the legal support started less than 12 months ago: not followed yet
    assert around["Legal support"] == {"before": 0, "after": 0}
    after = _by_row(result.defenders_after)
    assert after["Emergency grant"] == {"no_new_incident": 1, "new_incident": 1}
    assert dict(result.quiet_shares()) == {
        "Emergency grant": 0.5,
        "Protective accompaniment": 0.0,
        "Legal support": None,
    }


def test_a_shorter_window_sees_fewer_incidents_after(world: dict[str, Any]) -> None:
    result = effectiveness({world["org"].pk}, today=TODAY, k=1, window_months=6)
    # six months after 2025-01-01 holds 2025-03-01 only; 2026-01-01 is out
    assert _by_row(result.incidents_around)["Emergency grant"] == {"before": 2, "after": 1}


def test_another_organisations_rows_are_not_counted(world: dict[str, Any], cast: Any) -> None:
    result = effectiveness({cast.org_b.pk}, today=TODAY, k=1)
    assert all(table.total == 0 for table in result.tables)


def test_small_cells_are_suppressed(world: dict[str, Any]) -> None:
    result = effectiveness({world["org"].pk}, today=TODAY, k=5)
    table = result.referral_outcomes
    assert table.suppressed
    assert all(table.cell(r, c) is None for r, c in table.suppressed if r >= 0 and c >= 0)
    # medians of fewer than k values are withheld
    assert result.referral_times.medians == (None, None)


def test_date_filters(world: dict[str, Any]) -> None:
    result = effectiveness({world["org"].pk}, today=TODAY, k=1, date_from=date(2025, 2, 1), date_to=date(2025, 2, 28))
    assert result.referral_outcomes.total == 1
    assert result.response_outcomes.total == 0


# --- the printed report -----------------------------------------------------------------------


def _text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_report_prints_figures_hidden_cells_and_notes() -> None:
    rows = Axis("country", "Country", ("CO", "KE"), ("Colombia", "Kenya"))
    columns = Axis("year", "Year", ("2024", "2025"), ("2024", "2025"))
    table = Table(
        unit=INCIDENTS,
        rows=rows,
        columns=columns,
        counts=((37, 2), (14, 41)),
        row_totals=(39, 55),
        column_totals=(51, 43),
        total=94,
        suppressed=frozenset({(0, 1)}),
        notes=("One cell hidden under k.",),
    )
    report = Report(
        title="Annual analysis 2025",
        scope="Org A",
        period="From 2024-01-01 to 2025-12-31",
        generated_on="2026-11-25",
        sections=[Section("Incidents by country and year", table, ("Median 12 days",))],
        method=["Unit: incidents; k = 5."],
        quality=["Sector unconfirmed for 48% of victims."],
    )
    text = _text(render(report, "en"))
    for expected in (
        "Annual analysis 2025",
        "Incidents by country and year",
        "Colombia",
        "37",
        "41",
        "94",
        "hidden",
        "Median 12 days",
        "One cell hidden under k.",
        "Unit: incidents; k = 5.",
        "Sector unconfirmed for 48% of victims.",
        "Notes on method",
        "Data quality",
    ):
        assert expected in text, expected
    # the hidden value is printed nowhere
    assert table_rows(table)[1] == ["Colombia", "37", "hidden", "39"]


def test_report_in_arabic_renders() -> None:
    rows = Axis("country", "البلد", ("CO",), ("كولومبيا",))
    table = Table(unit=INCIDENTS, rows=rows, counts=((12,),), row_totals=(12,), column_totals=(12,), total=12)
    pdf = render(Report("تقرير", "منظمة", "2025", "2026-11-25", [Section("حوادث", table)], ["k = 5"]), "ar")
    assert pdf.startswith(b"%PDF")
    assert "12" in _text(pdf)


# --- the pages --------------------------------------------------------------------------------


def test_page_shows_the_tables_and_the_caveats(world: dict[str, Any], cast: Any, as_user: Any, clock: Any) -> None:
    client = as_user(cast.people["a_viewer"])
    page = client.get("/o/org-a/analytics/responses/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "association, not an effect" in body
    assert "Referrals by outcome" in body
    assert "report.pdf" not in body  # viewers cannot export


def test_empty_filters_are_explained(world: dict[str, Any], cast: Any, as_user: Any, clock: Any) -> None:
    client = as_user(cast.people["a_admin"])
    page = client.get("/o/org-a/analytics/responses/", {"date_from": "2000-01-01", "date_to": "2000-12-31"})
    assert "nothing to count" in page.content.decode()


def test_report_download_is_audited_and_holds_the_figures(
    world: dict[str, Any], cast: Any, as_user: Any, clock: Any, settings: Any
) -> None:
    from salama.audit.models import AuditEntry

    settings.SALAMA_ANALYTICS_MIN_CELL = 1
    client = as_user(cast.people["a_coordinator"])
    answer = client.get("/o/org-a/analytics/report.pdf", {"view": "responses", "window": "12"})
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    text = _text(answer.content)
    assert "Response effectiveness" in text
    assert "UN Special Rapporteur" in text
    assert "Notes on method" in text
    assert "association, not an effect" in text
    assert "50% of the defenders followed had no new incident" in text
    entry = AuditEntry.objects.filter(action="export.created").get()
    assert entry.target_type == "analytics_report"


def test_report_download_refused_to_viewers(world: dict[str, Any], cast: Any, as_user: Any) -> None:
    from salama.audit.models import AuditEntry

    client = as_user(cast.people["a_viewer"])
    assert client.get("/o/org-a/analytics/report.pdf").status_code == 403
    assert not AuditEntry.objects.filter(action="export.created").exists()


def test_bad_dates_get_a_clear_answer(world: dict[str, Any], cast: Any, as_user: Any) -> None:
    from salama.audit.models import AuditEntry

    client = as_user(cast.people["a_admin"])
    dates = {"date_from": "2025-12-01", "date_to": "2025-01-01"}
    answer = client.get("/o/org-a/analytics/report.pdf", {"view": "responses", **dates})
    assert answer.status_code == 400
    assert "after its end" in answer.content.decode()
    answer = client.get("/o/org-a/analytics/report.pdf", {"unit": "incidents", "rows": "year", **dates})
    assert answer.status_code == 400
    assert "cannot be before its start" in answer.content.decode()
    assert not AuditEntry.objects.filter(action="export.created").exists()


def test_report_of_the_analysis_view_has_its_table_chart_method_and_quality(
    world: dict[str, Any], cast: Any, as_user: Any, clock: Any, settings: Any
) -> None:
    from pypdf import PdfReader

    from salama.audit.models import AuditEntry

    settings.SALAMA_ANALYTICS_MIN_CELL = 1
    client = as_user(cast.people["a_admin"])
    answer = client.get("/o/org-a/analytics/report.pdf", {"unit": "incidents", "rows": "year"})
    assert answer.status_code == 200
    text = _text(answer.content)
    # the world's incidents: one in 2023, one in 2024, two in 2025, one in 2026
    lines = text.splitlines()
    for year, count in (("2023", "1"), ("2024", "1"), ("2025", "2"), ("2026", "1")):
        assert f"{year} {count}" in lines, year
    assert "Counting: incidents." in text
    assert "unknown or unspecified" in text  # the data-quality summary
    assert any(page.images for page in PdfReader(io.BytesIO(answer.content)).pages)  # the chart
    assert AuditEntry.objects.filter(action="export.created", target_type="analytics_report").count() == 1


def test_report_of_the_analysis_view_suppresses_small_cells(
    world: dict[str, Any], cast: Any, as_user: Any, clock: Any, settings: Any
) -> None:
    settings.SALAMA_ANALYTICS_MIN_CELL = 5
    client = as_user(cast.people["a_admin"])
    text = _text(client.get("/o/org-a/analytics/report.pdf", {"unit": "incidents", "rows": "year"}).content)
    assert "hidden" in text
    assert "2025 2" not in text.splitlines()
