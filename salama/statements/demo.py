"""Demo data for joint statements: the Colombian NGO's statement for La Maestra, open for
signatures, with Shield International already signed and the Kenyan network invited."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from salama.core.permissions import Role
from salama.orgs.models import Membership, Organization


def load_demo_statements() -> None:
    """Added once, after the demo alert (which records La Maestra's consent to be named)."""
    from salama.defenders.models import Defender

    from .actions import do_create_statement, do_invite, do_open, do_save_text, do_sign, open_refusal
    from .models import JointStatement

    drafter = Membership.objects.filter(organization__slug="tierra-digna", role=Role.COORDINATOR).first()
    signer = Membership.objects.filter(organization__slug="shield-international", role=Role.ADMIN).first()
    if drafter is None or signer is None or JointStatement.objects.filter(organization=drafter.organization).exists():
        return
    named = list(Defender.objects.filter(organization=drafter.organization, public_name="La Maestra"))
    statement = do_create_statement(
        drafter, title="Protection for La Maestra", default_language="es", names_defenders=named
    )
    do_save_text(
        drafter,
        statement,
        "es",
        title="Colombia: exigimos protección para La Maestra",
        body="Las organizaciones firmantes expresamos nuestra preocupación por las amenazas de muerte contra "
        "La Maestra, lideresa de restitución de tierras en Cauca, y pedimos a las autoridades su protección.",
    )
    do_save_text(
        drafter,
        statement,
        "en",
        title="Colombia: protect La Maestra",
        body="The undersigned organisations are concerned by the death threats against La Maestra, a land "
        "restitution leader in Cauca, and call on the authorities to protect her.",
    )
    invited = Organization.objects.filter(slug__in=["shield-international", "defenders-law-kenya"])
    do_invite(drafter, statement, invited)
    if open_refusal(statement):
        return  # no consent recorded: the demo leaves it as a draft
    do_open(drafter, statement, signature_deadline=timezone.now() + timedelta(days=10), display_name="Tierra Digna")
    do_sign(signer, statement, display_name="Shield International")
