"""A choropleth map of a table by country, from the Natural Earth boundaries bundled in
`data/countries-110m.json` (see `data/NATURAL_EARTH.md`).

Counts fall into up to five classes (quantiles of the distinct counts, light to dark); a country
with no count, or none recorded, is light grey; a hidden count is hatched, never coloured. Each
country is a `<path>` with a `<title>` ("Kenya: 40") and, when it has incidents, a link to the
incident list filtered by that country: the caller passes `link_for(code) -> url | None`, so the
map knows nothing of URLs or of who may follow them.

The geography is never mirrored in a right-to-left language; only the heading and legend are.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_countries import countries

from .charts import (
    BACKGROUND,
    MUTED,
    NO_DATA,
    SMALL_SIZE,
    Area,
    Scene,
    Shape,
    Text,
    _class_legend,
    _heading,
    _hidden_legend,
    _highest,
    _mirror,
    chart_title,
    colour_classes,
    colour_of,
    fit,
    row_values,
    svg,
    unit_label,
)
from .tables import Table

DATA = Path(__file__).resolve().parent / "data" / "countries-110m.json"
MARGIN = 16
TOP = 40
LinkFor = Callable[[str], str | None]


@dataclass(frozen=True)
class Country:
    code: str
    name: str  # Natural Earth's English name, for codes the country list does not know
    polygons: tuple[tuple[tuple[float, ...], ...], ...]
    extent: float  # bounding-box area: larger countries are drawn first, enclaves on top


@dataclass(frozen=True)
class Boundaries:
    width: float
    height: float
    countries: tuple[Country, ...]


@cache
def boundaries() -> Boundaries:
    document = json.loads(DATA.read_text(encoding="utf-8"))
    shapes = []
    for code, entry in document["countries"].items():
        polygons = tuple(tuple(tuple(ring) for ring in polygon) for polygon in entry["polygons"])
        xs = [ring[i] for polygon in polygons for ring in polygon for i in range(0, len(ring), 2)]
        ys = [ring[i] for polygon in polygons for ring in polygon for i in range(1, len(ring), 2)]
        extent = (max(xs) - min(xs)) * (max(ys) - min(ys))
        shapes.append(Country(code, entry["name"], polygons, extent))
    shapes.sort(key=lambda country: -country.extent)
    return Boundaries(document["width"], document["height"], tuple(shapes))


def country_name(code: str, fallback: str = "") -> str:
    return str(countries.name(code)) or fallback or code


def country_values(table: Table) -> dict[str, int | None]:
    """Count per country code (None when hidden): the cells of a one-way table by country, or the
    row totals of a cross-tab whose rows are countries."""
    if table.rows.dimension != "country":
        raise ValueError("a map needs a table whose rows are countries")
    return {key.upper(): value for key, value in zip(table.rows.keys, row_values(table), strict=True)}


def _area(
    country: Country, value: int | None, known: bool, colours: Callable[[int], str], link_for: LinkFor | None
) -> Area:
    name = country_name(country.code, country.name)
    if not known:
        title, fill = _("%(country)s: no data") % {"country": name}, NO_DATA
    elif value is None:
        title, fill = _("%(country)s: hidden") % {"country": name}, BACKGROUND
    else:
        title, fill = f"{name}: {value}", colours(value) if value else NO_DATA
    href = link_for(country.code) if link_for and known and value != 0 else None
    return Area(country.polygons, fill, known and value is None, title, href, value, country.code)


def map_layout(table: Table, *, link_for: LinkFor | None = None, rtl: bool = False) -> Scene:
    geography = boundaries()
    values = country_values(table)
    classes = colour_classes(list(values.values()))
    width = geography.width + 2 * MARGIN
    title = chart_title(table)

    def coloured(value: int) -> str:
        return colour_of(value, classes)

    areas: list[Shape] = []
    for country in geography.countries:
        area = _area(country, values.get(country.code), country.code in values, coloured, link_for)
        moved = tuple(tuple(_shift(ring) for ring in polygon) for polygon in area.polygons)
        areas.append(Area(moved, area.fill, area.hatched, area.title, area.href, area.value, area.code))
    bottom = TOP + geography.height + 24
    frame: list[Shape] = [
        *_heading(title, width),
        *_class_legend(classes, MARGIN, bottom, unit_label(table.unit), _("None recorded or no data")),
    ]
    height = bottom + 40
    hidden = [code for code, value in values.items() if value is None]
    if hidden:
        frame += _hidden_legend(MARGIN, height)
        height += 20
    mapped = {country.code for country in geography.countries}
    off_map = [(code, value) for code, value in values.items() if code not in mapped and value != 0]
    if off_map:
        labels = dict(zip((key.upper() for key in table.rows.keys), table.rows.labels, strict=True))
        listed = ", ".join(f"{labels[code]} ({_('hidden') if v is None else v})" for code, v in off_map)
        # Countries too small for this scale, and counts with no country recorded.
        line = _("Not on this map: %(countries)s") % {"countries": listed}
        shown = fit(line, width - 2 * MARGIN, SMALL_SIZE)
        frame.append(Text(MARGIN, height + 4, shown, SMALL_SIZE, fill=MUTED, title=line if shown != line else ""))
        height += 20
    shapes = (*(_mirror(frame, width) if rtl else frame), *areas)
    desc = _describe(title, values, len(hidden))
    return Scene(width, height + 8, title, desc, shapes, rtl, kind="map")


def _shift(ring: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(v + (MARGIN if i % 2 == 0 else TOP) for i, v in enumerate(ring))


def _describe(title: str, values: dict[str, int | None], hidden: int) -> str:
    countries_only = {code: value for code, value in values.items() if len(code) == 2 and code.isalpha()}
    with_data = [code for code, value in countries_only.items() if value]
    parts = [
        ngettext("%(title)s: %(count)d country with data.", "%(title)s: %(count)d countries with data.", len(with_data))
        % {"title": title, "count": len(with_data)}
    ]
    highest = _highest(list(countries_only.values()), [country_name(code) for code in countries_only])
    if highest:
        parts.append(_("Highest: %(label)s (%(value)d).") % {"label": highest[0], "value": highest[1]})
    if hidden:
        parts.append(ngettext("%(count)d count is hidden.", "%(count)d counts are hidden.", hidden) % {"count": hidden})
    return " ".join(parts)


def map_svg(table: Table, *, link_for: LinkFor | None = None, rtl: bool = False, ident: str = "map") -> str:
    return svg(map_layout(table, link_for=link_for, rtl=rtl), ident)


__all__ = ["boundaries", "country_values", "map_layout", "map_svg"]
