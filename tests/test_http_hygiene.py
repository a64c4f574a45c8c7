"""Headers on every route, GET that changes nothing, and CSRF on every form, found by crawling
the URL resolver as a member allowed to reach each route."""

from __future__ import annotations

import hashlib

import pytest
from django.apps import apps
from django.test import Client

from salama.core.permissions import PUBLICLY_CACHEABLE_ROUTES, ROUTE_POLICIES
from salama.core.testing import sign_in
from salama.delivery.tests.mailbox_fixtures import demo_mailbox, send_sample_mail  # noqa: F401  fixture

from .routes import url_for, web_routes

# Rows a read may touch: the session's own bookkeeping and the worker heartbeat.
# The audit log too: a sensitive read (a case page, "case.viewed") is recorded by design
# (ARCHITECTURE.md rule 6), so a GET may append audit entries but must change nothing else.
# The wrong-link counter of the public check-in pages is bookkeeping too: a forged link is
# counted (and audited) whatever the method, or guessing by GET would go unslowed.
BOOKKEEPING = {"accounts.session", "core.workerheartbeat", "audit.auditentry", "safety.guessattempt"}
# Derived counts, rebuilt from the records by the first read after a write (salama.analytics.summary):
# a page of the analysis brings them up to date and changes no record.
DERIVED = {"analytics.monthlycount", "analytics.monthlycountdirty", "analytics.monthlycountstate"}


def actor_for(policy, cast):  # type: ignore[no-untyped-def]
    signed_in = cast.a_admin
    return {"public": None, "signed_in": signed_in, "operator": cast.operator, "org": signed_in, "demo": signed_in}[
        policy.kind
    ]


def demo_mode_for(route, request) -> None:  # type: ignore[no-untyped-def]
    """The demo mailbox's routes exist only in demo mode: turn it on, with one message in it."""
    if ROUTE_POLICIES[route.name].kind == "demo":
        request.getfixturevalue("demo_mailbox")
        send_sample_mail()


def client_for(route, cast, **options) -> Client:  # type: ignore[no-untyped-def]
    client = Client(**options)
    # The partner's routes are in B's URL space (the sample grant lets B's admin in).
    user = cast.b_admin if route.partner else actor_for(ROUTE_POLICIES[route.name], cast)
    return sign_in(client, user) if user else client


def assert_hygienic(response, cacheable: bool = False) -> None:  # type: ignore[no-untyped-def]
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "default-src 'self'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    if cacheable:  # the declared public feeds: briefly, and only as the same answer for all
        assert "public" in response["Cache-Control"] and "max-age=" in response["Cache-Control"]
        assert "private" not in response["Cache-Control"] and "Cookie" in response["Vary"]
    else:
        assert "no-store" in response["Cache-Control"]


def database_fingerprint() -> str:
    digest = hashlib.sha256()
    for model in apps.get_models():
        if model._meta.label_lower in BOOKKEEPING | DERIVED:
            continue
        for row in model._default_manager.order_by("pk").values_list():
            digest.update(repr(row).encode())
    return digest.hexdigest()


@pytest.mark.parametrize("route", web_routes(), ids=lambda route: route.name)
def test_every_route_sends_the_security_headers_and_get_changes_nothing(route, cast, request):
    demo_mode_for(route, request)
    url = url_for(route, cast)
    client = client_for(route, cast)
    before = database_fingerprint()
    response = client.get(url)
    assert response.status_code in {200, 302, 405}, response.status_code
    assert_hygienic(response, cacheable=route.name in PUBLICLY_CACHEABLE_ROUTES and response.status_code == 200)
    assert database_fingerprint() == before, f"GET {url} changed the database"


@pytest.mark.parametrize("route", web_routes(), ids=lambda route: route.name)
def test_every_post_without_csrf_token_is_refused(route, cast, request):
    demo_mode_for(route, request)
    url = url_for(route, cast)
    client = client_for(route, cast, enforce_csrf_checks=True)
    before = database_fingerprint()
    response = client.post(url, {"anything": "x"})
    assert response.status_code in {403, 405}, f"POST {url} without a CSRF token answered {response.status_code}"
    assert database_fingerprint() == before


def test_static_files_are_served_locally_with_nosniff(client):
    response = client.get("/static/salama/salama.css")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"


def test_hsts_and_host_prefixed_secure_cookies_in_production(cast, settings):
    settings.SECURE_HSTS_SECONDS = 63072000
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME = "__Host-salama_session", "__Host-salama_csrf"
    client = Client()
    response = client.get("/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=63072000")
    csrf = response.cookies["__Host-salama_csrf"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Strict" and csrf["path"] == "/"
    assert not csrf["domain"]
    sign_in(client, cast.a_admin)
    session = client.cookies["__Host-salama_session"]
    assert session["path"] == "/" and not session["domain"]
