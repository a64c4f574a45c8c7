"""Referrals in the API. Reads carry the public fields; what was sent, the reply and the notes
come only from the audited `reveal_referral`. Need to know as in the UI: every handler fetches
through `access_referral`, `referrals_of` or `access_case`. Sending without the consent it needs
is a 400 whose `fields.status` names each defender and the missing consent."""

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

from salama.api.errors import ERRORS, ErrorOut
from salama.api.pagination import PageNumberPagination
from salama.api.policies import requires
from salama.cases.access import access_case
from salama.core.encryption import DecryptionError
from salama.core.requests import membership_of
from salama.directory.models import ProtectionActor

from . import actions, documents
from .access import REVEALABLE, ReferralFilters, access_referral, referrals_of, referrals_of_case
from .models import Referral
from .views import attachment

router = Router(tags=["referrals"])

DocKind = Literal["un_sr_communication", "iachr_precautionary", "eu_embassy_request", "grant_application"]
Language = Literal["en", "es", "fr", "ar"]
# Literals rather than the models' TextChoices: those are all called Status, Channel or Outcome,
# and the OpenAPI components would collide with other apps' enums of the same name.
ReferralStatus = Literal["draft", "sent", "acknowledged", "accepted", "declined", "closed"]
ReferralChannel = Literal["email", "web_form", "post", "in_person", "other"]
ReferralOutcome = Literal[
    "acted_on", "communication_sent", "precautionary_measures", "grant_awarded", "declined", "no_reply", "withdrawn"
]
RevealName = Literal[
    "what_was_sent",
    "reply",
    "outcome_notes",
    "link_to_work",
    "domestic_remedies",
    "state_informed",
    "other_proceedings",
    "urgency",
    "requested_action",
    "grant_need",
]


class EventOut(Schema):
    kind: str
    old_status: str
    new_status: str
    at: datetime
    by: str | None = Field(None, alias="by.email")


