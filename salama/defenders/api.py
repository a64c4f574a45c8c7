"""Defenders in the API. Lists and single reads carry the public fields and which protected
fields are set; protected values come only from the audited `reveal_defender`."""

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_countries import countries
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import EmailStr, StringConstraints, WithJsonSchema

from salama.api.errors import ERRORS
from salama.api.pagination import PageNumberPagination
from salama.api.policies import requires
from salama.core.encryption import DecryptionError
from salama.core.requests import membership_of

from . import actions
from .access import (
    ENCRYPTED_FIELDS,
    DefenderFilters,
    access_consent,
    access_defender,
    consents_of,
    defenders_of,
    sector_terms,
)
from .forms import MAX_LINE_CHARS, MAX_LINES
from .models import Consent, Defender

router = Router(tags=["defenders"])

# Inline, not a shared component: OpenAPI components are keyed by class name, and other apps
# have their own `Kind` and `Scope` (incident sources, sharing grants) that would replace these.
DefenderKind = Annotated[
    Defender.DefenderKind, WithJsonSchema({"type": "string", "enum": list(Defender.DefenderKind.values)})
]
ConsentScope = Annotated[Consent.Scope, WithJsonSchema({"type": "string", "enum": list(Consent.Scope.values)})]

Lines = list[Annotated[str, StringConstraints(max_length=MAX_LINE_CHARS)]]


class DefenderOut(Schema):
    id: UUID
    kind: DefenderKind
    public_name: str
    gender: Defender.Gender
    country: str
    region: str
    sectors: list[str]
    protected_set: dict[str, bool] = Field(description="Which protected fields hold a value.")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_country(obj: Defender) -> str:
        return str(obj.country.code or "")

    @staticmethod
    def resolve_sectors(obj: Defender) -> list[str]:
        return [term.code for term in obj.sectors.all()]

    @staticmethod
    def resolve_protected_set(obj: Defender) -> dict[str, bool]:
        return {name: bool(getattr(obj, f"has_{name}")) for name in ENCRYPTED_FIELDS}


class DefenderIn(Schema):
    kind: DefenderKind = Defender.DefenderKind.INDIVIDUAL
    public_name: str = Field(min_length=1, max_length=200)
    sectors: list[str] = Field(default_factory=list, max_length=50, description="Codes from the sectors vocabulary.")
    gender: Defender.Gender = Defender.Gender.UNKNOWN
    country: str = Field("", max_length=2)
    region: str = Field("", max_length=120)
    legal_name: str = Field("", max_length=300)
    aliases: Lines = Field(default_factory=list, max_length=MAX_LINES)
    phone: str = Field("", max_length=40)
    email: EmailStr | Literal[""] = ""
    other_contacts: Lines = Field(default_factory=list, max_length=MAX_LINES)
    addresses: Lines = Field(default_factory=list, max_length=MAX_LINES)
    date_of_birth: str = Field("", max_length=40)
    document_number: str = Field("", max_length=80)
    relatives: Lines = Field(default_factory=list, max_length=MAX_LINES)
    private_notes: str = Field("", max_length=20_000)


class DefenderPatch(DefenderIn):
    """Only the fields sent are changed."""

    public_name: str = Field("", min_length=1, max_length=200)


class DefenderFiltersIn(Schema):
    kind: DefenderKind | None = None
    gender: Defender.Gender | None = None
    country: str = Field("", max_length=2)
    sector: str = Field("", max_length=64, description="A code from the sectors vocabulary.")
    q: str = Field("", max_length=200, description="Part of the public name.")


class DefenderRevealIn(Schema):
    fields: list[str] = Field(
        default_factory=lambda: list(ENCRYPTED_FIELDS), description="Protected fields to reveal; all by default."
    )


class ConsentOut(Schema):
    id: int
    scope: ConsentScope
    mechanism: str
    given_on: date
    how: str
    recorded_by: str | None = Field(None, alias="recorded_by.email")
    recorded_at: datetime
    withdrawn_on: date | None
    withdrawn_by: str | None = Field(None, alias="withdrawn_by.email")


class ConsentIn(Schema):
    scope: ConsentScope
    mechanism: str = Field("", max_length=200)
    given_on: date
    how: str = Field("", max_length=200)


class WithdrawIn(Schema):
    withdrawn_on: date | None = None


def _fields(payload: DefenderIn, *, partial: bool = False) -> dict[str, Any]:
    data = payload.dict(exclude_unset=partial)
    if "email" in data:
        data["email"] = str(data["email"])
    if data.get("country") and data["country"].upper() not in countries:
        raise ValidationError({"country": [_("Not a known country code.")]})
    if "country" in data:
        data["country"] = data["country"].upper()
    if "sectors" in data:
        codes = set(data["sectors"])
        terms = list(sector_terms().filter(code__in=codes))
        if len(terms) != len(codes):
            raise ValidationError({"sectors": [_("Unknown sector code.")]})
        data["sectors"] = terms
    return data


