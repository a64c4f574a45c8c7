"""Risk assessments and protection plans in the API. Reads carry coded fields, the computed level
with its explanation, and whether each protected text is recorded; the text itself comes only
from the audited `reveal_risk_assessment` (and a plan's measures' descriptions from
`reveal_protection_plan`). Need to know as in the UI: through the defender."""

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

from salama.accounts.models import User
from salama.api.errors import ERRORS
from salama.api.pagination import PageNumberPagination
from salama.api.policies import requires
from salama.cases.access import visible_cases
from salama.core.encryption import DecryptionError
from salama.core.requests import membership_of
from salama.defenders.access import defenders_of
from salama.defenders.models import Defender
from salama.incidents.access import perpetrator_terms

from . import actions
from .access import (
    THREAT_TEXT,
    access_assessment,
    access_measure,
    access_plan,
    assessments_of,
    capacities_of,
    level_of,
    measures_of,
    plans_of,
    threats_of,
    vulnerabilities_of,
)
from .levels import label_of
from .models import Capacity, Measure, ProtectionPlan, RiskAssessment, Threat, Vulnerability

router = Router(tags=["risk"])

ASSESSMENTS = "/organizations/{org_slug}/risk/assessments"
ONE_ASSESSMENT = ASSESSMENTS + "/{assessment_id}"
PLANS = "/organizations/{org_slug}/risk/plans"
ONE_PLAN = PLANS + "/{plan_id}"

Score = Field(ge=1, le=5)
LevelCode = Literal["low", "moderate", "high", "critical"]
# Choices as literals: several models name their choices Kind or Status, and the OpenAPI
# document would otherwise merge them under one name (tests check these follow the models).
ThreatKind = Literal["declared", "possible"]
ThreatMeans = Literal[
    "in_person", "phone", "message", "social_media", "letter", "third_party", "surveillance", "legal", "other"
]
ThreatStatus = Literal["open", "monitoring", "closed"]
ThreatClosedReason = Literal["mitigated", "ended", "unfounded", "other"]
DomainCode = Literal["physical", "digital", "psychosocial", "legal", "organisational", "movement", "communications"]
AssessmentStatus = Literal["draft", "complete"]
Confidence = Literal["low", "medium", "high"]
TriggerCode = Literal[
    "new_incident", "new_threat", "location_change", "legal_proceedings", "missed_check_in", "public_exposure"
]
MeasureKind = Literal["prevention", "response"]
MeasureStatus = Literal["planned", "in_progress", "done", "dropped"]


class ThreatOut(Schema):
    id: UUID
    label: str
    kind: ThreatKind
    perpetrator_type: str | None = Field(None, description="Code from the perpetrator-types vocabulary.")
    means: ThreatMeans
    first_seen_on: date | None
    last_seen_on: date | None
    likelihood: int
    impact: int
    score: int
    status: ThreatStatus
    closed_reason: str
    protected_set: list[str] = Field(description="Protected texts recorded; their values only through reveal.")

    @staticmethod
    def resolve_perpetrator_type(obj: Threat) -> str | None:
        return obj.perpetrator_type.code if obj.perpetrator_type else None

    @staticmethod
    def resolve_protected_set(obj: Threat) -> list[str]:
        return [name for name in THREAT_TEXT if getattr(obj, f"has_{name}")]  # annotated by salama.risk.access


class VulnerabilityOut(Schema):
    id: UUID
    label: str
    domain: DomainCode
    severity: int
    description_set: bool

    @staticmethod
    def resolve_description_set(obj: Vulnerability) -> bool:
        return bool(obj.has_description)  # type: ignore[attr-defined]  # annotated by salama.risk.access


class CapacityOut(Schema):
    id: UUID
    label: str
    domain: DomainCode
    strength: int
    offsets: UUID | None = Field(None, description="Id of the vulnerability it offsets; none for a general capacity.")
    description_set: bool

    @staticmethod
    def resolve_offsets(obj: Capacity) -> UUID | None:
        return obj.offsets_id

    @staticmethod
    def resolve_description_set(obj: Capacity) -> bool:
        return bool(obj.has_description)  # type: ignore[attr-defined]  # annotated by salama.risk.access


class LevelOut(Schema):
    code: LevelCode
    label: str
    explanation: list[str] = Field(description="How the level was reached, one sentence per step of the rule.")


