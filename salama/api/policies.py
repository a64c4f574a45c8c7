"""API operations declare their policy with `requires`; the matrix test reads API_POLICIES."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from salama.core.permissions import SIGNED_IN, Policy, org, role_can

API_POLICIES: dict[str, Policy] = {}


def requires(permission: str | None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`None`: any valid token. A permission: the token's organisation, named in the path as
    `org_slug`, and a role holding the permission. Another organisation's slug is 404."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        if func.__name__ in API_POLICIES:
            raise ValueError(f"API operation {func.__name__} declared twice")
        API_POLICIES[func.__name__] = org(permission) if permission else SIGNED_IN

        @wraps(func)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if permission:
                membership = request.membership  # type: ignore[attr-defined]
                if kwargs.get("org_slug") != membership.organization.slug:
                    raise Http404
                decision = role_can(membership.role, permission)
                if not decision:
                    raise PermissionDenied(decision.reason)
            return func(request, *args, **kwargs)

        return guarded

    return decorate
