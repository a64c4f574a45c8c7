"""The organisation's Matrix rooms as more recipients of its network and public alerts.

Optional: nothing happens unless the organisation configured an active `MatrixRoom`. A room gets a
short text per language (reference, kind, title, deadline, summary, background, recommended
actions); the targets and the model letter go to people by email and webhook. A restricted
alert never goes to a room: it is meant for its chosen list only. The rooms' deliveries are
created in the publishing transaction, so they are frozen with the audience and a re-run of the
fan-out never adds a second one. A room whose configuration is broken fails on its own
delivery (shown on the alert board) and holds up nothing else.
"""

from __future__ import annotations

from typing import Any

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from salama.delivery import engine
from salama.delivery.channels.matrix.models import MatrixRoom, active_rooms
from salama.delivery.engine import Recipient
from salama.delivery.models import MessageVersion

from .access import versions_of
from .models import Alert

ROOM_SCOPES = {Alert.Scope.NETWORK, Alert.Scope.PUBLIC}


def rooms_for(alert: Alert) -> list[MatrixRoom]:
    if alert.scope not in ROOM_SCOPES:
        return []
    return active_rooms(alert.organization_id)


def room_text(alert: Alert, text: dict[str, str]) -> str:
    """In the active language: the caller overrides it with the version's."""
    parts = [f"{alert.reference} · {alert.get_kind_display()}\n{text['title']}"]
    if alert.deadline is not None:
        deadline = formats.date_format(timezone.localtime(alert.deadline), "DATETIME_FORMAT")
        parts.append(_("Please act before %(deadline)s.") % {"deadline": deadline})
    parts.append(text["summary"])
    if text["background"].strip():
        parts.append(_("Background") + "\n" + text["background"])
    if text["recommended_actions"].strip():
        parts.append(_("Recommended actions") + "\n" + text["recommended_actions"])
    return "\n\n".join(part for part in parts if part.strip())


def render_room(alert: Alert) -> dict[str, dict[str, Any]]:
    rendered = {}
    for version in versions_of(alert):
        text = {name: getattr(version, name) for name in ("title", "summary", "background", "recommended_actions")}
        if text["title"].strip():
            with translation.override(version.language):
                rendered[version.language] = {"text": room_text(alert, text)}
    return rendered


def send_to_room(alert: Alert, version: MessageVersion) -> None:
    """Called inside the publishing transaction, after the version was rendered."""
    if "matrix" not in version.rendered:
        return
    recipients = [
        Recipient(
            "matrix",
            room.room_id,
            room.language or alert.default_language,
            extra={"homeserver": room.homeserver, "token": room.access_token},
        )
        for room in rooms_for(alert)
    ]
    engine.create_deliveries(version, recipients)
