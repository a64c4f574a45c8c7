"""The alert rendered once per language and channel, at publication.

Only `[[greeting]]` and the signed links (`[[link:ack]]`, `[[link:preferences]]`,
`[[link:unsubscribe]]`) are left for the engine to fill per recipient. Labels are translated
into each version's language, so a Spanish reader gets a Spanish message throughout.

The webhook payload carries the alert's own text and targets, its reference and dates, and
nothing else: no case, defender or audience detail ever leaves through it, whatever the scope.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from salama.core.bidi import keep_numbers_in_order

from .access import targets_of, versions_of
from .models import Alert, AlertTarget, AlertVersion
from .rooms import render_room, rooms_for

LINKS = {"ack": "[[link:ack]]", "preferences": "[[link:preferences]]", "unsubscribe": "[[link:unsubscribe]]"}


def _target_values(target: AlertTarget) -> dict[str, str]:
    values = {name: getattr(target, name) for name in AlertTarget.TEXT_FIELDS}
    values["country"] = str(target.country.name) if target.country else ""
    values["preferred_language"] = target.preferred_language
    return values


def _version_values(version: AlertVersion) -> dict[str, str]:
    return {name: getattr(version, name) for name in AlertVersion.TEXT_FIELDS}


def _email(alert: Alert, text: dict[str, str], targets: list[dict[str, str]]) -> dict[str, str]:
    context = {"alert": alert, "text": text, "targets": targets, "links": LINKS, "greeting": "[[greeting]]"}
    language = translation.get_language() or ""
    # Mail clients have no <bdi> for the subject and the text part: isolating characters instead.
    return {
        "subject": keep_numbers_in_order(f"[{alert.reference}] {text['title']}", language),
        "text": keep_numbers_in_order(render_to_string("alerts/email/message.txt", context), language),
        "html": render_to_string("alerts/email/message.html", context),
    }


def _payload(alert: Alert, language: str, text: dict[str, str], targets: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "payload": {
            "type": "salama.alert",
            "reference": alert.reference,
            "kind": alert.kind,
            "original": alert.original.reference if alert.original else None,
            "urgency": alert.urgency,
            "scope": alert.scope,
            "language": language,
            "deadline": alert.deadline.isoformat() if alert.deadline else None,
            **text,
            "targets": targets,
            "acknowledge": LINKS["ack"],
        }
    }


def render(alert: Alert) -> dict[str, dict[str, Any]]:
    targets = [_target_values(target) for target in targets_of(alert)]
    email: dict[str, Any] = {}
    webhook: dict[str, Any] = {}
    for version in versions_of(alert):
        text = _version_values(version)
        if not text["title"].strip():
            continue
        with translation.override(version.language):
            email[version.language] = _email(alert, text, targets)
        webhook[version.language] = _payload(alert, version.language, text, targets)
    rendered: dict[str, dict[str, Any]] = {"email": email, "webhook": webhook}
    if rooms_for(alert):  # the organisation's optional Matrix rooms (rooms.py)
        rendered["matrix"] = render_room(alert)
    return rendered
