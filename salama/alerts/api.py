"""Urgent alerts in the API, through the same actions and permissions as the pages.

Step-up: a bearer token proves nothing about who holds it now, so `publish_alert` takes a
current authenticator code (or an unused backup code) of the token's owner in its body, checked
like the web's confirm page. Workflow refusals (the two-person rule, consent, state) are 400s
with the reason, as the actions raise them; 403 means the role lacks the permission.
Deliveries are read as counts and states only: no address ever leaves through the API.
"""

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import match_token
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from salama.api.errors import ERRORS
from salama.api.pagination import PageNumberPagination
from salama.api.policies import requires
from salama.cases.access import visible_cases
from salama.core.requests import membership_of
from salama.defenders.access import defenders_of
from salama.delivery import engine
from salama.delivery.models import Delivery

from . import actions
from .access import (
    access_alert,
    access_target,
    acknowledgements_of,
    actions_of,
    alerts_of,
    audience_rules_of,
    deliveries_of,
    response_terms,
    targets_of,
    version_in,
    versions_of,
)
from .models import ActionTaken, Alert, AlertTarget

router = Router(tags=["alerts"])
Language = Literal["en", "es", "fr", "ar"]
# Literals, not the models' choice classes: their names (Scope, State, Type) would collide with
# other apps' schemas in the OpenAPI components.
Kind = Literal["initial", "further", "stop"]
State = Literal["draft", "review", "approved", "published", "closed"]
Urgency = Literal["urgent", "routine"]
Scope = Literal["network", "public", "restricted"]
ActionType = Literal["letter", "email", "call", "meeting"]
BASE = "/organizations/{org_slug}/alerts"
ONE = BASE + "/{alert_id}"


class AlertOut(Schema):
    id: UUID
    reference: str
    kind: Kind
    original: UUID | None
    state: State
    urgency: Urgency
    scope: Scope
    audience_rule: int | None
    default_language: str
    deadline: datetime | None
    countries: list[str] = Field(description="Countries concerned, ISO 3166-1 alpha-2 codes.")
    cases: list[UUID] = Field(description="Linked cases you may see (need to know).")
    defenders: list[UUID]
    languages: list[str] = Field(description="Languages the alert has a text in.")
    created_by: int | None
    last_edited_by: int | None
    approved_by: int | None
    approved_at: datetime | None
    published_at: datetime | None
    closed_at: datetime | None
    created_at: datetime


class AlertIn(Schema):
    urgency: Urgency = "urgent"
    scope: Scope = "network"
    audience_rule: int | None = Field(None, description="The restricted list (audience rule); restricted scope only.")
    default_language: Language = "en"
    deadline: datetime | None = None
    countries: list[str] = Field(
        default_factory=list, max_length=250, description="Countries concerned, ISO 3166-1 alpha-2 codes."
    )
    cases: list[UUID] = Field(default_factory=list, max_length=50)
    defenders: list[UUID] = Field(default_factory=list, max_length=50)


class AlertPatch(Schema):
    """Only the fields sent are changed; a change to an approved alert sends it back to review."""

    urgency: Urgency = "urgent"
    scope: Scope = "network"
    audience_rule: int | None = None
    default_language: Language = "en"
    deadline: datetime | None = None
    countries: list[str] = Field(
        default_factory=list, max_length=250, description="Countries concerned, ISO 3166-1 alpha-2 codes."
    )
    cases: list[UUID] = Field(default_factory=list, max_length=50)
    defenders: list[UUID] = Field(default_factory=list, max_length=50)


class VersionIn(Schema):
    title: str = Field(min_length=1, max_length=300)
    summary: str = Field("", max_length=20_000)
    background: str = Field("", max_length=40_000)
    recommended_actions: str = Field("", max_length=20_000)
    model_letter: str = Field("", max_length=40_000)
    area_description: str = Field("", max_length=1000, description="Where it happens, in words (CAP areaDesc).")


class VersionOut(VersionIn):
    language: str
    updated_at: datetime


class TargetIn(Schema):
    name: str = Field(min_length=1, max_length=300)
    title: str = Field("", max_length=300)
    institution: str = Field("", max_length=300)
    country: str = Field("", max_length=2, description="ISO 3166 code.")
    postal_address: str = Field("", max_length=1000)
    email: str = Field("", max_length=254)
    salutation: str = Field("", max_length=200)
    preferred_language: Language | Literal[""] = ""
    copy_to: str = Field("", max_length=2000)


