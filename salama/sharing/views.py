"""Sharing pages: the sharing organisation grants and revokes from the case; the partner reads
shared cases in its own URL space, within the grant's scope. All work with JavaScript off."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from salama.cases.access import access_case, access_shared_case, notes_of, shared_cases, timeline_of
from salama.cases.models import Case
from salama.core.decorators import fetched_first
from salama.core.encryption import DecryptionError
from salama.core.requests import membership_of, organization_of
from salama.defenders.access import ENCRYPTED_FIELDS as DEFENDER_FIELDS
from salama.defenders.access import shared_defenders
from salama.evidence.access import access_shared_evidence, evidence_of
from salama.evidence.actions import DERIVED, open_copy
from salama.evidence.views import attachment
from salama.incidents.access import ENCRYPTED_FIELDS as INCIDENT_FIELDS
from salama.incidents.access import access_shared_incident, incidents_of_case

from . import actions
from .access import access_grant, grants_of
from .forms import IncidentRevealForm, SharedRevealForm, ShareForm
from .models import EVIDENCE, INCIDENTS, REVEAL, VIEW, SharingGrant, scope_allows


def _label(record: Any, name: str) -> Any:
    return getattr(record._meta.get_field(name), "verbose_name", name)


def _errors(form: Any, error: ValidationError) -> None:
    for field, errors in error.message_dict.items():
        target = "expires_on" if field == "expires_at" else field
        form.add_error(target if target in form.fields else None, errors)


# The sharing organisation ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def grant_view(request: HttpRequest, org_slug: str, case_id: str) -> HttpResponse:
    case = access_case(request.user, organization_of(request), case_id)
    form = ShareForm(request.POST or None, org=organization_of(request))
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.do_share_case(
                    membership_of(request),
                    case,
                    to_organization=form.cleaned_data["to_organization"],
                    scope=form.cleaned_data["scope"],
                    purpose=form.cleaned_data["purpose"],
                    expires_at=form.expires_at(),
                )
            except ValidationError as error:
                _errors(form, error)
            else:
                messages.success(request, _("Case shared."))
                return redirect("cases:detail", org_slug=org_slug, case_id=case.pk)
        status = 400
    else:
        status = 200
    context = {"case": case, "form": form, "grants": grants_of(case)}
    return render(request, "sharing/grant.html", context, status=status)


def _grant(request: HttpRequest, case_id: Any, grant_id: Any) -> SharingGrant:
    return access_grant(access_case(request.user, organization_of(request), case_id), grant_id)


@fetched_first(_grant, ("case_id", "grant_id"), ["POST"])
def revoke_view(request: HttpRequest, org_slug: str, grant: SharingGrant) -> HttpResponse:
    case = grant.case
    try:
        actions.do_revoke_grant(membership_of(request), grant)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Sharing revoked: the partner no longer sees this case."))
    return redirect("cases:detail", org_slug=org_slug, case_id=case.pk)


# The partner -------------------------------------------------------------------------------


@require_GET
def shared_list_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    return render(request, "sharing/shared_list.html", {"cases": shared_cases(membership_of(request))})


def _page(
    request: HttpRequest, case: Case, grants: list[SharingGrant], status: int = 200, **extra: Any
) -> HttpResponse:
    scopes = {grant.scope for grant in grants}

    def allows(capability: str) -> bool:
        return any(scope_allows(scope, capability) for scope in scopes)

    defenders, _grant = shared_defenders(request.user, organization_of(request), case.pk, VIEW)
    context = {
        "case": case,
        "grants": grants,
        "defenders": defenders,
        # Kinds and dates only: the sharer's timeline words name its own staff.
        "timeline": [(event.occurred_at, event.kind) for event in timeline_of(case)],
        "can_reveal": allows(REVEAL),
        "incidents": incidents_of_case(case) if allows(INCIDENTS) else None,
        "files": evidence_of(case).filter(has_derived=True) if allows(EVIDENCE) else None,
        "revealed": {},
        **extra,
    }
    return render(request, "sharing/shared_detail.html", context, status=status)


@require_GET
def shared_detail_view(request: HttpRequest, org_slug: str, case_id: str) -> HttpResponse:
    case, grants = access_shared_case(request.user, organization_of(request), case_id, VIEW)
    actions.do_note_shared_view(membership_of(request), grants[0])
    return _page(request, case, grants)


def _revealable_shared_case(request: HttpRequest, case_id: Any) -> tuple[Case, list[SharingGrant]]:
    return access_shared_case(request.user, organization_of(request), case_id, REVEAL)


@fetched_first(_revealable_shared_case, "case_id", ["POST"])
def shared_reveal_view(request: HttpRequest, org_slug: str, shared: tuple[Case, list[SharingGrant]]) -> HttpResponse:
    case, grants = shared
    form = SharedRevealForm(request.POST)
    if not form.is_valid():
        return _page(request, case, grants, status=400, reveal_error=True)
    names = actions.do_reveal_shared(membership_of(request), grants[0], form.cleaned_data["field"])
    revealed: dict[str, Any] = {}
    try:
        if "summary" in names:
            revealed["summary"] = case.summary
        if "notes" in names:
            revealed["notes"] = [note.text for note in notes_of(case)]
        if "defenders" in names:
            defenders, _grant = shared_defenders(request.user, organization_of(request), case.pk, REVEAL)
            revealed["defenders"] = [
                (d.public_name, [(_label(d, f), getattr(d, f)) for f in DEFENDER_FIELDS]) for d in defenders
            ]
    except DecryptionError:
        return _page(request, case, grants, status=409, undecryptable=True)
    return _page(request, case, grants, revealed=revealed)


@require_http_methods(["GET", "POST"])
def shared_incident_view(request: HttpRequest, org_slug: str, case_id: str, incident_id: str) -> HttpResponse:
    incident, grant = access_shared_incident(request.user, organization_of(request), case_id, incident_id)
    revealed: list[tuple[Any, Any]] | None = None
    status = 200
    if request.method == "POST":
        if IncidentRevealForm(request.POST).is_valid():
            actions.do_reveal_shared_incident(membership_of(request), grant, incident, INCIDENT_FIELDS)
            try:
                revealed = [(_label(incident, f), getattr(incident, f)) for f in INCIDENT_FIELDS]
            except DecryptionError:
                status = 409
        else:
            status = 400
    context = {"case": incident.case, "incident": incident, "revealed": revealed}
    return render(request, "sharing/shared_incident.html", context, status=status)


@require_GET
def shared_evidence_view(request: HttpRequest, org_slug: str, case_id: str, evidence_id: str) -> HttpResponse:
    """The cleaned copy only: originals keep metadata the sharer may not mean to hand over."""
    evidence, grant = access_shared_evidence(request.user, organization_of(request), case_id, evidence_id)
    if not evidence.has_derived:
        raise Http404
    actions.do_note_shared_download(membership_of(request), grant, evidence)
    try:
        download = open_copy(evidence, DERIVED)
    except DecryptionError:
        return HttpResponse(_("This file cannot be decrypted."), status=409, content_type="text/plain")
    return attachment(download)
