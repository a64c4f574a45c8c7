"""Safety pages: schedules and emergencies for staff, and the defender's minimal check-in and SOS
pages. Everything works with JavaScript off.

The defender's pages are public: the signed link or a short code is the credential. They use
a tiny template of their own (no Salama name, no script, one small stylesheet) and every bad
link or code answers the same neutral page, recorded in the audit log. A duress code answers
exactly what a normal check-in answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salama.accounts.views import client_address
from salama.audit.actions import record_fields
from salama.cases.access import visible_cases
from salama.core.decorators import fetched_first
from salama.core.forms import add_action_errors
from salama.core.permissions import role_can
from salama.core.requests import membership_of
from salama.defenders.access import access_defender

from . import actions, codes
from .access import (
    access_emergency,
    access_schedule,
    checkins_of,
    emergencies_of,
    open_sos_for,
    schedules_of,
    steps_of,
)
from .forms import CodeForm, LocationForm, ResolveForm, ScheduleForm, SosForm
from .models import CheckIn, CheckInSchedule, Emergency

View = Callable[..., HttpResponse]


def schedule_view(methods: list[str]) -> Callable[[View], View]:
    return fetched_first(lambda request, pk: access_schedule(membership_of(request), pk), "schedule_id", methods)


def emergency_view(methods: list[str]) -> Callable[[View], View]:
    return fetched_first(lambda request, pk: access_emergency(membership_of(request), pk), "emergency_id", methods)


def _cases_of(request: HttpRequest, defender: Any) -> Any:
    return visible_cases(membership_of(request)).filter(defenders=defender).order_by("reference")


# -- staff: schedules --------------------------------------------------------------------------


@require_GET
def list_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    me = membership_of(request)
    context = {
        "emergencies": emergencies_of(me, open_only=True),
        "recent": emergencies_of(me).exclude(state__in=Emergency.OPEN_STATES)[:20],
        "schedules": schedules_of(me),
        "now": timezone.now(),
    }
    return render(request, "safety/list.html", context)


def _credentials_page(
    request: HttpRequest, schedule: CheckInSchedule, credentials: actions.Credentials
) -> HttpResponse:
    """Shown once: nothing stores the codes, so this page is the only place they appear."""
    response = render(request, "safety/credentials.html", {"schedule": schedule, "credentials": credentials})
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def schedule_create_view(request: HttpRequest, org_slug: str, defender_id: Any) -> HttpResponse:
    me = membership_of(request)
    defender = access_defender(me, defender_id)
    form = ScheduleForm(request.POST or None, cases=_cases_of(request, defender))
    if request.method == "POST":
        if form.is_valid():
            fields = form.schedule_fields()
            try:
                schedule, credentials = actions.do_create_schedule(me, defender=defender, **fields)
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                return _credentials_page(request, schedule, credentials)
        return render(request, "safety/schedule_form.html", {"form": form, "defender": defender}, status=400)
    return render(request, "safety/schedule_form.html", {"form": form, "defender": defender})


@schedule_view(["GET"])
def schedule_detail_view(request: HttpRequest, org_slug: str, schedule: CheckInSchedule) -> HttpResponse:
    me = membership_of(request)
    context = {
        "schedule": schedule,
        "checkins": checkins_of(schedule),
        "emergencies": schedule.emergencies.order_by("-started_at")[:20],
        "can_manage": role_can(me.role, "safety.manage"),
    }
    return render(request, "safety/schedule_detail.html", context)


@schedule_view(["GET", "POST"])
def schedule_edit_view(request: HttpRequest, org_slug: str, schedule: CheckInSchedule) -> HttpResponse:
    me = membership_of(request)
    form = ScheduleForm(
        request.POST or None, cases=_cases_of(request, schedule.defender), initial=ScheduleForm.initial_from(schedule)
    )
    context = {"form": form, "defender": schedule.defender, "schedule": schedule}
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.do_update_schedule(me, schedule, active=form.cleaned_data["active"], **form.schedule_fields())
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("safety:schedule_detail", org_slug=org_slug, schedule_id=schedule.pk)
        return render(request, "safety/schedule_form.html", context, status=400)
    return render(request, "safety/schedule_form.html", context)


@schedule_view(["POST"])
def schedule_credentials_view(request: HttpRequest, org_slug: str, schedule: CheckInSchedule) -> HttpResponse:
    return _credentials_page(request, schedule, actions.do_issue_credentials(membership_of(request), schedule))


@schedule_view(["POST"])
def schedule_checkin_view(request: HttpRequest, org_slug: str, schedule: CheckInSchedule) -> HttpResponse:
    actions.do_check_in(schedule, via=CheckIn.Via.STAFF, actor=membership_of(request))
    messages.success(request, _("Check-in recorded."))
    return redirect("safety:schedule_detail", org_slug=org_slug, schedule_id=schedule.pk)


# -- staff: SOS and emergencies ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def sos_raise_view(request: HttpRequest, org_slug: str, defender_id: Any) -> HttpResponse:
    """GET asks for confirmation; the POST is the confirmation."""
    me = membership_of(request)
    defender = access_defender(me, defender_id)
    form = SosForm(request.POST or None, cases=_cases_of(request, defender))
    if request.method == "POST" and form.is_valid():
        try:
            emergency = actions.do_raise_sos(
                defender=defender, actor=me, case=form.cleaned_data["case"], location=form.cleaned_data["location"]
            )
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("SOS raised: the escalation has started."))
            return redirect("safety:emergency_detail", org_slug=org_slug, emergency_id=emergency.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "safety/sos_form.html", {"form": form, "defender": defender}, status=status)


def _emergency_page(
    request: HttpRequest, emergency: Emergency, *, location: str | None = None, status: int = 200
) -> HttpResponse:
    me = membership_of(request)
    context = {
        "emergency": emergency,
        "steps": steps_of(emergency),
        "resolve_form": ResolveForm(),
        "can_respond": role_can(me.role, "safety.respond") and emergency.is_open,
        "can_cancel": emergency.raised_by_id == me.user_id and emergency.can_cancel(),
        "has_location": bool(emergency.__dict__.get("location")),
        "location": location,
    }
    return render(request, "safety/emergency_detail.html", context, status=status)


@emergency_view(["GET"])
def emergency_detail_view(request: HttpRequest, org_slug: str, emergency: Emergency) -> HttpResponse:
    return _emergency_page(request, emergency)


@emergency_view(["POST"])
def emergency_reveal_view(request: HttpRequest, org_slug: str, emergency: Emergency) -> HttpResponse:
    """The location, on an explicit and audited reveal."""
    me = membership_of(request)
    if not role_can(me.role, "safety.respond"):
        raise PermissionDenied(_("Viewers cannot acknowledge or resolve an emergency."))
    record_fields("safety.location_revealed", me, ("emergency", emergency.pk), ["location"])
    return _emergency_page(request, emergency, location=emergency.location)


def _act(request: HttpRequest, emergency: Emergency, action: Callable[[], Any], done: str) -> HttpResponse:
    try:
        action()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("safety:emergency_detail", org_slug=emergency.organization.slug, emergency_id=emergency.pk)


@emergency_view(["POST"])
def emergency_acknowledge_view(request: HttpRequest, org_slug: str, emergency: Emergency) -> HttpResponse:
    return _act(
        request, emergency, lambda: actions.do_acknowledge(membership_of(request), emergency), _("Acknowledged.")
    )


@emergency_view(["POST"])
def emergency_escalate_view(request: HttpRequest, org_slug: str, emergency: Emergency) -> HttpResponse:
    done = _("The next step is being sent now.")
    return _act(request, emergency, lambda: actions.do_escalate_now(membership_of(request), emergency), done)


@emergency_view(["POST"])
def emergency_resolve_view(request: HttpRequest, org_slug: str, emergency: Emergency) -> HttpResponse:
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _emergency_page(request, emergency, status=400)
    outcome = form.cleaned_data["outcome"]
    return _act(
        request, emergency, lambda: actions.do_resolve(membership_of(request), emergency, outcome), _("Resolved.")
    )


@emergency_view(["POST"])
def emergency_cancel_view(request: HttpRequest, org_slug: str, emergency: Emergency) -> HttpResponse:
    done = _("SOS cancelled: everyone already alerted is told to stand down.")
    return _act(request, emergency, lambda: actions.do_cancel_sos(emergency, actor=membership_of(request)), done)


# -- the defender's pages ----------------------------------------------------------------------


def _public(request: HttpRequest, page: str, schedule: CheckInSchedule | None, **context: Any) -> HttpResponse:
    """One minimal template for every answer; in the defender's language when it is known."""
    language = (schedule.language if schedule else "") or translation.get_language()
    with translation.override(language):
        response = render(request, "safety/public.html", {"page": page, "language": language, **context})
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _neutral(request: HttpRequest, reason: str) -> HttpResponse:
    """Forged, expired, rotated, wrong: the same page, which says nothing about why."""
    actions.record_refused(reason, client_address(request))
    return _public(request, "neutral", None)


