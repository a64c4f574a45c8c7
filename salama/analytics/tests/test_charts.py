"""Charts: well-formed, titled and described SVG whose numbers are the table's; hidden cells are
marked, never drawn as values; labels stay text; the PNG paints the same scene."""

from __future__ import annotations

import io
import itertools
import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from salama.analytics import charts, png
from salama.analytics.tables import INCIDENTS, TOTAL_AXIS, VICTIMS, Axis, Table

SVG = "{http://www.w3.org/2000/svg}"
EVIL = '<script>alert("x")</script> & "quotes"'
COUNTRIES = Axis("country", "Country", ("CO", "KE", "PH", "XX"), ("Colombia", "Kenya", "Philippines", EVIL))
YEARS = Axis("year", "Year", ("2022", "2023", "2024"), ("2022", "2023", "2024"))


def one_way(suppressed: frozenset[tuple[int, int]] = frozenset()) -> Table:
    counts = ((40,), (3,), (12,), (7,))
    return Table(INCIDENTS, COUNTRIES, TOTAL_AXIS, counts, (40, 3, 12, 7), (62,), 62, suppressed)


def crosstab(suppressed: frozenset[tuple[int, int]] = frozenset()) -> Table:
    counts = ((5, 9, 30), (0, 2, 7), (11, 12, 13), (6, 6, 6))
    return Table(
        VICTIMS,
        COUNTRIES,
        YEARS,
        counts,
        row_totals=tuple(sum(r) for r in counts),
        column_totals=tuple(sum(c) for c in zip(*counts, strict=True)),
        total=sum(map(sum, counts)),
        suppressed=suppressed,
    )


def by_period(columns: int) -> Table:
    periods = Axis(
        "month", "Month", tuple(f"2024-{m:02}" for m in range(1, 7)), tuple(f"2024-{m:02}" for m in range(1, 7))
    )
    series = Axis(
        "violation", "Violation", tuple(f"v{c}" for c in range(columns)), tuple(f"V {c}" for c in range(columns))
    )
    counts = tuple(tuple((r + 1) * (c + 1) for c in range(columns)) for r in range(6))
    return Table(
        INCIDENTS,
        periods,
        series,
        counts,
        tuple(sum(r) for r in counts),
        tuple(sum(c) for c in zip(*counts, strict=True)),
        sum(map(sum, counts)),
    )


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  our own output, parsed to check it


def marks(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter() if "mark" in (e.get("class") or "").split()]


def mark_values(root: ET.Element) -> dict[str, int | None]:
    """Each data mark by its title's labels: its count, or None when marked hidden."""
    values: dict[str, int | None] = {}
    for mark in marks(root):
        title = mark.find(f"{SVG}title")
        assert title is not None and title.text
        labels = title.text.rsplit(": ", 1)[0]
        values[labels] = None if mark.get("data-hidden") == "true" else int(mark.get("data-value", "x"))
        if values[labels] is not None:
            assert title.text.endswith(f": {values[labels]}")
    return values


