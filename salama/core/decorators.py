"""View decorators shared by the apps."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

Fetch = Callable[..., Any]  # (request, *the URL parameters named) -> the record
View = Callable[..., HttpResponse]


def fetched_first(fetch: Fetch, params: str | tuple[str, ...], methods: list[str]) -> Callable[[View], View]:
    """Need to know before the method check: a record outside it is 404 to every method, so a
    405 cannot tell someone who may not see it that it exists. The view receives the record in
    place of the URL parameters `params` (one name, or several that together find it, such as
    a case and one of its incidents)."""
    names = (params,) if isinstance(params, str) else params

    def decorate(func: View) -> View:
        @wraps(func)
        def wrapped(request: HttpRequest, org_slug: str, **kwargs: Any) -> HttpResponse:
            record = fetch(request, *(kwargs.pop(name) for name in names))
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return func(request, org_slug, record, **kwargs)

        return wrapped

    return decorate
