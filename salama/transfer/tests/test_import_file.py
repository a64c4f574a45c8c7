"""An import's file lives in a row of its own: written once on upload, never again by the
batch's bookkeeping, and crypto-shredded however the import ends."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from salama.core.encryption import key_store
from salama.crypto import Context, KeyDestroyed, seal, unseal
from salama.orgs.models import Organization
from salama.transfer import actions
from salama.transfer.models import ImportBatch, ImportFile

from .test_transfer import CANARY, make_csv

ROWS = [[f"d-{n}", f"Name {n}", CANARY, "", "", "", ""] for n in range(5)]
MAPPING = {"external_id": "Ref", "public_name": "Name", "legal_name": "Legal"}
BEFORE, AFTER = ("transfer", "0002_import_fixed_values"), ("transfer", "0004_importbatch_without_table")


def raw_file_row(batch: ImportBatch) -> tuple[str, int, str]:
    return ImportFile.objects.values_list("data_key_id", "record_version", "table").get(batch=batch)


def key_is_destroyed(org: Organization, key_id: str) -> bool:
    try:
        key_store().data_key(str(org.pk), key_id)
    except KeyDestroyed:
        return True
    return False


@pytest.fixture
def uploaded(cast):
    admin = cast.membership("a_admin")
    return admin, actions.do_upload(admin, "defenders", "people.csv", make_csv(ROWS))


def test_the_file_is_sealed_in_its_own_row_with_its_own_key(cast, uploaded):
    _admin, batch = uploaded
    file = ImportFile.objects.get(batch=batch)
    assert file.organization_id == batch.organization_id
    assert file.data_key_id and file.data_key_id != batch.data_key_id
    assert CANARY not in file.__dict__["table"]  # the column holds an envelope
    assert ImportBatch.objects.get(pk=batch.pk).table["rows"][0][2] == CANARY


def test_bookkeeping_leaves_the_file_row_as_it_was(cast, uploaded):
    admin, batch = uploaded
    written = raw_file_row(batch)
    batch = actions.do_set_mapping(admin, batch, MAPPING)
    actions.do_set_vocab_map(admin, batch, {})
    actions._count(batch, 2, ["created", "skipped"])
    assert raw_file_row(batch) == written
    assert ImportBatch.objects.values_list("done", "state").get(pk=batch.pk) == (2, "mapped")


def test_an_import_only_reads_the_file_then_deletes_it(cast, uploaded, monkeypatch):
    admin, batch = uploaded
    batch = actions.do_set_mapping(admin, batch, MAPPING)
    monkeypatch.setattr(actions, "CHUNK_ROWS", 1)  # a progress update after every row
    with CaptureQueriesContext(connection) as queries:
        actions.do_start_import(admin, batch)
    batch.refresh_from_db()
    assert (batch.state, batch.done, batch.created_count) == ("done", 5, 5)
    file_writes = [
        q["sql"].split()[0]
        for q in queries.captured_queries
        if "transfer_importfile" in q["sql"] and not q["sql"].startswith("SELECT")
    ]
    assert file_writes == ["DELETE"]


@pytest.mark.parametrize("ending", ["done", "cancelled", "failed"])
def test_however_an_import_ends_its_file_and_keys_are_destroyed(
    cast, uploaded, ending, django_capture_on_commit_callbacks
):
    admin, batch = uploaded
    batch = actions.do_set_mapping(admin, batch, MAPPING)
    file_key_id, batch_key_id = ImportFile.objects.get(batch=batch).data_key_id, batch.data_key_id
    with django_capture_on_commit_callbacks(execute=True):
        if ending == "done":
            actions.do_start_import(admin, batch)
        elif ending == "cancelled":
            actions.do_cancel(admin, batch)
        else:
            # Whoever uploaded the file is gone before the queued import runs.
            ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.QUEUED, created_by=None)
            actions.run_import(str(batch.pk))
    batch = ImportBatch.objects.get(pk=batch.pk)
    assert (batch.state, batch.shredded, batch.data_key_id, batch.file_name) == (ending, True, "", "")
    assert not ImportFile.objects.filter(batch=batch).exists()
    assert batch.table == {}
    assert key_is_destroyed(cast.org_a, file_key_id) and key_is_destroyed(cast.org_a, batch_key_id)


def test_deleting_a_batch_destroys_its_file_key(cast, uploaded, django_capture_on_commit_callbacks):
    _admin, batch = uploaded
    file_key_id = ImportFile.objects.get(batch=batch).data_key_id
    with django_capture_on_commit_callbacks(execute=True):
        batch.delete()
    assert not ImportFile.objects.exists()
    assert key_is_destroyed(cast.org_a, file_key_id)


def _seal_for_batch(org_id: str, key_id: str, batch_id: str, version: int, field: str, plain: bytes) -> str:
    key = key_store().data_key(org_id, key_id)
    return seal(key, key_id, plain, Context(org_id, "transfer.ImportBatch", field, batch_id, version))


def test_the_migration_moves_each_unshredded_file_to_a_row_of_its_own_and_back(transactional_db):
    org = Organization.objects.create(name="Migrating", slug="migrating")
    org_id = str(org.pk)
    table = {"headers": ["Ref", "Legal"], "rows": [["m-1", CANARY]]}
    call_command("migrate", *BEFORE, verbosity=0)
    try:
        old_batch = MigrationExecutor(connection).loader.project_state(BEFORE).apps.get_model("transfer", "ImportBatch")
        running = old_batch.objects.create(organization_id=org.pk, kind="defenders", state="running")
        shredded = old_batch.objects.create(organization_id=org.pk, kind="defenders", state="done", shredded=True)
        batch_key_id, _key = key_store().new_data_key(org_id)
        # As an older release left it: sealed on the batch, bound to the batch's place.
        old_batch.objects.filter(pk=running.pk).update(
            data_key_id=batch_key_id,
            record_version=3,
            file_name=_seal_for_batch(org_id, batch_key_id, str(running.pk), 3, "file_name", b"people.csv"),
            table=_seal_for_batch(org_id, batch_key_id, str(running.pk), 3, "table", json.dumps(table).encode()),
        )

        call_command("migrate", *AFTER, verbosity=0)
        moved = ImportBatch.objects.get(pk=running.pk)
        assert (moved.table, moved.file_name, moved.state) == (table, "people.csv", "running")
        assert moved.file.data_key_id not in ("", batch_key_id)
        assert not ImportFile.objects.filter(batch_id=shredded.pk).exists()
        file_key_id = moved.file.data_key_id

        call_command("migrate", *BEFORE, verbosity=0)
        envelope, version = old_batch.objects.values_list("table", "record_version").get(pk=running.pk)
        place = Context(org_id, "transfer.ImportBatch", "table", str(running.pk), version)
        assert json.loads(unseal({batch_key_id: key_store().data_key(org_id, batch_key_id)}, envelope, place)) == table
        # Empty, as a save leaves it, not the text of the re-added column's default.
        assert old_batch.objects.values_list("table", flat=True).get(pk=shredded.pk) == ""
        assert key_is_destroyed(org, file_key_id)
    finally:
        call_command("migrate", "transfer", verbosity=0)
