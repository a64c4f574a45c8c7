"""Create deliveries set-wise, claim them under a lease, send through a channel, record in batches.

ARCHITECTURE.md s.5: the Delivery rows are the record and any wake-up is only a hint. The same
`work_once` runs in the embedded worker threads (salama.core.jobs) and in the Celery task
`salama.deliver`. See docs/delivery.md for the guarantees.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import threading
import time
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Field, Max, Q
from django.utils import timezone

from salama.core import jobs
from salama.core.bulk import insert_values
from salama.core.encryption import key_store
from salama.crypto import Context, DecryptionError, SealingKey, field_index_key, pack, unseal

from . import channels
from .channels import Channel, InvalidAddress, Item, Outcome, Result
from .links import signed_link
from .models import Delivery, Message, MessageVersion, Priority, RateBucket, Suppression

log = logging.getLogger("salama.delivery")
State = Delivery.State
RECIPIENT_MODEL = "delivery.Delivery"
BACKLOG_STATES = (State.PENDING, State.SENDING, State.IN_DOUBT)


@dataclass(frozen=True)
class Recipient:
    channel: str
    address: str
    language: str
    greeting: str = ""
    # The producer's contact point id; when given, it (not the address) names the recipient in
    # the idempotency key, so correcting a typo in an address does not send twice.
    contact_ref: str = ""
    extra: dict[str, str] = field(default_factory=dict)


# -- producing ---------------------------------------------------------------------------------


def create_message(
    organization: Any,
    producer_kind: str,
    producer_id: str,
    *,
    priority: int = Priority.ROUTINE,
    deadline: datetime | None = None,
) -> Message:
    return Message.objects.create(
        organization=organization,
        producer_kind=producer_kind,
        producer_id=str(producer_id),
        priority=priority,
        deadline=deadline,
    )


def add_version(
    message: Message, rendered: dict[str, dict[str, Any]], *, default_language: str = "en"
) -> MessageVersion:
    """Store content rendered once per channel and language; it is sealed with a new data key."""
    for channel_name, languages in rendered.items():
        channels.get(channel_name)  # an unknown channel fails here, not in a worker
        if default_language not in languages:
            raise ValueError(f"{channel_name} content lacks the default language {default_language}")
    number = (message.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = MessageVersion(
        organization_id=message.organization_id, message=message, number=number, default_language=default_language
    )
    version.rendered = rendered
    version.save()
    return version


def address_keyer(organization_id: Any, channel_name: str) -> bytes:
    """The HMAC key for one organisation's addresses on one channel (suppression, dedup)."""
    return field_index_key(key_store().index_key(str(organization_id)), f"delivery.address.{channel_name}")


def address_key(keyer: bytes, normalised: str) -> str:
    return hmac.new(keyer, normalised.encode(), hashlib.sha256).hexdigest()


def idempotency_key(message_id: Any, version_number: int, contact: str, channel_name: str) -> str:
    return hashlib.sha256(
        pack("salama.delivery.v1", str(message_id), str(version_number), contact, channel_name)
    ).hexdigest()


def recipient_context(organization_id: Any, key: str) -> Context:
    return Context(str(organization_id), RECIPIENT_MODEL, "recipient", key, 1)


