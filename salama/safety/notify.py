"""Who an escalation step reaches, and what they read.

Staff (the case team, coordinators and admins) get a link to the emergency page and, for a
duress code, the word "duress". Trusted contacts and partner organisations get only what they
need to act: the defender's public name, what happened (a missed check-in or an SOS), and who
to call. Everything goes through the delivery engine at urgent priority, as urgent alerts do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from salama.accounts.models import User
from salama.cases.models import Case
from salama.core.permissions import LEADS
from salama.defenders.access import contacts_of
from salama.delivery import engine
from salama.delivery.engine import Recipient
from salama.delivery.models import Message, Priority
from salama.orgs.models import Membership
from salama.sharing.models import SharingGrant

from .models import Audience, Emergency

STAFF_AUDIENCES = frozenset({Audience.CASE_TEAM, Audience.COORDINATORS})
LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def _cases(emergency: Emergency) -> list[Case]:
    if emergency.case_id:
        return [emergency.case] if emergency.case else []
    return list(Case.objects.filter(organization_id=emergency.organization_id, defenders=emergency.defender_id))


def _users(users: Iterable[User]) -> Iterator[Recipient]:
    for user in users:
        if user.is_active and user.email:
            yield Recipient(
                "email", user.email, user.language or "en", greeting=user.display_name, contact_ref=f"user:{user.pk}"
            )


def case_team(emergency: Emergency) -> list[Recipient]:
    members = Membership.objects.filter(organization_id=emergency.organization_id).values("user_id")
    cases = [case.pk for case in _cases(emergency)]
    users = User.objects.filter(case_teams__in=cases, pk__in=members).distinct().order_by("pk")
    return list(_users(users))


def coordinators(organization_id: Any) -> list[Recipient]:
    users = User.objects.filter(
        memberships__organization_id=organization_id, memberships__role__in=list(LEADS)
    ).distinct()
    return list(_users(users.order_by("pk")))


def trusted_contacts(emergency: Emergency) -> list[Recipient]:
    found = []
    for contact in contacts_of(emergency.defender):
        if contact.email:
            found.append(
                Recipient(
                    "email",
                    contact.email,
                    contact.language or "en",
                    greeting=contact.name,
                    contact_ref=f"contact:{contact.pk}",
                )
            )
    return found


def partners(emergency: Emergency) -> list[Recipient]:
    """Admins and coordinators of the organisations an active grant shares the case with, and
    the grant's named recipients."""
    grants = SharingGrant.objects.filter(
        case__in=_cases(emergency), revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).distinct()
    users: dict[int, User] = {}
    for grant in grants.prefetch_related("recipients"):
        leads = User.objects.filter(
            memberships__organization_id=grant.to_organization_id, memberships__role__in=list(LEADS)
        )
        for user in [*leads, *grant.recipients.all()]:
            users[user.pk] = user
    return list(_users(users[pk] for pk in sorted(users)))


def recipients_for(emergency: Emergency, audience: str) -> list[Recipient]:
    if audience == Audience.CASE_TEAM:
        return case_team(emergency)
    if audience == Audience.COORDINATORS:
        return coordinators(emergency.organization_id)
    if emergency.silent:  # duress: whoever is near the defender may be near the adversary too
        return []
    return trusted_contacts(emergency) + partners(emergency)


def reachability_refusal(organization_id: Any, defender: Any, case: Any, chain: list[dict[str, Any]]) -> str:
    """Why no step of the chain could reach anyone, or "" when at least one could."""
    probe = Emergency(organization_id=organization_id, defender=defender, case=case)
    if any(recipients_for(probe, step["to"]) for step in chain):
        return ""
    return _(
        "Nobody could be alerted: no step of the escalation chain reaches a case team member, coordinator, "
        "trusted contact or partner organisation with an email address. Add one, or change the chain."
    )


# -- content -----------------------------------------------------------------------------------


def _what(emergency: Emergency) -> str:
    name = emergency.defender.public_name
    if emergency.kind == Emergency.Kind.SOS:
        return _("%(name)s raised an SOS.") % {"name": name}
    if emergency.kind == Emergency.Kind.DURESS:
        return _("DURESS: %(name)s checked in with the duress code. Act without alerting anyone near them.") % {
            "name": name
        }
    return _("%(name)s missed a check-in.") % {"name": name}


def _emergency_url(emergency: Emergency) -> str:
    return settings.SITE_URL + reverse(
        "safety:emergency_detail",
        kwargs={"org_slug": emergency.organization.slug, "emergency_id": emergency.pk},
    )


