"""Risk pages: the organisation-wide list, a defender's assessments and plans, the guided
assessment (five steps, each a plain form post that saves and moves on; one item per post with
"add another"), the assessment page with its matrix and explained level, and plan pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from salama.accounts.models import User
from salama.cases.access import visible_cases
from salama.core.decorators import fetched_first
from salama.core.encryption import DecryptionError
from salama.core.permissions import role_can
from salama.core.requests import membership_of
from salama.defenders.access import access_defender
from salama.defenders.models import Defender
from salama.orgs.models import Membership

from . import actions
from .access import (
    access_assessment,
    access_item,
    access_measure,
    access_plan,
    assessments_of,
    capacities_of,
    history,
    level_of,
    matrix,
    measures_of,
    perpetrator_choices,
    plans_of,
    threats_of,
    vulnerabilities_of,
)
from .forms import (
    CapacityForm,
    ContextForm,
    MeasureForm,
    MeasureStatusForm,
    PlanForm,
    RemoveItemForm,
    RescoreForm,
    RevealForm,
    ReviewForm,
    TemplateForm,
    ThreatForm,
    VulnerabilityForm,
)
from .levels import label_of
from .models import ProtectionPlan, RiskAssessment
from .plans import grant_request_lines

STEPS = (
    (1, gettext_lazy("Context")),
    (2, gettext_lazy("Threats")),
    (3, gettext_lazy("Vulnerabilities")),
    (4, gettext_lazy("Capacities")),
    (5, gettext_lazy("Review and level")),
)
LAST_STEP = len(STEPS)


def _defender(request: HttpRequest, defender_id: Any) -> Defender:
    return access_defender(membership_of(request), defender_id)


def _assessment(request: HttpRequest, assessment_id: Any) -> RiskAssessment:
    return access_assessment(membership_of(request), assessment_id)


def _plan(request: HttpRequest, plan_id: Any) -> ProtectionPlan:
    return access_plan(membership_of(request), plan_id)


def _members(membership: Membership) -> Any:
    return User.objects.filter(memberships__organization=membership.organization).order_by("display_name", "email")


# Lists ----------------------------------------------------------------------------------------


@require_GET
def org_list_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Every defender the member may see that has an assessment, with their latest level and
    when it is due for review; overdue reviews first."""
    me = membership_of(request)
    completed = assessments_of(me).filter(status=RiskAssessment.Status.COMPLETE)
    newest = completed.filter(defender=OuterRef("defender")).order_by("-assessed_on", "-completed_at", "-pk")
    latest = list(
        completed.filter(pk=Subquery(newest.values("pk")[:1])).order_by("next_review_on", "defender__public_name")
    )
    drafts = assessments_of(me).filter(status=RiskAssessment.Status.DRAFT).order_by("-created_at")[:50]
    context = {"latest": latest, "drafts": drafts, "today": timezone.localdate(), "label_of": label_of}
    return render(request, "risk/org_list.html", context)


@require_GET
def defender_view(request: HttpRequest, org_slug: str, defender_id: Any) -> HttpResponse:
    me = membership_of(request)
    defender = _defender(request, defender_id)
    context = {
        "defender": defender,
        "history": history(me, defender),
        "plans": plans_of(me, defender),
        "can_edit": role_can(me.role, "risk.edit"),
        "today": timezone.localdate(),
    }
    return render(request, "risk/defender.html", context)


# The guided assessment -------------------------------------------------------------------------


def _cases_of(me: Membership, defender: Defender) -> Any:
    return visible_cases(me).filter(defenders=defender).order_by("-opened_on")


def _step_page(
    request: HttpRequest, assessment: RiskAssessment | None, defender: Defender, step: int, form: Any, status: int = 200
) -> HttpResponse:
    context: dict[str, Any] = {
        "assessment": assessment,
        "defender": defender,
        "step": step,
        "steps": STEPS,
        "form": form,
        "last_step": LAST_STEP,
        "score_choices": range(1, 6),
        "status_choices": RescoreForm.base_fields["status"].choices,  # type: ignore[attr-defined]
        "reason_choices": RescoreForm.base_fields["closed_reason"].choices,  # type: ignore[attr-defined]
    }
    if assessment is not None:
        context.update(
            threats=list(threats_of(assessment)),
            vulnerabilities=list(vulnerabilities_of(assessment)),
            capacities=list(capacities_of(assessment)),
        )
        if step == LAST_STEP:
            context.update(level=level_of(assessment), matrix=matrix(context["threats"]))
    return render(request, f"risk/step_{step}.html", context, status=status)


