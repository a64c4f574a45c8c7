"""Every change to risk assessments and protection plans goes through these functions.

Audit entries and timeline events carry coded values (dates, scores, levels, statuses) and the
names of the encrypted fields that were set, never their values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from salama.accounts.models import User
from salama.audit.actions import record, record_fields, record_reveal
from salama.cases.access import visible_cases
from salama.cases.models import Case, TimelineEvent
from salama.core.permissions import require
from salama.defenders.access import require_visible_defender
from salama.defenders.models import Defender
from salama.incidents.models import PERPETRATOR_TYPES
from salama.orgs.models import Membership
from salama.vocab.models import Term

from .access import (
    ASSESSMENT_TEXT,
    REVEALABLE,
    THREAT_TEXT,
    level_of,
    require_visible_assessment,
    require_visible_plan,
)
from .models import Capacity, Measure, ProtectionPlan, ReviewTrigger, RiskAssessment, Threat, Vulnerability
from .plans import in_language, load_templates

MAX_ITEMS = 50  # per kind of item in one assessment, and measures in one plan
LOGGABLE = (
    "copied_from",
    "defender",
    "case",
    "assessed_on",
    "confidence",
    "next_review_on",
    "review_triggers",
    "level",
    "added",
    "removed",
    "kind",
    "likelihood",
    "impact",
    "severity",
    "strength",
    "domain",
    "status",
    "count",
    "template",
    "title",
    "measure",
)


def _target(assessment: RiskAssessment) -> tuple[str, Any]:
    return ("risk_assessment", assessment.pk)


def _plan_target(plan: ProtectionPlan) -> tuple[str, Any]:
    return ("protection_plan", plan.pk)


def _check_editable(actor: Membership, assessment: RiskAssessment) -> None:
    require(actor, "risk.edit")
    require_visible_assessment(actor, assessment)
    if not assessment.is_draft:
        raise ValidationError(_("This assessment is complete: start a new one to record a change."))


def _check_case(actor: Membership, defender: Defender, case: Case | None) -> None:
    if case is None:
        return
    if not visible_cases(actor).filter(pk=case.pk, defenders=defender).exists():
        raise ValidationError({"case": _("Choose a case of this defender that you can see.")})


def _check_score(name: str, value: Any) -> None:
    if not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationError({name: _("Give a number from 1 to 5.")})


def _check_triggers(triggers: Sequence[str]) -> list[str]:
    unknown = [code for code in triggers if code not in ReviewTrigger.values]
    if unknown:
        raise ValidationError({"review_triggers": _("Choose triggers from the list.")})
    return sorted(set(triggers))


def _encrypted_set(names: Iterable[str], fields: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {name: (None, None) for name in names if fields.get(name)}


def _next_position(queryset: Any) -> int:
    highest = queryset.aggregate(top=Max("position"))["top"]
    return 0 if highest is None else highest + 1


@transaction.atomic
def do_start_assessment(
    actor: Membership,
    defender: Defender,
    *,
    case: Case | None = None,
    assessed_on: date | None = None,
    confidence: str = RiskAssessment.Confidence.MEDIUM,
    context: str = "",
    copy_from: RiskAssessment | None = None,
) -> RiskAssessment:
    """A draft assessment by `actor`; the guided form fills it step by step. `copy_from`, an
    earlier completed assessment of the same defender, gives it that one's threats that are not
    closed, its vulnerabilities and its capacities, to be re-scored rather than typed again."""
    require(actor, "risk.edit")
    require_visible_defender(actor, defender)
    _check_case(actor, defender, case)
    if copy_from is not None:
        require_visible_assessment(actor, copy_from)
        if copy_from.defender_id != defender.pk or copy_from.is_draft:
            raise ValidationError(_("Start only from a completed assessment of the same defender."))
    if confidence not in RiskAssessment.Confidence.values:
        raise ValidationError({"confidence": _("Choose low, medium or high.")})
    assessment = RiskAssessment(
        organization=actor.organization,
        defender=defender,
        case=case,
        assessed_on=assessed_on or timezone.localdate(),
        assessor=actor.user,
        confidence=confidence,
        context=context,
        created_by=actor.user,
    )
    assessment.save()
    changes: dict[str, tuple[Any, Any]] = {
        "defender": (None, str(defender.pk)),
        "case": (None, str(case.pk) if case else None),
        "assessed_on": (None, assessment.assessed_on.isoformat()),
        "confidence": (None, confidence),
    }
    changes.update(_encrypted_set(["context"], {"context": context}))
    if copy_from is not None:
        changes["copied_from"] = (None, str(copy_from.pk))
        _copy_items(copy_from, assessment)
    record(
        "risk_assessment.started",
        actor=actor.user,
        organization=actor.organization,
        target=_target(assessment),
        changes=changes,
        loggable=(*LOGGABLE, "context", "copied_from"),
    )
    return assessment


def _copy(item: Any, assessment: RiskAssessment, **overrides: Any) -> Any:
    """A new item with the same values (protected text opened and sealed again under the new
    record's own key), in the new assessment."""
    names = [f.name for f in item._meta.concrete_fields if f.name not in {"id", "data_key_id", "record_version"}]
    values = {name: getattr(item, name) for name in names if name not in {"assessment", "offsets"}}
    copy = type(item)(**{**values, "assessment": assessment, **overrides})
    copy.save()
    return copy


def _copy_items(source: RiskAssessment, target: RiskAssessment) -> None:
    open_threats = source.threats.exclude(status=Threat.Status.CLOSED).order_by("position")
    for position, threat in enumerate(open_threats):
        _copy(threat, target, position=position)
    copied: dict[Any, Vulnerability] = {v.pk: _copy(v, target) for v in source.vulnerabilities.order_by("position")}
    for capacity in source.capacities.order_by("position"):
        _copy(capacity, target, offsets=copied.get(capacity.offsets_id))


@transaction.atomic
def do_update_context(
    actor: Membership,
    assessment: RiskAssessment,
    *,
    case: Case | None,
    assessed_on: date,
    confidence: str,
    context: str | None = None,
) -> RiskAssessment:
    """Step 1 again: `context=None` keeps the recorded text (it was not revealed in the form)."""
    _check_editable(actor, assessment)
    _check_case(actor, assessment.defender, case)
    if confidence not in RiskAssessment.Confidence.values:
        raise ValidationError({"confidence": _("Choose low, medium or high.")})
    before = {
        "case": str(assessment.case_id or ""),
        "assessed_on": assessment.assessed_on,
        "confidence": assessment.confidence,
    }
    assessment.case, assessment.assessed_on, assessment.confidence = case, assessed_on, confidence
    if context is not None:
        assessment.context = context
    assessment.save()
    after = {"case": str(assessment.case_id or ""), "assessed_on": assessed_on, "confidence": confidence}
    changes = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    if context is not None:
        changes["context"] = (None, None)
    if changes:
        _record_change(actor, assessment, changes)
    return assessment


def _record_change(actor: Membership, assessment: RiskAssessment, changes: dict[str, tuple[Any, Any]]) -> None:
    record(
        "risk_assessment.changed",
        actor=actor.user,
        organization=actor.organization,
        target=_target(assessment),
        changes=changes,
        loggable=LOGGABLE,
    )


def _check_perpetrator(term: Term | None) -> None:
    if term is not None and term.vocabulary.code != PERPETRATOR_TYPES:
        raise ValidationError({"perpetrator_type": _("Choose a term from the right list.")})


def _check_room(queryset: Any) -> None:
    if queryset.count() >= MAX_ITEMS:
        raise ValidationError(_("An assessment holds at most %(max)d of each kind of item.") % {"max": MAX_ITEMS})


@transaction.atomic
def do_add_threat(actor: Membership, assessment: RiskAssessment, **fields: Any) -> Threat:
    """Coded fields (kind, perpetrator_type, means, dates, likelihood, impact, status,
    closed_reason) and the encrypted named actor and five-step analysis."""
    _check_editable(actor, assessment)
    _check_room(assessment.threats)
    _check_perpetrator(fields.get("perpetrator_type"))
    _check_score("likelihood", fields.get("likelihood"))
    _check_score("impact", fields.get("impact"))
    status = fields.get("status", Threat.Status.OPEN)
    if status == Threat.Status.CLOSED and not fields.get("closed_reason"):
        raise ValidationError({"closed_reason": _("Say why the threat is closed.")})
    if status != Threat.Status.CLOSED:
        fields["closed_reason"] = ""
    first, last = fields.get("first_seen_on"), fields.get("last_seen_on")
    if first and last and last < first:
        raise ValidationError({"last_seen_on": _("The last time cannot be before the first.")})
    threat = Threat(
        organization=actor.organization,
        assessment=assessment,
        position=_next_position(assessment.threats),
        **fields,
    )
    threat.save()
    changes: dict[str, tuple[Any, Any]] = {
        "added": (None, "threat"),
        "kind": (None, threat.kind),
        "likelihood": (None, threat.likelihood),
        "impact": (None, threat.impact),
        "status": (None, threat.status),
    }
    changes.update(_encrypted_set(THREAT_TEXT, fields))
    _record_change(actor, assessment, changes)
    return threat


@transaction.atomic
def do_rescore_threat(
    actor: Membership,
    assessment: RiskAssessment,
    threat: Threat,
    *,
    likelihood: int,
    impact: int,
    status: str,
    closed_reason: str = "",
) -> Threat:
    """A draft's threat scored again, or its status changed (closing needs a reason)."""
    _check_editable(actor, assessment)
    if threat.assessment_id != assessment.pk:
        raise ValidationError(_("This item is not part of the assessment."))
    _check_score("likelihood", likelihood)
    _check_score("impact", impact)
    if status not in Threat.Status.values:
        raise ValidationError({"status": _("Choose a status from the list.")})
    if status == Threat.Status.CLOSED and closed_reason not in Threat.ClosedReason.values:
        raise ValidationError({"closed_reason": _("Say why the threat is closed.")})
    closed_reason = closed_reason if status == Threat.Status.CLOSED else ""
    before = {"likelihood": threat.likelihood, "impact": threat.impact, "status": threat.status}
    threat.likelihood, threat.impact, threat.status, threat.closed_reason = likelihood, impact, status, closed_reason
    threat.save()
    after = {"likelihood": likelihood, "impact": impact, "status": status}
    changes = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    if changes:
        _record_change(actor, assessment, {"kind": (None, "threat"), **changes})
    return threat


@transaction.atomic
def do_add_vulnerability(
    actor: Membership, assessment: RiskAssessment, *, domain: str, severity: int, description: str = ""
) -> Vulnerability:
    _check_editable(actor, assessment)
    _check_room(assessment.vulnerabilities)
    _check_score("severity", severity)
    vulnerability = Vulnerability(
        organization=actor.organization,
        assessment=assessment,
        domain=domain,
        severity=severity,
        description=description,
        position=_next_position(assessment.vulnerabilities),
    )
    vulnerability.save()
    changes = {"added": (None, "vulnerability"), "domain": (None, domain), "severity": (None, severity)}
    changes.update(_encrypted_set(["description"], {"description": description}))
    _record_change(actor, assessment, changes)
    return vulnerability


@transaction.atomic
def do_add_capacity(
    actor: Membership,
    assessment: RiskAssessment,
    *,
    domain: str,
    strength: int,
    description: str = "",
    offsets: Vulnerability | None = None,
) -> Capacity:
    _check_editable(actor, assessment)
    _check_room(assessment.capacities)
    _check_score("strength", strength)
    if offsets is not None and offsets.assessment_id != assessment.pk:
        raise ValidationError({"offsets": _("Choose a vulnerability of this assessment.")})
    capacity = Capacity(
        organization=actor.organization,
        assessment=assessment,
        domain=domain,
        strength=strength,
        description=description,
        offsets=offsets,
        position=_next_position(assessment.capacities),
    )
    capacity.save()
    changes = {"added": (None, "capacity"), "domain": (None, domain), "strength": (None, strength)}
    changes.update(_encrypted_set(["description"], {"description": description}))
    _record_change(actor, assessment, changes)
    return capacity


@transaction.atomic
def do_remove_item(actor: Membership, assessment: RiskAssessment, item: Threat | Vulnerability | Capacity) -> None:
    """Its data key is destroyed with it (crypto-shredding)."""
    _check_editable(actor, assessment)
    if item.assessment_id != assessment.pk:
        raise ValidationError(_("This item is not part of the assessment."))
    kind = item._meta.model_name
    item.delete()
    _record_change(actor, assessment, {"removed": (kind, None)})


@transaction.atomic
def do_set_review(
    actor: Membership,
    assessment: RiskAssessment,
    *,
    next_review_on: date | None,
    review_triggers: Sequence[str] = (),
    review_notes: str | None = None,
) -> RiskAssessment:
    """Step 5: when to look again, and what brings that forward. `review_notes=None` keeps them."""
    _check_editable(actor, assessment)
    if next_review_on is not None and next_review_on < assessment.assessed_on:
        raise ValidationError({"next_review_on": _("The next review cannot be before the assessment.")})
    triggers = _check_triggers(review_triggers)
    changes: dict[str, tuple[Any, Any]] = {}
    if assessment.next_review_on != next_review_on:
        old = assessment.next_review_on.isoformat() if assessment.next_review_on else None
        changes["next_review_on"] = (old, next_review_on.isoformat() if next_review_on else None)
    if list(assessment.review_triggers) != triggers:
        changes["review_triggers"] = (assessment.review_triggers, triggers)
    assessment.next_review_on, assessment.review_triggers = next_review_on, triggers
    if review_notes is not None:
        assessment.review_notes = review_notes
        changes["review_notes"] = (None, None)
    assessment.save()
    if changes:
        _record_change(actor, assessment, changes)
    return assessment


@transaction.atomic
def do_complete_assessment(actor: Membership, assessment: RiskAssessment) -> RiskAssessment:
    """Fix the level from the rule; once complete, an assessment is history and is not edited.
    With a case, the case's timeline says so (coded values only)."""
    _check_editable(actor, assessment)
    if assessment.next_review_on is None:
        raise ValidationError({"next_review_on": _("Set the date of the next review.")})
    assessment.level = level_of(assessment).code
    assessment.status = RiskAssessment.Status.COMPLETE
    assessment.completed_at = timezone.now()
    assessment.save()
    record(
        "risk_assessment.completed",
        actor=actor.user,
        organization=actor.organization,
        target=_target(assessment),
        changes={"level": (None, assessment.level), "next_review_on": (None, assessment.next_review_on.isoformat())},
        loggable=LOGGABLE,
    )
    if assessment.case_id is not None:
        TimelineEvent.objects.create(
            case_id=assessment.case_id,
            kind="risk.assessed",
            actor=actor.user,
            target_type="risk_assessment",
            target_id=str(assessment.pk),
            details={"level": assessment.level, "next_review_on": assessment.next_review_on.isoformat()},
        )
    return assessment


def do_reveal(actor: Membership, assessment: RiskAssessment, parts: Iterable[str]) -> list[str]:
    """Only the audit entry: whoever reveals is on record before any value is opened."""
    require(actor, "risk.reveal")
    require_visible_assessment(actor, assessment)
    return record_reveal("risk_assessment.revealed", actor, _target(assessment), parts, REVEALABLE)


@transaction.atomic
def do_note_decryption_failure(actor: Membership, assessment: RiskAssessment, parts: Iterable[str]) -> None:
    record_fields("risk_assessment.decryption_failed", actor, _target(assessment), parts)


def open_parts(assessment: RiskAssessment, parts: Iterable[str]) -> dict[str, Any]:
    """The revealed text, opened now (raises DecryptionError rather than show stored bytes)."""
    names = set(parts)
    opened: dict[str, Any] = {}
    if "assessment" in names:
        opened["assessment"] = {name: getattr(assessment, name) for name in ASSESSMENT_TEXT}
    if "threats" in names:
        opened["threats"] = {t.pk: {name: getattr(t, name) for name in THREAT_TEXT} for t in assessment.threats.all()}
    if "vulnerabilities" in names:
        opened["vulnerabilities"] = {v.pk: v.description for v in assessment.vulnerabilities.all()}
    if "capacities" in names:
        opened["capacities"] = {c.pk: c.description for c in assessment.capacities.all()}
    return opened


# Protection plans ------------------------------------------------------------------------------


@transaction.atomic
def do_create_plan(
    actor: Membership, defender: Defender, *, title: str, assessment: RiskAssessment | None = None
) -> ProtectionPlan:
    require(actor, "risk.edit")
    require_visible_defender(actor, defender)
    if not title.strip():
        raise ValidationError({"title": _("This field is required.")})
    if assessment is not None and assessment.defender_id != defender.pk:
        raise ValidationError({"assessment": _("Choose an assessment of this defender.")})
    plan = ProtectionPlan.objects.create(
        organization=actor.organization, defender=defender, assessment=assessment, title=title, created_by=actor.user
    )
    record(
        "protection_plan.created",
        actor=actor.user,
        organization=actor.organization,
        target=_plan_target(plan),
        changes={"defender": (None, str(defender.pk)), "title": (None, title)},
        loggable=LOGGABLE,
    )
    return plan


def _check_owner(actor: Membership, owner: User | None) -> None:
    if owner is not None and not Membership.objects.filter(user=owner, organization=actor.organization).exists():
        raise ValidationError({"owner": _("Choose a member of the organisation.")})


def _check_cost(amount: Decimal | None, currency: str) -> None:
    if amount is not None and amount < 0:
        raise ValidationError({"cost_amount": _("A cost cannot be negative.")})
    if amount is not None and len(currency) != 3:
        raise ValidationError({"cost_currency": _("Give the currency as a three-letter code (USD, EUR, KES...).")})


def _new_measure(plan: ProtectionPlan, position: int, **fields: Any) -> Measure:
    measure = Measure(organization=plan.organization, plan=plan, position=position, **fields)
    measure.save()
    return measure


@transaction.atomic
def do_add_measure(actor: Membership, plan: ProtectionPlan, **fields: Any) -> Measure:
    """Fields: kind, title, description (encrypted), owner or outside_owner, deadline, status,
    cost_amount, cost_currency, for_grant_request."""
    require(actor, "risk.edit")
    require_visible_plan(actor, plan)
    if plan.measures.count() >= MAX_ITEMS:
        raise ValidationError(_("A plan holds at most %(max)d measures.") % {"max": MAX_ITEMS})
    if not str(fields.get("title", "")).strip():
        raise ValidationError({"title": _("This field is required.")})
    _check_owner(actor, fields.get("owner"))
    fields["cost_currency"] = str(fields.get("cost_currency", "")).upper()
    _check_cost(fields.get("cost_amount"), fields["cost_currency"])
    measure = _new_measure(plan, _next_position(plan.measures), **fields)
    changes: dict[str, tuple[Any, Any]] = {
        "measure": (None, str(measure.pk)),
        "kind": (None, measure.kind),
        "status": (None, measure.status),
    }
    changes.update(_encrypted_set(["description"], fields))
    _record_plan_change(actor, plan, changes)
    return measure


def _record_plan_change(actor: Membership, plan: ProtectionPlan, changes: dict[str, tuple[Any, Any]]) -> None:
    record(
        "protection_plan.changed",
        actor=actor.user,
        organization=actor.organization,
        target=_plan_target(plan),
        changes=changes,
        loggable=LOGGABLE,
    )


@transaction.atomic
def do_apply_template(actor: Membership, plan: ProtectionPlan, code: str) -> list[Measure]:
    """Copy the template's measures into the plan, in the active language."""
    require(actor, "risk.edit")
    require_visible_plan(actor, plan)
    template = load_templates().get(code)
    if template is None:
        raise ValidationError({"template": _("Choose a template from the list.")})
    if plan.measures.count() + len(template.measures) > MAX_ITEMS:
        raise ValidationError(_("A plan holds at most %(max)d measures.") % {"max": MAX_ITEMS})
    start = _next_position(plan.measures)
    measures = [
        _new_measure(
            plan,
            start + offset,
            kind=item.kind,
            title=in_language(item.title),
            description=in_language(item.description),
            cost_amount=item.cost,
            cost_currency=item.currency,
            for_grant_request=item.for_grant_request,
            template=code,
        )
        for offset, item in enumerate(template.measures)
    ]
    _record_plan_change(actor, plan, {"template": (None, code), "count": (None, len(measures))})
    return measures


@transaction.atomic
def do_change_measure_status(actor: Membership, measure: Measure, status: str) -> Measure:
    require(actor, "risk.edit")
    require_visible_plan(actor, measure.plan)
    if status not in Measure.Status.values:
        raise ValidationError({"status": _("Choose a status from the list.")})
    old = measure.status
    if old == status:
        return measure
    measure.status = status
    measure.save()
    _record_plan_change(actor, measure.plan, {"measure": (None, str(measure.pk)), "status": (old, status)})
    return measure


def do_reveal_plan(actor: Membership, plan: ProtectionPlan) -> dict[Any, str]:
    """The measures' descriptions, after the audit entry that says they were revealed."""
    require(actor, "risk.reveal")
    require_visible_plan(actor, plan)
    record_fields("protection_plan.revealed", actor, _plan_target(plan), ["description"])
    return {measure.pk: measure.description for measure in plan.measures.all()}


@transaction.atomic
def do_record_assessment(
    actor: Membership,
    defender: Defender,
    *,
    threats: Sequence[dict[str, Any]] = (),
    vulnerabilities: Sequence[dict[str, Any]] = (),
    capacities: Sequence[dict[str, Any]] = (),
    next_review_on: date | None = None,
    review_triggers: Sequence[str] = (),
    review_notes: str = "",
    complete: bool = False,
    **context: Any,
) -> RiskAssessment:
    """A whole assessment at once (the API), or nothing: the guided form's steps in one call.
    `capacities[i]["offsets"]` is an index into `vulnerabilities`, or None."""
    assessment = do_start_assessment(actor, defender, **context)
    for threat in threats:
        do_add_threat(actor, assessment, **threat)
    added = [do_add_vulnerability(actor, assessment, **vulnerability) for vulnerability in vulnerabilities]
    for number, capacity in enumerate(capacities, start=1):
        index = capacity.get("offsets")
        if index is not None and not 0 <= index < len(added):
            raise ValidationError(
                {f"capacities.{number}.offsets": _("Give the number of a vulnerability in the list.")}
            )
        do_add_capacity(actor, assessment, **{**capacity, "offsets": added[index] if index is not None else None})
    do_set_review(
        actor, assessment, next_review_on=next_review_on, review_triggers=review_triggers, review_notes=review_notes
    )
    if complete:
        do_complete_assessment(actor, assessment)
    return assessment
