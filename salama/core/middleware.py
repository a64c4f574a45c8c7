"""Deny by default, HTTP hygiene and request-size limits, applied to every request."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _

from salama.accounts.access import is_fully_signed_in

from .permissions import (
    PUBLIC_CACHE_SECONDS,
    PUBLICLY_CACHEABLE_ROUTES,
    ROUTE_POLICIES,
    SELF_GUARDED_NAMESPACES,
    role_can,
)

log = logging.getLogger("salama.access")


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def deny(request: HttpRequest, reason: str, status: int = 403) -> HttpResponse:
    return render(request, "denied.html", {"reason": reason}, status=status)


def too_large(request: HttpRequest) -> HttpResponse:
    message = _("The request is larger than this server accepts.")
    if is_api(request):
        return JsonResponse({"error": {"code": "too_large", "message": message, "fields": {}}}, status=413)
    return render(request, "denied.html", {"reason": message, "title": _("Too large")}, status=413)


class RequestSizeLimitMiddleware:
    """Refuse an oversized body with 413 before anything reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        limit = settings.MAX_REQUEST_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length > limit:
            return too_large(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return too_large(request) if isinstance(exception, RequestDataTooBig) else None


class AccessPolicyMiddleware(LoginRequiredMiddleware):
    """Every route needs a declared policy; all but the public ones need a second factor."""

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.namespace in SELF_GUARDED_NAMESPACES:
            return None
        policy = ROUTE_POLICIES.get(match.view_name)
        if policy is None:
            log.error("route %s has no access policy; refused", match.view_name)
            return deny(request, _("This page is not available."))
        if policy.kind == "public":
            return None
        if policy.kind == "demo" and not (settings.DEMO_MODE and not settings.PRODUCTION):
            raise Http404  # before the sign-in check: outside the demo the page does not exist
        user = request.user
        if not user.is_authenticated:
            return self.handle_no_permission(request, view_func)
        if not is_fully_signed_in(user):
            # Our sign-in never creates such a session; end it rather than guess.
            logout(request)
            return self.handle_no_permission(request, view_func)
        if policy.kind == "operator" and not user.is_platform_operator:  # type: ignore[union-attr]
            return deny(request, _("Only platform operators can open this page."))
        if policy.kind == "org":
            from salama.orgs.access import access_org

            org, membership = access_org(user, view_kwargs["org_slug"])  # type: ignore[arg-type]
            decision = role_can(membership.role, policy.permission)
            if not decision:
                return deny(request, decision.reason)
            request.org = org  # type: ignore[attr-defined]
            request.membership = membership  # type: ignore[attr-defined]
        return None


class SecurityHeadersMiddleware:
    """Headers Django does not set itself; no page is cached by a browser or proxy, except the
    few public feeds declared in PUBLICLY_CACHEABLE_ROUTES, for a few minutes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.publicly_cacheable(request, response):
            # The language comes from Accept-Language or the language cookie.
            patch_cache_control(response, public=True, max_age=PUBLIC_CACHE_SECONDS)
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        else:
            patch_cache_control(response, no_store=True, private=True)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        return response

    @staticmethod
    def publicly_cacheable(request: HttpRequest, response: HttpResponse) -> bool:
        """Only the declared public routes, only a success, and never an answer setting a cookie
        (a shared cache would hand it to everyone)."""
        match = getattr(request, "resolver_match", None)
        return (
            match is not None
            and match.view_name in PUBLICLY_CACHEABLE_ROUTES
            and response.status_code == 200
            and not response.cookies
        )


class CsrfMiddleware(CsrfViewMiddleware):
    """Django's CSRF protection, made to work with `Referrer-Policy: no-referrer`.

    Under that policy browsers send `Origin: null` and no Referer on a same-origin form post,
    which Django's origin check refuses. Such a post is accepted when the browser itself
    vouches that it came from this site (`Sec-Fetch-Site: same-origin`, a header pages cannot
    set). The CSRF token is still required as always.
    """

    def _origin_verified(self, request: HttpRequest) -> bool:
        if request.META.get("HTTP_ORIGIN") == "null":
            return request.META.get("HTTP_SEC_FETCH_SITE") == "same-origin"
        return super()._origin_verified(request)  # type: ignore[misc]
