"""Organisation pages: home, settings, members and invitations, the switcher, the operator desk."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salama.accounts.access import is_fully_signed_in
from salama.accounts.actions import do_create_user
from salama.accounts.forms import NewAccountForm
from salama.accounts.models import User
from salama.accounts.views import start_pending_sign_in
from salama.core.permissions import role_can

from . import actions
from .access import (
    access_invitation,
    access_membership,
    all_organizations,
    members_of,
    memberships_of,
    open_invitations_of,
)
from .forms import InviteForm, NewOrganizationForm, OrganizationForm, RoleForm
from .models import Invitation
from .tasks import invitation_link

CURRENT_ORG = "_salama_org"


def remember_org(request: HttpRequest, slug: str) -> None:
    if request.session.get(CURRENT_ORG) != slug:
        request.session[CURRENT_ORG] = slug


@require_GET
def home_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    remember_org(request, org_slug)
    can_view_audit = role_can(request.membership.role, "audit.view")  # type: ignore[attr-defined]
    return render(request, "orgs/home.html", {"org": request.org, "can_view_audit": can_view_audit})  # type: ignore[attr-defined]


@require_GET
def list_view(request: HttpRequest) -> HttpResponse:
    return render(request, "orgs/list.html", {"memberships": memberships_of(request.user)})  # type: ignore[arg-type]


@require_POST
def switch_view(request: HttpRequest) -> HttpResponse:
    slug = request.POST.get("organization", "")
    if not memberships_of(request.user).filter(organization__slug=slug).exists():  # type: ignore[arg-type]
        raise Http404
    remember_org(request, slug)
    return redirect("orgs:home", org_slug=slug)


@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = OrganizationForm(request.POST or None, instance=request.org)  # type: ignore[attr-defined]
    if request.method == "POST":
        if form.is_valid():
            actions.do_update_organization(request.membership, **form.cleaned_data)  # type: ignore[attr-defined]
            messages.success(request, _("Saved."))
            return redirect("orgs:settings", org_slug=org_slug)
        return render(request, "orgs/settings.html", {"form": form}, status=400)
    return render(request, "orgs/settings.html", {"form": form})


def _members_page(
    request: HttpRequest, invite_form: InviteForm | None = None, status: int = 200, **extra: Any
) -> HttpResponse:
    org = request.org  # type: ignore[attr-defined]
    can_manage = role_can(request.membership.role, "members.manage")  # type: ignore[attr-defined]
    context = {
        "members": members_of(org),
        "invitations": open_invitations_of(org) if can_manage else [],
        "invite_form": invite_form or InviteForm(),
        "role_form": RoleForm(),
        "can_manage": can_manage,
        **extra,
    }
    return render(request, "orgs/members.html", context, status=status)


@require_GET
def members_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _members_page(request)


@require_POST
def invite_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _members_page(request, form, status=400)
    try:
        invitation = actions.do_invite(request.membership, form.cleaned_data["email"], form.cleaned_data["role"])  # type: ignore[attr-defined]
    except ValidationError as error:
        form.add_error(None, error)
        return _members_page(request, form, status=400)
    # Shown once, so the admin can also pass it on through a channel they trust.
    return _members_page(request, new_invitation=invitation, new_link=invitation_link(invitation))


@require_POST
def invitation_revoke_view(request: HttpRequest, org_slug: str, invitation_id: int) -> HttpResponse:
    invitation = access_invitation(request.org, invitation_id)  # type: ignore[attr-defined]
    actions.do_revoke_invitation(request.membership, invitation)  # type: ignore[attr-defined]
    messages.success(request, _("Invitation withdrawn."))
    return redirect("orgs:members", org_slug=org_slug)


@require_POST
def member_role_view(request: HttpRequest, org_slug: str, membership_id: int) -> HttpResponse:
    membership = access_membership(request.org, membership_id)  # type: ignore[attr-defined]
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role from the list."))
        return redirect("orgs:members", org_slug=org_slug)
    try:
        actions.do_change_role(request.membership, membership, form.cleaned_data["role"])  # type: ignore[attr-defined]
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Role changed."))
    return redirect("orgs:members", org_slug=org_slug)


@require_POST
def member_remove_view(request: HttpRequest, org_slug: str, membership_id: int) -> HttpResponse:
    membership = access_membership(request.org, membership_id)  # type: ignore[attr-defined]
    try:
        actions.do_remove_member(request.membership, membership)  # type: ignore[attr-defined]
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Member removed."))
    if membership.user_id == request.user.pk:
        return redirect("core:dashboard")
    return redirect("orgs:members", org_slug=org_slug)


def _invitation_from(token: str) -> Invitation | None:
    invitation_id = token.split("-", 1)[0]
    if not invitation_id.isdigit():
        return None
    invitation = Invitation.objects.select_related("organization").filter(pk=int(invitation_id)).first()
    return invitation if invitation is not None and invitation.matches(token) else None


@require_http_methods(["GET", "POST"])
def invitation_view(request: HttpRequest, token: str) -> HttpResponse:
    """The invited person's page: accept when signed in, or create an account first."""
    invitation = _invitation_from(token)
    if invitation is None or not invitation.is_open:
        return render(request, "orgs/invitation_invalid.html", status=404)
    user = request.user
    signed_in = is_fully_signed_in(user)
    existing = User.objects.filter(email=invitation.email).exists()
    form = None if signed_in or existing else NewAccountForm(request.POST or None, email=invitation.email)
    if request.method == "POST":
        if signed_in:
            try:
                actions.do_accept_invitation(user, invitation)  # type: ignore[arg-type]
            except ValidationError:
                return render(request, "orgs/invitation_invalid.html", status=404)
            remember_org(request, invitation.organization.slug)
            messages.success(request, _("Welcome to %(org)s.") % {"org": invitation.organization.name})
            return redirect("orgs:home", org_slug=invitation.organization.slug)
        if form is not None and form.is_valid():
            new_user = _create_invited_account(request, invitation, form)
            if new_user is None:
                return render(request, "orgs/invitation_invalid.html", status=404)
            return redirect("accounts:enrol")
        status = 400 if form is not None else 403
        return render(
            request,
            "orgs/invitation.html",
            {"invitation": invitation, "form": form, "existing": existing},
            status=status,
        )
    return render(
        request,
        "orgs/invitation.html",
        {"invitation": invitation, "form": form, "existing": existing, "signed_in": signed_in},
    )


def _create_invited_account(request: HttpRequest, invitation: Invitation, form: NewAccountForm) -> User | None:
    try:
        with transaction.atomic():
            user = do_create_user(invitation.email, form.cleaned_data["display_name"], form.cleaned_data["password1"])
            actions.do_accept_invitation(user, invitation)
    except ValidationError:
        return None
    # The new account goes straight to enrolling its second factor, as after a password.
    start_pending_sign_in(request, user)
    return user


@require_GET
def operator_view(request: HttpRequest) -> HttpResponse:
    return render(request, "orgs/operator.html", {"organizations": all_organizations(), "form": NewOrganizationForm()})


@require_POST
def operator_create_view(request: HttpRequest) -> HttpResponse:
    form = NewOrganizationForm(request.POST)
    if form.is_valid():
        try:
            organization, invitation = actions.do_create_organization(request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return render(
                request,
                "orgs/operator.html",
                {
                    "organizations": all_organizations(),
                    "form": NewOrganizationForm(),
                    "created": organization,
                    "new_link": invitation_link(invitation),
                },
            )
    return render(request, "orgs/operator.html", {"organizations": all_organizations(), "form": form}, status=400)
