"""The chain itself: hashing, append-only, tampering found by `audit verify`, and its limits."""

from __future__ import annotations

import hashlib
import io
import itertools
import threading
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command, execute_from_command_line
from django.db import DatabaseError, IntegrityError, connection, connections, transaction

from salama.audit.actions import account, record
from salama.audit.chain import GENESIS, canonical, compute_hash
from salama.audit.models import AppendOnlyError, AuditEntry
from salama.audit.verify import Problem, verify_chain
from salama.core.testing import make_person
from salama.orgs.models import Organization

from .tampering import TABLE, lift_the_database_guard, sql

ENTRIES = 8


@pytest.fixture
def chain(db):  # type: ignore[no-untyped-def]
    """Eight entries by one person in one organisation, each with different content."""
    person = make_person("keeper@example.org", "Keeper")
    org = Organization.objects.create(name="Org K", slug="org-k", kind="network")
    for n in range(1, ENTRIES + 1):
        record(
            "organization.updated",
            actor=person,
            organization=org,
            target=("organization", org.pk),
            changes={"name": (f"name {n - 1}", f"name {n}"), "description": ("secret before", "secret after")},
            loggable=["name"],
        )
    entries = list(AuditEntry.objects.order_by("sequence"))
    assert [e.sequence for e in entries] == list(range(1, ENTRIES + 1))
    return entries


@pytest.fixture
def tamper(chain):  # type: ignore[no-untyped-def]
    """Raw SQL against the table, as someone with database access would. On PostgreSQL the
    append-only trigger is disabled first (inside the test's transaction, so it comes back)."""
    lift_the_database_guard()
    return sql


def broken(sequence: int, problem: str, **options) -> None:  # type: ignore[no-untyped-def]
    result = verify_chain(**options)
    assert not result.ok
    assert (result.broken_sequence, result.problem) == (sequence, problem), result.detail
    assert result.count == sequence - 1


def move(tamper, old: int, new: int) -> None:  # type: ignore[no-untyped-def]
    tamper(f"UPDATE {TABLE} SET sequence = %s WHERE sequence = %s", [new, old])  # noqa: S608


# The record and its hash ------------------------------------------------------------------------


