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
    VARYING: the canonical text of the shared fields is made once, and each entry's hash fills
    in its own parts. `changes_json` is `encode(changes)`, which the writer also stores, so an
    entry's changes are encoded once. Tested against `compute_hash`, which `audit verify` uses."""

    def __init__(self, **shared: Any) -> None:
        if sorted([*shared, *VARYING]) != sorted(HASHED_FIELDS):
            raise ValueError(f"a batch shares exactly these fields: {sorted(set(HASHED_FIELDS) - set(VARYING))}")
        if shared["format"] != FORMAT:
            raise ValueError(f"unknown audit entry format {shared['format']}")
        self._shared = {**shared, "occurred_at": timestamp(shared["occurred_at"])}
        # Each varying field is first encoded as a marker, then cut out: the text of the shared
        # fields is left in pieces, in the order of the sorted keys.
        markers = {name: encode(f"\x00{name}\x00") for name in VARYING}
        text = encode({**self._shared, **{name: f"\x00{name}\x00" for name in VARYING}})
        self._parts: list[str] | None = None
        if all(text.count(marker) == 1 for marker in markers.values()):
            self._order = sorted(VARYING, key=lambda name: text.index(markers[name]))
            for name in self._order:
                text = text.replace(markers[name], "\x00")
            self._parts = text.split("\x00")
        # Otherwise a shared value holds a marker's text (a name made to look like one): each
        # entry is then encoded whole, as compute_hash does.

    def __call__(self, sequence: int, target_type: str, target_id: str, changes_json: str, prev_hash: str) -> str:
        if self._parts is None:
            whole = {**self._shared, "sequence": sequence, "target_type": target_type, "target_id": target_id}
            whole.update(changes=json.loads(changes_json), prev_hash=prev_hash)
            return hashlib.sha256(encode(whole).encode()).hexdigest()
        values = {
            "sequence": str(sequence),
            "target_type": encode(target_type),
            "target_id": encode(target_id),
            "changes": changes_json,
            "prev_hash": encode(prev_hash),
        }
        pieces = [self._parts[0]]
        for name, after in zip(self._order, self._parts[1:], strict=True):
            pieces += (values[name], after)
        return hashlib.sha256("".join(pieces).encode()).hexdigest()
