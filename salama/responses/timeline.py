"""Case timeline lines for responses (called by `salama.cases.timeline.describe`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from salama.cases.models import TimelineEvent

from .models import Kind, Outcome, Response, ResponseStep


def _label(choices: Any, value: str) -> str:
    return str(dict(choices).get(value, value))


def describe_response(event: TimelineEvent, values: dict[str, Any]) -> str:
    details = event.details or {}
    values["kind"] = _label(Kind.choices, details.get("response_kind", ""))
    values["old"] = _label(Response.Status.choices, details.get("old", ""))
    values["new"] = _label(Response.Status.choices, details.get("new", ""))
    values["status"] = _label(Response.Status.choices, details.get("status", ""))
    values["outcome"] = _label(Outcome.choices, details.get("outcome", ""))
    values["step"] = _label(ResponseStep.Kind.choices, details.get("step_kind", ""))
    lines = {
        "response.created": _("%(who)s recorded a response: %(kind)s (%(status)s)."),
        "response.updated": _("%(who)s changed a response: %(kind)s."),
        "response.status_changed": _("%(who)s changed the status of a response (%(kind)s) from %(old)s to %(new)s."),
        "response.detail_changed": _("%(who)s changed the details of a response: %(kind)s."),
        "response.step_added": _("%(who)s recorded a step of a response (%(kind)s): %(step)s."),
        "response.step_removed": _("%(who)s removed a step of a response (%(kind)s): %(step)s."),
        "response.closed": _("%(who)s closed a response (%(kind)s) as %(new)s: %(outcome)s."),
    }
    line = lines.get(event.kind)
    return line % values if line else _("%(who)s made a change to the case.") % values
