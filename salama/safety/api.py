"""Check-ins, schedules, emergencies and SOS in the API, through the same actions and
permissions as the pages; need to know narrows every list and read to the defenders the token's
member may see.

The defender's own operations (`check_in`, `raise_own_sos`, `cancel_own_sos`) take no bearer
token: the signed link's token or a short code in the body is the credential, as on the public
pages. Every refusal there is the same 400, recorded in the audit log; a duress code answers
exactly what a normal check-in answers.
"""

from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from salama.accounts.views import client_address
from salama.api.errors import ERRORS
from salama.api.pagination import PageNumberPagination
from salama.api.policies import API_POLICIES, requires
from salama.cases.access import visible_cases
from salama.core.permissions import PUBLIC
from salama.core.requests import membership_of
from salama.defenders.access import defenders_of

from . import actions, codes
from .access import access_emergency, access_schedule, emergencies_of, open_sos_for, schedules_of
from .models import CheckIn, CheckInSchedule, Emergency

router = Router(tags=["safety"])
BASE = "/organizations/{org_slug}/safety"
SCHEDULE = BASE + "/schedules/{schedule_id}"
EMERGENCY = BASE + "/emergencies/{emergency_id}"
AudienceName = Literal["case_team", "coordinators", "trusted_contacts"]
EmergencyKind = Literal["missed_checkin", "sos", "duress"]
EmergencyState = Literal["open", "acknowledged", "resolved", "cancelled"]
Language = Literal["", "en", "es", "fr", "ar"]
# Thirty days: longer intervals and delays are mistakes, and would overflow date arithmetic.
MAX_MINUTES = 30 * 24 * 60
Outcome = Literal["safe", "false_alarm", "harmed", "detained", "missing", "killed", "other"]


class ChainStep(Schema):
    to: AudienceName
    after: int = Field(0, ge=0, le=MAX_MINUTES, description="Minutes after the previous step.")


class ScheduleIn(Schema):
    defender: UUID
    case: UUID | None = None
    interval_minutes: int = Field(24 * 60, ge=15, le=MAX_MINUTES)
    grace_minutes: int = Field(60, ge=0, le=MAX_MINUTES)
    language: Language = ""
    escalation_chain: list[ChainStep] | None = None
    first_due_at: datetime | None = None


class SchedulePatch(Schema):
    case: UUID | None = None
    interval_minutes: int | None = Field(None, ge=15, le=MAX_MINUTES)
    grace_minutes: int | None = Field(None, ge=0, le=MAX_MINUTES)
    language: Language | None = None
    escalation_chain: list[ChainStep] | None = None
    active: bool | None = None
    next_due_at: datetime | None = None


