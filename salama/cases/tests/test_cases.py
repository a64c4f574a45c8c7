"""Cases through the UI and the API: need to know for every role of both organisations,
reference numbering, status and team, the timeline, encrypted notes with audited reveals,
filters and sorting, field errors."""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from salama.audit.models import AuditEntry
from salama.cases import actions
from salama.cases.models import Case, CaseNote, TimelineEvent
from salama.core.permissions import TEAM_ONLY_ROLES
from salama.core.testing import ROLES, bearer
from salama.defenders.actions import do_create_defender

NOTE_CANARY = "Canary-Note-Wq93"
SUMMARY_CANARY = "Canary-Summary-Kp27"


@pytest.fixture
def vocab(db):  # type: ignore[no-untyped-def]
    from salama.vocab.actions import load_default_vocabularies

    load_default_vocabularies()


def url(name: str, cast, *args) -> str:  # type: ignore[no-untyped-def]
    return reverse(f"cases:{name}", args=[cast.org_a.slug, *args])


def api(cast, *parts: str) -> str:  # type: ignore[no-untyped-def]
    return "/api/v1/organizations/" + "/".join([cast.org_a.slug, "cases", *parts])


def defender(cast, org: str = "a", **fields):  # type: ignore[no-untyped-def]
    values = {"public_name": "La Profe", **fields}
    return do_create_defender(cast.membership(f"{org}_admin"), **values)


def team_case(cast, **fields) -> Case:  # type: ignore[no-untyped-def]
    """A case in org A opened by the coordinator, with a_caseworker_team on its team."""
    coordinator = cast.membership("a_coordinator")
    values = {"title": "Operación Colibrí", "defenders": [defender(cast)], "summary": SUMMARY_CANARY, **fields}
    case = actions.do_open_case(coordinator, **values)
    actions.do_add_team_member(coordinator, case, cast.a_caseworker_team)
    return case


def every_table() -> str:
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608
            dump.append(repr(cursor.fetchall()))
    return "\n".join(dump)


def sees(role: str, case_team: set[str], actor: str) -> bool:
    if not actor.startswith("a_"):
        return False
    return ROLES[actor.removeprefix("a_")] not in TEAM_ONLY_ROLES or actor in case_team


ACTORS = [f"{org}_{role}" for org in "ab" for role in ROLES]


@pytest.mark.parametrize("actor", ACTORS)
def test_need_to_know_in_the_ui_and_the_api(cast, as_user, actor):
    case = team_case(cast)
    visible = sees(actor, {"a_caseworker_team"}, actor) or actor == "a_coordinator"
    client = as_user(cast.people[actor])
    detail = client.get(url("detail", cast, case.pk))
    listing = client.get(url("list", cast))
    api_client = Client()
    api_get = api_client.get(api(cast, str(case.pk)), **bearer(cast.tokens[actor]))
    api_list = api_client.get(api(cast), **bearer(cast.tokens[actor]))
    if not actor.startswith("a_"):
        assert detail.status_code == listing.status_code == api_get.status_code == api_list.status_code == 404
        return
    if visible:
        assert detail.status_code == 200 and api_get.status_code == 200
        assert case.reference in listing.content.decode()
        assert api_list.json()["count"] == 1
    else:
        assert detail.status_code == 404 and api_get.status_code == 404
        assert case.reference not in listing.content.decode()
        assert api_list.json()["count"] == 0
        # POST-only routes are 404 too, not 405: a method error would confirm the case exists.
        if actor != "a_viewer":  # a viewer may not reveal at all: refused by role first (403)
            assert client.get(url("reveal", cast, case.pk)).status_code == 404


def test_who_sees_what_follows_the_declared_rule(cast):
    case = team_case(cast)
    from salama.cases.access import access_case

    for actor in ACTORS:
        org = cast.org_a
        try:
            access_case(cast.people[actor], org, case.pk)
            seen = True
        except Http404:
            seen = False
        expected = actor.startswith("a_") and (
            ROLES[actor.removeprefix("a_")] not in TEAM_ONLY_ROLES or actor == "a_caseworker_team"
        )
        assert seen == expected, actor
    assert set(TEAM_ONLY_ROLES) == {"caseworker", "viewer"}


def test_a_viewer_on_the_team_sees_the_case_but_cannot_reveal(cast, as_user):
    case = team_case(cast)
    actions.do_add_team_member(cast.membership("a_admin"), case, cast.a_viewer)
    client = as_user(cast.a_viewer)
    assert client.get(url("detail", cast, case.pk)).status_code == 200
    assert client.post(url("reveal", cast, case.pk), {"field": "summary"}).status_code == 403
    response = Client().post(
        api(cast, str(case.pk), "reveal"), "{}", content_type="application/json", **bearer(cast.tokens["a_viewer"])
    )
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="case.revealed").exists()


