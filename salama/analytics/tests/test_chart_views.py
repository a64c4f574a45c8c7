"""The chart and map downloads: the analysis parameters, always suppressed, the organisation
boundary kept, and the map linking each country to the incident list."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from salama.core.testing import sign_in

from .fixture import build_network

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"
BASE = "/o/org-a/analytics/"


@pytest.fixture
def viewer(cast: Any, client: Client) -> Client:
    build_network(cast)
    return sign_in(client, cast.a_viewer)


def parse(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314  our own output


def values(root: ET.Element) -> dict[str, str]:
    """Each mark's title, which says its labels and its count or "hidden"."""
    return {
        (m.findtext(f"{SVG}title") or ""): m.get("data-value", "hidden")
        for m in root.iter()
        if "mark" in (m.get("class") or "").split()
    }


def test_a_chart_counts_only_the_organisations_own_rows(viewer: Client, settings: Any) -> None:
    settings.SALAMA_ANALYTICS_MIN_CELL = 1  # nothing small enough to hide: the counts show
    response = viewer.get(BASE + "chart.svg", {"rows": "country", "unit": "incidents"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response["Content-Disposition"] == 'inline; filename="incidents-by-country.svg"'
    shown = values(parse(response.content))
    # Organisation B's incident in Colombia is not counted.
    assert shown == {"Colombia: 1": "1", "Kenya: 1": "1", "Not recorded: 1": "1"}


def test_a_downloaded_chart_hides_small_counts(viewer: Client) -> None:
    response = viewer.get(BASE + "chart.svg", {"rows": "year", "chart": "line", "download": "1"})
    assert response["Content-Disposition"].startswith("attachment;")
    root = parse(response.content)
    assert set(values(root).values()) == {"hidden"}
    assert "hidden" in (root.findtext(f"{SVG}desc") or "")


def test_a_cross_tab_draws_a_heat_map_and_a_png(viewer: Client, settings: Any) -> None:
    settings.SALAMA_ANALYTICS_MIN_CELL = 1
    query = {"rows": "country", "columns": "year", "chart": "heatmap"}
    root = parse(viewer.get(BASE + "chart.svg", query).content)
    assert values(root)["Kenya, 2024: 1"] == "1"
    response = viewer.get(BASE + "chart.png", query)
    assert response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).format == "PNG"


def test_the_map_links_each_country_to_its_incidents(viewer: Client, settings: Any) -> None:
    settings.SALAMA_ANALYTICS_MIN_CELL = 1
    response = viewer.get(BASE + "map.svg", {"rows": "year", "date_from": "2023-01-01"})
    assert response.status_code == 200
    root = parse(response.content)
    links = {a.find(f"{SVG}path").get("data-country"): a.get("href") for a in root.iter(f"{SVG}a")}  # type: ignore[union-attr]
    assert links == {
        "CO": "/o/org-a/incidents/?date_from=2023-01-01&country=CO",
        "KE": "/o/org-a/incidents/?date_from=2023-01-01&country=KE",
    }
    followed = viewer.get(links["KE"])
    assert followed.status_code == 200


def test_the_map_at_the_network_level_links_nowhere(viewer: Client, settings: Any) -> None:
    settings.SALAMA_ANALYTICS_MIN_CELL = 1
    root = parse(viewer.get(BASE + "map.svg", {"network": "on"}).content)
    assert not list(root.iter(f"{SVG}a"))
    assert "Colombia: 1" in values_of_paths(root)


def values_of_paths(root: ET.Element) -> list[str]:
    return [p.findtext(f"{SVG}title") or "" for p in root.iter(f"{SVG}path")]


def test_the_map_png_is_a_picture(viewer: Client) -> None:
    response = viewer.get(BASE + "map.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size[0] > 1000


def test_bad_parameters_get_a_clear_400(viewer: Client) -> None:
    response = viewer.get(BASE + "chart.svg", {"rows": "nonsense"})
    assert response.status_code == 400
    assert b"rows" in response.content
    response = viewer.get(BASE + "chart.svg", {"rows": "year", "date_from": "2024-02-01", "date_to": "2024-01-01"})
    assert response.status_code == 400


def test_nothing_matching_draws_an_explained_empty_chart(viewer: Client) -> None:
    root = parse(viewer.get(BASE + "chart.svg", {"rows": "country", "date_from": "2030-01-01"}).content)
    assert root.findtext(f"{SVG}desc") == "No data match these filters."