class TargetPatch(TargetIn):
    name: str = Field("", min_length=1, max_length=300)


class TargetOut(TargetIn):
    id: UUID
    position: int


class FollowUpIn(Schema):
    kind: Literal["further", "stop"]


class AlertPublishIn(Schema):
    second_factor_code: str = Field(
        min_length=1, max_length=64, description="A current authenticator code, or an unused backup code, of yours."
    )


class SendingIn(Schema):
    operation: Literal["pause", "resume", "resend_failed"]


class SendingOut(Schema):
    count: int


class DeliveryCountsOut(Schema):
    total: int
    states: dict[str, int]
    acknowledged: int
    actions: int
    message_state: str | None


class DeliveryOut(Schema):
    id: int
    channel: str
    language: str
    state: str
    attempts: int
    last_error: str
    sent_at: datetime | None
    acknowledged: bool = False


class AckOut(Schema):
    delivery: int = Field(alias="delivery_id")
    at: datetime


class ActionIn(Schema):
    target: UUID
    action_type: ActionType
    taken_on: date
    response: str = Field("", max_length=64, description="A code from the response-types vocabulary.")
    notes: str = Field("", max_length=5000)


class ActionOut(Schema):
    id: UUID
    target: UUID = Field(alias="target_id")
    action_type: ActionType
    taken_on: date
    response: str | None
    by_member: bool
    notes: str
    created_at: datetime

    @staticmethod
    def resolve_response(obj: ActionTaken) -> str | None:
        return obj.response.code if obj.response else None

    @staticmethod
    def resolve_by_member(obj: ActionTaken) -> bool:
        return obj.member_id is not None


def _alert(request: HttpRequest, alert_id: UUID) -> Alert:
    return access_alert(membership_of(request), alert_id)


def _out(request: HttpRequest, alert: Alert) -> dict[str, Any]:
    return {
        **{name: getattr(alert, name) for name in AlertOut.model_fields if hasattr(alert, name)},
        "original": alert.original_id,
        "audience_rule": alert.audience_rule_id,
        "countries": [country.code for country in alert.countries],
        "cases": list(visible_cases(membership_of(request)).filter(alerts=alert).values_list("pk", flat=True)),
        "defenders": list(alert.defenders.values_list("pk", flat=True)),
        "languages": list(versions_of(alert).values_list("language", flat=True)),
        "created_by": alert.created_by_id,
        "last_edited_by": alert.last_edited_by_id,
        "approved_by": alert.approved_by_id,
    }


def _settings(request: HttpRequest, payload: Schema, *, partial: bool = False) -> dict[str, Any]:
    data = payload.dict(exclude_unset=partial)
    me = membership_of(request)
    if "cases" in data:
        found = list(visible_cases(me).filter(pk__in=set(data["cases"])))
        if len(found) != len(set(data["cases"])):
            raise ValidationError({"cases": [_("Choose cases you can see.")]})
        data["cases"] = found
    if "defenders" in data:
        named = list(defenders_of(me).filter(pk__in=set(data["defenders"])))
        if len(named) != len(set(data["defenders"])):
            raise ValidationError({"defenders": [_("Choose defenders of your own organisation.")]})
        data["defenders"] = named
    if data.get("audience_rule") is not None:
        rule = audience_rules_of(me.organization).filter(pk=data["audience_rule"]).first()
        if rule is None:
            raise ValidationError({"audience_rule": [_("Choose a list of your own organisation.")]})
        data["audience_rule"] = rule
    return data


# -- alerts ------------------------------------------------------------------------------------


