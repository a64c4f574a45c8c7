"""Demo data for responses: Tierra Digna's emergency grant for La Maestra, funded by the demo
donor, and a closed accompaniment whose lesson is shared with the network."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from salama.core.demo import la_maestra_case
from salama.core.permissions import Role
from salama.orgs.models import Membership, Organization


def load_demo_responses() -> None:
    """Added once, after the demo defenders (salama.core.demo)."""
    from salama.directory.models import ProtectionActor

    from . import actions
    from .models import Kind, Response

    lead = Membership.objects.filter(organization__slug="tierra-digna", role=Role.COORDINATOR).first()
    donor = Organization.objects.filter(slug="defenders-fund").first()
    if lead is None or Response.objects.filter(organization=lead.organization).exists():
        return
    case = la_maestra_case(lead)
    if case is None:
        return
    today = timezone.localdate()
    grant = actions.do_create_response(lead, case, kind=Kind.EMERGENCY_GRANT, status="active")
    actions.do_save_detail(
        lead,
        grant,
        amount=Decimal("3000"),
        currency="USD",
        purpose="security_equipment",
        funder_organization=donor,
        report_due_on=today + timedelta(days=60),
    )
    actions.do_add_step(
        lead, grant, kind="disbursement", occurred_on=case.opened_on + timedelta(days=3), amount=Decimal("3000")
    )
    accompaniment = actions.do_create_response(
        lead,
        case,
        kind=Kind.ACCOMPANIMENT,
        status="active",
        started_on=case.opened_on + timedelta(days=5),
        protection_actor=ProtectionActor.objects.filter(slug="peace-brigades-international").first(),
    )
    actions.do_add_step(
        lead,
        accompaniment,
        kind="authorities_meeting",
        occurred_on=case.opened_on + timedelta(days=8),
        counterpart="Departmental police command",
    )
    actions.do_close_response(
        lead,
        accompaniment,
        status="completed",
        outcome="achieved",
        what_worked="International accompaniers at community meetings; a meeting with the police command "
        "after each threat.",
        what_did_not_work="Requests to the national protection unit went unanswered for weeks.",
        share_with_network=True,
    )
