from __future__ import annotations

import csv
import gc
import io
import json
import re

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from salama.accounts.views import STEP_UP_AT
from salama.audit.models import AuditEntry
from salama.audit.verify import verify_chain
from salama.core.jobs import work_once
from salama.defenders.actions import do_create_defender, do_create_defenders
from salama.defenders.models import Defender
from salama.revisions.models import Revision
from salama.transfer import actions
from salama.transfer.actions import BACKGROUND_THRESHOLD
from salama.transfer.models import ImportBatch, SavedMapping
from salama.transfer.reading import MAX_ROWS, FileError, _table
from salama.vocab.actions import load_default_vocabularies

CANARY = "CANARY-legal-name-7f3a9"
HEADER = ["Ref", "Name", "Legal", "Sector", "Gender", "Born", "Country"]


@pytest.fixture
def vocab(db):
    load_default_vocabularies()


def make_csv(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def url(name, org="org-a", **kwargs):
    return reverse(f"transfer:{name}", kwargs={"org_slug": org, **kwargs})


def upload(client, content, name="defenders.csv"):
    file = io.BytesIO(content)
    file.name = name
    return client.post(url("import_start"), {"kind": "defenders", "file": file})


MAPPING = {
    "field_external_id": "Ref",
    "field_public_name": "Name",
    "field_legal_name": "Legal",
    "field_sectors": "Sector",
    "field_gender": "Gender",
    "field_date_of_birth": "Born",
    "field_country": "Country",
}


def start(client, content, name="defenders.csv", mapping=None):
    response = upload(client, content, name)
    assert response.status_code == 302, response.content[:500]
    batch = ImportBatch.objects.latest("created_at")
    response = client.post(url("import_mapping", batch_id=batch.pk), mapping or MAPPING)
    assert response.status_code == 302
    return batch


GOOD = [
    ["d-1", "Ana", CANARY, "womens-rights", "woman", "1980-02-03", "CO"],
    ["d-2", "Bo", "", "Journalism and freedom of expression", "man", "1975", "Kenya"],
]


def test_per_row_errors_and_dry_run_changes_nothing(cast, as_user, vocab):
    client = as_user(cast.a_admin)
    rows = [
        *GOOD,
        ["d-3", "", "", "", "", "", ""],  # missing public name
        ["d-4", "Cy", "", "", "", "31/02/1990", ""],  # bad date
        ["d-5", "Di", "", "Basket weaving", "", "", ""],  # unknown term, never matched
        ["d-6", "Ed", "", "", "", "", ""],
        ["d-6", "Fi", "", "", "", "", ""],  # duplicate external id
        ["d-7", "G" * 201, "", "", "", "", ""],  # too long
    ]
    batch = start(client, make_csv(rows))
    response = client.get(url("import_preview", batch_id=batch.pk))
    assert response.status_code == 200
    page = response.content.decode()
    for number in (4, 5, 6, 7, 8, 9):
        assert f"<td>{number}</td>" in page
    assert "<td>2</td>" not in page and "<td>3</td>" not in page
    assert "Basket weaving" in page and "not a date" in page and "more than one row" in page
    assert Defender.objects.count() == 0  # dry run
    assert client.post(url("import_run", batch_id=batch.pk)).status_code == 302
    assert sorted(Defender.objects.values_list("external_id", flat=True)) == ["d-1", "d-2"]
    bo = Defender.objects.get(external_id="d-2")
    assert [t.code for t in bo.sectors.all()] == ["journalism-expression"] and bo.country.code == "KE"
    batch.refresh_from_db()
    assert batch.state == "done" and batch.skipped_count == 6 and batch.shredded


def test_wrong_encoding_and_missing_column(cast, as_user):
    client = as_user(cast.a_admin)
    response = upload(client, make_csv([["1", "Zoë", "", "", "", "", ""]], encoding="latin-1"))
    assert response.status_code == 400 and "UTF-8" in response.content.decode()
    assert ImportBatch.objects.count() == 0
    response = upload(client, make_csv([["1", "x"]], header=["Ref", "Other"]))
    batch = ImportBatch.objects.get()
    response = client.post(url("import_mapping", batch_id=batch.pk), {"field_external_id": "Ref"})
    assert response.status_code == 400  # the public name must come from some column
    assert Defender.objects.count() == 0


def test_vocabulary_matching_is_applied_and_never_creates_terms(cast, as_user, vocab):
    from salama.vocab.models import Term

    terms_before = Term.objects.count()
    client = as_user(cast.a_admin)
    batch = start(client, make_csv([["x-1", "Ana", "", "Teaching; womens-rights", "F", "", ""]]))
    response = client.get(url("import_terms", batch_id=batch.pk))
    page = response.content.decode()
    assert "Teaching" in page and "“F”" in page
    form = response.context["form"]
    keys = {name: key for key, name, _value in form.slots for _ in [0]}
    data = {keys["sectors"]: "__empty__", keys["gender"]: "woman"}
    assert client.post(url("import_terms", batch_id=batch.pk), data).status_code == 302
    client.post(url("import_run", batch_id=batch.pk))
    ana = Defender.objects.get(external_id="x-1")
    assert ana.gender == "woman" and [t.code for t in ana.sectors.all()] == ["womens-rights"]
    assert Term.objects.count() == terms_before


def test_mapping_saved_and_reused(cast, as_user):
    client = as_user(cast.a_admin)
    batch = start(client, make_csv([["r", "Name1", "", "", "", "", ""]]), mapping={**MAPPING, "save_as": "Our sheet"})
    saved = SavedMapping.objects.get(organization=cast.org_a, name="Our sheet")
    assert saved.mapping["public_name"] == "Name"
    client.post(url("import_cancel", batch_id=batch.pk))
    upload(client, make_csv([["r", "Name1", "", "", "", "", ""]]))
    second = ImportBatch.objects.latest("created_at")
    response = client.get(url("import_mapping", batch_id=second.pk) + f"?saved={saved.pk}")
    assert response.context["form"].initial["field_public_name"] == "Name"
    assert response.context["form"].initial["field_legal_name"] == "Legal"
    assert "Our sheet" in response.content.decode()
    # Another organisation's saved mappings are not reachable.
    b_client = as_user(cast.b_admin)
    assert b_client.get(url("import_mapping", org="org-b", batch_id=second.pk)).status_code == 404


def test_reimport_is_idempotent_and_cancel_shreds(cast, as_user, vocab, django_capture_on_commit_callbacks):
    client = as_user(cast.a_admin)
    for _round in range(2):
        batch = start(client, make_csv(GOOD))
        client.post(url("import_run", batch_id=batch.pk))
    assert Defender.objects.filter(organization=cast.org_a).count() == 2
    batch.refresh_from_db()
    assert (batch.created_count, batch.updated_count) == (0, 2)
    other = start(client, make_csv(GOOD))
    key_id = other.data_key_id
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("import_cancel", batch_id=other.pk))
    other.refresh_from_db()
    assert other.state == "cancelled" and other.shredded and other.data_key_id == ""
    from salama.core.encryption import key_store

    with pytest.raises(Exception):  # noqa: B017  the key is gone: whatever the store raises
        key_store().data_key(str(cast.org_a.pk), key_id)


