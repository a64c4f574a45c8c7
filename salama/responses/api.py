"""Responses, lessons and the donor report in the API.

Reads carry public values and which protected details are recorded; protected values come only
from the audited `reveal_response`. Need to know as in the UI: every handler fetches through
`access_case`, `access_response` or `responses_for`. Details and steps are validated by the
same forms as the pages, so the rules cannot drift apart.
"""

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import ConfigDict

from salama.accounts.models import User
from salama.api.errors import ERRORS
from salama.api.pagination import PageNumberPagination
from salama.api.policies import requires
from salama.cases.access import access_case
from salama.core.encryption import DecryptionError
from salama.core.requests import membership_of
from salama.directory.models import ProtectionActor
from salama.referrals.models import Referral

from . import actions
from .access import LessonFilters, ResponseFilters, access_response, lessons_for, responses_for, steps_of
from .donor import donor_report
from .forms import DETAIL_FORMS, StepForm
from .models import DETAIL_MODELS, Kind, Lesson, Outcome, Response, ResponseStep

router = Router(tags=["responses"])


class ResponseStepOut(Schema):
    id: UUID
    kind: str
    occurred_on: date
    counterpart: str
    country: str
    amount: Decimal | None
    method: str
    observers: str
    result: str
    notes_set: bool

    @staticmethod
    def resolve_country(obj: ResponseStep) -> str:
        return str(obj.country or "")

    @staticmethod
    def resolve_notes_set(obj: ResponseStep) -> bool:
        return ResponseStep.objects.filter(pk=obj.pk).exclude(notes="").exists()


class ResponseOut(Schema):
    id: UUID
    case: UUID
    kind: Kind
    status: Response.ResponseStatus
    outcome: str
    owner: int | None
    defenders: list[UUID]
    started_on: date | None
    ended_on: date | None
    cost_amount: Decimal | None
    cost_currency: str
    actor: str | None = Field(None, description="Slug of the protection actor.")
    referral: UUID | None
    details: dict[str, Any] = Field(description="Public details of the kind; ids for linked records.")
    protected_recorded: list[str] = Field(description="Protected details that hold a value; see reveal_response.")
    steps: list[ResponseStepOut]
    lesson: int | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_case(obj: Response) -> UUID:
        return obj.case_id  # type: ignore[return-value]

    @staticmethod
    def resolve_owner(obj: Response) -> int | None:
        return obj.owner_id

    @staticmethod
    def resolve_defenders(obj: Response) -> list[UUID]:
        return [d.pk for d in obj.defenders.all()]

    @staticmethod
    def resolve_actor(obj: Response) -> str | None:
        return obj.actor.slug if obj.actor is not None else None

    @staticmethod
    def resolve_referral(obj: Response) -> UUID | None:
        return obj.referral_id  # type: ignore[return-value]

    @staticmethod
    def resolve_details(obj: Response) -> dict[str, Any]:
        detail = actions.detail_of(obj)
        model = DETAIL_MODELS[obj.kind]
        encrypted = set(actions.encrypted_field_names(model))
        out: dict[str, Any] = {}
        for name in actions.detail_field_names(model):
            if name in encrypted:
                continue
            field: Any = model._meta.get_field(name)
            value = getattr(detail, field.attname)
            out[name] = value if value is None or isinstance(value, bool | int) else str(value)
        return out

    @staticmethod
    def resolve_protected_recorded(obj: Response) -> list[str]:
        detail = actions.detail_of(obj)
        names = []
        if not detail._state.adding:
            stored = (
                type(detail)._default_manager.filter(pk=detail.pk).values(*actions.encrypted_field_names(type(detail)))
            )
            row = stored[0] if stored else {}
            names = [name for name, value in row.items() if value]
        if Response.objects.filter(pk=obj.pk).exclude(outcome_notes="").exists():
            names.append("outcome_notes")
        return sorted(names)

    @staticmethod
    def resolve_steps(obj: Response) -> list[ResponseStep]:
        return list(steps_of(obj))

    @staticmethod
    def resolve_lesson(obj: Response) -> int | None:
        return Lesson.objects.filter(response=obj).values_list("pk", flat=True).first()


