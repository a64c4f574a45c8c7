"""Encrypted fields read like ordinary fields and store nothing readable."""

from __future__ import annotations

import io
import logging
import uuid

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from salama.core.encryption import DecryptionError, blind_search, key_store, reset_key_store
from salama.defenders.models import Defender

CANARY = "Canary-Quetzal-7391"


def make_defender(org, **fields) -> Defender:  # type: ignore[no-untyped-def]
    defaults = {"public_name": "D. One", "legal_name": f"María {CANARY}", "phone": "+57 (300) 123-4567"}
    defender = Defender(organization=org, **{**defaults, **fields})
    defender.save()
    return defender


def raw_rows() -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Defender._meta.db_table}")  # noqa: S608
        return repr(cursor.fetchall())


def test_values_round_trip_and_the_database_holds_only_envelopes(cast):
    defender = make_defender(cast.org_a, aliases=["Mari", "La Profe"], date_of_birth="1980-02-29")
    loaded = Defender.objects.get(pk=defender.pk)
    assert loaded.legal_name == f"María {CANARY}"
    assert loaded.aliases == ["Mari", "La Profe"]
    assert loaded.date_of_birth == "1980-02-29"
    assert loaded.private_notes == ""
    stored = raw_rows()
    assert CANARY not in stored and "La Profe" not in stored and "123-4567" not in stored
    assert "v1." in stored


def test_nothing_sensitive_reaches_the_logs(cast, caplog):
    with caplog.at_level(logging.DEBUG):
        make_defender(cast.org_a)
        Defender.objects.get(organization=cast.org_a).legal_name  # noqa: B018
    assert CANARY not in caplog.text


def stored(defender: Defender, column: str) -> str:
    return Defender.objects.filter(pk=defender.pk).values_list(column, flat=True).get()


def test_a_ciphertext_moved_to_another_row_field_or_organisation_does_not_open(cast):
    first, second = make_defender(cast.org_a), make_defender(cast.org_a, legal_name="Someone Else")
    in_b = make_defender(cast.org_b)
    Defender.objects.filter(pk=second.pk).update(legal_name=stored(first, "legal_name"))
    Defender.objects.filter(pk=first.pk).update(private_notes=stored(first, "phone"))
    Defender.objects.filter(pk=in_b.pk).update(data_key_id=first.data_key_id, phone=stored(first, "phone"))
    for record, field in ((second, "legal_name"), (first, "private_notes"), (in_b, "phone")):
        with pytest.raises(DecryptionError):
            getattr(Defender.objects.get(pk=record.pk), field)


def test_an_old_ciphertext_copied_back_does_not_open(cast):
    defender = make_defender(cast.org_a)
    old = Defender.objects.filter(pk=defender.pk).values_list("legal_name", flat=True).get()
    defender.legal_name = "Corrected Name"
    defender.save()
    Defender.objects.filter(pk=defender.pk).update(legal_name=old)
    with pytest.raises(DecryptionError):
        Defender.objects.get(pk=defender.pk).legal_name  # noqa: B018


def test_exact_search_through_blind_indexes(cast):
    mine = make_defender(cast.org_a, email="Maria.Lopez@Example.org", document_number="cc-1.234.567")
    make_defender(cast.org_a, legal_name="Other", phone="+57 310 000 0000")
    theirs = make_defender(cast.org_b)
    found = blind_search(Defender.objects.all(), cast.org_a.pk, "phone", "+573001234567")
    assert [d.pk for d in found] == [mine.pk]
    assert [
        d.pk for d in blind_search(Defender.objects.all(), cast.org_a.pk, "email", " maria.lopez@example.ORG ")
    ] == [mine.pk]
    assert [d.pk for d in blind_search(Defender.objects.all(), cast.org_a.pk, "document_number", "CC1234567")] == [
        mine.pk
    ]
    assert [d.pk for d in blind_search(Defender.objects.all(), cast.org_b.pk, "phone", "+57 300 123 4567")] == [
        theirs.pk
    ]
    assert mine.phone_bidx != theirs.phone_bidx  # each organisation has its own index key
    assert blind_search(Defender.objects.all(), cast.org_a.pk, "phone", "+57 300 999 9999") == []


def from_backup(row: dict) -> Defender:
    keep = {"id", "organization_id", "data_key_id", "record_version"}
    return Defender(**{k: v for k, v in row.items() if k in keep})


def test_deleting_a_record_shreds_it_even_in_an_old_copy(cast, django_capture_on_commit_callbacks):
    defender = make_defender(cast.org_a)
    backup = Defender.objects.values().get(pk=defender.pk)  # an old copy of the row
    assert from_backup(backup).open_value("legal_name", backup["legal_name"]).decode() == f"María {CANARY}"
    with django_capture_on_commit_callbacks(execute=True):
        defender.delete()
    with pytest.raises(DecryptionError):
        from_backup(backup).open_value("legal_name", backup["legal_name"])