@fetched_first(_defender, "defender_id", ["GET", "POST"])
def start_view(request: HttpRequest, org_slug: str, defender: Defender) -> HttpResponse:
    """Step 1 before the draft exists: posting it creates the draft and moves to step 2."""
    me = membership_of(request)
    cases = _cases_of(me, defender)
    previous = (
        assessments_of(me, defender)
        .filter(status=RiskAssessment.Status.COMPLETE)
        .order_by("-assessed_on", "-completed_at")
        .first()
    )
    options = {"cases": cases, "can_copy": previous is not None}
    if request.method == "GET":
        initial = {"assessed_on": timezone.localdate(), "case": cases.first()}
        return _step_page(request, None, defender, 1, ContextForm(initial=initial, **options))
    form = ContextForm(request.POST, **options)
    if not form.is_valid():
        return _step_page(request, None, defender, 1, form, status=400)
    data = dict(form.cleaned_data)
    copy_from = previous if data.pop("copy_previous", False) else None
    try:
        assessment = actions.do_start_assessment(me, defender, copy_from=copy_from, **data)
    except ValidationError as error:
        _form_errors(form, error)
        return _step_page(request, None, defender, 1, form, status=400)
    return redirect("risk:step", org_slug=org_slug, assessment_id=assessment.pk, step=2)


def _form_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _context_step(request: HttpRequest, assessment: RiskAssessment) -> tuple[Any, bool]:
    me = membership_of(request)
    cases = _cases_of(me, assessment.defender)
    recorded = bool(RiskAssessment.objects.filter(pk=assessment.pk).exclude(context="").exists())
    if request.method == "GET":
        initial = {"assessed_on": assessment.assessed_on, "confidence": assessment.confidence, "case": assessment.case}
        return ContextForm(initial=initial, cases=cases, context_recorded=recorded), False
    form = ContextForm(request.POST, cases=cases, context_recorded=recorded)
    if not form.is_valid():
        return form, False
    data = dict(form.cleaned_data)
    if not data["context"] and recorded:
        data["context"] = None  # left empty: keep the hidden text
    actions.do_update_context(me, assessment, **data)
    return form, True


def _item_step(request: HttpRequest, assessment: RiskAssessment, step: int) -> tuple[Any, bool]:
    """Steps 2 to 4: one item per post. An untouched form adds nothing; "add another" stays."""
    me = membership_of(request)
    kinds: dict[int, tuple[Any, dict[str, Any], Any]] = {
        2: (ThreatForm, {"perpetrators": perpetrator_choices()}, actions.do_add_threat),
        3: (VulnerabilityForm, {}, actions.do_add_vulnerability),
        4: (CapacityForm, {"vulnerabilities": vulnerabilities_of(assessment)}, actions.do_add_capacity),
    }
    form_class, options, add = kinds[step]
    if request.method == "GET":
        return form_class(**options), False
    form = form_class(request.POST, **options)
    if not form.has_changed():
        return form_class(**options), request.POST.get("action") != "add"
    if not form.is_valid():
        return form, False
    add(me, assessment, **form.cleaned_data)
    messages.success(request, _("Added."))
    return form_class(**options), request.POST.get("action") != "add"


def _review_step(request: HttpRequest, assessment: RiskAssessment) -> tuple[Any, bool]:
    me = membership_of(request)
    recorded = bool(RiskAssessment.objects.filter(pk=assessment.pk).exclude(review_notes="").exists())
    if request.method == "GET":
        initial = {"next_review_on": assessment.next_review_on, "review_triggers": assessment.review_triggers}
        return ReviewForm(initial=initial, notes_recorded=recorded), False
    form = ReviewForm(request.POST, notes_recorded=recorded)
    if not form.is_valid():
        return form, False
    data = dict(form.cleaned_data)
    if not data["review_notes"] and recorded:
        data["review_notes"] = None
    actions.do_set_review(me, assessment, **data)
    if request.POST.get("action") == "complete":
        actions.do_complete_assessment(me, assessment)
    return form, True


STEP_HANDLERS: dict[int, Callable[[HttpRequest, RiskAssessment], tuple[Any, bool]]] = {
    1: _context_step,
    2: lambda request, assessment: _item_step(request, assessment, 2),
    3: lambda request, assessment: _item_step(request, assessment, 3),
    4: lambda request, assessment: _item_step(request, assessment, 4),
    5: _review_step,
}


