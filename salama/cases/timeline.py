"""Timeline lines in words: who did what. Kinds other apps add fall back to a generic line."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from salama.core.bidi import keep_numbers_in_order

from .models import Case, TimelineEvent


def _choice(choices: Any, value: str) -> str:
    return str(dict(choices).get(value, value))


def describe(event: TimelineEvent) -> str:
    """The event in words, in the reader's language; in right-to-left text its references and
    dates are isolated so that they read as written."""
    return keep_numbers_in_order(_line(event), translation.get_language() or "")


def _line(event: TimelineEvent) -> str:
    who = (event.actor.display_name or event.actor.email) if event.actor else _("Someone no longer in Salama")
    details = event.details or {}
    values: dict[str, Any] = {"who": who}
    if event.kind == "case.opened":
        values["reference"] = details.get("reference", "")
        return _("%(who)s opened the case %(reference)s.") % values
    if event.kind == "case.updated":
        return _("%(who)s changed the case details.") % values
    if event.kind == "case.status_changed":
        values["old"] = _choice(Case.Status.choices, details.get("old", ""))
        values["new"] = _choice(Case.Status.choices, details.get("new", ""))
        if details.get("reason"):
            values["reason"] = _choice(Case.ClosedReason.choices, details["reason"])
            return _("%(who)s closed the case (%(reason)s).") % values
        return _("%(who)s changed the status from %(old)s to %(new)s.") % values
    if event.kind == "case.team_member_added":
        values["member"] = details.get("member", "")
        return _("%(who)s added %(member)s to the team.") % values
    if event.kind == "case.shared":
        values["partner"] = details.get("partner", "")
        return _("%(who)s shared the case with %(partner)s.") % values
    if event.kind == "case.share_revoked":
        values["partner"] = details.get("partner", "")
        return _("%(who)s stopped sharing the case with %(partner)s.") % values
    if event.kind == "case.team_member_removed":
        values["member"] = details.get("member", "")
        return _("%(who)s removed %(member)s from the team.") % values
    alert_lines = {
        "alert.linked": _("%(who)s linked the urgent alert %(reference)s to the case."),
        "alert.submitted": _("%(who)s sent the urgent alert %(reference)s for review."),
        "alert.approved": _("%(who)s approved the urgent alert %(reference)s."),
        "alert.returned_to_review": _("%(who)s changed the approved urgent alert %(reference)s; it is back in review."),
        "alert.published": _("%(who)s published the urgent alert %(reference)s."),
        "alert.closed": _("%(who)s closed the urgent alert %(reference)s."),
    }
    if event.kind in alert_lines:
        values["reference"] = details.get("reference", "")
        return alert_lines[event.kind] % values
    if event.kind == "risk.assessed":
        # Imported late: risk depends on cases, not the other way round.
        from salama.risk.levels import label_of

        values["level"] = label_of(details.get("level", ""))
        return _("%(who)s completed a risk assessment: the level is %(level)s.") % values
    if event.kind.startswith("safety."):
        return _safety_line(event, values)
    if event.kind.startswith("response."):
        # Imported late: responses depend on cases, not the other way round.
        from salama.responses.timeline import describe_response

        return describe_response(event, values)
    if event.kind.startswith("statement."):
        # Imported late: statements depend on cases, not the other way round.
        from salama.statements.timeline import describe_statement

        return describe_statement(event, values)
    if event.kind.startswith("referral."):
        # Imported late: referrals depend on cases, not the other way round.
        from salama.referrals.timeline import describe_referral

        return describe_referral(event, values)
    simple = {
        "note.added": _("%(who)s added a note."),
        "incident.recorded": _("%(who)s recorded an incident."),
        "incident.updated": _("%(who)s changed an incident."),
        "incident.deleted": _("%(who)s deleted an incident."),
        "evidence.added": _("%(who)s added an evidence file."),
        "evidence.deleted": _("%(who)s deleted an evidence file."),
    }
    if event.kind in simple:
        return simple[event.kind] % values
    return _("%(who)s made a change to the case.") % values


def _safety_line(event: TimelineEvent, values: dict[str, Any]) -> str:
    """Check-ins and emergencies (salama.safety). Timelines are staff pages: a duress code is
    named as such here, and nowhere the defender looks."""
    from salama.safety.models import Audience, Emergency

    details = event.details or {}
    if details.get("duress"):
        values["what"] = _("a duress code (silent escalation)")
    elif details.get("emergency_kind") == Emergency.Kind.SOS:
        values["what"] = _("an SOS")
    else:
        values["what"] = _("a missed check-in")
    values["outcome"] = _choice(Emergency.Outcome.choices, details.get("outcome", ""))
    values["audience"] = _choice(Audience.choices, details.get("audience", ""))
    if not event.actor:
        values["who"] = _("The defender")
    lines = {
        "safety.checkin_missed": _("A check-in was missed: the escalation chain started."),
        "safety.sos_raised": _("%(who)s raised an emergency: %(what)s."),
        "safety.escalated": _("Emergency (%(what)s) escalated to: %(audience)s."),
        "safety.acknowledged": _("%(who)s acknowledged the emergency (%(what)s)."),
        "safety.resolved": _("%(who)s closed the emergency (%(what)s): %(outcome)s."),
        "safety.sos_cancelled": _("The SOS was cancelled as a false alarm."),
    }
    line = lines.get(event.kind)
    return line % values if line else _("%(who)s made a change to the case.") % values