def _done(request: HttpRequest, schedule: CheckInSchedule) -> HttpResponse:
    # Normal and duress check-ins answer through this one function: same template, same shape.
    return _public(request, "done", schedule)


@require_http_methods(["GET", "POST"])
def checkin_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the button (a link preview must not check anyone in); POST checks in. A code
    typed in the optional field is checked too: the duress code starts a silent escalation."""
    address = client_address(request)
    if codes.guessing_blocked(address):
        return _public(request, "neutral", None)
    schedule = codes.schedule_for_token(token)
    if schedule is None:
        return _neutral(request, "bad_link")
    if request.method == "GET":
        return _public(request, "checkin", schedule, token=token, form=CodeForm(), sos=open_sos_for(schedule))
    form = CodeForm(request.POST)
    typed = form.data.get("code", "") if form.is_valid() else ""
    if typed.strip():
        match = codes.code_matches(schedule, typed)
        if not match:
            return _neutral(request, "bad_code")
        actions.do_check_in(schedule, via=CheckIn.Via.LINK, duress=match == "duress")
        return _done(request, schedule)
    actions.do_check_in(schedule, via=CheckIn.Via.LINK)
    return _done(request, schedule)


@require_http_methods(["GET", "POST"])
def code_view(request: HttpRequest) -> HttpResponse:
    address = client_address(request)
    if request.method == "GET":
        return _public(request, "code", None, form=CodeForm())
    if codes.guessing_blocked(address):
        return _public(request, "neutral", None)
    form = CodeForm(request.POST)
    schedule, duress = codes.schedule_for_code(form.data.get("code", "")) if form.is_valid() else (None, False)
    if schedule is None:
        return _neutral(request, "bad_code")
    actions.do_check_in(schedule, via=CheckIn.Via.CODE, duress=duress)
    return _done(request, schedule)


@require_http_methods(["GET", "POST"])
def sos_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET is the confirmation step; the POST raises the SOS and offers to cancel it."""
    if codes.guessing_blocked(client_address(request)):
        return _public(request, "neutral", None)
    schedule = codes.schedule_for_token(token)
    if schedule is None:
        return _neutral(request, "bad_link")
    if request.method == "GET":
        return _public(request, "sos_confirm", schedule, token=token, form=LocationForm())
    form = LocationForm(request.POST)
    location = form.cleaned_data["location"] if form.is_valid() else ""
    emergency = actions.do_raise_sos(defender=schedule.defender, schedule=schedule, location=location)
    return _public(request, "sos_sent", schedule, token=token, emergency=emergency)


@require_POST
def sos_cancel_view(request: HttpRequest, token: str) -> HttpResponse:
    if codes.guessing_blocked(client_address(request)):
        return _public(request, "neutral", None)
    schedule = codes.schedule_for_token(token)
    if schedule is None:
        return _neutral(request, "bad_link")
    emergency = open_sos_for(schedule)
    if emergency is None:
        return _public(request, "sos_too_late", schedule)
    try:
        actions.do_cancel_sos(emergency)
    except (ValidationError, PermissionDenied):
        return _public(request, "sos_too_late", schedule)
    return _public(request, "sos_cancelled", schedule)