def test_entries_link_up_and_the_hash_is_sha256_of_canonical_json(chain):
    assert chain[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(chain):
        assert after.prev_hash == before.entry_hash
    entry = chain[1]
    assert entry.entry_hash == hashlib.sha256(canonical(entry)).hexdigest() == compute_hash(entry)
    stamp = entry.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert canonical(entry).decode() == (
        '{"action":"organization.updated","actor_label":"keeper@example.org",'
        f'"actor_pk":{entry.actor_pk},"changes":{{"description":{{}},"name":{{"new":"name 2","old":"name 1"}}}},'
        f'"channel":"cli","format":1,"occurred_at":"{stamp}","organization_pk":{entry.organization_pk},'
        f'"prev_hash":"{chain[0].entry_hash}","sequence":2,"target_id":"{entry.organization_pk}",'
        '"target_type":"organization"}'
    )


def test_a_fresh_chain_verifies(chain):
    result = verify_chain()
    assert result.ok and result.count == ENTRIES
    assert (result.last_sequence, result.last_hash) == (ENTRIES, chain[-1].entry_hash)


def test_an_empty_log_verifies(db):
    result = verify_chain()
    assert result.ok and result.count == 0


def test_a_batch_continues_the_chain_like_entries_written_one_by_one(chain):
    from salama.audit.actions import record_many

    org = chain[0].organization
    written = record_many(
        "organization.updated",
        [(("organization", n), {"name": ("old", f"batch {n}"), "notes": ("x", "y")}) for n in range(3)],
        actor=chain[0].actor,
        organization=org,
        loggable=["name"],
    )
    assert written == 3
    batch = list(AuditEntry.objects.filter(sequence__gt=ENTRIES).order_by("sequence"))
    assert [entry.sequence for entry in batch] == [ENTRIES + 1, ENTRIES + 2, ENTRIES + 3]
    assert batch[0].prev_hash == chain[-1].entry_hash and batch[2].prev_hash == batch[1].entry_hash
    assert all(entry.entry_hash == compute_hash(entry) for entry in batch)
    assert batch[1].changes == {"name": {"old": "old", "new": "batch 1"}, "notes": {}}
    assert [(e.target_type, e.target_id, e.actor_id, e.organization_pk) for e in batch] == [
        ("organization", str(n), chain[0].actor_id, org.pk) for n in range(3)
    ]
    assert len({entry.occurred_at for entry in batch}) == 1
    record("organization.updated", organization=org, target=("organization", org.pk))
    result = verify_chain()
    assert result.ok and result.count == ENTRIES + 4


def test_an_empty_batch_writes_nothing(chain):
    from salama.audit.actions import record_many

    assert record_many("organization.updated", [], organization=chain[0].organization) == 0
    assert AuditEntry.objects.count() == ENTRIES


def test_a_batch_of_an_unknown_action_or_channel_is_refused(chain):
    from salama.audit.actions import record_many

    with pytest.raises(ValueError):
        record_many("no.such.action", [(("organization", 1), None)])
    with pytest.raises(ValueError):
        record_many("organization.updated", [(("organization", 1), None)], channel="pigeon")
    assert AuditEntry.objects.count() == ENTRIES


@pytest.mark.parametrize(
    "label",
    [
        "keeper@example.org",
        'quote"back\\slash ñandú 日本',
        # Control characters, and text that looks like another member of the entry.
        "\x00target_id\x00",
        '","sequence":1,"x":"',
        "\\u0000sequence\\u0000",
    ],
)
def test_a_batch_hashes_each_entry_as_compute_hash_does(label):
    from salama.audit.chain import FORMAT, BatchHasher, encode

    moment = datetime(2026, 11, 27, 3, 4, 5, 678901, tzinfo=UTC)
    shared = {
        "format": FORMAT,
        "occurred_at": moment,
        "actor_pk": 7,
        "actor_label": label,
        "organization_pk": None,
        "action": "defender.created",
        "channel": "worker",
    }
    hasher = BatchHasher(**shared)
    varying = [
        (1, "defender", "a1b2", {"public_name": {"old": None, "new": label}, "phone": {}}, GENESIS),
        (99, label, "", {}, "f" * 64),
        (10**12, "", '\u2028\x01"', {"z": {"new": [1, True, None, "é"]}, "a": {}}, "0" * 63 + "1"),
    ]
    for sequence, target_type, target_id, changes, prev_hash in varying:
        entry = AuditEntry(
            **shared,
            sequence=sequence,
            target_type=target_type,
            target_id=target_id,
            changes=changes,
            prev_hash=prev_hash,
        )
        assert hasher(sequence, target_type, target_id, encode(changes), prev_hash) == compute_hash(entry)


def test_a_batch_shares_exactly_the_fields_that_do_not_vary():
    from salama.audit.chain import FORMAT, BatchHasher

    with pytest.raises(ValueError):
        BatchHasher(format=FORMAT, occurred_at=datetime(2026, 1, 1, tzinfo=UTC))


def test_values_are_kept_only_for_loggable_fields(chain):
    assert chain[0].changes == {"name": {"old": "name 0", "new": "name 1"}, "description": {}}
    assert "secret" not in str(AuditEntry.objects.values_list("changes", flat=True))


def test_secret_looking_fields_cannot_be_made_loggable(db):
    for name in ("password", "new_password", "api_token", "backup_codes", "invitation_link", "totp_key"):
        with pytest.raises(ValueError):
            record("password.changed", changes={name: (None, "x")}, loggable=[name])
    assert not AuditEntry.objects.exists()


def test_unknown_actions_and_channels_are_refused(db):
    with pytest.raises(ValueError):
        record("case.teleported")
    with pytest.raises(ValueError):
        record("password.changed", channel="carrier-pigeon")


def test_values_survive_the_database_round_trip(db):
    person = make_person("round@example.org", "Round")
    record(
        "organization.updated",
        actor=person,
        target=account(person),
        changes={"languages": (["fr", "ar"], ["ar"]), "country": (None, 1.5), "name": ("ümlaut ☂", "\u0627\x00\u0628")},
        loggable=["languages", "country", "name"],
    )
    assert verify_chain().ok
    assert AuditEntry.objects.get().changes["name"]["new"] == "\u0627\u0628"


# Append-only ------------------------------------------------------------------------------------


def test_the_orm_refuses_to_change_or_delete_entries(chain):
    entry = AuditEntry.objects.get(sequence=3)
    entry.action = "member.removed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.save(update_fields=["action"])
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(sequence=3).update(action="member.removed")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.update(action="member.removed")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(sequence=3).delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.bulk_update([entry], ["action"])
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.bulk_create([AuditEntry(sequence=99)])
    assert verify_chain().ok and AuditEntry.objects.count() == ENTRIES


def test_two_entries_can_never_share_a_number(chain):
    twin = AuditEntry(**{f.attname: getattr(chain[-1], f.attname) for f in AuditEntry._meta.concrete_fields})
    twin.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_postgresql_itself_refuses_updates_and_deletes(chain):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    for statement in (
        f"UPDATE {TABLE} SET action = 'member.removed' WHERE sequence = 3",  # noqa: S608
        f"UPDATE {TABLE} SET actor_id = NULL, actor_label = '' WHERE sequence = 3",  # noqa: S608
        f"UPDATE {TABLE} SET organization_id = organization_id + 1 WHERE sequence = 3",  # noqa: S608
        f"DELETE FROM {TABLE} WHERE sequence = 3",  # noqa: S608
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            sql(statement)
    assert verify_chain().ok and AuditEntry.objects.count() == ENTRIES


def test_postgresql_writers_take_the_chain_lock(db):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE instead")
    with transaction.atomic():
        record("password.changed")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted"
            )
            assert cursor.fetchone()[0] >= 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_do_not_fork_the_chain():
    if connection.vendor != "postgresql":
        pytest.skip("the in-memory SQLite test database is not shared between threads the way a file is")
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(15):
                record("password.changed")
        except BaseException as error:  # reported below, from the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = verify_chain()
    assert result.ok and result.count == 60


def test_deleting_a_person_or_organisation_keeps_the_entry_and_the_chain(chain):
    person, org = chain[0].actor, chain[0].organization
    person.delete()
    org.delete()
    entry = AuditEntry.objects.get(sequence=1)
    assert (entry.actor_id, entry.organization_id) == (None, None)
    assert entry.actor_label == "keeper@example.org" and entry.organization_pk == chain[0].organization_pk
    assert verify_chain().ok


# Tampering --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("changes", '{"name": {"old": "name 3", "new": "innocent"}, "description": {}}'),
        ("actor_label", "someone.else@example.org"),
        ("action", "member.removed"),
        ("target_id", "12345"),
        ("channel", "web"),
        ("actor_pk", 424242),
        ("organization_pk", None),
    ],
)
def test_an_entry_edited_in_place_is_found(tamper, column, value):
    tamper(f"UPDATE {TABLE} SET {column} = %s WHERE sequence = 4", [value])  # noqa: S608
    broken(4, Problem.EDITED)


