from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from salama.api.errors import ERRORS
from salama.api.policies import requires
from salama.orgs.access import memberships_of

router = Router(tags=["account"])


class MembershipOut(Schema):
    organization: str
    organization_name: str
    role: str


class MeOut(Schema):
    id: int
    email: str
    display_name: str
    language: str
    organization: str
    token_expires_at: datetime
    memberships: list[MembershipOut]


@router.get("/me", response={200: MeOut, **ERRORS}, summary="The signed-in person and the token's organisation")
@requires(None)
def get_me(request: HttpRequest) -> dict:
    token = request.auth  # type: ignore[attr-defined]
    user = token.user
    return {
        "id": user.pk,
        "email": user.email,
        "display_name": user.display_name,
        "language": user.language,
        "organization": token.organization.slug,
        "token_expires_at": token.expires_at,
        "memberships": [
            {"organization": m.organization.slug, "organization_name": m.organization.name, "role": m.role}
            for m in memberships_of(user)
        ],
    }
