"""Early-warning flags and subscriptions to them in the API, under
`/api/v1/organizations/{org_slug}/analytics/`.

The same reads, permissions and actions as the pages (salama.analytics.warning_views): flags come
from `visible_flags` (a defender's escalation only to who may see the defender), each explains
itself with the figures the page shows, a viewer reads a count under k as hidden, and incident
ids are only those the caller may see (`visible_incidents`). Writes go through
`do_dismiss_warning`, `do_subscribe_warnings` and `do_unsubscribe_warnings`, so they are audited
as on the pages, and a subscription made here is told of new flags like one made on the page.
Schema names are prefixed (`AnalyticsWarning...`): they share one OpenAPI namespace.
"""

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import paginate

from salama.api.errors import ERRORS
from salama.api.pagination import PageNumberPagination
from salama.api.policies import requires
from salama.core.requests import membership_of
from salama.orgs.models import Membership

from .actions import do_dismiss_warning, do_subscribe_warnings, do_unsubscribe_warnings
from .flagging import describe
from .models import WarningFlag, WarningSubscription
from .series import month_end
from .warning_views import SubscriptionForm, hides_count, min_cell, visible_flags, visible_incidents

router = Router(tags=["analytics"])

BASE = "/organizations/{org_slug}/analytics"
FLAGS = BASE + "/warnings"
ONE_FLAG = FLAGS + "/{warning_flag_id}"
SUBSCRIPTIONS = BASE + "/warning-subscriptions"
# A Literal, not WarningFlag.Kind: a "Kind" component would collide with other apps' enums.
AnalyticsWarningKind = Literal["rise", "escalation"]
# Ids are database integers: a larger number cannot name a flag or a subscription.
RowId = Path(..., ge=1, le=2**63 - 1)


class AnalyticsWarningPeriodOut(Schema):
    first: date
    last: date


class AnalyticsWarningBaselineOut(Schema):
    mean: float = Field(description="Incidents a month over the baseline (with half an incident of prior).")
    variance: float = Field(description="The variance the expected distribution was given.")
    months: int = Field(description="How many months the baseline holds.")
    first_month: date
    last_month: date
    method: Literal["poisson", "negative_binomial"]


class AnalyticsWarningFlagOut(Schema):
    id: int
    kind: AnalyticsWarningKind
    headline: str = Field(description="One line about the flag, as the page and the email say it.")
    month: date
    country: str = Field(description="ISO 3166-1 alpha-2 code; empty when not known.")
    sector: str | None = Field(
        description="A rise's sector (vocabulary code; empty: sector not confirmed). Null for an escalation."
    )
    defender: UUID | None = Field(description="An escalation's defender (shown only to who may see them).")
    period: AnalyticsWarningPeriodOut = Field(description="The days the flag is about.")
    observed: int | None = Field(description="Incidents in the month (a rise); null when hidden or an escalation.")
    observed_fewer_than: int | None = Field(
        description="When the count is hidden from your role (a small cell): it is below this number."
    )
    baseline: AnalyticsWarningBaselineOut | None = Field(description="What the month was judged against (a rise).")
    upper_limit: int | None = Field(description="The smallest count that is flagged (a rise; null when hidden).")
    tail_probability: float | None = Field(
        description="How unusual: the probability of a count this high or higher had nothing changed."
    )
    alpha: float | None = Field(description="The probability below which a month is flagged.")
    rule: str | None = Field(description="An escalation's rule: threats_to_attacks or growing_frequency.")
    explanation: str | None = Field(description="An escalation's explanation, with the numbers behind it.")
    incidents: list[UUID] = Field(description="The incidents behind the flag that you may see, newest first.")
    created_at: datetime
    dismissed_at: datetime | None

    @staticmethod
    def resolve_headline(obj: WarningFlag) -> str:
        return describe(obj)

    @staticmethod
    def resolve_sector(obj: WarningFlag) -> str | None:
        return obj.sector if obj.kind == WarningFlag.Kind.RISE else None

    @staticmethod
    def resolve_defender(obj: WarningFlag) -> UUID | None:
        return obj.defender_id  # type: ignore[return-value]

    @staticmethod
    def resolve_period(obj: WarningFlag) -> dict[str, date]:
        if obj.kind == WarningFlag.Kind.ESCALATION:
            return {"first": date.fromisoformat(obj.figures["first"]), "last": date.fromisoformat(obj.figures["last"])}
        return {"first": obj.month, "last": month_end(obj.month)}

    @staticmethod
    def resolve_observed(obj: WarningFlag, context: Any) -> int | None:
        return None if _hidden(obj, context) else obj.figures.get("observed")

    @staticmethod
    def resolve_observed_fewer_than(obj: WarningFlag, context: Any) -> int | None:
        return min_cell() if _hidden(obj, context) else None

    @staticmethod
    def resolve_baseline(obj: WarningFlag) -> dict[str, Any] | None:
        if obj.kind != WarningFlag.Kind.RISE:
            return None
        figures = obj.figures
        return {
            "mean": figures["baseline_mean"],
            "variance": figures["baseline_variance"],
            "months": figures["baseline_months"],
            "first_month": figures["baseline_first"],
            "last_month": figures["baseline_last"],
            "method": figures["method"],
        }

    @staticmethod
    def resolve_upper_limit(obj: WarningFlag, context: Any) -> int | None:
        return None if _hidden(obj, context) else obj.figures.get("upper_limit")

    @staticmethod
    def resolve_tail_probability(obj: WarningFlag, context: Any) -> float | None:
        return None if _hidden(obj, context) else obj.figures.get("tail_probability")

    @staticmethod
    def resolve_alpha(obj: WarningFlag) -> float | None:
        return obj.figures.get("alpha")

    @staticmethod
    def resolve_rule(obj: WarningFlag) -> str | None:
        return obj.figures.get("rule")

    @staticmethod
    def resolve_explanation(obj: WarningFlag) -> str | None:
        return obj.figures.get("explanation")

    @staticmethod
    def resolve_incidents(obj: WarningFlag, context: Any) -> list[UUID]:
        return list(visible_incidents(_caller(context), obj).values_list("pk", flat=True))


