"""The analysis page and the sharing settings, through the UI without JavaScript."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse

from salama.analytics.models import AggregateSharing
from salama.vocab.models import Term

from .fixture import build_network

pytestmark = pytest.mark.django_db

URL = "/o/org-a/analytics/"


@pytest.fixture
def network(cast: Any) -> dict[str, Any]:
    return build_network(cast)


def result_section(html: str) -> str:
    match = re.search(r'<section aria-labelledby="result-h".*?</section>', html, re.S)
    assert match, "no result on the page"
    return match.group(0)


def test_the_default_view_counts_incidents_by_year(cast: Any, network: Any, as_user: Any) -> None:
    page = as_user(cast.a_coordinator).get(URL)
    assert page.status_code == 200
    result = result_section(page.content.decode())
    assert "Counting: incidents." in result
    assert "<caption>Counting: incidents.</caption>" in result
    assert re.search(r'<th scope="row">2024</th><td><a href="[^"]*date_from=2024-01-01[^"]*">2</a></td>', result)
    assert "<svg" in result  # the chart beside the table


def test_a_cross_tab_with_the_unit_and_the_multi_valued_note(cast: Any, network: Any, as_user: Any) -> None:
    page = as_user(cast.a_coordinator).get(URL, {"unit": "incidents", "rows": "country", "columns": "violation"})
    result = result_section(page.content.decode())
    assert "an incident with several values of violation is counted under each" in result
    assert "Not recorded" in result
    physical = Term.objects.get(vocabulary__code="violation-types", code="physical-attack")
    # Colombia x physical attack drills down to the incident list with both filters.
    assert f"country=CO&amp;violation={physical.pk}" in result


def test_drill_down_reaches_the_incident_list_with_the_same_incidents(cast: Any, network: Any, as_user: Any) -> None:
    client = as_user(cast.a_coordinator)
    result = result_section(client.get(URL, {"unit": "incidents", "rows": "country"}).content.decode())
    link = re.search(r'<th scope="row">Kenya</th><td><a href="([^"]+)">1</a>', result)
    assert link
    listing = client.get(link.group(1).replace("&amp;", "&"))
    assert listing.status_code == 200
    body = listing.content.decode()
    # The listed incidents themselves: a bare "I1" can turn up in a page's random tokens.
    assert [incident.title for incident in listing.context["page"].object_list] == ["I2"]
    assert ">I2<" in body.replace("\n", "").replace(" ", "")


def test_filters_that_match_nothing_show_an_explained_empty_state(cast: Any, network: Any, as_user: Any) -> None:
    page = as_user(cast.a_coordinator).get(URL, {"unit": "victims", "rows": "year", "countries": ["FR"]})
    result = result_section(page.content.decode())
    assert "Nothing matches these filters" in result
    assert "<table" not in result


def test_bad_input_gets_field_errors(cast: Any, network: Any, as_user: Any) -> None:
    page = as_user(cast.a_coordinator).get(URL, {"unit": "incidents", "rows": "year", "columns": "year"})
    assert page.status_code == 200
    assert "Choose a dimension other than the rows." in page.content.decode()
    page = as_user(cast.a_coordinator).get(URL, {"unit": "nonsense", "rows": "year"})
    assert "Select a valid choice" in page.content.decode()


def test_comparing_two_periods(cast: Any, network: Any, as_user: Any) -> None:
    query = {
        "unit": "incidents",
        "rows": "country",
        "date_from": "2023-01-01",
        "date_to": "2023-12-31",
        "compare_from": "2024-01-01",
        "compare_to": "2024-12-31",
    }
    result = result_section(as_user(cast.a_coordinator).get(URL, query).content.decode())
    assert "2023-01-01 to 2023-12-31" in result and "Change" in result
    colombia = re.search(
        r'<th scope="row">Colombia</th><td><a href="([^"]+)">1</a></td><td>0</td><td>-1</td><td>1</td>', result
    )
    assert colombia
    assert "date_from=2023-01-01" in colombia.group(1) and "date_to=2023-12-31" in colombia.group(1)
    overlapping = {**query, "compare_from": "2023-06-01"}
    page = as_user(cast.a_coordinator).get(URL, overlapping)
    assert "The two periods overlap" in page.content.decode()


@override_settings(SALAMA_ANALYTICS_MIN_CELL=2)
def test_viewers_see_small_cells_hidden_and_coordinators_do_not(cast: Any, network: Any, as_user: Any) -> None:
    query = {"unit": "incidents", "rows": "country"}
    viewer = result_section(as_user(cast.a_viewer).get(URL, query).content.decode())
    assert "hidden" in viewer and "Counts under 2 are hidden" in viewer
    coordinator = result_section(as_user(cast.a_coordinator).get(URL, query).content.decode())
    assert "Counts under 2 are hidden" not in coordinator


def test_the_network_level_is_labelled_and_has_no_drill_down(cast: Any, network: Any, as_user: Any) -> None:
    AggregateSharing.objects.create(organization=cast.org_b, opted_in=True)
    page = as_user(cast.a_coordinator).get(URL, {"unit": "incidents", "rows": "year", "network": "on"})
    result = result_section(page.content.decode())
    assert "Network level." in result and "1 other organisation" in result
    assert "/incidents/?" not in result


def test_admins_opt_in_and_out(cast: Any, network: Any, as_user: Any) -> None:
    client = as_user(cast.a_admin)
    url = reverse("analytics:sharing", kwargs={"org_slug": "org-a"})
    assert client.get(url).status_code == 200
    response = client.post(url, {"opted_in": "on"})
    assert response.status_code == 302
    assert AggregateSharing.objects.get(organization=cast.org_a).opted_in
    client.post(url, {})
    assert not AggregateSharing.objects.get(organization=cast.org_a).opted_in


def test_only_admins_reach_the_sharing_page(cast: Any, network: Any, as_user: Any) -> None:
    url = reverse("analytics:sharing", kwargs={"org_slug": "org-a"})
    assert as_user(cast.a_coordinator).post(url, {"opted_in": "on"}).status_code == 403
    assert not AggregateSharing.objects.filter(organization=cast.org_a).exists()


def test_rolling_up_to_a_narrower_level(cast: Any, network: Any, as_user: Any) -> None:
    page = as_user(cast.a_coordinator).get(URL, {"unit": "acts", "rows": "violation", "depth": "1"})
    result = result_section(page.content.decode())
    assert "Attempted killing" in result
    assert "Counting: acts." in result


@override_settings(SALAMA_ANALYTICS_MIN_CELL=2)
def test_a_viewer_s_comparison_hides_the_change_beside_a_hidden_count(cast: Any, network: Any, as_user: Any) -> None:
    query = {
        "unit": "incidents",
        "rows": "country",
        "date_from": "2023-01-01",
        "date_to": "2023-12-31",
        "compare_from": "2024-01-01",
        "compare_to": "2024-12-31",
    }
    result = result_section(as_user(cast.a_viewer).get(URL, query).content.decode())
    colombia = re.search(r'<th scope="row">Colombia</th>(.*?)</tr>', result)
    assert colombia
    assert "-1" not in colombia.group(1) and "hidden" in colombia.group(1)
