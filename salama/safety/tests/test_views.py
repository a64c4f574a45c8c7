"""The staff pages: creating a schedule (codes shown once), refusals with their reason, and
acting on an emergency, all as plain form posts."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from salama.audit.models import AuditEntry
from salama.safety import actions
from salama.safety.models import CheckInSchedule, Emergency
from salama.safety.ticks import tick

pytestmark = pytest.mark.django_db
BASE = "/o/org-a/safety/"


def test_creating_a_schedule_shows_the_codes_once(cast: Any, as_user: Any, defender: Any, case: Any) -> None:
    client = as_user(cast.a_caseworker_team)
    form = {"case": str(case.pk), "interval_hours": 12, "grace_minutes": 30, "team_after": 0, "coordinators_after": 30}
    page = client.post(f"{BASE}schedules/new/{defender.pk}/", form)
    assert page.status_code == 200 and "Duress code" in page.content.decode()
    schedule = CheckInSchedule.objects.get()
    assert schedule.interval == timedelta(hours=12)
    assert [step["to"] for step in schedule.escalation_chain] == ["case_team", "coordinators"]
    assert "no-store" in page["Cache-Control"]


def test_an_unreachable_chain_is_refused_with_the_reason(cast: Any, as_user: Any, admin: Any) -> None:
    from salama.defenders.actions import do_create_defender

    alone = do_create_defender(admin, public_name="Alone")
    client = as_user(cast.a_admin)
    page = client.post(
        f"{BASE}schedules/new/{alone.pk}/", {"interval_hours": 24, "grace_minutes": 60, "contacts_after": 0}
    )
    assert page.status_code == 400 and "Nobody could be alerted" in page.content.decode()
    assert not CheckInSchedule.objects.exists()


def test_acting_on_an_emergency(scheduled: Any, clock: Any, cast: Any, as_user: Any) -> None:
    _schedule, _credentials = scheduled
    clock.shift(timedelta(hours=26))
    tick()
    emergency = Emergency.objects.get()
    url = f"{BASE}emergencies/{emergency.pk}/"
    viewer = as_user(cast.a_viewer)
    assert viewer.post(url + "acknowledge/").status_code in {403, 404}
    coordinator = as_user(cast.a_coordinator)
    assert "Missed check-in" in coordinator.get(url).content.decode()
    coordinator.post(url + "acknowledge/")
    coordinator.post(url + "escalate/")
    assert tick()["fired"] == 1
    coordinator.post(url + "resolve/", {"outcome": "detained"})
    emergency.refresh_from_db()
    assert (emergency.state, emergency.outcome) == ("resolved", "detained")


def test_the_location_is_shown_on_an_audited_reveal(
    scheduled: Any, caseworker: Any, defender: Any, as_user: Any, cast: Any
) -> None:
    emergency = actions.do_raise_sos(defender=defender, actor=caseworker, location="Calle 5")
    client = as_user(cast.a_caseworker_team)
    url = f"{BASE}emergencies/{emergency.pk}/"
    assert "Calle 5" not in client.get(url).content.decode()
    assert "Calle 5" in client.post(url + "reveal/").content.decode()
    assert AuditEntry.objects.filter(action="safety.location_revealed").count() == 1


def test_a_caseworker_off_the_case_sees_nothing(scheduled: Any, cast: Any, as_user: Any) -> None:
    schedule, _credentials = scheduled
    client = as_user(cast.a_caseworker_other)
    assert client.get(f"{BASE}schedules/{schedule.pk}/").status_code == 404
    assert not re.search(r"\bAna\b", client.get(BASE).content.decode())  # the menu's "Analysis" is not her
