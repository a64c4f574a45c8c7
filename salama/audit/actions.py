"""The one writer of the audit log.

`record` runs in the caller's transaction (its `atomic()` joins it), so an entry exists if and
only if the change it describes was committed.

What goes into an entry is decided here, not by each caller: `changes` maps field names to
(old, new) pairs, and only the fields the caller names in `loggable` keep their values; every
other field is recorded by name alone. Sensitive values (narratives, names of defenders,
secrets of any kind) are therefore left out unless someone lists them on purpose, and names
that look like secrets cannot be listed at all.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salama.core.bulk import JSONText, insert_values

from .catalog import ACTIONS
from .chain import FORMAT, GENESIS, BatchHasher, compute_hash, encode, timestamp
from .context import CHANNELS, current_channel
from .models import AuditEntry

if TYPE_CHECKING:
    from salama.accounts.models import User
    from salama.orgs.models import Organization

Target = tuple[str, Any]  # (type, id), e.g. ("invitation", 12) or ("account", "ana@example.org")
Changes = Mapping[str, tuple[Any, Any]]  # field -> (old, new)

# Fields whose values are never written, even when a caller lists them as loggable.
NEVER_LOGGED = re.compile(
    r"(?:^|_)(?:password|passphrase|secret|token|otp|salt|credential|key|link|code|pin)s?$", re.IGNORECASE
)
MAX_VALUE_CHARS = 200
# Any constant will do, as long as nothing else in Salama takes the same advisory lock.
CHAIN_LOCK = 0x53414C414D41  # "SALAMA"


def account(user: User | str) -> Target:
    """People are named by their sign-in address, which stays readable after they leave."""
    email = user if isinstance(user, str) else user.email
    return ("account", email.strip().lower())


def created(fields: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {name: (None, value) for name, value in fields.items()}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Only the fields whose value changed, compared as they would be recorded."""
    return {
        name: (before.get(name), value) for name, value in after.items() if _plain(before.get(name)) != _plain(value)
    }


def _plain(value: Any) -> Any:
    """A value that reads back from the database exactly as written, so its hash holds."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return str(value).replace("\x00", "")[:MAX_VALUE_CHARS]
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, set | frozenset):
        return sorted(_plain(item) for item in value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    # Floats, decimals, countries, lazy strings: as text, which survives any JSON column.
    return _plain(str(value))


def _loggable(loggable: Iterable[str]) -> frozenset[str]:
    allowed = frozenset(loggable)
    refused = sorted(name for name in allowed if NEVER_LOGGED.search(name))
    if refused:
        raise ValueError(f"these fields may never be logged with their values: {', '.join(refused)}")
    return allowed


def _reduce(changes: Changes | None, allowed: frozenset[str]) -> dict[str, Any]:
    reduced: dict[str, Any] = {}
    for name, pair in (changes or {}).items():
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise TypeError(f"changes[{name!r}] must be an (old, new) pair")
        reduced[str(name)] = {"old": _plain(pair[0]), "new": _plain(pair[1])} if name in allowed else {}
    return reduced


def _serialise_writers() -> None:
    """One writer at a time reads the chain's last entry and appends after it.

    PostgreSQL: a transaction-level advisory lock, held until the caller's transaction ends, so
    the next writer waits and then (READ COMMITTED) sees the entry just committed. SQLite: every
    transaction starts with BEGIN IMMEDIATE (settings: transaction_mode "IMMEDIATE"), which
    already takes the database's single write lock before the read. In both cases the unique
    sequence is the last line of defence: a fork would fail to insert rather than be stored.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])


def record(
    action: str,
    *,
    actor: User | None = None,
    organization: Organization | None = None,
    target: Target | None = None,
    changes: Changes | None = None,
    loggable: Iterable[str] = (),
    channel: str | None = None,
) -> AuditEntry:
    """Append one entry. `channel` defaults to the one in effect (see salama.audit.context)."""
    return _append(_entry(action, actor, organization, target, _reduce(changes, _loggable(loggable)), channel))