KINDS = ("bar", "line", "stacked", "heatmap")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("rtl", [False, True])
def test_every_chart_is_well_formed_titled_and_described(kind: str, rtl: bool) -> None:
    table = one_way() if kind == "bar" else crosstab()
    root = parse(charts.chart_svg(kind, table, rtl=rtl, ident="c1"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.get("id") == "c1-title" and title.text
    assert desc is not None and desc.get("id") == "c1-desc" and "Highest" in (desc.text or "")
    assert root.get("font-family") == "system-ui, sans-serif"
    assert not [e for e in root.iter() if e.tag in (f"{SVG}script", f"{SVG}foreignObject", f"{SVG}image")]


def test_the_bar_chart_shows_the_tables_numbers_and_says_which_is_highest() -> None:
    table = one_way()
    root = parse(charts.chart_svg("bar", table))
    assert mark_values(root) == {"Colombia": 40, "Kenya": 3, "Philippines": 12, EVIL: 7}
    assert "Highest: Colombia (40)" in (root.findtext(f"{SVG}desc") or "")


def test_a_hidden_cell_is_marked_hidden_and_never_drawn_as_a_value() -> None:
    table = one_way(frozenset({(1, 0)}))
    svg = charts.chart_svg("bar", table)
    root = parse(svg)
    assert mark_values(root)["Kenya"] is None
    hidden = [m for m in marks(root) if m.get("data-hidden")]
    assert len(hidden) == 1 and hidden[0].get("fill") == "url(#chart-hatch)"
    assert not re.search(r">3<", svg)  # the count is nowhere in the picture
    assert "Hidden to protect small counts" in svg
    assert "1 count is hidden." in (root.findtext(f"{SVG}desc") or "")


@pytest.mark.parametrize("kind", ["stacked", "heatmap", "line"])
def test_cross_tab_charts_show_every_visible_cell_and_mark_the_hidden_ones(kind: str) -> None:
    table = crosstab(frozenset({(1, 1), (1, 2), (3, 1), (3, 2)}))
    values = mark_values(parse(charts.chart_svg(kind, table)))
    for r, row in enumerate(table.rows.labels):
        for c, column in enumerate(table.columns.labels):
            key = f"{column}, {row}" if kind == "line" else f"{row}, {column}"
            expected = table.cell(r, c)
            if expected == 0 and kind == "stacked":
                continue  # a zero has no segment to draw
            assert values[key] == expected, key


def test_line_chart_keeps_eight_series_and_adds_the_rest_up_as_other() -> None:
    table = by_period(11)
    drawn = charts.group_columns(table)
    assert len(drawn.columns.keys) == charts.MAX_SERIES
    assert drawn.columns.labels[-1] == "Other"
    # the largest columns are kept; "Other" adds up the four smallest in each period
    assert drawn.columns.labels[:-1] == tuple(f"V {c}" for c in range(4, 11))
    assert [row[-1] for row in drawn.counts] == [sum(row[:4]) for row in table.counts]
    values = mark_values(parse(charts.chart_svg("line", table)))
    assert values["Other, 2024-02"] == 2 * (1 + 2 + 3 + 4)


def test_other_is_hidden_when_it_would_add_up_a_hidden_cell() -> None:
    table = replace(by_period(11), suppressed=frozenset({(0, 0)}))
    drawn = charts.group_columns(table)
    assert drawn.cell(0, len(drawn.columns.keys) - 1) is None
    assert drawn.cell(1, len(drawn.columns.keys) - 1) == 2 * (1 + 2 + 3 + 4)


def test_labels_are_escaped_and_stay_text() -> None:
    for kind in KINDS:
        svg = charts.chart_svg(kind, crosstab() if kind != "bar" else one_way())
        root = parse(svg)
        assert "<script>" not in svg
        texts = "".join(e.text or "" for e in root.iter(f"{SVG}title")) + "".join(
            e.text or "" for e in root.iter(f"{SVG}text")
        )
        assert "<script>" in texts  # the label is shown, as the text it is


def test_control_characters_cannot_break_the_document() -> None:
    rows = Axis("country", "Country\x00", ("CO",), ("Col\x0bombia\x1f",))
    table = Table(INCIDENTS, rows, TOTAL_AXIS, ((4,),), (4,), (4,), 4)
    parse(charts.chart_svg("bar", table))


def test_right_to_left_mirrors_the_bars() -> None:
    table = one_way()
    left = [m for m in marks(parse(charts.chart_svg("bar", table)))]
    right = [m for m in marks(parse(charts.chart_svg("bar", table, rtl=True)))]
    for a, b in zip(left, right, strict=True):
        x_a, w = float(a.get("x", 0)), float(a.get("width", 0))
        assert float(b.get("x", 0)) == pytest.approx(charts.WIDTH - x_a - w, abs=0.1)
    arabic = Axis("country", "البلد", ("KE",), ("كينيا",))
    texts = parse(charts.chart_svg("bar", Table(INCIDENTS, arabic, TOTAL_AXIS, ((9,),), (9,), (9,), 9), rtl=True))
    label = next(t for t in texts.iter(f"{SVG}text") if t.text == "كينيا")
    # right of the bars: its left edge, which is where a right-to-left text ends, sits at x
    assert label.get("direction") == "rtl" and label.get("text-anchor") == "end"


def test_an_empty_table_says_so() -> None:
    empty = Table(INCIDENTS, Axis("country", "Country", (), ()), TOTAL_AXIS, (), (), (0,), 0)
    root = parse(charts.chart_svg("bar", empty))
    assert root.findtext(f"{SVG}desc") == "No data match these filters."
    assert not marks(root)


def test_series_colours_keep_contrast_and_cell_text_is_readable() -> None:
    for colour in (*charts.SERIES_COLOURS, charts.OTHER_COLOUR):
        assert charts.contrast(colour, charts.BACKGROUND) >= 3, colour
    for colour in (*charts.SEQUENTIAL, charts.NO_DATA, *charts.SERIES_COLOURS, charts.OTHER_COLOUR):
        assert charts.contrast(charts.ink_on(colour), colour) >= 4.5, colour


def test_the_html_table_holds_the_same_numbers_as_the_chart() -> None:
    table = crosstab(frozenset({(1, 1), (1, 2), (3, 1), (3, 2)}))
    html = str(charts.data_table_html(table))
    root = ET.fromstring(html.split("<ul")[0])  # noqa: S314  our own output
    rows = root.findall("./tbody/tr")
    shown = mark_values(parse(charts.chart_svg("heatmap", table)))
    for r, row in enumerate(rows[:-1]):
        label = row.findtext("th")
        cells = row.findall("td")
        for c, cell in enumerate(cells[:-1]):
            value = None if cell.get("data-hidden") else int(cell.get("data-value", "x"))
            assert value == table.cell(r, c) == shown[f"{label}, {table.columns.labels[c]}"]
        assert cells[-1].get("data-value") == str(table.row_totals[r])
    assert rows[-1].findall("td")[-1].get("data-value") == str(table.total)
    assert "&lt;script&gt;" in html


def test_colour_classes_cover_every_value_light_to_dark() -> None:
    classes = charts.colour_classes([1, 2, 3, 5, 8, 13, 21, 34, 55, None, 0])
    assert len(classes) == 5 and classes[0].low == 1 and classes[-1].high == 55
    assert [c.colour for c in classes] == list(charts.SEQUENTIAL)
    assert all(a.high + 1 == b.low for a, b in itertools.pairwise(classes))
    assert charts.colour_classes([4, 4, 9]) == [
        charts.ColourClass(4, 8, charts.SEQUENTIAL[3]),
        charts.ColourClass(9, 9, charts.SEQUENTIAL[4]),
    ]


@settings(max_examples=40, deadline=None)
@given(
    counts=st.lists(st.lists(st.integers(0, 500), min_size=3, max_size=3), min_size=1, max_size=6),
    hidden=st.sets(st.tuples(st.integers(0, 5), st.integers(0, 2)), max_size=4),
)
def test_heat_map_numbers_always_equal_the_table(counts: list[list[int]], hidden: set[tuple[int, int]]) -> None:
    rows = Axis(
        "country", "Country", tuple(f"C{r}" for r in range(len(counts))), tuple(f"C{r}" for r in range(len(counts)))
    )
    table = Table(
        INCIDENTS,
        rows,
        YEARS,
        tuple(map(tuple, counts)),
        tuple(sum(r) for r in counts),
        tuple(sum(c) for c in zip(*counts, strict=True)),
        sum(map(sum, counts)),
        frozenset(p for p in hidden if p[0] < len(counts)),
    )
    shown = mark_values(parse(charts.chart_svg("heatmap", table)))
    if charts._is_empty(table):
        return
    for r, row in enumerate(rows.labels):
        for c, column in enumerate(YEARS.labels):
            assert shown[f"{row}, {column}"] == table.cell(r, c)


@pytest.mark.parametrize("kind", KINDS)
def test_the_png_decodes_at_the_scenes_size(kind: str) -> None:
    scene = charts.layout(kind, one_way() if kind == "bar" else crosstab(frozenset({(1, 1)})), rtl=kind == "line")
    image = Image.open(io.BytesIO(png.png(scene)))
    assert image.format == "PNG"
    assert image.size == (round(scene.width * png.SCALE), round(scene.height * png.SCALE))


def test_png_paints_arabic_labels_beside_latin_ones() -> None:
    arabic = Axis("country", "Country", ("KE", "UG"), ("كينيا", "Uganda أوغندا"))
    scene = charts.layout("bar", Table(INCIDENTS, arabic, TOTAL_AXIS, ((9,), (6,)), (9, 6), (15,), 15), rtl=True)
    image = Image.open(io.BytesIO(png.png(scene, scale=1)))
    assert image.size == (scene.width, scene.height)
    assert png._runs("Uganda أوغندا") == [("Uganda ", False), ("أوغندا", True)]
