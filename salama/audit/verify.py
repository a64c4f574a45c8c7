"""Check the audit chain: every hash recomputed, every link followed, no number missing.

What a hash chain detects, and what it cannot:

* detected: an entry edited in place (any hashed field: who, what, target, changes, time,
  channel); an entry whose actor or organisation link was pointed elsewhere; an entry deleted
  from the middle (a gap in the numbers, or, if the rest were renumbered, a link to an entry
  that is gone); two entries swapped; a forged entry slipped in between two others;
* not detected by the chain alone: the last entries deleted (truncating the tail leaves a
  shorter chain that is still valid), forged entries appended at the end, or the whole chain
  rewritten from some point on, since the hash has no secret key and anyone with write access
  to the database can recompute it. Against these, write down the last sequence and hash that
  `audit verify` prints somewhere the database's administrators cannot change (a printed
  report, a notary service, another organisation's mailbox) and later pass it back with
  `--anchor SEQUENCE:HASH`: the chain must still contain that entry, with that hash.
"""

from __future__ import annotations

from dataclasses import dataclass

from .chain import GENESIS, compute_hash
from .models import AuditEntry

BATCH = 1000


class Problem:
    EDITED = "edited"
    DELETED = "deleted"
    REORDERED = "reordered"
    INSERTED = "inserted"
    TRUNCATED = "truncated"
    REWRITTEN = "rewritten"


@dataclass(frozen=True)
class Result:
    ok: bool
    count: int  # entries checked and found sound, before the first broken one if any
    last_sequence: int = 0  # when ok: the head of the chain, to note down as an anchor
    last_hash: str = ""
    broken_sequence: int | None = None
    problem: str = ""
    detail: str = ""


def _hash_ok(entry: AuditEntry, sequence: int | None = None) -> bool:
    try:
        return compute_hash(entry, sequence) == entry.entry_hash
    except (ValueError, TypeError):  # an unknown format, or a value JSON cannot hold
        return False


def _links_ok(entry: AuditEntry) -> bool:
    """The foreign keys may only be what was recorded, or NULL once that row was deleted."""
    return entry.actor_id in (None, entry.actor_pk) and entry.organization_id in (None, entry.organization_pk)


def _original_sequence(entry: AuditEntry) -> int | None:
    """Where an entry that hashes wrong at its place was first written, if it was only moved.

    Its predecessor is the entry whose hash it carries; that one may itself have been moved
    by one place in a swap, so the neighbouring numbers are tried too.
    """
    if entry.prev_hash == GENESIS:
        candidates = [1]
    else:
        before = AuditEntry.objects.filter(entry_hash=entry.prev_hash).values_list("sequence", flat=True).first()
        if before is None:
            return None
        candidates = [before + 1, before, before - 1]
    for sequence in candidates:
        if sequence >= 1 and sequence != entry.sequence and _hash_ok(entry, sequence):
            return sequence
    return None


def _predecessor_exists(entry: AuditEntry) -> bool:
    return entry.prev_hash == GENESIS or AuditEntry.objects.filter(entry_hash=entry.prev_hash).exists()


def _diagnose(
    entry: AuditEntry, hash_ok: bool, link_ok: bool, prev_hash: str, prev_prev_hash: str
) -> tuple[int, str, str]:
    """The first broken sequence and why, given that `entry` does not fit where it stands.

    Everything before `entry` has been verified; `prev_hash` is the hash of the entry just
    before it, `prev_prev_hash` that of the one before that.
    """
    here = entry.sequence
    if prev_prev_hash and entry.prev_hash == prev_prev_hash:
        return here - 1, Problem.INSERTED, f"entry {here - 1} is not part of the chain: entry {here} links past it"
    if not hash_ok:
        original = _original_sequence(entry)
        if original is not None:
            return here, Problem.REORDERED, f"this entry was written as number {original}, not {here}"
    if AuditEntry.objects.filter(sequence=here + 1, prev_hash=prev_hash).exists():
        return here, Problem.INSERTED, f"entry {here} is not part of the chain: entry {here + 1} links past it"
    if hash_ok:  # sound in itself, but the entry before it is not the one it was written after
        return here - 1, Problem.EDITED, f"its hash was recomputed after a change; entry {here} links to the original"
    if link_ok:
        return here, Problem.EDITED, "its content does not match its hash"
    if not _predecessor_exists(entry):
        return here, Problem.DELETED, "the entry it was written after is gone, and the later ones were renumbered"
    return here, Problem.EDITED, "its content does not match its hash, and it links to the wrong entry"


def verify_chain(anchor: tuple[int, str] | None = None, batch: int = BATCH) -> Result:
    """Walk the chain in order, in batches, and stop at the first problem."""
    expected = 1
    prev_hash = GENESIS  # hash of the entry before the current one
    prev_prev_hash = ""  # and of the one before that, to recognise an inserted entry
    anchor_hash: str | None = None

    def broken(sequence: int, problem: str, detail: str) -> Result:
        return Result(False, sequence - 1, broken_sequence=sequence, problem=problem, detail=detail)

    while True:
        entries = list(AuditEntry.objects.filter(sequence__gte=expected).order_by("sequence")[:batch])
        if not entries:
            break
        for entry in entries:
            if entry.sequence != expected:
                return broken(expected, Problem.DELETED, f"entry {expected} is missing; the next is {entry.sequence}")
            hash_ok = _hash_ok(entry)
            link_ok = entry.prev_hash == prev_hash
            if not (link_ok and hash_ok):
                return broken(*_diagnose(entry, hash_ok, link_ok, prev_hash, prev_prev_hash))
            if not _links_ok(entry):
                return broken(expected, Problem.EDITED, "its actor or organisation was pointed elsewhere")
            if anchor is not None and entry.sequence == anchor[0]:
                anchor_hash = entry.entry_hash
            prev_prev_hash, prev_hash = prev_hash, entry.entry_hash
            expected += 1
    count = expected - 1
    if anchor is not None:
        sequence, recorded = anchor
        if sequence > count:
            return Result(False, count, count, prev_hash, sequence, Problem.TRUNCATED, f"entry {sequence} is gone")
        if anchor_hash != recorded.lower():
            return Result(
                False, count, count, prev_hash, sequence, Problem.REWRITTEN, f"entry {sequence} has another hash now"
            )
    return Result(True, count, count, prev_hash if count else "")
