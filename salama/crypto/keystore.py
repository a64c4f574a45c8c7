"""The key store: organisation, index and data keys, wrapped, in a database of their own.

A copy of the main database alone decrypts nothing: the keys for its envelopes live here, and
the keys here are wrapped, in the end, by the root key, which lives in neither database.

    root key (key file)
     +-- organisation key, per org, versioned      wrapped by the root key
     |    +-- data key, per record or file          wrapped by the org key version named in its row
     +-- index key, per org                         wrapped by the root key (blind indexes)

Wrapped form: nonce (12 bytes) || AES-256-GCM(wrapping key, key, ad) with
ad = pack("salama.keystore.v1", kind, org_id, key_id), kind in {"org", "index", "data"}; so a
wrapped key moved to another row, organisation or kind does not unwrap.

SQLite schema (its own file, 0600, WAL, synchronous=FULL, secure_delete=ON):

    meta       (name PK, value)                      schema version, root key fingerprint
    org_keys   (org_id, version, key_id UNIQUE, wrapped NULL, state, created_at)  PK (org_id, version)
               state: active (one per org, wraps new data keys) | retiring (rotation under way)
                      | retired (no data key refers to it; wrapped wiped to NULL)
    index_keys (org_id PK, key_id UNIQUE, wrapped, created_at)
    data_keys  (key_id PK, org_id, org_key_version, wrapped, created_at)
               FK (org_id, org_key_version) -> org_keys; INDEX (org_id, org_key_version)
    rotations  (org_id PK, from_version, to_version, rewrapped, started_at)   the resume marker

synchronous=FULL because a data key lost to a power cut after its record was committed to the
main database makes that record unreadable for good. Create the data key first, then write the
record: the worst a crash in between leaves is an unused key.

Crypto-shredding: `destroy_data_key` deletes the row; secure_delete overwrites the freed bytes
and a WAL checkpoint (TRUNCATE) removes the old page images from the -wal file. Filesystem
snapshots and backups of this file keep their copies: back the key store up on a short
retention so that destroyed keys age out.

Org key rotation (`rotate_org_key`) is resumable and never leaves a data key unreadable:

1. One transaction adds version N+1 as `active`, marks older versions `retiring` and writes the
   `rotations` marker (from, to). From then on new data keys are wrapped by N+1.
2. Batches, each in its own transaction: take up to `batch_size` data keys of the org whose
   org_key_version < N+1, unwrap each with the version its row names, re-wrap with N+1 and
   update wrapped and org_key_version together. A row is thus always readable, before, during
   and after; a batch that fails rolls back whole.
3. When a batch finds no such row, the same transaction marks older versions `retired`, wipes
   their wrapped bytes and deletes the marker.

Interrupted anywhere, a later call finds the marker and continues with the same target version:
the rows already moved no longer match the batch query, so "where it stopped" needs no cursor.

Root key re-wrap (`rewrap_org_keys`) rewrites every org and index key in one transaction (one
row per organisation, so small) and records the new root key's fingerprint. Procedure: create
the new key file beside the old one, re-wrap, then move the new file into place and restart the
processes. If the move is lost, opening the store with the old key fails with a clear
KeyStoreError rather than with undecryptable records; the new file is still there.

Cache: unwrapped keys are kept in memory, per process, least recently used first out beyond
`cache_size` entries (default 1024), and none longer than `cache_ttl` seconds (default 300). A
data key destroyed by another process may therefore keep working in this one for up to
`cache_ttl` seconds; in the destroying process it stops at once. Python cannot wipe `bytes`, so
keys leave memory when the garbage collector reuses it.
"""

from __future__ import annotations

import contextlib
import functools
import hmac
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .envelope import DecryptionError, pack
from .keys import KEY_BYTES, KEY_ID_PATTERN, generate_key, new_key_id