class ScheduleOut(Schema):
    id: UUID
    defender: UUID = Field(alias="defender_id")
    case: UUID | None = Field(alias="case_id")
    interval_minutes: int
    grace_minutes: int
    channel: str
    language: str
    escalation_chain: list[ChainStep]
    next_due_at: datetime
    escalate_at: datetime
    last_checkin_at: datetime | None
    active: bool
    created_at: datetime

    @staticmethod
    def resolve_interval_minutes(obj: CheckInSchedule) -> int:
        return int(obj.interval.total_seconds() // 60)

    @staticmethod
    def resolve_grace_minutes(obj: CheckInSchedule) -> int:
        return int(obj.grace_period.total_seconds() // 60)


class CredentialsOut(Schema):
    link: str
    code: str
    duress_code: str


class ScheduleCreatedOut(Schema):
    schedule: ScheduleOut
    credentials: CredentialsOut = Field(description="Shown once: Salama keeps no copy of the codes.")


class EscalationStepOut(Schema):
    position: int
    audience: AudienceName
    due_at: datetime
    state: Literal["pending", "firing", "fired", "stopped"]
    fired_at: datetime | None
    recipients: int


class EmergencyOut(Schema):
    id: UUID
    defender: UUID = Field(alias="defender_id")
    case: UUID | None = Field(alias="case_id")
    schedule: UUID | None = Field(alias="schedule_id")
    kind: EmergencyKind
    duress: bool = Field(alias="silent")
    state: EmergencyState
    outcome: str
    started_at: datetime
    cancel_until: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: int | None = Field(alias="acknowledged_by_id")
    resolved_at: datetime | None
    alert: UUID | None = Field(alias="alert_id")
    steps: list[EscalationStepOut]

    @staticmethod
    def resolve_steps(obj: Emergency) -> list[Any]:
        return list(obj.steps.order_by("position"))


class CheckInOut(Schema):
    id: int
    at: datetime
    via: str
    late: bool
    duress: bool


class SosIn(Schema):
    defender: UUID
    case: UUID | None = None
    location: str = Field("", max_length=500, description="Stored encrypted.")


class ResolveIn(Schema):
    outcome: Outcome


class DefenderCheckInIn(Schema):
    token: str = Field("", max_length=300, description="The token of the defender's signed link.")
    code: str = Field("", max_length=20, description="The short check-in code (or the duress code).")


class DefenderSosIn(Schema):
    token: str = Field(max_length=300)
    location: str = Field("", max_length=500)


class ReceivedOut(Schema):
    received: bool = True


def _case(request: HttpRequest, case_id: UUID | None) -> Any:
    if case_id is None:
        return None
    case = visible_cases(membership_of(request)).filter(pk=case_id).first()
    if case is None:
        raise ValidationError({"case": [_("Choose a case you can see.")]})
    return case


def _defender(request: HttpRequest, defender_id: UUID) -> Any:
    defender = defenders_of(membership_of(request)).filter(pk=defender_id).first()
    if defender is None:
        raise ValidationError({"defender": [_("Choose a defender you can see.")]})
    return defender


def _chain(steps: list[ChainStep] | None) -> list[dict[str, Any]] | None:
    return None if steps is None else [step.dict() for step in steps]


# -- schedules ---------------------------------------------------------------------------------


@router.get(BASE + "/schedules", response={200: list[ScheduleOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("safety.view")
def list_checkin_schedules(request: HttpRequest, org_slug: str):  # type: ignore[no-untyped-def]
    return schedules_of(membership_of(request))


@router.post(BASE + "/schedules", response={201: ScheduleCreatedOut, **ERRORS})
@requires("safety.manage")
def create_checkin_schedule(request: HttpRequest, org_slug: str, payload: ScheduleIn):  # type: ignore[no-untyped-def]
    me = membership_of(request)
    schedule, credentials = actions.do_create_schedule(
        me,
        defender=_defender(request, payload.defender),
        case=_case(request, payload.case),
        interval=timedelta(minutes=payload.interval_minutes),
        grace_period=timedelta(minutes=payload.grace_minutes),
        language=payload.language,
        escalation_chain=_chain(payload.escalation_chain),
        first_due_at=payload.first_due_at,
    )
    return Status(201, {"schedule": schedule, "credentials": credentials.__dict__})


@router.get(SCHEDULE, response={200: ScheduleOut, **ERRORS})
@requires("safety.view")
def get_checkin_schedule(request: HttpRequest, org_slug: str, schedule_id: UUID):  # type: ignore[no-untyped-def]
    return access_schedule(membership_of(request), schedule_id)


@router.patch(SCHEDULE, response={200: ScheduleOut, **ERRORS})
@requires("safety.manage")
def update_checkin_schedule(request: HttpRequest, org_slug: str, schedule_id: UUID, payload: SchedulePatch):  # type: ignore[no-untyped-def]
    me = membership_of(request)
    schedule = access_schedule(me, schedule_id)
    data = payload.dict(exclude_unset=True)
    changes: dict[str, Any] = {}
    if "case" in data:
        changes["case"] = _case(request, data["case"])
    if data.get("interval_minutes") is not None:
        changes["interval"] = timedelta(minutes=data["interval_minutes"])
    if data.get("grace_minutes") is not None:
        changes["grace_period"] = timedelta(minutes=data["grace_minutes"])
    if data.get("escalation_chain") is not None:
        changes["escalation_chain"] = _chain(payload.escalation_chain)
    for name in ("language", "active", "next_due_at"):
        if data.get(name) is not None:
            changes[name] = data[name]
    return actions.do_update_schedule(me, schedule, **changes)


@router.post(SCHEDULE + "/check-in", response={201: CheckInOut, **ERRORS})
@requires("safety.manage")
def check_in_on_behalf(request: HttpRequest, org_slug: str, schedule_id: UUID):  # type: ignore[no-untyped-def]
    me = membership_of(request)
    return Status(201, actions.do_check_in(access_schedule(me, schedule_id), via=CheckIn.Via.STAFF, actor=me))


# -- emergencies -------------------------------------------------------------------------------


@router.get(BASE + "/emergencies", response={200: list[EmergencyOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("safety.view")
def list_emergencies(request: HttpRequest, org_slug: str, open_only: bool = False):  # type: ignore[no-untyped-def]
    return emergencies_of(membership_of(request), open_only=open_only)


@router.get(EMERGENCY, response={200: EmergencyOut, **ERRORS})
@requires("safety.view")
def get_emergency(request: HttpRequest, org_slug: str, emergency_id: UUID):  # type: ignore[no-untyped-def]
    return access_emergency(membership_of(request), emergency_id)


@router.post(EMERGENCY + "/acknowledge", response={200: EmergencyOut, **ERRORS})
@requires("safety.respond")
def acknowledge_emergency(request: HttpRequest, org_slug: str, emergency_id: UUID):  # type: ignore[no-untyped-def]
    me = membership_of(request)
    return actions.do_acknowledge(me, access_emergency(me, emergency_id))


@router.post(EMERGENCY + "/resolve", response={200: EmergencyOut, **ERRORS})
@requires("safety.respond")
def resolve_emergency(request: HttpRequest, org_slug: str, emergency_id: UUID, payload: ResolveIn):  # type: ignore[no-untyped-def]
    me = membership_of(request)
    return actions.do_resolve(me, access_emergency(me, emergency_id), payload.outcome)


@router.post(BASE + "/sos", response={201: EmergencyOut, **ERRORS})
@requires("safety.manage")
def raise_sos(request: HttpRequest, org_slug: str, payload: SosIn):  # type: ignore[no-untyped-def]
    me = membership_of(request)
    defender = _defender(request, payload.defender)
    emergency = actions.do_raise_sos(
        defender=defender, actor=me, case=_case(request, payload.case), location=payload.location
    )
    return Status(201, emergency)


@router.post(EMERGENCY + "/cancel", response={200: EmergencyOut, **ERRORS})
@requires("safety.manage")
def cancel_sos(request: HttpRequest, org_slug: str, emergency_id: UUID):  # type: ignore[no-untyped-def]
    me = membership_of(request)
    return actions.do_cancel_sos(access_emergency(me, emergency_id), actor=me)


# -- the defender's own operations (public: the token or code is the credential) ---------------


def _refused(request: HttpRequest, reason: str) -> HttpError:
    actions.record_refused(reason, client_address(request))
    return HttpError(400, _("Not accepted."))


def _blocked(request: HttpRequest) -> bool:
    return codes.guessing_blocked(client_address(request))


@router.post("/safety/check-in", response={200: ReceivedOut, **ERRORS}, auth=None)
def check_in(request: HttpRequest, payload: DefenderCheckInIn):  # type: ignore[no-untyped-def]
    """Check in with the signed link's token, a code, or both (the token page's code field)."""
    if _blocked(request):
        raise HttpError(400, _("Not accepted."))
    if payload.token:
        schedule = codes.schedule_for_token(payload.token)
        if schedule is None:
            raise _refused(request, "bad_link")
        match = codes.code_matches(schedule, payload.code) if payload.code.strip() else "ok"
        if not match:
            raise _refused(request, "bad_code")
        actions.do_check_in(schedule, via=CheckIn.Via.API, duress=match == "duress")
        return {"received": True}
    found, duress = codes.schedule_for_code(payload.code)
    if found is None:
        raise _refused(request, "bad_code")
    actions.do_check_in(found, via=CheckIn.Via.API, duress=duress)
    return {"received": True}


@router.post("/safety/sos", response={200: ReceivedOut, **ERRORS}, auth=None)
def raise_own_sos(request: HttpRequest, payload: DefenderSosIn):  # type: ignore[no-untyped-def]
    if _blocked(request):
        raise HttpError(400, _("Not accepted."))
    schedule = codes.schedule_for_token(payload.token)
    if schedule is None:
        raise _refused(request, "bad_link")
    actions.do_raise_sos(defender=schedule.defender, schedule=schedule, location=payload.location)
    return {"received": True}


@router.post("/safety/sos/cancel", response={200: ReceivedOut, **ERRORS}, auth=None)
def cancel_own_sos(request: HttpRequest, payload: DefenderSosIn):  # type: ignore[no-untyped-def]
    if _blocked(request):
        raise HttpError(400, _("Not accepted."))
    schedule = codes.schedule_for_token(payload.token)
    if schedule is None:
        raise _refused(request, "bad_link")
    emergency = open_sos_for(schedule)
    if emergency is None:
        raise HttpError(400, _("Too late to cancel."))
    actions.do_cancel_sos(emergency)
    return {"received": True}


# Reviewed public operations: the defender has no account; the token or code in the body is
# the credential, and every refusal is the same recorded 400.
for _operation in (check_in, raise_own_sos, cancel_own_sos):
    API_POLICIES[_operation.__name__] = PUBLIC
