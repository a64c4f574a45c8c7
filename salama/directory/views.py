"""Directory pages: the network-wide list with filters and each entry with its sources (any
signed-in person), add and edit (platform operators), and the referral suggestions for a case
(members who may see the case). All work with JavaScript off."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from salama.cases.access import access_case
from salama.cases.models import Case
from salama.core.decorators import fetched_first
from salama.core.forms import add_action_errors
from salama.core.permissions import role_can
from salama.core.requests import membership_of, organization_of

from . import actions
from .access import access_actor, actors_for
from .eligibility import describe
from .forms import ActorFilterForm, ActorForm, SuggestionForm
from .models import ProtectionActor
from .regions import region_name
from .suggest import facts_from_case, suggest_for_case


@require_GET
def list_view(request: HttpRequest) -> HttpResponse:
    form = ActorFilterForm(request.GET or None)
    status = 400 if form.is_bound and not form.is_valid() else 200
    context = {
        "filter_form": form,
        "actors": actors_for(request.user, form.filters()),
        "can_edit": request.user.is_platform_operator,  # type: ignore[union-attr]
    }
    return render(request, "directory/list.html", context, status=status)


@require_GET
def detail_view(request: HttpRequest, actor_slug: str) -> HttpResponse:
    actor = access_actor(request.user, actor_slug)
    context = {
        "actor": actor,
        "rules": [(rule, describe(rule)) for rule in actor.eligibility],
        "regions": [region_name(code) for code in actor.regions],
        "can_edit": request.user.is_platform_operator,  # type: ignore[union-attr]
    }
    return render(request, "directory/detail.html", context)


@require_http_methods(["GET", "POST"])
def create_view(request: HttpRequest) -> HttpResponse:
    form = ActorForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            fields = dict(form.cleaned_data)
            try:
                actor = actions.do_create_actor(request.user, **fields)  # type: ignore[arg-type]
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Directory entry added."))
                return redirect("directory:detail", actor_slug=actor.slug)
        return render(request, "directory/form.html", {"form": form}, status=400)
    return render(request, "directory/form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def edit_view(request: HttpRequest, actor_slug: str) -> HttpResponse:
    actor = access_actor(request.user, actor_slug)
    form = ActorForm(request.POST or None, editing=True, initial=ActorForm.initial_from(actor))
    context = {"form": form, "actor": actor}
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.do_update_actor(request.user, actor, **form.cleaned_data)  # type: ignore[arg-type]
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("directory:detail", actor_slug=actor.slug)
        return render(request, "directory/form.html", context, status=400)
    return render(request, "directory/form.html", context)


# Referral suggestions ------------------------------------------------------------------------


def _case(request: HttpRequest, case_id: Any) -> Case:
    return access_case(request.user, organization_of(request), case_id)


def refer_url(org_slug: str, case: Case, actor: ProtectionActor) -> str:
    """The referrals app's create page, with the actor chosen."""
    try:
        base = reverse("referrals:create", kwargs={"org_slug": org_slug, "case_id": case.pk})
    except NoReverseMatch:
        base = f"/o/{org_slug}/cases/{case.pk}/referrals/new/"
    return f"{base}?{urlencode({'actor': actor.slug})}"


@fetched_first(_case, "case_id", ["GET", "POST"])
def suggestions_view(request: HttpRequest, org_slug: str, case: Case) -> HttpResponse:
    """Answers are posted, not put in the URL: whether a defender is in exile is not for logs."""
    form = SuggestionForm(request.POST if request.method == "POST" else None)
    status = 400 if form.is_bound and not form.is_valid() else 200
    needs, answers = form.needs_and_answers()
    suggestions = suggest_for_case(case, membership_of(request), needs, answers)
    facts = facts_from_case(case, answers, needs)
    context = {
        "case": case,
        "form": form,
        "facts": facts,
        "region": region_name(facts.region) if facts.region else "",
        "rows": [(s, refer_url(org_slug, case, s.actor)) for s in suggestions],
        "can_refer": role_can(membership_of(request).role, "referrals.edit"),
    }
    return render(request, "directory/suggestions.html", context, status=status)
