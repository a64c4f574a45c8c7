"""Joint statements in the API, through the same access rules and actions as the pages.

A statement reads the same for every organisation that may see it (text, status, signatories),
except for what only the drafting organisation may know: the invitations and their answers,
the linked case (and then only through the case's need to know) and the defenders named.
Workflow refusals (consent, status, deadline, not invited) are 400s with the reason; 403 means
the role lacks the permission; a statement the organisation may not see is 404.
"""

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from salama.api.errors import ERRORS
from salama.api.pagination import PageNumberPagination
from salama.api.policies import requires
from salama.cases.access import visible_cases
from salama.core.requests import membership_of
from salama.defenders.access import visible_defenders
from salama.orgs.models import Organization

from . import actions
from .access import (
    access_statement,
    invitations_of,
    is_drafter,
    linked_case,
    others_statements,
    own_statements,
    signatures_of,
    texts_of,
)
from .models import JointStatement

router = Router(tags=["statements"])
Language = Literal["en", "es", "fr", "ar"]
# Literals, not the models' choice classes: their names would collide with other apps' schemas.
StatementStatus = Literal["draft", "open", "closed", "published", "withdrawn"]
InvitationStatus = Literal["invited", "signed", "declined"]
BASE = "/organizations/{org_slug}/statements"
ONE = BASE + "/{statement_id}"


class StatementTextIn(Schema):
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=60_000)


class StatementTextOut(StatementTextIn):
    language: str


class SignatoryOut(Schema):
    organization: str = Field(description="The signing organisation's short name (slug).")
    display_name: str
    signed_at: datetime
    current: bool = Field(description="False: signed an earlier version of the text and not confirmed since.")


class StatementInvitationOut(Schema):
    organization: str
    status: InvitationStatus
    invited_at: datetime
    answered_at: datetime | None


class StatementOut(Schema):
    id: UUID
    organization: str = Field(description="The drafting organisation's short name (slug).")
    title: str
    default_language: str
    status: StatementStatus
    open_to_network: bool
    signature_deadline: datetime | None
    public_page: bool
    published_on: date | None
    published_url: str
    languages: list[str]
    signatories: list[SignatoryOut] = Field(description="Drafter first, then alphabetically by display name.")
    case: UUID | None = Field(None, description="The drafting organisation's members only, through need to know.")
    names_defenders: list[UUID] = Field(default_factory=list, description="The drafting organisation only.")
    invitations: list[StatementInvitationOut] = Field(
        default_factory=list, description="The drafting organisation only."
    )
    created_at: datetime


class StatementDetailOut(StatementOut):
    texts: list[StatementTextOut]


class StatementIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    default_language: Language = "en"
    open_to_network: bool = False
    case: UUID | None = None
    names_defenders: list[UUID] = Field(default_factory=list, max_length=50)


class OpenIn(Schema):
    signature_deadline: datetime | None = None
    display_name: str = Field("", max_length=200)


class InviteIn(Schema):
    organizations: list[str] = Field(min_length=1, max_length=200, description="Short names (slugs).")


class SignIn(Schema):
    display_name: str = Field("", max_length=200, description="Empty: the organisation's name.")


class StatementPublishIn(Schema):
    public_page: bool = False
    published_on: date | None = None
    published_url: str = Field("", max_length=200)


def _out(request: HttpRequest, statement: JointStatement) -> dict[str, Any]:
    me = membership_of(request)
    drafter = is_drafter(me, statement)
    case = linked_case(me, statement)
    return {
        "id": statement.pk,
        "organization": statement.organization.slug,
        **{name: getattr(statement, name) for name in ("title", "default_language", "status", "open_to_network")},
        **{name: getattr(statement, name) for name in ("signature_deadline", "public_page", "published_on")},
        "published_url": statement.published_url,
        "languages": list(texts_of(statement).values_list("language", flat=True)),
        "signatories": [
            {
                "organization": signature.organization.slug,
                "display_name": signature.display_name,
                "signed_at": signature.signed_at,
                "current": signature.current,
            }
            for signature in signatures_of(statement)
        ],
        "case": case.pk if case else None,
        "names_defenders": list(statement.names_defenders.values_list("pk", flat=True)) if drafter else [],
        "invitations": [
            {
                "organization": invitation.organization.slug,
                "status": invitation.status,
                "invited_at": invitation.invited_at,
                "answered_at": invitation.answered_at,
            }
            for invitation in invitations_of(me, statement)
        ],
        "created_at": statement.created_at,
    }


def _detail(request: HttpRequest, statement_id: UUID) -> dict[str, Any]:
    statement = access_statement(membership_of(request), statement_id)
    texts = [{"language": t.language, "title": t.title, "body": t.body} for t in texts_of(statement)]
    return {**_out(request, statement), "texts": texts}


def _settings(request: HttpRequest, payload: StatementIn) -> dict[str, Any]:
    data = payload.dict()
    me = membership_of(request)
    if data.get("case") is not None:
        case = visible_cases(me).filter(pk=data["case"]).first()
        if case is None:
            raise ValidationError({"case": [_("Choose a case you can see.")]})
        data["case"] = case
    named = list(visible_defenders(me).filter(pk__in=set(data["names_defenders"])))
    if len(named) != len(set(data["names_defenders"])):
        raise ValidationError({"names_defenders": [_("Choose defenders of your own organisation that you can see.")]})
    data["names_defenders"] = named
    return data