def test_references_are_numbered_per_organisation_and_year(cast):
    first = actions.do_open_case(
        cast.membership("a_admin"), title="x", defenders=[defender(cast)], opened_on=date(2026, 3, 1)
    )
    second = actions.do_open_case(
        cast.membership("a_admin"), title="y", defenders=[defender(cast)], opened_on=date(2026, 4, 1)
    )
    other_year = actions.do_open_case(
        cast.membership("a_admin"), title="z", defenders=[defender(cast)], opened_on=date(2027, 1, 2)
    )
    other_org = actions.do_open_case(
        cast.membership("b_admin"), title="w", defenders=[defender(cast, "b")], opened_on=date(2026, 5, 1)
    )
    assert [first.reference, second.reference, other_year.reference, other_org.reference] == [
        "2026-0001",
        "2026-0002",
        "2027-0001",
        "2026-0001",
    ]


def test_defenders_and_team_members_must_be_of_the_same_organisation(cast):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        actions.do_open_case(cast.membership("a_admin"), title="x", defenders=[defender(cast, "b")])
    case = team_case(cast)
    with pytest.raises(ValidationError):
        actions.do_add_team_member(cast.membership("a_admin"), case, cast.b_caseworker_team)
    with pytest.raises(ValidationError):
        actions.do_update_case(cast.membership("a_admin"), case, defenders=[defender(cast, "b")])


def test_status_change_and_close_with_a_reason(cast, as_user):
    case = team_case(cast)
    client = as_user(cast.a_caseworker_team)
    response = client.post(url("status", cast, case.pk), {"status-status": "closed", "status-closed_reason": ""})
    assert response.status_code == 400
    assert "Give the reason for closing the case." in response.content.decode()
    client.post(url("status", cast, case.pk), {"status-status": "closed", "status-closed_reason": "risk_reduced"})
    case.refresh_from_db()
    assert (case.status, case.closed_reason, case.closed_on) == ("closed", "risk_reduced", timezone.localdate())
    client.post(url("status", cast, case.pk), {"status-status": "active", "status-closed_reason": ""})
    case.refresh_from_db()
    assert (case.status, case.closed_reason, case.closed_on) == ("active", "", None)
    entry = AuditEntry.objects.filter(action="case.status_changed").order_by("-sequence").first()
    assert entry.changes["status"] == {"old": "closed", "new": "active"}


def test_team_management_is_for_admins_and_coordinators(cast, as_user):
    case = team_case(cast)
    target = cast.membership("a_caseworker_other")
    body = {"team-operation": "add", "team-member": target.pk}
    assert as_user(cast.a_caseworker_team).post(url("team", cast, case.pk), body).status_code == 403
    assert not case.team.filter(pk=cast.a_caseworker_other.pk).exists()
    with pytest.raises(PermissionDenied):
        actions.do_add_team_member(cast.membership("a_caseworker_team"), case, cast.a_caseworker_other)
    response = as_user(cast.a_coordinator).post(url("team", cast, case.pk), body)
    assert response.status_code == 302
    assert as_user(cast.a_caseworker_other).get(url("detail", cast, case.pk)).status_code == 200
    api_remove = Client().delete(
        api(cast, str(case.pk), "team", str(cast.a_caseworker_other.pk)), **bearer(cast.tokens["a_admin"])
    )
    assert api_remove.status_code == 200
    assert as_user(cast.a_caseworker_other).get(url("detail", cast, case.pk)).status_code == 404


def test_timeline_has_a_line_for_each_action_newest_first(cast, as_user):
    case = team_case(cast)
    caseworker = cast.membership("a_caseworker_team")
    actions.do_update_case(caseworker, case, priority="high")
    actions.do_add_note(caseworker, case, NOTE_CANARY)
    actions.do_change_status(caseworker, case, "closed", "referred")
    actions.do_remove_team_member(cast.membership("a_admin"), case, cast.a_coordinator)
    kinds = list(TimelineEvent.objects.filter(case=case).order_by("-occurred_at", "-pk").values_list("kind", flat=True))
    assert kinds == [
        "case.team_member_removed",
        "case.status_changed",
        "note.added",
        "case.updated",
        "case.team_member_added",
        "case.opened",
    ]
    page = as_user(cast.a_caseworker_team).get(url("detail", cast, case.pk)).content.decode()
    lines = [
        "removed A coordinator from the team.",
        "A caseworker_team closed the case (Referred to another organisation).",
        "A caseworker_team added a note.",
        "A caseworker_team changed the case details.",
        "added A caseworker_team to the team.",
        f"A coordinator opened the case {case.reference}.",
    ]
    positions = [page.index(line) for line in lines]
    assert positions == sorted(positions)
    assert NOTE_CANARY not in page and SUMMARY_CANARY not in page


