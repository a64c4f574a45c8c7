"""Evidence pages: the case's files with an upload form, a file's page with audited reveals,
downloads served as attachments, and delete. All work with JavaScript off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from salama.cases.access import access_case
from salama.cases.models import Case
from salama.core.decorators import fetched_first
from salama.core.encryption import DecryptionError
from salama.core.permissions import role_can
from salama.core.requests import membership_of, organization_of

from . import actions
from .access import access_evidence, evidence_of
from .forms import RevealForm, UploadForm
from .models import EvidenceFile
from .sniff import ALLOWED, Refused

MAX_NAME = 255


def _evidence(request: HttpRequest, evidence_id: Any) -> EvidenceFile:
    return access_evidence(request.user, organization_of(request), evidence_id)


def evidence_view(methods: list[str]) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """The view gets the evidence in place of evidence_id (see fetched_first)."""
    return fetched_first(_evidence, "evidence_id", methods)


def kind_label(media_type: str) -> str:
    return str(ALLOWED[media_type][1]) if media_type in ALLOWED else media_type


def _list(
    request: HttpRequest, case: Case, form: UploadForm | None = None, status: int = 200, **extra: Any
) -> HttpResponse:
    me = membership_of(request)
    context = {
        "case": case,
        "files": [(f, kind_label(f.media_type)) for f in evidence_of(case)],
        "form": form or UploadForm(),
        "can_upload": role_can(me.role, "cases.edit"),
        **extra,
    }
    return render(request, "evidence/list.html", context, status=status)


@require_GET
def list_view(request: HttpRequest, org_slug: str, case_id: str) -> HttpResponse:
    return _list(request, access_case(request.user, organization_of(request), case_id))


def upload_view(request: HttpRequest, org_slug: str, case_id: str) -> HttpResponse:
    case = access_case(request.user, organization_of(request), case_id)
    if request.method != "POST":  # after the access check, so a GET cannot probe for cases
        return HttpResponseNotAllowed(["POST"])
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _list(request, case, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        evidence = actions.do_upload(
            membership_of(request),
            case,
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
            content=upload.read(),
            name=(upload.name or "")[:MAX_NAME],
        )
    except Refused as refused:
        form.add_error("file", str(refused))
        return _list(request, case, form, status=400)
    except actions.Duplicate as duplicate:
        return _list(request, case, form, status=409, duplicate=duplicate.existing)
    messages.success(request, _("Evidence uploaded and encrypted."))
    return redirect("evidence:detail", org_slug=org_slug, evidence_id=evidence.pk)


def _page(
    request: HttpRequest,
    evidence: EvidenceFile,
    revealed: dict[str, Any] | None = None,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    me = membership_of(request)
    revealed = revealed or {}
    rows = [
        {
            "name": name,
            "label": getattr(evidence._meta.get_field(name), "verbose_name", name),
            "is_set": bool(evidence.__dict__.get(name)),
            "shown": name in revealed,
            "value": revealed.get(name),
        }
        for name in actions.REVEALABLE
    ]
    context = {
        "evidence": evidence,
        "case": evidence.case,
        "kind": kind_label(evidence.media_type),
        "rows": rows,
        "copies": actions.available_copies(me, evidence),
        "can_reveal": role_can(me.role, "cases.reveal"),
        "can_delete": role_can(me.role, "cases.delete"),
        **extra,
    }
    return render(request, "evidence/detail.html", context, status=status)


@evidence_view(["GET"])
def detail_view(request: HttpRequest, org_slug: str, evidence: EvidenceFile) -> HttpResponse:
    return _page(request, evidence)


@evidence_view(["POST"])
def reveal_view(request: HttpRequest, org_slug: str, evidence: EvidenceFile) -> HttpResponse:
    """Values are shown in this response only: never kept in the session or put in a URL."""
    form = RevealForm(request.POST)
    if not form.is_valid():
        return _page(request, evidence, status=400, reveal_error=True)
    names = actions.do_reveal(membership_of(request), evidence, form.cleaned_data["field"])
    try:
        revealed = {name: getattr(evidence, name) for name in names}
    except DecryptionError:
        actions.do_note_decryption_failure(membership_of(request), evidence, names)
        return _page(request, evidence, undecryptable=True)
    return _page(request, evidence, revealed)


@evidence_view(["GET"])
def download_view(request: HttpRequest, org_slug: str, evidence: EvidenceFile) -> HttpResponse:
    """A GET that writes an audit entry: a read of evidence is itself worth recording."""
    copy = request.GET.get("copy") or (actions.DERIVED if evidence.has_derived else actions.ORIGINAL)
    try:
        download = actions.do_download(membership_of(request), evidence, copy)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return _page(request, evidence, status=400)
    except DecryptionError:
        actions.do_note_decryption_failure(membership_of(request), evidence, [copy])
        return _page(request, evidence, status=500, undecryptable=True)
    return attachment(download)


def attachment(download: actions.Download) -> HttpResponse:
    response = HttpResponse(download.content, content_type=download.media_type)
    # A neutral name only: the original name may itself identify a person or a place.
    response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@evidence_view(["GET", "POST"])
def delete_view(request: HttpRequest, org_slug: str, evidence: EvidenceFile) -> HttpResponse:
    if request.method == "POST":
        case_id = evidence.case_id
        actions.do_delete(membership_of(request), evidence)
        messages.success(request, _("Evidence deleted. The file and its protected details can no longer be read."))
        return redirect("evidence:list", org_slug=org_slug, case_id=case_id)
    return render(request, "evidence/delete.html", {"evidence": evidence, "case": evidence.case})