@router.get(BASE, response={200: list[StatementOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("statements.view")
def list_statements(  # type: ignore[no-untyped-def]
    request: HttpRequest, org_slug: str, box: Literal["ours", "to_sign"] = "ours"
):
    """`ours`: the statements this organisation drafted; `to_sign`: other organisations'
    statements it was invited to, has signed, or that are open to the whole network."""
    me = membership_of(request)
    statements = own_statements(me) if box == "ours" else others_statements(me)
    return [_out(request, statement) for statement in statements.select_related("organization")]


@router.post(BASE, response={201: StatementDetailOut, **ERRORS})
@requires("statements.edit")
def create_statement(request: HttpRequest, org_slug: str, payload: StatementIn):  # type: ignore[no-untyped-def]
    statement = actions.do_create_statement(membership_of(request), **_settings(request, payload))
    return Status(201, _detail(request, statement.pk))


@router.get(ONE, response={200: StatementDetailOut, **ERRORS})
@requires("statements.view")
def get_statement(request: HttpRequest, org_slug: str, statement_id: UUID):  # type: ignore[no-untyped-def]
    return _detail(request, statement_id)


@router.put(ONE + "/texts/{language}", response={200: StatementDetailOut, **ERRORS})
@requires("statements.edit")
def put_statement_text(  # type: ignore[no-untyped-def]
    request: HttpRequest, org_slug: str, statement_id: UUID, language: Language, payload: StatementTextIn
):
    """Create or replace the text in one language. After signatures, other signers are asked to
    confirm on the new text, and count only once they do."""
    statement = access_statement(membership_of(request), statement_id)
    actions.do_save_text(membership_of(request), statement, language, title=payload.title, body=payload.body)
    return _detail(request, statement_id)


@router.post(ONE + "/invitations", response={200: StatementDetailOut, **ERRORS})
@requires("statements.sign")
def invite_to_statement(  # type: ignore[no-untyped-def]
    request: HttpRequest, org_slug: str, statement_id: UUID, payload: InviteIn
):
    statement = access_statement(membership_of(request), statement_id)
    slugs = set(payload.organizations)
    organizations = list(Organization.objects.filter(slug__in=slugs))
    if len(organizations) != len(slugs):
        raise ValidationError({"organizations": [_("Choose organisations of the network by their short name.")]})
    actions.do_invite(membership_of(request), statement, organizations)
    return _detail(request, statement_id)


@router.post(ONE + "/open", response={200: StatementDetailOut, **ERRORS})
@requires("statements.sign")
def open_statement(request: HttpRequest, org_slug: str, statement_id: UUID, payload: OpenIn):  # type: ignore[no-untyped-def]
    """Open for signatures: the drafting organisation signs first, the invited ones are told.
    Refused with the reason when a named defender has not consented to be named publicly."""
    statement = access_statement(membership_of(request), statement_id)
    actions.do_open(membership_of(request), statement, **payload.dict())
    return _detail(request, statement_id)


@router.post(ONE + "/sign", response={200: StatementDetailOut, **ERRORS})
@requires("statements.sign")
def sign_statement(request: HttpRequest, org_slug: str, statement_id: UUID, payload: SignIn):  # type: ignore[no-untyped-def]
    """Sign for the organisation, or confirm a signature given on an earlier version."""
    statement = access_statement(membership_of(request), statement_id)
    actions.do_sign(membership_of(request), statement, display_name=payload.display_name)
    return _detail(request, statement_id)


@router.post(ONE + "/decline", response={200: StatementDetailOut, **ERRORS})
@requires("statements.sign")
def decline_statement(request: HttpRequest, org_slug: str, statement_id: UUID):  # type: ignore[no-untyped-def]
    statement = access_statement(membership_of(request), statement_id)
    actions.do_decline(membership_of(request), statement)
    return _detail(request, statement_id)


@router.post(ONE + "/close", response={200: StatementDetailOut, **ERRORS})
@requires("statements.sign")
def close_statement(request: HttpRequest, org_slug: str, statement_id: UUID):  # type: ignore[no-untyped-def]
    statement = access_statement(membership_of(request), statement_id)
    actions.do_close(membership_of(request), statement)
    return _detail(request, statement_id)


@router.post(ONE + "/publish", response={200: StatementDetailOut, **ERRORS})
@requires("statements.sign")
def publish_statement(  # type: ignore[no-untyped-def]
    request: HttpRequest, org_slug: str, statement_id: UUID, payload: StatementPublishIn
):
    """Publish with the signatories on the current text; `public_page` also shows it at
    /statements/{id}/ without sign-in."""
    statement = access_statement(membership_of(request), statement_id)
    if payload.published_url and not payload.published_url.startswith(("https://", "http://")):
        raise ValidationError({"published_url": [_("Enter a web address (https://...).")]})
    actions.do_publish(membership_of(request), statement, **payload.dict())
    return _detail(request, statement_id)
