"""Who is asking, and in which organisation: what `OrganizationMiddleware` (pages) and the API's
token check (`salama.api.auth`) found for the request, read in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from salama.orgs.models import Membership, Organization


def membership_of(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def organization_of(request: HttpRequest) -> Organization:
    return request.org  # type: ignore[attr-defined,no-any-return]
