"""Every change to alerts goes through these functions.

Each checks the permission, changes state in one transaction, and writes its audit entry and a
line on the timeline of every linked case. The workflow rules live here, not in views, so the
API cannot go round them:

- the two-person rule: an alert for the whole network or the public is approved by someone who
  neither wrote it nor changed it last, and any change after approval sends it back to review;
- publishing needs a second factor proved just before (the caller says whether it was);
- publishing to the network or the public needs each named defender's consent to be named.

The alert's text is encrypted; audit entries and timeline lines name fields, never values.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from salama.audit.actions import record
from salama.cases.access import visible_cases
from salama.cases.models import TimelineEvent
from salama.core import jobs
from salama.core.permissions import require
from salama.defenders.access import visible_defenders
from salama.defenders.models import Consent
from salama.delivery import engine
from salama.delivery.models import Delivery, Priority
from salama.orgs.models import Membership, Organization

from .access import PRODUCER_KIND, targets_of, version_in, versions_of
from .models import Acknowledgement, ActionTaken, Alert, AlertTarget, AlertVersion
from .rendering import render
from .rooms import send_to_room

LOGGABLE = (
    *("reference", "kind", "state", "urgency", "scope", "default_language", "deadline", "language", "original"),
    *("cases", "defenders", "audience_rule", "count", "operation", "action_type", "taken_on", "countries"),
)
SETTINGS_FIELDS = ("urgency", "scope", "audience_rule", "default_language", "deadline", "countries")
FOLLOW_UP_LABELS = {Alert.Kind.FURTHER: "further information", Alert.Kind.STOP: "stop action"}


class StepUpRequired(ValidationError):
    """Publishing without a second factor proved in the last few minutes."""


# -- helpers -----------------------------------------------------------------------------------


def _target(alert: Alert) -> tuple[str, Any]:
    return ("alert", alert.pk)


def _audit(actor: Membership, action: str, alert: Alert, changes: dict[str, tuple[Any, Any]] | None = None) -> None:
    record(
        action,
        actor=actor.user,
        organization=actor.organization,
        target=_target(alert),
        changes={"reference": (None, alert.reference), **(changes or {})},
        loggable=LOGGABLE,
    )


def _timeline(alert: Alert, actor: Membership | None, kind: str, cases: Iterable[Any] | None = None) -> None:
    """A line on each linked case's timeline: the reference and kind only, never the text."""
    details = {"reference": alert.reference, "alert_kind": alert.kind}
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            case=case,
            kind=kind,
            actor=actor.user if actor else None,
            target_type="alert",
            target_id=str(alert.pk),
            details=details,
        )
        for case in (alert.cases.all() if cases is None else cases)
    )


def _require_editable(alert: Alert) -> None:
    if not alert.editable:
        raise ValidationError(_("A published or closed alert cannot be changed; send a follow-up instead."))


def _edited(actor: Membership, alert: Alert) -> None:
    """Whoever changes an alert becomes its last editor; a change after approval withdraws it,
    so nobody can approve one text and publish another."""
    changes: dict[str, tuple[Any, Any]] = {}
    if alert.state == Alert.State.APPROVED:
        alert.state, alert.approved_by, alert.approved_at = Alert.State.REVIEW, None, None
        changes["state"] = (Alert.State.APPROVED, Alert.State.REVIEW)
        _timeline(alert, actor, "alert.returned_to_review")
    alert.last_edited_by = actor.user
    alert.save(update_fields=["state", "approved_by", "approved_at", "last_edited_by", "updated_at"])
    if changes:
        _audit(actor, "alert.returned_to_review", alert, changes)


def _checked_cases(actor: Membership, cases: Iterable[Any]) -> list[Any]:
    """Only cases the actor may see: an alert is not a way to reach anyone else's."""
    cases = list(cases)
    visible = set(visible_cases(actor).filter(pk__in=[c.pk for c in cases]).values_list("pk", flat=True))
    if any(c.pk not in visible for c in cases):
        raise ValidationError({"cases": _("Choose cases you can see.")})
    return cases


def _checked_defenders(actor: Membership, defenders: Iterable[Any]) -> list[Any]:
    defenders = list(defenders)
    visible = set(visible_defenders(actor).filter(pk__in=[d.pk for d in defenders]).values_list("pk", flat=True))
    if any(d.pk not in visible for d in defenders):
        raise ValidationError({"defenders": _("Choose defenders of your own organisation.")})
    return defenders


