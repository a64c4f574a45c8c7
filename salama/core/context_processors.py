from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the page frame needs: the person's organisations and the one in use."""
    from salama.accounts.access import is_fully_signed_in
    from salama.orgs.access import memberships_of

    user = getattr(request, "user", None)
    if user is None or not is_fully_signed_in(user):
        return {"signed_in": False}

    return {
        "signed_in": True,
        "shell_memberships": memberships_of(user),
        "current_org": getattr(request, "org", None),
        "current_membership": getattr(request, "membership", None),
        "demo_mode": settings.DEMO_MODE and not settings.PRODUCTION,
    }
