"""The key store: stable org keys, nothing raw on disk, shredding, root re-wrap, rotation."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading

import pytest

from salama.crypto import (
    Context,
    DecryptionError,
    KeyDestroyed,
    KeyStoreError,
    SQLiteKeyStore,
    create_root_key,
    generate_key,
    seal,
    unseal,
)
from salama.crypto import keystore as keystore_module
from salama.crypto.keystore import _KeyCache


def disk_bytes(path):
    """Everything SQLite has written for this store: the file, its WAL and shared memory."""
    return b"".join(
        candidate.read_bytes()
        for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))
        if candidate.exists()
    )


def rows(path, query, *params):
    with sqlite3.connect(path) as db:
        return db.execute(query, params).fetchall()


def test_files_are_private(store, store_path):
    store.new_data_key("org-a")
    assert stat.S_IMODE(os.stat(store_path.parent).st_mode) == 0o700
    for suffix in ("", "-wal", "-shm"):
        assert stat.S_IMODE(os.stat(f"{store_path}{suffix}").st_mode) == 0o600


def test_sqlite_settings(store, store_path):
    db = store._db()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_org_keys_are_created_once_and_stay_the_same(store_path, root_key):
    with SQLiteKeyStore(store_path, root_key) as store:
        first = store.org_key("org-a")
        assert store.org_key("org-a") == first
        assert store.org_key("org-b") != first
        assert store.org_key(7) == store.org_key("7")
    with SQLiteKeyStore(store_path, root_key, cache_size=0) as reopened:
        assert reopened.org_key("org-a") == first


def test_index_keys_are_per_organisation_and_stable(store_path, root_key):
    with SQLiteKeyStore(store_path, root_key) as store:
        a, b = store.index_key("org-a"), store.index_key("org-b")
        assert a != b and len(a) == 32 and a not in (store.org_key("org-a")[1],)
    with SQLiteKeyStore(store_path, root_key, cache_size=0) as reopened:
        assert reopened.index_key("org-a") == a


def test_data_keys_are_random_and_come_back(store_path, root_key):
    with SQLiteKeyStore(store_path, root_key) as store:
        made = dict(store.new_data_key("org-a") for _ in range(20))
        assert len(set(made.values())) == 20
    with SQLiteKeyStore(store_path, root_key, cache_size=0) as reopened:
        assert {key_id: reopened.data_key("org-a", key_id) for key_id in made} == made


def test_a_batch_of_data_keys_is_stored_at_once_and_comes_back(store_path, root_key):
    with SQLiteKeyStore(store_path, root_key) as store:
        batch = store.new_data_keys("org-a", 300)
        assert len({key_id for key_id, _ in batch}) == 300 and len({key for _, key in batch}) == 300
    with SQLiteKeyStore(store_path, root_key, cache_size=0) as reopened:
        assert [(key_id, reopened.data_key("org-a", key_id)) for key_id, _ in batch] == batch
        with pytest.raises(KeyDestroyed):
            reopened.data_key("org-b", batch[0][0])


def test_no_raw_key_ever_reaches_the_disk(store, store_path, root_key):
    raw = [root_key]
    for org in ("org-a", "org-b"):
        raw.append(store.org_key(org)[1])
        raw.append(store.index_key(org))
        raw.extend(store.new_data_key(org)[1] for _ in range(50))
    store.rotate_org_key("org-a", batch_size=7)
    raw.append(store.org_key("org-a")[1])
    on_disk = disk_bytes(store_path)
    assert len(on_disk) > 0
    for key in raw:
        assert key not in on_disk
        assert key.hex().encode() not in on_disk


def test_a_data_key_belongs_to_its_organisation(store):
    key_id, _key = store.new_data_key("org-a")
    with pytest.raises(KeyDestroyed):
        store.data_key("org-b", key_id)
    assert store.destroy_data_key("org-b", key_id) is False
    assert store.data_key("org-a", key_id)


@pytest.mark.parametrize("key_id", ["", "0" * 16, "not-a-key-id", "DROP TABLE data_keys"])
def test_unknown_data_keys_raise_key_destroyed(store, key_id):
    with pytest.raises(KeyDestroyed):
        store.data_key("org-a", key_id)


def test_a_destroyed_data_key_shreds_every_kept_copy_of_the_ciphertext(store, store_path, root_key):
    key_id, key = store.new_data_key("org-a")
    where = Context("org-a", "cases.Incident", "narrative", 9)
    kept_copy = seal(key, key_id, b"what happened on 3 May", where)
    (wrapped,) = rows(store_path, "SELECT wrapped FROM data_keys WHERE key_id = ?", key_id)[0]
    assert wrapped in disk_bytes(store_path)

    assert store.destroy_data_key("org-a", key_id) is True
    assert store.destroy_data_key("org-a", key_id) is False

    with pytest.raises(KeyDestroyed):
        store.data_key("org-a", key_id)
    with pytest.raises(DecryptionError):
        unseal(lambda kid: store.data_key("org-a", kid), kept_copy, where)
    with SQLiteKeyStore(store_path, root_key) as fresh, pytest.raises(DecryptionError):
        unseal(lambda kid: fresh.data_key("org-a", kid), kept_copy, where)
    # secure_delete and the WAL checkpoint leave no copy of the wrapped key in the files.
    assert wrapped not in disk_bytes(store_path)
    assert key not in disk_bytes(store_path)


def test_a_destroy_in_another_process_reaches_this_cache_within_its_ttl(store_path, root_key):
    now = [0.0]
    reader = SQLiteKeyStore(store_path, root_key, cache_ttl=60, clock=lambda: now[0])
    other_process = SQLiteKeyStore(store_path, root_key)
    key_id, key = reader.new_data_key("org-a")
    other_process.destroy_data_key("org-a", key_id)
    assert reader.data_key("org-a", key_id) == key, "still cached, as documented"
    now[0] = 60.0
    with pytest.raises(KeyDestroyed):
        reader.data_key("org-a", key_id)
    reader.close()
    other_process.close()


def test_a_batch_of_new_keys_is_not_cached_and_leaves_the_cached_keys_in_place(store_path, root_key):
    reader = SQLiteKeyStore(store_path, root_key, cache_size=4, cache_ttl=60, clock=lambda: 0.0)
    other_process = SQLiteKeyStore(store_path, root_key)
    single_id, single = reader.new_data_key("org-a")
    batch = reader.new_data_keys("org-a", 10)
    for key_id, _key in [(single_id, single), batch[0]]:
        other_process.destroy_data_key("org-a", key_id)
    assert reader.data_key("org-a", single_id) == single, "still cached: the batch did not push it out"
    with pytest.raises(KeyDestroyed):
        reader.data_key("org-a", batch[0][0])
    assert reader.data_key("org-a", batch[9][0]) == batch[9][1]
    reader.close()
    other_process.close()


def test_the_cache_is_bounded_and_least_recently_used_goes_first():
    now = [0.0]
    cache = _KeyCache(size=2, ttl=10, clock=lambda: now[0])
    cache.put(("a",), b"1")
    cache.put(("b",), b"2")
    assert cache.get(("a",)) == b"1"
    cache.put(("c",), b"3")
    assert (cache.get(("a",)), cache.get(("b",)), cache.get(("c",))) == (b"1", None, b"3")
    now[0] = 10.0
    assert cache.get(("a",)) is None


def test_the_wrong_root_key_cannot_open_the_store(store, store_path):
    store.new_data_key("org-a")
    with pytest.raises(KeyStoreError, match="root key does not open"):
        SQLiteKeyStore(store_path, generate_key())


def test_a_wrapped_key_moved_to_another_row_does_not_unwrap(store, store_path, root_key):
    first, _ = store.new_data_key("org-a")
    second, _ = store.new_data_key("org-a")
    with sqlite3.connect(store_path) as db:
        (wrapped,) = db.execute("SELECT wrapped FROM data_keys WHERE key_id = ?", (first,)).fetchone()
        db.execute("UPDATE data_keys SET wrapped = ? WHERE key_id = ?", (wrapped, second))
    with SQLiteKeyStore(store_path, root_key, cache_size=0) as fresh:
        assert fresh.data_key("org-a", first)
        with pytest.raises(DecryptionError):
            fresh.data_key("org-a", second)


def test_root_key_rewrap_keeps_every_key_usable(store_path, root_key, tmp_path):
    with SQLiteKeyStore(store_path, root_key) as store:
        data = {org: dict(store.new_data_key(org) for _ in range(30)) for org in ("org-a", "org-b", "org-c")}
        index = {org: store.index_key(org) for org in data}
        store.rotate_org_key("org-b", batch_size=10, max_batches=1)  # a retiring version too
        new_root = create_root_key(tmp_path / "keys" / "root.key.new")
        assert store.rewrap_org_keys(new_root) == 3 + 1 + 3  # org keys (org-b has two), index keys
        assert store.data_key("org-a", next(iter(data["org-a"])))

    with pytest.raises(KeyStoreError):
        SQLiteKeyStore(store_path, root_key)
    with SQLiteKeyStore(store_path, new_root, cache_size=0) as reopened:
        for org, keys in data.items():
            assert {key_id: reopened.data_key(org, key_id) for key_id in keys} == keys
            assert reopened.index_key(org) == index[org]
        assert reopened.rotate_org_key("org-b").done
        assert {key_id: reopened.data_key("org-b", key_id) for key_id in data["org-b"]} == data["org-b"]


def test_a_failed_root_rewrap_changes_nothing(store_path, root_key, monkeypatch):
    with SQLiteKeyStore(store_path, root_key) as store:
        for org in ("org-a", "org-b"):
            store.new_data_key(org)
        calls = []

        def failing_wrap(*args):
            calls.append(args)
            if len(calls) == 2:
                raise OSError("disk full")
            return real_wrap(*args)

        real_wrap = keystore_module._wrap
        monkeypatch.setattr(keystore_module, "_wrap", failing_wrap)
        with pytest.raises(OSError, match="disk full"):
            store.rewrap_org_keys(generate_key())
    with SQLiteKeyStore(store_path, root_key, cache_size=0) as reopened:
        assert reopened.org_key("org-a")


class Interrupted(Exception):
    pass


def versions(store_path, org):
    return dict(rows(store_path, "SELECT version, state FROM org_keys WHERE org_id = ? ORDER BY version", org))


def test_an_interrupted_rotation_resumes_and_never_leaves_a_data_key_unreadable(store_path, root_key):
    store = SQLiteKeyStore(store_path, root_key)
    data = dict(store.new_data_key("org-a") for _ in range(250))
    bystander = dict(store.new_data_key("org-b") for _ in range(5))
    old_org_key_id, old_org_key = store.org_key("org-a")

    seen = []

    def crash_after_two_batches(progress):
        seen.append(progress)
        if len(seen) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        store.rotate_org_key("org-a", batch_size=40, on_batch=crash_after_two_batches)
    assert [progress.rewrapped for progress in seen] == [40, 80]
    store.close()

    # Midway: half moved, half not, every key readable by a process with an empty cache.
    count_by_version = "SELECT org_key_version, COUNT(*) FROM data_keys WHERE org_id = ? GROUP BY org_key_version"
    assert dict(rows(store_path, count_by_version, "org-a")) == {1: 170, 2: 80}
    assert versions(store_path, "org-a") == {1: "retiring", 2: "active"}
    with SQLiteKeyStore(store_path, root_key, cache_size=0) as midway:
        assert midway.pending_rotations() == ["org-a"]
        assert {key_id: midway.data_key("org-a", key_id) for key_id in data} == data
        new_id, new_key = midway.new_data_key("org-a")  # written under the new version at once
        data[new_id] = new_key
        assert midway.org_key("org-a")[0] != old_org_key_id

    with SQLiteKeyStore(store_path, root_key, cache_size=0) as resumed:
        partial = resumed.rotate_org_key("org-a", batch_size=40, max_batches=2)
        assert (partial.done, partial.rewrapped, partial.to_version) == (False, 160, 2)
        finished = resumed.rotate_org_key("org-a", batch_size=40)
        assert (finished.done, finished.rewrapped, finished.from_version, finished.to_version) == (True, 250, 1, 2)
        assert resumed.pending_rotations() == []

    assert versions(store_path, "org-a") == {1: "retired", 2: "active"}
    assert rows(store_path, "SELECT wrapped FROM org_keys WHERE org_id = 'org-a' AND version = 1") == [(None,)]
    assert rows(store_path, "SELECT DISTINCT org_key_version FROM data_keys WHERE org_id = 'org-a'") == [(2,)]
    assert old_org_key not in disk_bytes(store_path)
    with SQLiteKeyStore(store_path, root_key, cache_size=0) as after:
        assert {key_id: after.data_key("org-a", key_id) for key_id in data} == data
        assert {key_id: after.data_key("org-b", key_id) for key_id in bystander} == bystander
        assert versions(store_path, "org-b") == {1: "active"}
        assert after.rotate_org_key("org-a").to_version == 3


def test_a_batch_that_fails_halfway_rolls_back_whole(store_path, root_key, monkeypatch):
    store = SQLiteKeyStore(store_path, root_key)
    data = dict(store.new_data_key("org-a") for _ in range(30))
    real_wrap = keystore_module._wrap
    wrapped = []

    def failing_wrap(*args):
        wrapped.append(args)
        if len(wrapped) == 1 + 10 + 5:  # the new org key, one full batch, half of the next
            raise OSError("power cut")
        return real_wrap(*args)

    monkeypatch.setattr(keystore_module, "_wrap", failing_wrap)
    with pytest.raises(OSError, match="power cut"):
        store.rotate_org_key("org-a", batch_size=10)
    store.close()
    monkeypatch.setattr(keystore_module, "_wrap", real_wrap)
    assert dict(rows(store_path, "SELECT org_key_version, COUNT(*) FROM data_keys GROUP BY org_key_version")) == {
        1: 20,
        2: 10,
    }
    with SQLiteKeyStore(store_path, root_key, cache_size=0) as resumed:
        assert {key_id: resumed.data_key("org-a", key_id) for key_id in data} == data
        assert resumed.rotate_org_key("org-a", batch_size=10).done
        assert {key_id: resumed.data_key("org-a", key_id) for key_id in data} == data


def test_records_sealed_before_a_rotation_open_after_it(store):
    key_id, key = store.new_data_key("org-a")
    where = Context("org-a", "defenders.Defender", "name", 1)
    stored = seal(key, key_id, b"Ana", where)
    store.rotate_org_key("org-a")
    store.rotate_org_key("org-a")
    assert unseal(lambda kid: store.data_key("org-a", kid), stored, where) == b"Ana"


def test_rotation_of_an_organisation_without_keys_starts_it_at_version_two(store, store_path):
    assert store.rotate_org_key("org-new").done
    assert versions(store_path, "org-new") == {1: "retired", 2: "active"}


def test_rotation_and_new_data_keys_in_two_processes_at_once(store_path, root_key):
    writer = SQLiteKeyStore(store_path, root_key)
    rotator = SQLiteKeyStore(store_path, root_key)
    made = dict(writer.new_data_key("org-a") for _ in range(200))
    lock = threading.Lock()
    failures = []

    def write():
        try:
            for _ in range(50):
                key_id, key = writer.new_data_key("org-a")
                with lock:
                    made[key_id] = key
        except Exception as error:
            failures.append(error)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for _ in range(3):
        assert rotator.rotate_org_key("org-a", batch_size=25).done
    for thread in threads:
        thread.join()
    assert failures == []
    writer.close()
    rotator.close()
    with SQLiteKeyStore(store_path, root_key, cache_size=0) as fresh:
        assert len(made) == 400
        assert {key_id: fresh.data_key("org-a", key_id) for key_id in made} == made


@pytest.mark.parametrize("org_id", ["", None, True, 1.5])
def test_org_ids_must_be_non_empty_text_integers_or_uuids(store, org_id):
    with pytest.raises(ValueError):
        store.org_key(org_id)


def test_the_store_refuses_a_short_root_key(store_path):
    with pytest.raises(ValueError):
        SQLiteKeyStore(store_path, b"short")
