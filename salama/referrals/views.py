"""Referral pages: the organisation's list with filters, a case's list, create from the case
(the directory's suggestions link here with `?actor=<slug>`), the referral page with its status,
reply, outcome and history, the audited reveal, and the submission drafts: the page that lists
what is missing, and the download. All work with JavaScript off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from salama.cases.access import access_case
from salama.cases.models import Case
from salama.core.decorators import fetched_first
from salama.core.encryption import DecryptionError
from salama.core.forms import add_action_errors
from salama.core.paging import KeysFirstPaginator
from salama.core.permissions import role_can
from salama.core.requests import membership_of, organization_of
from salama.defenders.forms import field_label

from . import actions, documents
from .access import REVEALABLE, access_referral, events_of, referrals_of, referrals_of_case
from .forms import DocumentForm, OutcomeForm, ReferralFilterForm, ReferralForm, ReplyForm, StatusForm
from .models import Referral

PAGE_SIZE = 25


def _case(request: HttpRequest, case_id: Any) -> Case:
    return access_case(request.user, organization_of(request), case_id)


def _referral(request: HttpRequest, referral_id: Any) -> Referral:
    return access_referral(membership_of(request), referral_id)


def case_view(methods: list[str]) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    return fetched_first(_case, "case_id", methods)


def referral_view(methods: list[str]) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    return fetched_first(_referral, "referral_id", methods)


@require_GET
def org_list_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = ReferralFilterForm(request.GET or None)
    context: dict[str, Any] = {"filter_form": form}
    if form.is_bound and not form.is_valid():
        return render(request, "referrals/list.html", context, status=400)
    page = KeysFirstPaginator(referrals_of(membership_of(request), form.filters()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context.update(page=page, query=query.urlencode())
    return render(request, "referrals/list.html", context)


@case_view(["GET"])
def case_list_view(request: HttpRequest, org_slug: str, case: Case) -> HttpResponse:
    return render(
        request,
        "referrals/case_list.html",
        {
            "case": case,
            "referrals": referrals_of_case(case),
            "can_edit": role_can(membership_of(request).role, "referrals.edit"),
        },
    )


@case_view(["GET", "POST"])
def create_view(request: HttpRequest, org_slug: str, case: Case) -> HttpResponse:
    initial = {"actor": request.GET.get("actor", ""), "defenders": list(case.defenders.all())}
    form = ReferralForm(request.POST or None, case=case, initial=initial)
    context = {"form": form, "case": case}
    if request.method == "POST":
        if form.is_valid():
            try:
                referral = actions.do_create_referral(
                    membership_of(request),
                    case,
                    to=form.cleaned_data["actor"],
                    defenders=form.cleaned_data["defenders"],
                    **form.changes(),
                )
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Referral saved as a draft."))
                return redirect("referrals:detail", org_slug=org_slug, referral_id=referral.pk)
        return render(request, "referrals/form.html", context, status=400)
    return render(request, "referrals/form.html", context)


@referral_view(["GET", "POST"])
def edit_view(request: HttpRequest, org_slug: str, referral: Referral) -> HttpResponse:
    form = ReferralForm(
        request.POST or None, case=referral.case, referral=referral, initial=ReferralForm.initial_from(referral)
    )
    context = {"form": form, "case": referral.case, "referral": referral}
    if request.method == "POST":
        if form.is_valid():
            try:
                defenders = form.cleaned_data.get("defenders")
                actions.do_update_referral(membership_of(request), referral, defenders=defenders, **form.changes())
            except ValidationError as error:
                add_action_errors(form, error)
            except DecryptionError:
                actions.do_note_decryption_failure(membership_of(request), referral, ["all"])
                return _page(request, referral, status=500, undecryptable=True)
            else:
                messages.success(request, _("Saved."))
                return redirect("referrals:detail", org_slug=org_slug, referral_id=referral.pk)
        return render(request, "referrals/form.html", context, status=400)
    return render(request, "referrals/form.html", context)


def _page(request: HttpRequest, referral: Referral, status: int = 200, **extra: Any) -> HttpResponse:
    me = membership_of(request)
    context = {
        "referral": referral,
        "case": referral.case,
        "defenders": referral.defenders.order_by("public_name"),
        "events": events_of(referral),
        "consents": referral.consents_checked.select_related("defender", "consent"),
        "overdue": referral.is_overdue(),
        "kinds": documents.KINDS.values(),
        "can_edit": role_can(me.role, "referrals.edit"),
        "can_reveal": role_can(me.role, "cases.reveal"),
        "revealable": REVEALABLE,
        "status_form": extra.pop("status_form", None) or StatusForm(referral=referral, prefix="status"),
        "reply_form": extra.pop("reply_form", None) or ReplyForm(prefix="reply"),
        "outcome_form": extra.pop("outcome_form", None)
        or OutcomeForm(prefix="outcome", initial={"outcome": referral.outcome}),
        **extra,
    }
    return render(request, "referrals/detail.html", context, status=status)


@referral_view(["GET"])
def detail_view(request: HttpRequest, org_slug: str, referral: Referral) -> HttpResponse:
    return _page(request, referral)


def _panel_form(
    request: HttpRequest,
    org_slug: str,
    referral: Referral,
    name: str,
    form: Any,
    write: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """One of the referral page's small forms: the action and back to the page, or the page again
    (400) with this form showing its errors or the action's refusal."""
    if form.is_valid():
        try:
            write(form.cleaned_data)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("referrals:detail", org_slug=org_slug, referral_id=referral.pk)
    return _page(request, _referral(request, referral.pk), status=400, **{name: form})


