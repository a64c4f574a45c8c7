"""The engine: set-wise creation, claims under a lease, retries, suppression, operations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from salama.delivery import channels, engine
from salama.delivery.channels import Item, Outcome, Result
from salama.delivery.engine import Recipient
from salama.delivery.models import Delivery, Message, Priority, Suppression

from .conftest import people, publish, run_until_idle

State = Delivery.State
TERMINAL = {State.SENT, State.FAILED, State.SUPPRESSED, State.CANCELLED, State.IN_DOUBT}


class Recorder:
    """A channel that records what it is asked to send and answers from a script."""

    name = "test"
    dedups = False

    def __init__(self) -> None:
        self.sent: list[Item] = []
        self.script: dict[str, list[Outcome]] = {}

    def normalise(self, address: str) -> str:
        return address.strip().lower()

    def send_batch(self, items: list[Item]) -> list[Result]:
        results = []
        for item in items:
            planned = self.script.get(item.address)
            outcome = planned.pop(0) if planned else Outcome.SENT
            if outcome == Outcome.SENT:
                self.sent.append(item)
            results.append(Result(item.delivery_id, outcome, f"test:{outcome}", suppress=outcome == Outcome.PERMANENT))
        return results

    def close(self) -> None:
        pass


@pytest.fixture
def recorder() -> Any:
    channel = Recorder()
    channels.load_default_channels()
    channels.register(channel)
    yield channel
    channels.REGISTRY.pop("test", None)


def make_test_message(org: Any, recorder: Recorder, *, count: int = 3, **options: Any) -> Message:
    recipients = [Recipient("test", f"r{n}@x", "en", greeting=f"R{n}") for n in range(count)]
    message = engine.create_message(org, "tests.alert", "9", **options)
    version = engine.add_version(message, {"test": {"en": {"text": "Hi [[greeting]]"}}})
    engine.create_deliveries(version, recipients)
    return message


def test_one_row_per_recipient_and_creating_twice_adds_none(org, sink):
    message = publish(org, people(50))
    version = message.versions.get()
    assert engine.create_deliveries(version, people(50)) == {"offered": 50, "invalid": 0}
    assert Delivery.objects.filter(message=message).count() == 50
    assert Delivery.objects.values("idempotency_key").distinct().count() == 50


def test_rows_hold_no_address_and_the_envelope_opens_only_in_its_place(org, sink):
    message = publish(org, people(2))
    rows = list(Delivery.objects.filter(message=message).values_list("recipient", "address_key", "contact_ref"))
    for recipient, address_key, _contact in rows:
        assert "example.org" not in recipient and "example.org" not in address_key
    first, second = Delivery.objects.filter(message=message).order_by("id")
    Delivery.objects.filter(pk=second.pk).update(recipient=first.recipient)  # moved to another row
    assert run_until_idle() == 2
    second.refresh_from_db()
    assert second.state == State.FAILED and second.last_error == "unreadable"
    assert len(sink.accepted) == 1


def test_every_recipient_is_sent_exactly_once_in_its_language(org, sink):
    recipients = people(30) + people(10, prefix="es", language="es") + people(5, prefix="fr", language="fr")
    message = publish(org, recipients)
    run_until_idle()
    assert engine.counts(message)["sent"] == 45
    assert len(sink.accepted) == 45 and not sink.duplicates
    bodies = {rcpt: content for rcpt, content in sink.accepted.values()}
    assert b"Content-Language: es" in bodies["es1@example.org"]
    assert b"Content-Language: en" in bodies["fr1@example.org"]  # French falls back to the default


def test_invalid_addresses_are_refused_at_creation(org, sink):
    bad = [
        Recipient("email", a, "en") for a in ("nobody", "a@b", "x y@example.org", "evil@example.org\r\nBcc: z@z.org")
    ]
    message = engine.create_message(org, "tests.alert", "1")
    version = engine.add_version(message, {"email": {"en": {"subject": "s", "text": "t"}}})
    assert engine.create_deliveries(version, bad) == {"offered": 0, "invalid": 4}


def test_urgent_messages_overtake_routine_ones(org, sink, settings):
    settings.DELIVERY_BATCH_SIZE = 10
    routine = publish(org, people(30, prefix="routine"))
    urgent = publish(org, people(10, prefix="urgent"), priority=Priority.URGENT)
    engine.work_once("w")
    assert engine.counts(urgent)["sent"] == 10 and engine.counts(routine)["sent"] == 0
    assert all(rcpt.startswith("urgent") for rcpt, _ in sink.accepted.values())


def test_paused_messages_are_not_claimed_and_resume_sends_only_the_rest(org, sink, settings):
    settings.DELIVERY_BATCH_SIZE = 10
    message = publish(org, people(25))
    engine.work_once("w")
    assert engine.pause(message)
    assert run_until_idle() == 0
    assert engine.counts(message)["sent"] == 10
    assert engine.resume(message)
    run_until_idle()
    assert engine.counts(message)["sent"] == 25
    assert len(sink.accepted) == 25 and not sink.duplicates


def test_cancel_stops_what_is_not_sent(org, sink, settings):
    settings.DELIVERY_BATCH_SIZE = 10
    message = publish(org, people(25))
    engine.work_once("w")
    assert engine.cancel(message) == 15
    assert run_until_idle() == 0
    assert engine.counts(message)["cancelled"] == 15


def test_transient_failures_follow_the_backoff_schedule_then_fail(org, recorder, clock, settings):
    settings.DELIVERY_MAX_ATTEMPTS = 4
    recorder.script["r0@x"] = [Outcome.TRANSIENT] * 10
    message = make_test_message(org, recorder, count=1)
    row = Delivery.objects.get(message=message)
    delays = []
    for attempt in range(1, 5):
        assert engine.work_once("w") == 1
        row.refresh_from_db()
        assert row.attempts == attempt
        if row.state == State.FAILED:
            break
        delay = row.next_attempt_at - _now()
        delays.append(delay.total_seconds())
        assert engine.work_once("w") == 0  # not due yet
        clock.shift(delay + timedelta(seconds=1))
    base = settings.DELIVERY_RETRY_BASE_SECONDS
    for n, delay in enumerate(delays):
        ceiling = base * 2**n
        assert ceiling / 2 <= delay <= ceiling
    assert row.state == State.FAILED and row.last_error == "test:transient"
    assert not Suppression.objects.exists()  # giving up says nothing about the address


def _now() -> Any:
    from django.utils import timezone

    return timezone.now()


def test_a_retry_past_the_deadline_fails_at_once(org, recorder, clock):
    recorder.script["r0@x"] = [Outcome.TRANSIENT]
    message = make_test_message(org, recorder, count=1, deadline=_now() + timedelta(seconds=5))
    engine.work_once("w")
    row = Delivery.objects.get(message=message)
    assert row.state == State.FAILED


def test_permanent_failures_suppress_the_address_for_later_messages(org, recorder):
    recorder.script["r1@x"] = [Outcome.PERMANENT]
    first = make_test_message(org, recorder)
    run_until_idle()
    assert engine.counts(first)["failed"] == 1 and engine.counts(first)["sent"] == 2
    assert Suppression.objects.filter(organization=org, channel="test").count() == 1
    second = make_test_message(org, recorder)
    assert engine.counts(second)["suppressed"] == 1  # skipped at creation
    run_until_idle()
    assert [i.address for i in recorder.sent].count("r1@x") == 0


def test_an_address_suppressed_after_creation_is_skipped_at_send(org, recorder):
    message = make_test_message(org, recorder)
    engine.suppress(org, "test", "R2@x ")
    run_until_idle()
    assert engine.counts(message)["suppressed"] == 1 and engine.counts(message)["sent"] == 2


def test_resend_failed_lifts_bounces_and_sends_again(org, recorder):
    recorder.script["r1@x"] = [Outcome.PERMANENT]
    message = make_test_message(org, recorder)
    run_until_idle()
    assert engine.resend_failed(message) == 1
    run_until_idle()
    assert engine.counts(message)["sent"] == 3 and not Suppression.objects.exists()


def test_opt_outs_survive_resend_failed(org, recorder):
    message = make_test_message(org, recorder)
    engine.suppress(org, "test", "r0@x")
    run_until_idle()
    engine.resend_failed(message)
    assert Suppression.objects.filter(reason="opt_out").count() == 1


def test_every_recipient_ends_in_exactly_one_terminal_state(org, recorder, clock, settings):
    settings.DELIVERY_MAX_ATTEMPTS = 3
    recorder.script.update({"r1@x": [Outcome.TRANSIENT], "r2@x": [Outcome.PERMANENT], "r3@x": [Outcome.TRANSIENT] * 5})
    message = make_test_message(org, recorder, count=6)
    for _ in range(6):
        run_until_idle()
        clock.shift(timedelta(hours=2))
    states = dict(Delivery.objects.filter(message=message).values_list("contact_ref", "state"))
    rows = list(Delivery.objects.filter(message=message).values_list("state", flat=True))
    assert len(rows) == 6 and set(rows) <= TERMINAL, states
    assert sorted(rows) == sorted([State.SENT] * 4 + [State.FAILED] * 2)
    sent_to = [i.address for i in recorder.sent]
    assert sorted(sent_to) == ["r0@x", "r1@x", "r4@x", "r5@x"]  # each once


def test_the_sweeper_returns_expired_leases_or_marks_them_in_doubt(org, recorder, sink, clock):
    mail = publish(org, people(3))
    hooks = make_test_message(org, recorder)
    assert engine.claim("email", 10, "dead-worker") and engine.claim("test", 10, "dead-worker")
    assert engine.sweep() == {"failed": 0, "pending": 0, "in_doubt": 0}  # leases still valid
    clock.shift(timedelta(seconds=settings.DELIVERY_LEASE_SECONDS + 1))
    assert engine.sweep() == {"failed": 0, "pending": 3, "in_doubt": 3}
    run_until_idle()
    assert engine.counts(mail)["sent"] == 3
    assert engine.counts(hooks)["in_doubt"] == 3 and not recorder.sent  # never sent twice blindly
    assert engine.resend_in_doubt(hooks) == 3
    run_until_idle()
    assert engine.counts(hooks)["sent"] == 3


def test_a_late_worker_cannot_overwrite_the_result_of_the_one_that_took_over(org, recorder, clock):
    message = make_test_message(org, recorder, count=1)
    ids = engine.claim("test", 10, "slow")
    clock.shift(timedelta(seconds=settings.DELIVERY_LEASE_SECONDS + 1))
    Delivery.objects.filter(pk__in=ids).update(state=State.PENDING)  # as the sweeper would for a dedup channel
    assert engine.work_once("fast") == 1
    rows = engine.load_claimed(ids, "slow")
    assert rows == []  # the slow worker finds nothing of its own to send or record
    assert engine.counts(message)["sent"] == 1


def test_rate_limit_is_shared_through_the_database(org, recorder, clock, settings):
    settings.DELIVERY_RATES = {"test": 5}
    message = make_test_message(org, recorder, count=12)
    assert engine.work_once("a") == 5
    assert engine.work_once("b") == 0  # same second, another worker: no tokens left
    clock.shift(timedelta(seconds=1))
    assert engine.work_once("b") == 5
    clock.shift(timedelta(seconds=10))  # the bucket holds one second's worth at most
    assert engine.work_once("a") == 2
    assert engine.counts(message)["sent"] == 12


def test_backlog_shows_in_health(org, sink):
    from salama.core import jobs

    publish(org, people(4))
    assert jobs.health()["delivery"] == {"pending": 4, "sending": 0, "in_doubt": 0}  # /healthz "workers"


def test_claim_skips_rows_locked_by_another_transaction(org, sink, transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED is the PostgreSQL path; SQLite serialises writers instead")
    import threading

    from django.db import connections, transaction

    publish(org, people(20))
    locked = threading.Event()
    release = threading.Event()
    taken: list[int] = []

    def hold() -> None:
        with transaction.atomic():
            taken.extend(engine.claim("email", 10, "holder"))
            locked.set()
            release.wait(10)
        connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait(10)
    with transaction.atomic():
        mine = engine.claim("email", 20, "other")
    release.set()
    holder.join()
    assert len(taken) == 10 and len(mine) == 10 and not set(taken) & set(mine)
