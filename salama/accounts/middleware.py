"""Sessions end after a period of inactivity and, whatever happens, after a fixed lifetime."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from .session_store import SEEN_KEY, STARTED_KEY

SEEN_RESOLUTION_SECONDS = 60  # saves at most one session write a minute per person


class SessionLifetimeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.get(STARTED_KEY, 0)
            seen = request.session.get(SEEN_KEY, 0)
            if now - started > settings.SESSION_MAX_SECONDS or now - seen > settings.SESSION_IDLE_SECONDS:
                logout(request)
            elif now - seen > SEEN_RESOLUTION_SECONDS:
                request.session[SEEN_KEY] = now
        return self.get_response(request)
