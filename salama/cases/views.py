"""Case pages: the list with filters and sorting, the case page with its team, status, notes
(hidden until an audited reveal) and timeline, create, edit and delete. All work with
JavaScript off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from salama.core.decorators import fetched_first
from salama.core.encryption import DecryptionError
from salama.core.forms import add_action_errors
from salama.core.paging import KeysFirstPaginator
from salama.core.permissions import role_can
from salama.core.requests import membership_of, organization_of
from salama.revisions.views import history_response
from salama.sharing.access import grants_of

from . import actions
from .access import NOTES, SUMMARY, access_case, case_list_keys, cases_for, notes_of, timeline_of
from .forms import CaseFilterForm, CaseForm, EditCaseForm, NoteForm, RevealForm, StatusForm, TeamForm
from .models import Case
from .timeline import describe

PAGE_SIZE = 25


def _case(request: HttpRequest, case_id: Any) -> Case:
    return access_case(request.user, organization_of(request), case_id)


def case_view(methods: list[str]) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    return fetched_first(_case, "case_id", methods)


@require_GET
def list_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = CaseFilterForm(request.GET or None, org=organization_of(request))
    context: dict[str, Any] = {
        "filter_form": form,
        "can_edit": role_can(membership_of(request).role, "cases.edit"),
        "can_export": role_can(membership_of(request).role, "cases.export"),
    }
    if form.is_bound and not form.is_valid():
        return render(request, "cases/list.html", context, status=400)
    me = membership_of(request)
    filters = form.filters()
    paginator = KeysFirstPaginator(
        cases_for(me, filters), PAGE_SIZE, rows=cases_for(me), keys=case_list_keys(me, filters)
    )
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context.update(page=page, query=query.urlencode())
    return render(request, "cases/list.html", context)


@require_http_methods(["GET", "POST"])
def create_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = CaseForm(request.POST or None, membership=membership_of(request))
    if request.method == "POST":
        if form.is_valid():
            try:
                case = actions.do_open_case(membership_of(request), **form.cleaned_data)
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Case opened."))
                return redirect("cases:detail", org_slug=org_slug, case_id=case.pk)
        return render(request, "cases/form.html", {"form": form}, status=400)
    return render(request, "cases/form.html", {"form": form})


@case_view(["GET", "POST"])
def edit_view(request: HttpRequest, org_slug: str, case: Case) -> HttpResponse:
    form = EditCaseForm(
        request.POST or None, membership=membership_of(request), initial=EditCaseForm.initial_from(case)
    )
    context = {"form": form, "case": case}
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.do_update_case(membership_of(request), case, **form.changes())
            except ValidationError as error:
                add_action_errors(form, error)
            except DecryptionError:
                return _undecryptable(request, case, [SUMMARY])
            else:
                messages.success(request, _("Saved."))
                return redirect("cases:detail", org_slug=org_slug, case_id=case.pk)
        return render(request, "cases/form.html", context, status=400)
    return render(request, "cases/form.html", context)


def _page(
    request: HttpRequest, case: Case, revealed: dict[str, Any] | None = None, status: int = 200, **extra: Any
) -> HttpResponse:
    revealed = revealed or {}
    me = membership_of(request)
    notes = list(notes_of(case))
    shown_notes = revealed.get(NOTES)
    context = {
        "case": case,
        "defenders": case.defenders.all().order_by("public_name"),
        "team": case.team.all().order_by("display_name"),
        "tags": case.tags.all(),
        "summary_set": bool(Case.objects.filter(pk=case.pk).exclude(summary="").exists()),
        "summary_shown": SUMMARY in revealed,
        "summary": revealed.get(SUMMARY),
        "notes": [(note, shown_notes.get(note.pk) if shown_notes else None) for note in notes],
        "notes_shown": shown_notes is not None,
        "timeline": [(event, describe(event)) for event in timeline_of(case)],
        "can_edit": role_can(me.role, "cases.edit"),
        "can_reveal": role_can(me.role, "cases.reveal"),
        "can_manage_team": role_can(me.role, "cases.manage_team"),
        "can_delete": role_can(me.role, "cases.delete"),
        "can_share": (can_share := role_can(me.role, "cases.share")),
        "grants": grants_of(case) if can_share else [],
        "status_form": extra.pop("status_form", None) or StatusForm(prefix="status", initial={"status": case.status}),
        "team_form": extra.pop("team_form", None) or TeamForm(prefix="team", org=organization_of(request)),
        "note_form": extra.pop("note_form", None) or NoteForm(prefix="note"),
        **extra,
    }
    return render(request, "cases/detail.html", context, status=status)


def _undecryptable(request: HttpRequest, case: Case, fields: Any) -> HttpResponse:
    actions.do_note_decryption_failure(membership_of(request), case, fields)
    return _page(request, case, undecryptable=True)


@case_view(["GET"])
def detail_view(request: HttpRequest, org_slug: str, case: Case) -> HttpResponse:
    actions.do_note_view(membership_of(request), case)
    return _page(request, case)


def _open(case: Case, names: list[str]) -> dict[str, Any]:
    """The values asked for, opened now; raises DecryptionError rather than show stored bytes."""
    values: dict[str, Any] = {}
    if SUMMARY in names:
        values[SUMMARY] = case.summary
    if NOTES in names:
        values[NOTES] = {note.pk: note.text for note in notes_of(case)}
    return values


@case_view(["POST"])
def reveal_view(request: HttpRequest, org_slug: str, case: Case) -> HttpResponse:
    """Values are shown in this response only: never kept in the session or put in a URL."""
    form = RevealForm(request.POST)
    if not form.is_valid():
        return _page(request, case, status=400, reveal_error=True)
    names = actions.do_reveal(membership_of(request), case, form.cleaned_data["field"])
    try:
        revealed = _open(case, names)
    except DecryptionError:
        return _undecryptable(request, case, names)
    return _page(request, case, revealed)


@case_view(["POST"])
def status_view(request: HttpRequest, org_slug: str, case: Case) -> HttpResponse:
    form = StatusForm(request.POST, prefix="status")
    if form.is_valid():
        try:
            actions.do_change_status(
                membership_of(request), case, form.cleaned_data["status"], form.cleaned_data["closed_reason"]
            )
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Status changed."))
            return redirect("cases:detail", org_slug=org_slug, case_id=case.pk)
    return _page(request, case, status=400, status_form=form)


@case_view(["POST"])
def team_view(request: HttpRequest, org_slug: str, case: Case) -> HttpResponse:
    form = TeamForm(request.POST, prefix="team", org=organization_of(request))
    if form.is_valid():
        user = form.cleaned_data["member"].user
        change = actions.do_add_team_member if form.cleaned_data["operation"] == TeamForm.ADD else None
        try:
            if change is not None:
                change(membership_of(request), case, user)
            else:
                actions.do_remove_team_member(membership_of(request), case, user)
        except ValidationError as error:
            form.add_error("member", error.messages)
        else:
            messages.success(request, _("Case team changed."))
            return redirect("cases:detail", org_slug=org_slug, case_id=case.pk)
    return _page(request, case, status=400, team_form=form)


@case_view(["POST"])
def note_add_view(request: HttpRequest, org_slug: str, case: Case) -> HttpResponse:
    form = NoteForm(request.POST, prefix="note")
    if form.is_valid():
        try:
            actions.do_add_note(membership_of(request), case, form.cleaned_data["text"])
        except ValidationError as error:
            form.add_error("text", error.messages)
        else:
            messages.success(request, _("Note added."))
            return redirect("cases:detail", org_slug=org_slug, case_id=case.pk)
    return _page(request, case, status=400, note_form=form)


@case_view(["GET", "POST"])
def history_view(request: HttpRequest, org_slug: str, case: Case) -> HttpResponse:
    """Revisions of the case; POST reveals the encrypted changes (audited), as on the case page."""
    here = reverse("cases:history", args=[org_slug, case.pk])
    return history_response(
        request,
        case,
        reveal_permission="cases.reveal",
        reveal_action="case.revealed",
        target=("case", case.pk),
        back_url=reverse("cases:detail", args=[org_slug, case.pk]),
        reveal_url=here,
    )


@case_view(["GET", "POST"])
def delete_view(request: HttpRequest, org_slug: str, case: Case) -> HttpResponse:
    if request.method == "POST":
        try:
            actions.do_delete_case(membership_of(request), case)
        except ValidationError as error:
            return render(request, "cases/delete.html", {"case": case, "refusal": error.messages[0]}, status=400)
        messages.success(request, _("Case deleted. Its summary and notes can no longer be read."))
        return redirect("cases:list", org_slug=org_slug)
    return render(request, "cases/delete.html", {"case": case})