def record_many(
    action: str,
    items: Iterable[tuple[Target, Changes | None]],
    *,
    actor: User | None = None,
    organization: Organization | None = None,
    loggable: Iterable[str] = (),
    channel: str | None = None,
) -> int:
    """One entry per (target, changes), the same action by the same actor: what a batch (an
    import) writes, chained exactly as entries written one by one, in a single insert. Returns
    how many were written.

    The entries are written as rows of values, not built as model instances, and each one's
    changes are encoded once, for its hash and for its column (chain.BatchHasher)."""
    allowed = _loggable(loggable)
    # One moment for the batch, as for its one transaction.
    shared = _shared(action, actor, organization, channel, timezone.now())
    varying = []
    for target, changes in items:
        target_type, target_id = _target(target)
        varying.append((target_type, target_id, encode(_reduce(changes, allowed))))
    if not varying:
        return 0
    with transaction.atomic():
        _serialise_writers()
        sequence, prev_hash = _head()
        hash_of = BatchHasher(**shared)
        rows = []
        for target_type, target_id, changes_json in varying:
            sequence += 1
            entry_hash = hash_of(sequence, target_type, target_id, changes_json, prev_hash)
            rows.append((sequence, target_type, target_id, JSONText(changes_json), prev_hash, entry_hash))
            prev_hash = entry_hash
        # The model's manager refuses bulk writes so that nothing else can skip the chain;
        # this is the chain's own writer, and these are inserts of chained entries.
        columns = ("sequence", "target_type", "target_id", "changes", "prev_hash", "entry_hash")
        ready = ("sequence", "target_id", "prev_hash", "entry_hash")  # an int and texts, new on each row
        insert_values(AuditEntry, columns, rows, ready=ready, **_with_links(shared))
    return len(rows)


def _shared(
    action: str, actor: User | None, organization: Organization | None, channel: str | None, occurred_at: datetime
) -> dict[str, Any]:
    """The hashed fields of an entry but its place in the chain, its target and its changes."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}: add it to salama.audit.catalog.ACTIONS")
    channel = channel or current_channel()
    if channel not in CHANNELS:
        raise ValueError(f"unknown audit channel {channel!r}")
    return {
        "format": FORMAT,
        "occurred_at": occurred_at,
        "actor_pk": actor.pk if actor is not None else None,
        "actor_label": actor.email if actor is not None else "",
        "organization_pk": organization.pk if organization is not None else None,
        "action": action,
        "channel": channel,
    }


def _with_links(shared: dict[str, Any]) -> dict[str, Any]:
    """The shared fields, with the actor and organisation links set to the ids frozen in them."""
    return {**shared, "actor_id": shared["actor_pk"], "organization_id": shared["organization_pk"]}


def _target(target: Target | None) -> tuple[str, str]:
    target_type, target_id = target if target is not None else ("", "")
    return str(target_type), _plain(str(target_id if target_id is not None else ""))


def _entry(
    action: str,
    actor: User | None,
    organization: Organization | None,
    target: Target | None,
    reduced: dict[str, Any],
    channel: str | None,
) -> AuditEntry:
    shared = _shared(action, actor, organization, channel, timezone.now())
    target_type, target_id = _target(target)
    return AuditEntry(
        **_with_links(shared),
        target_type=target_type,
        target_id=target_id,
        changes=reduced,
    )


def _head() -> tuple[int, str]:
    """The last entry's number and hash; read once the writers are serialised."""
    last = AuditEntry.objects.order_by("-sequence").values_list("sequence", "entry_hash").first()
    return (last[0], last[1]) if last else (0, GENESIS)


def _append(entry: AuditEntry) -> AuditEntry:
    """Number and chain the entry after the last one, then insert it."""
    with transaction.atomic():
        _serialise_writers()
        entry.sequence, entry.prev_hash = _head()
        entry.sequence += 1
        entry.entry_hash = compute_hash(entry)
        entry.save()
    return entry


def record_fields(action: str, actor: Any, target: Target, fields: Iterable[str]) -> list[str]:
    """An entry about some fields of a record (revealed, failed to open): names, never values.

    `actor` is the membership of the person concerned."""
    names = sorted(set(fields))
    record(
        action,
        actor=actor.user,
        organization=actor.organization,
        target=target,
        changes={name: (None, None) for name in names},
    )
    return names


def record_reveal(
    action: str, actor: Any, target: Target, fields: Iterable[str], revealable: Collection[str]
) -> list[str]:
    """Put a reveal on record, before any value is opened; an empty or unknown choice is refused."""
    names = sorted(set(fields))
    if not names or any(name not in revealable for name in names):
        raise ValidationError({"fields": _("Choose which protected details to reveal.")})
    return record_fields(action, actor, target, names)
