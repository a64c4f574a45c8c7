"""The public pages of an organisation's public alerts: an index and one page per alert.

No sign-in (reviewed entries in ROUTE_POLICIES), cacheable like the feeds. They show exactly
what the feeds carry, read through the feeds' own helpers (`public_alert`, `published_texts`),
so the rule of what is public lives in one place: salama.alerts.feeds. Anything else (a draft,
a network or restricted alert, another organisation's) is the plain 404.

The pages use their own small layout with no form, no script and no cookie: the site's shell
carries a CSRF-protected language form, and a page that sets a cookie cannot be cached by a
shared cache. The language switch is a set of plain links between the alert's versions.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_safe

from .cap import country_names
from .feeds import public_alert, public_alerts, public_thread, published_texts
from .models import LANGUAGE_CHOICES, Alert

LANGUAGE_NAMES = dict(LANGUAGE_CHOICES)


def _chosen_language(request: HttpRequest, languages: list[str]) -> str:
    """The language asked for in the link, else the reader's own if the alert has it, else
    the alert's default (the first of `languages`)."""
    asked = request.GET.get("language", "")
    if asked in languages:
        return asked
    reader = translation.get_language_from_request(request)
    return reader if reader in languages else languages[0]


def _summary(alert: Alert, language: str = "") -> dict[str, Any]:
    texts = dict(published_texts(alert))
    shown = language if language in texts else next(iter(texts))
    return {"alert": alert, "title": texts[shown]["title"], "language": shown}


@require_safe
def index_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Newest first. An unknown organisation and one without public alerts get the same page,
    as with the feeds."""
    reader = translation.get_language_from_request(request)
    alerts = [_summary(alert, reader) for alert in public_alerts(org_slug) if published_texts(alert)]
    context = {
        "org_slug": org_slug,
        "organisation": alerts[0]["alert"].organization.name if alerts else org_slug,
        "alerts": alerts,
    }
    return render(request, "alerts/public/index.html", context)


@require_safe
def detail_view(request: HttpRequest, org_slug: str, public_alert_id: Any) -> HttpResponse:
    alert = public_alert(org_slug, public_alert_id)
    texts = published_texts(alert)
    languages = [language for language, _text in texts]
    language = _chosen_language(request, languages)
    context = {
        "org_slug": org_slug,
        "alert": alert,
        "text": dict(texts)[language],
        "language": language,
        "rtl": translation.get_language_info(language)["bidi"],
        "versions": [(code, LANGUAGE_NAMES.get(code, code)) for code in languages],
        "countries": country_names(alert, language),
        "thread": [_summary(item, language) for item in public_thread(alert)],
    }
    with translation.override(language):  # labels in the language of the text shown
        return render(request, "alerts/public/detail.html", context)