class ReferralOut(Schema):
    id: UUID
    case: UUID = Field(alias="case_id")
    actor: str = Field(alias="actor.slug")
    defenders: list[UUID]
    status: ReferralStatus
    sent_on: date | None
    channel: str
    documents_sent: list[str]
    reference_number: str
    reply_due_on: date | None
    reply_received_on: date | None
    outcome: str
    overdue: bool
    grant_amount: Decimal | None
    grant_currency: str
    history: list[EventOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_defenders(obj: Referral) -> list[UUID]:
        return [d.pk for d in obj.defenders.all()]

    @staticmethod
    def resolve_overdue(obj: Referral) -> bool:
        return obj.is_overdue()

    @staticmethod
    def resolve_history(obj: Referral) -> list[Any]:
        return list(obj.events.select_related("by").order_by("at", "pk"))


class FactsIn(Schema):
    """Details and the facts the drafts need; on a PATCH only the fields sent change."""

    channel: ReferralChannel | Literal[""] = ""
    reference_number: str = Field("", max_length=100)
    reply_due_on: date | None = None
    documents_sent: list[DocKind] = Field(default_factory=list)
    what_was_sent: str = Field("", max_length=20_000)
    link_to_work: str = Field("", max_length=20_000)
    domestic_remedies: str = Field("", max_length=20_000)
    state_informed: str = Field("", max_length=20_000)
    other_proceedings: str = Field("", max_length=20_000)
    urgency: str = Field("", max_length=20_000)
    requested_action: str = Field("", max_length=20_000)
    grant_need: str = Field("", max_length=20_000)
    grant_amount: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    grant_currency: str = Field("", max_length=3)


class ReferralIn(FactsIn):
    actor: str = Field(max_length=80, description="The protection actor's short name (slug) in the directory.")
    defenders: list[UUID] = Field(
        default_factory=list, max_length=100, description="Defenders of the case concerned; all of them by default."
    )


class ReferralPatch(FactsIn):
    defenders: list[UUID] = Field(default_factory=list, min_length=1, max_length=100)


class ReferralFiltersIn(Schema):
    status: ReferralStatus | None = None
    actor: str = Field("", max_length=80)
    overdue: bool = False


class ReferralStatusIn(Schema):
    status: ReferralStatus
    sent_on: date | None = Field(None, description="When sending: today by default.")
    channel: ReferralChannel | Literal[""] = ""


class ReplyIn(Schema):
    reply: str = Field(min_length=1, max_length=50_000)
    received_on: date | None = None


class OutcomeIn(Schema):
    outcome: ReferralOutcome
    notes: str = Field("", max_length=20_000)


class ReferralRevealIn(Schema):
    fields: list[RevealName] = Field(min_length=1)


class MissingOut(Schema):
    message: str
    fix_url: str


class DocumentIn(Schema):
    language: Language = "en"
    format: Literal["docx", "pdf"] = "docx"


def _referral(request: HttpRequest, referral_id: UUID) -> Referral:
    return access_referral(membership_of(request), referral_id)


def _defenders(case: Any, ids: list[UUID]) -> list[Any]:
    found = list(case.defenders.filter(pk__in=set(ids)))
    if len(found) != len(set(ids)):
        raise ValidationError({"defenders": [_("Choose defenders of this case.")]})
    return found


def _actor(slug: str) -> ProtectionActor:
    actor = ProtectionActor.objects.filter(slug=slug, active=True).first()
    if actor is None:
        raise ValidationError({"actor": [_("No active protection actor has this short name.")]})
    return actor


@router.get("/organizations/{org_slug}/referrals", response={200: list[ReferralOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("referrals.view")
def list_referrals(request: HttpRequest, org_slug: str, filters: Query[ReferralFiltersIn]):  # type: ignore[no-untyped-def]
    actor = ProtectionActor.objects.filter(slug=filters.actor).first() if filters.actor else None
    if filters.actor and actor is None:
        return referrals_of(membership_of(request)).none()
    return referrals_of(
        membership_of(request), ReferralFilters(status=filters.status or "", actor=actor, overdue=filters.overdue)
    ).prefetch_related("defenders")


@router.get("/organizations/{org_slug}/cases/{case_id}/referrals", response={200: list[ReferralOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("referrals.view")
def list_case_referrals(request: HttpRequest, org_slug: str, case_id: UUID):  # type: ignore[no-untyped-def]
    case = access_case(request.user, membership_of(request).organization, case_id)
    return referrals_of_case(case).prefetch_related("defenders")


@router.post("/organizations/{org_slug}/cases/{case_id}/referrals", response={201: ReferralOut, **ERRORS})
@requires("referrals.edit")
def create_referral(request: HttpRequest, org_slug: str, case_id: UUID, payload: ReferralIn):  # type: ignore[no-untyped-def]
    """A draft; sending it (change_referral_status) is what needs the defenders' consent."""
    case = access_case(request.user, membership_of(request).organization, case_id)
    data = payload.dict()
    to = _actor(data.pop("actor"))
    ids = data.pop("defenders")
    defenders = _defenders(case, ids) if ids else list(case.defenders.all())
    referral = actions.do_create_referral(membership_of(request), case, to=to, defenders=defenders, **data)
    return Status(201, _referral(request, referral.pk))


@router.get("/organizations/{org_slug}/referrals/{referral_id}", response={200: ReferralOut, **ERRORS})
@requires("referrals.view")
def get_referral(request: HttpRequest, org_slug: str, referral_id: UUID):  # type: ignore[no-untyped-def]
    return _referral(request, referral_id)


@router.patch("/organizations/{org_slug}/referrals/{referral_id}", response={200: ReferralOut, **ERRORS})
@requires("referrals.edit")
def update_referral(request: HttpRequest, org_slug: str, referral_id: UUID, payload: ReferralPatch):  # type: ignore[no-untyped-def]
    referral = _referral(request, referral_id)
    data = payload.dict(exclude_unset=True)
    defenders = _defenders(referral.case, data.pop("defenders")) if "defenders" in data else None
    actions.do_update_referral(membership_of(request), referral, defenders=defenders, **data)
    return _referral(request, referral_id)


@router.post("/organizations/{org_slug}/referrals/{referral_id}/status", response={200: ReferralOut, **ERRORS})
@requires("referrals.edit")
def change_referral_status(request: HttpRequest, org_slug: str, referral_id: UUID, payload: ReferralStatusIn):  # type: ignore[no-untyped-def]
    referral = _referral(request, referral_id)
    actions.do_change_status(
        membership_of(request), referral, payload.status, sent_on=payload.sent_on, channel=payload.channel
    )
    return _referral(request, referral_id)


@router.post("/organizations/{org_slug}/referrals/{referral_id}/reply", response={200: ReferralOut, **ERRORS})
@requires("referrals.edit")
def record_referral_reply(request: HttpRequest, org_slug: str, referral_id: UUID, payload: ReplyIn):  # type: ignore[no-untyped-def]
    referral = _referral(request, referral_id)
    actions.do_record_reply(membership_of(request), referral, reply=payload.reply, received_on=payload.received_on)
    return _referral(request, referral_id)


@router.post("/organizations/{org_slug}/referrals/{referral_id}/outcome", response={200: ReferralOut, **ERRORS})
@requires("referrals.edit")
def record_referral_outcome(request: HttpRequest, org_slug: str, referral_id: UUID, payload: OutcomeIn):  # type: ignore[no-untyped-def]
    referral = _referral(request, referral_id)
    actions.do_record_outcome(membership_of(request), referral, outcome=payload.outcome, notes=payload.notes)
    return _referral(request, referral_id)


@router.post(
    "/organizations/{org_slug}/referrals/{referral_id}/reveal", response={200: dict[str, str], 409: ErrorOut, **ERRORS}
)
@requires("cases.reveal")
def reveal_referral(request: HttpRequest, org_slug: str, referral_id: UUID, payload: ReferralRevealIn):  # type: ignore[no-untyped-def]
    """Audited: the entry names what was revealed, never the values."""
    referral = _referral(request, referral_id)
    names = actions.do_reveal(membership_of(request), referral, payload.fields)
    try:
        return {name: getattr(referral, name) for name in names if name in REVEALABLE}
    except DecryptionError:
        actions.do_note_decryption_failure(membership_of(request), referral, names)
        raise HttpError(409, _("This record cannot be decrypted.")) from None


@router.get(
    "/organizations/{org_slug}/referrals/{referral_id}/documents/{doc_kind}/missing",
    response={200: list[MissingOut], **ERRORS},
)
@requires("referrals.view")
def list_missing_information(request: HttpRequest, org_slug: str, referral_id: UUID, doc_kind: DocKind):  # type: ignore[no-untyped-def]
    """What must be recorded before this draft can be made; empty when nothing is missing."""
    referral = _referral(request, referral_id)
    return documents.missing_facts(referral, doc_kind)


@router.get(
    "/organizations/{org_slug}/referrals/{referral_id}/documents/{doc_kind}",
    response={409: ErrorOut, **ERRORS},
    openapi_extra={
        "responses": {
            200: {
                "description": "The draft, made now and not stored",
                "content": {
                    documents.FORMATS["docx"]: {"schema": {"type": "string", "format": "binary"}},
                    documents.FORMATS["pdf"]: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
@requires("cases.reveal")
def download_referral_document(  # type: ignore[no-untyped-def]
    request: HttpRequest, org_slug: str, referral_id: UUID, doc_kind: DocKind, params: Query[DocumentIn]
):
    """Refused (400, `fields.kind` lists what is missing) until the required facts are recorded.
    Audited: who downloaded which draft of which case."""
    referral = _referral(request, referral_id)
    try:
        download = actions.do_download_document(
            membership_of(request), referral, doc_kind, params.language, params.format
        )
        return attachment(download)
    except DecryptionError:
        actions.do_note_decryption_failure(membership_of(request), referral, [doc_kind])
        raise HttpError(409, _("This record cannot be decrypted.")) from None