def _check_settings(org: Organization, fields: dict[str, Any]) -> None:
    rule = fields.get("audience_rule")
    if rule is not None and rule.organization_id != org.pk:
        raise ValidationError({"audience_rule": _("Choose a list of your own organisation.")})
    if fields.get("scope") == Alert.Scope.RESTRICTED and rule is None:
        raise ValidationError({"audience_rule": _("A restricted alert needs the list it goes to.")})
    if fields.get("scope") in {Alert.Scope.NETWORK, Alert.Scope.PUBLIC}:
        fields["audience_rule"] = None


def checked_countries(codes: Iterable[Any]) -> list[str]:
    """ISO 3166-1 alpha-2 codes of the list used across Salama (django-countries), each once."""
    chosen: list[str] = []
    for code in codes:
        code = str(getattr(code, "code", code)).strip().upper()
        if code not in countries:
            raise ValidationError(
                {"countries": _("%(code)s is not a country code (ISO 3166-1 alpha-2).") % {"code": code}}
            )
        if code not in chosen:
            chosen.append(code)
    return chosen


def _codes(alert: Alert) -> list[str]:
    return [country.code for country in alert.countries]


def _ids(records: Iterable[Any]) -> list[str]:
    return sorted(str(item.pk) for item in records)


# -- references --------------------------------------------------------------------------------


def format_reference(number: int, year: int) -> str:
    return f"UA {number:03d}/{year % 100:02d}"


def next_number(org: Organization, year: int) -> int:
    """Called inside the creating transaction after the organisation row is locked (PostgreSQL)
    or in SQLite's single write transaction, so two creations never read the same last number;
    the unique constraints refuse a duplicate should anything slip through."""
    last = Alert.objects.filter(organization=org, year=year).order_by("-number").values_list("number", flat=True)
    return (last.first() or 0) + 1


def follow_up_reference(original: Alert, kind: str, sequence: int) -> str:
    if kind == Alert.Kind.STOP:
        return f"{original.reference} (stop action)"
    return f"{original.reference} (further information {sequence})"


# -- composing ---------------------------------------------------------------------------------


@transaction.atomic
def do_create_alert(
    actor: Membership,
    *,
    urgency: str = Alert.Urgency.URGENT,
    scope: str = Alert.Scope.NETWORK,
    audience_rule: Any = None,
    default_language: str = "en",
    deadline: datetime | None = None,
    cases: Iterable[Any] = (),
    defenders: Iterable[Any] = (),
    countries: Iterable[str] = (),
) -> Alert:
    require(actor, "alerts.edit")
    fields = {"scope": scope, "audience_rule": audience_rule}
    _check_settings(actor.organization, fields)
    codes = checked_countries(countries)
    cases, defenders = _checked_cases(actor, cases), _checked_defenders(actor, defenders)
    org = Organization.objects.select_for_update().get(pk=actor.organization_id)
    year = timezone.localdate().year
    number = next_number(org, year)
    alert = Alert.objects.create(
        organization=org,
        year=year,
        number=number,
        reference=format_reference(number, year),
        urgency=urgency,
        scope=scope,
        audience_rule=fields["audience_rule"],
        default_language=default_language,
        deadline=deadline,
        countries=codes,  # type: ignore[misc]  # django-stubs types a multiple CountryField as one code
        created_by=actor.user,
        last_edited_by=actor.user,
    )
    alert.cases.set(cases)
    alert.defenders.set(defenders)
    _audit(
        actor,
        "alert.created",
        alert,
        {"scope": (None, scope), "cases": (None, _ids(cases)), **({"countries": (None, codes)} if codes else {})},
    )
    _timeline(alert, actor, "alert.linked", cases)
    return alert


