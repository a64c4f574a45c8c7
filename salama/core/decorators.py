"""View decorators shared by the apps."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

Fetch = Callable[[HttpRequest, Any], Any]
View = Callable[..., HttpResponse]


def fetched_first(fetch: Fetch, param: str, methods: list[str]) -> Callable[[View], View]:
    """Need to know before the method check: a record outside it is 404 to every method, so a
    405 cannot tell someone who may not see it that it exists. The view receives the record in
    place of the URL parameter `param`."""

    def decorate(func: View) -> View:
        @wraps(func)
        def wrapped(request: HttpRequest, org_slug: str, **kwargs: Any) -> HttpResponse:
            record = fetch(request, kwargs.pop(param))
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return func(request, org_slug, record, **kwargs)

        return wrapped

    return decorate
