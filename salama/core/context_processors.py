from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the page frame needs: the person's organisations and the one in use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_verified():
        return {"signed_in": False}
    from salama.orgs.access import memberships_of

    return {
        "signed_in": True,
        "shell_memberships": memberships_of(user),
        "current_org": getattr(request, "org", None),
        "current_membership": getattr(request, "membership", None),
    }