class AssessmentOut(Schema):
    id: UUID
    defender: UUID
    case: UUID | None
    status: AssessmentStatus
    assessed_on: date
    assessor: int | None
    confidence: Confidence
    next_review_on: date | None
    review_triggers: list[str]
    level: LevelOut = Field(description="Fixed when completed; computed from the items while a draft.")
    threats: list[ThreatOut]
    vulnerabilities: list[VulnerabilityOut]
    capacities: list[CapacityOut]
    completed_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_defender(obj: RiskAssessment) -> UUID:
        return obj.defender_id  # type: ignore[return-value]

    @staticmethod
    def resolve_case(obj: RiskAssessment) -> UUID | None:
        return obj.case_id  # type: ignore[return-value]

    @staticmethod
    def resolve_assessor(obj: RiskAssessment) -> int | None:
        return obj.assessor_id

    @staticmethod
    def resolve_level(obj: RiskAssessment) -> dict[str, Any]:
        computed = level_of(obj)
        code = obj.level or computed.code
        return {"code": code, "label": label_of(code), "explanation": computed.explanation}

    @staticmethod
    def resolve_threats(obj: RiskAssessment) -> list[Threat]:
        return list(threats_of(obj))

    @staticmethod
    def resolve_vulnerabilities(obj: RiskAssessment) -> list[Vulnerability]:
        return list(vulnerabilities_of(obj))

    @staticmethod
    def resolve_capacities(obj: RiskAssessment) -> list[Capacity]:
        return list(capacities_of(obj))


class ThreatIn(Schema):
    kind: ThreatKind = "declared"
    perpetrator_type: str = Field("", max_length=64, description="Code from the perpetrator-types vocabulary.")
    named_actor: str = Field("", max_length=500)
    means: ThreatMeans = "other"
    first_seen_on: date | None = None
    last_seen_on: date | None = None
    facts: str = Field("", max_length=20_000)
    pattern: str = Field("", max_length=20_000)
    objective: str = Field("", max_length=20_000)
    author: str = Field("", max_length=20_000)
    feasibility: str = Field("", max_length=20_000)
    conclusion: str = Field("", max_length=20_000)
    likelihood: int = Score
    impact: int = Score
    status: ThreatStatus = "open"
    closed_reason: ThreatClosedReason | Literal[""] = ""


class VulnerabilityIn(Schema):
    domain: DomainCode
    severity: int = Score
    description: str = Field("", max_length=20_000)


class CapacityIn(Schema):
    domain: DomainCode
    strength: int = Score
    description: str = Field("", max_length=20_000)
    offsets: int | None = Field(None, ge=0, description="Index (from 0) into this request's vulnerabilities.")


class AssessmentIn(Schema):
    defender: UUID
    case: UUID | None = None
    assessed_on: date | None = None
    confidence: Confidence = "medium"
    context: str = Field("", max_length=20_000)
    threats: list[ThreatIn] = Field(default_factory=list, max_length=actions.MAX_ITEMS)
    vulnerabilities: list[VulnerabilityIn] = Field(default_factory=list, max_length=actions.MAX_ITEMS)
    capacities: list[CapacityIn] = Field(default_factory=list, max_length=actions.MAX_ITEMS)
    next_review_on: date | None = None
    review_triggers: list[TriggerCode] = Field(default_factory=list, max_length=6)
    review_notes: str = Field("", max_length=2_000)
    complete: bool = Field(False, description="Complete it now (needs next_review_on); otherwise it stays a draft.")


class AssessmentFiltersIn(Schema):
    defender: UUID | None = None
    status: AssessmentStatus | None = None


RevealPart = Literal["assessment", "threats", "vulnerabilities", "capacities"]


class RiskRevealIn(Schema):
    parts: list[RevealPart] = Field(
        default_factory=lambda: list[RevealPart](["assessment", "threats", "vulnerabilities", "capacities"]),
        min_length=1,
        description="What to reveal; everything by default.",
    )


class RiskRevealOut(Schema):
    assessment: dict[str, str] | None = None
    threats: dict[str, dict[str, str]] | None = None
    vulnerabilities: dict[str, str] | None = None
    capacities: dict[str, str] | None = None


