"""The API: the same actions and need to know as the pages; the defender's public operations."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from salama.core.testing import bearer
from salama.safety.models import CheckIn, Emergency
from salama.safety.ticks import tick

pytestmark = pytest.mark.django_db
BASE = "/api/v1/organizations/org-a/safety"


def post(client: Client, url: str, body: dict[str, Any], **headers: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def test_schedules_through_the_api_follow_need_to_know(cast: Any, defender: Any, case: Any, clock: Any) -> None:
    client = Client()
    created = post(
        client,
        f"{BASE}/schedules",
        {"defender": str(defender.pk), "case": str(case.pk), "interval_minutes": 720},
        **bearer(cast.tokens["a_caseworker_team"]),
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert len(body["credentials"]["code"]) == 8 and body["schedule"]["interval_minutes"] == 720
    mine = client.get(f"{BASE}/schedules", **bearer(cast.tokens["a_caseworker_team"])).json()
    other = client.get(f"{BASE}/schedules", **bearer(cast.tokens["a_caseworker_other"])).json()
    assert mine["count"] == 1 and other["count"] == 0
    refused = post(client, f"{BASE}/schedules", {"defender": str(defender.pk)}, **bearer(cast.tokens["a_viewer"]))
    assert refused.status_code == 403


def test_the_defender_checks_in_through_the_api(scheduled: Any, clock: Any) -> None:
    _schedule, credentials = scheduled
    client = Client()
    normal = post(client, "/api/v1/safety/check-in", {"code": credentials.code})
    duress = post(client, "/api/v1/safety/check-in", {"code": credentials.duress_code})
    assert normal.status_code == duress.status_code == 200 and normal.content == duress.content
    token = credentials.link.rstrip("/").rsplit("/", 1)[1]
    assert post(client, "/api/v1/safety/check-in", {"token": token}).status_code == 200
    forged = post(client, "/api/v1/safety/check-in", {"token": token[:-2] + "xx"})
    assert forged.status_code == 400
    assert CheckIn.objects.count() == 3 and Emergency.objects.get().kind == "duress"


def test_emergencies_acknowledged_and_resolved_through_the_api(scheduled: Any, clock: Any, cast: Any) -> None:
    clock.shift(timedelta(hours=26))
    tick()
    client = Client()
    listed = client.get(f"{BASE}/emergencies?open_only=true", **bearer(cast.tokens["a_coordinator"])).json()
    assert listed["count"] == 1 and listed["items"][0]["steps"][0]["state"] == "fired"
    emergency_id = listed["items"][0]["id"]
    viewer = post(client, f"{BASE}/emergencies/{emergency_id}/acknowledge", {}, **bearer(cast.tokens["a_viewer"]))
    assert viewer.status_code == 403
    acknowledged = post(
        client, f"{BASE}/emergencies/{emergency_id}/acknowledge", {}, **bearer(cast.tokens["a_coordinator"])
    )
    assert acknowledged.json()["state"] == "acknowledged"
    resolved = post(
        client, f"{BASE}/emergencies/{emergency_id}/resolve", {"outcome": "safe"}, **bearer(cast.tokens["a_admin"])
    )
    assert resolved.json()["state"] == "resolved"


def test_the_demo_has_a_defender_on_a_schedule(db: None) -> None:
    from salama.core.demo import load_demo_network
    from salama.safety.models import CheckInSchedule

    load_demo_network()
    schedule = CheckInSchedule.objects.get()
    assert schedule.active and schedule.defender.public_name == "Don Aurelio"
