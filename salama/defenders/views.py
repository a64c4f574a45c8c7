"""Defender pages: the list with filters and exact search, the profile with audited reveals,
create, edit and delete, consents and trusted contacts. All work with JavaScript off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salama.core.decorators import fetched_first
from salama.core.encryption import DecryptionError
from salama.core.paging import KeysFirstPaginator
from salama.core.permissions import TEAM_ONLY_ROLES, role_can
from salama.core.requests import membership_of

from . import actions
from .access import (
    ENCRYPTED_FIELDS,
    access_consent,
    access_contact,
    access_defender,
    consents_of,
    contacts_of,
    defenders_of,
    find_exactly,
)
from .forms import (
    ConsentForm,
    DefenderFilterForm,
    DefenderForm,
    EditDefenderForm,
    ExactSearchForm,
    RevealForm,
    TrustedContactForm,
    WithdrawConsentForm,
    field_label,
)
from .models import Defender

PAGE_SIZE = 25
CONTACT_FIELDS = ("name", "relationship", "phone", "email")


def _defender(request: HttpRequest, defender_id: Any) -> Defender:
    return access_defender(membership_of(request), defender_id)


def defender_view(methods: list[str]) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    return fetched_first(_defender, "defender_id", methods)


@require_http_methods(["GET", "POST"])
def list_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Filters travel in the query string; an exact search on a protected field is posted, so
    the value never lands in a URL, a browser history or a server log."""
    filter_form = DefenderFilterForm(request.GET or None)
    search_form = ExactSearchForm(request.POST or None)
    can_edit = role_can(membership_of(request).role, "defenders.edit")
    context: dict[str, Any] = {
        "filter_form": filter_form,
        "search_form": search_form,
        "can_edit": can_edit,
        # Import and export are given to the same roles; the pages check each on its own.
        "can_transfer": role_can(membership_of(request).role, "defenders.import"),
        "team_only": membership_of(request).role in TEAM_ONLY_ROLES,
    }
    if request.method == "POST":
        if not search_form.is_valid():
            return render(request, "defenders/list.html", context, status=400)
        try:
            found = find_exactly(
                membership_of(request), search_form.cleaned_data["field"], search_form.cleaned_data["value"]
            )
        except DecryptionError:
            found = []
            messages.error(request, _("A record that matched cannot be decrypted. Tell your organisation's admin."))
        context.update(exact=True, page=Paginator(found[:PAGE_SIZE], PAGE_SIZE).get_page(1))
        return render(request, "defenders/list.html", context)
    if filter_form.is_bound and not filter_form.is_valid():
        return render(request, "defenders/list.html", context, status=400)
    page = KeysFirstPaginator(defenders_of(membership_of(request), filter_form.filters()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context.update(page=page, query=query.urlencode())
    return render(request, "defenders/list.html", context)


@require_http_methods(["GET", "POST"])
def create_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = DefenderForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            defender = actions.do_create_defender(membership_of(request), **form.cleaned_data)
            messages.success(request, _("Defender added."))
            return redirect("defenders:detail", org_slug=org_slug, defender_id=defender.pk)
        return render(request, "defenders/form.html", {"form": form}, status=400)
    return render(request, "defenders/form.html", {"form": form})


@defender_view(["GET", "POST"])
def edit_view(request: HttpRequest, org_slug: str, defender: Defender) -> HttpResponse:
    form = EditDefenderForm(request.POST or None, initial=EditDefenderForm.initial_from(defender))
    context = {"form": form, "defender": defender}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "defenders/form.html", context, status=400)
        try:
            actions.do_update_defender(membership_of(request), defender, **form.changes())
        except DecryptionError:
            return _undecryptable(request, defender, ENCRYPTED_FIELDS)
        messages.success(request, _("Saved."))
        return redirect("defenders:detail", org_slug=org_slug, defender_id=defender.pk)
    return render(request, "defenders/form.html", context)


def _rows(defender: Defender, revealed: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per protected field: its label, whether anything is recorded, and the value
    only when it was revealed for this response."""
    return [
        {
            "name": name,
            "label": field_label(Defender, name),
            "is_set": getattr(defender, f"has_{name}"),
            "shown": name in revealed,
            "value": revealed.get(name),
            "is_list": isinstance(revealed.get(name), list),
        }
        for name in ENCRYPTED_FIELDS
    ]


def _profile(
    request: HttpRequest, defender: Defender, revealed: dict[str, Any] | None = None, status: int = 200, **extra: Any
) -> HttpResponse:
    revealed = revealed or {}
    me = membership_of(request)
    shown_contacts = revealed.get(actions.CONTACTS, {})
    context = {
        "defender": defender,
        "rows": _rows(defender, revealed),
        "any_set": any(getattr(defender, f"has_{name}") for name in ENCRYPTED_FIELDS),
        "contacts": [(contact, shown_contacts.get(contact.pk)) for contact in contacts_of(defender)],
        "contacts_shown": bool(shown_contacts),
        "consents": consents_of(defender),
        "can_edit": role_can(me.role, "defenders.edit"),
        "can_reveal": role_can(me.role, "defenders.reveal"),
        "can_delete": role_can(me.role, "defenders.delete"),
        "consent_form": extra.pop("consent_form", None) or ConsentForm(prefix="consent"),
        "contact_form": extra.pop("contact_form", None) or TrustedContactForm(prefix="contact"),
        **extra,
    }
    return render(request, "defenders/detail.html", context, status=status)


def _undecryptable(request: HttpRequest, defender: Defender, fields: Any) -> HttpResponse:
    actions.do_note_decryption_failure(membership_of(request), defender, fields)
    return _profile(request, defender, undecryptable=True)


@defender_view(["GET"])
def detail_view(request: HttpRequest, org_slug: str, defender: Defender) -> HttpResponse:
    return _profile(request, defender)


def _open(defender: Defender, names: list[str]) -> dict[str, Any]:
    """The values asked for, opened now; raises DecryptionError rather than show stored bytes."""
    values: dict[str, Any] = {name: getattr(defender, name) for name in names if name in ENCRYPTED_FIELDS}
    if actions.CONTACTS in names:
        values[actions.CONTACTS] = {
            contact.pk: {field: getattr(contact, field) for field in CONTACT_FIELDS}
            for contact in contacts_of(defender)
        }
    return values


@defender_view(["POST"])
def reveal_view(request: HttpRequest, org_slug: str, defender: Defender) -> HttpResponse:
    """Values are shown in this response only: never kept in the session or put in a URL."""
    form = RevealForm(request.POST, choices=[(name, name) for name in actions.REVEALABLE])
    if not form.is_valid():
        return _profile(request, defender, status=400, reveal_error=True)
    names = actions.do_reveal(membership_of(request), defender, form.cleaned_data["field"])
    try:
        revealed = _open(defender, names)
    except DecryptionError:
        return _undecryptable(request, defender, names)
    return _profile(request, defender, revealed)


@defender_view(["GET", "POST"])
def delete_view(request: HttpRequest, org_slug: str, defender: Defender) -> HttpResponse:
    if request.method == "POST":
        actions.do_delete_defender(membership_of(request), defender)
        messages.success(request, _("Defender deleted. Their protected details can no longer be read."))
        return redirect("defenders:list", org_slug=org_slug)
    return render(request, "defenders/delete.html", {"defender": defender})


@defender_view(["POST"])
def consent_add_view(request: HttpRequest, org_slug: str, defender: Defender) -> HttpResponse:
    form = ConsentForm(request.POST, prefix="consent")
    if not form.is_valid():
        return _profile(request, defender, status=400, consent_form=form)
    actions.do_record_consent(membership_of(request), defender, **form.cleaned_data)
    messages.success(request, _("Consent recorded."))
    return redirect("defenders:detail", org_slug=org_slug, defender_id=defender.pk)


@defender_view(["POST"])
def consent_withdraw_view(request: HttpRequest, org_slug: str, defender: Defender, consent_id: int) -> HttpResponse:
    consent = access_consent(defender, consent_id)
    form = WithdrawConsentForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Enter a valid date."))
        actions.do_withdraw_consent(membership_of(request), consent, form.cleaned_data["withdrawn_on"])
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return _profile(request, defender, status=400)
    messages.success(request, _("Consent withdrawn."))
    return redirect("defenders:detail", org_slug=org_slug, defender_id=defender.pk)


@defender_view(["POST"])
def contact_add_view(request: HttpRequest, org_slug: str, defender: Defender) -> HttpResponse:
    form = TrustedContactForm(request.POST, prefix="contact")
    if not form.is_valid():
        return _profile(request, defender, status=400, contact_form=form)
    actions.do_add_trusted_contact(membership_of(request), defender, **form.cleaned_data)
    messages.success(request, _("Trusted contact added."))
    return redirect("defenders:detail", org_slug=org_slug, defender_id=defender.pk)


@defender_view(["POST"])
def contact_remove_view(request: HttpRequest, org_slug: str, defender: Defender, contact_id: str) -> HttpResponse:
    actions.do_remove_trusted_contact(membership_of(request), access_contact(defender, contact_id))
    messages.success(request, _("Trusted contact removed."))
    return redirect("defenders:detail", org_slug=org_slug, defender_id=defender.pk)
