"""The violation list keys: the database keeps them equal to the incidents and their acts after
every kind of write, and a list read through them shows the same pages as the list itself."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from salama.core import paging
from salama.core.paging import KeysFirstPaginator
from salama.incidents import actions
from salama.incidents.access import IncidentFilters, incident_list_keys, incidents_for
from salama.incidents.models import Act, Incident, ViolationListKey

from .test_incidents import record, term, world  # noqa: F401  the fixture, imported for use here

pytestmark = pytest.mark.django_db(transaction=False)


def kept() -> set[tuple[Any, ...]]:
    return set(
        ViolationListKey.objects.values_list("organization_id", "violation_id", "date_start", "created_at", "incident")
    )


def derived() -> set[tuple[Any, ...]]:
    """What the keys must be, computed from the acts and their incidents."""
    return set(
        Act.objects.values_list(
            "incident__organization_id", "violation_id", "incident__date_start", "incident__created_at", "incident"
        )
    )


def test_the_keys_follow_every_write_to_incidents_and_acts(cast, world):  # noqa: F811
    first = record(cast, world, "attempted-killing")
    second = record(cast, world, "surveillance", title="Followed", date_start=date(2023, 5, 2))
    surveillance, torture = term("violation-types", "surveillance"), term("violation-types", "torture-ill-treatment")
    admin = world["admin"]

    def remove_one_of_two_alike() -> None:
        Act.objects.filter(incident=first, violation=surveillance).first().delete()

    def move_by_saving() -> None:
        incident = Incident.objects.get(pk=first.pk)
        incident.created_at = timezone.now() - timedelta(days=3)
        incident.save()

    def one_act(violation: Any) -> dict[str, Any]:
        return {"acts": [{"violation": violation}], "victims": [], "perpetrators": [], "sources": []}

    steps: list[tuple[str, Callable[[], Any]]] = [
        ("an act added", lambda: Act.objects.create(incident=first, violation=surveillance)),
        ("the same violation again", lambda: Act.objects.create(incident=first, violation=surveillance)),
        ("one of the two removed", remove_one_of_two_alike),
        ("violation changed in bulk", lambda: Act.objects.filter(incident=second).update(violation=torture)),
        ("acts moved to another incident", lambda: Act.objects.filter(incident=second).update(incident=first)),
        ("date moved in bulk", lambda: Incident.objects.filter(pk=first.pk).update(date_start=date(2020, 1, 1))),
        ("created time saved", move_by_saving),
        ("dated through the action", lambda: actions.do_update_incident(admin, second, date_start=date(2019, 2, 3))),
        ("acts inserted in bulk", lambda: Act.objects.bulk_create([Act(incident=second, violation=torture)])),
        ("acts replaced by the action", lambda: actions.do_update_incident(admin, second, **one_act(surveillance))),
        ("incident deleted", lambda: actions.do_delete_incident(admin, Incident.objects.get(pk=first.pk))),
    ]
    assert kept() == derived() and len(kept()) == 2
    for name, step in steps:
        step()
        assert kept() == derived(), name
    assert {key[-1] for key in kept()} == {second.pk}


def test_a_list_read_off_the_keys_shows_the_same_pages(cast, world, monkeypatch):  # noqa: F811
    physical = term("violation-types", "physical-attack")
    attempted = term("violation-types", "attempted-killing")
    incidents = [
        record(cast, world, "attempted-killing", title=f"Attack {n}", date_start=date(2024, 1, 1 + n % 5))
        for n in range(9)
    ]
    record(cast, world, "surveillance", title="Not physical")
    # Under two terms of the roll-up at once: its keys repeat, the list shows it once.
    Act.objects.create(incident=incidents[4], violation=physical)
    monkeypatch.setattr(paging, "COUNT_CAP", 7)  # the cap is reached: the count stops there too
    admin = world["admin"]
    for violation in (physical, attempted):
        filters = IncidentFilters(violation=violation)
        keys = incident_list_keys(admin, filters)
        assert keys is not None
        plain = KeysFirstPaginator(incidents_for(admin, filters), 3, rows=incidents_for(admin))
        fast = KeysFirstPaginator(incidents_for(admin, filters), 3, rows=incidents_for(admin), keys=keys)
        assert fast.count == plain.count == 8 and fast.capped
        for number in range(1, plain.num_pages + 1):
            assert [i.pk for i in fast.page(number)] == [i.pk for i in plain.page(number)]


def test_the_keys_are_used_only_where_they_give_the_whole_answer(cast, world):  # noqa: F811
    physical = term("violation-types", "physical-attack")
    admin = world["admin"]
    assert incident_list_keys(admin, IncidentFilters(violation=physical)) is not None
    assert incident_list_keys(admin, IncidentFilters()) is None
    assert incident_list_keys(admin, IncidentFilters(violation=physical, country="CO")) is None
    # Someone who sees only their own cases: the list applies that itself.
    assert incident_list_keys(cast.membership("a_caseworker_team"), IncidentFilters(violation=physical)) is None


def test_the_list_page_filtered_by_violation_reads_the_keys(cast, as_user, world):  # noqa: F811
    from django.urls import reverse

    attempted = record(cast, world, "attempted-killing")
    other = record(cast, world, "surveillance", title="Followed")
    physical = term("violation-types", "physical-attack")
    page = as_user(cast.a_admin).get(reverse("incidents:list", args=["org-a"]), {"violation": physical.pk})
    assert page.context["page"].paginator.keys is not None
    assert list(page.context["page"].object_list) == [attempted]
    assert other not in page.context["page"].object_list