def test_bulk_deletion_shreds_too(cast, django_capture_on_commit_callbacks):
    make_defender(cast.org_a)
    copy = Defender.objects.values().get()
    with django_capture_on_commit_callbacks(execute=True):
        Defender.objects.filter(organization=cast.org_a).delete()
    with pytest.raises(DecryptionError):
        from_backup(copy).open_value("legal_name", copy["legal_name"])


def test_a_main_database_without_its_key_store_decrypts_nothing(cast, settings, tmp_path):
    defender = make_defender(cast.org_a)
    settings.KEYSTORE_PATH = tmp_path / "other-keystore.sqlite3"  # the seized database, alone
    reset_key_store()
    try:
        with pytest.raises(DecryptionError):
            Defender.objects.get(pk=defender.pk).legal_name  # noqa: B018
    finally:
        reset_key_store()


def test_keys_rotate_keeps_every_record_readable(cast, django_capture_on_commit_callbacks):
    defenders = [make_defender(cast.org_a, legal_name=f"Person {n}") for n in range(5)]
    make_defender(cast.org_b, legal_name="In B")
    old_keys = dict(Defender.objects.values_list("pk", "data_key_id"))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("keys", "rotate", "--reencrypt", "--batch-size", "2", stdout=io.StringIO(), stderr=io.StringIO())
    assert key_store().pending_rotations() == []
    for number, defender in enumerate(defenders):
        fresh = Defender.objects.get(pk=defender.pk)
        assert fresh.legal_name == f"Person {number}"
        assert fresh.data_key_id != old_keys[defender.pk]
    assert Defender.objects.get(organization=cast.org_b).legal_name == "In B"


def test_the_root_key_can_be_replaced(cast, settings, tmp_path):
    root = tmp_path / "root.key"
    settings.ROOT_KEY_FILE, settings.KEYSTORE_PATH = root, tmp_path / "keystore.sqlite3"
    reset_key_store()
    try:
        defender = make_defender(cast.org_a)
        before = root.read_bytes()
        call_command("keys", "rotate", "--root", stdout=io.StringIO(), stderr=io.StringIO())
        assert root.read_bytes() != before
        reset_key_store()
        assert Defender.objects.get(pk=defender.pk).legal_name == f"María {CANARY}"
    finally:
        reset_key_store()


def test_saving_inside_a_failed_transaction_leaves_no_readable_trace(cast):
    with pytest.raises(RuntimeError), transaction.atomic():
        make_defender(cast.org_a)
        raise RuntimeError("rolled back")
    assert not Defender.objects.exists()


def test_a_root_rotation_stopped_halfway_is_not_papered_over_with_a_new_key(db, settings, tmp_path):
    from salama.crypto import KeyStoreError

    settings.ROOT_KEY_FILE, settings.KEYSTORE_PATH = tmp_path / "root.key", tmp_path / "keystore.sqlite3"
    (tmp_path / "root.key.old").write_bytes(b"x" * 32)
    reset_key_store()
    try:
        with pytest.raises(KeyStoreError, match="finish the root key rotation"):
            key_store()
        assert not (tmp_path / "root.key").exists()
    finally:
        reset_key_store()


def _pg_dump() -> str | None:
    import glob
    import shutil

    found = shutil.which("pg_dump") or sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))
    return found if isinstance(found, str) else (found[-1] if found else None)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL dump needs PostgreSQL")
def test_a_postgresql_dump_holds_no_plaintext(transactional_db):
    import os
    import subprocess

    from salama.core.testing import make_cast

    cast = make_cast()
    make_defender(cast.org_a, private_notes=f"notes {CANARY}")
    db = connection.settings_dict
    dump = _pg_dump()
    assert dump, "pg_dump is installed with the PostgreSQL server that CI starts"
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    command = [dump, "-h", db["HOST"] or "localhost", "-p", str(db["PORT"] or 5432), "-U", db["USER"], db["NAME"]]
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=True, timeout=120)  # noqa: S603
    assert "v1." in result.stdout  # the envelopes are there...
    assert CANARY not in result.stdout  # ...and nothing they hold


def test_a_record_whose_ids_change_seals_and_indexes_for_its_new_place(cast):
    """A record's ids are turned into text once for all its fields: giving it another id or
    organisation must still seal and index it for where it now lives."""
    defender = Defender(organization=cast.org_a, public_name="D. Moved", phone="+57 300 123 4567")
    assert defender.crypto_context("phone").pk == str(defender.pk)
    defender.pk = uuid.uuid4()
    defender.organization = cast.org_b
    defender.save()
    assert defender.crypto_context("phone").pk == str(defender.pk)
    assert defender.crypto_context("phone").org_id == str(cast.org_b.pk)
    assert Defender.objects.get(pk=defender.pk).phone == "+57 300 123 4567"
    assert blind_search(Defender.objects.all(), cast.org_b.pk, "phone", "+573001234567") == [defender]