class ResponseIn(Schema):
    kind: Kind
    status: Literal["planned", "active"] = "planned"
    defenders: list[UUID] = Field(default_factory=list, max_length=100, description="None: every defender of the case.")
    owner: int | None = Field(None, description="Id of a member; the caller by default.")
    started_on: date | None = None
    ended_on: date | None = None
    cost_amount: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    cost_currency: str = Field("", max_length=3)
    actor: str = Field("", max_length=80, description="Slug of a protection actor.")
    referral: UUID | None = Field(None, description="A referral of the same case.")


class ResponsePatch(Schema):
    """Only the fields sent are changed."""

    defenders: list[UUID] = Field(default_factory=list, min_length=1, max_length=100)
    owner: int | None = None
    started_on: date | None = None
    ended_on: date | None = None
    cost_amount: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    cost_currency: str = Field("", max_length=3)
    actor: str = Field("", max_length=80)
    referral: UUID | None = None


class ResponseStatusIn(Schema):
    status: Literal["planned", "active"]


class CloseIn(Schema):
    status: Literal["completed", "cancelled"]
    outcome: Outcome
    what_worked: str = Field(min_length=1, max_length=5000, description="De-identified: it may be shared.")
    what_did_not_work: str = Field(min_length=1, max_length=5000, description="De-identified: it may be shared.")
    outcome_notes: str = Field("", max_length=20_000, description="Encrypted; kept with the case.")
    ended_on: date | None = None
    share_with_network: bool = Field(False, description="Admins and coordinators only.")


class LessonOut(Schema):
    id: int
    own: bool
    organization: str
    country: str
    sectors: list[str]
    threats: list[str]
    actor: str | None
    response_kind: Kind
    outcome: Outcome
    what_worked: str
    what_did_not_work: str
    shared_with_network: bool
    year: int

    @staticmethod
    def resolve_own(obj: Lesson, context: Any) -> bool:
        return bool(obj.organization_id == context["request"].membership.organization_id)

    @staticmethod
    def resolve_organization(obj: Lesson) -> str:
        return obj.organization.name

    @staticmethod
    def resolve_country(obj: Lesson) -> str:
        return str(obj.country or "")

    @staticmethod
    def resolve_sectors(obj: Lesson) -> list[str]:
        return [t.code for t in obj.sectors.all()]

    @staticmethod
    def resolve_threats(obj: Lesson) -> list[str]:
        return [t.code for t in obj.threats.all()]

    @staticmethod
    def resolve_actor(obj: Lesson) -> str | None:
        return obj.actor.slug if obj.actor is not None else None


class LessonFiltersIn(Schema):
    q: str = Field("", max_length=200, description="Words searched in the lesson texts.")
    country: str = Field("", max_length=2)
    sector: str = Field("", max_length=64, description="A code of the sectors vocabulary.")
    threat: str = Field("", max_length=64, description="A code of the violation-types vocabulary.")
    kind: Kind | None = None
    actor: str = Field("", max_length=80, description="Slug of a protection actor.")
    own: bool = False


class ResponseFiltersIn(Schema):
    kind: Kind | None = None
    status: Response.ResponseStatus | None = None
    overdue_reports: bool = False


class ResponseRevealIn(Schema):
    fields: list[str] = Field(
        min_length=1, max_length=20, description="outcome_notes, step_notes, or names of protected details."
    )


class CellOut(Schema):
    count: int | None = Field(description="Withheld (null) when hidden.")
    hidden: bool = Field(
        description="A count under the threshold, or one that would let such a count be worked out from the totals."
    )


class RowOut(Schema):
    key: str
    cell: CellOut


class AmountOut(Schema):
    currency: str
    cell: CellOut
    total: Decimal | None


class YearRegionOut(Schema):
    year: int
    region: str
    cell: CellOut


class TimesOut(Schema):
    cell: CellOut
    median_days: float | None
    buckets: list[RowOut]


class DonorReportOut(Schema):
    is_donor: bool
    threshold: int
    total: CellOut
    amounts: list[AmountOut]
    purposes: list[RowOut]
    outcomes: list[RowOut]
    response_times: TimesOut | None
    by_year_region: list[YearRegionOut]
    shared_cases: list[UUID] = Field(description="Funded cases shared with this organisation (see the sharing API).")


class DetailsIn(Schema):
    """The fields of the response's kind (see the detail models); unknown names are ignored."""

    model_config = ConfigDict(extra="allow")
    erase: list[str] = Field(default_factory=list, description="Protected details to empty.")


