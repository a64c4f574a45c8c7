"""Import (upload, columns, terms, preview and dry run, confirm, progress) and export pages.
All work with JavaScript off."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salama.accounts.views import needs_step_up
from salama.cases.forms import CaseFilterForm
from salama.core.encryption import DecryptionError
from salama.core.permissions import require, role_can
from salama.core.requests import membership_of, organization_of
from salama.defenders.forms import DefenderFilterForm
from salama.incidents.forms import IncidentFilterForm

from . import actions, export_kinds
from .access import access_batch, access_mapping, batches_of, mappings_of
from .export import Export, ExportKind, do_export
from .forms import ExportForm, MappingForm, UploadForm, VocabForm
from .kinds import importable_by
from .models import ImportBatch
from .reading import FileError
from .rows import auto_mapping, unknown_values

MAX_ERRORS_SHOWN = 500


def _batch(request: HttpRequest, batch_id: str) -> ImportBatch:
    """The batch, for someone who may import its kind: the file holds protected values."""
    batch = access_batch(organization_of(request), batch_id)
    require(membership_of(request), actions.kind_of(batch).permission)
    return batch


def _closed(request: HttpRequest, batch: ImportBatch) -> HttpResponse | None:
    if batch.is_open:
        return None
    return redirect("transfer:import_batch", org_slug=organization_of(request).slug, batch_id=batch.pk)


@require_http_methods(["GET", "POST"])
def import_start_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    kinds = [kind.code for kind in importable_by(membership_of(request).role)]
    initial = {"kind": request.GET["kind"]} if request.GET.get("kind") in kinds else {}
    form = UploadForm(request.POST or None, request.FILES or None, role=membership_of(request).role, initial=initial)
    context = {"form": form, "batches": batches_of(organization_of(request)).filter(kind__in=kinds)[:20]}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "transfer/start.html", context, status=400)
        upload = form.cleaned_data["file"]
        try:
            batch = actions.do_upload(membership_of(request), form.cleaned_data["kind"], upload.name, upload.read())
        except FileError as error:
            form.add_error("file", str(error))
            return render(request, "transfer/start.html", context, status=400)
        return redirect("transfer:import_mapping", org_slug=org_slug, batch_id=batch.pk)
    return render(request, "transfer/start.html", context)


@require_GET
def import_batch_view(request: HttpRequest, org_slug: str, batch_id: str) -> HttpResponse:
    batch = _batch(request, batch_id)
    if batch.is_open:
        return redirect("transfer:import_mapping", org_slug=org_slug, batch_id=batch.pk)
    return render(request, "transfer/batch.html", {"batch": batch})


@require_http_methods(["GET", "POST"])
def import_mapping_view(request: HttpRequest, org_slug: str, batch_id: str) -> HttpResponse:
    org = organization_of(request)
    batch = _batch(request, batch_id)
    if (closed := _closed(request, batch)) is not None:
        return closed
    kind = actions.kind_of(batch)
    headers = batch.table.get("headers", [])
    saved = mappings_of(org, batch.kind)
    initial = batch.mapping or auto_mapping(kind, headers)
    if request.GET.get("saved", "").isdigit():
        initial = access_mapping(org, batch.kind, request.GET["saved"]).mapping
    form = MappingForm(
        request.POST or None,
        kind=kind,
        headers=headers,
        initial={
            **{f"field_{name}": column for name, column in initial.items() if column in headers},
            **{f"fixed_{name}": value for name, value in batch.fixed.items()},
        },
    )
    context = {"batch": batch, "kind": kind, "form": form, "saved": saved, "headers": headers}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "transfer/mapping.html", context, status=400)
        try:
            actions.do_set_mapping(
                membership_of(request), batch, form.mapping(), form.cleaned_data["save_as"].strip(), fixed=form.fixed()
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect("transfer:import_batch", org_slug=org_slug, batch_id=batch.pk)
        if unknown_values(kind, batch.table, batch.mapping, batch.fixed):
            return redirect("transfer:import_terms", org_slug=org_slug, batch_id=batch.pk)
        return redirect("transfer:import_preview", org_slug=org_slug, batch_id=batch.pk)
    return render(request, "transfer/mapping.html", context)


@require_http_methods(["GET", "POST"])
def import_terms_view(request: HttpRequest, org_slug: str, batch_id: str) -> HttpResponse:
    batch = _batch(request, batch_id)
    if (closed := _closed(request, batch)) is not None:
        return closed
    kind = actions.kind_of(batch)
    unknown = unknown_values(kind, batch.table, batch.mapping, batch.fixed)
    form = VocabForm(request.POST or None, kind=kind, unknown=unknown, chosen=batch.vocab_map)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "transfer/terms.html", {"batch": batch, "form": form}, status=400)
        actions.do_set_vocab_map(membership_of(request), batch, form.choices())
        return redirect("transfer:import_preview", org_slug=org_slug, batch_id=batch.pk)
    return render(request, "transfer/terms.html", {"batch": batch, "form": form})


@require_GET
def import_preview_view(request: HttpRequest, org_slug: str, batch_id: str) -> HttpResponse:
    """The dry run: every row checked, what confirming would do counted, nothing written."""
    batch = _batch(request, batch_id)
    if (closed := _closed(request, batch)) is not None:
        return closed
    results = actions.preview(batch)
    errors = [result for result in results if result.errors][:MAX_ERRORS_SHOWN]
    context = {"batch": batch, "summary": actions.summary(batch, results), "errors": errors}
    return render(request, "transfer/preview.html", context)


@require_POST
def import_run_view(request: HttpRequest, org_slug: str, batch_id: str) -> HttpResponse:
    batch = _batch(request, batch_id)
    try:
        background = actions.do_start_import(membership_of(request), batch)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("transfer:import_batch", org_slug=org_slug, batch_id=batch.pk)
    if background:
        messages.success(request, _("The import is running. This page shows how far it has got."))
    else:
        messages.success(request, _("Imported."))
    return redirect("transfer:import_batch", org_slug=org_slug, batch_id=batch.pk)


@require_POST
def import_cancel_view(request: HttpRequest, org_slug: str, batch_id: str) -> HttpResponse:
    batch = _batch(request, batch_id)
    try:
        actions.do_cancel(membership_of(request), batch)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Import cancelled. The uploaded file was destroyed."))
    return redirect("transfer:import_start", org_slug=org_slug)


@dataclass(frozen=True)
class ExportPage:
    kind: ExportKind
    route: str
    title: Promise
    which: Promise  # the legend over the list's filters
    filter_form: Callable[[HttpRequest, Any], Any]  # the list page's own filter form


EXPORT_PAGES = {
    "defenders": ExportPage(
        export_kinds.DEFENDERS,
        "transfer:export",
        _lazy("Export defenders"),
        _lazy("Which defenders"),
        lambda request, data: DefenderFilterForm(data),
    ),
    "cases": ExportPage(
        export_kinds.CASES,
        "transfer:export_cases",
        _lazy("Export cases"),
        _lazy("Which cases"),
        lambda request, data: CaseFilterForm(data, org=organization_of(request)),
    ),
    "incidents": ExportPage(
        export_kinds.INCIDENTS,
        "transfer:export_incidents",
        _lazy("Export incidents"),
        _lazy("Which incidents"),
        lambda request, data: IncidentFilterForm(data),
    ),
}


def _attachment(export: Export) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def _step_up(request: HttpRequest, org_slug: str, page: ExportPage, filter_form: Any) -> HttpResponse:
    """To the second factor, then back to this page with the same filters."""
    query = {key: value for key, value in request.POST.items() if key in filter_form.fields and value}
    back = reverse(page.route, kwargs={"org_slug": org_slug})
    back = f"{back}?{urlencode(query)}" if query else back
    return redirect(f"{reverse('accounts:confirm')}?{urlencode({'next': back})}")


def _export(request: HttpRequest, org_slug: str, page: ExportPage) -> HttpResponse:
    """Filters come from the list page's query string; the export itself is a POST."""
    data: Any = request.POST if request.method == "POST" else request.GET
    filter_form = page.filter_form(request, data or None)
    export_form = ExportForm(request.POST or None)
    me = membership_of(request)
    context = {
        "page": page,
        "filter_form": filter_form,
        "export_form": export_form,
        "can_reveal": role_can(me.role, page.kind.reveal),
    }
    if request.method == "GET":
        return render(request, "transfer/export.html", context)
    if not (export_form.is_valid() and (not filter_form.is_bound or filter_form.is_valid())):
        return render(request, "transfer/export.html", context, status=400)
    deidentified = export_form.cleaned_data["deidentified"]
    if not deidentified and not (decision := role_can(me.role, page.kind.reveal)):
        return render(request, "denied.html", {"reason": decision.reason}, status=403)
    # Every export takes a list of the network's work off the server, even a de-identified
    # one: each needs a fresh second factor.
    if needs_step_up(request):
        return _step_up(request, org_slug, page, filter_form)
    try:
        export = do_export(
            me, page.kind, filter_form.filters(), export_form.cleaned_data["format"], deidentified=deidentified
        )
    except DecryptionError:
        return render(request, "transfer/export.html", {**context, "undecryptable": True}, status=409)
    return _attachment(export)


@require_http_methods(["GET", "POST"])
def export_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _export(request, org_slug, EXPORT_PAGES["defenders"])


@require_http_methods(["GET", "POST"])
def export_cases_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _export(request, org_slug, EXPORT_PAGES["cases"])


@require_http_methods(["GET", "POST"])
def export_incidents_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _export(request, org_slug, EXPORT_PAGES["incidents"])
