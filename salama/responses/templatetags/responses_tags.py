"""The responses section of the case page, and how the donor view writes a count."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from salama.core.permissions import role_can
from salama.responses.access import responses_of_case
from salama.responses.donor import Cell

register = template.Library()


@register.inclusion_tag("responses/case_section.html", takes_context=True)
def case_responses(context: dict[str, Any], case: Any) -> dict[str, Any]:
    """The case page is already behind need to know: its responses are the case's own."""
    request = context["request"]
    role = request.membership.role
    return {
        "case": case,
        "current_org": context.get("current_org"),
        "responses": list(responses_of_case(case)) if role_can(role, "responses.view") else [],
        "can_view": bool(role_can(role, "responses.view")),
        "can_edit": bool(role_can(role, "responses.edit")),
    }


@register.filter
def cell(value: Cell) -> str:
    """A count, or "hidden" for a small count or one that would give a small one away."""
    if value.hidden:
        return _("hidden")
    return str(value.count)


@register.filter
def purpose_label(value: str) -> str:
    from salama.responses.models import GrantDetail

    return str(dict(GrantDetail.Purpose.choices).get(value, value))


@register.filter
def outcome_label(value: str) -> str:
    from salama.responses.donor import OPEN
    from salama.responses.models import Outcome

    if value == OPEN:
        return _("Not closed yet")
    return str(dict(Outcome.choices).get(value, value))


@register.filter
def region_label(value: str) -> str:
    from salama.directory.regions import region_name
    from salama.responses.donor import UNKNOWN

    if value == UNKNOWN:
        return _("Unknown")
    return region_name(value)
