"""The export page: `o/<org>/analytics/export/?...` with the analysis page's parameters (its own
form, `AnalysisForm`, so a query string of the page works here unchanged).

Without a format it shows the download form, already filled in, and says beforehand how many
counts the file will hide; with `format=csv|xlsx|json` it answers the file. Every file is
suppressed with k = settings.SALAMA_ANALYTICS_MIN_CELL and audited (the parameters, never a
count). GET only: nothing changes but the audit log, as for the printed report. A comparison of
two periods is not exported: the file holds the first period's table.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from salama.core.requests import membership_of

from .actions import do_export_aggregate, export_parameters
from .exports import FORMATS, hidden_count
from .forms import AnalysisForm
from .query import aggregate
from .scope import scope_for
from .suppression import suppress


@require_GET
def export_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    membership = membership_of(request)
    query = request.GET.copy()
    fmt = query.pop("format", [""])[-1]
    form = AnalysisForm(query or None)
    if not form.is_bound or not form.is_valid():
        status = 400 if form.is_bound else 200
        return render(request, "analytics/export.html", {"form": form, "formats": FORMATS}, status=status)
    parameters = export_parameters(form.cleaned_data)
    filters = form.filters()
    if fmt in FORMATS:
        export = do_export_aggregate(membership, fmt=fmt, parameters=parameters, filters=filters)
        response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response
    table = aggregate(scope_for(membership, network=parameters["network"]), filters=filters, **_counting(parameters))
    shown = suppress(table, settings.SALAMA_ANALYTICS_MIN_CELL)
    context = {
        "form": form,
        "formats": FORMATS,
        "table": shown,
        "hidden": hidden_count(shown),
        "k": settings.SALAMA_ANALYTICS_MIN_CELL,
        "query": query.urlencode(),
        "empty": not table.total,
    }
    return render(request, "analytics/export.html", context)


def _counting(parameters: dict[str, Any]) -> dict[str, Any]:
    return {name: parameters[name] for name in ("unit", "rows", "columns", "depth")}
