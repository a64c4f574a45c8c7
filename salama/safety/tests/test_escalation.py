"""Schedules, grace periods and escalation steps, driven by a controlled clock (no sleeps)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from salama.audit.models import AuditEntry
from salama.cases.models import TimelineEvent
from salama.delivery.models import Delivery, Message
from salama.safety import actions
from salama.safety.models import CheckIn, Emergency, EscalationStep
from salama.safety.ticks import tick

from .conftest import START

pytestmark = pytest.mark.django_db
START_PLUS_YEAR = START + timedelta(days=365)


def addresses(step: EscalationStep) -> set[str]:
    import json

    from salama.crypto import unseal
    from salama.delivery.engine import recipient_context

    version = step.message.versions.get()
    keys = {version.data_key_id: version.data_key()[1]}
    return {
        json.loads(unseal(keys, d.recipient, recipient_context(version.organization_id, d.idempotency_key)))["a"]
        for d in Delivery.objects.filter(message=step.message)
    }


def test_nothing_happens_before_the_grace_period_ends(scheduled: Any, clock: Any) -> None:
    clock.shift(timedelta(hours=24, minutes=59))
    assert tick() == {"started": 0, "fired": 0, "reminded": 1}  # due: the defender is reminded
    assert not Emergency.objects.exists()


def test_a_missed_check_in_escalates_step_by_step(scheduled: Any, clock: Any, cast: Any) -> None:
    schedule, _credentials = scheduled
    clock.shift(timedelta(hours=25))
    assert tick() == {"started": 1, "fired": 1, "reminded": 1}
    emergency = Emergency.objects.get()
    assert emergency.kind == Emergency.Kind.MISSED_CHECKIN
    first, second, third = emergency.steps.order_by("position")
    assert first.state == "fired" and addresses(first) == {"a-caseworker_team@example.org"}
    assert second.state == third.state == "pending"
    assert tick() == {"started": 0, "fired": 0, "reminded": 0}  # a second tick does nothing twice
    clock.shift(timedelta(minutes=30))
    assert tick()["fired"] == 1
    second.refresh_from_db()
    assert addresses(second) == {"a-admin@example.org", "a-coordinator@example.org"}
    clock.shift(timedelta(minutes=60))
    assert tick()["fired"] == 1
    third.refresh_from_db()
    assert addresses(third) == {"brother@example.org"}
    kinds = list(TimelineEvent.objects.filter(case=schedule.case).values_list("kind", flat=True))
    assert kinds.count("safety.checkin_missed") == 1 and kinds.count("safety.escalated") == 3


def test_contacts_read_no_case_details(scheduled: Any, clock: Any) -> None:
    clock.shift(timedelta(hours=25))
    tick()
    clock.shift(timedelta(hours=2))
    tick()
    steps = EscalationStep.objects.filter(position__in=[1, 3]).order_by("position")
    staff, contacts = (step.message.versions.get().rendered["email"]["en"] for step in steps)
    assert "/safety/emergencies/" in staff["text"]
    assert "Ana missed a check-in" in contacts["text"]
    assert "Accompaniment" not in contacts["text"] and "http" not in contacts["text"]


def test_acknowledging_stops_the_chain(scheduled: Any, clock: Any, admin: Any) -> None:
    clock.shift(timedelta(hours=25))
    tick()
    emergency = Emergency.objects.get()
    actions.do_acknowledge(admin, emergency)
    clock.shift(timedelta(hours=5))
    assert tick() == {"started": 0, "fired": 0, "reminded": 0}
    assert list(emergency.steps.values_list("state", flat=True)) == ["fired", "stopped", "stopped"]
    assert emergency.acknowledged_by == admin.user


def test_escalate_now_and_resolve(scheduled: Any, clock: Any, admin: Any) -> None:
    clock.shift(timedelta(hours=25))
    tick()
    emergency = Emergency.objects.get()
    actions.do_escalate_now(admin, emergency)
    assert tick()["fired"] == 1
    actions.do_resolve(admin, emergency, "safe")
    emergency.refresh_from_db()
    assert emergency.state == "resolved" and emergency.outcome == "safe"
    assert Message.objects.filter(producer_kind="safety.notice").exists()
    clock.shift(timedelta(minutes=5))
    assert tick() == {"started": 0, "fired": 0, "reminded": 0}  # resolving counts as contact


def test_a_late_check_in_resolves_and_tells_those_alerted(scheduled: Any, clock: Any) -> None:
    schedule, _credentials = scheduled
    clock.shift(timedelta(hours=25))
    tick()
    actions.do_check_in(schedule, via=CheckIn.Via.LINK)
    emergency = Emergency.objects.get()
    assert emergency.state == "resolved" and emergency.outcome == "checked_in_late"
    notice = Message.objects.get(producer_kind="safety.notice")
    assert notice.deliveries.count() == 1  # the case team, the only step fired
    schedule.refresh_from_db()
    assert schedule.next_due_at > schedule.last_checkin_at


def test_checking_in_in_time_moves_the_schedule_on(scheduled: Any, clock: Any) -> None:
    schedule, _credentials = scheduled
    clock.shift(timedelta(hours=20))
    actions.do_check_in(schedule, via=CheckIn.Via.CODE)
    clock.shift(timedelta(hours=10))
    assert tick()["started"] == 0
    clock.shift(timedelta(hours=40))
    assert tick()["started"] == 1


def test_duress_escalates_silently(scheduled: Any, clock: Any) -> None:
    schedule, _credentials = scheduled
    clock.shift(timedelta(hours=2))
    actions.do_check_in(schedule, via=CheckIn.Via.CODE, duress=True)
    emergency = Emergency.objects.get()
    assert emergency.kind == "duress" and emergency.silent
    assert [s.audience for s in emergency.steps.all()] == ["case_team", "coordinators"]
    tick()
    clock.shift(timedelta(hours=3))
    tick()
    assert emergency.steps.filter(state="fired").count() == 2
    rendered = EscalationStep.objects.get(position=1).message.versions.get().rendered["email"]["en"]
    assert "DURESS" in rendered["text"]
    assert not Delivery.objects.filter(contact_ref__startswith="contact:").exists()
    line = TimelineEvent.objects.get(kind="safety.sos_raised")
    assert line.details["duress"] is True


def test_a_schedule_nobody_could_hear_is_refused(cast: Any, clock: Any) -> None:
    from salama.defenders.actions import do_create_defender

    admin = cast.membership("a_admin")
    alone = do_create_defender(admin, public_name="Alone")
    chain = [{"to": "trusted_contacts", "after": 0}]
    with pytest.raises(ValidationError, match="Nobody could be alerted"):
        actions.do_create_schedule(admin, defender=alone, escalation_chain=chain)


def test_sos_cancel_window(scheduled: Any, clock: Any, caseworker: Any, defender: Any, case: Any) -> None:
    emergency = actions.do_raise_sos(defender=defender, actor=caseworker, case=case, location="Near the river")
    assert emergency.alert is not None and emergency.alert.state == "draft"
    assert tick()["fired"] == 1
    clock.shift(timedelta(seconds=90))
    actions.do_cancel_sos(emergency, actor=caseworker)
    emergency.refresh_from_db()
    assert emergency.state == "cancelled" and emergency.outcome == "false_alarm"
    assert Message.objects.get(producer_kind="safety.notice").deliveries.count() == 1
    assert Emergency.objects.get(pk=emergency.pk).location == "Near the river"
    late = actions.do_raise_sos(defender=defender, actor=caseworker, case=case)
    clock.shift(timedelta(minutes=3))
    with pytest.raises(ValidationError):
        actions.do_cancel_sos(late, actor=caseworker)


def test_refused_codes_are_recorded(db: None) -> None:
    actions.record_refused("bad_code", "10.0.0.1")
    entry = AuditEntry.objects.get(action="safety.checkin_refused")
    assert "bad_code" in str(entry.changes)


def test_timeline_lines_name_duress_for_staff(scheduled: Any, clock: Any) -> None:
    from salama.cases.timeline import describe

    schedule, _credentials = scheduled
    actions.do_check_in(schedule, via=CheckIn.Via.CODE, duress=True)
    line = describe(TimelineEvent.objects.get(kind="safety.sos_raised"))
    assert "duress" in line
    clock.shift(timedelta(hours=30))
    tick()
    missed = describe(TimelineEvent.objects.get(kind="safety.checkin_missed"))
    assert "missed" in missed


def test_escalate_now_after_an_acknowledgement_still_sends(scheduled: Any, clock: Any, admin: Any) -> None:
    clock.shift(timedelta(hours=25))
    tick()
    emergency = Emergency.objects.get()
    actions.do_acknowledge(admin, emergency)
    actions.do_escalate_now(admin, emergency)
    assert tick()["fired"] == 1
    assert list(emergency.steps.values_list("state", flat=True)) == ["fired", "fired", "stopped"]


def test_the_last_step_reaches_partner_organisations(scheduled: Any, clock: Any, cast: Any, admin: Any) -> None:
    from datetime import date

    from salama.defenders.actions import do_record_consent
    from salama.sharing.actions import do_share_case

    schedule, _credentials = scheduled
    do_record_consent(
        admin, schedule.defender, scope="share_with_organisation", organization=cast.org_b, given_on=date(2026, 1, 1)
    )
    do_share_case(
        admin,
        schedule.case,
        to_organization=cast.org_b,
        scope="summary",
        purpose="Protection",
        expires_at=START_PLUS_YEAR,
    )
    clock.shift(timedelta(hours=25))
    tick()
    clock.shift(timedelta(hours=2))
    tick()
    last = EscalationStep.objects.get(position=3)
    assert addresses(last) == {"brother@example.org", "b-admin@example.org", "b-coordinator@example.org"}


def test_the_defender_is_reminded_once_per_due_check_in(scheduled: Any, clock: Any) -> None:
    schedule, credentials = scheduled
    clock.shift(timedelta(hours=24))
    assert tick()["reminded"] == 1
    assert tick()["reminded"] == 0
    reminder = Message.objects.get(producer_kind="safety.reminder")
    content = reminder.versions.get().rendered["email"]["en"]
    assert credentials.link in content["text"] and "Ana" not in content["text"] and "Salama" not in content["text"]
    actions.do_check_in(schedule, via=CheckIn.Via.LINK)
    clock.shift(timedelta(hours=24))
    assert tick()["reminded"] == 1
    assert Message.objects.filter(producer_kind="safety.reminder").count() == 2
