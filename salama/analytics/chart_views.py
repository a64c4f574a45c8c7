"""Downloads of a chart and of the map: `o/<org>/analytics/chart.svg|png` and `map.svg|png`, with
the analysis page's parameters (`AnalysisForm`: unit, rows, columns, depth, dates, filters,
network) plus `chart=bar|line|stacked|heatmap` (by default the page's choice,
`charts.default_kind`) and `download=1` for an attachment.

A downloaded picture leaves Salama, so it is always drawn from the table after small-cell
suppression with k = settings.SALAMA_ANALYTICS_MIN_CELL, whatever the reader's role. The map
counts by country whatever the rows asked for, and links each country to the incident list
filtered by it, as the analysis page's cells do (`views._drill`: no links at the network level,
nor with filters the list does not have). GET only, nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.utils.text import slugify
from django.utils.translation import get_language_bidi
from django.views.decorators.http import require_GET

from salama.core.requests import membership_of

from . import charts, maps, png
from .forms import DEFAULT_PARAMETERS, AnalysisForm
from .query import aggregate
from .scope import scope_for
from .suppression import suppress
from .tables import Table
from .views import _drill, min_cell

SVG_TYPE = "image/svg+xml; charset=utf-8"


def _parameters(request: HttpRequest, *, by_country: bool) -> QueryDict:
    query = QueryDict(mutable=True)
    query.update(DEFAULT_PARAMETERS)
    for name in request.GET:
        if name not in ("chart", "download", "compare_from", "compare_to"):
            query.setlist(name, request.GET.getlist(name))
    if by_country:
        query["rows"] = "country"
        query.pop("columns", None)
    return query


def _table(request: HttpRequest, *, by_country: bool) -> tuple[Table, Callable[[str], str | None]] | HttpResponse:
    """The suppressed table the parameters ask for, and where a country leads."""
    form = AnalysisForm(_parameters(request, by_country=by_country))
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(map(str, errors))}" for name, errors in form.errors.items())
        return HttpResponseBadRequest(problems, content_type="text/plain; charset=utf-8")
    data = form.cleaned_data
    scope = scope_for(membership_of(request), network=data.get("network", False))
    table = aggregate(
        scope,
        unit=data["unit"],
        rows=data["rows"],
        columns=data.get("columns") or None,
        filters=form.filters(),
        depth=data.get("depth"),
    )
    drill = _drill(request, form, scope)
    return suppress(table, min_cell()), (lambda code: drill.url([("country", code)])) if drill else (lambda code: None)


def _answer(content: bytes | str, content_type: str, name: str, request: HttpRequest) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    return response


def _chart(request: HttpRequest, suffix: str) -> HttpResponse:
    result = _table(request, by_country=False)
    if isinstance(result, HttpResponse):
        return result
    table, _links = result
    kind = request.GET.get("chart", "")
    kind = kind if kind in charts.LAYOUTS else charts.default_kind(table)
    scene = charts.layout(kind, table, rtl=get_language_bidi())
    name = slugify(charts.chart_title(table)) + suffix
    if suffix == ".svg":
        return _answer(charts.svg(scene), SVG_TYPE, name, request)
    return _answer(png.png(scene), "image/png", name, request)


def _map(request: HttpRequest, suffix: str) -> HttpResponse:
    result = _table(request, by_country=True)
    if isinstance(result, HttpResponse):
        return result
    table, links = result
    name = slugify(charts.chart_title(table)) + "-map" + suffix
    if suffix == ".svg":
        scene = maps.map_layout(table, link_for=links, rtl=get_language_bidi())
        return _answer(charts.svg(scene, "map"), SVG_TYPE, name, request)
    return _answer(png.png(maps.map_layout(table, rtl=get_language_bidi())), "image/png", name, request)


@require_GET
def chart_svg_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _chart(request, ".svg")


@require_GET
def chart_png_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _chart(request, ".png")


@require_GET
def map_svg_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _map(request, ".svg")


@require_GET
def map_png_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _map(request, ".png")
