"""Importing incidents through the wizard: rows checked as the importer may see, written through
the incidents' own actions, idempotent on the external id."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from types import SimpleNamespace

import pytest
from django.db import connection
from django.urls import reverse

from salama.audit.models import AuditEntry
from salama.cases.actions import do_add_team_member, do_open_case, do_remove_team_member
from salama.cases.models import TimelineEvent
from salama.core.jobs import work_once
from salama.core.permissions import PERMISSIONS, Permission, Role
from salama.defenders.actions import do_create_defender
from salama.incidents.models import Incident
from salama.transfer import actions
from salama.transfer.incident_import import INCIDENTS
from salama.transfer.kinds import KINDS
from salama.transfer.models import ImportBatch
from salama.transfer.rows import validate
from salama.vocab.actions import load_default_vocabularies
from salama.vocab.models import Term

NARRATIVE = "CANARY-narrative-51c2"
COORDINATES = "2.4448,-76.6147"
HEADER = [
    "external_id",
    "case",
    "title",
    "date_start",
    "date_end",
    "date_precision",
    "country",
    "admin_area",
    "place",
    "violation_types",
    "perpetrator_types",
    "victims",
    "narrative",
    "coordinates",
]


@pytest.fixture
def world(cast):
    """Org A: defenders d-1 and d-2, case one (team: a_caseworker_team) and case two; org B: a
    case and a defender of its own, whose reference and external id A's rows will name."""
    load_default_vocabularies()
    admin, b_admin = cast.membership("a_admin"), cast.membership("b_admin")
    ana = do_create_defender(admin, public_name="Ana", external_id="d-1")
    bo = do_create_defender(admin, public_name="Bo", external_id="d-2")
    one = do_open_case(admin, title="One", defenders=[ana])
    do_add_team_member(admin, one, cast.a_caseworker_team)
    do_remove_team_member(admin, one, cast.a_admin)
    two = do_open_case(admin, title="Two", defenders=[bo])
    stranger = do_create_defender(b_admin, public_name="Cy", external_id="d-b")
    # Opened in another year, so its reference is one org A does not have.
    b_case = do_open_case(b_admin, title="B", defenders=[stranger], opened_on=date(2019, 1, 1))
    return SimpleNamespace(ana=ana, bo=bo, one=one, two=two, b_case=b_case)


