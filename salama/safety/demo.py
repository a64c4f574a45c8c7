"""Demo data for safety: one defender of the Colombian NGO on a daily check-in schedule."""

from __future__ import annotations

from datetime import timedelta

from salama.core.permissions import Role
from salama.orgs.models import Membership


def load_demo_safety() -> None:
    """Added once. Its link and codes are not kept anywhere: a coordinator issues new ones from
    the schedule's page to try the defender's side."""
    from salama.defenders.models import Defender

    from .actions import do_create_schedule
    from .models import CheckInSchedule

    coordinator = Membership.objects.filter(organization__slug="tierra-digna", role=Role.COORDINATOR).first()
    if coordinator is None or CheckInSchedule.objects.filter(organization=coordinator.organization).exists():
        return
    defender = Defender.objects.filter(organization=coordinator.organization, public_name="Don Aurelio").first()
    if defender is None:
        return
    do_create_schedule(
        coordinator, defender=defender, interval=timedelta(hours=24), grace_period=timedelta(hours=2), language="es"
    )
