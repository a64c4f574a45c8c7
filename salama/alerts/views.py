"""Alert pages: list, compose (settings, a text per language, targets), the workflow buttons,
the board while it sends, and the public pages a recipient's signed link opens. Everything
works with JavaScript off; htmx only refreshes the board's progress in place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from salama.accounts.views import needs_step_up
from salama.cases.timeline import describe
from salama.core.decorators import fetched_first
from salama.core.forms import add_action_errors
from salama.core.models import Job
from salama.core.permissions import role_can
from salama.core.requests import membership_of
from salama.delivery import engine
from salama.delivery.channels.matrix import problems as matrix_problems
from salama.delivery.models import Delivery

from . import actions
from .access import (
    access_alert,
    access_target,
    acknowledgements_of,
    actions_of,
    alerts_of,
    deliveries_of,
    delivery_for_link,
    linked_cases,
    targets_of,
    version_in,
    versions_of,
)
from .forms import ActionForm, AlertForm, FollowUpForm, SendingForm, TargetForm, VersionForm
from .models import LANGUAGE_CHOICES, Alert

PAGE_SIZE = 25
LANGUAGES = dict(LANGUAGE_CHOICES)


def _alert(request: HttpRequest, alert_id: Any) -> Alert:
    return access_alert(membership_of(request), alert_id)


def alert_view(methods: list[str]) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    return fetched_first(_alert, "alert_id", methods)


def _to_detail(alert: Alert) -> HttpResponse:
    return redirect("alerts:detail", org_slug=alert.organization.slug, alert_id=alert.pk)


# -- list and compose --------------------------------------------------------------------------


@require_GET
def list_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    state = request.GET.get("state", "")
    state = state if state in Alert.State.values else ""
    page = Paginator(alerts_of(membership_of(request), state), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(alert, _title(alert)) for alert in page]
    context = {
        "page": page,
        "rows": rows,
        "state": state,
        "states": Alert.State.choices,
        "can_edit": role_can(membership_of(request).role, "alerts.edit"),
    }
    return render(request, "alerts/list.html", context)


def _title(alert: Alert) -> str:
    version = version_in(alert, alert.default_language) or versions_of(alert).first()
    return version.title if version else ""


def _settings(form: AlertForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data["cases"], data["defenders"] = list(data["cases"]), list(data["defenders"])
    return data


@require_http_methods(["GET", "POST"])
def create_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = AlertForm(request.POST or None, membership=membership_of(request))
    if request.method == "POST":
        if form.is_valid():
            try:
                alert = actions.do_create_alert(membership_of(request), **_settings(form))
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Alert %(reference)s created. Now write its text.") % {"reference": alert})
                return redirect("alerts:version", org_slug=org_slug, alert_id=alert.pk, language=alert.default_language)
        return render(request, "alerts/form.html", {"form": form}, status=400)
    return render(request, "alerts/form.html", {"form": form})


@alert_view(["GET", "POST"])
def edit_view(request: HttpRequest, org_slug: str, alert: Alert) -> HttpResponse:
    me = membership_of(request)
    form = AlertForm(request.POST or None, membership=me, initial=AlertForm.initial_from(alert, me))
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.do_update_alert(me, alert, **_settings(form))
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return _to_detail(alert)
        return render(request, "alerts/form.html", {"form": form, "alert": alert}, status=400)
    return render(request, "alerts/form.html", {"form": form, "alert": alert})


@alert_view(["GET", "POST"])
def version_view(request: HttpRequest, org_slug: str, alert: Alert, language: str) -> HttpResponse:
    if language not in LANGUAGES:
        raise Http404
    version = version_in(alert, language)
    form = VersionForm(request.POST or None, initial=VersionForm.initial_from(version))
    context = {"form": form, "alert": alert, "language": language, "language_name": LANGUAGES[language]}
    context["version"] = version
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.do_save_version(membership_of(request), alert, language, **form.cleaned_data)
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Text saved."))
                return _to_detail(alert)
        return render(request, "alerts/version.html", context, status=400)
    return render(request, "alerts/version.html", context)


@alert_view(["POST"])
def version_delete_view(request: HttpRequest, org_slug: str, alert: Alert, language: str) -> HttpResponse:
    version = version_in(alert, language)
    if version is None:
        raise Http404
    return _act(
        request, alert, lambda: actions.do_delete_version(membership_of(request), alert, version), _("Text removed.")
    )


@alert_view(["GET", "POST"])
def target_add_view(request: HttpRequest, org_slug: str, alert: Alert) -> HttpResponse:
    return _target_form(request, alert, None)


@alert_view(["GET", "POST"])
def target_edit_view(request: HttpRequest, org_slug: str, alert: Alert, target_id: Any) -> HttpResponse:
    return _target_form(request, alert, access_target(alert, target_id))


def _target_form(request: HttpRequest, alert: Alert, target: Any) -> HttpResponse:
    initial = TargetForm.initial_from(target) if target else None
    form = TargetForm(request.POST or None, initial=initial)
    context = {"form": form, "alert": alert, "target": target}
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.do_save_target(membership_of(request), alert, target, **form.cleaned_data)
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Target saved."))
                return _to_detail(alert)
        return render(request, "alerts/target.html", context, status=400)
    return render(request, "alerts/target.html", context)


@alert_view(["POST"])
def target_remove_view(request: HttpRequest, org_slug: str, alert: Alert, target_id: Any) -> HttpResponse:
    target = access_target(alert, target_id)
    return _act(
        request, alert, lambda: actions.do_remove_target(membership_of(request), alert, target), _("Target removed.")
    )


# -- the alert page and its workflow -----------------------------------------------------------


def _page(request: HttpRequest, alert: Alert, status: int = 200, **extra: Any) -> HttpResponse:
    me = membership_of(request)
    versions = list(versions_of(alert))
    context = {
        "alert": alert,
        "versions": versions,
        "missing_languages": [
            (code, name) for code, name in LANGUAGE_CHOICES if code not in {v.language for v in versions}
        ],
        "targets": list(targets_of(alert)),
        "cases": linked_cases(me, alert),
        "defenders": alert.defenders.order_by("public_name"),
        "follow_ups": alert.follow_ups.order_by("sequence"),
        "can_edit": role_can(me.role, "alerts.edit") and alert.editable,
        "can_approve": role_can(me.role, "alerts.approve") and alert.state == Alert.State.REVIEW,
        "approve_refusal": actions.second_person_refusal(me, alert),
        "can_publish": role_can(me.role, "alerts.publish"),
        "publish_refusal": actions.publish_refusal(me, alert) if alert.editable else "",
        "can_follow_up": role_can(me.role, "alerts.edit")
        and alert.state in {Alert.State.PUBLISHED, Alert.State.CLOSED},
        "follow_up_form": FollowUpForm(),
        "timeline": _timeline(alert),
        **extra,
    }
    return render(request, "alerts/detail.html", context, status=status)


def _timeline(alert: Alert) -> list[tuple[Any, str]]:
    from salama.cases.models import TimelineEvent

    # One line per step, though each step wrote a line on every linked case.
    events = TimelineEvent.objects.filter(target_type="alert", target_id=str(alert.pk)).select_related("actor")
    seen: set[tuple[str, Any]] = set()
    lines = []
    for event in events.order_by("-occurred_at", "-pk"):
        if (event.kind, event.occurred_at) not in seen:
            seen.add((event.kind, event.occurred_at))
            lines.append((event, describe(event)))
    return lines


@alert_view(["GET"])
def detail_view(request: HttpRequest, org_slug: str, alert: Alert) -> HttpResponse:
    return _page(request, alert)


def _act(request: HttpRequest, alert: Alert, change: Callable[[], Any], done: str) -> HttpResponse:
    try:
        change()
    except ValidationError as error:
        return _page(request, alert, status=400, refusal=" ".join(error.messages))
    messages.success(request, done)
    return _to_detail(alert)


@alert_view(["POST"])
def submit_view(request: HttpRequest, org_slug: str, alert: Alert) -> HttpResponse:
    return _act(request, alert, lambda: actions.do_submit(membership_of(request), alert), _("Sent for review."))


@alert_view(["POST"])
def return_to_draft_view(request: HttpRequest, org_slug: str, alert: Alert) -> HttpResponse:
    return _act(request, alert, lambda: actions.do_return_to_draft(membership_of(request), alert), _("Back to draft."))


@alert_view(["POST"])
def approve_view(request: HttpRequest, org_slug: str, alert: Alert) -> HttpResponse:
    return _act(request, alert, lambda: actions.do_approve(membership_of(request), alert), _("Approved."))


@alert_view(["POST"])
def publish_view(request: HttpRequest, org_slug: str, alert: Alert) -> HttpResponse:
    if needs_step_up(request):
        # To the second factor, then back to the alert page, where the person publishes again.
        back = reverse("alerts:detail", args=[org_slug, alert.pk])
        return redirect(f"{reverse('accounts:confirm')}?{urlencode({'next': back})}")
    try:
        actions.do_publish(membership_of(request), alert, second_factor_confirmed=True)
    except ValidationError as error:
        return _page(request, alert, status=400, refusal=" ".join(error.messages))
    messages.success(request, _("Published. The alert is on its way."))
    return redirect("alerts:board", org_slug=org_slug, alert_id=alert.pk)


@alert_view(["POST"])
def close_view(request: HttpRequest, org_slug: str, alert: Alert) -> HttpResponse:
    return _act(request, alert, lambda: actions.do_close(membership_of(request), alert), _("Closed. Nothing was sent."))


@alert_view(["POST"])
def follow_up_view(request: HttpRequest, org_slug: str, alert: Alert) -> HttpResponse:
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        return _page(request, alert, status=400, follow_up_form=form)
    try:
        follow = actions.do_create_follow_up(membership_of(request), alert, form.cleaned_data["kind"])
    except ValidationError as error:
        return _page(request, alert, status=400, refusal=" ".join(error.messages))
    messages.success(request, _("Follow-up %(reference)s created. Now write its text.") % {"reference": follow})
    return redirect("alerts:version", org_slug=org_slug, alert_id=follow.pk, language=follow.default_language)


# -- the board ---------------------------------------------------------------------------------


def _fanning_out(alert: Alert) -> bool:
    """The alert's fan-out job has not finished: more deliveries are about to appear."""
    unfinished = Job.objects.filter(kind="alerts.fan_out", state__in=[Job.State.PENDING, Job.State.RUNNING])
    return unfinished.filter(payload__alert=str(alert.pk)).exists()