def make_csv(rows, header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def url(name, org="org-a", **kwargs):
    return reverse(f"transfer:{name}", kwargs={"org_slug": org, **kwargs})


def upload(client, content, name="incidents.csv"):
    file = io.BytesIO(content)
    file.name = name
    return client.post(url("import_start"), {"kind": "incidents", "file": file})


def start(client, content, header=HEADER):
    response = upload(client, content)
    assert response.status_code == 302, response.content[:500]
    batch = ImportBatch.objects.latest("created_at")
    response = client.post(url("import_mapping", batch_id=batch.pk), {f"field_{name}": name for name in header})
    assert response.status_code == 302
    return batch


def good_rows(world):
    return [
        [
            "i-1",
            world.one.reference,
            "Threats at the office",
            "2024-03-05",
            "",
            "",
            "CO",
            "Cauca",
            "Popayán",
            "Death threats; surveillance",
            "State actors",
            "d-1; d-2",
            NARRATIVE,
            COORDINATES,
        ],
        ["i-2", world.two.reference, "Raid", "2024-03", "", "", "Kenya", "", "", "raid-break-in", "", "", "", ""],
    ]


def codes(queryset, field):
    return sorted(getattr(row, field).code for row in queryset)


def test_import_creates_through_the_action_and_reimport_updates(cast, as_user, world):
    client = as_user(cast.a_admin)
    batch = start(client, make_csv(good_rows(world)))
    page = client.get(url("import_preview", batch_id=batch.pk))
    assert page.context["summary"]["valid"] == 2 and page.context["summary"]["creates"] == 2
    assert Incident.objects.count() == 0  # the preview is a dry run
    assert client.post(url("import_run", batch_id=batch.pk)).status_code == 302

    first = Incident.objects.get(external_id="i-1")
    assert first.case == world.one and first.organization == cast.org_a
    assert (first.date_start, first.date_precision, first.country.code) == (date(2024, 3, 5), "exact", "CO")
    assert codes(first.acts.all(), "violation") == ["death-threats", "surveillance"]
    assert codes(first.perpetrators.all(), "type") == ["state-actors"]
    assert sorted(v.defender.external_id for v in first.victims.all()) == ["d-1", "d-2"]
    assert (first.narrative, first.coordinates) == (NARRATIVE, COORDINATES)
    second = Incident.objects.get(external_id="i-2")
    # A date written as a month says so, and starts on the month's first day.
    assert (second.date_start, second.date_precision, second.country.code) == (date(2024, 3, 1), "month", "KE")
    # As for a form: an audit entry and a timeline line for each, encrypted at rest.
    assert AuditEntry.objects.filter(action="incident.recorded").count() == 2
    assert TimelineEvent.objects.filter(case=world.one, kind="incident.recorded").count() == 1
    with connection.cursor() as cursor:
        for table in (
            "incidents_incident",
            "audit_auditentry",
            "cases_timelineevent",
            "transfer_importbatch",
            "transfer_importfile",
        ):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            rows = repr(cursor.fetchall())
            assert NARRATIVE not in rows and COORDINATES not in rows, table

    # The same file again, with a new title, one more violation and the narrative left empty.
    again = good_rows(world)
    again[0][2], again[0][9], again[0][12] = "Threats, and a raid", "Death threats; raid-break-in", ""
    batch = start(client, make_csv(again))
    assert client.get(url("import_preview", batch_id=batch.pk)).context["summary"]["updates"] == 2
    client.post(url("import_run", batch_id=batch.pk))
    batch.refresh_from_db()
    assert (batch.state, batch.created_count, batch.updated_count) == ("done", 0, 2)
    assert Incident.objects.count() == 2
    first.refresh_from_db()
    assert first.title == "Threats, and a raid"
    assert first.narrative == NARRATIVE  # an empty cell keeps what is recorded
    # Violations are added, none removed; victims and perpetrators are kept.
    assert codes(first.acts.all(), "violation") == ["death-threats", "raid-break-in", "surveillance"]
    assert sorted(v.defender.external_id for v in first.victims.all()) == ["d-1", "d-2"]
    assert codes(first.perpetrators.all(), "type") == ["state-actors"]
    assert AuditEntry.objects.filter(action="incident.updated").count() == 1  # i-2 did not change


def error_rows(page) -> dict[int, str]:
    return {result.number: " ".join(result.errors) for result in page.context["errors"]}


def test_malformed_rows_are_reported_per_row_and_only_valid_rows_import(cast, as_user, world):
    client = as_user(cast.a_admin)
    ok = good_rows(world)[1]

    def row(**changes):
        cells = dict(zip(HEADER, ok, strict=True))
        cells.update(changes)
        return [cells[name] for name in HEADER]

    rows = [
        ok,  # 2
        row(external_id="e-3", title=""),  # 3: title missing
        row(external_id="e-4", date_start="2024-02-30"),  # 4: no such day
        row(external_id="e-5", date_start="2024-05-01", date_end="2024-04"),  # 5: ends before it starts
        row(external_id="e-6", violation_types="Basket weaving"),  # 6: unknown term, not matched
        row(external_id="dup"),  # 7, 8: the same external id twice
        row(external_id="dup"),
        row(external_id="e-9", case=world.b_case.reference),  # 9: another organisation's case
        row(external_id="e-10", case="1999-0999"),  # 10: no such case
        row(external_id="e-11", victims="d-b"),  # 11: another organisation's defender
        row(external_id="e-12", victims="nobody"),  # 12: no such defender
        row(external_id="e-13", coordinates="91.5,-200"),  # 13: off the globe (protected)
        row(external_id="e-14", date_start="2024", date_precision="Exact date"),  # 14: a year is not exact
    ]
    batch = start(client, make_csv(rows))
    response = client.get(url("import_terms", batch_id=batch.pk))
    assert "Basket weaving" in response.content.decode()
    client.post(url("import_terms", batch_id=batch.pk), {})  # left unmatched
    page = client.get(url("import_preview", batch_id=batch.pk))
    errors = error_rows(page)
    assert sorted(errors) == list(range(3, 15))
    assert "Title is missing" in errors[3] and "not a date" in errors[4]
    assert "before the start" in errors[5] and "Basket weaving" in errors[6]
    assert "more than one row" in errors[7] and "more than one row" in errors[8]
    # Another organisation's case reads exactly as one that does not exist.
    assert errors[9].replace(world.b_case.reference, "X") == errors[10].replace("1999-0999", "X")
    assert errors[11].replace("d-b", "X") == errors[12].replace("nobody", "X")
    assert "latitude" in errors[13] and "cannot be exact" in errors[14]
    assert "91.5" not in page.content.decode()
    assert Incident.objects.count() == 0

    client.post(url("import_run", batch_id=batch.pk))
    assert list(Incident.objects.values_list("external_id", flat=True)) == ["i-2"]
    batch.refresh_from_db()
    assert (batch.created_count, batch.skipped_count) == (1, 12)


def test_a_missing_required_column_stops_at_the_mapping(cast, as_user, world):
    client = as_user(cast.a_admin)
    upload(client, make_csv([["i-1", "Title"]], header=["external_id", "title"]))
    batch = ImportBatch.objects.get()
    mapping = {"field_external_id": "external_id", "field_title": "title"}
    assert client.post(url("import_mapping", batch_id=batch.pk), mapping).status_code == 400
    batch.refresh_from_db()
    assert batch.state == "uploaded" and Incident.objects.count() == 0


def test_unknown_terms_are_matched_by_a_person_never_created(cast, as_user, world):
    terms_before = Term.objects.count()
    client = as_user(cast.a_admin)
    cells = good_rows(world)[1]
    cells[9], cells[10] = "Threatening letter; Ghost", "Paramilitares"
    batch = start(client, make_csv([cells]))
    form = client.get(url("import_terms", batch_id=batch.pk)).context["form"]
    keys = {value: key for key, _name, value in form.slots}
    choices = {
        keys["Threatening letter"]: "death-threats",
        keys["Ghost"]: "__empty__",
        keys["Paramilitares"]: "non-state-actors",
    }
    assert client.post(url("import_terms", batch_id=batch.pk), choices).status_code == 302
    client.post(url("import_run", batch_id=batch.pk))
    incident = Incident.objects.get(external_id="i-2")
    assert codes(incident.acts.all(), "violation") == ["death-threats"]
    assert codes(incident.perpetrators.all(), "type") == ["non-state-actors"]
    assert Term.objects.count() == terms_before


def _table(rows):
    return {"headers": HEADER, "rows": rows}


def test_rows_are_checked_with_the_importers_need_to_know(cast, world):
    """Whoever a row is checked as, a case or defender outside their need to know reads as
    missing: the same words as a reference that exists nowhere."""
    cells = good_rows(world)[0]
    hidden = [*cells[:1], world.one.reference, *cells[2:11], "d-1", "", ""]
    missing = [*cells[:1], "2000-0001", *cells[2:11], "d-404", "", ""]
    mapping = {name: name for name in HEADER}
    for who, visible in (("a_caseworker_team", True), ("a_caseworker_other", False)):
        [result] = validate(INCIDENTS, _table([hidden]), mapping, {}, cast.membership(who))
        if visible:
            assert result.errors == []
            continue
        [absent] = validate(INCIDENTS, _table([missing]), mapping, {}, cast.membership(who))
        assert [error.replace(world.one.reference, "X").replace("d-1", "Y") for error in result.errors] == [
            error.replace("2000-0001", "X").replace("d-404", "Y") for error in absent.errors
        ]
        assert len(result.errors) == 2


def test_only_those_who_may_import_incidents_reach_their_batches(cast, as_user, world, monkeypatch):
    # The import pages admit whoever may import some kind; each kind is checked on its own.
    kinds = [PERMISSIONS[kind.permission].roles for kind in KINDS.values()]
    assert PERMISSIONS["records.import"].roles == frozenset().union(*kinds)
    assert upload(as_user(cast.a_caseworker_team), make_csv(good_rows(world))).status_code == 403
    batch = start(as_user(cast.a_admin), make_csv(good_rows(world)))
    monkeypatch.setitem(
        PERMISSIONS, "incidents.import", Permission("incidents.import", frozenset({Role.ADMIN}), "admins only")
    )
    coordinator = as_user(cast.a_coordinator)
    assert coordinator.get(url("import_mapping", batch_id=batch.pk)).status_code == 403
    assert coordinator.post(url("import_run", batch_id=batch.pk)).status_code == 403
    response = coordinator.get(url("import_start"))
    assert [code for code, _label in response.context["form"].fields["kind"].choices] == ["defenders"]
    assert upload(coordinator, make_csv(good_rows(world))).status_code == 400
    assert Incident.objects.count() == 0


def test_a_large_incident_import_runs_in_the_background(cast, as_user, world, monkeypatch):
    monkeypatch.setattr(actions, "BACKGROUND_THRESHOLD", 1)
    client = as_user(cast.a_admin)
    batch = start(client, make_csv(good_rows(world)))
    client.post(url("import_run", batch_id=batch.pk))
    batch.refresh_from_db()
    assert batch.state == "queued" and Incident.objects.count() == 0
    assert work_once() == 1
    batch.refresh_from_db()
    assert (batch.state, batch.created_count, batch.shredded) == ("done", 2, True)
    assert Incident.objects.count() == 2


def test_a_full_export_imports_back_as_updates(cast, as_user, world):
    client = as_user(cast.a_admin)
    batch = start(client, make_csv(good_rows(world)))
    client.post(url("import_run", batch_id=batch.pk))
    exported = client.post(url("export_incidents"), {"format": "csv"})
    assert exported.status_code == 200
    file = io.BytesIO(exported.content)
    file.name = "incidents.csv"
    client.post(url("import_start"), {"kind": "incidents", "file": file})
    batch = ImportBatch.objects.latest("created_at")
    form = client.get(url("import_mapping", batch_id=batch.pk)).context["form"]
    assert all(form.initial.get(f"field_{name}") == name for name in HEADER)  # every column recognised
    client.post(url("import_mapping", batch_id=batch.pk), dict(form.initial))
    assert client.get(url("import_preview", batch_id=batch.pk)).context["summary"]["updates"] == 2
    client.post(url("import_run", batch_id=batch.pk))
    batch.refresh_from_db()
    assert (batch.created_count, batch.updated_count, batch.skipped_count) == (0, 2, 0)
    assert Incident.objects.count() == 2
    assert not any(NARRATIVE in json.dumps(entry.changes) for entry in AuditEntry.objects.all())
