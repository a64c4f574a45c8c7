"""Early-warning flags, subscriptions to them, and the data-quality page. Forms post and redirect;
everything works with JavaScript off. Route policies (salama.core.permissions) admit the member;
need to know is applied here: a defender's escalation is listed only to who may see the defender,
and links to incidents go through the incidents' own access checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_countries import countries

from salama.core.permissions import Role, role_can
from salama.core.requests import membership_of
from salama.defenders.access import sector_terms, visible_defenders
from salama.incidents.access import incidents_for
from salama.incidents.models import Incident
from salama.orgs.models import Membership

from . import quality
from .actions import do_dismiss_warning, do_subscribe_warnings, do_unsubscribe_warnings
from .flagging import NOT_CONFIRMED, describe, incidents_counted
from .models import WarningFlag, WarningSubscription
from .series import month_end


def min_cell() -> int:
    """The analysis's k (SALAMA_ANALYTICS_MIN_CELL): counts under it are small cells."""
    return int(getattr(settings, "SALAMA_ANALYTICS_MIN_CELL", 5))


def _incident_list(org_slug: str, country: str, first: date, last: date) -> str:
    query = {"date_from": first.isoformat(), "date_to": last.isoformat()}
    if country:
        query["country"] = country
    return reverse("incidents:list", kwargs={"org_slug": org_slug}) + "?" + urlencode(query)


def sector_labels() -> dict[str, str]:
    return {term.code: str(term.label()) for term in sector_terms()}


def visible_flags(membership: Membership) -> QuerySet[WarningFlag]:
    """The organisation's flags; a defender's escalation only when the member may see them."""
    flags = WarningFlag.objects.filter(organization_id=membership.organization_id)
    return flags.filter(Q(defender__isnull=True) | Q(defender__in=visible_defenders(membership).values("pk")))


def hides_count(membership: Membership, flag: WarningFlag) -> bool:
    """A count under k is hidden from viewers, as the analysis hides small cells."""
    return membership.role == Role.VIEWER and int(flag.figures.get("observed", 0)) < min_cell()


def visible_incidents(membership: Membership, flag: WarningFlag) -> QuerySet[Incident]:
    """The incidents behind a flag that the member may see: an escalation's own incidents, or
    those a rise's month counts (`incidents_counted`)."""
    if flag.kind == WarningFlag.Kind.ESCALATION:
        behind = Incident.objects.filter(pk__in=flag.figures.get("incidents", []))
    else:
        behind = incidents_counted(flag)
    return incidents_for(membership).filter(pk__in=behind.values("pk"))


@dataclass(frozen=True)
class ShownFlag:
    flag: WarningFlag
    headline: str
    sector: str
    country: str
    incidents_url: str
    baseline_url: str
    incidents: tuple[Incident, ...]  # an escalation's incidents the member may see
    small: bool  # a count under k, hidden from viewers as the analysis hides small cells


def _shown(membership: Membership, flag: WarningFlag, sectors: dict[str, str]) -> ShownFlag:
    slug = membership.organization.slug
    figures = flag.figures
    incidents: tuple[Incident, ...] = ()
    baseline_url = ""
    if flag.kind == WarningFlag.Kind.ESCALATION:
        first, last = date.fromisoformat(figures["first"]), date.fromisoformat(figures["last"])
        incidents = tuple(visible_incidents(membership, flag))
        incidents_url = _incident_list(slug, "", first, last)
    else:
        incidents_url = _incident_list(slug, flag.country, flag.month, month_end(flag.month))
        baseline_url = _incident_list(
            slug,
            flag.country,
            date.fromisoformat(figures["baseline_first"]),
            month_end(date.fromisoformat(figures["baseline_last"])),
        )
    sector = _("not confirmed") if flag.sector == NOT_CONFIRMED else sectors.get(flag.sector, flag.sector)
    return ShownFlag(
        flag=flag,
        headline=describe(flag),
        sector=sector if flag.kind == WarningFlag.Kind.RISE else "",
        country=str(countries.name(flag.country)) if flag.country else "",
        incidents_url=incidents_url,
        baseline_url=baseline_url,
        incidents=incidents,
        small=hides_count(membership, flag),
    )


@require_GET
def warnings_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    me = membership_of(request)
    sectors = sector_labels()
    flags = [_shown(me, flag, sectors) for flag in visible_flags(me).order_by("-month", "-created_at")[:200]]
    return render(
        request,
        "analytics/warnings.html",
        {
            "active": [shown for shown in flags if not shown.flag.dismissed],
            "dismissed": [shown for shown in flags if shown.flag.dismissed],
            "can_dismiss": bool(role_can(me.role, "analytics.dismiss")),
            "can_subscribe": bool(role_can(me.role, "analytics.subscribe")),
            "k": min_cell(),
        },
    )


@require_POST
def dismiss_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    me = membership_of(request)
    flag_id = request.POST.get("flag", "")
    flag = visible_flags(me).filter(pk=int(flag_id)).first() if flag_id.isdigit() else None
    if flag is None:
        raise Http404
    do_dismiss_warning(me, flag)
    messages.success(request, _("Flag dismissed."))
    return redirect("analytics:warnings", org_slug=org_slug)


class SubscriptionForm(forms.Form):
    country = forms.ChoiceField(label=gettext_lazy("Country"), required=False)
    sector = forms.ChoiceField(label=gettext_lazy("Sector of work"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("Any")), *countries]  # type: ignore[attr-defined]
        self.fields["sector"].choices = [("", _("Any")), *sector_labels().items()]  # type: ignore[attr-defined]


@require_http_methods(["GET", "POST"])
def subscriptions_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    me = membership_of(request)
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        do_subscribe_warnings(me, country=form.cleaned_data["country"], sector=form.cleaned_data["sector"])
        messages.success(request, _("Subscribed: new flags that match will be sent to you by email."))
        return redirect("analytics:warning_subscriptions", org_slug=org_slug)
    sectors = sector_labels()
    mine = WarningSubscription.objects.filter(organization_id=me.organization_id, user=me.user).order_by("pk")
    rows = [
        (
            subscription,
            str(countries.name(subscription.country)) if subscription.country else _("Any"),
            sectors.get(subscription.sector, subscription.sector) if subscription.sector else _("Any"),
        )
        for subscription in mine
    ]
    return render(request, "analytics/warning_subscriptions.html", {"form": form, "subscriptions": rows})


@require_POST
def unsubscribe_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    subscription_id = request.POST.get("subscription", "")
    if not subscription_id.isdigit() or not do_unsubscribe_warnings(membership_of(request), int(subscription_id)):
        raise Http404
    messages.success(request, _("Subscription removed."))
    return redirect("analytics:warning_subscriptions", org_slug=org_slug)


@require_GET
def quality_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    me = membership_of(request)
    coverage = quality.source_coverage(me.organization_id)
    coverage_rows = [
        (label, [coverage.counts.get((kind, pk), 0) for pk, _label in coverage.reliabilities])
        for kind, label in coverage.kinds
    ]
    return render(
        request,
        "analytics/quality.html",
        {
            "fields": quality.unknown_shares(me.organization_id),
            "duplicates": quality.probable_duplicates(me),
            "coverage": coverage,
            "coverage_rows": coverage_rows,
        },
    )