@router.get(BASE, response={200: list[AlertOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("alerts.view")
def list_alerts(request: HttpRequest, org_slug: str, state: State | None = None):  # type: ignore[no-untyped-def]
    return [_out(request, alert) for alert in alerts_of(membership_of(request), state or "")]


@router.post(BASE, response={201: AlertOut, **ERRORS})
@requires("alerts.edit")
def create_alert(request: HttpRequest, org_slug: str, payload: AlertIn):  # type: ignore[no-untyped-def]
    alert = actions.do_create_alert(membership_of(request), **_settings(request, payload))
    return Status(201, _out(request, alert))


@router.get(ONE, response={200: AlertOut, **ERRORS})
@requires("alerts.view")
def get_alert(request: HttpRequest, org_slug: str, alert_id: UUID):  # type: ignore[no-untyped-def]
    return _out(request, _alert(request, alert_id))


@router.patch(ONE, response={200: AlertOut, **ERRORS})
@requires("alerts.edit")
def update_alert(request: HttpRequest, org_slug: str, alert_id: UUID, payload: AlertPatch):  # type: ignore[no-untyped-def]
    alert = _alert(request, alert_id)
    actions.do_update_alert(membership_of(request), alert, **_settings(request, payload, partial=True))
    return _out(request, _alert(request, alert_id))


def _workflow(request: HttpRequest, alert_id: UUID, step: Any) -> dict[str, Any]:
    alert = _alert(request, alert_id)
    step(membership_of(request), alert)
    return _out(request, _alert(request, alert_id))


@router.post(ONE + "/submit", response={200: AlertOut, **ERRORS})
@requires("alerts.edit")
def submit_alert(request: HttpRequest, org_slug: str, alert_id: UUID):  # type: ignore[no-untyped-def]
    return _workflow(request, alert_id, actions.do_submit)


@router.post(ONE + "/approve", response={200: AlertOut, **ERRORS})
@requires("alerts.approve")
def approve_alert(request: HttpRequest, org_slug: str, alert_id: UUID):  # type: ignore[no-untyped-def]
    """The two-person rule holds here as in the UI: the author and the last editor cannot approve."""
    return _workflow(request, alert_id, actions.do_approve)


@router.post(ONE + "/publish", response={200: AlertOut, **ERRORS})
@requires("alerts.publish")
def publish_alert(request: HttpRequest, org_slug: str, alert_id: UUID, payload: AlertPublishIn):  # type: ignore[no-untyped-def]
    """Needs a fresh second factor in the body; sends the alert at once."""
    alert = _alert(request, alert_id)
    if match_token(request.user, payload.second_factor_code.strip()) is None:
        raise ValidationError(
            {"second_factor_code": [_("That code did not work. Use your newest authenticator code.")]}
        )
    actions.do_publish(membership_of(request), alert, second_factor_confirmed=True)
    return _out(request, _alert(request, alert_id))


@router.post(ONE + "/close", response={200: AlertOut, **ERRORS})
@requires("alerts.publish")
def close_alert(request: HttpRequest, org_slug: str, alert_id: UUID):  # type: ignore[no-untyped-def]
    """Sends nothing; a stop action is a follow-up."""
    return _workflow(request, alert_id, actions.do_close)


@router.post(ONE + "/follow-ups", response={201: AlertOut, **ERRORS})
@requires("alerts.edit")
def create_follow_up(request: HttpRequest, org_slug: str, alert_id: UUID, payload: FollowUpIn):  # type: ignore[no-untyped-def]
    follow = actions.do_create_follow_up(membership_of(request), _alert(request, alert_id), payload.kind)
    return Status(201, _out(request, follow))


# -- texts and targets -------------------------------------------------------------------------


@router.get(ONE + "/versions", response={200: list[VersionOut], **ERRORS})
@requires("alerts.view")
def list_alert_versions(request: HttpRequest, org_slug: str, alert_id: UUID):  # type: ignore[no-untyped-def]
    return list(versions_of(_alert(request, alert_id)))


@router.put(ONE + "/versions/{language}", response={200: VersionOut, **ERRORS})
@requires("alerts.edit")
def put_alert_version(request: HttpRequest, org_slug: str, alert_id: UUID, language: Language, payload: VersionIn):  # type: ignore[no-untyped-def]
    return actions.do_save_version(membership_of(request), _alert(request, alert_id), language, **payload.dict())


@router.delete(ONE + "/versions/{language}", response={204: None, **ERRORS})
@requires("alerts.edit")
def delete_alert_version(request: HttpRequest, org_slug: str, alert_id: UUID, language: Language):  # type: ignore[no-untyped-def]
    alert = _alert(request, alert_id)
    version = version_in(alert, language)
    if version is None:
        raise ValidationError({"language": [_("The alert has no text in this language.")]})
    actions.do_delete_version(membership_of(request), alert, version)
    return Status(204, None)


@router.get(ONE + "/targets", response={200: list[TargetOut], **ERRORS})
@requires("alerts.view")
def list_alert_targets(request: HttpRequest, org_slug: str, alert_id: UUID):  # type: ignore[no-untyped-def]
    return [_target_out(t) for t in targets_of(_alert(request, alert_id))]


def _target_out(target: AlertTarget) -> dict[str, Any]:
    values = {name: getattr(target, name) for name in AlertTarget.TEXT_FIELDS}
    return {**values, "id": target.pk, "position": target.position, "country": target.country.code or ""}


@router.post(ONE + "/targets", response={201: TargetOut, **ERRORS})
@requires("alerts.edit")
def create_alert_target(request: HttpRequest, org_slug: str, alert_id: UUID, payload: TargetIn):  # type: ignore[no-untyped-def]
    target = actions.do_save_target(membership_of(request), _alert(request, alert_id), None, **payload.dict())
    return Status(201, _target_out(target))


@router.patch(ONE + "/targets/{target_id}", response={200: TargetOut, **ERRORS})
@requires("alerts.edit")
def update_alert_target(request: HttpRequest, org_slug: str, alert_id: UUID, target_id: UUID, payload: TargetPatch):  # type: ignore[no-untyped-def]
    alert = _alert(request, alert_id)
    target = actions.do_save_target(
        membership_of(request), alert, access_target(alert, target_id), **payload.dict(exclude_unset=True)
    )
    return _target_out(target)


@router.delete(ONE + "/targets/{target_id}", response={204: None, **ERRORS})
@requires("alerts.edit")
def delete_alert_target(request: HttpRequest, org_slug: str, alert_id: UUID, target_id: UUID):  # type: ignore[no-untyped-def]
    alert = _alert(request, alert_id)
    actions.do_remove_target(membership_of(request), alert, access_target(alert, target_id))
    return Status(204, None)


# -- sending, acknowledgements and actions -----------------------------------------------------


@router.get(ONE + "/deliveries/counts", response={200: DeliveryCountsOut, **ERRORS})
@requires("alerts.view")
def get_alert_delivery_counts(request: HttpRequest, org_slug: str, alert_id: UUID):  # type: ignore[no-untyped-def]
    alert = _alert(request, alert_id)
    states = engine.counts(alert.message) if alert.message else {s: 0 for s in Delivery.State.values}
    return {
        "total": sum(states.values()),
        "states": states,
        "acknowledged": acknowledgements_of(alert).count(),
        "actions": actions_of(alert).count(),
        "message_state": alert.message.state if alert.message else None,
    }


@router.get(ONE + "/deliveries", response={200: list[DeliveryOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("alerts.view")
def list_alert_deliveries(request: HttpRequest, org_slug: str, alert_id: UUID):  # type: ignore[no-untyped-def]
    """States and error codes only; recipients' addresses stay sealed."""
    alert = _alert(request, alert_id)
    acknowledged = acknowledgements_of(alert).values("delivery_id")
    rows = (
        deliveries_of(alert)
        .order_by("pk")
        .values("id", "channel", "language", "state", "attempts", "last_error", "sent_at")
    )
    return rows.annotate(acknowledged=Exists(acknowledged.filter(delivery_id=OuterRef("pk"))))


@router.post(ONE + "/sending", response={200: SendingOut, **ERRORS})
@requires("alerts.publish")
def control_alert_sending(request: HttpRequest, org_slug: str, alert_id: UUID, payload: SendingIn):  # type: ignore[no-untyped-def]
    return {"count": actions.do_control_sending(membership_of(request), _alert(request, alert_id), payload.operation)}


@router.get(ONE + "/acknowledgements", response={200: list[AckOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("alerts.view")
def list_alert_acknowledgements(request: HttpRequest, org_slug: str, alert_id: UUID):  # type: ignore[no-untyped-def]
    return acknowledgements_of(_alert(request, alert_id)).order_by("at", "pk")


@router.get(ONE + "/actions", response={200: list[ActionOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("alerts.view")
def list_alert_actions(request: HttpRequest, org_slug: str, alert_id: UUID):  # type: ignore[no-untyped-def]
    return actions_of(_alert(request, alert_id))


@router.post(ONE + "/actions", response={201: ActionOut, **ERRORS})
@requires("alerts.view")
def record_alert_action(request: HttpRequest, org_slug: str, alert_id: UUID, payload: ActionIn):  # type: ignore[no-untyped-def]
    alert = _alert(request, alert_id)
    target = targets_of(alert).filter(pk=payload.target).first()
    if target is None:
        raise ValidationError({"target": [_("Choose one of this alert's targets.")]})
    response = response_terms().filter(code=payload.response).first() if payload.response else None
    if payload.response and response is None:
        raise ValidationError({"response": [_("Unknown response code.")]})
    action = actions.do_record_action(
        membership_of(request),
        alert,
        target,
        action_type=payload.action_type,
        taken_on=payload.taken_on,
        response=response,
        notes=payload.notes,
    )
    return Status(201, action)
