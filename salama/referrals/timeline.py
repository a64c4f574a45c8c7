"""Case timeline lines for referrals (called by salama.cases.timeline.describe)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from salama.cases.models import TimelineEvent

from .models import Referral


def _label(choices: Any, value: str) -> str:
    return str(dict(choices).get(value, value))


def describe_referral(event: TimelineEvent, values: dict[str, Any]) -> str:
    details = event.details or {}
    values["actor"] = details.get("actor", "")
    values["old"] = _label(Referral.Status.choices, details.get("old", ""))
    values["new"] = _label(Referral.Status.choices, details.get("new", ""))
    values["outcome"] = _label(Referral.Outcome.choices, details.get("outcome", ""))
    if not event.actor:
        values["who"] = _("Salama")
    lines = {
        "referral.created": _("%(who)s drafted a referral to %(actor)s."),
        "referral.sent": _("%(who)s sent the referral to %(actor)s."),
        "referral.status_changed": _("%(who)s changed the referral to %(actor)s from %(old)s to %(new)s."),
        "referral.reply_recorded": _("%(who)s recorded the reply of %(actor)s."),
        "referral.outcome_recorded": _("%(who)s recorded the outcome of the referral to %(actor)s: %(outcome)s."),
        "referral.reminder_reply_overdue": _("The reply of %(actor)s is overdue: the case team was reminded."),
        "referral.reminder_stale": _(
            "The referral to %(actor)s has not moved for a while: the case team was reminded."
        ),
    }
    line = lines.get(event.kind)
    return line % values if line else _("%(who)s made a change to the case.") % values
