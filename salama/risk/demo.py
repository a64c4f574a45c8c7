"""The demo network's risk assessment and protection plan, added once (salama.core.demo)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from salama.core.permissions import Role
from salama.defenders.models import Defender
from salama.incidents.access import perpetrator_terms
from salama.orgs.models import Membership

from . import actions
from .models import Domain, RiskAssessment


def load_demo_risk() -> None:
    """La Maestra, followed by Tierra Digna: threats after her land restitution hearing, what
    exposes her and what protects her, and a plan made from two templates."""
    coordinator = Membership.objects.filter(organization__slug="tierra-digna", role=Role.COORDINATOR).first()
    if coordinator is None:
        return
    defender = Defender.objects.filter(organization=coordinator.organization, public_name="La Maestra").first()
    if defender is None or RiskAssessment.objects.filter(defender=defender).exists():
        return
    today = timezone.localdate()
    terms = {term.code: term for term in perpetrator_terms().filter(code__in=["paramilitary", "police"])}
    assessment = actions.do_record_assessment(
        coordinator,
        defender,
        case=defender.cases.first(),
        assessed_on=today - timedelta(days=20),
        confidence="medium",
        context="Leads the land restitution claim of 40 families; the hearing was held last month.",
        threats=[
            {
                "kind": "declared",
                "perpetrator_type": terms.get("paramilitary"),
                "named_actor": "Self-styled 'Autodefensas del Sur' commander known as 'El Tigre'",
                "means": "message",
                "first_seen_on": today - timedelta(days=45),
                "last_seen_on": today - timedelta(days=22),
                "facts": "Three WhatsApp messages naming her daughter's school and telling her to drop the claim.",
                "pattern": "The first came the day after the hearing; each is more specific than the last.",
                "objective": "Make her withdraw the restitution claim before the judgment.",
                "author": "The group that occupied the land in 2004; it still controls the road to the village.",
                "feasibility": "The group killed a community leader in the same municipality in 2023.",
                "conclusion": "A serious threat that can be carried out.",
                "likelihood": 4,
                "impact": 5,
            },
            {
                "kind": "possible",
                "perpetrator_type": terms.get("police"),
                "means": "surveillance",
                "facts": "A motorbike without plates parked outside the community office on two evenings.",
                "conclusion": "Unclear: keep watching.",
                "likelihood": 2,
                "impact": 3,
                "status": "monitoring",
            },
        ],
        vulnerabilities=[
            {"domain": Domain.MOVEMENT, "severity": 4, "description": "Travels alone by the same road every week."},
            {"domain": Domain.DIGITAL, "severity": 3, "description": "One phone shared with her family."},
            {"domain": Domain.PSYCHOSOCIAL, "severity": 2, "description": "Exhausted after months of hearings."},
        ],
        capacities=[
            {"domain": Domain.MOVEMENT, "strength": 3, "offsets": 0, "description": "Community guard accompanies."},
            {"domain": Domain.ORGANISATIONAL, "strength": 4, "description": "Strong community council behind her."},
            {"domain": Domain.LEGAL, "strength": 3, "description": "Lawyers of the network follow the case."},
        ],
        next_review_on=today + timedelta(days=70),
        review_triggers=["new_threat", "new_incident", "missed_check_in", "legal_proceedings"],
        complete=True,
    )
    plan = actions.do_create_plan(coordinator, defender, title="Plan after the hearing", assessment=assessment)
    actions.do_apply_template(coordinator, plan, "missed-check-in")
    actions.do_apply_template(coordinator, plan, "digital-security-baseline")
    actions.do_add_measure(
        coordinator,
        plan,
        kind="prevention",
        title="Accompaniment on the weekly trip to town",
        description="Two members of the community guard travel with her on market days.",
        owner=coordinator.user,
        deadline=today + timedelta(days=7),
        status="in_progress",
        cost_amount=Decimal("200.00"),
        cost_currency="USD",
        for_grant_request=True,
    )
