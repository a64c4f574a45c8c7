"""The response-effectiveness page and the printed report (PDF). Both read GET parameters only,
so a view can be bookmarked and printed as shown; both work with JavaScript off."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from salama.core.permissions import role_can
from salama.core.requests import membership_of
from salama.orgs.models import Membership

from .actions import do_print_report
from .effectiveness import DEFAULT_WINDOW, WINDOWS, Effectiveness, effectiveness, min_cell
from .report import Report, Section, quality_lines, table_rows, unit_label
from .report import render as render_pdf
from .scope import Scope, scope_for


class EffectivenessForm(forms.Form):
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    window = forms.TypedChoiceField(
        label=gettext_lazy("Follow defenders for"),
        choices=[(months, gettext_lazy("%(months)s months") % {"months": months}) for months in WINDOWS],
        coerce=int,
        initial=DEFAULT_WINDOW,
        required=False,
        empty_value=None,
    )
    referrals_by = forms.ChoiceField(
        label=gettext_lazy("Referrals by"),
        choices=[("actor", gettext_lazy("Actor or mechanism")), ("actor_kind", gettext_lazy("Kind of actor"))],
        required=False,
    )
    responses_by = forms.ChoiceField(
        label=gettext_lazy("Responses by"),
        choices=[("kind", gettext_lazy("Kind of response")), ("actor", gettext_lazy("Actor"))],
        required=False,
    )
    network = forms.BooleanField(label=gettext_lazy("Include the organisations that share aggregates"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start of the period is after its end."))
        return data


def _read(request: HttpRequest) -> tuple[EffectivenessForm, dict[str, Any]]:
    form = EffectivenessForm(request.GET or None)
    data: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
    return form, data


def _compute(membership: Membership, data: dict[str, Any]) -> tuple[Scope, Effectiveness]:
    scope = scope_for(membership, network=bool(data.get("network")))
    result = effectiveness(
        scope.organization_ids,
        referrals_by=data.get("referrals_by") or "actor",
        responses_by=data.get("responses_by") or "kind",
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        window_months=data.get("window") or DEFAULT_WINDOW,
    )
    return scope, result


@require_GET
def responses_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    form, data = _read(request)
    membership = membership_of(request)
    scope, result = _compute(membership, data)
    return render(
        request,
        "analytics/responses.html",
        {
            "form": form,
            "result": result,
            "scope": scope,
            "sections": [
                {"section": section, "rows": table_rows(section.table), "unit": unit_label(section.table.unit), "id": i}
                for i, section in enumerate(sections(result))
            ],
            "can_print": bool(role_can(membership.role, "analytics.export")),
            "query": request.GET.urlencode(),
        },
    )


def sections(result: Effectiveness) -> list[Section]:
    def medians(timing_rows: Any, values: tuple[float | None, ...]) -> tuple[str, ...]:
        return tuple(
            _("%(row)s: median %(days)s days") % {"row": label, "days": f"{days:g}"}
            for label, days in zip(timing_rows.labels, values, strict=True)
            if days is not None
        )

    shares = tuple(
        _("%(row)s: %(share)s%% of the defenders followed had no new incident")
        % {"row": label, "share": f"{share * 100:.0f}"}
        for label, share in result.quiet_shares()
        if share is not None
    )
    return [
        Section(_("Referrals by outcome"), result.referral_outcomes),
        Section(
            _("Referrals: time to the first response"),
            result.referral_times.table,
            medians(result.referral_times.table.rows, result.referral_times.medians),
        ),
        Section(_("Responses by outcome"), result.response_outcomes),
        Section(
            _("Responses: time to the first step"),
            result.response_times.table,
            medians(result.response_times.table.rows, result.response_times.medians),
        ),
        Section(_("Incidents against the same defenders, before and after"), result.incidents_around),
        Section(_("Defenders with no new incident afterwards"), result.defenders_after, shares),
    ]


def _period(data: dict[str, Any]) -> str:
    start, end = data.get("date_from"), data.get("date_to")
    if start and end:
        return _("From %(start)s to %(end)s") % {"start": start.isoformat(), "end": end.isoformat()}
    if start:
        return _("From %(start)s") % {"start": start.isoformat()}
    if end:
        return _("Up to %(end)s") % {"end": end.isoformat()}
    return _("All dates")


def _method(scope: Scope, result: Effectiveness, data: dict[str, Any]) -> list[str]:
    return [
        _("Organisations counted: %(count)s (%(which)s).")
        % {
            "count": len(scope.organization_ids),
            "which": _("with the network") if scope.network else _("your organisation only"),
        },
        _("Units: referrals sent, responses started, and defenders followed after a response."),
        _("Period: %(period)s; defenders followed for %(months)s months.")
        % {"period": _period(data), "months": result.window_months},
        _(
            "Counts from 1 to %(below)s are hidden, with other cells hidden where needed so that they cannot be "
            "worked out from the totals (k = %(k)s)."
        )
        % {"below": result.k - 1, "k": result.k},
        _(
            "An association, not an effect: responses go to the defenders most at risk, and incidents are "
            "recorded unevenly."
        ),
    ]


def _responses_report(membership: Membership, request: HttpRequest) -> Report | HttpResponse:
    form, data = _read(request)
    if form.is_bound and not form.is_valid():
        return render(request, "analytics/responses.html", {"form": form, "result": None}, status=400)
    scope, result = _compute(membership, data)
    return Report(
        title=_("Response effectiveness"),
        scope=_scope_words(membership, scope),
        period=_period(data),
        generated_on=timezone.localdate().isoformat(),
        sections=sections(result),
        method=_method(scope, result, data),
        quality=quality_lines(membership.organization_id),
        caveats=[_("Aggregates only: no defender, case or incident can be told from this report.")],
        network=scope.network,
    )


def _scope_words(membership: Membership, scope: Scope) -> str:
    if not scope.network:
        return str(membership.organization)
    others = len(scope.organization_ids) - 1
    return _("%(org)s and %(others)s organisations of the network") % {"org": membership.organization, "others": others}


def _analysis_report(membership: Membership, request: HttpRequest) -> Report | HttpResponse:
    """The analysis page's view (its own parameters), suppressed as every export is."""
    from .charts import chart_title
    from .forms import DEFAULT_PARAMETERS, AnalysisForm
    from .query import CHANGE, aggregate, compare, unit_sentence
    from .suppression import suppress

    parameters = request.GET.copy()
    parameters.pop("view", None)
    form = AnalysisForm(parameters or DEFAULT_PARAMETERS)
    if not form.is_valid():
        return render(request, "analytics/analysis.html", {"form": form, "table": None, "k": min_cell()}, status=400)
    data = form.cleaned_data
    scope = scope_for(membership, network=bool(data.get("network")))
    options = {"unit": data["unit"], "rows": data["rows"], "filters": form.filters(), "depth": data.get("depth")}
    periods = form.periods()
    if periods:
        table = compare(scope, period_a=periods[0], period_b=periods[1], **options)
    else:
        table = aggregate(scope, columns=data.get("columns") or None, **options)
    k = min_cell()
    shown = suppress(table, k)
    if periods and shown.columns.keys[-1:] == (CHANGE,):
        # A change beside a hidden count would give it away.
        change = len(shown.columns.keys) - 1
        shown = shown.with_suppressed(frozenset((r, change) for r, c in shown.suppressed if c in (0, 1)))
    method = [
        unit_sentence(shown.unit, (shown.rows, shown.columns)),
        _("Organisations counted: %(count)s.") % {"count": len(scope.organization_ids)},
        _("Filters: %(filters)s") % {"filters": _filters_words(form)},
        _(
            "Counts from 1 to %(below)s are hidden, with other cells hidden where needed so that they cannot be "
            "worked out from the totals (k = %(k)s)."
        )
        % {"below": k - 1, "k": k},
    ]
    return Report(
        title=_("Analysis of incidents"),
        scope=_scope_words(membership, scope),
        period=_period(data),
        generated_on=timezone.localdate().isoformat(),
        sections=[Section(chart_title(shown), shown)],
        method=method,
        quality=quality_lines(membership.organization_id),
        caveats=[_("Aggregates only: no defender, case or incident can be told from this report.")],
        network=scope.network,
    )


def _filters_words(form: Any) -> str:
    chosen = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if name in {"unit", "rows", "columns", "depth", "network"} or not value:
            continue
        shown = ", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
        chosen.append(f"{field.label}: {shown}")
    return "; ".join(chosen) or _("none")


@require_GET
def report_pdf(request: HttpRequest, org_slug: str) -> HttpResponse:
    """`?view=responses&...` prints this page's view; otherwise the analysis page's parameters."""
    membership = membership_of(request)
    view = "responses" if request.GET.get("view") == "responses" else "analysis"
    built = _responses_report(membership, request) if view == "responses" else _analysis_report(membership, request)
    if isinstance(built, HttpResponse):
        return built
    content = render_pdf(built, get_language() or "en")
    do_print_report(membership, view=view, network=built.network, tables=len(built.sections))
    response = HttpResponse(content, content_type="application/pdf")
    stamp = timezone.localdate().isoformat()
    name = "response-effectiveness" if view == "responses" else "analysis"
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.pdf"'
    return response
