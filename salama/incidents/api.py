"""Incidents in the API. Reads carry the public fields, the coded rows and which protected
fields are set; protected values come only from the audited `reveal_incident`."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_countries import countries
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from salama.api.errors import ERRORS
from salama.api.pagination import PageNumberPagination
from salama.api.policies import requires
from salama.cases.access import access_case
from salama.core.encryption import DecryptionError
from salama.core.requests import membership_of
from salama.defenders.access import defenders_of
from salama.vocab.models import Term

from . import actions
from .access import ENCRYPTED_FIELDS, IncidentFilters, access_incident, incidents_for
from .models import (
    INVOLVEMENT,
    PERPETRATOR_TYPES,
    SOURCE_RELIABILITY,
    VICTIM_STATUS,
    VIOLATION_TYPES,
    Incident,
    Source,
)

router = Router(tags=["incidents"])
CODE = Field("", max_length=64)


class ActIn(Schema):
    violation: str = Field(max_length=64, description="A code from the violation-types vocabulary.")
    victim: int | None = Field(None, ge=0, description="Index into `victims`.")


class VictimIn(Schema):
    defender: UUID | None = None
    other_name: str = Field("", max_length=300)
    status: str = Field("", max_length=64, description="A code from the victim-status vocabulary.")


class PerpetratorIn(Schema):
    type: str = Field(max_length=64, description="A code from the perpetrator-types vocabulary.")
    named_actor: str = Field("", max_length=300)
    involvement: str = Field("", max_length=64, description="A code from the degree-of-involvement vocabulary.")


class SourceIn(Schema):
    kind: Source.SourceKind
    reliability: str = Field(max_length=64, description="A code from the source-reliability vocabulary.")
    description: str = Field("", max_length=5_000)


class IncidentIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    date_start: date
    date_end: date | None = None
    date_precision: Incident.Precision = Incident.Precision.EXACT
    country: str = Field("", max_length=2)
    admin_area: str = Field("", max_length=120)
    place: str = Field("", max_length=200)
    coordinates: str = Field("", max_length=60)
    narrative: str = Field("", max_length=50_000)
    relation_to_work: str = Field("", max_length=10_000)
    acts: list[ActIn] = Field(min_length=1, max_length=actions.MAX_ROWS)
    victims: list[VictimIn] = Field(default_factory=list, max_length=actions.MAX_ROWS)
    perpetrators: list[PerpetratorIn] = Field(default_factory=list, max_length=actions.MAX_ROWS)
    sources: list[SourceIn] = Field(default_factory=list, max_length=actions.MAX_ROWS)


class IncidentPatch(Schema):
    """Only the fields sent are changed; rows, when sent, replace all rows of the incident."""

    title: str = Field("", min_length=1, max_length=200)
    date_start: date | None = None
    date_end: date | None = None
    date_precision: Incident.Precision | None = None
    country: str = Field("", max_length=2)
    admin_area: str = Field("", max_length=120)
    place: str = Field("", max_length=200)
    coordinates: str = Field("", max_length=60)
    narrative: str = Field("", max_length=50_000)
    relation_to_work: str = Field("", max_length=10_000)
    acts: list[ActIn] | None = Field(None, max_length=actions.MAX_ROWS)
    victims: list[VictimIn] | None = Field(None, max_length=actions.MAX_ROWS)
    perpetrators: list[PerpetratorIn] | None = Field(None, max_length=actions.MAX_ROWS)
    sources: list[SourceIn] | None = Field(None, max_length=actions.MAX_ROWS)


class ActOut(Schema):
    violation: str
    victim: int | None


class PerpetratorOut(Schema):
    type: str
    involvement: str | None
    named: bool = Field(description="Whether a named actor is recorded (revealed on request).")


class IncidentSourceOut(Schema):
    kind: Source.SourceKind
    reliability: str


class IncidentOut(Schema):
    id: UUID
    case: UUID
    title: str
    date_start: date
    date_end: date | None
    date_precision: Incident.Precision
    country: str
    admin_area: str
    place: str
    acts: list[ActOut]
    victims: list[dict[str, Any]]
    perpetrators: list[PerpetratorOut]
    sources: list[IncidentSourceOut]
    protected_set: dict[str, bool] = Field(description="Which protected fields hold a value.")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_case(obj: Incident) -> UUID:
        return obj.case_id  # type: ignore[return-value]

    @staticmethod
    def resolve_country(obj: Incident) -> str:
        return str(obj.country.code or "")

    @staticmethod
    def resolve_acts(obj: Incident) -> list[dict[str, Any]]:
        positions = {victim.pk: i for i, victim in enumerate(obj.victims.all())}
        return [
            {"violation": act.violation.code, "victim": positions.get(act.victim_id) if act.victim_id else None}
            for act in obj.acts.select_related("violation")
        ]

    @staticmethod
    def resolve_victims(obj: Incident) -> list[dict[str, Any]]:
        return [
            {
                "defender": str(v.defender_id) if v.defender_id else None,
                "status": v.status.code if v.status else None,
                "other_name_set": bool(v.__dict__.get("other_name")),
            }
            for v in obj.victims.select_related("status")
        ]

    @staticmethod
    def resolve_perpetrators(obj: Incident) -> list[dict[str, Any]]:
        return [
            {
                "type": p.type.code,
                "involvement": p.involvement.code if p.involvement else None,
                "named": bool(p.__dict__.get("named_actor")),
            }
            for p in obj.perpetrators.select_related("type", "involvement")
        ]

    @staticmethod
    def resolve_sources(obj: Incident) -> list[dict[str, Any]]:
        return [{"kind": s.kind, "reliability": s.reliability.code} for s in obj.sources.select_related("reliability")]

    @staticmethod
    def resolve_protected_set(obj: Incident) -> dict[str, bool]:
        return {name: bool(getattr(obj, f"has_{name}")) for name in ENCRYPTED_FIELDS}


class IncidentFiltersIn(Schema):
    violation: str = Field("", max_length=64, description="A violation-types code; narrower terms are included.")
    perpetrator_type: str = Field("", max_length=64, description="A perpetrator-types code; rolled up likewise.")
    country: str = Field("", max_length=2)
    date_from: date | None = None
    date_to: date | None = None


class IncidentRevealIn(Schema):
    fields: list[str] = Field(
        default_factory=lambda: list(actions.REVEALABLE), description="Protected details to reveal; all by default."
    )


def _term(vocabulary: str, code: str, field: str, *, required: bool = True) -> Term | None:
    if not code:
        if required:
            raise ValidationError({field: [_("This field is required.")]})
        return None
    term = Term.objects.active().filter(vocabulary__code=vocabulary, code=code).select_related("vocabulary").first()
    if term is None:
        raise ValidationError({field: [_("Not a code of the %(vocabulary)s vocabulary.") % {"vocabulary": vocabulary}]})
    return term


def _country(code: str) -> str:
    if code and code.upper() not in countries:
        raise ValidationError({"country": [_("Not a known country code.")]})
    return code.upper()


def _rows(request: HttpRequest, payload: Any) -> dict[str, list[dict[str, Any]]]:
    victims = []
    for i, victim in enumerate(payload.victims or []):
        defender = None
        if victim.defender is not None:
            defender = defenders_of(membership_of(request)).filter(pk=victim.defender).first()
            if defender is None:
                raise ValidationError({f"victims.{i}.defender": [_("No such defender in your organisation.")]})
        status = _term(VICTIM_STATUS, victim.status, f"victims.{i}.status", required=False)
        victims.append({"defender": defender, "other_name": victim.other_name, "status": status})
    return {
        "victims": victims,
        "acts": [
            {"violation": _term(VIOLATION_TYPES, a.violation, f"acts.{i}.violation"), "victim": a.victim}
            for i, a in enumerate(payload.acts or [])
        ],
        "perpetrators": [
            {
                "type": _term(PERPETRATOR_TYPES, p.type, f"perpetrators.{i}.type"),
                "named_actor": p.named_actor,
                "involvement": _term(INVOLVEMENT, p.involvement, f"perpetrators.{i}.involvement", required=False),
            }
            for i, p in enumerate(payload.perpetrators or [])
        ],
        "sources": [
            {
                "kind": s.kind,
                "reliability": _term(SOURCE_RELIABILITY, s.reliability, f"sources.{i}.reliability"),
                "description": s.description,
            }
            for i, s in enumerate(payload.sources or [])
        ],
    }


@router.get("/organizations/{org_slug}/incidents", response={200: list[IncidentOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("cases.view")
def list_incidents(request: HttpRequest, org_slug: str, filters: Query[IncidentFiltersIn]):  # type: ignore[no-untyped-def]
    me = membership_of(request)
    violation = perpetrator = None
    if filters.violation:
        violation = Term.objects.filter(vocabulary__code=VIOLATION_TYPES, code=filters.violation).first()
    if filters.perpetrator_type:
        perpetrator = Term.objects.filter(vocabulary__code=PERPETRATOR_TYPES, code=filters.perpetrator_type).first()
    if (filters.violation and violation is None) or (filters.perpetrator_type and perpetrator is None):
        return incidents_for(me).none()
    return incidents_for(
        me,
        IncidentFilters(violation, perpetrator, filters.country.upper(), filters.date_from, filters.date_to),
    )


@router.get("/organizations/{org_slug}/incidents/{incident_id}", response={200: IncidentOut, **ERRORS})
@requires("cases.view")
def get_incident(request: HttpRequest, org_slug: str, incident_id: UUID):  # type: ignore[no-untyped-def]
    return access_incident(membership_of(request), incident_id)


@router.post("/organizations/{org_slug}/cases/{case_id}/incidents", response={201: IncidentOut, **ERRORS})
@requires("cases.edit")
def create_incident(request: HttpRequest, org_slug: str, case_id: UUID, payload: IncidentIn):  # type: ignore[no-untyped-def]
    me = membership_of(request)
    case = access_case(me.user, me.organization, case_id)
    fields = payload.dict(exclude={"acts", "victims", "perpetrators", "sources"})
    fields["country"] = _country(fields["country"])
    incident = actions.do_record_incident(me, case, **fields, **_rows(request, payload))
    return Status(201, access_incident(me, incident.pk))


@router.patch("/organizations/{org_slug}/incidents/{incident_id}", response={200: IncidentOut, **ERRORS})
@requires("cases.edit")
def update_incident(request: HttpRequest, org_slug: str, incident_id: UUID, payload: IncidentPatch):  # type: ignore[no-untyped-def]
    me = membership_of(request)
    incident = access_incident(me, incident_id)
    fields = payload.dict(exclude_unset=True, exclude={"acts", "victims", "perpetrators", "sources"})
    if "country" in fields:
        fields["country"] = _country(fields["country"])
    sent = payload.model_fields_set & {"acts", "victims", "perpetrators", "sources"}
    rows: dict[str, Any] = _rows(request, payload) if sent else {}
    actions.do_update_incident(me, incident, **fields, **rows)
    return access_incident(me, incident_id)


@router.delete("/organizations/{org_slug}/incidents/{incident_id}", response={204: None, **ERRORS})
@requires("cases.delete")
def delete_incident(request: HttpRequest, org_slug: str, incident_id: UUID):  # type: ignore[no-untyped-def]
    actions.do_delete_incident(membership_of(request), access_incident(membership_of(request), incident_id))
    return Status(204, None)


@router.post("/organizations/{org_slug}/incidents/{incident_id}/reveal", response={200: dict[str, Any], **ERRORS})
@requires("cases.reveal")
def reveal_incident(request: HttpRequest, org_slug: str, incident_id: UUID, payload: IncidentRevealIn):  # type: ignore[no-untyped-def]
    """Audited: the entry names what was revealed, never the values. Row details come back in
    the order of the rows."""
    me = membership_of(request)
    incident = access_incident(me, incident_id)
    unknown = sorted(set(payload.fields) - set(actions.REVEALABLE))
    if unknown:
        raise ValidationError({"fields": [_("Not a protected field: %(names)s") % {"names": ", ".join(unknown)}]})
    names = actions.do_reveal(me, incident, payload.fields)
    try:
        values: dict[str, Any] = {name: getattr(incident, name) for name in names if name in ENCRYPTED_FIELDS}
        if actions.VICTIM_NAMES in names:
            values[actions.VICTIM_NAMES] = [v.other_name for v in incident.victims.all()]
        if actions.PERPETRATOR_NAMES in names:
            values[actions.PERPETRATOR_NAMES] = [p.named_actor for p in incident.perpetrators.all()]
        if actions.SOURCE_DESCRIPTIONS in names:
            values[actions.SOURCE_DESCRIPTIONS] = [s.description for s in incident.sources.all()]
    except DecryptionError:
        actions.do_note_decryption_failure(me, incident, names)
        raise HttpError(409, _("This record cannot be decrypted.")) from None
    return values
