"""The choropleth: every bundled country is drawn, a country with data is coloured by its class
and links to its incidents, a hidden count is hatched, and the PNG paints the same map."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from salama.analytics import charts, maps, png
from salama.analytics.tables import INCIDENTS, TOTAL_AXIS, Axis, Table

SVG = "{http://www.w3.org/2000/svg}"
CODES = ("KE", "CO", "FR", "LS", "SG", "XK", "NO", "-")
NAMES = ("Kenya", "Colombia", "France", "Lesotho", "Singapore", "Kosovo", "Norway", "Not recorded")
VALUES = (40, 120, 9, 3, 6, 12, 0, 8)


def table(suppressed: frozenset[tuple[int, int]] = frozenset({(3, 0)})) -> Table:
    rows = Axis("country", "Country", CODES, NAMES)
    return Table(
        INCIDENTS, rows, TOTAL_AXIS, tuple((v,) for v in VALUES), VALUES, (sum(VALUES),), sum(VALUES), suppressed
    )


def link_for(code: str) -> str:
    return f"/o/org-a/incidents/?country={code}&date_from=2024-01-01"


def paths(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)  # noqa: S314  our own output
    return {p.get("data-country", ""): p for p in root.iter(f"{SVG}path")}


def test_the_data_file_is_what_the_docs_say() -> None:
    document = json.loads(maps.DATA.read_text(encoding="utf-8"))
    assert document["projection"] == "Equal Earth" and "public domain" in document["source"]
    assert len(document["countries"]) > 170
    assert {"FR", "NO", "XK", "KE", "CO", "LS", "ZA"} <= set(document["countries"])
    assert "AQ" not in document["countries"]  # Antarctica is left out


def test_every_country_in_the_data_file_has_a_path() -> None:
    drawn = paths(maps.map_svg(table(), link_for=link_for))
    assert set(drawn) == {country.code for country in maps.boundaries().countries}


def test_a_country_with_data_gets_its_class_colour_a_title_and_a_link() -> None:
    svg = maps.map_svg(table(), link_for=link_for)
    root = ET.fromstring(svg)  # noqa: S314  our own output
    classes = charts.colour_classes(list(VALUES))
    links = {a.find(f"{SVG}path").get("data-country"): a.get("href") for a in root.iter(f"{SVG}a")}  # type: ignore[union-attr]
    kenya = paths(svg)["KE"]
    assert kenya.get("fill") == charts.colour_of(40, classes) != charts.NO_DATA
    assert kenya.findtext(f"{SVG}title") == "Kenya: 40"
    assert kenya.get("data-value") == "40"
    assert links["KE"] == link_for("KE")
    assert "&amp;date_from" in svg  # the link is escaped in the document, whole when parsed
    assert paths(svg)["CO"].get("fill") == charts.SEQUENTIAL[-1]


def test_countries_without_data_are_grey_and_not_linked() -> None:
    svg = maps.map_svg(table(), link_for=link_for)
    drawn = paths(svg)
    assert drawn["BR"].get("fill") == charts.NO_DATA
    assert drawn["BR"].findtext(f"{SVG}title") == "Brazil: no data"
    assert drawn["NO"].get("fill") == charts.NO_DATA and drawn["NO"].findtext(f"{SVG}title") == "Norway: 0"
    assert 'data-country="BR"' in svg and "country=BR" not in svg and "country=NO" not in svg


def test_a_hidden_count_is_hatched_and_says_hidden() -> None:
    svg = maps.map_svg(table(), link_for=link_for, ident="m")
    lesotho = paths(svg)["LS"]
    assert lesotho.get("fill") == "url(#m-hatch)"
    assert lesotho.get("data-value") is None
    assert lesotho.findtext(f"{SVG}title") == "Lesotho: hidden"
    assert "Hidden to protect small counts" in svg


def test_the_map_is_titled_described_and_lists_countries_too_small_for_it() -> None:
    root = ET.fromstring(maps.map_svg(table(), ident="m"))  # noqa: S314  our own output
    assert root.get("role") == "img" and root.get("aria-labelledby") == "m-title m-desc"
    desc = root.findtext(f"{SVG}desc") or ""
    assert "Highest: Colombia (120)" in desc and "1 count is hidden." in desc
    off_map = ["".join(t.itertext()) for t in root.iter(f"{SVG}text") if "Not on this map" in "".join(t.itertext())]
    assert off_map == ["Not on this map: Singapore (6), Not recorded (8)"]


def test_the_geography_is_not_mirrored_in_right_to_left() -> None:
    ltr, rtl = maps.map_layout(table()), maps.map_layout(table(), rtl=True)
    assert [a for a in ltr.shapes if isinstance(a, charts.Area)] == [
        a for a in rtl.shapes if isinstance(a, charts.Area)
    ]
    heading_ltr = next(s for s in ltr.shapes if isinstance(s, charts.Text))
    heading_rtl = next(s for s in rtl.shapes if isinstance(s, charts.Text))
    assert heading_rtl.x == pytest.approx(ltr.width - heading_ltr.x)


def test_a_map_needs_countries_as_rows() -> None:
    years = Axis("year", "Year", ("2024",), ("2024",))
    with pytest.raises(ValueError, match="countries"):
        maps.map_layout(Table(INCIDENTS, years, TOTAL_AXIS, ((1,),), (1,), (1,), 1))


def test_the_map_png_decodes_at_its_size() -> None:
    scene = maps.map_layout(table(), link_for=link_for)
    image = Image.open(io.BytesIO(png.png(scene, scale=1)))
    assert image.size == (round(scene.width), round(scene.height))
    kenya = next(c for c in maps.boundaries().countries if c.code == "KE")
    ring = kenya.polygons[0][0]
    # a point inside Kenya (the mean of its outline, shifted as drawn) has Kenya's class colour
    x = sum(ring[0::2]) / (len(ring) / 2) + maps.MARGIN
    y = sum(ring[1::2]) / (len(ring) / 2) + maps.TOP
    colour = "#{:02x}{:02x}{:02x}".format(*image.convert("RGB").getpixel((round(x), round(y))))
    assert colour == charts.colour_of(40, charts.colour_classes(list(VALUES)))