class MeasureOut(Schema):
    id: UUID
    kind: MeasureKind
    title: str
    description_set: bool
    owner: int | None
    outside_owner: str
    deadline: date | None
    status: MeasureStatus
    cost_amount: Decimal | None
    cost_currency: str
    for_grant_request: bool
    template: str

    @staticmethod
    def resolve_owner(obj: Measure) -> int | None:
        return obj.owner_id

    @staticmethod
    def resolve_description_set(obj: Measure) -> bool:
        return bool(obj.has_description)  # type: ignore[attr-defined]  # annotated by salama.risk.access


class PlanOut(Schema):
    id: UUID
    defender: UUID
    assessment: UUID | None
    title: str
    measures: list[MeasureOut]
    created_at: datetime

    @staticmethod
    def resolve_defender(obj: ProtectionPlan) -> UUID:
        return obj.defender_id  # type: ignore[return-value]

    @staticmethod
    def resolve_assessment(obj: ProtectionPlan) -> UUID | None:
        return obj.assessment_id  # type: ignore[return-value]

    @staticmethod
    def resolve_measures(obj: ProtectionPlan) -> list[Measure]:
        return list(measures_of(obj))


class PlanIn(Schema):
    defender: UUID
    title: str = Field(min_length=1, max_length=200)
    assessment: UUID | None = None
    template: str = Field("", max_length=60, description="Code of a template whose measures start the plan.")


class PlanFiltersIn(Schema):
    defender: UUID | None = None


class MeasureIn(Schema):
    kind: MeasureKind = "prevention"
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=20_000)
    owner: int | None = Field(None, description="Id of a member of the organisation.")
    outside_owner: str = Field("", max_length=200)
    deadline: date | None = None
    status: MeasureStatus = "planned"
    cost_amount: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    cost_currency: str = Field("", max_length=3)
    for_grant_request: bool = False


class MeasurePatch(Schema):
    status: MeasureStatus


class PlanRevealOut(Schema):
    descriptions: dict[str, str]


def _visible_defender(request: HttpRequest, defender_id: UUID) -> Defender:
    """For writes that name a defender in the body: outside need to know is invalid input."""
    defender = defenders_of(membership_of(request)).filter(pk=defender_id).first()
    if defender is None:
        raise ValidationError({"defender": [_("Choose a defender you can see.")]})
    return defender


def _threat_fields(threat: ThreatIn) -> dict[str, Any]:
    data = threat.dict()
    code = data.pop("perpetrator_type")
    term = perpetrator_terms().filter(code=code).first() if code else None
    if code and term is None:
        raise ValidationError({"threats.perpetrator_type": [_("Unknown perpetrator type code.")]})
    data["perpetrator_type"] = term
    return data


