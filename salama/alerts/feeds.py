"""Public feeds of an organisation's public alerts: Atom (RFC 4287) and CAP 1.2 in Atom.

No sign-in (a reviewed entry in ROUTE_POLICIES). What leaves here is only what the alert
already said in public: published or closed alerts of public scope, and of each language
version its title, summary, background, recommended actions and area description, and the
countries the alert concerns. Never network or restricted alerts, drafts, targets, the model
letter, linked cases or defenders beyond the text itself. An alert whose named defender has
withdrawn consent to be named publicly since publication drops out of the feeds. The public
alert pages (salama.alerts.public) show exactly this, through the helpers below.

An unknown organisation and one without public alerts get the same empty feed (titled with
the short name the caller already typed), so the feeds tell nobody which organisations exist.
Addresses are built from SITE_URL, not from the request's Host header, so a cached copy never
carries a host someone else chose.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from io import StringIO
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.xmlutils import SimplerXMLGenerator
from django.views.decorators.http import require_safe

from . import cap
from .access import versions_of
from .actions import consent_refusal
from .models import Alert

ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
ATOM_MEDIA_TYPE = "application/atom+xml; charset=utf-8"
FEED_SIZE = 50
PUBLIC_TEXT = ("title", "summary", "background", "recommended_actions", "area_description")
# Characters XML 1.0 cannot carry at all; pasted text sometimes holds them.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# An empty feed's `updated`: fixed, so every empty feed is the same document.
NEVER = datetime(2000, 1, 1, tzinfo=UTC)

Texts = list[tuple[str, dict[str, str]]]


def _public_queryset(org_slug: str) -> QuerySet[Alert]:
    """The one rule of what is public: published (or since closed) alerts of public scope."""
    return (
        Alert.objects.filter(
            organization__slug=org_slug,
            scope=Alert.Scope.PUBLIC,
            state__in=(Alert.State.PUBLISHED, Alert.State.CLOSED),
            published_at__isnull=False,
        )
        .select_related("organization", "original")
        .order_by("-published_at")
    )


def public_alerts(org_slug: str) -> list[Alert]:
    return [alert for alert in _public_queryset(org_slug)[:FEED_SIZE] if not consent_refusal(alert)]


def public_alert(org_slug: str, alert_id: Any) -> Alert:
    """One public alert of the organisation, or 404: the same for a missing, unpublished,
    non-public, withdrawn-consent or other organisation's alert."""
    alert = _public_queryset(org_slug).filter(pk=alert_id).first()
    if alert is None or consent_refusal(alert) or not published_texts(alert):
        raise Http404
    return alert


def public_thread(alert: Alert) -> list[Alert]:
    """The original and its follow-ups in order, as far as each is public itself."""
    original = alert.original or alert
    thread = _public_queryset(original.organization.slug).filter(Q(pk=original.pk) | Q(original=original))
    return [item for item in thread.order_by("sequence") if not consent_refusal(item)]


def clean(text: str) -> str:
    return NOT_XML.sub("", text or "")


def published_texts(alert: Alert) -> Texts:
    """The public part of each language version, default language first."""
    texts = [
        (version.language, {name: clean(getattr(version, name)) for name in PUBLIC_TEXT})
        for version in versions_of(alert)
    ]
    texts = [(language, text) for language, text in texts if text["title"].strip()]
    return sorted(texts, key=lambda pair: pair[0] != alert.default_language)


def feed_url(name: str, org_slug: str) -> str:
    return settings.SITE_URL + reverse(name, kwargs={"org_slug": org_slug})


def page_url(alert: Alert, language: str = "") -> str:
    """The alert's public page (salama.alerts.public), in one language when given."""
    url = settings.SITE_URL + reverse(
        "alerts:public_detail", kwargs={"org_slug": alert.organization.slug, "public_alert_id": alert.pk}
    )
    return f"{url}?language={language}" if language else url


def atom_date(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def entry_id(alert: Alert, variant: str) -> str:
    return f"urn:uuid:{uuid.uuid5(alert.pk, variant)}"


def sender(org_slug: str) -> str:
    """CAP's sender: unique to the originator, without spaces or commas."""
    host = (settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0]).split(":", 1)[0]
    return f"{org_slug}@{host}"


# -- writing -------------------------------------------------------------------------------------


