"""The safety board: what each role sees (need to know), the order of every section, the
escalation flags with their explanations, the page without JavaScript and its htmx refresh, the
API, and a number of queries that does not grow with the number of defenders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from salama.cases.actions import do_add_team_member, do_open_case
from salama.core.testing import bearer
from salama.defenders.actions import do_create_defender
from salama.incidents.actions import do_record_incident
from salama.risk.actions import do_add_threat, do_complete_assessment, do_set_review, do_start_assessment
from salama.safety.board import safety_board
from salama.safety.flags import GROWING_FREQUENCY, THREATS_TO_ATTACKS
from salama.safety.models import CheckInSchedule, Emergency
from salama.vocab.actions import load_default_vocabularies
from salama.vocab.models import Term

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
CANARY_LOCATION = "CANARY-location-4c2d"


def violation(code: str) -> Term:
    return Term.objects.get(vocabulary__code="violation-types", code=code)


def record(admin: Any, case: Any, code: str, days_ago: int, title: str = "") -> Any:
    return do_record_incident(
        admin,
        case,
        title=title or f"{code} {days_ago} days ago",
        date_start=TODAY - timedelta(days=days_ago),
        narrative="CANARY-narrative-11aa",
        acts=[{"violation": violation(code)}],
    )


def assess(admin: Any, defender: Any, likelihood: int, impact: int, review_on: date) -> Any:
    """A completed assessment: likelihood x impact of one open threat sets the level."""
    assessment = do_start_assessment(admin, defender, assessed_on=TODAY - timedelta(days=200))
    do_add_threat(admin, assessment, likelihood=likelihood, impact=impact)
    do_set_review(admin, assessment, next_review_on=review_on)
    return do_complete_assessment(admin, assessment)


def emergency(defender: Any, kind: str, minutes_ago: int, state: str = "open") -> Emergency:
    item = Emergency(
        organization=defender.organization,
        defender=defender,
        kind=kind,
        state=state,
        started_at=NOW - timedelta(minutes=minutes_ago),
        location=CANARY_LOCATION,
    )
    item.save()
    return item


def schedule(defender: Any, due_minutes_ago: int, active: bool = True) -> CheckInSchedule:
    return CheckInSchedule.objects.create(
        organization=defender.organization,
        defender=defender,
        next_due_at=NOW - timedelta(minutes=due_minutes_ago),
        grace_period=timedelta(hours=1),
        active=active,
    )


@pytest.fixture
def world(cast: Any) -> dict[str, Any]:
    """Ana and Bruno on a case whose team has `a_caseworker_team`; Carla and Dario on a case
    that team is not on. Org B has Eva."""
    load_default_vocabularies()
    admin = cast.membership("a_admin")
    people = {name: do_create_defender(admin, public_name=name) for name in ("Ana", "Bruno", "Carla", "Dario")}
    team_case = do_open_case(admin, title="Team case", defenders=[people["Ana"], people["Bruno"]])
    do_add_team_member(admin, team_case, cast.a_caseworker_team)
    other_case = do_open_case(admin, title="Other case", defenders=[people["Carla"], people["Dario"]])
    b_admin = cast.membership("b_admin")
    eva = do_create_defender(b_admin, public_name="Eva")
    emergency(eva, Emergency.Kind.SOS, 5)
    return {"admin": admin, **people, "team_case": team_case, "other_case": other_case, "eva": eva}


def board_of(cast: Any, who: str) -> Any:
    with time_machine.travel(NOW, tick=False):
        return safety_board(cast.membership(who))


# -- need to know -----------------------------------------------------------------------------


def test_each_role_sees_only_the_defenders_it_may_see(cast, world):
    for defender in (world["Ana"], world["Carla"]):
        emergency(defender, Emergency.Kind.SOS, 10)
        schedule(defender, 30)
        with time_machine.travel(NOW, tick=False):
            assess(world["admin"], defender, 1, 1, TODAY)
    record(world["admin"], world["team_case"], "death-threats", 3)
    record(world["admin"], world["other_case"], "death-threats", 3)

    def seen(who: str) -> dict[str, set[str]]:
        board = board_of(cast, who)
        return {
            "emergencies": {row.defender_name for row in board.emergencies},
            "overdue": {row.defender_name for row in board.overdue},
            "reviews": {row.defender_name for row in board.reviews},
            "defenders": {row.defender_name for row in board.defenders},
        }

    everyone = {
        "emergencies": {"Ana", "Carla"},
        "overdue": {"Ana", "Carla"},
        "reviews": {"Ana", "Carla"},
        "defenders": {"Ana", "Bruno", "Carla", "Dario"},
    }
    assert seen("a_admin") == everyone
    assert seen("a_coordinator") == everyone
    nothing: dict[str, set[str]] = {"emergencies": set(), "overdue": set(), "reviews": set(), "defenders": set()}
    assert seen("a_caseworker_team") == {
        "emergencies": {"Ana"},
        "overdue": {"Ana"},
        "reviews": {"Ana"},
        "defenders": {"Ana", "Bruno"},
    }
    assert seen("a_viewer") == nothing
    assert seen("a_caseworker_other") == nothing
    assert seen("b_admin") == {**nothing, "emergencies": {"Eva"}}


def test_a_caseworker_is_not_told_of_incidents_outside_their_cases(cast, world):
    """Ana's flag rests on an attack recorded on a case the caseworker is not on: they see her
    threats, not the attack, so no flag and no count of it."""
    admin = world["admin"]
    record(admin, world["team_case"], "death-threats", 60)
    attack_case = do_open_case(admin, title="Attack case", defenders=[world["Ana"]])
    record(admin, attack_case, "abduction", 5)
    admin_row = next(row for row in board_of(cast, "a_admin").defenders if row.defender_name == "Ana")
    team_row = next(row for row in board_of(cast, "a_caseworker_team").defenders if row.defender_name == "Ana")
    assert [flag.kind for flag in admin_row.flags] == [THREATS_TO_ATTACKS]
    assert team_row.flags == () and team_row.recent_count == 1


# -- order ------------------------------------------------------------------------------------


def test_emergencies_duress_and_sos_before_missed_check_ins_oldest_first(cast, world):
    ana, carla = world["Ana"], world["Carla"]
    missed = emergency(ana, Emergency.Kind.MISSED_CHECKIN, 120)
    sos_old = emergency(carla, Emergency.Kind.SOS, 60, state=Emergency.State.ACKNOWLEDGED)
    sos_new = emergency(ana, Emergency.Kind.SOS, 5)
    duress = emergency(carla, Emergency.Kind.DURESS, 1)
    emergency(ana, Emergency.Kind.SOS, 300, state=Emergency.State.RESOLVED)
    emergency(carla, Emergency.Kind.DURESS, 300, state=Emergency.State.CANCELLED)
    board = board_of(cast, "a_admin")
    assert [row.pk for row in board.emergencies] == [duress.pk, sos_new.pk, sos_old.pk, missed.pk]
    assert board.emergencies[-1].open_for == timedelta(hours=2)
    assert board.counts.emergencies == 4


def test_overdue_check_ins_longest_overdue_first(cast, world):
    little = schedule(world["Ana"], 10)
    long = schedule(world["Carla"], 600)
    schedule(world["Bruno"], -60)  # not due yet
    schedule(world["Dario"], 900, active=False)  # stopped
    board = board_of(cast, "a_admin")
    assert [row.schedule_id for row in board.overdue] == [long.pk, little.pk]
    assert board.overdue[0].overdue_by == timedelta(hours=10) and board.overdue[0].escalating
    assert not board.overdue[1].escalating  # ten minutes into an hour of grace


def test_defenders_by_risk_level_then_flag_then_recent_incidents(cast, world):
    admin = world["admin"]
    with time_machine.travel(NOW, tick=False):
        assess(admin, world["Bruno"], 2, 2, TODAY + timedelta(days=30))  # low
        assess(admin, world["Carla"], 5, 5, TODAY - timedelta(days=3))  # critical, review late
        assess(admin, world["Dario"], 2, 2, TODAY - timedelta(days=10))  # low, review later still
    # Ana: not assessed, but flagged (threats then an attack); Bruno: low, one incident.
    record(admin, world["team_case"], "death-threats", 120, title="Threat to Ana")
    attack = record(admin, world["team_case"], "physical-attack", 4, title="Ana beaten")
    board = board_of(cast, "a_admin")
    # The incidents name no victim: they are both Ana's and Bruno's, the team case's defenders.
    # Ana has no completed assessment, so she comes after every assessed defender.
    assert [(row.defender_name, row.level, bool(row.flags)) for row in board.defenders] == [
        ("Carla", "critical", False),
        ("Bruno", "low", True),
        ("Dario", "low", False),
        ("Ana", "", True),
    ]
    assert [row.defender_name for row in board.reviews] == ["Dario", "Carla"]  # the most overdue first
    assert board.reviews[0].days_late == 10
    assert board.counts.reviews_due == 2 and board.counts.high_risk_defenders == 1
    assert board.defenders[1].recent[0].pk == attack.pk


def test_within_a_level_flagged_defenders_come_first(cast, world):
    admin = world["admin"]
    with time_machine.travel(NOW, tick=False):
        for name in ("Ana", "Carla", "Dario"):
            assess(admin, world[name], 3, 4, TODAY + timedelta(days=30))  # high
    dario_case = do_open_case(admin, title="Dario alone", defenders=[world["Dario"]])
    record(admin, dario_case, "surveillance", 200)
    record(admin, dario_case, "raid-break-in", 2)
    ana_case = do_open_case(admin, title="Ana alone", defenders=[world["Ana"]])
    record(admin, ana_case, "death-threats", 2)  # recent, but no flag
    board = board_of(cast, "a_admin")
    assert [row.defender_name for row in board.defenders] == ["Dario", "Ana", "Carla"]
    assert board.counts.flagged_defenders == 1


# -- the page ---------------------------------------------------------------------------------


@pytest.fixture
def flagged(cast: Any, world: dict[str, Any]) -> dict[str, Any]:
    admin = world["admin"]
    ana_case = do_open_case(admin, title="Ana alone", defenders=[world["Ana"]])
    do_add_team_member(admin, ana_case, cast.a_caseworker_team)
    threats = [record(admin, ana_case, "death-threats", days, title=f"Threat {days}") for days in (150, 100)]
    attacks = [record(admin, ana_case, "physical-attack", days, title=f"Attack {days}") for days in (20, 10, 3)]
    world["sos"] = emergency(world["Ana"], Emergency.Kind.SOS, 15)
    return {**world, "threats": threats, "attacks": attacks, "ana_case": ana_case}


def test_the_page_shows_every_section_with_links_and_explained_flags(cast, flagged, as_user):
    url = reverse("safety:board", args=[cast.org_a.slug])
    with time_machine.travel(NOW, tick=False):
        response = as_user(cast.a_caseworker_team).get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" in page and 'hx-trigger="every 30s"' in page
    assert reverse("safety:emergency_detail", args=[cast.org_a.slug, flagged["sos"].pk]) in page
    assert reverse("defenders:detail", args=[cast.org_a.slug, flagged["Ana"].pk]) in page
    for incident in flagged["attacks"] + flagged["threats"]:
        assert reverse("incidents:detail", args=[cast.org_a.slug, flagged["ana_case"].pk, incident.pk]) in page
    assert "From threats to attacks: 3 attack-type incidents in the last 90 days" in page
    assert "after 2 threat-type incidents" in page
    assert "Growing frequency: 3 incidents in the last 90 days, against 2 in the 360 days before" in page
    assert "Carla" not in page  # outside this caseworker's need to know
    assert CANARY_LOCATION not in page and "CANARY-narrative" not in page


def test_htmx_gets_the_sections_alone(cast, flagged, as_user):
    url = reverse("safety:board", args=[cast.org_a.slug])
    response = as_user(cast.a_admin).get(url, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.startswith('<div id="safety-board"') and "<html" not in page
    assert "Open emergencies" in page


def test_the_board_is_linked_from_the_navigation(cast, as_user):
    page = as_user(cast.a_viewer).get(reverse("orgs:home", args=[cast.org_a.slug])).content.decode()
    assert reverse("safety:board", args=[cast.org_a.slug]) in page


def test_an_empty_board_says_so(cast, as_user):
    response = as_user(cast.a_viewer).get(reverse("safety:board", args=[cast.org_a.slug]))
    page = response.content.decode()
    assert "No open emergency." in page and "No overdue check-in." in page and "No risk review due." in page


# -- the API ----------------------------------------------------------------------------------


def test_the_api_returns_the_same_sections(cast, flagged, client):
    with time_machine.travel(NOW, tick=False):
        response = client.get(
            f"/api/v1/organizations/{cast.org_a.slug}/safety/board", **bearer(cast.tokens["a_caseworker_team"])
        )
    assert response.status_code == 200
    body = response.json()
    assert body["counts"] == {
        "emergencies": 1,
        "overdue_checkins": 0,
        "reviews_due": 0,
        "flagged_defenders": 1,
        "high_risk_defenders": 0,
    }
    assert [(row["kind"], row["defender_name"], row["open_seconds"]) for row in body["emergencies"]] == [
        ("sos", "Ana", 900)
    ]
    ana = body["defenders"][0]
    assert ana["public_name"] == "Ana" and ana["recent_count"] == 3
    assert [flag["kind"] for flag in ana["flags"]] == [THREATS_TO_ATTACKS, GROWING_FREQUENCY]
    assert {incident["id"] for incident in ana["flags"][0]["incidents"]} == {
        str(incident.pk) for incident in flagged["attacks"] + flagged["threats"]
    }
    assert [row["public_name"] for row in body["defenders"]] == ["Ana"]  # Bruno has nothing to show
    assert CANARY_LOCATION not in response.content.decode() and "CANARY-narrative" not in response.content.decode()


def test_the_api_is_closed_to_other_organisations(cast, world, client):
    url = f"/api/v1/organizations/{cast.org_a.slug}/safety/board"
    assert client.get(url, **bearer(cast.tokens["b_admin"])).status_code == 404
    assert client.get(url).status_code == 401


# -- queries ----------------------------------------------------------------------------------


def _populate(cast: Any, world: dict[str, Any], count: int, start: int) -> None:
    admin = world["admin"]
    with time_machine.travel(NOW, tick=False):
        for number in range(start, start + count):
            defender = do_create_defender(admin, public_name=f"D{number}")
            case = do_open_case(admin, title=f"Case {number}", defenders=[defender])
            record(admin, case, "surveillance", 100 + number)
            record(admin, case, "abduction", number % 80)
            emergency(defender, Emergency.Kind.SOS, number)
            schedule(defender, number + 1)
            assess(admin, defender, 3, 3, TODAY - timedelta(days=1))


def test_the_board_takes_a_fixed_number_of_queries(cast, world, django_assert_max_num_queries):
    _populate(cast, world, 2, 0)
    membership = cast.membership("a_caseworker_team")
    admin = cast.membership("a_admin")
    with django_assert_max_num_queries(8):
        small = safety_board(admin, NOW)
    _populate(cast, world, 10, 2)
    with django_assert_max_num_queries(8):
        large = safety_board(admin, NOW)
    with django_assert_max_num_queries(8):
        safety_board(membership, NOW)
    assert len(large.emergencies) == len(small.emergencies) + 10 == 12
    assert len(large.reviews) == 12 and large.counts.flagged_defenders == 12