@transaction.atomic
def do_create_follow_up(actor: Membership, original: Alert, kind: str) -> Alert:
    """A further information or stop action alert: same number, same cases, defenders and
    scope, and at publication exactly the original's audience."""
    require(actor, "alerts.edit")
    if original.original_id is not None:
        original = original.original  # type: ignore[assignment]
    if kind not in FOLLOW_UP_LABELS:
        raise ValidationError({"kind": _("Choose further information or stop action.")})
    if original.state not in {Alert.State.PUBLISHED, Alert.State.CLOSED} or original.audience_id is None:
        raise ValidationError(_("Only a published alert can have follow-ups."))
    if kind == Alert.Kind.STOP and original.follow_ups.filter(kind=Alert.Kind.STOP).exists():
        raise ValidationError({"kind": _("This alert already has a stop action.")})
    Organization.objects.select_for_update().get(pk=actor.organization_id)
    sequence = (original.follow_ups.order_by("-sequence").values_list("sequence", flat=True).first() or 0) + 1
    further = original.follow_ups.filter(kind=Alert.Kind.FURTHER).count() + 1
    alert = Alert.objects.create(
        organization_id=original.organization_id,
        year=original.year,
        number=original.number,
        sequence=sequence,
        reference=follow_up_reference(original, kind, further),
        kind=kind,
        original=original,
        urgency=original.urgency,
        scope=original.scope,
        audience_rule=original.audience_rule,
        default_language=original.default_language,
        deadline=original.deadline,
        countries=_codes(original),  # type: ignore[misc]  # as above
        created_by=actor.user,
        last_edited_by=actor.user,
    )
    alert.cases.set(original.cases.all())
    alert.defenders.set(original.defenders.all())
    _audit(actor, "alert.created", alert, {"kind": (None, kind), "original": (None, original.reference)})
    _timeline(alert, actor, "alert.linked")
    return alert


@transaction.atomic
def do_update_alert(actor: Membership, alert: Alert, **fields: Any) -> Alert:
    """urgency, scope, audience_rule, default_language, deadline, cases, defenders: those given."""
    require(actor, "alerts.edit")
    _require_editable(alert)
    changes: dict[str, tuple[Any, Any]] = {}
    if "cases" in fields:
        cases = _checked_cases(actor, fields.pop("cases"))
        # Cases the actor cannot see stay linked: nobody unlinks what they cannot know about.
        hidden = list(alert.cases.exclude(pk__in=visible_cases(actor).values("pk")))
        old, new = _ids(alert.cases.all()), _ids([*cases, *hidden])
        if old != new:
            added = [c for c in cases if str(c.pk) not in old]
            alert.cases.set([*cases, *hidden])
            changes["cases"] = (old, new)
            _timeline(alert, actor, "alert.linked", added)
    if "defenders" in fields:
        defenders = _checked_defenders(actor, fields.pop("defenders"))
        old, new = _ids(alert.defenders.all()), _ids(defenders)
        if old != new:
            alert.defenders.set(defenders)
            changes["defenders"] = (old, new)
    for name in fields:
        if name not in SETTINGS_FIELDS:
            raise ValueError(f"{name} is not changed through do_update_alert")
    if "countries" in fields:
        codes = checked_countries(fields.pop("countries"))
        if codes != _codes(alert):
            changes["countries"] = (_codes(alert), codes)
            alert.countries = codes
    merged = {name: fields.get(name, getattr(alert, name)) for name in ("scope", "audience_rule")}
    _check_settings(alert.organization, merged)
    fields["audience_rule"] = merged["audience_rule"]
    if alert.original_id is not None and fields.get("scope", alert.scope) != alert.scope:
        raise ValidationError({"scope": _("A follow-up goes to its original's audience; its scope cannot change.")})
    for name, value in fields.items():
        if getattr(alert, name) != value:
            changes[name] = (getattr(alert, name), value)
            setattr(alert, name, value)
    if not changes:
        return alert
    alert.save()
    _audit(actor, "alert.updated", alert, changes)
    _edited(actor, alert)
    return alert


@transaction.atomic
def do_save_version(actor: Membership, alert: Alert, language: str, **texts: str) -> AlertVersion:
    """Create or replace the alert's text in one language (only the fields given change)."""
    require(actor, "alerts.edit")
    _require_editable(alert)
    if language not in dict(AlertVersion._meta.get_field("language").choices or []):
        raise ValidationError({"language": _("Choose one of the offered languages.")})
    unknown = set(texts) - set(AlertVersion.TEXT_FIELDS)
    if unknown:
        raise ValueError(f"unknown version fields {sorted(unknown)}")
    version = version_in(alert, language) or AlertVersion(
        alert=alert, organization_id=alert.organization_id, language=language
    )
    changed = sorted(name for name, value in texts.items() if getattr(version, name) != value)
    if version._state.adding and not (texts.get("title") or "").strip():
        raise ValidationError({"title": _("Give the alert a title in this language.")})
    if not changed and not version._state.adding:
        return version
    for name in changed:
        setattr(version, name, texts[name])
    version.save()
    # Field names only: the text is sealed and stays out of the log.
    _audit(actor, "alert.version_saved", alert, {"language": (None, language), **{n: (None, None) for n in changed}})
    _edited(actor, alert)
    return version