def create_deliveries(
    version: MessageVersion, recipients: Iterable[Recipient], *, commit_each_batch: bool = False
) -> dict[str, int]:
    """One Delivery per recipient, inserted in batches in the caller's transaction.

    Running it again with the same recipients inserts nothing (unique idempotency key).
    Suppressed addresses get a row in state `suppressed`, so the audience stays visible.

    `commit_each_batch` is for a fan-out job working from a frozen audience outside any
    transaction: each batch commits and wakes the workers, so the first messages leave while
    the rest are still being written; a crash half-way is mended by running it again.
    """
    if commit_each_batch and transaction.get_connection().in_atomic_block:
        raise ValueError("commit_each_batch needs to run outside a transaction")
    message = version.message
    org_id = version.organization_id
    key_id, key = version.data_key()
    sealer = SealingKey(key, key_id)  # set up once for every recipient's envelope
    keyers: dict[str, bytes] = {}
    offered = invalid = 0
    batch: list[NewDelivery] = []
    for recipient in recipients:
        channel = channels.get(recipient.channel)
        try:
            normal = channel.normalise(recipient.address)
        except InvalidAddress:
            invalid += 1
            continue
        if recipient.channel not in keyers:
            keyers[recipient.channel] = address_keyer(org_id, recipient.channel)
        hashed = address_key(keyers[recipient.channel], normal)
        idem = idempotency_key(message.pk, version.number, recipient.contact_ref or hashed, recipient.channel)
        sealed = {"a": recipient.address, "g": recipient.greeting, "x": recipient.extra}
        envelope = sealer.seal(json.dumps(sealed).encode(), recipient_context(org_id, idem))
        batch.append(NewDelivery(recipient.channel, recipient.language, envelope, recipient.contact_ref, hashed, idem))
        offered += 1
        # A small first batch, so that the first messages leave as soon as possible.
        if len(batch) >= (FIRST_BATCH if offered == len(batch) else settings.DELIVERY_CREATE_BATCH):
            _insert(version, batch, commit_each_batch)
            batch = []
    if batch:
        _insert(version, batch, commit_each_batch)
    if not commit_each_batch:
        transaction.on_commit(wake)
    return {"offered": offered, "invalid": invalid}


FIRST_BATCH = 200


def db_value(model: Any, name: str, value: Any) -> Any:
    """A value as the database driver takes it for this field (UUIDs and datetimes differ
    between SQLite and PostgreSQL): for the few statements written by hand below."""
    return cast(Field, model._meta.get_field(name)).get_db_prep_save(value, connection)


class NewDelivery(NamedTuple):
    """A delivery row about to be inserted: what differs from one recipient to the next."""

    channel: str
    language: str
    recipient: str
    contact_ref: str
    address_key: str
    idempotency_key: str


def _insert(version: MessageVersion, batch: list[NewDelivery], commit: bool) -> None:
    """The batch's rows in one prepared INSERT (through the ORM, preparing every field of every
    row cost more than sealing the recipient). Rows already there (the same idempotency key: a
    fan-out run again) are left alone, as `bulk_create(ignore_conflicts=True)` would."""
    message, now = version.message, timezone.now()
    blocked = _suppressed_in(version.organization_id, batch)
    rows = [
        (*row, State.SUPPRESSED, "suppressed")
        if (row.channel, row.address_key) in blocked
        else (*row, State.PENDING, "")
        for row in batch
    ]
    with transaction.atomic():  # a savepoint inside the producer's transaction
        insert_values(
            Delivery,
            (*NewDelivery._fields, "state", "last_error"),
            rows,
            ignore_conflicts=True,
            message_id=message.pk,
            version_id=version.pk,
            priority=message.priority,
            next_attempt_at=now,
            created_at=now,
        )
    if commit:
        wake()


def _suppressed_in(organization_id: Any, batch: list[NewDelivery]) -> set[tuple[str, str]]:
    """(channel, address key) of the batch's addresses already suppressed: their rows are
    recorded as such, so the audience stays visible."""
    by_channel: dict[str, set[str]] = defaultdict(set)
    for row in batch:
        by_channel[row.channel].add(row.address_key)
    return {(name, key) for name, keys in by_channel.items() for key in suppressed_keys(organization_id, name, keys)}


SQL_CHUNK = 900  # parameters per IN list: well under SQLite's and PostgreSQL's limits


def suppressed_keys(organization_id: Any, channel_name: str, keys: Iterable[str]) -> set[str]:
    """Which of these address keys the organisation suppressed on the channel. Plain SQL: it
    runs once per batch sent, and the ORM prepared each key of the IN list one by one."""
    keys, found = list(keys), set[str]()
    org = db_value(Suppression, "organization", organization_id)
    table = Suppression._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(keys), SQL_CHUNK):
            chunk = keys[start : start + SQL_CHUNK]
            cursor.execute(
                f"SELECT address_key FROM {table} WHERE organization_id = %s AND channel = %s "  # noqa: S608
                f"AND address_key IN ({', '.join(['%s'] * len(chunk))})",
                [org, channel_name, *chunk],
            )
            found.update(key for (key,) in cursor.fetchall())
    return found


