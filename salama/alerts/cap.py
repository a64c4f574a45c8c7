"""One published public alert as a CAP 1.2 `<alert>` (OASIS Common Alerting Protocol).

Written with Django's SimplerXMLGenerator (the standard library's SAX writer), which escapes
every text and attribute; nothing here parses XML. The element order is the schema's sequence
order, which CAP validators enforce.

Mapping (docs/alerts.md, "Public feeds"):
- msgType: initial -> Alert, further information -> Update, stop action -> Cancel; follow-ups
  name their original in `references` ("sender,identifier,sent").
- urgency/severity/certainty from the alert's urgency: urgent -> Immediate/Severe/Observed,
  routine -> Expected/Moderate/Observed; a stop action -> Past/Minor/Observed (nothing left to
  do). "Observed": an alert reports what already happened to a defender.
- category Safety; event is the alert's kind in the info's language; expires is the deadline.
- `<area>`: one per info when the alert names countries concerned or describes its area:
  `areaDesc` the area description in the info's language, or else the countries' names in that
  language (CAP requires it), and one `geocode` per country (`valueName` ISO3166-1, `value` the
  alpha-2 code). Targets' and cases' countries are never used: they are not the alert's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from django.utils import translation

from .models import Alert

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_MEDIA_TYPE = "application/cap+xml"
MSG_TYPES = {Alert.Kind.INITIAL: "Alert", Alert.Kind.FURTHER: "Update", Alert.Kind.STOP: "Cancel"}
GRADES = {
    Alert.Urgency.URGENT: ("Immediate", "Severe", "Observed"),
    Alert.Urgency.ROUTINE: ("Expected", "Moderate", "Observed"),
}
STOPPED = ("Past", "Minor", "Observed")
GEOCODE_NAME = "ISO3166-1"


def cap_datetime(moment: datetime) -> str:
    """CAP's own form: seconds, a numeric offset, and UTC written "-00:00" (no "Z")."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + "-00:00"


def identifier(alert: Alert) -> str:
    # No spaces or commas: `references` lists identifiers separated by commas and spaces.
    return f"urn:uuid:{alert.pk}"


def grades(alert: Alert) -> tuple[str, str, str]:
    if alert.kind == Alert.Kind.STOP:
        return STOPPED
    return GRADES.get(alert.urgency, GRADES[Alert.Urgency.URGENT])  # type: ignore[call-overload]


def references(alert: Alert, sender: str) -> str:
    original = alert.original
    if original is None or original.published_at is None:
        return ""
    return f"{sender},{identifier(original)},{cap_datetime(original.published_at)}"


def write_alert(
    handler: Any, alert: Alert, texts: Sequence[tuple[str, Mapping[str, str]]], *, sender: str, web: str
) -> None:
    """`texts`: (language, title/summary/background/recommended_actions) per language version."""
    if alert.published_at is None:
        raise ValueError("only a published alert is written as CAP")
    handler.startElement("alert", {"xmlns": CAP_NAMESPACE})
    handler.addQuickElement("identifier", identifier(alert))
    handler.addQuickElement("sender", sender)
    handler.addQuickElement("sent", cap_datetime(alert.published_at))
    handler.addQuickElement("status", "Actual")
    handler.addQuickElement("msgType", MSG_TYPES[alert.kind])  # type: ignore[index]
    handler.addQuickElement("scope", "Public")
    refs = references(alert, sender)
    if refs:
        handler.addQuickElement("references", refs)
    for language, text in texts:
        _write_info(handler, alert, language, text, web)
    handler.endElement("alert")


def _write_info(handler: Any, alert: Alert, language: str, text: Mapping[str, str], web: str) -> None:
    urgency, severity, certainty = grades(alert)
    handler.startElement("info", {})
    handler.addQuickElement("language", language)
    handler.addQuickElement("category", "Safety")
    with translation.override(language):
        handler.addQuickElement("event", str(alert.get_kind_display()))
    handler.addQuickElement("urgency", urgency)
    handler.addQuickElement("severity", severity)
    handler.addQuickElement("certainty", certainty)
    if alert.deadline is not None:
        handler.addQuickElement("expires", cap_datetime(alert.deadline))
    handler.addQuickElement("senderName", alert.organization.name)
    handler.addQuickElement("headline", text["title"])
    description = "\n\n".join(part for part in (text["summary"], text["background"]) if part.strip())
    if description:
        handler.addQuickElement("description", description)
    if text["recommended_actions"].strip():
        handler.addQuickElement("instruction", text["recommended_actions"])
    handler.addQuickElement("web", web)
    _write_area(handler, alert, language, text.get("area_description", ""))
    handler.endElement("info")


def country_names(alert: Alert, language: str) -> list[str]:
    with translation.override(language):
        return [str(country.name) for country in alert.countries]


def _write_area(handler: Any, alert: Alert, language: str, description: str) -> None:
    codes = [country.code for country in alert.countries]
    if not codes and not description.strip():
        return
    handler.startElement("area", {})
    handler.addQuickElement("areaDesc", description.strip() or ", ".join(country_names(alert, language)))
    for code in codes:
        handler.startElement("geocode", {})
        handler.addQuickElement("valueName", GEOCODE_NAME)
        handler.addQuickElement("value", code)
        handler.endElement("geocode")
    handler.endElement("area")
