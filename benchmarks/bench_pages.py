"""Latency of the foundation's pages and API, in-process on SQLite with the test cast."""

from __future__ import annotations

import statistics
import time

from django.test import Client

REQUESTS = 300


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed(fetch) -> dict[str, float]:  # type: ignore[no-untyped-def]
    fetch()  # warm-up
    samples = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        fetch()
        samples.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": round(statistics.median(samples), 2), "p95_ms": round(percentile(samples, 0.95), 2)}


def run() -> dict[str, float]:
    from salama.core.testing import bearer, make_cast, sign_in

    cast = make_cast()
    browser = sign_in(Client(), cast.a_admin)
    anonymous = Client()
    api = Client()
    figures: dict[str, float] = {}
    for name, fetch in {
        "healthz": lambda: anonymous.get("/healthz"),
        "members_page": lambda: browser.get("/o/org-a/members/"),
        "security_page": lambda: browser.get("/account/"),
        "api_memberships": lambda: api.get(
            "/api/v1/organizations/org-a/memberships",
            headers={"Authorization": bearer(cast.tokens["a_admin"])["HTTP_AUTHORIZATION"]},
        ),
    }.items():
        for key, value in timed(fetch).items():
            figures[f"{name}_{key}"] = value
    return figures
