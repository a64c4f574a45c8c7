"""The organisation's audit log: admins only, their organisation only, filters and pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from salama.audit.access import LogFilter, entries_for
from salama.audit.actions import record
from salama.audit.models import AuditEntry
from salama.core.testing import bearer
from salama.orgs.actions import do_change_role, do_invite

from .tampering import lift_the_database_guard

URL = "/o/org-a/audit/"
DENIAL = "Only organisation admins can see the audit log."


def rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


@pytest.fixture
def history(cast):  # type: ignore[no-untyped-def]
    """Both organisations have entries; platform-wide entries exist too."""
    do_invite(cast.membership("a_admin"), "a-newcomer@example.org", "viewer")
    do_invite(cast.membership("b_admin"), "b-newcomer@example.org", "viewer")
    do_change_role(cast.membership("a_admin"), cast.membership("a_viewer"), "coordinator")
    record("signin.failed", target=("account", "unknown"))
    return cast


def test_an_admin_sees_their_organisations_entries_and_nothing_else(history, as_user):
    page = as_user(history.a_admin).get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "a-newcomer@example.org" in html and "Invitation sent" in html and "Role changed" in html
    assert "b-newcomer@example.org" not in html and history.b_admin.email not in html
    assert "Sign-in failed" not in html and "Signed in" not in html
    assert len(rows(html)) == entries_for(history.org_a).count()
    shown = entries_for(history.org_a)
    assert set(shown.values_list("organization_pk", flat=True)) == {history.org_a.pk}
    assert AuditEntry.objects.filter(organization__isnull=True).exists()  # they exist, just not here


@pytest.mark.parametrize("role", ["coordinator", "caseworker_team", "caseworker_other", "viewer"])
def test_other_roles_are_refused_with_the_reason(history, as_user, role):
    response = as_user(history.people[f"a_{role}"]).get(URL)
    assert response.status_code == 403
    assert DENIAL in response.content.decode()


@pytest.mark.parametrize("who", ["b_admin", "outsider", "operator"])
def test_strangers_are_told_nothing(history, as_user, who):
    response = as_user(history.people[who]).get(URL)
    assert response.status_code == 404  # the operator too: not a member, so not theirs to see
    assert "a-newcomer@example.org" not in response.content.decode()


def test_the_home_page_links_to_the_log_for_admins_only(history, as_user):
    assert URL in as_user(history.a_admin).get("/o/org-a/").content.decode()
    assert URL not in as_user(history.a_coordinator).get("/o/org-a/").content.decode()


def test_filters_by_action_actor_target_and_dates(history, as_user):
    client = as_user(history.a_admin)
    with time_machine.travel(datetime(2030, 3, 1, 12, tzinfo=UTC), tick=False):
        record("member.removed", actor=history.a_coordinator, organization=history.org_a, target=("account", "x@y.org"))
    with time_machine.travel(datetime(2030, 3, 5, 12, tzinfo=UTC), tick=False):
        record("member.removed", actor=history.a_admin, organization=history.org_a, target=("account", "z@y.org"))

    def shown(**query: str) -> list[str]:
        response = client.get(URL, query)
        assert response.status_code == 200
        return rows(response.content.decode())

    assert len(shown(action="member.invited")) == 1
    assert len(shown(action="member.removed")) == 2
    assert len(shown(action="member.removed", actor="A-COORD")) == 1
    assert len(shown(target_type="invitation")) == 1
    assert len(shown(target_type="account")) == 3  # the role change and both removals
    assert len(shown(action="member.removed", since="2030-03-02")) == 1
    assert len(shown(action="member.removed", until="2030-03-01")) == 1
    assert len(shown(action="member.removed", since="2030-03-01", until="2030-03-05")) == 2
    assert shown(action="member.removed", since="2030-03-06") == []
    assert "No entries match these filters." in client.get(URL, {"since": "2031-01-01"}).content.decode()


def test_bad_filters_get_an_answer_and_no_entries(history, as_user):
    client = as_user(history.a_admin)
    response = client.get(URL, {"since": "2030-03-05", "until": "2030-03-01"})
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    assert rows(response.content.decode()) == []
    response = client.get(URL, {"action": "case.teleported", "since": "yesterday"})
    assert response.status_code == 400


def test_the_log_is_paginated_and_pages_keep_the_filters(history, as_user):
    for n in range(60):
        record(
            "organization.updated", actor=history.a_admin, organization=history.org_a, changes={"name": ("a", str(n))}
        )
    client = as_user(history.a_admin)
    first = client.get(URL, {"action": "organization.updated"}).content.decode()
    assert len(rows(first)) == 50
    assert "Page 1 of 2" in first
    assert 'href="?action=organization.updated&amp;page=2"' in first
    second = client.get(URL, {"action": "organization.updated", "page": "2"}).content.decode()
    assert len(rows(second)) == 10 and "Newer entries" in second
    numbers = [int(re.search(r"<td>(\d+)</td>", row).group(1)) for row in rows(first) + rows(second)]
    assert numbers == sorted(numbers, reverse=True)  # newest first
    assert len(rows(client.get(URL, {"page": "999"}).content.decode())) > 0  # past the end: the last page


def test_values_not_recorded_are_shown_as_such(history, as_user):
    record(
        "organization.updated",
        actor=history.a_admin,
        organization=history.org_a,
        changes={"name": ("Org A", "Org A2"), "description": ("x", "y")},
        loggable=["name"],
    )
    html = as_user(history.a_admin).get(URL).content.decode()
    assert "Org A → Org A2" in html and "value not recorded" in html


def test_the_api_lists_the_log_for_admins_only(history):
    client = Client()
    response = client.get("/api/v1/organizations/org-a/audit", **bearer(history.tokens["a_admin"]))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == entries_for(history.org_a).count()
    assert {item["action"] for item in body["items"]} >= {"member.invited", "member.role_changed"}
    assert "b-newcomer@example.org" not in response.content.decode()
    first = body["items"][0]
    assert set(first) == {
        "sequence",
        "occurred_at",
        "actor",
        "action",
        "target_type",
        "target_id",
        "changes",
        "channel",
        "prev_hash",
        "entry_hash",
    }
    filtered = client.get(
        "/api/v1/organizations/org-a/audit?action=member.invited&page_size=1", **bearer(history.tokens["a_admin"])
    ).json()
    assert filtered["count"] == 1 and filtered["items"][0]["changes"]["email"]["new"] == "a-newcomer@example.org"
    refused = client.get("/api/v1/organizations/org-a/audit", **bearer(history.tokens["a_coordinator"]))
    assert refused.status_code == 403 and refused.json()["error"]["message"] == DENIAL
    other = client.get("/api/v1/organizations/org-a/audit", **bearer(history.tokens["b_admin"]))
    assert other.status_code == 404


def test_an_entry_linked_to_an_organisation_by_hand_is_not_shown_as_its_own(history):
    foreign = AuditEntry.objects.filter(organization=history.org_b).first()
    lift_the_database_guard()
    AuditEntry._base_manager.filter(pk=foreign.pk).update(organization=history.org_a)  # past the ORM's guard too
    assert not entries_for(history.org_a).filter(pk=foreign.pk).exists()
    assert not entries_for(history.org_a, LogFilter(action=foreign.action)).filter(pk=foreign.pk).exists()
