"""The organisation's audit log, for its admins: filtered, paginated, plain HTML."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .access import entries_for
from .forms import LogFilterForm

PER_PAGE = 50


@require_GET
def log_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = LogFilterForm(request.GET)
    if not form.is_valid():
        # Wrong filters show their errors and no entries, rather than entries they did not ask for.
        return render(request, "audit/log.html", {"form": form, "page": None}, status=400)
    entries = entries_for(request.org, form.log_filter())  # type: ignore[attr-defined]
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/log.html", {"form": form, "page": page, "query": query.urlencode()})