def _problem(channel: str, code: str) -> tuple[bool, bool, str]:
    """(not configured on the server, the organisation's own room settings to fix, in words)."""
    if channel == "matrix":
        return code.endswith("not_configured"), matrix_problems.is_configuration(code), matrix_problems.describe(code)
    return code.endswith("not_configured"), False, ""


def board_context(alert: Alert) -> dict[str, Any]:
    counts = engine.counts(alert.message) if alert.message else {state: 0 for state in Delivery.State.values}
    total = sum(counts.values())
    done = total - counts["pending"] - counts["sending"]
    targets = list(targets_of(alert))
    per_target = dict(actions_of(alert).values_list("target").annotate(n=Count("id")).order_by())
    errors = (
        deliveries_of(alert)
        .exclude(last_error="")
        .exclude(state=Delivery.State.SENT)
        .values_list("channel", "last_error")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    left = alert.deadline - timezone.now() if alert.deadline else None
    return {
        "alert": alert,
        "counts": counts,
        "total": total,
        "done": done,
        # Right after publishing the audience is still being written out: keep refreshing.
        "sending": bool(alert.message and (counts["pending"] + counts["sending"] or _fanning_out(alert))),
        "paused": bool(alert.message and alert.message.state == alert.message.State.PAUSED),
        "acknowledged": acknowledgements_of(alert).count(),
        "targets": [(target, per_target.get(target.pk, 0)) for target in targets],
        "actions": list(actions_of(alert)[:50]),
        "errors": [(channel, code, n, *_problem(channel, code)) for channel, code, n in errors],
        "time_left": left if left is None or left > timedelta(0) else timedelta(0),
    }


@alert_view(["GET"])
def board_view(request: HttpRequest, org_slug: str, alert: Alert) -> HttpResponse:
    me = membership_of(request)
    context = board_context(alert)
    if request.headers.get("HX-Request"):
        return render(request, "alerts/board_progress.html", context)
    context.update(
        can_control=role_can(me.role, "alerts.publish"),
        action_form=ActionForm(targets=targets_of(alert)),
    )
    return render(request, "alerts/board.html", context)


@alert_view(["POST"])
def sending_view(request: HttpRequest, org_slug: str, alert: Alert) -> HttpResponse:
    form = SendingForm(request.POST)
    if form.is_valid():
        try:
            count = actions.do_control_sending(membership_of(request), alert, form.cleaned_data["operation"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Done (%(count)s).") % {"count": count})
    return redirect("alerts:board", org_slug=org_slug, alert_id=alert.pk)


@alert_view(["POST"])
def action_add_view(request: HttpRequest, org_slug: str, alert: Alert) -> HttpResponse:
    form = ActionForm(request.POST, targets=targets_of(alert))
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_record_action(membership_of(request), alert, data.pop("target"), **data)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Thank you: your action is recorded."))
            return redirect("alerts:board", org_slug=org_slug, alert_id=alert.pk)
    context = {**board_context(alert), "can_control": role_can(membership_of(request).role, "alerts.publish")}
    return render(request, "alerts/board.html", {**context, "action_form": form}, status=400)


# -- public pages behind a recipient's signed link ---------------------------------------------


@require_http_methods(["GET", "POST"])
def ack_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET only shows a button: mail scanners that follow links must not acknowledge for the
    recipient. Every bad link answers the same page as a good one, without the alert."""
    found = delivery_for_link(token)
    if request.method == "POST" and found is not None:
        actions.do_acknowledge(*found)
    return _ack_page(request, token, found, acknowledged=request.method == "POST")


def _ack_page(request: HttpRequest, token: str, found: Any, *, status: int = 200, **extra: Any) -> HttpResponse:
    alert = found[1] if found else None
    targets = targets_of(alert) if alert else None
    context = {
        "token": token,
        "alert": alert,
        "action_form": extra.pop("action_form", None) or (ActionForm(targets=targets) if targets is not None else None),
        **extra,
    }
    return render(request, "alerts/ack.html", context, status=status)


@require_http_methods(["GET", "POST"])
def ack_action_view(request: HttpRequest, token: str) -> HttpResponse:
    found = delivery_for_link(token)
    if request.method == "GET" or found is None:
        return _ack_page(request, token, found)
    delivery, alert = found
    form = ActionForm(request.POST, targets=targets_of(alert))
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_record_action_by_link(delivery, alert, data.pop("target"), **data)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            return _ack_page(request, token, found, acknowledged=True, action_recorded=True)
    return _ack_page(request, token, found, status=400, action_form=form)