@referral_view(["POST"])
def status_view(request: HttpRequest, org_slug: str, referral: Referral) -> HttpResponse:
    def write(data: dict[str, Any]) -> object:
        return actions.do_change_status(membership_of(request), referral, data["status"], sent_on=data.get("sent_on"))

    form = StatusForm(request.POST, referral=referral, prefix="status")
    return _panel_form(request, org_slug, referral, "status_form", form, write, _("Status changed."))


@referral_view(["POST"])
def reply_view(request: HttpRequest, org_slug: str, referral: Referral) -> HttpResponse:
    def write(data: dict[str, Any]) -> object:
        return actions.do_record_reply(
            membership_of(request), referral, reply=data["reply"], received_on=data["received_on"]
        )

    form = ReplyForm(request.POST, prefix="reply")
    return _panel_form(request, org_slug, referral, "reply_form", form, write, _("Reply recorded."))


@referral_view(["POST"])
def outcome_view(request: HttpRequest, org_slug: str, referral: Referral) -> HttpResponse:
    def write(data: dict[str, Any]) -> object:
        return actions.do_record_outcome(membership_of(request), referral, outcome=data["outcome"], notes=data["notes"])

    form = OutcomeForm(request.POST, prefix="outcome")
    return _panel_form(request, org_slug, referral, "outcome_form", form, write, _("Outcome recorded."))


@referral_view(["POST"])
def reveal_view(request: HttpRequest, org_slug: str, referral: Referral) -> HttpResponse:
    names = actions.do_reveal(membership_of(request), referral, REVEALABLE)
    try:
        revealed = [(field_label(Referral, name), getattr(referral, name)) for name in names]
    except DecryptionError:
        actions.do_note_decryption_failure(membership_of(request), referral, names)
        return _page(request, referral, status=500, undecryptable=True)
    return _page(request, referral, revealed=revealed)


def attachment(download: actions.Download) -> HttpResponse:
    """A draft as a download: never cached, never sniffed, a name that says only the case
    reference, the kind and the language."""
    response = HttpResponse(download.content, content_type=download.media_type)
    response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def _kind(doc_kind: str) -> documents.Kind:
    if doc_kind not in documents.KINDS:
        raise Http404
    return documents.KINDS[doc_kind]


@referral_view(["GET"])
def document_view(request: HttpRequest, org_slug: str, referral: Referral, doc_kind: str) -> HttpResponse:
    """What is missing before this draft can be made, with links to fix it; or the choice of
    language and format."""
    kind = _kind(doc_kind)
    missing = documents.missing_facts(referral, doc_kind)
    return render(
        request,
        "referrals/document.html",
        {
            "referral": referral,
            "case": referral.case,
            "kind": kind,
            "missing": missing,
            "form": DocumentForm(initial={"language": request.LANGUAGE_CODE, "format": "docx"}),
            "can_download": role_can(membership_of(request).role, "cases.reveal"),
        },
    )


@referral_view(["GET"])
def document_download_view(request: HttpRequest, org_slug: str, referral: Referral, doc_kind: str) -> HttpResponse:
    _kind(doc_kind)
    form = DocumentForm(request.GET or None)
    if not form.is_valid() or documents.missing_facts(referral, doc_kind):
        # The page says what is missing (or asks for the language and format again).
        return redirect("referrals:document", org_slug=org_slug, referral_id=referral.pk, doc_kind=doc_kind)
    try:
        download = actions.do_download_document(
            membership_of(request), referral, doc_kind, form.cleaned_data["language"], form.cleaned_data["format"]
        )
    except DecryptionError:
        actions.do_note_decryption_failure(membership_of(request), referral, [doc_kind])
        return _page(request, referral, status=500, undecryptable=True)
    return attachment(download)