@router.get("/organizations/{org_slug}/defenders", response={200: list[DefenderOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("defenders.view")
def list_defenders(request: HttpRequest, org_slug: str, filters: Query[DefenderFiltersIn]):  # type: ignore[no-untyped-def]
    sector = sector_terms().filter(code=filters.sector).first() if filters.sector else None
    if filters.sector and sector is None:
        return defenders_of(membership_of(request)).none()
    return defenders_of(
        membership_of(request),
        DefenderFilters(filters.kind or "", sector, filters.gender or "", filters.country.upper(), filters.q.strip()),
    )


@router.get("/organizations/{org_slug}/defenders/{defender_id}", response={200: DefenderOut, **ERRORS})
@requires("defenders.view")
def get_defender(request: HttpRequest, org_slug: str, defender_id: UUID):  # type: ignore[no-untyped-def]
    return access_defender(membership_of(request), defender_id)


@router.post("/organizations/{org_slug}/defenders", response={201: DefenderOut, **ERRORS})
@requires("defenders.edit")
def create_defender(request: HttpRequest, org_slug: str, payload: DefenderIn):  # type: ignore[no-untyped-def]
    defender = actions.do_create_defender(membership_of(request), **_fields(payload))
    return Status(201, access_defender(membership_of(request), defender.pk))


@router.patch("/organizations/{org_slug}/defenders/{defender_id}", response={200: DefenderOut, **ERRORS})
@requires("defenders.edit")
def update_defender(request: HttpRequest, org_slug: str, defender_id: UUID, payload: DefenderPatch):  # type: ignore[no-untyped-def]
    defender = access_defender(membership_of(request), defender_id)
    actions.do_update_defender(membership_of(request), defender, **_fields(payload, partial=True))
    return access_defender(membership_of(request), defender_id)


@router.delete("/organizations/{org_slug}/defenders/{defender_id}", response={204: None, **ERRORS})
@requires("defenders.delete")
def delete_defender(request: HttpRequest, org_slug: str, defender_id: UUID):  # type: ignore[no-untyped-def]
    actions.do_delete_defender(membership_of(request), access_defender(membership_of(request), defender_id))
    return Status(204, None)


@router.post("/organizations/{org_slug}/defenders/{defender_id}/reveal", response={200: dict[str, Any], **ERRORS})
@requires("defenders.reveal")
def reveal_defender(request: HttpRequest, org_slug: str, defender_id: UUID, payload: DefenderRevealIn):  # type: ignore[no-untyped-def]
    """Audited: the entry names the fields revealed, never their values."""
    defender = access_defender(membership_of(request), defender_id)
    unknown = sorted(set(payload.fields) - set(ENCRYPTED_FIELDS))
    if unknown:
        raise ValidationError({"fields": [_("Not a protected field: %(names)s") % {"names": ", ".join(unknown)}]})
    names = actions.do_reveal(membership_of(request), defender, payload.fields)
    try:
        return {name: getattr(defender, name) for name in names}
    except DecryptionError:
        actions.do_note_decryption_failure(membership_of(request), defender, names)
        raise HttpError(409, _("This record cannot be decrypted.")) from None


@router.get("/organizations/{org_slug}/defenders/{defender_id}/consents", response={200: list[ConsentOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("defenders.view")
def list_consents(request: HttpRequest, org_slug: str, defender_id: UUID):  # type: ignore[no-untyped-def]
    return consents_of(access_defender(membership_of(request), defender_id))


@router.post("/organizations/{org_slug}/defenders/{defender_id}/consents", response={201: ConsentOut, **ERRORS})
@requires("defenders.edit")
def create_consent(request: HttpRequest, org_slug: str, defender_id: UUID, payload: ConsentIn):  # type: ignore[no-untyped-def]
    defender = access_defender(membership_of(request), defender_id)
    return Status(201, actions.do_record_consent(membership_of(request), defender, **payload.dict()))


@router.post(
    "/organizations/{org_slug}/defenders/{defender_id}/consents/{consent_id}/withdraw",
    response={200: ConsentOut, **ERRORS},
)
@requires("defenders.edit")
def withdraw_consent(request: HttpRequest, org_slug: str, defender_id: UUID, consent_id: int, payload: WithdrawIn):  # type: ignore[no-untyped-def]
    consent = access_consent(access_defender(membership_of(request), defender_id), consent_id)
    return actions.do_withdraw_consent(membership_of(request), consent, payload.withdrawn_on)
