from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from salama.accounts.access import authenticate_token
from salama.orgs.models import Membership


class BearerToken(HttpBearer):
    """The API's only credential: session cookies are never read."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = authenticate_token(token)
        if api_token is None:
            return None
        membership = Membership.objects.filter(user=api_token.user, organization=api_token.organization).first()
        if membership is None:
            return None
        request.user = api_token.user
        request.membership = membership  # type: ignore[attr-defined]
        return api_token
