"""Sharing in the API: the sharing organisation lists, creates and revokes a case's grants; the
partner lists and reads the cases shared with it (public fields only; reveals stay in the UI)."""

from datetime import datetime
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from salama.accounts.models import User
from salama.api.errors import ERRORS
from salama.api.pagination import PageNumberPagination
from salama.api.policies import requires
from salama.cases.access import access_case, access_shared_case, shared_cases
from salama.cases.models import Case
from salama.core.requests import membership_of
from salama.orgs.models import Organization

from . import actions
from .access import access_grant, grants_of
from .models import VIEW, Scope, SharingGrant

router = Router(tags=["sharing"])


class GrantOut(Schema):
    id: int
    partner: str = Field(alias="to_organization.slug")
    scope: Scope
    purpose: str
    expires_at: datetime
    created_at: datetime
    revoked_at: datetime | None
    recipients: list[int]
    active: bool = Field(description="Neither revoked nor expired; consent is also checked on every read.")

    @staticmethod
    def resolve_recipients(obj: SharingGrant) -> list[int]:
        return [u.pk for u in obj.recipients.all()]

    @staticmethod
    def resolve_active(obj: SharingGrant) -> bool:
        return obj.is_active


class GrantIn(Schema):
    partner: str = Field(min_length=1, max_length=100, description="Short name (slug) of the partner organisation.")
    scope: Scope
    purpose: str = Field(
        min_length=1, max_length=1000, description="Seen by both organisations and not encrypted: nothing sensitive."
    )
    expires_at: datetime = Field(description="At most 365 days ahead.")
    recipients: list[int] = Field(
        default_factory=list, max_length=100, description="Other partner members, besides its admins and coordinators."
    )


class DefenderPublicOut(Schema):
    id: UUID
    public_name: str
    kind: str
    gender: str
    country: str
    region: str

    @staticmethod
    def resolve_country(obj: object) -> str:
        return str(getattr(obj, "country", "") or "")


class SharedCaseOut(Schema):
    id: UUID
    reference: str
    title: str
    status: Case.Status
    priority: Case.Priority
    shared_by: str = Field(alias="organization.slug")
    defenders: list[DefenderPublicOut]

    @staticmethod
    def resolve_defenders(obj: Case) -> list[object]:
        return list(obj.defenders.all().order_by("public_name"))


def _case(request: HttpRequest, case_id: UUID) -> Case:
    return access_case(request.user, membership_of(request).organization, case_id)


@router.get("/organizations/{org_slug}/cases/{case_id}/grants", response={200: list[GrantOut], **ERRORS})
@requires("cases.share")
def list_case_grants(request: HttpRequest, org_slug: str, case_id: UUID):  # type: ignore[no-untyped-def]
    return list(grants_of(_case(request, case_id)).prefetch_related("recipients"))


@router.post("/organizations/{org_slug}/cases/{case_id}/grants", response={201: GrantOut, **ERRORS})
@requires("cases.share")
def create_case_grant(request: HttpRequest, org_slug: str, case_id: UUID, payload: GrantIn):  # type: ignore[no-untyped-def]
    case = _case(request, case_id)
    partner = Organization.objects.filter(slug=payload.partner).first()
    if partner is None:
        raise ValidationError({"partner": [_("No organisation has this short name.")]})
    recipients = list(User.objects.filter(pk__in=set(payload.recipients)))
    if len(recipients) != len(set(payload.recipients)):
        raise ValidationError({"recipients": [_("Recipients must be members of the partner organisation.")]})
    grant = actions.do_share_case(
        membership_of(request),
        case,
        to_organization=partner,
        scope=payload.scope,
        purpose=payload.purpose,
        expires_at=payload.expires_at,
        recipients=recipients,
    )
    return Status(201, grant)


@router.delete("/organizations/{org_slug}/cases/{case_id}/grants/{grant_id}", response={200: GrantOut, **ERRORS})
@requires("cases.share")
def revoke_case_grant(request: HttpRequest, org_slug: str, case_id: UUID, grant_id: int):  # type: ignore[no-untyped-def]
    """Revokes the grant (kept on record, not deleted): the partner loses access at once."""
    grant = access_grant(_case(request, case_id), grant_id)
    return actions.do_revoke_grant(membership_of(request), grant)


@router.get("/organizations/{org_slug}/shared-cases", response={200: list[SharedCaseOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("cases.view")
def list_shared_cases(request: HttpRequest, org_slug: str):  # type: ignore[no-untyped-def]
    """Cases other organisations share with this one, while a grant is in effect."""
    return shared_cases(membership_of(request)).prefetch_related("defenders")


@router.get("/organizations/{org_slug}/shared-cases/{case_id}", response={200: SharedCaseOut, **ERRORS})
@requires("cases.view")
def get_shared_case(request: HttpRequest, org_slug: str, case_id: UUID):  # type: ignore[no-untyped-def]
    case, grants = access_shared_case(request.user, membership_of(request).organization, case_id, VIEW)
    actions.do_note_shared_view(membership_of(request), grants[0])
    return case
