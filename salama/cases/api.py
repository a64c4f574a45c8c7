"""Cases in the API. Reads carry the public fields and whether a summary is recorded; the
summary and notes' text come only from the audited `reveal_case`. Need to know as in the UI:
every handler fetches through `access_case` or `cases_for`."""

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from salama.accounts.models import User
from salama.api.errors import ERRORS
from salama.api.pagination import PageNumberPagination
from salama.api.policies import requires
from salama.core.encryption import DecryptionError
from salama.core.requests import membership_of
from salama.defenders.access import defenders_of, sector_terms

from . import actions
from .access import NOTES, SUMMARY, CaseFilters, access_case, cases_for, notes_of, tag_terms
from .models import Case, CaseNote

router = Router(tags=["cases"])


class CaseOut(Schema):
    id: UUID
    reference: str
    title: str
    status: Case.Status
    closed_reason: str
    priority: Case.Priority
    defenders: list[UUID]
    team: list[int]
    tags: list[str]
    summary_set: bool = Field(description="Whether a summary is recorded; its text only through reveal_case.")
    opened_on: date
    closed_on: date | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_defenders(obj: Case) -> list[UUID]:
        return [d.pk for d in obj.defenders.all()]

    @staticmethod
    def resolve_team(obj: Case) -> list[int]:
        return [u.pk for u in obj.team.all()]

    @staticmethod
    def resolve_tags(obj: Case) -> list[str]:
        return [t.code for t in obj.tags.all()]

    @staticmethod
    def resolve_summary_set(obj: Case) -> bool:
        # Read from the column, so nothing is decrypted to answer.
        return Case.objects.filter(pk=obj.pk).exclude(summary="").exists()


class CaseIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    # At least one is required; the action says so, after the permission check.
    defenders: list[UUID] = Field(default_factory=list, max_length=100)
    summary: str = Field("", max_length=20_000)
    priority: Case.Priority = Case.Priority.NORMAL
    tags: list[str] = Field(
        default_factory=list, max_length=50, description="Codes from the violation-types vocabulary."
    )


class CasePatch(Schema):
    """Only the fields sent are changed."""

    title: str = Field("", min_length=1, max_length=200)
    defenders: list[UUID] = Field(default_factory=list, min_length=1, max_length=100)
    summary: str = Field("", max_length=20_000)
    priority: Case.Priority = Case.Priority.NORMAL
    tags: list[str] = Field(default_factory=list, max_length=50)


class CaseFiltersIn(Schema):
    status: Case.Status | None = None
    priority: Case.Priority | None = None
    country: str = Field("", max_length=2, description="A defender's country.")
    sector: str = Field("", max_length=64, description="A defender's sector (sectors vocabulary code).")
    member: int | None = Field(None, description="Id of a team member.")
    tag: str = Field("", max_length=64, description="A code from the violation-types vocabulary.")
    opened_from: date | None = None
    opened_to: date | None = None
    sort: Literal["opened", "-opened", "priority", "-priority", "status", "-status"] = "-opened"


class CaseStatusIn(Schema):
    status: Case.Status
    closed_reason: Case.ClosedReason | Literal[""] = ""


class TeamIn(Schema):
    user: int = Field(description="Id of a member of the organisation.")


class NoteOut(Schema):
    id: UUID
    author: str | None = Field(None, alias="author.email")
    created_at: datetime


class NoteIn(Schema):
    text: str = Field(min_length=1, max_length=20_000)


RevealName = Literal["summary", "notes"]


class CaseRevealIn(Schema):
    fields: list[RevealName] = Field(
        default_factory=lambda: list[RevealName](["summary", "notes"]),
        min_length=1,
        description="What to reveal; both by default.",
    )


class CaseRevealOut(Schema):
    summary: str | None = None
    notes: dict[str, str] | None = None


def _case(request: HttpRequest, case_id: UUID) -> Case:
    return access_case(request.user, membership_of(request).organization, case_id)


def _fields(request: HttpRequest, payload: Schema, *, partial: bool = False) -> dict[str, Any]:
    data = payload.dict(exclude_unset=partial)
    if "defenders" in data:
        ids = set(data["defenders"])
        found = list(defenders_of(membership_of(request)).filter(pk__in=ids))
        if len(found) != len(ids):
            raise ValidationError({"defenders": [_("Choose defenders of your own organisation.")]})
        data["defenders"] = found
    if "tags" in data:
        codes = set(data["tags"])
        terms = list(tag_terms().filter(code__in=codes))
        if len(terms) != len(codes):
            raise ValidationError({"tags": [_("Unknown tag code.")]})
        data["tags"] = terms
    return data


def _member(request: HttpRequest, user_id: int) -> User:
    user = User.objects.filter(pk=user_id, memberships__organization=membership_of(request).organization).first()
    if user is None:
        raise ValidationError({"user": [_("Only members of the organisation can be on a case team.")]})
    return user