def test_notes_are_encrypted_revealed_on_request_and_audited(cast, as_user, caplog):
    with caplog.at_level(logging.DEBUG):
        case = team_case(cast)
        client = as_user(cast.a_caseworker_team)
        response = client.post(url("note_add", cast, case.pk), {"note-text": NOTE_CANARY})
        assert response.status_code == 302
        api_note = Client().post(
            api(cast, str(case.pk), "notes"),
            json.dumps({"text": NOTE_CANARY + "-api"}),
            content_type="application/json",
            **bearer(cast.tokens["a_caseworker_team"]),
        )
        assert api_note.status_code == 201 and NOTE_CANARY not in api_note.content.decode()
        page = client.get(url("detail", cast, case.pk)).content.decode()
        assert NOTE_CANARY not in page
        revealed = client.post(url("reveal", cast, case.pk), {"field": "notes"}).content.decode()
        assert NOTE_CANARY in revealed and SUMMARY_CANARY not in revealed
        api_reveal = (
            Client()
            .post(
                api(cast, str(case.pk), "reveal"),
                json.dumps({"fields": ["summary", "notes"]}),
                content_type="application/json",
                **bearer(cast.tokens["a_admin"]),
            )
            .json()
        )
        assert api_reveal["summary"] == SUMMARY_CANARY
        assert sorted(api_reveal["notes"].values()) == [NOTE_CANARY, NOTE_CANARY + "-api"]
        listed = Client().get(api(cast, str(case.pk), "notes"), **bearer(cast.tokens["a_viewer"]))
        assert listed.status_code == 404  # not on the team
    reveals = AuditEntry.objects.filter(action="case.revealed").order_by("sequence")
    assert [(e.actor_label, sorted(e.changes)) for e in reveals] == [
        ("a-caseworker_team@example.org", ["notes"]),
        ("a-admin@example.org", ["notes", "summary"]),
    ]
    dump = every_table()
    for secret in (NOTE_CANARY, SUMMARY_CANARY):
        assert secret not in dump, secret
        assert secret not in caplog.text, secret
    assert CaseNote.objects.count() == 2


def test_viewing_a_case_is_audited(cast, as_user):
    case = team_case(cast)
    as_user(cast.a_admin).get(url("detail", cast, case.pk))
    Client().get(api(cast, str(case.pk)), **bearer(cast.tokens["a_coordinator"]))
    viewed = AuditEntry.objects.filter(action="case.viewed", target_id=str(case.pk)).order_by("sequence")
    assert [entry.actor_label for entry in viewed] == ["a-admin@example.org", "a-coordinator@example.org"]
    as_user(cast.a_caseworker_other).get(url("detail", cast, case.pk))  # 404: nothing to record
    assert AuditEntry.objects.filter(action="case.viewed").count() == 2


def test_delete_is_for_admins_and_shreds(cast, as_user, django_capture_on_commit_callbacks):
    case = team_case(cast)
    actions.do_add_note(cast.membership("a_coordinator"), case, NOTE_CANARY)
    assert as_user(cast.a_coordinator).post(url("delete", cast, case.pk)).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(cast.a_admin).post(url("delete", cast, case.pk))
    assert response.status_code == 302
    assert not Case.objects.filter(pk=case.pk).exists() and not CaseNote.objects.exists()
    assert AuditEntry.objects.filter(action="case.deleted", target_id=str(case.pk)).exists()