OrgId = str | int | UUID
SCHEMA_VERSION = "1"
_NONCE = 12

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS org_keys (
    org_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    key_id TEXT NOT NULL UNIQUE,
    wrapped BLOB,
    state TEXT NOT NULL CHECK (state IN ('active', 'retiring', 'retired')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, version),
    CHECK (wrapped IS NOT NULL OR state = 'retired')
);
CREATE UNIQUE INDEX IF NOT EXISTS org_keys_one_active ON org_keys (org_id) WHERE state = 'active';
CREATE TABLE IF NOT EXISTS index_keys (
    org_id TEXT PRIMARY KEY,
    key_id TEXT NOT NULL UNIQUE,
    wrapped BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS data_keys (
    key_id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    org_key_version INTEGER NOT NULL,
    wrapped BLOB NOT NULL,
    created_at TEXT NOT NULL,
    FOREIGN KEY (org_id, org_key_version) REFERENCES org_keys (org_id, version)
);
CREATE INDEX IF NOT EXISTS data_keys_by_org_version ON data_keys (org_id, org_key_version);
CREATE TABLE IF NOT EXISTS rotations (
    org_id TEXT PRIMARY KEY,
    from_version INTEGER NOT NULL,
    to_version INTEGER NOT NULL,
    rewrapped INTEGER NOT NULL DEFAULT 0,
    started_at TEXT NOT NULL
);
"""


class KeyDestroyed(DecryptionError):
    """The data key is missing or was destroyed: the record it protected is gone for good."""


class KeyStoreError(Exception):
    """The key store cannot be used as configured (wrong root key, unknown schema, ...)."""


@dataclass(frozen=True, slots=True)
class RotationProgress:
    org_id: str
    from_version: int
    to_version: int
    rewrapped: int  # data keys moved to to_version so far, over all runs of this rotation
    done: bool


class KeyStore(Protocol):
    """What the rest of Salama needs from a key store; SQLite today, PostgreSQL or Vault later."""

    def org_key(self, org_id: OrgId) -> tuple[str, bytes]:
        """The organisation's active key as (key id, key); created on first use."""
        ...

    def index_key(self, org_id: OrgId) -> bytes:
        """The organisation's blind-index key; created on first use, never rotated."""
        ...

    def new_data_key(self, org_id: OrgId) -> tuple[str, bytes]:
        """A fresh data key, stored wrapped by the organisation's active key."""
        ...

    def new_data_keys(self, org_id: OrgId, count: int) -> list[tuple[str, bytes]]:
        """`count` fresh data keys stored at once: one durable write for a whole batch."""
        ...

    def data_key(self, org_id: OrgId, data_key_id: str) -> bytes:
        """The data key, or KeyDestroyed if it is missing or destroyed."""
        ...

    def destroy_data_key(self, org_id: OrgId, data_key_id: str) -> bool:
        """Crypto-shred: delete the data key for good. False if there was none."""
        ...

    def rewrap_org_keys(self, new_root_key: bytes) -> int:
        """Re-wrap every organisation and index key under a new root key; returns how many."""
        ...

    def rotate_org_key(
        self,
        org_id: OrgId,
        *,
        batch_size: int = 500,
        max_batches: int | None = None,
        on_batch: Callable[[RotationProgress], None] | None = None,
    ) -> RotationProgress:
        """Start or resume rotating the organisation key; see the module docstring."""
        ...

    def pending_rotations(self) -> list[str]:
        """Organisations whose key rotation was started and not finished."""
        ...

    def close(self) -> None: ...


def root_key_fingerprint(root_key: bytes) -> str:
    """A public check value for a root key (HMAC output reveals nothing about the key)."""
    return hmac.digest(root_key, b"salama.root-key-fingerprint.v1", "sha256").hex()[:32]


def _org(org_id: OrgId) -> str:
    if isinstance(org_id, bool) or not isinstance(org_id, str | int | UUID) or str(org_id) == "":
        raise ValueError("org_id must be a non-empty string, an integer or a UUID")
    return str(org_id)


def _ad(kind: str, org_id: str, key_id: str) -> bytes:
    return _ad_place(kind, org_id) + pack(key_id)


@functools.lru_cache(maxsize=1024)
def _ad_place(kind: str, org_id: str) -> bytes:
    """The start of `_ad`, the same for all the keys of an organisation (an import wraps
    thousands at once): pack() of all the parts is its first parts' pack followed by the rest's."""
    return pack("salama.keystore.v1", kind, org_id)


def _wrap(wrapping_key: bytes | AESGCM, key: bytes, ad: bytes) -> bytes:
    """`wrapping_key` may be an AESGCM already made from it, when many keys are wrapped at once."""
    aead = wrapping_key if isinstance(wrapping_key, AESGCM) else AESGCM(wrapping_key)
    nonce = os.urandom(_NONCE)
    return nonce + aead.encrypt(nonce, key, ad)


def _unwrap(wrapping_key: bytes, wrapped: object, ad: bytes) -> bytes:
    if not isinstance(wrapped, bytes) or len(wrapped) != _NONCE + KEY_BYTES + 16:
        raise DecryptionError("a wrapped key in the key store is malformed")
    try:
        return AESGCM(wrapping_key).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], ad)
    except InvalidTag:
        raise DecryptionError("a wrapped key in the key store does not authenticate") from None


