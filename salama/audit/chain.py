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


def canonical(entry: AuditEntry, sequence: int | None = None) -> bytes:
    payload: dict[str, Any] = {name: getattr(entry, name) for name in HASHED_FIELDS}
    payload["occurred_at"] = timestamp(entry.occurred_at)
    if sequence is not None:  # what the entry would hash to at another place in the chain
        payload["sequence"] = sequence
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def compute_hash(entry: AuditEntry, sequence: int | None = None) -> str:
    if entry.format != FORMAT:
        raise ValueError(f"unknown audit entry format {entry.format}")
    return hashlib.sha256(canonical(entry, sequence)).hexdigest()