def test_an_actor_link_pointed_at_someone_else_is_found(tamper):
    other = make_person("scapegoat@example.org", "Scapegoat")
    tamper(f"UPDATE {TABLE} SET actor_id = %s WHERE sequence = 4", [other.pk])  # noqa: S608
    broken(4, Problem.EDITED)


def test_an_entry_edited_with_its_hash_recomputed_is_found(chain, tamper):
    entry = AuditEntry.objects.get(sequence=4)
    entry.changes = {"name": {"old": "name 3", "new": "innocent"}, "description": {}}
    tamper(
        f"UPDATE {TABLE} SET changes = %s, entry_hash = %s WHERE sequence = 4",  # noqa: S608
        ['{"name": {"old": "name 3", "new": "innocent"}, "description": {}}', compute_hash(entry)],
    )
    broken(4, Problem.EDITED)


def test_an_entry_deleted_from_the_middle_is_found(tamper):
    tamper(f"DELETE FROM {TABLE} WHERE sequence = 4")  # noqa: S608
    broken(4, Problem.DELETED)


def test_an_entry_deleted_and_the_rest_renumbered_is_found(tamper):
    tamper(f"DELETE FROM {TABLE} WHERE sequence = 4")  # noqa: S608
    for sequence in range(5, ENTRIES + 1):
        move(tamper, sequence, sequence - 1)
    broken(4, Problem.DELETED)


def test_the_first_entry_deleted_is_found(tamper):
    tamper(f"DELETE FROM {TABLE} WHERE sequence = 1")  # noqa: S608
    broken(1, Problem.DELETED)


@pytest.mark.parametrize(("first", "second"), [(3, 6), (3, 4), (1, 2)])
def test_two_entries_swapped_are_found(tamper, first, second):
    parked = 10**9
    move(tamper, first, parked)
    move(tamper, second, first)
    move(tamper, parked, second)
    broken(first, Problem.REORDERED)