def _staff_email(emergency: Emergency, headline: str) -> dict[str, str]:
    subject = (_("Duress: %(name)s") if emergency.silent else _("Emergency: %(name)s")) % {
        "name": emergency.defender.public_name
    }
    url = _emergency_url(emergency)
    text = "\n\n".join(
        [
            _("Dear [[greeting]],"),
            headline,
            _("Open the emergency page to acknowledge it, escalate it or record what happened:"),
            url,
        ]
    )
    return {"subject": subject, "text": text + "\n", "html": ""}


def _contact_email(emergency: Emergency, headline: str) -> dict[str, str]:
    organisation = emergency.organization.name
    text = "\n\n".join(
        [
            _("Dear [[greeting]],"),
            headline,
            _("If you know where they are or can reach them, please contact %(organisation)s at once.")
            % {"organisation": organisation},
        ]
    )
    return {"subject": _("Please check on %(name)s") % {"name": emergency.defender.public_name}, "text": text + "\n"}


def render(emergency: Emergency, audience: str, headline_for: Any = _what) -> dict[str, dict[str, Any]]:
    """{"email": {language: content}}, once per language Salama speaks."""
    content: dict[str, Any] = {}
    for language in LANGUAGE_CODES:
        with translation.override(language):
            headline = headline_for(emergency)
            if audience in STAFF_AUDIENCES:
                content[language] = _staff_email(emergency, headline)
            else:
                content[language] = _contact_email(emergency, headline)
    return {"email": content}


def send(emergency: Emergency, producer: tuple[str, str], audience: str, recipients: list[Recipient], **kw: Any) -> Any:
    """One urgent message to `recipients`; sending the same producer again adds nothing, because
    the message is found again and the deliveries' idempotency keys already exist."""
    kind, producer_id = producer
    message = Message.objects.filter(producer_kind=kind, producer_id=producer_id).first()
    if message is None:
        message = engine.create_message(emergency.organization, kind, producer_id, priority=Priority.URGENT)
    version = message.versions.order_by("number").first() or engine.add_version(
        message, render(emergency, audience, **kw)
    )
    if recipients:
        engine.create_deliveries(version, recipients)
    return message


def already_alerted(emergency: Emergency) -> dict[str, list[Recipient]]:
    """The people the fired steps reached, by audience: whoever must now hear the stand-down."""
    from .models import EscalationStep

    fired = emergency.steps.filter(state=EscalationStep.State.FIRED).values_list("audience", flat=True)
    return {audience: recipients_for(emergency, audience) for audience in sorted(set(fired))}


def stand_down(emergency: Emergency, notice: str) -> int:
    """Tell everyone already alerted that the emergency is over (cancelled, checked in late...)."""

    def headline(e: Emergency) -> str:
        if notice == "cancelled":
            return _("Stand down: the SOS for %(name)s was a false alarm.") % {"name": e.defender.public_name}
        if notice == "checked_in_late":
            return _("Stand down: %(name)s has checked in.") % {"name": e.defender.public_name}
        return _("Stand down: the emergency for %(name)s is resolved.") % {"name": e.defender.public_name}

    sent = 0
    for audience, recipients in already_alerted(emergency).items():
        group = "staff" if audience in STAFF_AUDIENCES else "contacts"
        send(
            emergency,
            ("safety.notice", f"{emergency.pk}:{notice}:{group}"),
            audience,
            recipients,
            headline_for=headline,
        )
        sent += len(recipients)
    return sent


def send_reminder(schedule: Any) -> bool:
    """Tell the defender their check-in is due, with their link; False when they have no email.

    The message says nothing about what it is for: whoever reads the defender's mail learns
    only that some confirmation is asked for."""
    from .codes import link_url

    address = schedule.defender.email
    if not address:
        return False
    language = schedule.language or "en"
    with translation.override(language):
        content = {
            "subject": _("Reminder"),
            "text": "\n\n".join([_("Hello,"), _("Please confirm by opening this link:"), link_url(schedule)]) + "\n",
        }
    producer_id = f"{schedule.pk}:{schedule.next_due_at.isoformat()}"
    if Message.objects.filter(producer_kind="safety.reminder", producer_id=producer_id).exists():
        return True
    message = engine.create_message(schedule.organization, "safety.reminder", producer_id, priority=Priority.ROUTINE)
    version = engine.add_version(message, {"email": {language: content}}, default_language=language)
    engine.create_deliveries(
        version, [Recipient("email", address, language, contact_ref=f"defender:{schedule.defender_id}")]
    )
    return True
