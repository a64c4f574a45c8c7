"""Exports of the case list and the incident list: the list's filters, need to know, the
de-identified option, step-up and the audit entry."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from types import SimpleNamespace

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from salama.accounts.views import STEP_UP_AT
from salama.audit.models import AuditEntry
from salama.cases.actions import do_add_team_member, do_open_case, do_remove_team_member
from salama.core.permissions import LEADS, PERMISSIONS, Permission
from salama.defenders.actions import do_create_defender
from salama.incidents.actions import do_record_incident
from salama.vocab.actions import load_default_vocabularies
from salama.vocab.models import Term

SUMMARY = "CANARY-summary-90d1"
NARRATIVE = "CANARY-narrative-2be7"
COORDINATES = "4.5981,-74.0758"
# Everything a de-identified export must leave out: names, titles, references, external ids,
# places finer than the region, team members and protected values.
IDENTIFYING = (
    SUMMARY,
    NARRATIVE,
    COORDINATES,
    "Ana Ríos",
    "Bo Kimani",
    "River case",
    "Mountain case",
    "Threat at home",
    "Office raid",
    "Popayán",
    "ext-ana",
    "inc-1",
    "A caseworker_team",
)


def term(vocabulary, code):
    return Term.objects.get(vocabulary__code=vocabulary, code=code)


@pytest.fixture
def world(cast):
    """Case "River" (team: a_caseworker_team) with an incident in Colombia; case "Mountain"
    (urgent, team: the admin) with an incident in Kenya."""
    load_default_vocabularies()
    admin = cast.membership("a_admin")
    ana = do_create_defender(admin, public_name="Ana Ríos", external_id="ext-ana", country="CO")
    bo = do_create_defender(admin, public_name="Bo Kimani", country="KE")
    river = do_open_case(admin, title="River case", defenders=[ana], summary=SUMMARY, opened_on=date(2024, 2, 10))
    do_add_team_member(admin, river, cast.a_caseworker_team)
    do_remove_team_member(admin, river, cast.a_admin)
    mountain = do_open_case(admin, title="Mountain case", defenders=[bo], priority="urgent")
    threat = do_record_incident(
        admin,
        river,
        title="Threat at home",
        date_start=date(2024, 3, 5),
        date_end=date(2024, 3, 9),
        country="CO",
        admin_area="Cauca",
        place="Popayán",
        narrative=NARRATIVE,
        coordinates=COORDINATES,
        external_id="inc-1",
        acts=[{"violation": term("violation-types", "death-threats"), "victim": 0}],
        victims=[{"defender": ana}],
        perpetrators=[{"type": term("perpetrator-types", "state-actors")}],
    )
    raid = do_record_incident(
        admin,
        mountain,
        title="Office raid",
        date_start=date(2023, 11, 20),
        country="KE",
        acts=[{"violation": term("violation-types", "raid-break-in")}],
    )
    return SimpleNamespace(ana=ana, bo=bo, river=river, mountain=mountain, threat=threat, raid=raid)


def url(name, org="org-a"):
    return reverse(f"transfer:{name}", kwargs={"org_slug": org})


def export(client, kind, **data):
    return client.post(url(f"export_{kind}"), {"format": "json", **data})


def test_case_export_honours_the_list_filters(cast, as_user, world):
    client = as_user(cast.a_admin)
    rows = json.loads(export(client, "cases").content)
    assert sorted(row["title"] for row in rows) == ["Mountain case", "River case"]
    river = next(row for row in rows if row["title"] == "River case")
    assert river["summary"] == SUMMARY and river["defenders"] == ["Ana Ríos"]
    assert river["reference"] == world.river.reference and river["opened_on"] == "2024-02-10"
    assert [row["title"] for row in json.loads(export(client, "cases", priority="urgent").content)] == ["Mountain case"]
    filtered = export(client, "cases", country="CO", opened_to="2024-12-31")
    assert [row["title"] for row in json.loads(filtered.content)] == ["River case"]


def test_incident_export_honours_the_list_filters(cast, as_user, world):
    client = as_user(cast.a_admin)
    rows = json.loads(export(client, "incidents").content)
    assert [row["title"] for row in rows] == ["Threat at home", "Office raid"]  # the list's order
    threat = rows[0]
    assert (threat["case"], threat["narrative"], threat["coordinates"]) == (
        world.river.reference,
        NARRATIVE,
        COORDINATES,
    )
    assert threat["violation_types"] == ["death-threats"] and threat["victims"] == ["ext-ana"]
    violation = term("violation-types", "raid-break-in")
    for filters, titles in (
        ({"country": "KE"}, ["Office raid"]),
        ({"violation": violation.pk}, ["Office raid"]),
        ({"date_from": "2024-01-01"}, ["Threat at home"]),
    ):
        assert [row["title"] for row in json.loads(export(client, "incidents", **filters).content)] == titles


def test_exports_hold_only_what_need_to_know_lets_the_member_see(cast, as_user, world):
    on_team = as_user(cast.a_caseworker_team)
    assert [row["title"] for row in json.loads(export(on_team, "cases").content)] == ["River case"]
    assert [row["title"] for row in json.loads(export(on_team, "incidents").content)] == ["Threat at home"]
    elsewhere = as_user(cast.a_caseworker_other)
    assert json.loads(export(elsewhere, "cases").content) == []
    assert json.loads(export(elsewhere, "incidents", deidentified="on").content) == []
    entry = AuditEntry.objects.filter(action="export.created", actor=cast.a_caseworker_other).latest("pk")
    assert entry.changes["count"]["new"] == 0


@pytest.mark.parametrize("kind", ["cases", "incidents"])
def test_deidentified_export_has_no_protected_value_and_months_only(cast, as_user, world, kind):
    client = as_user(cast.a_coordinator)
    response = export(client, kind, deidentified="on")
    body = response.content.decode()
    for secret in IDENTIFYING:
        assert secret not in body, secret
    rows = json.loads(body)
    assert len(rows) == 2
    months = [value for row in rows for name, value in row.items() if name.endswith("_month") and value]
    assert months and all(re.fullmatch(r"\d{4}-\d{2}", value) for value in months)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", body)  # no full date anywhere
    assert sorted(row["pseudonym"] for row in rows) == [f"{kind[:-1].capitalize()} {n}" for n in (1, 2)]
    if kind == "incidents":
        threat = next(row for row in rows if row["country"] == "CO")
        assert threat["admin_area"] == "Cauca" and threat["victims"] == ["Defender 1"]
        assert threat["violation_types"] == ["death-threats"] and threat["case"].startswith("Case ")
        assert {"place", "narrative", "coordinates", "external_id", "title"}.isdisjoint(threat)
    else:
        assert all(row["defenders"][0].startswith("Defender ") for row in rows)
        assert {"reference", "title", "team", "summary"}.isdisjoint(rows[0])
    entry = AuditEntry.objects.filter(action="export.created").get()
    assert {name: change["new"] for name, change in entry.changes.items()} == {
        "format": "json",
        "count": 2,
        "deidentified": True,
    }
    assert entry.target_type == kind


@pytest.mark.parametrize("kind", ["cases", "incidents"])
def test_every_export_needs_a_fresh_second_factor(cast, as_user, world, kind):
    client = as_user(cast.a_admin)
    session = client.session
    session[STEP_UP_AT] = 0
    session.save()
    for data in ({"country": "CO"}, {"country": "CO", "deidentified": "on"}):
        response = client.post(url(f"export_{kind}"), {"format": "csv", **data})
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:confirm"))
        assert "country%3DCO" in response["Location"]
    assert not AuditEntry.objects.filter(action="export.created").exists()


def test_full_export_needs_the_right_to_reveal(cast, as_user, world, monkeypatch):
    assert export(as_user(cast.a_viewer), "cases", deidentified="on").status_code == 403
    monkeypatch.setitem(PERMISSIONS, "cases.reveal", Permission("cases.reveal", LEADS, "leads only"))
    caseworker = as_user(cast.a_caseworker_team)
    for kind in ("cases", "incidents"):
        refused = export(caseworker, kind)
        assert refused.status_code == 403 and SUMMARY not in refused.content.decode()
    assert export(caseworker, "incidents", deidentified="on").status_code == 200
    assert AuditEntry.objects.filter(action="export.created").count() == 1


def test_csv_and_xlsx_exports_are_audited_attachments(cast, as_user, world):
    client = as_user(cast.a_admin)
    response = client.post(url("export_incidents"), {"format": "csv"})
    assert response["Content-Disposition"].startswith('attachment; filename="incidents-')
    assert response["X-Content-Type-Options"] == "nosniff" and "no-store" in response["Cache-Control"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0]["violation_types"] == "death-threats" and rows[0]["coordinates"] == COORDINATES
    response = client.post(url("export_cases"), {"format": "xlsx", "deidentified": "on"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    headers = [cell.value for cell in next(sheet.iter_rows())]
    assert headers[:2] == ["pseudonym", "status"] and "opened_month" in headers and "summary" not in headers
    entries = AuditEntry.objects.filter(action="export.created")
    assert sorted(entry.changes["format"]["new"] for entry in entries) == ["csv", "xlsx"]


def test_list_pages_link_to_their_export_with_the_filters(cast, as_user, world):
    client = as_user(cast.a_caseworker_team)
    page = client.get(reverse("cases:list", kwargs={"org_slug": "org-a"}) + "?priority=urgent").content.decode()
    assert f"{url('export_cases')}?priority=urgent" in page
    page = client.get(reverse("incidents:list", kwargs={"org_slug": "org-a"}) + "?country=KE").content.decode()
    assert f"{url('export_incidents')}?country=KE" in page
    assert url("import_start") not in page  # caseworkers do not import
    form = client.get(f"{url('export_incidents')}?country=KE").context["filter_form"]
    assert form["country"].value() == "KE"
    viewer = as_user(cast.a_viewer).get(reverse("cases:list", kwargs={"org_slug": "org-a"})).content.decode()
    assert url("export_cases") not in viewer