@pytest.mark.parametrize("valid_hash", [True, False], ids=["hash-recomputed", "hash-made-up"])
def test_a_forged_entry_slipped_in_is_found(chain, tamper, valid_hash):
    for sequence in range(ENTRIES, 3, -1):  # make room at 4, from the end (numbers are unique)
        move(tamper, sequence, sequence + 1)
    forged = AuditEntry(
        sequence=4,
        occurred_at=chain[3].occurred_at,
        actor_label="keeper@example.org",
        action="member.removed",
        target_type="account",
        target_id="whistleblower@example.org",
        channel="web",
        prev_hash=chain[2].entry_hash,
    )
    forged.entry_hash = compute_hash(forged) if valid_hash else "f" * 64
    forged.save()
    broken(4, Problem.INSERTED)


def test_verify_reads_in_batches(tamper):
    assert verify_chain(batch=3).count == ENTRIES
    tamper(f"UPDATE {TABLE} SET action = 'member.removed' WHERE sequence = 7")  # noqa: S608
    broken(7, Problem.EDITED, batch=3)


def test_a_truncated_tail_is_not_detected_by_the_chain_alone_but_by_an_anchor(chain, tamper):
    anchor = (ENTRIES, chain[-1].entry_hash)
    tamper(f"DELETE FROM {TABLE} WHERE sequence > %s", [ENTRIES - 2])  # noqa: S608
    result = verify_chain()
    assert result.ok and result.count == ENTRIES - 2  # a limit of any hash chain without a key
    result = verify_chain(anchor=anchor)
    assert not result.ok and (result.broken_sequence, result.problem) == (ENTRIES, Problem.TRUNCATED)


def test_a_chain_rewritten_from_some_point_is_caught_by_an_anchor(chain, tamper):
    anchor = (5, chain[4].entry_hash)
    prev_hash = chain[3].entry_hash
    for entry in AuditEntry.objects.filter(sequence__gte=5).order_by("sequence"):
        entry.actor_label = "someone.else@example.org"
        entry.prev_hash = prev_hash
        entry.entry_hash = prev_hash = compute_hash(entry)
        tamper(
            f"UPDATE {TABLE} SET actor_label = %s, prev_hash = %s, entry_hash = %s WHERE sequence = %s",  # noqa: S608
            [entry.actor_label, entry.prev_hash, entry.entry_hash, entry.sequence],
        )
    assert verify_chain().ok  # everything recomputed: only an outside anchor can tell
    result = verify_chain(anchor=anchor)
    assert not result.ok and (result.broken_sequence, result.problem) == (5, Problem.REWRITTEN)


# `salama audit verify` -------------------------------------------------------------------------


def run_command(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", *args, stdout=out)
    return out.getvalue()


def test_the_command_reports_ok_with_the_count_and_an_anchor(chain):
    output = run_command("verify")
    assert f"OK: {ENTRIES} entries verified." in output
    assert f"{ENTRIES}:{chain[-1].entry_hash}" in output
    assert "OK" in run_command("verify", "--anchor", f"{ENTRIES}:{chain[-1].entry_hash}")


def test_the_command_reports_the_first_broken_entry(tamper):
    tamper(f"DELETE FROM {TABLE} WHERE sequence = 6")  # noqa: S608
    with pytest.raises(CommandError, match=r"broken at entry 6: deleted .* 5 entries before it verified"):
        run_command("verify")


def test_the_command_refuses_a_malformed_anchor(chain):
    with pytest.raises(CommandError):
        run_command("verify", "--anchor", "five:abc")


@pytest.fixture
def command_line(monkeypatch):  # type: ignore[no-untyped-def]
    """Run `salama audit verify` as the shell would, keeping the test's database connection."""
    monkeypatch.setattr(connections, "close_all", lambda: None)

    def run(*args: str) -> int:
        try:
            execute_from_command_line(["salama", "audit", *args])
        except SystemExit as exit_:
            return int(exit_.code or 0)
        return 0

    return run


def test_the_exit_status_is_zero_when_sound_and_non_zero_when_broken(chain, tamper, command_line, capsys):
    assert command_line("verify") == 0
    assert "OK: 8 entries verified." in capsys.readouterr().out
    tamper(f"UPDATE {TABLE} SET actor_label = 'x@example.org' WHERE sequence = 2")  # noqa: S608
    assert command_line("verify") == 1
    assert "broken at entry 2: edited" in capsys.readouterr().err
    assert command_line("verify", "--anchor", "not-an-anchor") != 0


def test_entries_written_at_a_fixed_time_hash_that_time(db, time_machine):  # type: ignore[no-untyped-def]
    time_machine.move_to(datetime(2026, 1, 31, 9, 5, tzinfo=UTC), tick=False)
    entry = record("password.changed")
    assert b'"occurred_at":"2026-01-31T09:05:00.000000Z"' in canonical(entry)
