"""How an entry is hashed: the one definition shared by the writer and `audit verify`.

entry_hash = SHA-256 over the canonical JSON of the hashed fields, prev_hash included:
  * an object with exactly the keys in HASHED_FIELDS, sorted, no whitespace
    (`separators=(",", ":")`), UTF-8, non-ASCII characters kept as they are, NaN refused;
  * occurred_at as UTC ISO 8601 with microseconds and a Z: 2025-01-31T09:05:00.000000Z;
  * actor and organisation by their frozen ids (actor_pk, organization_pk), not by the foreign
    keys, which become NULL when a user or organisation is deleted and must not break the chain;
  * changes as stored: the writer reduces them to strings, whole numbers, booleans, null, and
    lists and objects of these, which read back from SQLite and PostgreSQL unchanged.
The first entry links to GENESIS. `format` names this recipe, so a later one can coexist.
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import AuditEntry

GENESIS = "0" * 64
FORMAT = 1
HASHED_FIELDS = (
    "format",
    "sequence",
    "occurred_at",
    "actor_pk",
    "actor_label",
    "organization_pk",
    "action",
    "target_type",
    "target_id",
    "changes",
    "channel",
    "prev_hash",
)


@functools.lru_cache(maxsize=64)
def timestamp(value: datetime) -> str:
    """Remembered: the entries of a batch share one moment."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode(value: Any) -> str:
    """The canonical JSON of a value: of a whole entry, or of its changes alone."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical(entry: AuditEntry, sequence: int | None = None) -> bytes:
    payload: dict[str, Any] = {name: getattr(entry, name) for name in HASHED_FIELDS}
    payload["occurred_at"] = timestamp(entry.occurred_at)
    if sequence is not None:  # what the entry would hash to at another place in the chain
        payload["sequence"] = sequence
    return encode(payload).encode()


def compute_hash(entry: AuditEntry, sequence: int | None = None) -> str:
    if entry.format != FORMAT:
        raise ValueError(f"unknown audit entry format {entry.format}")
    return hashlib.sha256(canonical(entry, sequence)).hexdigest()


# What varies between the entries of a batch (record_many); everything else is the batch's.
VARYING = ("sequence", "target_type", "target_id", "changes", "prev_hash")


class BatchHasher:
    """`compute_hash` for the entries of one batch, which share every hashed field but those in
    VARYING. The canonical JSON of a flat object is its `"key":value` members in sorted key
    order, joined by commas within braces, so the shared members are encoded once and each
    entry encodes only its own. `changes_json` is `encode(changes)`, which the writer also
    stores: an entry's changes are encoded once. Tested against `compute_hash`, which `audit
    verify` uses."""

    def __init__(self, **shared: Any) -> None:
        if sorted([*shared, *VARYING]) != sorted(HASHED_FIELDS):
            raise ValueError(f"a batch shares exactly these fields: {sorted(set(HASHED_FIELDS) - set(VARYING))}")
        if shared["format"] != FORMAT:
            raise ValueError(f"unknown audit entry format {shared['format']}")
        shared = {**shared, "occurred_at": timestamp(shared["occurred_at"])}
        # In sorted key order: a shared member's whole text, or a varying member's `"key":`.
        self._layout = [
            (name, f"{encode(name)}:{encode(shared[name])}" if name in shared else f"{encode(name)}:")
            for name in sorted(HASHED_FIELDS)
        ]

    def __call__(self, sequence: int, target_type: str, target_id: str, changes_json: str, prev_hash: str) -> str:
        own = {
            "sequence": str(int(sequence)),
            "target_type": encode(target_type),
            "target_id": encode(target_id),
            "changes": changes_json,
            "prev_hash": encode(prev_hash),
        }
        members = [text + own[name] if name in own else text for name, text in self._layout]
        return hashlib.sha256(("{" + ",".join(members) + "}").encode()).hexdigest()