@fetched_first(_assessment, "assessment_id", ["GET", "POST"])
def step_view(request: HttpRequest, org_slug: str, assessment: RiskAssessment, step: int) -> HttpResponse:
    """GET shows the step; POST saves it and moves on (or stays, for "add another")."""
    if step not in STEP_HANDLERS:
        return redirect("risk:step", org_slug=org_slug, assessment_id=assessment.pk, step=1)
    if not assessment.is_draft:
        messages.info(request, _("This assessment is complete: start a new one to record a change."))
        return redirect("risk:detail", org_slug=org_slug, assessment_id=assessment.pk)
    try:
        form, done = STEP_HANDLERS[step](request, assessment)
    except ValidationError as error:
        form = _failed_form(request, assessment, step)
        _form_errors(form, error)
        return _step_page(request, assessment, assessment.defender, step, form, status=400)
    if request.method == "POST" and form.errors:
        return _step_page(request, assessment, assessment.defender, step, form, status=400)
    if done:
        assessment.refresh_from_db()
        if not assessment.is_draft:
            messages.success(request, _("Assessment complete."))
            return redirect("risk:detail", org_slug=org_slug, assessment_id=assessment.pk)
        next_step = min(step + 1, LAST_STEP)
        return redirect("risk:step", org_slug=org_slug, assessment_id=assessment.pk, step=next_step)
    if request.method == "POST":
        return redirect("risk:step", org_slug=org_slug, assessment_id=assessment.pk, step=step)
    return _step_page(request, assessment, assessment.defender, step, form)


def _failed_form(request: HttpRequest, assessment: RiskAssessment, step: int) -> Any:
    """The posted form again, bound, to show the action's refusal next to what was typed."""
    if step == 1:
        form: Any = ContextForm(request.POST, cases=_cases_of(membership_of(request), assessment.defender))
    elif step == 2:
        form = ThreatForm(request.POST, perpetrators=perpetrator_choices())
    elif step == 3:
        form = VulnerabilityForm(request.POST)
    elif step == 4:
        form = CapacityForm(request.POST, vulnerabilities=vulnerabilities_of(assessment))
    else:
        form = ReviewForm(request.POST)
    form.is_valid()
    return form