class StepIn(Schema):
    kind: ResponseStep.StepKind
    occurred_on: date
    counterpart: str = Field("", max_length=200)
    country: str = Field("", max_length=2)
    amount: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    method: str = Field("", max_length=20)
    observers: str = Field("", max_length=300)
    result: str = Field("", max_length=300)
    notes: str = Field("", max_length=20_000, description="Encrypted.")


def _response(request: HttpRequest, response_id: UUID) -> Response:
    return access_response(request.user, membership_of(request).organization, response_id)


def _actor(slug: str) -> ProtectionActor | None:
    if not slug:
        return None
    actor = ProtectionActor.objects.filter(slug=slug, active=True).first()
    if actor is None:
        raise ValidationError({"actor": [_("Unknown protection actor.")]})
    return actor


def _fields(request: HttpRequest, case: Any, data: dict[str, Any]) -> dict[str, Any]:
    if "defenders" in data:
        ids = set(data["defenders"])
        found = list(case.defenders.filter(pk__in=ids))
        if len(found) != len(ids):
            raise ValidationError({"defenders": [_("Choose defenders of this case.")]})
        data["defenders"] = found
    if "owner" in data:
        owner_id = data.pop("owner")
        owner = User.objects.filter(pk=owner_id, memberships__organization=membership_of(request).organization).first()
        if owner_id is not None and owner is None:
            raise ValidationError({"owner": [_("The owner must be a member of the organisation.")]})
        data["owner"] = owner
    if "actor" in data:
        data["protection_actor"] = _actor(data.pop("actor"))
    if "referral" in data:
        referral_id = data.pop("referral")
        referral = Referral.objects.filter(pk=referral_id, case=case).first() if referral_id else None
        if referral_id and referral is None:
            raise ValidationError({"referral": [_("Choose a referral of this case.")]})
        data["referral"] = referral
    return data


def _form_errors(form: Any) -> ValidationError:
    return ValidationError({name: list(errors) for name, errors in form.errors.items()})


