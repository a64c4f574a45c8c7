"""Response pages: the organisation's list, a response with its details and steps (protected
values only on an audited reveal), create and edit per kind, closing with lessons, the learning
library and the donor view. All work with JavaScript off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from salama.cases.access import access_case
from salama.cases.models import Case
from salama.core.decorators import fetched_first
from salama.core.encryption import DecryptionError, with_presence
from salama.core.forms import add_action_errors
from salama.core.paging import KeysFirstPaginator
from salama.core.permissions import LEADS, role_can
from salama.core.requests import membership_of, organization_of

from . import actions
from .access import access_own_lesson, access_response, access_step, lessons_for, responses_for, steps_of
from .donor import donor_report
from .forms import (
    DETAIL_FORMS,
    CloseForm,
    LessonFilterForm,
    ResponseFilterForm,
    ResponseForm,
    RevealForm,
    StatusForm,
    StepForm,
)
from .models import DETAIL_MODELS, STEP_KINDS, Lesson, Response

PAGE_SIZE = 25


def _response(request: HttpRequest, response_id: Any) -> Response:
    return access_response(request.user, organization_of(request), response_id)


def _case(request: HttpRequest, case_id: Any) -> Case:
    return access_case(request.user, organization_of(request), case_id)


def _step(request: HttpRequest, response_id: Any, step_id: Any) -> Any:
    return access_step(_response(request, response_id), step_id)


def _lesson(request: HttpRequest, lesson_id: Any) -> Lesson:
    return access_own_lesson(request.user, organization_of(request), lesson_id)


def response_view(methods: list[str]) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    return fetched_first(_response, "response_id", methods)


def _paged(request: HttpRequest, queryset: Any) -> tuple[Any, str]:
    page = KeysFirstPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


@require_GET
def list_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = ResponseFilterForm(request.GET or None)
    context: dict[str, Any] = {"filter_form": form}
    if form.is_bound and not form.is_valid():
        return render(request, "responses/list.html", context, status=400)
    page, query = _paged(request, responses_for(membership_of(request), form.filters()))
    context.update(page=page, query=query)
    return render(request, "responses/list.html", context)


@fetched_first(_case, "case_id", ["GET", "POST"])
def create_view(request: HttpRequest, org_slug: str, case: Case) -> HttpResponse:
    form = ResponseForm(request.POST or None, case=case, org=organization_of(request))
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                response = actions.do_create_response(membership_of(request), case, **data)
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Response recorded. Now fill in its details."))
                return redirect("responses:details", org_slug=org_slug, response_id=response.pk)
        return render(request, "responses/form.html", {"form": form, "case": case}, status=400)
    return render(request, "responses/form.html", {"form": form, "case": case})


@response_view(["GET", "POST"])
def edit_view(request: HttpRequest, org_slug: str, response: Response) -> HttpResponse:
    form = ResponseForm(
        request.POST or None,
        case=response.case,
        org=organization_of(request),
        editing=True,
        initial=ResponseForm.initial_from(response),
    )
    context = {"form": form, "case": response.case, "response": response}
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.do_update_response(membership_of(request), response, **form.cleaned_data)
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("responses:detail", org_slug=org_slug, response_id=response.pk)
        return render(request, "responses/form.html", context, status=400)
    return render(request, "responses/form.html", context)


@response_view(["GET", "POST"])
def details_view(request: HttpRequest, org_slug: str, response: Response) -> HttpResponse:
    form_class = DETAIL_FORMS[response.kind]
    detail = actions.detail_of(response)
    data = request.POST if request.method == "POST" else None  # an advocacy's details may all be empty
    form = form_class(data, response=response, initial=form_class.initial_from(detail))
    context = {"form": form, "response": response}
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.do_save_detail(membership_of(request), response, **form.changes())
            except ValidationError as error:
                add_action_errors(form, error)
            except DecryptionError:
                return _undecryptable(request, response)
            else:
                messages.success(request, _("Saved."))
                return redirect("responses:detail", org_slug=org_slug, response_id=response.pk)
        return render(request, "responses/details_form.html", context, status=400)
    return render(request, "responses/details_form.html", context)


def _public_details(response: Response) -> list[tuple[Any, Any]]:
    """(label, value) of the detail's public fields, and (label, recorded?) of protected ones."""
    detail = actions.detail_of(response)
    model = DETAIL_MODELS[response.kind]
    encrypted = set(actions.encrypted_field_names(model))
    rows: list[tuple[Any, Any]] = []
    flags: dict[str, Any] = {}
    if encrypted and not detail._state.adding:
        present = with_presence(model._default_manager.filter(pk=detail.pk), sorted(encrypted))
        flags = present.values(*[f"has_{n}" for n in encrypted]).first() or {}
    for name in actions.detail_field_names(model):
        field: Any = model._meta.get_field(name)
        if name in encrypted:
            rows.append((field.verbose_name, None if flags.get(f"has_{name}") else ""))
            continue
        display = getattr(detail, f"get_{name}_display", None)
        value = display() if callable(display) else getattr(detail, name)
        rows.append((field.verbose_name, value if value not in (None, "") else "—"))
    return rows


def _label(model: Any, name: str) -> Any:
    return model._meta.get_field(name).verbose_name