def test_filters_and_sorting(cast, as_user, vocab):
    from salama.cases.access import tag_terms
    from salama.defenders.access import sector_terms

    sector = sector_terms().first()
    tag = tag_terms().first()
    admin = cast.membership("a_admin")
    kenya = defender(cast, country="KE", sectors=[sector])
    actions.do_open_case(
        admin, title="Urgent one", defenders=[kenya], priority="urgent", tags=[tag], opened_on=date(2026, 1, 5)
    )
    low = actions.do_open_case(
        admin, title="Low one", defenders=[defender(cast, country="CO")], priority="low", opened_on=date(2026, 2, 5)
    )
    actions.do_add_team_member(admin, low, cast.a_caseworker_team)
    actions.do_change_status(admin, low, "active")
    client = as_user(cast.a_coordinator)

    def titles(**query) -> list[str]:  # type: ignore[no-untyped-def]
        response = client.get(url("list", cast), query)
        assert response.status_code == 200
        page = response.content.decode()
        found = [(page.index(t), t) for t in ("Urgent one", "Low one") if t in page]
        return [t for _i, t in sorted(found)]

    assert titles() == ["Low one", "Urgent one"]  # newest first
    assert titles(sort="opened") == ["Urgent one", "Low one"]
    assert titles(sort="priority") == ["Urgent one", "Low one"]
    assert titles(sort="-priority") == ["Low one", "Urgent one"]
    assert titles(sort="status") == ["Urgent one", "Low one"]
    assert titles(status="active") == ["Low one"]
    assert titles(priority="urgent") == ["Urgent one"]
    assert titles(country="KE") == ["Urgent one"]
    assert titles(sector=sector.pk) == ["Urgent one"]
    assert titles(tag=tag.pk) == ["Urgent one"]
    assert titles(member=cast.membership("a_caseworker_team").pk) == ["Low one"]
    assert titles(opened_from="2026-02-01") == ["Low one"]
    assert titles(opened_to="2026-01-31") == ["Urgent one"]
    token = bearer(cast.tokens["a_coordinator"])
    got = Client().get(api(cast), {"tag": tag.code, "sort": "priority"}, **token).json()
    assert [item["title"] for item in got["items"]] == ["Urgent one"]
    got = Client().get(api(cast), {"sort": "-priority", "country": "co"}, **token).json()
    assert [item["title"] for item in got["items"]] == ["Low one"]


def test_bad_input_gets_field_errors(cast, as_user):
    client = as_user(cast.a_caseworker_team)
    response = client.post(url("create", cast), {"title": "", "priority": "nope"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) >= {"title", "defenders", "priority"}
    response = client.get(url("list", cast), {"opened_from": "not a date"})
    assert response.status_code == 400
    token = bearer(cast.tokens["a_caseworker_team"])
    response = Client().post(
        api(cast), json.dumps({"title": "x", "priority": "nope"}), content_type="application/json", **token
    )
    assert response.status_code == 400 and "priority" in response.json()["error"]["fields"]
    response = Client().post(api(cast), json.dumps({"title": "x"}), content_type="application/json", **token)
    assert response.status_code == 400 and "defenders" in response.json()["error"]["fields"]
    foreign = defender(cast, "b")
    response = Client().post(
        api(cast), json.dumps({"title": "x", "defenders": [str(foreign.pk)]}), content_type="application/json", **token
    )
    assert response.status_code == 400 and "defenders" in response.json()["error"]["fields"]
    case = team_case(cast)
    response = Client().post(
        api(cast, str(case.pk), "status"),
        json.dumps({"status": "closed"}),
        content_type="application/json",
        **token,
    )
    assert response.status_code == 400 and "closed_reason" in response.json()["error"]["fields"]


def test_api_create_update_and_open_through_the_ui(cast, as_user):
    token = bearer(cast.tokens["a_caseworker_other"])
    # Recorded by the caseworker: need to know lets them open a case for the defenders they added.
    target = do_create_defender(cast.membership("a_caseworker_other"), public_name="La Profe")
    created = Client().post(
        api(cast),
        json.dumps({"title": "Por API", "defenders": [str(target.pk)], "summary": SUMMARY_CANARY}),
        content_type="application/json",
        **token,
    )
    assert created.status_code == 201
    body = created.json()
    assert body["summary_set"] is True and SUMMARY_CANARY not in created.content.decode()
    # The opener joins the team, so a caseworker can see what they opened.
    assert cast.a_caseworker_other.pk in body["team"]
    patched = Client().patch(
        api(cast, body["id"]), json.dumps({"priority": "urgent"}), content_type="application/json", **token
    )
    assert patched.status_code == 200 and patched.json()["priority"] == "urgent"
    response = as_user(cast.a_caseworker_other).post(
        url("create", cast), {"title": "Por web", "defenders": [target.pk], "priority": "high", "summary": ""}
    )
    assert response.status_code == 302
    assert Case.objects.filter(title="Por web", team=cast.a_caseworker_other).exists()


def test_case_changes_keep_revisions_shown_on_the_history_page(cast, as_user):
    from salama.revisions.access import revisions_of

    case = team_case(cast)
    coordinator = cast.membership("a_coordinator")
    actions.do_update_case(coordinator, case, title="Renamed", summary="A secret summary")
    actions.do_change_status(coordinator, case, Case.Status.ACTIVE)
    history = list(revisions_of(case))
    assert [r.number for r in history] == [3, 2, 1]
    assert set(history[1].fields) == {"title", "summary"}
    page = as_user(cast.a_coordinator).get(url("history", cast, case.pk)).content.decode()
    assert "Renamed" in page and "A secret summary" not in page
    assert as_user(cast.a_caseworker_other).get(url("history", cast, case.pk)).status_code == 404
