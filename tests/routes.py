"""Every route of the web UI and the API, found from the URL resolver and the OpenAPI document,
with sample arguments to reach each. Used by the route x role matrix and the header crawl."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from salama.core.testing import Cast

API_NAMESPACE = "api-1"


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    params: tuple[str, ...]


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = (
                f"{namespace}:{entry.namespace}" if namespace and entry.namespace else (entry.namespace or namespace)
            )
            yield from _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield namespace, entry


def web_routes() -> list[Route]:
    """Every named web route (the API is covered through its OpenAPI document)."""
    routes: dict[str, Route] = {}
    for namespace, pattern in _walk(get_resolver().url_patterns):
        if namespace.startswith(API_NAMESPACE):
            continue
        if not pattern.name:
            raise AssertionError(f"route {pattern.pattern} has no name, so it can have no policy")
        name = f"{namespace}:{pattern.name}" if namespace else pattern.name
        params = tuple(re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern)))
        routes[name] = Route(name, params)
    return sorted(routes.values(), key=lambda route: route.name)


def _invitation(cast: Cast) -> Any:
    from salama.orgs.actions import do_invite

    return do_invite(cast.membership("a_admin"), "invitee@example.org", "viewer")


def _vocabulary(cast: Cast) -> str:
    from salama.vocab.actions import load_default_vocabularies

    load_default_vocabularies()  # idempotent: each call after the first changes nothing
    return "violation-types"


def _defender(cast: Cast) -> Any:
    """One sample defender in org A, shared by every parameter that hangs off it."""
    from salama.defenders.actions import do_create_defender
    from salama.defenders.models import Defender

    existing = Defender.objects.filter(organization=cast.org_a, public_name="Sample defender").first()
    if existing is not None:
        return existing
    return do_create_defender(cast.membership("a_admin"), public_name="Sample defender", phone="+57 300 000 0000")


def _consent(cast: Cast) -> Any:
    from datetime import date

    from salama.defenders.actions import do_record_consent

    return do_record_consent(cast.membership("a_admin"), _defender(cast), scope="publish", given_on=date(2024, 5, 1))


def _trusted_contact(cast: Cast) -> Any:
    from salama.defenders.actions import do_add_trusted_contact

    return do_add_trusted_contact(cast.membership("a_admin"), _defender(cast), name="Sample contact")


# How to fill each URL parameter. A new parameter name fails the suite until it is added here.
SAMPLES: dict[str, Callable[[Cast], Any]] = {
    "org_slug": lambda cast: cast.org_a.slug,
    "membership_id": lambda cast: cast.membership("a_caseworker_other").pk,
    "invitation_id": lambda cast: _invitation(cast).pk,
    "token": lambda cast: _invitation(cast).link_token,
    "token_id": lambda cast: cast.a_admin.api_tokens.first().pk,
    "handle": lambda cast: "no-such-session",
    "kind": lambda cast: "totp",
    "device_id": lambda cast: 1,
    "uidb64": lambda cast: "MQ",
    "code": _vocabulary,
    "defender_id": lambda cast: _defender(cast).pk,
    "consent_id": lambda cast: _consent(cast).pk,
    "contact_id": lambda cast: _trusted_contact(cast).pk,
}


def url_for(route: Route, cast: Cast) -> str:
    kwargs = {}
    for param in route.params:
        if param == "token" and route.name.startswith("accounts:password_reset"):
            kwargs[param] = "set-password"
            continue
        if param not in SAMPLES:
            raise AssertionError(f"no sample value for URL parameter {param!r} of {route.name}: add one to SAMPLES")
        kwargs[param] = SAMPLES[param](cast)
    return reverse(route.name, kwargs=kwargs)
