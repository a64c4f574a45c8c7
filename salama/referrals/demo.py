"""Demo data for referrals: Tierra Digna's referral of La Maestra's case to the UN Special
Rapporteur, sent with her consent, whose reply is now overdue."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from salama.core.demo import la_maestra_case
from salama.core.permissions import Role
from salama.orgs.models import Membership


def load_demo_referrals() -> None:
    """Added once, after the demo defenders and responses (salama.core.demo)."""
    from salama.defenders.actions import do_record_consent
    from salama.directory.models import ProtectionActor

    from . import actions
    from .models import Referral

    lead = Membership.objects.filter(organization__slug="tierra-digna", role=Role.COORDINATOR).first()
    rapporteur = ProtectionActor.objects.filter(slug="un-sr-hrd").first()
    if lead is None or rapporteur is None or Referral.objects.filter(organization=lead.organization).exists():
        return
    case = la_maestra_case(lead)
    if case is None:
        return
    defender = case.defenders.get(public_name="La Maestra")
    today = timezone.localdate()
    do_record_consent(
        lead, defender, scope="share_with_mechanism", mechanism=rapporteur.slug, given_on=today - timedelta(days=21)
    )
    referral = actions.do_create_referral(
        lead,
        case,
        to=rapporteur,
        defenders=[defender],
        channel="email",
        reply_due_on=today - timedelta(days=5),
        link_to_work="She leads the land restitution claim of her community in Cauca.",
        domestic_remedies="A complaint to the Fiscalía on the day of the threats; no protection measure followed.",
    )
    actions.do_change_status(lead, referral, Referral.Status.SENT, sent_on=today - timedelta(days=20))
