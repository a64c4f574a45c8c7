"""The directory in the API: the entries (any valid token; shared reference data) and the
referral suggestions for a case (need to know as in the UI: the case is fetched through
salama.cases.access)."""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from salama.api.errors import ERRORS
from salama.api.pagination import PageNumberPagination
from salama.api.policies import requires
from salama.cases.access import access_case

from .access import ActorFilters, access_actor, actors_for
from .eligibility import RuleResult
from .models import ProtectionActor
from .suggest import Suggestion, suggest_for_case
from .views import refer_url

router = Router(tags=["directory"])

Need = Literal[
    "immediate_danger",
    "funds",
    "respite_abroad",
    "pressure_on_state",
    "physical_deterrence",
    "legal",
    "psychosocial",
    "visibility",
]


class ActorSourceOut(Schema):
    url: str
    title: str
    checked_on: str


class ActorOut(Schema):
    slug: str
    name: str
    # A Literal, not the model's TextChoices: another app's schema is also named "Kind".
    kind: Literal["ngo", "fund", "relocation", "mechanism", "network"]
    offers: list[str]
    regions: list[str] = Field(description="Region codes; empty means worldwide.")
    countries: list[str] = Field(description="ISO 3166-1 codes; empty means every country of its regions.")
    serves: str
    languages: list[str]
    response_time_hours: int | None
    how_to_reach: str
    website: str
    eligibility: list[dict[str, Any]] = Field(description="Structured rules; see docs/directory.md for the vocabulary.")
    sources: list[ActorSourceOut]
    organization: str | None = Field(description="The member organisation's short name, when the actor is one.")
    active: bool
    notes: str
    edited_locally: bool
    updated_at: datetime

    @staticmethod
    def resolve_organization(obj: ProtectionActor) -> str | None:
        return obj.organization.slug if obj.organization_id else None  # type: ignore[union-attr]


class ActorFiltersIn(Schema):
    offer: str = ""
    region: str = ""
    kind: str = ""
    language: str = ""


class SuggestionsIn(Schema):
    needs: list[Need] = Field(default_factory=list, max_length=8)
    amount: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    duration_months: int | None = Field(None, ge=1, le=120)
    in_exile: bool | None = None
    emergency: bool | None = None
    family_to_accompany: bool | None = None
    will_return: bool | None = None
    harm_serious_urgent_irreparable: bool | None = None
    domestic_remedies_tried: bool | None = None
    women_or_trans_led: bool | None = None


class CriterionOut(Schema):
    rule: str
    outcome: Literal["passed", "failed", "unknown"]
    sentence: str


class SuggestionOut(Schema):
    actor: str = Field(description="The actor's short name (slug).")
    name: str
    eligible: bool
    score: int
    reasons: list[str]
    failed: list[CriterionOut]
    to_check: list[CriterionOut]
    passed: list[CriterionOut]
    refer_url: str


def _criteria(results: list[RuleResult]) -> list[dict[str, str]]:
    return [{"rule": r.rule, "outcome": r.outcome, "sentence": r.sentence} for r in results]


def _suggestion_out(org_slug: str, case: Any, suggestion: Suggestion) -> dict[str, Any]:
    return {
        "actor": suggestion.actor.slug,
        "name": suggestion.actor.name,
        "eligible": suggestion.eligible,
        "score": suggestion.score,
        "reasons": suggestion.reasons,
        "failed": _criteria(suggestion.failed),
        "to_check": _criteria(suggestion.unknown),
        "passed": _criteria(suggestion.passed),
        "refer_url": refer_url(org_slug, case, suggestion.actor),
    }


@router.get(
    "/directory/actors",
    response={200: list[ActorOut], **ERRORS},
    summary="The protection directory",
    description="Protection actors and mechanisms, the same for every organisation; filter by offer, region, kind "
    "or language. An actor with no region works worldwide and is listed under every region.",
)
@paginate(PageNumberPagination)
@requires(None)
def list_directory_actors(request: HttpRequest, filters: Query[ActorFiltersIn]):  # type: ignore[no-untyped-def]
    return actors_for(request.user, ActorFilters(**filters.dict()))


@router.get("/directory/actors/{actor_slug}", response={200: ActorOut, **ERRORS}, summary="A directory entry")
@requires(None)
def get_directory_actor(request: HttpRequest, actor_slug: str):  # type: ignore[no-untyped-def]
    return access_actor(request.user, actor_slug)


@router.post(
    "/organizations/{org_slug}/cases/{case_id}/referral-suggestions",
    response={200: list[SuggestionOut], **ERRORS},
    summary="Referral suggestions for a case",
    description="The directory's actors ranked by fit for the case: eligible first, each with the reasons for its "
    "score, the criteria it fails and those still to check (a fact is missing). Answers left out stay unknown.",
)
@requires("directory.view")
def suggest_referrals(request: HttpRequest, org_slug: str, case_id: UUID, payload: SuggestionsIn):  # type: ignore[no-untyped-def]
    membership = request.membership  # type: ignore[attr-defined]
    case = access_case(request.user, membership.organization, case_id)
    answers = payload.dict(exclude={"needs"})
    suggestions = suggest_for_case(case, membership, set(payload.needs), answers)
    return [_suggestion_out(org_slug, case, suggestion) for suggestion in suggestions]