@router.get("/organizations/{org_slug}/cases", response={200: list[CaseOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("cases.view")
def list_cases(request: HttpRequest, org_slug: str, filters: Query[CaseFiltersIn]):  # type: ignore[no-untyped-def]
    me = membership_of(request)
    sector = sector_terms().filter(code=filters.sector).first() if filters.sector else None
    tag = tag_terms().filter(code=filters.tag).first() if filters.tag else None
    member = User.objects.filter(pk=filters.member).first() if filters.member else None
    if (filters.sector and sector is None) or (filters.tag and tag is None) or (filters.member and member is None):
        return cases_for(me).none()
    return cases_for(
        me,
        CaseFilters(
            status=filters.status or "",
            priority=filters.priority or "",
            country=filters.country.upper(),
            sector=sector,
            member=member,
            tag=tag,
            opened_from=filters.opened_from,
            opened_to=filters.opened_to,
            sort=filters.sort,
        ),
    )


@router.get("/organizations/{org_slug}/cases/{case_id}", response={200: CaseOut, **ERRORS})
@requires("cases.view")
def get_case(request: HttpRequest, org_slug: str, case_id: UUID):  # type: ignore[no-untyped-def]
    case = _case(request, case_id)
    actions.do_note_view(membership_of(request), case)
    return case


@router.post("/organizations/{org_slug}/cases", response={201: CaseOut, **ERRORS})
@requires("cases.edit")
def create_case(request: HttpRequest, org_slug: str, payload: CaseIn):  # type: ignore[no-untyped-def]
    case = actions.do_open_case(membership_of(request), **_fields(request, payload))
    return Status(201, _case(request, case.pk))


@router.patch("/organizations/{org_slug}/cases/{case_id}", response={200: CaseOut, **ERRORS})
@requires("cases.edit")
def update_case(request: HttpRequest, org_slug: str, case_id: UUID, payload: CasePatch):  # type: ignore[no-untyped-def]
    case = _case(request, case_id)
    actions.do_update_case(membership_of(request), case, **_fields(request, payload, partial=True))
    return _case(request, case_id)


@router.post("/organizations/{org_slug}/cases/{case_id}/status", response={200: CaseOut, **ERRORS})
@requires("cases.edit")
def change_case_status(request: HttpRequest, org_slug: str, case_id: UUID, payload: CaseStatusIn):  # type: ignore[no-untyped-def]
    case = _case(request, case_id)
    actions.do_change_status(membership_of(request), case, payload.status, payload.closed_reason)
    return _case(request, case_id)


@router.post("/organizations/{org_slug}/cases/{case_id}/team", response={200: CaseOut, **ERRORS})
@requires("cases.manage_team")
def add_case_team_member(request: HttpRequest, org_slug: str, case_id: UUID, payload: TeamIn):  # type: ignore[no-untyped-def]
    case = _case(request, case_id)
    actions.do_add_team_member(membership_of(request), case, _member(request, payload.user))
    return _case(request, case_id)


@router.delete("/organizations/{org_slug}/cases/{case_id}/team/{user_id}", response={200: CaseOut, **ERRORS})
@requires("cases.manage_team")
def remove_case_team_member(request: HttpRequest, org_slug: str, case_id: UUID, user_id: int):  # type: ignore[no-untyped-def]
    case = _case(request, case_id)
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise ValidationError({"user": [_("This person is not on the case team.")]})
    actions.do_remove_team_member(membership_of(request), case, user)
    return _case(request, case_id)


@router.get("/organizations/{org_slug}/cases/{case_id}/notes", response={200: list[NoteOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("cases.view")
def list_case_notes(request: HttpRequest, org_slug: str, case_id: UUID):  # type: ignore[no-untyped-def]
    return notes_of(_case(request, case_id))


@router.post("/organizations/{org_slug}/cases/{case_id}/notes", response={201: NoteOut, **ERRORS})
@requires("cases.edit")
def add_case_note(request: HttpRequest, org_slug: str, case_id: UUID, payload: NoteIn):  # type: ignore[no-untyped-def]
    note: CaseNote = actions.do_add_note(membership_of(request), _case(request, case_id), payload.text)
    return Status(201, note)


@router.post("/organizations/{org_slug}/cases/{case_id}/reveal", response={200: CaseRevealOut, **ERRORS})
@requires("cases.reveal")
def reveal_case(request: HttpRequest, org_slug: str, case_id: UUID, payload: CaseRevealIn):  # type: ignore[no-untyped-def]
    """Audited: the entry names what was revealed, never the values."""
    case = _case(request, case_id)
    names = actions.do_reveal(membership_of(request), case, payload.fields)
    try:
        out: dict[str, Any] = {}
        if SUMMARY in names:
            out[SUMMARY] = case.summary
        if NOTES in names:
            out[NOTES] = {str(note.pk): note.text for note in notes_of(case)}
        return out
    except DecryptionError:
        actions.do_note_decryption_failure(membership_of(request), case, names)
        raise HttpError(409, _("This record cannot be decrypted.")) from None


@router.delete("/organizations/{org_slug}/cases/{case_id}", response={204: None, **ERRORS})
@requires("cases.delete")
def delete_case(request: HttpRequest, org_slug: str, case_id: UUID):  # type: ignore[no-untyped-def]
    actions.do_delete_case(membership_of(request), _case(request, case_id))
    return Status(204, None)