@transaction.atomic
def do_delete_version(actor: Membership, alert: Alert, version: AlertVersion) -> None:
    require(actor, "alerts.edit")
    _require_editable(alert)
    if version.language == alert.default_language:
        raise ValidationError(
            {"language": _("The default language's text cannot be removed; change the default first.")}
        )
    language = version.language
    version.delete()
    _audit(actor, "alert.version_deleted", alert, {"language": (language, None)})
    _edited(actor, alert)


@transaction.atomic
def do_save_target(actor: Membership, alert: Alert, target: AlertTarget | None = None, **fields: Any) -> AlertTarget:
    """Add a target (target=None) or change one; only the fields given change."""
    require(actor, "alerts.edit")
    _require_editable(alert)
    if target is None:
        if not (fields.get("name") or "").strip():
            raise ValidationError({"name": _("Give the name of the person to address.")})
        position = targets_of(alert).count()
        target = AlertTarget(alert=alert, organization_id=alert.organization_id, position=position)
    allowed = {*AlertTarget.TEXT_FIELDS, "country", "preferred_language"}
    for name, value in fields.items():
        if name not in allowed:
            raise ValueError(f"unknown target field {name}")
        setattr(target, name, value)
    adding = target._state.adding
    target.save()
    _audit(actor, "alert.target_added" if adding else "alert.target_changed", alert, {n: (None, None) for n in fields})
    _edited(actor, alert)
    return target


@transaction.atomic
def do_remove_target(actor: Membership, alert: Alert, target: AlertTarget) -> None:
    require(actor, "alerts.edit")
    _require_editable(alert)
    if target.actions.exists():
        raise ValidationError(_("Actions were recorded on this target; it cannot be removed."))
    target.delete()
    _audit(actor, "alert.target_removed", alert)
    _edited(actor, alert)


# -- the workflow ------------------------------------------------------------------------------


def _check_complete(alert: Alert) -> None:
    default = version_in(alert, alert.default_language)
    if default is None or not default.title.strip() or not default.summary.strip():
        raise ValidationError(
            _("Write at least the title and summary in the default language (%(language)s).")
            % {"language": alert.get_default_language_display()}
        )


@transaction.atomic
def do_submit(actor: Membership, alert: Alert) -> Alert:
    require(actor, "alerts.edit")
    if alert.state != Alert.State.DRAFT:
        raise ValidationError(_("Only a draft can be sent for review."))
    _check_complete(alert)
    alert.state = Alert.State.REVIEW
    alert.save(update_fields=["state", "updated_at"])
    _audit(actor, "alert.submitted", alert, {"state": (Alert.State.DRAFT, Alert.State.REVIEW)})
    _timeline(alert, actor, "alert.submitted")
    return alert


def second_person_refusal(actor: Membership, alert: Alert) -> str:
    """Why this member may not approve this alert; empty when they may."""
    if actor.user_id in {alert.created_by_id, alert.last_edited_by_id}:
        return _(
            "A second person must approve this alert: you wrote it or changed it last. "
            "Ask another admin or coordinator of your organisation."
        )
    return ""


@transaction.atomic
def do_approve(actor: Membership, alert: Alert) -> Alert:
    require(actor, "alerts.approve")
    locked = Alert.objects.select_for_update().get(pk=alert.pk)  # an edit and an approval never interleave
    if locked.state != Alert.State.REVIEW:
        raise ValidationError(_("Only an alert in review can be approved."))
    refusal = second_person_refusal(actor, locked)
    if refusal:
        raise ValidationError(refusal)
    _check_complete(locked)
    locked.state, locked.approved_by, locked.approved_at = Alert.State.APPROVED, actor.user, timezone.now()
    locked.save(update_fields=["state", "approved_by", "approved_at", "updated_at"])
    _audit(actor, "alert.approved", locked, {"state": (Alert.State.REVIEW, Alert.State.APPROVED)})
    _timeline(locked, actor, "alert.approved")
    _copy_state(locked, alert)
    return alert