def _page(
    request: HttpRequest, response: Response, revealed: dict[str, Any] | None = None, status: int = 200, **extra: Any
) -> HttpResponse:
    revealed = revealed or {}
    me = membership_of(request)
    model = DETAIL_MODELS[response.kind]
    step_notes = revealed.get("step_notes") or {}
    context = {
        "response": response,
        "case": response.case,
        "defenders": response.defenders.all().order_by("public_name"),
        "details": _public_details(response),
        "revealed": {
            str(_label(model, name)): value
            for name, value in revealed.items()
            if name not in ("step_notes", "outcome_notes")
        },
        "outcome_notes": revealed.get("outcome_notes"),
        "outcome_notes_shown": "outcome_notes" in revealed,
        "steps": [(step, step_notes.get(str(step.pk))) for step in steps_of(response)],
        "step_notes_shown": "step_notes" in revealed,
        "has_steps": bool(STEP_KINDS[response.kind]),
        "can_edit": bool(role_can(me.role, "responses.edit")) and not response.is_closed,
        "can_reveal": role_can(me.role, "cases.reveal"),
        "lesson": Lesson.objects.filter(response=response).first(),
        "status_form": extra.pop("status_form", None)
        or StatusForm(prefix="status", initial={"status": response.status}),
        "step_form": extra.pop("step_form", None) or StepForm(prefix="step", response=response),
        "reveal_form": RevealForm(response=response),
        **extra,
    }
    return render(request, "responses/detail.html", context, status=status)


def _undecryptable(request: HttpRequest, response: Response) -> HttpResponse:
    actions.do_note_decryption_failure(membership_of(request), response, actions.revealable(response))
    return _page(request, response, undecryptable=True)


@response_view(["GET"])
def detail_view(request: HttpRequest, org_slug: str, response: Response) -> HttpResponse:
    return _page(request, response)


@response_view(["POST"])
def reveal_view(request: HttpRequest, org_slug: str, response: Response) -> HttpResponse:
    """Values are shown in this response only: never kept in the session or put in a URL."""
    form = RevealForm(request.POST, response=response)
    if not form.is_valid():
        return _page(request, response, status=400, reveal_error=True)
    names = actions.do_reveal(membership_of(request), response, form.cleaned_data["field"])
    try:
        revealed = actions.open_values(response, names)
    except DecryptionError:
        return _undecryptable(request, response)
    return _page(request, response, revealed)


@response_view(["POST"])
def status_view(request: HttpRequest, org_slug: str, response: Response) -> HttpResponse:
    form = StatusForm(request.POST, prefix="status")
    if form.is_valid():
        try:
            actions.do_change_status(membership_of(request), response, form.cleaned_data["status"])
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Status changed."))
            return redirect("responses:detail", org_slug=org_slug, response_id=response.pk)
    return _page(request, response, status=400, status_form=form)


@response_view(["POST"])
def step_add_view(request: HttpRequest, org_slug: str, response: Response) -> HttpResponse:
    form = StepForm(request.POST, prefix="step", response=response)
    if form.is_valid():
        try:
            actions.do_add_step(membership_of(request), response, **form.step_fields())
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Step recorded."))
            return redirect("responses:detail", org_slug=org_slug, response_id=response.pk)
    return _page(request, response, status=400, step_form=form)


@fetched_first(_step, ("response_id", "step_id"), ["POST"])
def step_remove_view(request: HttpRequest, org_slug: str, step: Any) -> HttpResponse:
    try:
        actions.do_remove_step(membership_of(request), step)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Step removed."))
    return redirect("responses:detail", org_slug=org_slug, response_id=step.response_id)


@response_view(["GET", "POST"])
def close_view(request: HttpRequest, org_slug: str, response: Response) -> HttpResponse:
    form = CloseForm(request.POST or None, membership=membership_of(request))
    context = {"form": form, "response": response}
    if response.is_closed:
        return render(request, "responses/close.html", {**context, "closed": True}, status=400)
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.do_close_response(membership_of(request), response, **form.cleaned_data)
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Response closed. Its lesson is in the learning library."))
                return redirect("responses:detail", org_slug=org_slug, response_id=response.pk)
        return render(request, "responses/close.html", context, status=400)
    return render(request, "responses/close.html", context)


@require_GET
def lessons_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = LessonFilterForm(request.GET or None)
    me = membership_of(request)
    context: dict[str, Any] = {"filter_form": form, "can_share": me.role in LEADS}
    if form.is_bound and not form.is_valid():
        return render(request, "responses/lessons.html", context, status=400)
    page, query = _paged(request, lessons_for(me, form.filters()).order_by("-created_at", "-pk"))
    context.update(page=page, query=query)
    return render(request, "responses/lessons.html", context)


@fetched_first(_lesson, "lesson_id", ["POST"])
def lesson_share_view(request: HttpRequest, org_slug: str, lesson: Lesson) -> HttpResponse:
    shared = request.POST.get("shared") == "on"
    try:
        actions.do_set_lesson_sharing(membership_of(request), lesson, shared)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("The lesson is shared with the network.") if shared else _("The lesson is no longer shared.")
        )
    return redirect("responses:lessons", org_slug=org_slug)


@require_GET
def donor_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    return render(request, "responses/donor.html", {"report": donor_report(membership_of(request))})