def test_canary_only_in_envelopes(cast, as_user, vocab):
    client = as_user(cast.a_admin)
    batch = start(client, make_csv(GOOD))
    with connection.cursor() as cursor:
        for table in ("transfer_importbatch", "transfer_importfile"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            stored = cursor.fetchall()
            assert stored and CANARY not in repr(stored), table  # the file is there, sealed
    client.post(url("import_run", batch_id=batch.pk))
    with connection.cursor() as cursor:
        for table in (
            "defenders_defender",
            "transfer_importbatch",
            "transfer_importfile",
            "audit_auditentry",
            "core_job",
        ):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            assert CANARY not in repr(cursor.fetchall()), table
    assert Defender.objects.get(external_id="d-1").legal_name == CANARY
    assert not any(CANARY in json.dumps(e.changes) for e in AuditEntry.objects.all())


def test_xlsx_round_trip(cast, as_user, vocab):
    admin = cast.membership("a_admin")
    do_create_defender(admin, public_name="Eva", legal_name="Eva Legal", phone="+57 1", aliases=["E", "=cmd"])
    client = as_user(cast.a_admin)
    response = client.post(url("export"), {"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    headers = [cell.value for cell in next(sheet.iter_rows())]
    assert "legal_name" in headers
    b_client = as_user(cast.b_admin)
    file = io.BytesIO(response.content)
    file.name = "export.xlsx"
    assert b_client.post(url("import_start", org="org-b"), {"kind": "defenders", "file": file}).status_code == 302
    batch = ImportBatch.objects.get(organization=cast.org_b)
    # The export's headers are the field names, so every column is chosen already.
    form = b_client.get(url("import_mapping", org="org-b", batch_id=batch.pk)).context["form"]
    data = {key: value for key, value in form.initial.items()}
    assert data["field_public_name"] == "public_name" and data["field_phone"] == "phone"
    b_client.post(url("import_mapping", org="org-b", batch_id=batch.pk), data)
    b_client.post(url("import_run", org="org-b", batch_id=batch.pk))
    copy = Defender.objects.get(organization=cast.org_b)
    assert (copy.public_name, copy.legal_name, copy.phone, copy.aliases) == ("Eva", "Eva Legal", "+57 1", ["E", "=cmd"])


def test_xlsx_upload(cast, as_user, vocab):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(["x-9", "Xena", "", "", "", None, "CO"])
    out = io.BytesIO()
    workbook.save(out)
    client = as_user(cast.a_admin)
    batch = start(client, out.getvalue(), name="people.xlsx")
    client.post(url("import_run", batch_id=batch.pk))
    assert Defender.objects.get(external_id="x-9").public_name == "Xena"


def test_background_import_of_1000_rows(cast, as_user, vocab):
    client = as_user(cast.a_admin)
    rows = [[f"bulk-{i}", f"Person {i}", f"Legal {i}", "", "", "", ""] for i in range(1000)]
    batch = start(client, make_csv(rows))
    assert BACKGROUND_THRESHOLD < 1000
    client.post(url("import_run", batch_id=batch.pk))
    batch.refresh_from_db()
    assert batch.state == "queued" and batch.total == 1000 and batch.done == 0
    page = client.get(url("import_batch", batch_id=batch.pk)).content.decode()
    assert "0 of 1000" in page and "Refresh" in page
    assert work_once() == 1
    batch.refresh_from_db()
    assert (batch.state, batch.done, batch.created_count, batch.shredded) == ("done", 1000, 1000, True)
    assert Defender.objects.filter(organization=cast.org_a).count() == 1000
    assert "1000 of 1000" in client.get(url("import_batch", batch_id=batch.pk)).content.decode()


@pytest.mark.parametrize("role", ["a_caseworker_team", "a_viewer"])
def test_import_and_export_need_their_permission(cast, as_user, role):
    client = as_user(cast.people[role])
    assert upload(client, make_csv(GOOD)).status_code == 403
    assert client.post(url("export"), {"format": "csv", "deidentified": "on"}).status_code == 403


def _population(cast):
    admin = cast.membership("a_admin")
    do_create_defender(admin, public_name="Ana", legal_name=CANARY, phone="+57 300", region="Cauca", country="CO")
    do_create_defender(admin, public_name="Bo", email="bo@example.org", addresses=["Calle 1"], date_of_birth="1980")


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_exports_in_three_formats_are_attachments_and_audited(cast, as_user, fmt):
    _population(cast)
    client = as_user(cast.a_admin)
    response = client.post(url("export"), {"format": fmt, "text": "Ana"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff" and "no-store" in response["Cache-Control"]
    if fmt == "json":
        rows = json.loads(response.content)
        assert [row["legal_name"] for row in rows] == [CANARY]
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert [row["public_name"] for row in rows] == ["Ana"] and rows[0]["phone"] == "'+57 300"
    entry = AuditEntry.objects.filter(action="export.created").get()
    assert {name: change["new"] for name, change in entry.changes.items()} == {
        "format": fmt,
        "count": 1,
        "deidentified": False,
    }


def test_deidentified_export(cast, as_user):
    _population(cast)
    client = as_user(cast.a_caseworker_team)  # may not export at all
    assert client.post(url("export"), {"format": "json", "deidentified": "on"}).status_code == 403
    client = as_user(cast.a_coordinator)
    response = client.post(url("export"), {"format": "json", "deidentified": "on"})
    rows = json.loads(response.content)
    body = response.content.decode()
    for secret in (CANARY, "+57 300", "bo@example.org", "Calle 1", "1980", "Ana", '"Bo"'):
        assert secret not in body
    assert sorted(row["pseudonym"] for row in rows) == ["Defender 1", "Defender 2"]
    assert all(re.fullmatch(r"\d{4}-\d{2}", row["created_month"]) for row in rows)
    assert {row["region"] for row in rows} == {"Cauca", ""}
    entry = AuditEntry.objects.filter(action="export.created").get()
    assert entry.changes["deidentified"]["new"] is True and entry.changes["count"]["new"] == 2


def test_full_export_needs_reveal_and_step_up(cast, as_user, settings):
    _population(cast)
    client = as_user(cast.a_admin)
    session = client.session
    session[STEP_UP_AT] = 0
    session.save()
    response = client.post(url("export"), {"format": "csv", "country": "CO"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:confirm"))
    assert "country%3DCO" in response["Location"]
    assert not AuditEntry.objects.filter(action="export.created").exists()
    # A de-identified export needs a fresh second factor too.
    assert client.post(url("export"), {"format": "csv", "deidentified": "on"}).status_code == 302
    assert not AuditEntry.objects.filter(action="export.created").exists()


def test_a_row_refused_at_write_time_leaves_the_rest_of_its_run_written(cast, as_user, vocab, monkeypatch):
    """Rows are written in runs; when a run is refused (something changed since the preview),
    it is written again in halves and only the refused row is left out."""
    from django.core.exceptions import ValidationError

    from salama.transfer import defender_import

    real = defender_import.do_create_defenders

    def refuse_one(actor, rows):  # type: ignore[no-untyped-def]
        if any(row["public_name"] == "Refused" for row in rows):
            raise ValidationError("refused")
        return real(actor, rows)

    monkeypatch.setattr(defender_import, "do_create_defenders", refuse_one)
    client = as_user(cast.a_admin)
    rows = [
        ["d-1", "Ana", "", "", "", "", ""],
        ["d-2", "Refused", "", "", "", "", ""],
        ["d-3", "Cy", "", "", "", "", ""],
    ]
    batch = start(client, make_csv(rows))
    client.post(url("import_run", batch_id=batch.pk))
    assert sorted(Defender.objects.values_list("external_id", flat=True)) == ["d-1", "d-3"]
    batch.refresh_from_db()
    assert (batch.done, batch.created_count, batch.skipped_count) == (3, 2, 1)


def test_one_refused_row_in_a_long_run_costs_a_few_writes_not_one_per_row(cast, as_user, vocab, monkeypatch):
    from django.core.exceptions import ValidationError

    from salama.transfer import defender_import

    real = defender_import.do_create_defenders
    attempts = []

    def refuse_one(actor, rows):  # type: ignore[no-untyped-def]
        attempts.append(len(rows))
        if any(row["public_name"] == "Refused" for row in rows):
            raise ValidationError("refused")
        return real(actor, rows)

    monkeypatch.setattr(defender_import, "do_create_defenders", refuse_one)
    monkeypatch.setattr(actions, "BACKGROUND_THRESHOLD", 1000)
    client = as_user(cast.a_admin)
    rows = [[f"r-{n}", "Refused" if n == 37 else f"Person {n}", "", "", "", "", ""] for n in range(64)]
    batch = start(client, make_csv(rows))
    client.post(url("import_run", batch_id=batch.pk))
    batch.refresh_from_db()
    assert (batch.state, batch.done, batch.created_count, batch.skipped_count) == ("done", 64, 63, 1)
    assert Defender.objects.filter(organization=cast.org_a).count() == 63
    # The whole run, then each half down to the refused row: 1 + 2 * log2(64) attempts.
    assert len(attempts) == 13
    assert verify_chain().ok


def test_every_row_of_a_large_import_is_sealed_revised_and_audited_and_the_collector_restored(
    cast, as_user, vocab, monkeypatch
):
    from salama.transfer import defender_import

    monkeypatch.setattr(actions, "CHUNK_ROWS", 40)  # several runs, as a large file makes
    collecting = []

    def create(actor, rows):
        collecting.append((gc.isenabled(), gc.get_freeze_count() > 0))
        return do_create_defenders(actor, rows)

    monkeypatch.setattr(defender_import, "do_create_defenders", create)
    client = as_user(cast.a_admin)
    rows = [[f"big-{n}", f"Person {n}", f"{CANARY}-{n}", "", "", "", ""] for n in range(100)]
    batch = start(client, make_csv(rows))
    client.post(url("import_run", batch_id=batch.pk))  # under the background threshold: written now
    # Paused and set aside while each of the three runs is written, restored afterwards.
    assert collecting == [(False, True)] * 3
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    batch.refresh_from_db()
    assert (batch.state, batch.done, batch.created_count, batch.shredded) == ("done", 100, 100, True)
    made = list(Defender.objects.filter(organization=cast.org_a, external_id__startswith="big-"))
    assert len({defender.data_key_id for defender in made}) == 100
    assert all(defender.legal_name == f"{CANARY}-{defender.external_id[4:]}" for defender in made)
    assert all(defender.legal_name_bidx is not None for defender in made)
    revisions = Revision.objects.filter(target_id__in=[str(defender.pk) for defender in made])
    assert revisions.count() == 100 and len({revision.data_key_id for revision in revisions}) == 100
    entries = AuditEntry.objects.filter(action="defender.created", target_id__in=[str(d.pk) for d in made])
    assert entries.count() == 100
    assert verify_chain().ok
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM defenders_defender")
        assert CANARY not in repr(cursor.fetchall())


def test_a_file_of_exactly_the_row_limit_is_read_and_one_more_row_refused():
    header = ["external_id", "public_name"]
    rows = [header, *([f"x{n}", "Name"] for n in range(MAX_ROWS))]
    assert len(_table(rows)["rows"]) == MAX_ROWS
    with pytest.raises(FileError):
        _table([*rows, ["one", "more"]])