@transaction.atomic
def do_return_to_draft(actor: Membership, alert: Alert) -> Alert:
    """A reviewer sends it back for more work (or the author takes it back)."""
    require(actor, "alerts.edit")
    if alert.state not in {Alert.State.REVIEW, Alert.State.APPROVED}:
        raise ValidationError(_("Only an alert in review or approved can go back to draft."))
    old = alert.state
    alert.state, alert.approved_by, alert.approved_at = Alert.State.DRAFT, None, None
    alert.save(update_fields=["state", "approved_by", "approved_at", "updated_at"])
    _audit(actor, "alert.returned_to_draft", alert, {"state": (old, Alert.State.DRAFT)})
    return alert


def _copy_state(source: Alert, into: Alert) -> None:
    for name in ("state", "approved_by_id", "approved_at", "published_by_id", "published_at", "closed_at"):
        setattr(into, name, getattr(source, name))
    for name in ("audience_id", "message_id"):
        setattr(into, name, getattr(source, name))


def consent_refusal(alert: Alert) -> str:
    """Why the alert may not name its defenders to its audience; empty when it may."""
    if not alert.needs_second_person:
        return ""
    for defender in alert.defenders.order_by("public_name"):
        consenting = Consent.objects.filter(
            defender=defender, scope=Consent.Scope.NAMED_PUBLICLY, withdrawn_on__isnull=True
        ).exists()
        if not consenting:
            return _(
                "%(name)s has not consented to be named publicly. Record their consent, or remove them from the alert."
            ) % {"name": defender.public_name}
    return ""


def publish_refusal(actor: Membership, alert: Alert) -> str:
    """Why the alert cannot be published now (workflow, two-person rule, consent)."""
    if alert.needs_second_person:
        if alert.state != Alert.State.APPROVED or alert.approved_by_id is None:
            return _("An alert to the whole network or the public must be approved by a second person first.")
        if alert.approved_by_id in {alert.created_by_id, alert.last_edited_by_id}:
            return _("The approval is not valid: it was given by the author or the last editor.")
    elif alert.state not in {Alert.State.REVIEW, Alert.State.APPROVED}:
        return _("Send the alert for review before publishing it.")
    if alert.original_id is not None and alert.original.audience_id is None:  # type: ignore[union-attr]
        return _("The original alert was never published.")
    return consent_refusal(alert)


@transaction.atomic
def do_publish(actor: Membership, alert: Alert, *, second_factor_confirmed: bool) -> Alert:
    """Freeze the audience, render the message once per language and channel, and queue the
    fan-out, all in one transaction: either the alert is published and will be sent, or
    nothing happened."""
    require(actor, "alerts.publish")
    if not second_factor_confirmed:
        raise StepUpRequired(_("For your safety, confirm it is you with your second factor before publishing."))
    locked = Alert.objects.select_for_update(of=("self",)).select_related("original").get(pk=alert.pk)
    refusal = publish_refusal(actor, locked)
    if refusal:
        raise ValidationError(refusal)
    _check_complete(locked)
    locked.audience = _freeze(locked)
    message = engine.create_message(
        locked.organization,
        PRODUCER_KIND,
        str(locked.pk),
        priority=Priority.URGENT if locked.urgency == Alert.Urgency.URGENT else Priority.ROUTINE,
        deadline=locked.deadline,
    )
    version = engine.add_version(message, render(locked), default_language=locked.default_language)
    send_to_room(locked, version)
    old = locked.state
    locked.message, locked.state = message, Alert.State.PUBLISHED
    locked.published_by, locked.published_at = actor.user, timezone.now()
    locked.save()
    jobs.enqueue("alerts.fan_out", {"alert": str(locked.pk), "version": str(version.pk)}, priority=5)
    _audit(actor, "alert.published", locked, {"state": (old, Alert.State.PUBLISHED)})
    _timeline(locked, actor, "alert.published")
    if locked.kind == Alert.Kind.STOP:
        _close(actor, locked.original)  # type: ignore[arg-type]
    _copy_state(locked, alert)
    return alert


def _freeze(alert: Alert) -> Any:
    from salama.audiences.freezing import follow_up, freeze

    if alert.original is not None and alert.original.audience is not None:
        return follow_up(alert.original.audience, producer_kind=PRODUCER_KIND, producer_id=str(alert.pk))
    if alert.audience_rule is not None:
        return freeze(alert.organization, alert.audience_rule, producer_kind=PRODUCER_KIND, producer_id=str(alert.pk))
    # The whole network: without a rule, freezing takes every subscriber on the list.
    return freeze(alert.organization, None, producer_kind=PRODUCER_KIND, producer_id=str(alert.pk))


