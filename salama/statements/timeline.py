"""Case timeline lines for joint statements linked to the case (see salama.cases.timeline)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from salama.cases.models import TimelineEvent

from .models import JointStatement


def describe_statement(event: TimelineEvent, values: dict[str, Any]) -> str:
    details = event.details or {}
    statuses = dict(JointStatement.Status.choices)
    values["title"] = details.get("title", "")
    values["old"] = str(statuses.get(details.get("old", ""), details.get("old", "")))
    values["new"] = str(statuses.get(details.get("new", ""), details.get("new", "")))
    if event.kind == "statement.status_changed":
        return _('%(who)s changed the joint statement "%(title)s" from %(old)s to %(new)s.') % values
    return _('%(who)s made a change to the joint statement "%(title)s".') % values
