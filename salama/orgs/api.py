from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import EmailStr

from salama.api.errors import ERRORS
from salama.api.pagination import PageNumberPagination
from salama.api.policies import requires
from salama.core.permissions import Role

from . import actions
from .access import access_membership, members_of, open_invitations_of
from .tasks import invitation_link

router = Router(tags=["organizations"])


class OrganizationOut(Schema):
    slug: str
    name: str
    kind: str
    country: str
    region: str
    languages: list[str]
    description: str

    @staticmethod
    def resolve_country(obj) -> str:  # type: ignore[no-untyped-def]
        return str(obj.country.code or "")


class MemberOut(Schema):
    id: int
    user_id: int
    display_name: str = Field(..., alias="user.display_name")
    email: str = Field(..., alias="user.email")
    role: Role
    created_at: datetime


class RoleIn(Schema):
    role: Role


class InvitationIn(Schema):
    email: EmailStr
    role: Role


class InvitationOut(Schema):
    id: int
    email: str
    role: Role
    expires_at: datetime


class NewInvitationOut(InvitationOut):
    link: str


def _org(request: HttpRequest):  # type: ignore[no-untyped-def]
    return request.membership.organization  # type: ignore[attr-defined]


@router.get("/organizations", response={200: list[OrganizationOut], **ERRORS}, summary="The token's organisation")
@requires(None)
def list_organizations(request: HttpRequest) -> list:
    return [_org(request)]


@router.get("/organizations/{org_slug}", response={200: OrganizationOut, **ERRORS})
@requires("org.view")
def get_organization(request: HttpRequest, org_slug: str):  # type: ignore[no-untyped-def]
    return _org(request)


@router.get("/organizations/{org_slug}/memberships", response={200: list[MemberOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("members.view")
def list_memberships(request: HttpRequest, org_slug: str):  # type: ignore[no-untyped-def]
    return members_of(_org(request))


@router.get("/organizations/{org_slug}/memberships/{membership_id}", response={200: MemberOut, **ERRORS})
@requires("members.view")
def get_membership(request: HttpRequest, org_slug: str, membership_id: int):  # type: ignore[no-untyped-def]
    return access_membership(_org(request), membership_id)


@router.patch("/organizations/{org_slug}/memberships/{membership_id}", response={200: MemberOut, **ERRORS})
@requires("members.manage")
def update_membership(request: HttpRequest, org_slug: str, membership_id: int, payload: RoleIn):  # type: ignore[no-untyped-def]
    membership = access_membership(_org(request), membership_id)
    return actions.do_change_role(request.membership, membership, payload.role)  # type: ignore[attr-defined]


@router.delete("/organizations/{org_slug}/memberships/{membership_id}", response={204: None, **ERRORS})
@requires("members.manage")
def delete_membership(request: HttpRequest, org_slug: str, membership_id: int):  # type: ignore[no-untyped-def]
    membership = access_membership(_org(request), membership_id)
    actions.do_remove_member(request.membership, membership)  # type: ignore[attr-defined]
    return Status(204, None)


@router.get("/organizations/{org_slug}/invitations", response={200: list[InvitationOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("members.manage")
def list_invitations(request: HttpRequest, org_slug: str):  # type: ignore[no-untyped-def]
    return open_invitations_of(_org(request))


@router.post("/organizations/{org_slug}/invitations", response={201: NewInvitationOut, **ERRORS})
@requires("members.manage")
def create_invitation(request: HttpRequest, org_slug: str, payload: InvitationIn):  # type: ignore[no-untyped-def]
    invitation = actions.do_invite(request.membership, payload.email, payload.role)  # type: ignore[attr-defined]
    return Status(
        201,
        {
            "id": invitation.pk,
            "email": invitation.email,
            "role": invitation.role,
            "expires_at": invitation.expires_at,
            "link": invitation_link(invitation),
        },
    )