def suppress(organization: Any, channel_name: str, address: str, reason: str = Suppression.Reason.OPT_OUT) -> None:
    """Put an address on the organisation's suppression list (opt-outs, complaints)."""
    normal = channels.get(channel_name).normalise(address)
    hashed = address_key(address_keyer(organization.pk, channel_name), normal)
    Suppression.objects.get_or_create(
        organization=organization, channel=channel_name, address_key=hashed, defaults={"reason": reason}
    )


# -- claiming ----------------------------------------------------------------------------------


def claim(channel_name: str, limit: int, worker: str) -> list[int]:
    """Lease up to `limit` due deliveries of active messages, most urgent first.

    The caller commits the claim before sending. On PostgreSQL the subquery skips rows another
    worker is claiming; SQLite has one writer at a time, so the state check is enough there.
    """
    if limit <= 0:
        return []
    now = timezone.now()
    # On PostgreSQL the subquery goes through ARRAY(...) so that it runs exactly once: planned
    # as a semi-join, a LIMIT ... SKIP LOCKED subquery can be re-run and claim more than asked.
    postgres = connection.vendor == "postgresql"
    start, end = ("= ANY(ARRAY(", " FOR UPDATE SKIP LOCKED))") if postgres else ("IN (", ")")
    table, messages = Delivery._meta.db_table, Message._meta.db_table
    sql = (
        f"UPDATE {table} SET state = %s, lease_until = %s, worker = %s, attempts = attempts + 1 "  # noqa: S608
        f"WHERE state = %s AND id {start}SELECT id FROM {table} "
        f"WHERE state = %s AND channel = %s AND next_attempt_at <= %s "
        f"AND message_id IN (SELECT id FROM {messages} WHERE state = %s) "
        f"ORDER BY priority, next_attempt_at LIMIT %s{end} RETURNING id"
    )
    lease_until = now + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    params: list[Any] = [State.SENDING, lease_until, worker, State.PENDING, State.PENDING, channel_name, now]
    params += [Message.State.ACTIVE, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def take_tokens(channel_name: str, want: int) -> tuple[int, RateBucket | None]:
    """How many sends the channel's rate limit allows now (a token bucket in the database,
    shared by all workers). Call inside the claim's transaction."""
    rate = settings.DELIVERY_RATES.get(channel_name, 0)
    if not rate:
        return want, None
    now = timezone.now()
    bucket, _created = RateBucket.objects.select_for_update().get_or_create(
        channel=channel_name, defaults={"tokens": float(rate), "refilled_at": now}
    )
    elapsed = max(0.0, (now - bucket.refilled_at).total_seconds())
    bucket.tokens = min(float(rate), bucket.tokens + rate * elapsed)  # a burst of one second at most
    bucket.refilled_at = now
    return int(min(bucket.tokens, want)), bucket


def claim_batch(channel_name: str, want: int, worker: str) -> list[int]:
    with transaction.atomic():
        allowed, bucket = take_tokens(channel_name, want)
        ids = claim(channel_name, allowed, worker)
        if bucket is not None:
            bucket.tokens -= len(ids)
            bucket.save(update_fields=["tokens", "refilled_at"])
    return ids


# -- sending -----------------------------------------------------------------------------------


class Row(NamedTuple):
    id: int
    version_id: Any
    language: str
    recipient: str
    idempotency_key: str
    address_key: str
    attempts: int
    deadline: datetime | None
    organization_id: Any


@dataclass
class OpenVersion:
    organization_id: Any
    key_id: str
    key: bytes
    rendered: dict[str, dict[str, Any]]
    default_language: str
    links: dict[tuple[str, str], set[str]]


class VersionCache:
    """Opened versions, kept by each process: content is decrypted once, not per recipient."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self.lock = threading.Lock()
        self.items: OrderedDict[Any, OpenVersion] = OrderedDict()

    def get(self, version_id: Any) -> OpenVersion:
        with self.lock:
            if version_id in self.items:
                self.items.move_to_end(version_id)
                return self.items[version_id]
        opened = self.open(version_id)
        with self.lock:
            self.items[version_id] = opened
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return opened

    def open(self, version_id: Any) -> OpenVersion:
        version = MessageVersion.objects.get(pk=version_id)
        key_id, key = version.data_key()
        rendered = version.rendered
        links = {
            (name, language): {p.removeprefix("link:") for p in channels.placeholders(json.dumps(content))}
            - {"greeting"}
            for name, languages in rendered.items()
            for language, content in languages.items()
        }
        return OpenVersion(version.organization_id, key_id, key, rendered, version.default_language, links)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


versions = VersionCache()


def _id_list(ids: list[int]) -> str:
    # Ids come from our own claim (integers): written into the statement, they spare the ORM
    # and the driver one parameter each.
    return ", ".join(str(int(n)) for n in ids)


def load_claimed(ids: list[int], worker: str) -> list[Row]:
    """The claimed rows still held by this worker, with their message's deadline and
    organisation (read once per message, not joined per row)."""
    if not ids:
        return []
    table = Delivery._meta.db_table
    sql = (
        f"SELECT id, message_id, version_id, language, recipient, idempotency_key, address_key, attempts "  # noqa: S608
        f"FROM {table} WHERE state = %s AND worker = %s AND id IN ({_id_list(ids)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [State.SENDING, worker])
        found = cursor.fetchall()
    uuids: dict[Any, uuid.UUID] = {}
    for raw in {row[1] for row in found} | {row[2] for row in found}:
        uuids[raw] = raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    messages = {
        pk: (deadline, org)
        for pk, deadline, org in Message.objects.filter(pk__in={uuids[row[1]] for row in found}).values_list(
            "pk", "deadline", "organization_id"
        )
    }
    return [
        Row(n, uuids[version], language, recipient, idem, key, attempts, *messages[uuids[message]])
        for n, message, version, language, recipient, idem, key, attempts in found
    ]


def open_item(channel_name: str, row: Row) -> Item:
    opened = versions.get(row.version_id)
    languages = opened.rendered[channel_name]
    language = row.language if row.language in languages else opened.default_language
    plain = json.loads(
        unseal({opened.key_id: opened.key}, row.recipient, recipient_context(row.organization_id, row.idempotency_key))
    )
    links = {purpose: signed_link(purpose, row.idempotency_key) for purpose in opened.links[(channel_name, language)]}
    return Item(row.id, row.idempotency_key, plain["a"], plain["g"], language, languages[language], links, plain["x"])


def send_claimed(channel: Channel, ids: list[int], worker: str) -> int:
    """Send what this worker claimed and record the results; the number of deliveries handled."""
    rows = load_claimed(ids, worker)
    if not rows:
        return 0
    now = timezone.now()
    results: list[Result] = []
    blocked = suppressed_keys(rows[0].organization_id, channel.name, {r.address_key for r in rows})
    items: list[Item] = []
    for row in rows:
        if row.address_key in blocked:
            results.append(Result(row.id, Outcome.PERMANENT, "suppressed"))
        elif row.deadline is not None and row.deadline <= now:
            results.append(Result(row.id, Outcome.PERMANENT, "deadline"))
        else:
            try:
                items.append(open_item(channel.name, row))
            except (DecryptionError, KeyError):  # shredded key, or content missing for the channel
                results.append(Result(row.id, Outcome.PERMANENT, "unreadable"))
    if items:
        results += channel.send_batch(items)
    record(channel.name, {row.id: row for row in rows}, results, worker)
    return len(rows)


# -- recording ---------------------------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: between half and all of base x 2^(attempts-1), capped."""
    ceiling = min(settings.DELIVERY_RETRY_MAX_SECONDS, settings.DELIVERY_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311  jitter, not secrecy


def record(channel_name: str, rows: dict[int, Row], results: list[Result], worker: str) -> None:
    """Write the outcomes of one batch: one UPDATE per outcome group, all in one transaction.

    Only rows this worker still holds are touched: if its lease expired and another worker took
    the row over, that worker's result counts.
    """
    now = timezone.now()
    groups: dict[tuple[str, str, datetime | None], list[int]] = defaultdict(list)
    suppressions: list[Suppression] = []
    # One jittered delay per batch and attempt count: the batch is claimed again as a unit anyway.
    delays: dict[int, timedelta] = {}
    for result in results:
        row = rows[result.delivery_id]
        state, when = _next_state(result, row, now, delays)
        groups[(state, result.code if state != State.SENT else "", when)].append(row.id)
        if result.outcome == Outcome.PERMANENT and result.suppress:
            suppressions.append(
                Suppression(
                    organization_id=row.organization_id,
                    channel=channel_name,
                    address_key=row.address_key,
                    reason=Suppression.Reason.BOUNCE,
                    code=result.code,
                )
            )
    table = Delivery._meta.db_table
    moment = db_value(Delivery, "sent_at", now)
    with transaction.atomic(), connection.cursor() as cursor:
        for (state, code, when), ids in groups.items():
            changes, params = ["state = %s", "lease_until = NULL", "last_error = %s"], [state, code[:100]]
            if state == State.SENT:
                changes.append("sent_at = %s")
                params.append(moment)
            if when is not None:
                changes.append("next_attempt_at = %s")
                params.append(db_value(Delivery, "next_attempt_at", when))
            cursor.execute(
                f"UPDATE {table} SET {', '.join(changes)} "  # noqa: S608
                f"WHERE state = %s AND worker = %s AND id IN ({_id_list(ids)})",
                [*params, State.SENDING, worker],
            )
        if suppressions:
            Suppression.objects.bulk_create(suppressions, ignore_conflicts=True)


def _next_state(result: Result, row: Row, now: datetime, delays: dict[int, timedelta]) -> tuple[str, datetime | None]:
    if result.outcome == Outcome.SENT:
        return State.SENT, None
    if result.code == "suppressed":
        return State.SUPPRESSED, None
    if result.outcome == Outcome.PERMANENT:
        return State.FAILED, None
    if row.attempts >= settings.DELIVERY_MAX_ATTEMPTS:
        return State.FAILED, None
    if row.attempts not in delays:
        delays[row.attempts] = retry_delay(row.attempts)
    when = now + delays[row.attempts]
    if row.deadline is not None and when > row.deadline:
        return State.FAILED, None
    return State.PENDING, when


# -- the sweeper -------------------------------------------------------------------------------

_last_sweep: list[float] = []
_sweep_lock = threading.Lock()


def sweep() -> dict[str, int]:
    """Give expired leases back: to `pending` on channels that deduplicate (a second copy is
    dropped by the far side), to `in_doubt` on the others; `failed` after too many attempts."""
    now = timezone.now()
    expired = Delivery.objects.filter(state=State.SENDING, lease_until__lt=now)
    dedup = [c.name for c in channels.enabled() if c.dedups]
    with transaction.atomic():
        exhausted = expired.filter(attempts__gte=settings.DELIVERY_MAX_ATTEMPTS).update(
            state=State.FAILED, lease_until=None, last_error="lease_expired"
        )
        retried = expired.filter(channel__in=dedup).update(
            state=State.PENDING, lease_until=None, worker="", next_attempt_at=now
        )
        doubted = expired.update(state=State.IN_DOUBT, lease_until=None, last_error="lease_expired")
    return {"failed": exhausted, "pending": retried, "in_doubt": doubted}


def sweep_if_due() -> None:
    with _sweep_lock:
        moment = time.monotonic()
        # Often enough that an expired lease never waits much longer than the lease itself.
        every = min(settings.DELIVERY_SWEEP_SECONDS, settings.DELIVERY_LEASE_SECONDS / 2)
        if _last_sweep and moment - _last_sweep[-1] < every:
            return
        _last_sweep[:] = [moment]
    sweep()


# -- the workers -------------------------------------------------------------------------------


def work_once(worker: str | None = None) -> int:
    """Sweep if due, then claim, send and record one batch per channel; deliveries handled."""
    worker = worker or jobs.worker_name("delivery")
    sweep_if_due()
    done = 0
    for channel in channels.enabled():
        ids = claim_batch(channel.name, settings.DELIVERY_BATCH_SIZE, worker)
        if ids:
            done += send_claimed(channel, ids, worker)
    return done


def drain(budget_seconds: float = 30.0) -> int:
    """Scale mode: work until nothing is due or the budget is spent, then hand over."""
    until = time.monotonic() + budget_seconds
    total = 0
    while True:
        done = work_once()
        total += done
        if not done:
            return total
        if time.monotonic() >= until:
            wake_celery(tasks=1)  # more to do: a fresh task, so no single task runs for ever
            return total


def has_due_work() -> bool:
    now = timezone.now()
    due = Q(state=State.PENDING, next_attempt_at__lte=now, message__state=Message.State.ACTIVE)
    return Delivery.objects.filter(due | Q(state=State.SENDING, lease_until__lt=now)).exists()


def wake_celery(tasks: int | None = None) -> None:
    from salama.celery import deliver

    for _ in range(tasks or settings.DELIVERY_CELERY_TASKS):
        deliver.delay()


def wake() -> None:
    if settings.SALAMA_QUEUE == "celery":
        wake_celery()
    else:
        jobs.wake()


def health() -> dict[str, int]:
    """The backlog, for /healthz: counts only, through the claim index."""
    counts = dict(
        Delivery.objects.filter(state__in=BACKLOG_STATES).values_list("state").annotate(n=Count("id")).order_by()
    )
    return {str(state): counts.get(state, 0) for state in BACKLOG_STATES}


def register_with_workers() -> None:
    jobs.register_source(
        jobs.WorkSource(
            name="delivery", work_once=work_once, has_due_work=has_due_work, wake_celery=wake_celery, health=health
        )
    )


# -- operations --------------------------------------------------------------------------------


def pause(message: Message) -> bool:
    """Stop claiming the message's deliveries; those already being sent finish."""
    return bool(Message.objects.filter(pk=message.pk, state=Message.State.ACTIVE).update(state=Message.State.PAUSED))


def resume(message: Message) -> bool:
    """Claim again where it stopped: sent deliveries stay sent."""
    resumed = Message.objects.filter(pk=message.pk, state=Message.State.PAUSED).update(state=Message.State.ACTIVE)
    transaction.on_commit(wake)
    return bool(resumed)


def cancel(message: Message) -> int:
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(state=Message.State.CANCELLED)
        return Delivery.objects.filter(message=message, state__in=[State.PENDING, State.IN_DOUBT]).update(
            state=State.CANCELLED, last_error="cancelled"
        )


def resend_failed(message: Message) -> int:
    """Try the failed deliveries again. Their bounce suppressions are lifted, since a person
    chose to retry them; opt-outs and complaints stay."""
    with transaction.atomic():
        failed = Delivery.objects.filter(message=message, state=State.FAILED)
        for channel_name, keys in _keys_by_channel(failed):
            Suppression.objects.filter(
                organization_id=message.organization_id,
                channel=channel_name,
                address_key__in=keys,
                reason=Suppression.Reason.BOUNCE,
            ).delete()
        count = failed.update(state=State.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error="", worker="")
    transaction.on_commit(wake)
    return count


def resend_in_doubt(message: Message) -> int:
    """The policy for channels that cannot deduplicate: a person decides to send again."""
    count = Delivery.objects.filter(message=message, state=State.IN_DOUBT).update(
        state=State.PENDING, next_attempt_at=timezone.now(), last_error="", worker=""
    )
    transaction.on_commit(wake)
    return count


def _keys_by_channel(queryset: Any) -> Iterator[tuple[str, list[str]]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for channel_name, key in queryset.values_list("channel", "address_key"):
        grouped[channel_name].append(key)
    yield from grouped.items()


def counts(message: Message) -> dict[str, int]:
    """Deliveries of a message per state, for the producer's progress board."""
    found = dict(Delivery.objects.filter(message=message).values_list("state").annotate(n=Count("id")).order_by())
    return {str(state): found.get(state, 0) for state in State.values}
