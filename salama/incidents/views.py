"""Incident pages: the organisation-wide list with filters, recording and editing an incident
on a case (without JavaScript: "add another row" is a round trip), the incident page with
audited reveals, links and deletion, and its history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from salama.cases.access import access_case
from salama.cases.models import Case
from salama.core.decorators import fetched_first
from salama.core.encryption import DecryptionError
from salama.core.paging import KeysFirstPaginator
from salama.core.permissions import role_can
from salama.core.requests import membership_of
from salama.revisions.forms import CommentForm
from salama.revisions.views import history_response

from . import actions
from .access import ENCRYPTED_FIELDS, access_incident, incident_list_keys, incidents_for, links_of
from .forms import (
    ROWS,
    EditIncidentForm,
    IncidentFilterForm,
    IncidentForm,
    LinkForm,
    RevealForm,
    field_label,
    initial_rows,
    keep_recorded,
    row_formset,
)
from .models import Incident

PAGE_SIZE = 25
FIRST_ROWS = {"victims": 1, "acts": 1, "perpetrators": 1, "sources": 1}


def _case(request: HttpRequest, case_id: Any) -> Case:
    me = membership_of(request)
    return access_case(me.user, me.organization, case_id)


def _incident(request: HttpRequest, case_id: Any, incident_id: Any) -> Incident:
    return access_incident(membership_of(request), incident_id, _case(request, case_id))


def incident_view(methods: list[str]) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """The view gets the incident in place of case_id and incident_id (see fetched_first)."""
    return fetched_first(_incident, ("case_id", "incident_id"), methods)


@require_GET
def list_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = IncidentFilterForm(request.GET or None)
    role = membership_of(request).role
    context: dict[str, Any] = {
        "filter_form": form,
        "can_export": role_can(role, "cases.export"),
        "can_import": role_can(role, "incidents.import"),
    }
    if form.is_bound and not form.is_valid():
        return render(request, "incidents/list.html", context, status=400)
    filters = form.filters()
    me = membership_of(request)
    queryset = incidents_for(me, filters)
    rows = incidents_for(me).prefetch_related("acts__violation")
    # A date filter is a range of the list's index (see _overlapping): count from its newest end.
    in_order = bool(filters.date_from or filters.date_to)
    keys = incident_list_keys(me, filters)
    paginator = KeysFirstPaginator(queryset, PAGE_SIZE, count_in_order=in_order, rows=rows, keys=keys)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context.update(page=page, query=query.urlencode())
    return render(request, "incidents/list.html", context)


def _row_counts(data: Any) -> dict[str, int]:
    counts = {}
    for kind in ROWS:
        try:
            counts[kind] = max(1, min(int(data.get(f"{kind}-TOTAL_FORMS", 1)), actions.MAX_ROWS))
        except ValueError:
            counts[kind] = 1
    return counts


def _typed(data: Any, kind: str, rows: int, editing: bool) -> list[dict[str, Any]]:
    """What was typed in each row, to show again after a round trip."""
    names = [*ROWS[kind].base_fields, *(["DELETE"] if editing else [])]
    return [{name: data.get(f"{kind}-{i}-{name}", "") for name in names} for i in range(rows)]


def _formsets(
    request: HttpRequest, counts: dict[str, int], data: Any = None, initial: Any = None, editing: bool = False
) -> dict[str, Any]:
    kwargs: dict[str, dict[str, Any]] = {
        "victims": {"membership": membership_of(request)},
        "acts": {"victim_rows": counts["victims"]},
        "perpetrators": {},
        "sources": {},
    }
    return {
        kind: row_formset(
            kind, counts[kind], data=data, initial=(initial or {}).get(kind), editing=editing, **kwargs[kind]
        )
        for kind in ROWS
    }


def _is_filled(form: Any) -> bool:
    """A row to save: neither blank nor marked for removal."""
    return bool(form.has_changed() and not form.cleaned_data.get("DELETE"))


def _filled(formset: Any) -> list[Any]:
    return [form for form in formset.forms if _is_filled(form)]


def _row(form: Any) -> dict[str, Any]:
    return {name: value for name, value in form.cleaned_data.items() if name != "DELETE"}


def _rows(formsets: dict[str, Any]) -> dict[str, list[dict[str, Any]]] | None:
    """The filled rows as the action takes them; None (with errors added) when an act names a
    victim row that was left blank."""
    kept: dict[int, int] = {}
    victims: list[dict[str, Any]] = []
    for i, form in enumerate(formsets["victims"].forms):
        if _is_filled(form):
            kept[i] = len(victims)
            victims.append(_row(form))
    acts = []
    for form in _filled(formsets["acts"]):
        row = _row(form)
        if row.get("victim") is not None:
            if row["victim"] not in kept:
                form.add_error("victim", _("This victim's row is empty."))
                return None
            row["victim"] = kept[row["victim"]]
        acts.append(row)
    return {
        "victims": victims,
        "acts": acts,
        "perpetrators": [_row(f) for f in _filled(formsets["perpetrators"])],
        "sources": [_row(f) for f in _filled(formsets["sources"])],
    }


def _record_page(request: HttpRequest, case: Case, form: Any, formsets: Any, status: int = 200, **extra: Any) -> Any:
    """The form to record an incident, or with `incident` and `comment_form`, to edit one."""
    context = {"case": case, "form": form, "formsets": formsets, **extra}
    return render(request, "incidents/form.html", context, status=status)


def _round_trip(request: HttpRequest, case: Case, more: str, form_class: Any, **extra: Any) -> HttpResponse:
    """Nothing is validated or saved: the same page comes back, as typed, with one more row."""
    editing = "incident" in extra
    counts = _row_counts(request.POST)
    counts[more] = min(counts[more] + 1, actions.MAX_ROWS)
    initial = {kind: _typed(request.POST, kind, counts[kind], editing) for kind in ROWS}
    form = form_class(initial={name: request.POST.get(name, "") for name in form_class.base_fields})
    formsets = _formsets(request, counts, initial=initial, editing=editing)
    return _record_page(request, case, form, formsets, **extra)


def _submitted(request: HttpRequest, form_class: Any, editing: bool = False) -> tuple[Any, Any, Any]:
    """The form and formsets bound to what was posted, and the rows as the action takes them
    (None when anything is wrong, the errors added to the forms)."""
    form = form_class(request.POST)
    formsets = _formsets(request, _row_counts(request.POST), data=request.POST, editing=editing)
    valid = form.is_valid() & all([formset.is_valid() for formset in formsets.values()])
    rows = _rows(formsets) if valid else None
    if rows is not None and not rows["acts"]:
        rows = None
        formsets["acts"].forms[0].add_error("violation", _("Record at least one act: what was done."))
    return form, formsets, rows


@require_http_methods(["GET", "POST"])
def create_view(request: HttpRequest, org_slug: str, case_id: str) -> HttpResponse:
    case = _case(request, case_id)
    if request.method == "GET":
        return _record_page(request, case, IncidentForm(), _formsets(request, FIRST_ROWS))
    more = request.POST.get("more")
    if more in ROWS:
        return _round_trip(request, case, more, IncidentForm)
    form, formsets, rows = _submitted(request, IncidentForm)
    if rows is None:
        return _record_page(request, case, form, formsets, status=400)
    try:
        incident = actions.do_record_incident(membership_of(request), case, **form.cleaned_data, **rows)
    except ValidationError as error:
        return _record_page(request, case, form, formsets, status=400, action_errors=error.messages)
    messages.success(request, _("Incident recorded."))
    return redirect("incidents:detail", org_slug=org_slug, case_id=case.pk, incident_id=incident.pk)


def _edit_page(request: HttpRequest, incident: Incident, shown: bool = False) -> HttpResponse:
    """The recorded incident in the form; `shown` after an audited reveal, with its protected
    details filled in (opened here: raises DecryptionError rather than show stored bytes)."""
    rows = initial_rows(incident, shown)
    counts = {kind: max(1, len(rows[kind])) for kind in ROWS}
    form = EditIncidentForm(initial=EditIncidentForm.initial_from(incident, shown))
    formsets = _formsets(request, counts, initial=rows, editing=True)
    return _record_page(request, incident.case, form, formsets, incident=incident, comment_form=CommentForm())


def _undecryptable(request: HttpRequest, incident: Incident, names: Any) -> HttpResponse:
    actions.do_note_decryption_failure(membership_of(request), incident, names)
    return _detail(request, incident, undecryptable=True)


def _reveal_for_edit(request: HttpRequest, incident: Incident) -> HttpResponse:
    names = actions.do_reveal(membership_of(request), incident, actions.REVEALABLE)
    try:
        return _edit_page(request, incident, shown=True)
    except DecryptionError:
        return _undecryptable(request, incident, names)


def _save_edit(request: HttpRequest, org_slug: str, incident: Incident) -> HttpResponse:
    form, formsets, rows = _submitted(request, EditIncidentForm, editing=True)
    comment_form = CommentForm(request.POST)
    extra = {"incident": incident, "comment_form": comment_form}
    if rows is None or not comment_form.is_valid():
        return _record_page(request, incident.case, form, formsets, status=400, **extra)
    try:
        if not form.protected_shown:
            rows = keep_recorded(rows, incident)
        comment = comment_form.cleaned_data["comment"]
        actions.do_update_incident(membership_of(request), incident, comment=comment, **form.changes(), **rows)
    except ValidationError as error:
        return _record_page(request, incident.case, form, formsets, status=400, action_errors=error.messages, **extra)
    except DecryptionError:
        return _undecryptable(request, incident, actions.REVEALABLE)
    messages.success(request, _("Saved."))
    return redirect("incidents:detail", org_slug=org_slug, case_id=incident.case_id, incident_id=incident.pk)


@incident_view(["GET", "POST"])
def edit_view(request: HttpRequest, org_slug: str, incident: Incident) -> HttpResponse:
    """GET shows the recorded incident with its protected details hidden; POST with `reveal`
    fills them in (audited); POST with `more` adds a row; any other POST saves."""
    if request.method == "GET":
        return _edit_page(request, incident)
    if "reveal" in request.POST:
        return _reveal_for_edit(request, incident)
    more = request.POST.get("more")
    if more in ROWS:
        comment_form = CommentForm(request.POST)
        return _round_trip(request, incident.case, more, EditIncidentForm, incident=incident, comment_form=comment_form)
    return _save_edit(request, org_slug, incident)


@incident_view(["GET", "POST"])
def history_view(request: HttpRequest, org_slug: str, incident: Incident) -> HttpResponse:
    """Revisions of the incident; POST reveals their protected values (audited)."""
    args = [org_slug, incident.case_id, incident.pk]
    return history_response(
        request,
        incident,
        reveal_permission="cases.reveal",
        reveal_action="incident.revealed",
        target=("incident", incident.pk),
        back_url=reverse("incidents:detail", args=args),
        reveal_url=reverse("incidents:history", args=args),
    )


def _open(incident: Incident, names: list[str]) -> dict[str, Any]:
    """The values asked for, opened now; raises DecryptionError rather than show stored bytes."""
    values: dict[str, Any] = {name: getattr(incident, name) for name in names if name in ENCRYPTED_FIELDS}
    if actions.VICTIM_NAMES in names:
        values[actions.VICTIM_NAMES] = {v.pk: v.other_name for v in incident.victims.all()}
    if actions.PERPETRATOR_NAMES in names:
        values[actions.PERPETRATOR_NAMES] = {p.pk: p.named_actor for p in incident.perpetrators.all()}
    if actions.SOURCE_DESCRIPTIONS in names:
        values[actions.SOURCE_DESCRIPTIONS] = {s.pk: s.description for s in incident.sources.all()}
    return values


def _detail(
    request: HttpRequest, incident: Incident, revealed: dict[str, Any] | None = None, status: int = 200, **extra: Any
) -> HttpResponse:
    revealed = revealed or {}
    me = membership_of(request)
    visible = incidents_for(me).values("pk")
    names = revealed.get(actions.VICTIM_NAMES, {})
    actors = revealed.get(actions.PERPETRATOR_NAMES, {})
    descriptions = revealed.get(actions.SOURCE_DESCRIPTIONS, {})
    victims = list(incident.victims.select_related("defender", "status"))
    numbers = {victim.pk: number for number, victim in enumerate(victims, start=1)}
    context = {
        "incident": incident,
        "case": incident.case,
        "rows": [
            {
                "name": name,
                "label": field_label(Incident, name),
                "is_set": getattr(incident, f"has_{name}"),
                "shown": name in revealed,
                "value": revealed.get(name),
            }
            for name in ENCRYPTED_FIELDS
        ],
        "acts": [
            (act, numbers.get(act.victim_id) if act.victim_id else None)
            for act in incident.acts.select_related("violation", "method", "victim")
        ],
        "victims": [(victim, victim.pk in names, names.get(victim.pk)) for victim in victims],
        "perpetrators": [
            (p, p.pk in actors, actors.get(p.pk)) for p in incident.perpetrators.select_related("type", "involvement")
        ],
        "sources": [
            (s, s.pk in descriptions, descriptions.get(s.pk)) for s in incident.sources.select_related("reliability")
        ],
        # Links to incidents of cases this person may not see are left out, titles included.
        "links": links_of(incident).filter(from_incident__in=visible, to_incident__in=visible),
        "can_edit": role_can(me.role, "cases.edit"),
        "can_reveal": role_can(me.role, "cases.reveal"),
        "can_delete": role_can(me.role, "cases.delete"),
        "link_form": extra.pop("link_form", None) or LinkForm(),
        **extra,
    }
    return render(request, "incidents/detail.html", context, status=status)


@incident_view(["GET"])
def detail_view(request: HttpRequest, org_slug: str, incident: Incident) -> HttpResponse:
    return _detail(request, incident)


@incident_view(["POST"])
def reveal_view(request: HttpRequest, org_slug: str, incident: Incident) -> HttpResponse:
    """Values are shown in this response only: never kept in the session or put in a URL."""
    form = RevealForm(request.POST)
    if not form.is_valid():
        return _detail(request, incident, status=400, reveal_error=True)
    names = actions.do_reveal(membership_of(request), incident, form.cleaned_data["field"])
    try:
        revealed = _open(incident, names)
    except DecryptionError:
        actions.do_note_decryption_failure(membership_of(request), incident, names)
        return _detail(request, incident, undecryptable=True)
    return _detail(request, incident, revealed)


@incident_view(["POST"])
def link_view(request: HttpRequest, org_slug: str, incident: Incident) -> HttpResponse:
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            other = access_incident(membership_of(request), form.cleaned_data["to_incident"])
        except Http404:
            form.add_error("to_incident", _("No incident with this identifier that you may see."))
        else:
            try:
                actions.do_link_incidents(membership_of(request), incident, other, form.cleaned_data["kind"])
            except ValidationError as error:
                form.add_error(None, error.messages[0])
    if form.errors:
        return _detail(request, incident, status=400, link_form=form)
    messages.success(request, _("Incidents linked."))
    return redirect("incidents:detail", org_slug=org_slug, case_id=incident.case_id, incident_id=incident.pk)


@incident_view(["GET", "POST"])
def delete_view(request: HttpRequest, org_slug: str, incident: Incident) -> HttpResponse:
    if request.method == "POST":
        actions.do_delete_incident(membership_of(request), incident)
        messages.success(request, _("Incident deleted. Its protected details can no longer be read."))
        return redirect("incidents:list", org_slug=org_slug)
    return render(request, "incidents/delete.html", {"incident": incident, "case": incident.case})
