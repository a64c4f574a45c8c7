"""The safety board page. It works with JavaScript off (a plain page with a refresh link); with
htmx the sections refresh themselves every 30 seconds in place."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from salama.orgs.models import Membership

from .board import safety_board
from .flags import WINDOW_DAYS

REFRESH_SECONDS = 30


@require_GET
def board_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    me: Membership = request.membership  # type: ignore[attr-defined]
    context = {"board": safety_board(me), "refresh_seconds": REFRESH_SECONDS, "window_days": WINDOW_DAYS}
    if request.headers.get("HX-Request"):
        return render(request, "safety/board_sections.html", context)
    return render(request, "safety/board.html", context)
