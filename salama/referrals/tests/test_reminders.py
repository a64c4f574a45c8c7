"""Reminders: an overdue reply and a status left unchanged remind the case team once, even when
the tick runs again or after a restart; a new deadline makes a new reminder possible."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from salama.cases.models import TimelineEvent
from salama.cases.timeline import describe
from salama.delivery.models import Delivery, Message
from salama.referrals import actions, ticks
from salama.referrals.models import Referral, ReferralReminder

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(clock: Any, caseworker: Any, referral: Any, share_consent: Any) -> Referral:
    actions.do_update_referral(caseworker, referral, reply_due_on=date(2026, 12, 9))
    return actions.do_change_status(caseworker, referral, Referral.Status.SENT)


def _reminders(referral: Referral, reason: str) -> int:
    return ReferralReminder.objects.filter(referral=referral, reason=reason).count()


def test_nothing_before_the_deadline(sent: Referral, clock: Any) -> None:
    clock.shift(timedelta(days=14))  # 9 December, the day it is due
    assert ticks.tick() == {"reminded": 0}
    assert not ticks.has_due_work()


def test_an_overdue_reply_reminds_the_case_team_once(sent: Referral, clock: Any, cast: Any) -> None:
    clock.shift(timedelta(days=15))
    assert ticks.has_due_work()
    assert ticks.tick() == {"reminded": 1}
    assert ticks.tick() == {"reminded": 0}  # the same tick again: nothing twice
    assert _reminders(sent, "reply_overdue") == 1
    message = Message.objects.get(producer_kind="referrals.reminder")
    deliveries = Delivery.objects.filter(version__message=message)
    # The case team: the caseworker on it and the admin who opened the case.
    assert deliveries.count() == 2
    reminder = ReferralReminder.objects.get(referral=sent)
    assert reminder.recipients == 2
    line = describe(TimelineEvent.objects.get(case=sent.case, kind="referral.reminder_reply_overdue"))
    assert "overdue" in line
    assert sent.actor.name in line


def test_a_restart_sends_nothing_again(sent: Referral, clock: Any) -> None:
    clock.shift(timedelta(days=15))
    ticks.tick()
    # A worker that restarts knows nothing but the rows: the marks on the referral hold.
    Referral.objects.filter(pk=sent.pk).update(reply_reminded_for=None)
    assert ticks.tick() == {"reminded": 0}  # the unique reminder row refuses the same key
    assert _reminders(sent, "reply_overdue") == 1


def test_a_new_deadline_can_be_reminded_again(caseworker: Any, sent: Referral, clock: Any) -> None:
    clock.shift(timedelta(days=15))
    ticks.tick()
    actions.do_update_referral(caseworker, sent, reply_due_on=date(2026, 12, 20))
    clock.shift(timedelta(days=12))
    assert ticks.tick()["reminded"] >= 1
    assert _reminders(sent, "reply_overdue") == 2


def test_a_recorded_reply_stops_the_reminder(caseworker: Any, sent: Referral, clock: Any) -> None:
    actions.do_record_reply(caseworker, sent, reply="Received.", received_on=date(2026, 12, 1))
    clock.shift(timedelta(days=15))
    assert ticks.tick() == {"reminded": 0}


def test_a_status_unchanged_too_long_reminds_once(sent: Referral, clock: Any, settings: Any) -> None:
    settings.REFERRAL_STALE_DAYS = 30
    Referral.objects.filter(pk=sent.pk).update(reply_due_on=None)
    clock.shift(timedelta(days=29))
    assert ticks.tick() == {"reminded": 0}
    clock.shift(timedelta(days=2))
    assert ticks.tick() == {"reminded": 1}
    assert ticks.tick() == {"reminded": 0}
    assert _reminders(sent, "stale") == 1


def test_a_closed_referral_is_never_reminded(caseworker: Any, sent: Referral, clock: Any) -> None:
    actions.do_change_status(caseworker, sent, Referral.Status.CLOSED)
    clock.shift(timedelta(days=400))
    assert ticks.tick() == {"reminded": 0}


def test_registered_with_the_workers() -> None:
    from salama.core import jobs

    assert "referrals" in jobs.SOURCES