def _now() -> str:
    return datetime.now(tz=UTC).isoformat(timespec="seconds")


class _KeyCache:
    """Bounded LRU of unwrapped keys with a time to live; thread-safe."""

    def __init__(self, size: int, ttl: float, clock: Callable[[], float]) -> None:
        self._items: OrderedDict[tuple[str, ...], tuple[float, bytes]] = OrderedDict()
        self._size, self._ttl, self._clock = size, ttl, clock
        self._lock = threading.Lock()

    def get(self, name: tuple[str, ...]) -> bytes | None:
        with self._lock:
            item = self._items.get(name)
            if item is None:
                return None
            if self._clock() - item[0] >= self._ttl:
                del self._items[name]
                return None
            self._items.move_to_end(name)
            return item[1]

    def put(self, name: tuple[str, ...], key: bytes) -> None:
        with self._lock:
            self._items[name] = (self._clock(), key)
            self._items.move_to_end(name)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def pop(self, name: tuple[str, ...]) -> None:
        with self._lock:
            self._items.pop(name, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class SQLiteKeyStore:
    """The key store in its own SQLite file (default `SALAMA_DATA_DIR/keys/keystore.sqlite3`).

    One connection per process, used under a lock: key store calls are short, and most are
    answered from the cache. After a fork the child opens its own connection.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        root_key: bytes,
        *,
        cache_size: int = 1024,
        cache_ttl: float = 300.0,
        busy_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if len(root_key) != KEY_BYTES:
            raise ValueError(f"root key must be {KEY_BYTES} bytes")
        self.path = Path(path)
        self._root = root_key
        self._busy_timeout = busy_timeout
        self._cache = _KeyCache(cache_size, cache_ttl, clock)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        # Keys unwrapped or created inside a transaction reach the cache only once it commits:
        # a cached key that was rolled back would be used to wrap data keys that nobody can read.
        self._pending: list[tuple[tuple[str, ...], bytes]] | None = None
        if not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, mode=0o700)
        with contextlib.suppress(FileExistsError):
            # SQLite creates its -wal and -shm files with the permissions of this one.
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        with self._lock:
            self._db()

    # -- plumbing ---------------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            # A connection inherited through fork() must not be used (nor closed) by the child.
            self._conn = self._open()
            self._pid = os.getpid()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("PRAGMA foreign_keys = ON")
            if db.execute("PRAGMA secure_delete = ON").fetchone()[0] != 1:
                raise KeyStoreError("this SQLite build cannot turn on secure_delete")
            fingerprint = root_key_fingerprint(self._root)
            db.execute("BEGIN IMMEDIATE")
            # Statement by statement: executescript() would commit the open transaction first.
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute("INSERT OR IGNORE INTO meta (name, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))
            db.execute("INSERT OR IGNORE INTO meta (name, value) VALUES ('root_fingerprint', ?)", (fingerprint,))
            meta = dict(db.execute("SELECT name, value FROM meta").fetchall())
            db.execute("COMMIT")
        except BaseException:
            db.close()
            raise
        if meta["schema"] != SCHEMA_VERSION:
            db.close()
            raise KeyStoreError(f"key store {self.path} has schema {meta['schema']}; this code knows {SCHEMA_VERSION}")
        if not hmac.compare_digest(meta["root_fingerprint"], fingerprint):
            db.close()
            raise KeyStoreError(
                f"the root key does not open key store {self.path}. If a root key re-wrap finished but the "
                "new key file was not moved into place, use the new key file."
            )
        return db

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            self._pending = []
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                self._pending = None
                raise
            for name, key in self._pending:
                self._cache.put(name, key)
            self._pending = None

    def _remember(self, name: tuple[str, ...], key: bytes) -> None:
        if self._pending is not None:
            self._pending.append((name, key))
        else:
            self._cache.put(name, key)

    def _checkpoint(self) -> None:
        # Best effort: while another process reads, the WAL cannot be truncated at once; its old
        # frames are then overwritten as SQLite reuses the WAL after a later checkpoint.
        with self._lock:
            self._db().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None
            self._cache.clear()

    def __enter__(self) -> SQLiteKeyStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- organisation keys ------------------------------------------------------------------

    def _org_material(self, org: str, key_id: str, wrapped: object) -> bytes:
        name = ("org", org, key_id)
        key = self._cache.get(name)
        if key is None:
            key = _unwrap(self._root, wrapped, _ad("org", org, key_id))
            self._remember(name, key)
        return key

    def _active_org_key(self, db: sqlite3.Connection, org: str) -> tuple[str, int, bytes]:
        """The active org key, created as version 1 if the org has none. Inside a transaction."""
        row = db.execute(
            "SELECT key_id, version, wrapped FROM org_keys WHERE org_id = ? AND state = 'active'", (org,)
        ).fetchone()
        if row is not None:
            return row[0], row[1], self._org_material(org, row[0], row[2])
        if db.execute("SELECT 1 FROM org_keys WHERE org_id = ?", (org,)).fetchone():
            raise KeyStoreError("organisation has key versions but none active; the key store is damaged")
        return self._add_org_key(db, org, 1)

    def _add_org_key(self, db: sqlite3.Connection, org: str, version: int) -> tuple[str, int, bytes]:
        key_id, key = new_key_id(), generate_key()
        db.execute(
            "INSERT INTO org_keys (org_id, version, key_id, wrapped, state, created_at)"
            " VALUES (?, ?, ?, ?, 'active', ?)",
            (org, version, key_id, _wrap(self._root, key, _ad("org", org, key_id)), _now()),
        )
        self._remember(("org", org, key_id), key)
        return key_id, version, key

    def org_key(self, org_id: OrgId) -> tuple[str, bytes]:
        org = _org(org_id)
        with self._lock:
            row = (
                self._db()
                .execute("SELECT key_id, wrapped FROM org_keys WHERE org_id = ? AND state = 'active'", (org,))
                .fetchone()
            )
            if row is not None:
                return row[0], self._org_material(org, row[0], row[1])
            with self._transaction() as db:
                key_id, _version, key = self._active_org_key(db, org)
            return key_id, key

    def index_key(self, org_id: OrgId) -> bytes:
        org = _org(org_id)
        name = ("index", org)
        key = self._cache.get(name)
        if key is not None:
            return key
        with self._lock:
            row = self._db().execute("SELECT key_id, wrapped FROM index_keys WHERE org_id = ?", (org,)).fetchone()
            if row is not None:
                key = _unwrap(self._root, row[1], _ad("index", org, row[0]))
                self._remember(name, key)
                return key
            with self._transaction() as db:
                row = db.execute("SELECT key_id, wrapped FROM index_keys WHERE org_id = ?", (org,)).fetchone()
                if row is not None:
                    key = _unwrap(self._root, row[1], _ad("index", org, row[0]))
                else:
                    key_id, key = new_key_id(), generate_key()
                    db.execute(
                        "INSERT INTO index_keys (org_id, key_id, wrapped, created_at) VALUES (?, ?, ?, ?)",
                        (org, key_id, _wrap(self._root, key, _ad("index", org, key_id)), _now()),
                    )
                self._remember(name, key)
            return key

    # -- data keys --------------------------------------------------------------------------

    def new_data_key(self, org_id: OrgId) -> tuple[str, bytes]:
        return self.new_data_keys(org_id, 1)[0]

    def new_data_keys(self, org_id: OrgId, count: int) -> list[tuple[str, bytes]]:
        org = _org(org_id)
        made = [(new_key_id(), generate_key()) for _ in range(count)]
        # Active version read and rows written in one write transaction, so a rotation that is
        # finishing in another process cannot retire the version these keys are wrapped by.
        with self._transaction() as db:
            _org_key_id, version, org_key = self._active_org_key(db, org)
            now = _now()
            wrapper = AESGCM(org_key)
            db.executemany(
                "INSERT INTO data_keys (key_id, org_id, org_key_version, wrapped, created_at) VALUES (?, ?, ?, ?, ?)",
                [(key_id, org, version, _wrap(wrapper, key, _ad("data", org, key_id)), now) for key_id, key in made],
            )
            # A batch's keys (an import's) are used once, by the caller, at once: remembered,
            # thousands of them would push every other key out of the cache.
            if count == 1:
                self._remember(("data", org, made[0][0]), made[0][1])
        return made

    def data_key(self, org_id: OrgId, data_key_id: str) -> bytes:
        org = _org(org_id)
        if not isinstance(data_key_id, str) or not KEY_ID_PATTERN.fullmatch(data_key_id):
            raise KeyDestroyed("data key is missing or destroyed")
        name = ("data", org, data_key_id)
        key = self._cache.get(name)
        if key is not None:
            return key
        # Under the lock, so a destroy in another thread cannot slip between read and cache.
        with self._lock:
            row = (
                self._db()
                .execute(
                    "SELECT d.wrapped, o.key_id, o.wrapped FROM data_keys d JOIN org_keys o"
                    " ON o.org_id = d.org_id AND o.version = d.org_key_version"
                    " WHERE d.key_id = ? AND d.org_id = ?",
                    (data_key_id, org),
                )
                .fetchone()
            )
            if row is None:
                raise KeyDestroyed("data key is missing or destroyed")
            key = _unwrap(self._org_material(org, row[1], row[2]), row[0], _ad("data", org, data_key_id))
            self._remember(name, key)
            return key

    def destroy_data_key(self, org_id: OrgId, data_key_id: str) -> bool:
        org = _org(org_id)
        with self._lock:
            self._cache.pop(("data", org, data_key_id))
            with self._transaction() as db:
                deleted = db.execute(
                    "DELETE FROM data_keys WHERE key_id = ? AND org_id = ?", (data_key_id, org)
                ).rowcount
            self._checkpoint()
        return deleted == 1

    # -- rotation ---------------------------------------------------------------------------

    def rewrap_org_keys(self, new_root_key: bytes) -> int:
        if len(new_root_key) != KEY_BYTES:
            raise ValueError(f"root key must be {KEY_BYTES} bytes")
        count = 0
        with self._lock:
            with self._transaction() as db:
                for org, key_id, wrapped in db.execute(
                    "SELECT org_id, key_id, wrapped FROM org_keys WHERE wrapped IS NOT NULL"
                ).fetchall():
                    key = _unwrap(self._root, wrapped, _ad("org", org, key_id))
                    db.execute(
                        "UPDATE org_keys SET wrapped = ? WHERE key_id = ?",
                        (_wrap(new_root_key, key, _ad("org", org, key_id)), key_id),
                    )
                    count += 1
                for org, key_id, wrapped in db.execute("SELECT org_id, key_id, wrapped FROM index_keys").fetchall():
                    key = _unwrap(self._root, wrapped, _ad("index", org, key_id))
                    db.execute(
                        "UPDATE index_keys SET wrapped = ? WHERE key_id = ?",
                        (_wrap(new_root_key, key, _ad("index", org, key_id)), key_id),
                    )
                    count += 1
                db.execute(
                    "UPDATE meta SET value = ? WHERE name = 'root_fingerprint'", (root_key_fingerprint(new_root_key),)
                )
            self._root = new_root_key
            self._checkpoint()
        return count

    def rotate_org_key(
        self,
        org_id: OrgId,
        *,
        batch_size: int = 500,
        max_batches: int | None = None,
        on_batch: Callable[[RotationProgress], None] | None = None,
    ) -> RotationProgress:
        org = _org(org_id)
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        with self._transaction() as db:
            from_version, to_version = self._begin_rotation(db, org)
            progress = self._progress(db, org, from_version, to_version, done=False)
        batches = 0
        while max_batches is None or batches < max_batches:
            with self._transaction() as db:
                progress = self._rotate_batch(db, org, from_version, to_version, batch_size)
            if progress.done:
                self._checkpoint()
                break
            batches += 1
            if on_batch is not None:
                on_batch(progress)
        return progress

    def _begin_rotation(self, db: sqlite3.Connection, org: str) -> tuple[int, int]:
        row = db.execute("SELECT from_version, to_version FROM rotations WHERE org_id = ?", (org,)).fetchone()
        if row is not None:
            return row[0], row[1]
        _key_id, current, _key = self._active_org_key(db, org)
        db.execute("UPDATE org_keys SET state = 'retiring' WHERE org_id = ? AND state = 'active'", (org,))
        self._add_org_key(db, org, current + 1)
        db.execute(
            "INSERT INTO rotations (org_id, from_version, to_version, started_at) VALUES (?, ?, ?, ?)",
            (org, current, current + 1, _now()),
        )
        return current, current + 1

    def _rotate_batch(
        self, db: sqlite3.Connection, org: str, from_version: int, to_version: int, batch_size: int
    ) -> RotationProgress:
        target_id, target_wrapped = db.execute(
            "SELECT key_id, wrapped FROM org_keys WHERE org_id = ? AND version = ?", (org, to_version)
        ).fetchone()
        target = self._org_material(org, target_id, target_wrapped)
        rows = db.execute(
            "SELECT d.key_id, d.wrapped, o.key_id, o.wrapped FROM data_keys d JOIN org_keys o"
            " ON o.org_id = d.org_id AND o.version = d.org_key_version"
            " WHERE d.org_id = ? AND d.org_key_version < ? LIMIT ?",
            (org, to_version, batch_size),
        ).fetchall()
        for key_id, wrapped, old_id, old_wrapped in rows:
            ad = _ad("data", org, key_id)
            key = _unwrap(self._org_material(org, old_id, old_wrapped), wrapped, ad)
            db.execute(
                "UPDATE data_keys SET wrapped = ?, org_key_version = ? WHERE key_id = ?",
                (_wrap(target, key, ad), to_version, key_id),
            )
        db.execute("UPDATE rotations SET rewrapped = rewrapped + ? WHERE org_id = ?", (len(rows), org))
        progress = self._progress(db, org, from_version, to_version, done=not rows)
        if not rows:
            # Same transaction as the empty batch query: no data key can still need these.
            retired = db.execute(
                "SELECT key_id FROM org_keys WHERE org_id = ? AND version < ? AND state != 'retired'",
                (org, to_version),
            ).fetchall()
            db.execute(
                "UPDATE org_keys SET state = 'retired', wrapped = NULL WHERE org_id = ? AND version < ?",
                (org, to_version),
            )
            db.execute("DELETE FROM rotations WHERE org_id = ?", (org,))
            for (key_id,) in retired:
                self._cache.pop(("org", org, key_id))
        return progress

    def _progress(
        self, db: sqlite3.Connection, org: str, from_version: int, to_version: int, *, done: bool
    ) -> RotationProgress:
        row = db.execute("SELECT rewrapped FROM rotations WHERE org_id = ?", (org,)).fetchone()
        return RotationProgress(org, from_version, to_version, row[0] if row else 0, done)

    def pending_rotations(self) -> list[str]:
        with self._lock:
            return [row[0] for row in self._db().execute("SELECT org_id FROM rotations ORDER BY org_id")]


def _conforms(store: SQLiteKeyStore) -> KeyStore:
    # mypy checks here that SQLiteKeyStore keeps up with the protocol.
    return store
