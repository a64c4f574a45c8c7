"""Incidents: recording through the UI (no JavaScript) and the API, the roll-up filter, need to
know through the case, encryption at rest, audited reveals, the timeline, links, bad input."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salama.audit.models import AuditEntry
from salama.cases.actions import do_add_team_member, do_open_case
from salama.cases.models import TimelineEvent
from salama.core.testing import bearer
from salama.defenders.actions import do_create_defender
from salama.incidents import actions
from salama.incidents.models import Incident, IncidentLink
from salama.vocab.actions import load_default_vocabularies
from salama.vocab.models import Term

CANARY_NARRATIVE = "CANARY-narrative-7f3a"
CANARY_COORDS = "4.601234,-74.081234"
CANARY_ACTOR = "CANARY-colonel-9b1e"


def term(vocabulary: str, code: str) -> Term:
    return Term.objects.get(vocabulary__code=vocabulary, code=code)


@pytest.fixture
def world(cast: Any) -> dict[str, Any]:
    load_default_vocabularies()
    admin = cast.membership("a_admin")
    defender = do_create_defender(admin, public_name="Ana")
    case = do_open_case(admin, title="Case one", defenders=[defender])
    do_add_team_member(admin, case, cast.a_caseworker_team)
    return {"case": case, "defender": defender, "admin": admin}


def record(cast: Any, world: dict[str, Any], violation: str = "attempted-killing", **fields: Any) -> Incident:
    defaults: dict[str, Any] = {
        "title": "Shots at the office",
        "date_start": date(2024, 3, 1),
        "country": "CO",
        "narrative": CANARY_NARRATIVE,
        "coordinates": CANARY_COORDS,
    }
    return actions.do_record_incident(
        cast.membership("a_caseworker_team"),
        world["case"],
        acts=[{"violation": term("violation-types", violation), "victim": 0}],
        victims=[{"defender": world["defender"]}],
        perpetrators=[{"type": term("perpetrator-types", "police"), "named_actor": CANARY_ACTOR}],
        sources=[{"kind": "witness", "reliability": term("source-reliability", "likely-reliable")}],
        **{**defaults, **fields},
    )


def raw_rows() -> str:
    dump = []
    with connection.cursor() as cursor:
        for table in (
            "incidents_incident",
            "incidents_perpetrator",
            "incidents_victim",
            "audit_auditentry",
            "cases_timelineevent",
        ):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608  fixed table names
            dump.append(repr(cursor.fetchall()))
    return "\n".join(dump)


def form_data(world: dict[str, Any], **extra: Any) -> dict[str, Any]:
    data = {
        "title": "Raid",
        "date_start": "2024-04-02",
        "date_precision": "exact",
        "country": "CO",
        "narrative": CANARY_NARRATIVE,
        "coordinates": CANARY_COORDS,
    }
    for kind in ("victims", "acts", "perpetrators", "sources"):
        data.update({f"{kind}-TOTAL_FORMS": "1", f"{kind}-INITIAL_FORMS": "0"})
    data.update(
        {
            "victims-0-defender": str(world["defender"].pk),
            "acts-0-violation": str(term("violation-types", "raid-break-in").pk),
            "acts-0-victim": "0",
            "perpetrators-0-type": str(term("perpetrator-types", "police").pk),
            "perpetrators-0-named_actor": CANARY_ACTOR,
        }
    )
    data.update(extra)
    return data


def test_record_through_the_ui_without_javascript(cast, as_user, world):
    client = as_user(cast.a_caseworker_team)
    url = reverse("incidents:create", args=["org-a", world["case"].pk])
    assert client.get(url).status_code == 200
    # "Add another act" is a round trip: the same page, what was typed kept, one more row.
    response = client.post(url, form_data(world, more="acts"))
    assert response.status_code == 200
    assert 'name="acts-TOTAL_FORMS" value="2"' in response.content.decode()
    assert 'name="acts-1-violation"' in response.content.decode()
    assert Incident.objects.count() == 0
    second = str(term("violation-types", "death-threats").pk)
    response = client.post(url, form_data(world, **{"acts-TOTAL_FORMS": "2", "acts-1-violation": second}))
    assert response.status_code == 302, response.content.decode()
    incident = Incident.objects.get()
    assert sorted(incident.acts.values_list("violation__code", flat=True)) == ["death-threats", "raid-break-in"]
    assert incident.acts.filter(victim__defender=world["defender"]).count() == 1
    assert incident.narrative == CANARY_NARRATIVE
    page = client.get(response["Location"]).content.decode()
    assert CANARY_NARRATIVE not in page and CANARY_ACTOR not in page


def test_bad_input_gives_field_errors(cast, as_user, world):
    client = as_user(cast.a_caseworker_team)
    url = reverse("incidents:create", args=["org-a", world["case"].pk])
    wrong_vocabulary = str(term("perpetrator-types", "police").pk)
    response = client.post(url, form_data(world, date_end="2024-01-01", **{"acts-0-violation": wrong_vocabulary}))
    assert response.status_code == 400
    assert "date_end" in response.context["form"].errors
    assert "violation" in response.context["formsets"]["acts"].forms[0].errors
    assert Incident.objects.count() == 0
    with pytest.raises(Exception) as error:
        actions.do_record_incident(
            world["admin"],
            world["case"],
            title="x",
            date_start=date(2024, 1, 2),
            acts=[{"violation": term("perpetrator-types", "police")}],
        )
    assert "acts.1.violation" in error.value.message_dict  # type: ignore[attr-defined]


def test_record_through_the_api_and_bad_codes(cast, client, world):
    headers = bearer(cast.tokens["a_caseworker_team"])
    url = f"/api/v1/organizations/org-a/cases/{world['case'].pk}/incidents"
    body = {
        "title": "Threat by phone",
        "date_start": "2024-05-01",
        "narrative": CANARY_NARRATIVE,
        "acts": [{"violation": "death-threats", "victim": 0}],
        "victims": [{"other_name": "Someone", "status": "unharmed"}],
        "perpetrators": [{"type": "unknown", "named_actor": CANARY_ACTOR}],
        "sources": [{"kind": "victim", "reliability": "highly-reliable"}],
    }
    response = client.post(url, json.dumps(body), content_type="application/json", **headers)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["acts"] == [{"violation": "death-threats", "victim": 0}]
    assert data["protected_set"]["narrative"] is True
    assert CANARY_NARRATIVE not in response.content.decode()
    got = client.get(f"/api/v1/organizations/org-a/incidents/{data['id']}", **headers)
    assert got.status_code == 200
    for bad in (
        {"acts": [{"violation": "no-such-term"}]},
        {"acts": [{"violation": "police"}]},
        {"date_end": "2024-04-01"},
    ):
        response = client.post(url, json.dumps({**body, **bad}), content_type="application/json", **headers)
        assert response.status_code == 400
        assert response.json()["error"]["fields"]


def test_violation_filter_rolls_up_the_hierarchy(cast, as_user, client, world):
    attempted = record(cast, world, "attempted-killing")
    other = record(cast, world, "surveillance", title="Followed")
    physical = term("violation-types", "physical-attack")
    page = as_user(cast.a_admin).get(reverse("incidents:list", args=["org-a"]), {"violation": physical.pk})
    listed = list(page.context["page"].object_list)
    assert attempted in listed and other not in listed
    api = client.get(
        "/api/v1/organizations/org-a/incidents?violation=physical-attack", **bearer(cast.tokens["a_admin"])
    )
    assert [item["id"] for item in api.json()["items"]] == [str(attempted.pk)]


def test_need_to_know_goes_through_the_case(cast, as_user, client, world):
    incident = record(cast, world)
    detail = reverse("incidents:detail", args=["org-a", world["case"].pk, incident.pk])
    assert as_user(cast.a_caseworker_team).get(detail).status_code == 200
    assert as_user(cast.a_coordinator).get(detail).status_code == 200
    assert as_user(cast.a_caseworker_other).get(detail).status_code == 404
    assert as_user(cast.b_admin).get(detail.replace("org-a", "org-b")).status_code == 404
    listing = as_user(cast.a_caseworker_other).get(reverse("incidents:list", args=["org-a"]))
    assert list(listing.context["page"].object_list) == []
    api = f"/api/v1/organizations/org-a/incidents/{incident.pk}"
    assert client.get(api, **bearer(cast.tokens["a_caseworker_other"])).status_code == 404
    assert client.get(api.replace("org-a", "org-b"), **bearer(cast.tokens["b_admin"])).status_code == 404


def test_canaries_never_reach_rows_audit_or_logs(cast, as_user, world, caplog):
    caplog.set_level(logging.DEBUG)
    incident = record(cast, world)
    client = as_user(cast.a_caseworker_team)
    client.post(reverse("incidents:reveal", args=["org-a", world["case"].pk, incident.pk]), {"field": "narrative"})
    dump = raw_rows() + caplog.text
    for canary in (CANARY_NARRATIVE, CANARY_COORDS, CANARY_ACTOR):
        assert canary not in dump


def test_reveal_allowed_denied_and_audited(cast, as_user, world):
    incident = record(cast, world)
    url = reverse("incidents:reveal", args=["org-a", world["case"].pk, incident.pk])
    response = as_user(cast.a_caseworker_team).post(url, {"field": ["narrative", "perpetrator_names"]})
    assert response.status_code == 200
    assert CANARY_NARRATIVE in response.content.decode() and CANARY_ACTOR in response.content.decode()
    entry = AuditEntry.objects.filter(action="incident.revealed").get()
    assert sorted(entry.changes) == ["narrative", "perpetrator_names"]
    do_add_team_member(world["admin"], world["case"], cast.a_viewer)
    denied = as_user(cast.a_viewer).post(url, {"field": "narrative"})
    assert denied.status_code == 403
    assert CANARY_NARRATIVE not in denied.content.decode()
    assert as_user(cast.a_caseworker_other).post(url, {"field": "narrative"}).status_code == 404
    assert AuditEntry.objects.filter(action="incident.revealed").count() == 1


def test_recording_writes_a_timeline_event_and_an_audit_entry(cast, world):
    incident = record(cast, world)
    event = TimelineEvent.objects.get(case=world["case"], kind="incident.recorded")
    assert event.target_id == str(incident.pk)
    assert event.details["violations"] == ["attempted-killing"]
    entry = AuditEntry.objects.get(action="incident.recorded")
    assert entry.changes["narrative"] == {} and entry.changes["violations"]["new"] == ["attempted-killing"]


def test_links_only_within_the_organisation(cast, world):
    first, second = record(cast, world), record(cast, world, title="Second")
    link = actions.do_link_incidents(world["admin"], second, first, IncidentLink.Kind.ESCALATION_OF)
    assert link.pk
    b_admin = cast.membership("b_admin")
    b_defender = do_create_defender(b_admin, public_name="Ben")
    b_case = do_open_case(b_admin, title="B case", defenders=[b_defender])
    foreign = actions.do_record_incident(
        b_admin,
        b_case,
        title="B",
        date_start=date(2024, 1, 1),
        acts=[{"violation": term("violation-types", "surveillance")}],
    )
    with pytest.raises(Exception) as error:
        actions.do_link_incidents(world["admin"], first, foreign, IncidentLink.Kind.SAME_EVENT)
    assert "to_incident" in error.value.message_dict  # type: ignore[attr-defined]


def test_delete_shreds_the_record(cast, as_user, world):
    incident = record(cast, world)
    url = reverse("incidents:delete", args=["org-a", world["case"].pk, incident.pk])
    assert as_user(cast.a_coordinator).post(url).status_code == 403
    with pytest.raises(Exception):  # noqa: B017  the role check refuses before anything is touched
        actions.do_delete_incident(cast.membership("a_caseworker_team"), incident)
    assert as_user(cast.a_admin).post(url).status_code == 302
    assert not Incident.objects.filter(pk=incident.pk).exists()
    assert AuditEntry.objects.filter(action="incident.deleted").count() == 1


def test_a_date_range_finds_every_incident_or_period_that_overlaps_it(cast, world):
    from salama.incidents.access import IncidentFilters, incidents_for

    made = {
        "inside": record(cast, world, title="inside", date_start=date(2024, 3, 10)),
        "before": record(cast, world, title="before", date_start=date(2024, 1, 5)),
        "after": record(cast, world, title="after", date_start=date(2024, 6, 1)),
        "spans in": record(cast, world, title="spans in", date_start=date(2023, 12, 1), date_end=date(2024, 3, 2)),
        "spans all": record(cast, world, title="spans all", date_start=date(2023, 1, 1), date_end=date(2025, 1, 1)),
        "ends before": record(cast, world, title="ends before", date_start=date(2023, 1, 1), date_end=date(2024, 2, 1)),
    }
    me = cast.membership("a_coordinator")

    def titles(**dates: date) -> set[str]:
        return {incident.title for incident in incidents_for(me, IncidentFilters(**dates))}

    assert titles(date_from=date(2024, 3, 1), date_to=date(2024, 3, 31)) == {"inside", "spans in", "spans all"}
    assert titles(date_from=date(2024, 5, 1)) == {"after", "spans all"}
    assert titles(date_to=date(2024, 1, 31)) == {"before", "spans in", "spans all", "ends before"}
    assert titles() == set(made)


@pytest.fixture
def periods(cast: Any, world: dict[str, Any]) -> dict[str, tuple[date, date]]:
    """Single days and periods of every shape around early 2024, including one very long
    period that reaches far back (the filter must still find it)."""
    spans = [(0, 0), (3, 0), (10, 40), (-400, 15), (20, 20), (45, 5), (-30, 90), (60, 0), (-5, 6), (-1000, 1100)]
    made = {}
    for number, (offset, length) in enumerate(spans):
        start = date(2024, 3, 1) + timedelta(days=offset)
        end = start + timedelta(days=length)
        title = f"p{number}"
        record(cast, world, title=title, date_start=start, date_end=end if length else None)
        made[title] = (start, end)
    return made


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.one_of(st.none(), st.dates(min_value=date(2021, 1, 1), max_value=date(2027, 1, 1))),
    length=st.integers(min_value=0, max_value=400),
    open_ended=st.booleans(),
)
def test_the_date_filter_agrees_with_the_meaning_of_overlap(
    cast: Any, periods: dict[str, tuple[date, date]], start: date | None, length: int, open_ended: bool
) -> None:
    from salama.incidents.access import IncidentFilters, incidents_for

    end = None if open_ended or start is None else start + timedelta(days=length)
    filters = IncidentFilters(date_from=start, date_to=end)
    found = {incident.title for incident in incidents_for(cast.membership("a_coordinator"), filters)}
    expected = {
        title
        for title, (first, last) in periods.items()
        if (end is None or first <= end) and (start is None or last >= start)
    }
    assert found == expected