def _write_feed(
    org_slug: str, alerts: Sequence[Alert], url_name: str, title: str, entries: Callable[[Any, str], None]
) -> HttpResponse:
    self_url = feed_url(url_name, org_slug)
    stream = StringIO()
    handler: Any = SimplerXMLGenerator(stream, "utf-8")  # typeshed wants AttributesImpl; a dict works
    handler.startDocument()
    handler.startElement("feed", {"xmlns": ATOM_NAMESPACE})
    handler.addQuickElement("id", f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, self_url)}")
    handler.addQuickElement("title", title, {"type": "text"})
    handler.addQuickElement("updated", atom_date(alerts[0].published_at if alerts else NEVER))  # type: ignore[arg-type]
    handler.addQuickElement("link", "", {"rel": "self", "type": "application/atom+xml", "href": self_url})
    handler.startElement("author", {})
    handler.addQuickElement("name", alerts[0].organization.name if alerts else org_slug)
    handler.endElement("author")
    handler.addQuickElement("generator", "Salama")
    entries(handler, self_url)
    handler.endElement("feed")
    handler.endDocument()
    return HttpResponse(stream.getvalue().encode(), content_type=ATOM_MEDIA_TYPE)


def _start_entry(handler: Any, alert: Alert, variant: str, title: str, page: str, attrs: dict[str, str]) -> None:
    handler.startElement("entry", attrs)
    handler.addQuickElement("id", entry_id(alert, variant))
    handler.addQuickElement("title", f"[{alert.reference}] {title}", {"type": "text"})
    handler.addQuickElement("updated", atom_date(alert.published_at))  # type: ignore[arg-type]
    handler.addQuickElement("published", atom_date(alert.published_at))  # type: ignore[arg-type]
    handler.addQuickElement("link", "", {"rel": "alternate", "type": "text/html", "href": page})


def _full_text(text: dict[str, str]) -> str:
    parts = [text["summary"]]
    if text["background"].strip():
        parts.append(_("Background") + "\n" + text["background"])
    if text["recommended_actions"].strip():
        parts.append(_("Recommended actions") + "\n" + text["recommended_actions"])
    return "\n\n".join(part for part in parts if part.strip())


def _atom_entries(alerts: Sequence[Alert]) -> Callable[[Any, str], None]:
    def write(handler: Any, self_url: str) -> None:
        for alert in alerts:
            for language, text in published_texts(alert):
                # One entry per language version, each marked with its language.
                page = page_url(alert, language)
                _start_entry(handler, alert, f"atom:{language}", text["title"], page, {"xml:lang": language})
                with translation.override(language):
                    kind = str(alert.get_kind_display())
                    handler.addQuickElement("category", "", {"term": alert.kind, "label": kind})
                    handler.addQuickElement("summary", text["summary"], {"type": "text"})
                    handler.addQuickElement("content", _full_text(text), {"type": "text"})
                handler.endElement("entry")

    return write


def _cap_entries(alerts: Sequence[Alert], org_slug: str) -> Callable[[Any, str], None]:
    def write(handler: Any, self_url: str) -> None:
        for alert, texts in _with_texts(alerts):
            web = page_url(alert)
            _start_entry(handler, alert, "cap", texts[0][1]["title"], web, {})
            handler.startElement("content", {"type": cap.CAP_MEDIA_TYPE})
            cap.write_alert(handler, alert, texts, sender=sender(org_slug), web=web)
            handler.endElement("content")
            handler.endElement("entry")

    return write


def _with_texts(alerts: Sequence[Alert]) -> Iterator[tuple[Alert, Texts]]:
    for alert in alerts:
        texts = published_texts(alert)
        if texts:
            yield alert, texts


# -- views ---------------------------------------------------------------------------------------


@require_safe
def atom_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    alerts = public_alerts(org_slug)
    title = _("Public urgent alerts: %(organisation)s") % {
        "organisation": alerts[0].organization.name if alerts else org_slug
    }
    return _write_feed(org_slug, alerts, "alerts:feed_atom", title, _atom_entries(alerts))


@require_safe
def cap_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    alerts = public_alerts(org_slug)
    title = _("Public urgent alerts (CAP 1.2): %(organisation)s") % {
        "organisation": alerts[0].organization.name if alerts else org_slug
    }
    return _write_feed(org_slug, alerts, "alerts:feed_cap", title, _cap_entries(alerts, org_slug))