@router.get(ASSESSMENTS, response={200: list[AssessmentOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("risk.view")
def list_risk_assessments(request: HttpRequest, org_slug: str, filters: Query[AssessmentFiltersIn]):  # type: ignore[no-untyped-def]
    queryset = assessments_of(membership_of(request)).order_by("-assessed_on", "-created_at", "pk")
    if filters.defender:
        queryset = queryset.filter(defender_id=filters.defender)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    return queryset


@router.post(ASSESSMENTS, response={201: AssessmentOut, **ERRORS})
@requires("risk.edit")
def create_risk_assessment(request: HttpRequest, org_slug: str, payload: AssessmentIn):  # type: ignore[no-untyped-def]
    """The whole assessment in one request, or nothing; `complete` fixes its level."""
    me = membership_of(request)
    defender = _visible_defender(request, payload.defender)
    case = None
    if payload.case is not None:
        case = visible_cases(me).filter(pk=payload.case).first()
        if case is None:
            raise ValidationError({"case": [_("Choose a case of this defender that you can see.")]})
    assessment = actions.do_record_assessment(
        me,
        defender,
        case=case,
        assessed_on=payload.assessed_on,
        confidence=payload.confidence,
        context=payload.context,
        threats=[_threat_fields(threat) for threat in payload.threats],
        vulnerabilities=[v.dict() for v in payload.vulnerabilities],
        capacities=[c.dict() for c in payload.capacities],
        next_review_on=payload.next_review_on,
        review_triggers=[str(code) for code in payload.review_triggers],
        review_notes=payload.review_notes,
        complete=payload.complete,
    )
    return Status(201, access_assessment(me, assessment.pk))


@router.get(ONE_ASSESSMENT, response={200: AssessmentOut, **ERRORS})
@requires("risk.view")
def get_risk_assessment(request: HttpRequest, org_slug: str, assessment_id: UUID):  # type: ignore[no-untyped-def]
    return access_assessment(membership_of(request), assessment_id)


@router.post(ONE_ASSESSMENT + "/reveal", response={200: RiskRevealOut, **ERRORS})
@requires("risk.reveal")
def reveal_risk_assessment(request: HttpRequest, org_slug: str, assessment_id: UUID, payload: RiskRevealIn):  # type: ignore[no-untyped-def]
    """Audited: the entry names what was revealed, never the values."""
    me = membership_of(request)
    assessment = access_assessment(me, assessment_id)
    parts = actions.do_reveal(me, assessment, payload.parts)
    try:
        opened = actions.open_parts(assessment, parts)
    except DecryptionError:
        actions.do_note_decryption_failure(me, assessment, parts)
        raise HttpError(409, _("This record cannot be decrypted.")) from None
    return {
        part: {str(key): value for key, value in values.items()} if part != "assessment" else values
        for part, values in opened.items()
    }


@router.get(PLANS, response={200: list[PlanOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("risk.view")
def list_protection_plans(request: HttpRequest, org_slug: str, filters: Query[PlanFiltersIn]):  # type: ignore[no-untyped-def]
    queryset = plans_of(membership_of(request)).order_by("-created_at", "pk")
    if filters.defender:
        queryset = queryset.filter(defender_id=filters.defender)
    return queryset


@router.post(PLANS, response={201: PlanOut, **ERRORS})
@requires("risk.edit")
def create_protection_plan(request: HttpRequest, org_slug: str, payload: PlanIn):  # type: ignore[no-untyped-def]
    me = membership_of(request)
    defender = _visible_defender(request, payload.defender)
    assessment = None
    if payload.assessment is not None:
        assessment = assessments_of(me, defender).filter(pk=payload.assessment).first()
        if assessment is None:
            raise ValidationError({"assessment": [_("Choose an assessment of this defender.")]})
    plan = actions.do_create_plan(me, defender, title=payload.title, assessment=assessment)
    if payload.template:
        actions.do_apply_template(me, plan, payload.template)
    return Status(201, access_plan(me, plan.pk))


@router.get(ONE_PLAN, response={200: PlanOut, **ERRORS})
@requires("risk.view")
def get_protection_plan(request: HttpRequest, org_slug: str, plan_id: UUID):  # type: ignore[no-untyped-def]
    return access_plan(membership_of(request), plan_id)


@router.post(ONE_PLAN + "/reveal", response={200: PlanRevealOut, **ERRORS})
@requires("risk.reveal")
def reveal_protection_plan(request: HttpRequest, org_slug: str, plan_id: UUID):  # type: ignore[no-untyped-def]
    """Audited: the measures' descriptions."""
    plan = access_plan(membership_of(request), plan_id)
    try:
        descriptions = actions.do_reveal_plan(membership_of(request), plan)
    except DecryptionError:
        raise HttpError(409, _("This record cannot be decrypted.")) from None
    return {"descriptions": {str(key): value for key, value in descriptions.items()}}


@router.post(ONE_PLAN + "/measures", response={201: MeasureOut, **ERRORS})
@requires("risk.edit")
def add_protection_measure(request: HttpRequest, org_slug: str, plan_id: UUID, payload: MeasureIn):  # type: ignore[no-untyped-def]
    me = membership_of(request)
    plan = access_plan(me, plan_id)
    data = payload.dict()
    owner_id = data.pop("owner")
    data["owner"] = None
    if owner_id is not None:
        data["owner"] = User.objects.filter(pk=owner_id, memberships__organization=me.organization).first()
        if data["owner"] is None:
            raise ValidationError({"owner": [_("Choose a member of the organisation.")]})
    measure = actions.do_add_measure(me, plan, **data)
    return Status(201, access_measure(plan, measure.pk))  # read back as every measure is read


@router.patch(ONE_PLAN + "/measures/{measure_id}", response={200: MeasureOut, **ERRORS})
@requires("risk.edit")
def update_protection_measure(
    request: HttpRequest, org_slug: str, plan_id: UUID, measure_id: UUID, payload: MeasurePatch
):  # type: ignore[no-untyped-def]
    me = membership_of(request)
    measure = access_measure(access_plan(me, plan_id), measure_id)
    return actions.do_change_measure_status(me, measure, payload.status)
