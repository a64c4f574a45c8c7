from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .context import channel


class AuditChannelMiddleware:
    """Entries written while serving a request say whether it came through the API or the UI."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with channel("api" if request.path.startswith("/api/") else "web"):
            return self.get_response(request)
