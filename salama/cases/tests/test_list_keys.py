"""The country list keys: the database keeps them equal to the cases and their defenders'
countries after every kind of write, and a list read through them shows the same pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from salama.cases import actions
from salama.cases.access import CaseFilters, case_list_keys, cases_for
from salama.cases.models import Case, CountryListKey
from salama.core import paging
from salama.core.paging import KeysFirstPaginator
from salama.defenders.actions import do_delete_defender, do_update_defender
from salama.defenders.models import Defender

from .test_cases import defender


def kept() -> set[tuple[Any, ...]]:
    return set(CountryListKey.objects.values_list("organization_id", "country", "opened_on", "reference", "case"))


def derived() -> set[tuple[Any, ...]]:
    """What the keys must be, computed from the cases and their defenders."""
    links = Case.defenders.through.objects.exclude(defender__country="")
    return set(
        links.values_list(
            "case__organization_id", "defender__country", "case__opened_on", "case__reference", "case"
        ).distinct()
    )


def test_the_keys_follow_every_write_to_cases_links_and_countries(cast, db):
    admin = cast.membership("a_admin")
    kenyan, colombian, nowhere = (
        defender(cast, country="KE"),
        defender(cast, country="CO"),
        defender(cast, public_name="No country"),
    )
    case = actions.do_open_case(admin, title="One", defenders=[kenyan, nowhere], opened_on=date(2025, 1, 2))
    other = actions.do_open_case(admin, title="Two", defenders=[colombian], opened_on=date(2025, 3, 4))
    another_kenyan = defender(cast, country="KE")

    steps: list[tuple[str, Callable[[], Any]]] = [
        ("a defender added", lambda: case.defenders.add(colombian)),
        ("a second defender of the same country", lambda: case.defenders.add(another_kenyan)),
        ("one of the two removed", lambda: case.defenders.remove(kenyan)),
        ("defenders replaced by the action", lambda: actions.do_update_case(admin, other, defenders=[kenyan])),
        ("a defender moved", lambda: do_update_defender(admin, Defender.objects.get(pk=kenyan.pk), country="UG")),
        ("countries changed in bulk", lambda: Defender.objects.filter(country="CO").update(country="PE")),
        ("a country given", lambda: Defender.objects.filter(pk=nowhere.pk).update(country="HN")),
        ("opened on another day", lambda: Case.objects.filter(pk=case.pk).update(opened_on=date(2024, 6, 1))),
        ("renumbered", lambda: Case.objects.filter(pk=other.pk).update(reference="X-1")),
        ("a defender deleted", lambda: do_delete_defender(admin, Defender.objects.get(pk=another_kenyan.pk))),
        ("a case deleted", lambda: actions.do_delete_case(admin, Case.objects.get(pk=other.pk))),
    ]
    assert kept() == derived() and len(kept()) == 2
    for name, step in steps:
        step()
        assert kept() == derived(), name
    assert {key[-1] for key in kept()} == {case.pk} and {key[1] for key in kept()} == {"PE", "HN"}


def test_a_list_read_off_the_keys_shows_the_same_pages(cast, db, monkeypatch):
    admin = cast.membership("a_admin")
    kenyans = [defender(cast, country="KE") for _ in range(3)]
    for n in range(8):
        # Some on the same day: the reference decides their order.
        actions.do_open_case(
            admin, title=f"Case {n}", defenders=kenyans[: 1 + n % 3], opened_on=date(2025, 1, n % 4 + 1)
        )
    actions.do_open_case(admin, title="Elsewhere", defenders=[defender(cast, country="CO")])
    monkeypatch.setattr(paging, "COUNT_CAP", 6)
    filters = CaseFilters(country="KE")
    keys = case_list_keys(admin, filters)
    assert keys is not None
    plain = KeysFirstPaginator(cases_for(admin, filters), 3, rows=cases_for(admin))
    fast = KeysFirstPaginator(cases_for(admin, filters), 3, rows=cases_for(admin), keys=keys)
    assert fast.count == plain.count == 7 and fast.capped
    for number in range(1, plain.num_pages + 1):
        assert [c.pk for c in fast.page(number)] == [c.pk for c in plain.page(number)]


def test_the_keys_are_used_only_where_they_give_the_whole_answer(cast, db):
    admin = cast.membership("a_admin")
    assert case_list_keys(admin, CaseFilters(country="KE")) is not None
    assert case_list_keys(admin, CaseFilters()) is None
    assert case_list_keys(admin, CaseFilters(country="KE", status="active")) is None
    assert case_list_keys(admin, CaseFilters(country="KE", sort="priority")) is None
    assert case_list_keys(cast.membership("a_caseworker_team"), CaseFilters(country="KE")) is None


@pytest.mark.parametrize("role", ["a_coordinator", "a_caseworker_team"])
def test_the_list_page_filtered_by_country(cast, as_user, role):
    from django.urls import reverse

    admin = cast.membership("a_admin")
    kenyan = actions.do_open_case(admin, title="Kenyan", defenders=[defender(cast, country="KE")])
    actions.do_open_case(admin, title="Colombian", defenders=[defender(cast, country="CO")])
    actions.do_add_team_member(admin, kenyan, cast.a_caseworker_team)
    page = as_user(getattr(cast, role)).get(reverse("cases:list", args=["org-a"]), {"country": "KE"}).context["page"]
    assert list(page.object_list) == [kenyan]
    assert (page.paginator.keys is not None) == (role == "a_coordinator")