@router.get("/organizations/{org_slug}/responses", response={200: list[ResponseOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("responses.view")
def list_responses(request: HttpRequest, org_slug: str, filters: Query[ResponseFiltersIn]):  # type: ignore[no-untyped-def]
    return responses_for(
        membership_of(request),
        ResponseFilters(kind=filters.kind or "", status=filters.status or "", overdue_reports=filters.overdue_reports),
    )


@router.get("/organizations/{org_slug}/cases/{case_id}/responses", response={200: list[ResponseOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("responses.view")
def list_case_responses(request: HttpRequest, org_slug: str, case_id: UUID):  # type: ignore[no-untyped-def]
    case = access_case(request.user, membership_of(request).organization, case_id)
    return responses_for(membership_of(request)).filter(case=case)


@router.post("/organizations/{org_slug}/cases/{case_id}/responses", response={201: ResponseOut, **ERRORS})
@requires("responses.edit")
def create_response(request: HttpRequest, org_slug: str, case_id: UUID, payload: ResponseIn):  # type: ignore[no-untyped-def]
    case = access_case(request.user, membership_of(request).organization, case_id)
    data = _fields(request, case, payload.dict())
    response = actions.do_create_response(membership_of(request), case, **data)
    return Status(201, _response(request, response.pk))


@router.get("/organizations/{org_slug}/responses/{response_id}", response={200: ResponseOut, **ERRORS})
@requires("responses.view")
def get_response(request: HttpRequest, org_slug: str, response_id: UUID):  # type: ignore[no-untyped-def]
    return _response(request, response_id)


@router.patch("/organizations/{org_slug}/responses/{response_id}", response={200: ResponseOut, **ERRORS})
@requires("responses.edit")
def update_response(request: HttpRequest, org_slug: str, response_id: UUID, payload: ResponsePatch):  # type: ignore[no-untyped-def]
    response = _response(request, response_id)
    data = _fields(request, response.case, payload.dict(exclude_unset=True))
    actions.do_update_response(membership_of(request), response, **data)
    return _response(request, response_id)


@router.put("/organizations/{org_slug}/responses/{response_id}/details", response={200: ResponseOut, **ERRORS})
@requires("responses.edit")
def save_response_details(request: HttpRequest, org_slug: str, response_id: UUID, payload: DetailsIn):  # type: ignore[no-untyped-def]
    """The kind's details, by field name (linked records by id; lists of names as arrays).
    Protected details left out or empty keep what is recorded; `erase` lists those to empty."""
    response = _response(request, response_id)
    form_class = DETAIL_FORMS[response.kind]
    # The documented schema lists only `erase`: the kind's fields are read from the body itself,
    # and checked by the same form as the page.
    fields = json.loads(request.body or b"{}")
    if not isinstance(fields, dict):
        raise ValidationError(_("Send an object of field names and values."))
    data = {k: ("\n".join(map(str, v)) if isinstance(v, list) and k != "erase" else v) for k, v in fields.items()}
    form = form_class(_querydict(data), response=response)
    if not form.is_valid():
        raise _form_errors(form)
    actions.do_save_detail(membership_of(request), response, **form.changes())
    return _response(request, response_id)


def _querydict(data: dict[str, Any]) -> Any:
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for key, value in data.items():
        if isinstance(value, list):
            query.setlist(key, [str(v) for v in value])
        elif isinstance(value, bool):
            query[key] = "on" if value else ""
        elif value is not None:
            query[key] = str(value)
    return query


@router.post("/organizations/{org_slug}/responses/{response_id}/steps", response={201: ResponseStepOut, **ERRORS})
@requires("responses.edit")
def add_response_step(request: HttpRequest, org_slug: str, response_id: UUID, payload: StepIn):  # type: ignore[no-untyped-def]
    """Which step kinds and fields a response takes depends on its kind; others are refused."""
    response = _response(request, response_id)
    form = StepForm(_querydict(payload.dict(exclude_unset=True)), response=response)
    if not form.is_valid():
        raise _form_errors(form)
    step = actions.do_add_step(membership_of(request), response, **form.step_fields())
    return Status(201, step)


@router.post("/organizations/{org_slug}/responses/{response_id}/status", response={200: ResponseOut, **ERRORS})
@requires("responses.edit")
def change_response_status(request: HttpRequest, org_slug: str, response_id: UUID, payload: ResponseStatusIn):  # type: ignore[no-untyped-def]
    actions.do_change_status(membership_of(request), _response(request, response_id), payload.status)
    return _response(request, response_id)


@router.post("/organizations/{org_slug}/responses/{response_id}/close", response={200: ResponseOut, **ERRORS})
@requires("responses.edit")
def close_response(request: HttpRequest, org_slug: str, response_id: UUID, payload: CloseIn):  # type: ignore[no-untyped-def]
    """Closing needs the outcome and both lesson texts, written so that no one is recognised."""
    actions.do_close_response(membership_of(request), _response(request, response_id), **payload.dict())
    return _response(request, response_id)


@router.post("/organizations/{org_slug}/responses/{response_id}/reveal", response={200: dict[str, Any], **ERRORS})
@requires("cases.reveal")
def reveal_response(request: HttpRequest, org_slug: str, response_id: UUID, payload: ResponseRevealIn):  # type: ignore[no-untyped-def]
    """Audited: the entry names what was revealed, never the values."""
    response = _response(request, response_id)
    names = actions.do_reveal(membership_of(request), response, payload.fields)
    try:
        return actions.open_values(response, names)
    except DecryptionError:
        actions.do_note_decryption_failure(membership_of(request), response, names)
        raise HttpError(409, _("This record cannot be decrypted.")) from None


@router.get("/organizations/{org_slug}/lessons", response={200: list[LessonOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("responses.view")
def list_lessons(request: HttpRequest, org_slug: str, filters: Query[LessonFiltersIn]):  # type: ignore[no-untyped-def]
    """The organisation's lessons and those shared with the network, searched."""
    me = membership_of(request)
    return lessons_for(
        me,
        LessonFilters(
            country=filters.country,
            sector=filters.sector,
            threat=filters.threat,
            kind=filters.kind or "",
            actor=filters.actor,
            text=filters.q,
            own_only=filters.own,
        ),
    ).order_by("-created_at", "-pk")


@router.get("/organizations/{org_slug}/donor-report", response={200: DonorReportOut, **ERRORS})
@requires("donor.view")
def get_donor_report(request: HttpRequest, org_slug: str):  # type: ignore[no-untyped-def]
    """De-identified aggregates of the grants this (donor) organisation funded; never an identity."""
    return donor_report(membership_of(request))