class AnalyticsWarningFiltersIn(Schema):
    # Patterns, not only lengths: a filter is compared in SQL and must hold no control character.
    country: str = Field("", pattern=r"^([A-Za-z]{2})?$", description="ISO 3166-1 alpha-2 code.")
    sector: str = Field(
        "", max_length=100, pattern=r"^([a-z0-9][a-z0-9_.-]*)?$", description="A sector's vocabulary code (rises only)."
    )
    kind: AnalyticsWarningKind | None = None
    include_dismissed: bool = Field(False, description="Also list the flags that were dismissed.")


class AnalyticsWarningSubscriptionIn(Schema):
    country: str = Field("", max_length=2, description="ISO 3166-1 alpha-2 code; empty for any country.")
    sector: str = Field("", max_length=100, description="A sector's vocabulary code; empty for any sector.")


class AnalyticsWarningSubscriptionOut(Schema):
    id: int
    country: str = Field(description="Empty: any country.")
    sector: str = Field(description="Empty: any sector.")
    created_at: datetime


def _caller(context: Any) -> Membership:
    return membership_of(context["request"])


def _hidden(flag: WarningFlag, context: Any) -> bool:
    return flag.kind == WarningFlag.Kind.RISE and hides_count(_caller(context), flag)


def _flag(request: HttpRequest, flag_id: int) -> WarningFlag:
    flag = visible_flags(membership_of(request)).filter(pk=flag_id).first()
    if flag is None:
        raise Http404
    return flag


def _flags(membership: Membership, filters: AnalyticsWarningFiltersIn) -> QuerySet[WarningFlag]:
    flags = visible_flags(membership)
    if filters.country:
        flags = flags.filter(country=filters.country.upper())
    if filters.sector:
        flags = flags.filter(kind=WarningFlag.Kind.RISE, sector=filters.sector)
    if filters.kind:
        flags = flags.filter(kind=filters.kind)
    if not filters.include_dismissed:
        flags = flags.filter(dismissed_at__isnull=True)
    return flags.order_by("-month", "-created_at", "-pk")


# -- flags ----------------------------------------------------------------------------------------


@router.get(FLAGS, response={200: list[AnalyticsWarningFlagOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("analytics.view")
def list_warning_flags(request: HttpRequest, org_slug: str, filters: Query[AnalyticsWarningFiltersIn]):  # type: ignore[no-untyped-def]
    """The flags you may see, newest month first; dismissed ones only with include_dismissed."""
    return _flags(membership_of(request), filters)


@router.get(ONE_FLAG, response={200: AnalyticsWarningFlagOut, **ERRORS})
@requires("analytics.view")
def get_warning_flag(request: HttpRequest, org_slug: str, warning_flag_id: int = RowId):  # type: ignore[no-untyped-def]
    return _flag(request, warning_flag_id)


@router.post(ONE_FLAG + "/dismiss", response={200: AnalyticsWarningFlagOut, **ERRORS})
@requires("analytics.dismiss")
def dismiss_warning_flag(request: HttpRequest, org_slug: str, warning_flag_id: int = RowId):  # type: ignore[no-untyped-def]
    """Set a flag aside; it stays listed as dismissed. Dismissing it again changes nothing."""
    return do_dismiss_warning(membership_of(request), _flag(request, warning_flag_id))


# -- subscriptions --------------------------------------------------------------------------------


@router.get(SUBSCRIPTIONS, response={200: list[AnalyticsWarningSubscriptionOut], **ERRORS})
@requires("analytics.subscribe")
def list_warning_subscriptions(request: HttpRequest, org_slug: str):  # type: ignore[no-untyped-def]
    """Your own subscriptions in this organisation."""
    me = membership_of(request)
    return WarningSubscription.objects.filter(organization_id=me.organization_id, user=me.user).order_by("pk")


@router.post(SUBSCRIPTIONS, response={201: AnalyticsWarningSubscriptionOut, **ERRORS})
@requires("analytics.subscribe")
def create_warning_subscription(request: HttpRequest, org_slug: str, payload: AnalyticsWarningSubscriptionIn):  # type: ignore[no-untyped-def]
    """New flags that match (country and sector, empty for any) are sent to you by email. The
    same subscription twice is one subscription."""
    form = SubscriptionForm(data=payload.dict())
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    subscription = do_subscribe_warnings(
        membership_of(request), country=form.cleaned_data["country"], sector=form.cleaned_data["sector"]
    )
    return Status(201, subscription)


@router.delete(SUBSCRIPTIONS + "/{warning_subscription_id}", response={204: None, **ERRORS})
@requires("analytics.subscribe")
def delete_warning_subscription(request: HttpRequest, org_slug: str, warning_subscription_id: int = RowId):  # type: ignore[no-untyped-def]
    """Only your own: anyone else's is 404."""
    if not do_unsubscribe_warnings(membership_of(request), warning_subscription_id):
        raise Http404
    return Status(204, None)