@fetched_first(_assessment, "assessment_id", ["POST"])
def item_remove_view(request: HttpRequest, org_slug: str, assessment: RiskAssessment) -> HttpResponse:
    form = RemoveItemForm(request.POST)
    step = {"threat": 2, "vulnerability": 3, "capacity": 4}.get(request.POST.get("kind", ""), 2)
    if form.is_valid():
        item = access_item(assessment, form.cleaned_data["kind"], form.cleaned_data["item"])
        try:
            actions.do_remove_item(membership_of(request), assessment, item)
            messages.success(request, _("Removed."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    return redirect("risk:step", org_slug=org_slug, assessment_id=assessment.pk, step=step)


@fetched_first(_assessment, "assessment_id", ["POST"])
def threat_rescore_view(request: HttpRequest, org_slug: str, assessment: RiskAssessment) -> HttpResponse:
    form = RescoreForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        threat = access_item(assessment, "threat", data.pop("threat"))
        try:
            actions.do_rescore_threat(membership_of(request), assessment, threat, **data)
            messages.success(request, _("Saved."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, _("Give a number from 1 to 5."))
    return redirect("risk:step", org_slug=org_slug, assessment_id=assessment.pk, step=2)


# The assessment page ---------------------------------------------------------------------------


def _detail(
    request: HttpRequest,
    assessment: RiskAssessment,
    opened: dict[str, Any] | None = None,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    me = membership_of(request)
    opened = opened or {}
    threats = list(threats_of(assessment))
    context = {
        "assessment": assessment,
        "defender": assessment.defender,
        "level": level_of(assessment),
        "matrix": matrix(threats),
        "threats": [(t, opened.get("threats", {}).get(t.pk)) for t in threats],
        "vulnerabilities": [(v, opened.get("vulnerabilities", {}).get(v.pk)) for v in vulnerabilities_of(assessment)],
        "capacities": [(c, opened.get("capacities", {}).get(c.pk)) for c in capacities_of(assessment)],
        "opened_assessment": opened.get("assessment"),
        "shown": set(opened),
        "plans": plans_of(me).filter(assessment=assessment),
        "can_edit": role_can(me.role, "risk.edit"),
        "can_reveal": role_can(me.role, "risk.reveal"),
        **extra,
    }
    return render(request, "risk/detail.html", context, status=status)


@fetched_first(_assessment, "assessment_id", ["GET"])
def detail_view(request: HttpRequest, org_slug: str, assessment: RiskAssessment) -> HttpResponse:
    return _detail(request, assessment)


@fetched_first(_assessment, "assessment_id", ["POST"])
def reveal_view(request: HttpRequest, org_slug: str, assessment: RiskAssessment) -> HttpResponse:
    """Values are shown in this response only: never kept in the session or put in a URL."""
    form = RevealForm(request.POST)
    if not form.is_valid():
        return _detail(request, assessment, status=400, reveal_error=True)
    parts = actions.do_reveal(membership_of(request), assessment, form.cleaned_data["part"])
    try:
        opened = actions.open_parts(assessment, parts)
    except DecryptionError:
        actions.do_note_decryption_failure(membership_of(request), assessment, parts)
        return _detail(request, assessment, undecryptable=True)
    return _detail(request, assessment, opened)


# Protection plans ------------------------------------------------------------------------------


@fetched_first(_defender, "defender_id", ["GET", "POST"])
def plan_create_view(request: HttpRequest, org_slug: str, defender: Defender) -> HttpResponse:
    me = membership_of(request)
    assessments = assessments_of(me, defender).order_by("-assessed_on")
    chosen = request.GET.get("assessment")
    initial = {"assessment": assessments.filter(pk=chosen).first() if chosen else assessments.first()}
    form = PlanForm(request.POST or None, assessments=assessments, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            plan = actions.do_create_plan(me, defender, **form.cleaned_data)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            return redirect("risk:plan_detail", org_slug=org_slug, plan_id=plan.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "risk/plan_form.html", {"form": form, "defender": defender}, status=status)


def _plan_page(
    request: HttpRequest, plan: ProtectionPlan, revealed: dict[Any, str] | None = None, status: int = 200, **extra: Any
) -> HttpResponse:
    me = membership_of(request)
    lines = grant_request_lines(plan)
    totals: dict[str, Any] = {}
    for line in lines:
        totals[line.currency] = totals.get(line.currency, 0) + line.amount
    context = {
        "plan": plan,
        "defender": plan.defender,
        "measures": [(m, (revealed or {}).get(m.pk)) for m in measures_of(plan)],
        "revealed": revealed is not None,
        "grant_lines": lines,
        "grant_totals": sorted(totals.items()),
        "measure_form": extra.pop("measure_form", None) or MeasureForm(members=_members(me)),
        "template_form": extra.pop("template_form", None) or TemplateForm(),
        "status_choices": MeasureStatusForm.base_fields["status"].choices,  # type: ignore[attr-defined]
        "can_edit": role_can(me.role, "risk.edit"),
        "can_reveal": role_can(me.role, "risk.reveal"),
        **extra,
    }
    return render(request, "risk/plan.html", context, status=status)


@fetched_first(_plan, "plan_id", ["GET"])
def plan_detail_view(request: HttpRequest, org_slug: str, plan: ProtectionPlan) -> HttpResponse:
    return _plan_page(request, plan)


@fetched_first(_plan, "plan_id", ["POST"])
def plan_reveal_view(request: HttpRequest, org_slug: str, plan: ProtectionPlan) -> HttpResponse:
    try:
        revealed = actions.do_reveal_plan(membership_of(request), plan)
    except DecryptionError:
        return _plan_page(request, plan, undecryptable=True)
    return _plan_page(request, plan, revealed)


@fetched_first(_plan, "plan_id", ["POST"])
def measure_add_view(request: HttpRequest, org_slug: str, plan: ProtectionPlan) -> HttpResponse:
    form = MeasureForm(request.POST, members=_members(membership_of(request)))
    if form.is_valid():
        try:
            actions.do_add_measure(membership_of(request), plan, **form.cleaned_data)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Measure added."))
            return redirect("risk:plan_detail", org_slug=org_slug, plan_id=plan.pk)
    return _plan_page(request, plan, status=400, measure_form=form)


@fetched_first(_plan, "plan_id", ["POST"])
def template_apply_view(request: HttpRequest, org_slug: str, plan: ProtectionPlan) -> HttpResponse:
    form = TemplateForm(request.POST)
    if form.is_valid():
        try:
            added = actions.do_apply_template(membership_of(request), plan, form.cleaned_data["template"])
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("%(count)d measures added from the template.") % {"count": len(added)})
            return redirect("risk:plan_detail", org_slug=org_slug, plan_id=plan.pk)
    return _plan_page(request, plan, status=400, template_form=form)


def _plan_measure(request: HttpRequest, plan_id: Any, measure_id: Any) -> Any:
    return access_measure(_plan(request, plan_id), measure_id)


@fetched_first(_plan_measure, ("plan_id", "measure_id"), ["POST"])
def measure_status_view(request: HttpRequest, org_slug: str, measure: Any) -> HttpResponse:
    form = MeasureStatusForm(request.POST)
    if form.is_valid():
        actions.do_change_measure_status(membership_of(request), measure, form.cleaned_data["status"])
        messages.success(request, _("Status changed."))
    else:
        messages.error(request, _("Choose a status from the list."))
    return redirect("risk:plan_detail", org_slug=org_slug, plan_id=measure.plan_id)
