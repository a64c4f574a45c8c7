"""`{% case_referrals case %}`: the referrals awaiting a reply, on the case page."""

from __future__ import annotations

from typing import Any

from django import template

from salama.core.permissions import role_can

from ..access import due_referrals_of_case

register = template.Library()


@register.inclusion_tag("referrals/case_panel.html", takes_context=True)
def case_referrals(context: Any, case: Any) -> dict[str, Any]:
    membership = context["request"].membership
    return {
        "case": case,
        "current_org": context.get("current_org"),
        "due": list(due_referrals_of_case(case)) if role_can(membership.role, "referrals.view") else [],
        "can_refer": bool(role_can(membership.role, "referrals.edit")),
    }