def _close(actor: Membership, alert: Alert) -> None:
    if alert.state != Alert.State.PUBLISHED:
        return
    alert.state, alert.closed_at = Alert.State.CLOSED, timezone.now()
    alert.save(update_fields=["state", "closed_at", "updated_at"])
    _audit(actor, "alert.closed", alert, {"state": (Alert.State.PUBLISHED, Alert.State.CLOSED)})
    _timeline(alert, actor, "alert.closed")


@transaction.atomic
def do_close(actor: Membership, alert: Alert) -> Alert:
    """Closing sends nothing: to tell the audience the action is over, publish a stop action."""
    require(actor, "alerts.publish")
    if alert.state != Alert.State.PUBLISHED:
        raise ValidationError(_("Only a published alert can be closed."))
    _close(actor, alert)
    return alert


# -- sending -----------------------------------------------------------------------------------

SENDING_OPERATIONS = ("pause", "resume", "resend_failed")


@transaction.atomic
def do_control_sending(actor: Membership, alert: Alert, operation: str) -> int:
    """Pause, resume, or send again to the failed deliveries; how many deliveries it touched."""
    require(actor, "alerts.publish")
    if alert.message is None:
        raise ValidationError(_("This alert has not been sent."))
    if operation == "pause":
        count = int(engine.pause(alert.message))
    elif operation == "resume":
        count = int(engine.resume(alert.message))
    elif operation == "resend_failed":
        count = engine.resend_failed(alert.message)
    else:
        raise ValidationError({"operation": _("Choose pause, resume or send again to the failed.")})
    _audit(actor, f"alert.sending_{operation}", alert, {"count": (None, count)})
    return count


# -- closing the loop --------------------------------------------------------------------------


@transaction.atomic
def do_acknowledge(delivery: Delivery, alert: Alert) -> None:
    """From a recipient's signed link: idempotent, and nobody's name or address is stored."""
    Acknowledgement.objects.get_or_create(delivery=delivery, defaults={"alert": alert})


def _check_action(alert: Alert, target: AlertTarget, action_type: str, taken_on: date) -> None:
    if target.alert_id != alert.pk:
        raise ValidationError({"target": _("Choose one of this alert's targets.")})
    if action_type not in ActionTaken.Type.values:
        raise ValidationError({"action_type": _("Choose what you did.")})
    if taken_on > timezone.localdate():
        raise ValidationError({"taken_on": _("The date cannot be in the future.")})
    if alert.state not in {Alert.State.PUBLISHED, Alert.State.CLOSED}:
        raise ValidationError(_("Actions are recorded on published alerts."))


def _new_action(alert: Alert, target: AlertTarget, **fields: Any) -> ActionTaken:
    action = ActionTaken(alert=alert, organization_id=alert.organization_id, target=target, **fields)
    action.save()
    return action


@transaction.atomic
def do_record_action_by_link(
    delivery: Delivery,
    alert: Alert,
    target: AlertTarget,
    *,
    action_type: str,
    taken_on: date,
    response: Any,
    notes: str,
) -> ActionTaken:
    """A recipient reports through their link; their acknowledgement goes with it."""
    _check_action(alert, target, action_type, taken_on)
    Acknowledgement.objects.get_or_create(delivery=delivery, defaults={"alert": alert})
    return _new_action(
        alert, target, delivery=delivery, action_type=action_type, taken_on=taken_on, response=response, notes=notes
    )


@transaction.atomic
def do_record_action(
    actor: Membership, alert: Alert, target: AlertTarget, *, action_type: str, taken_on: date, response: Any, notes: str
) -> ActionTaken:
    require(actor, "alerts.view")
    _check_action(alert, target, action_type, taken_on)
    action = _new_action(
        alert, target, member=actor.user, action_type=action_type, taken_on=taken_on, response=response, notes=notes
    )
    _audit(actor, "alert.action_recorded", alert, {"action_type": (None, action_type), "taken_on": (None, taken_on)})
    return action


def versions_by_language(alert: Alert) -> dict[str, AlertVersion]:
    return {version.language: version for version in versions_of(alert)}
