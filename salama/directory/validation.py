"""What a directory entry must hold, checked the same way for shipped data and for an
operator's edits: known offers, regions, kinds and rule types, and sources for every entry."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from .eligibility import validate_rules
from .models import ProtectionActor
from .regions import REGION_NAMES

SOURCE_KEYS = frozenset({"url", "title", "checked_on"})


def _iso_country(code: str) -> bool:
    return len(code) == 2 and code.isalpha() and code.isupper()


def source_problems(sources: Any) -> list[str]:
    if not isinstance(sources, list) or not sources:
        return [_("Cite at least one source: the page where the organisation publishes its criteria.")]
    problems = []
    for position, source in enumerate(sources, start=1):
        if not isinstance(source, dict) or set(source) != SOURCE_KEYS:
            problems.append(_("Source %(n)s must have exactly a url, a title and checked_on.") % {"n": position})
            continue
        url, title, checked_on = source["url"], source["title"], source["checked_on"]
        if not (isinstance(url, str) and url.startswith(("https://", "http://"))):
            problems.append(_("Source %(n)s: the url must start with https:// or http://.") % {"n": position})
        if not (isinstance(title, str) and title.strip()):
            problems.append(_("Source %(n)s: the title is missing.") % {"n": position})
        try:
            date.fromisoformat(checked_on)
        except (TypeError, ValueError):
            problems.append(_("Source %(n)s: checked_on must be a date (YYYY-MM-DD).") % {"n": position})
    return problems


def actor_problems(values: dict[str, Any]) -> dict[str, list[str]]:
    """Problems per field; empty when the entry is valid."""
    problems: dict[str, list[str]] = {}

    def add(name: str, messages: list[str]) -> None:
        if messages:
            problems.setdefault(name, []).extend(messages)

    if "kind" in values and values["kind"] not in ProtectionActor.Kind.values:
        add("kind", [_("%(value)r is not a known kind.") % {"value": values["kind"]}])
    if "offers" in values:
        unknown = [code for code in values["offers"] if code not in ProtectionActor.Offer.values]
        add("offers", [_("Unknown offers: %(codes)s.") % {"codes": ", ".join(map(str, unknown))}] if unknown else [])
    if "regions" in values:
        unknown = [code for code in values["regions"] if code not in REGION_NAMES]
        add("regions", [_("Unknown regions: %(codes)s.") % {"codes": ", ".join(map(str, unknown))}] if unknown else [])
    if "countries" in values:
        bad = [code for code in values["countries"] if not (isinstance(code, str) and _iso_country(code))]
        add("countries", [_("Not ISO country codes: %(codes)s.") % {"codes": ", ".join(map(str, bad))}] if bad else [])
    if "eligibility" in values:
        add("eligibility", validate_rules(values["eligibility"]))
    if "sources" in values:
        add("sources", source_problems(values["sources"]))
    return problems
