"""Reminders for the case team, as rows (ARCHITECTURE.md s.5): one `tick(now)` finds

- referrals awaiting a reply whose `reply_due_on` has passed, and
- referrals whose status has not changed for `settings.REFERRAL_STALE_DAYS` days,

and reminds the case team of each once. The referral's `reply_reminded_for` (the deadline last
reminded) and `stale_reminded_for` (the status time last reminded) are set by a conditional
UPDATE in the same transaction as the `ReferralReminder` row (unique per referral and key), the
message and the timeline line: a tick that runs twice, concurrently or after a restart, sends
nothing twice, and a new deadline or a new status makes a new reminder possible.

Registered with the workers as a `WorkSource`, like salama.safety.ticks.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from salama.accounts.models import User
from salama.cases.models import Case, TimelineEvent
from salama.core import jobs
from salama.delivery import engine
from salama.delivery.engine import Recipient
from salama.delivery.models import Message, Priority
from salama.orgs.models import Membership

from .models import Referral, ReferralEvent, ReferralReminder

log = logging.getLogger("salama.referrals")
BATCH = 200
LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
Reason = ReferralReminder.Reason


def overdue_unreminded(now: datetime) -> QuerySet[Referral]:
    return Referral.objects.filter(
        status__in=Referral.AWAITING_REPLY,
        reply_received_on__isnull=True,
        reply_due_on__lt=timezone.localdate(now),
    ).filter(Q(reply_reminded_for__isnull=True) | ~Q(reply_reminded_for=F("reply_due_on")))


def stale_unreminded(now: datetime) -> QuerySet[Referral]:
    cutoff = now - timedelta(days=settings.REFERRAL_STALE_DAYS)
    return Referral.objects.filter(status__in=Referral.OPEN_STATUSES, status_changed_at__lte=cutoff).filter(
        Q(stale_reminded_for__isnull=True) | ~Q(stale_reminded_for=F("status_changed_at"))
    )


def case_team(case: Case) -> list[Recipient]:
    members = Membership.objects.filter(organization_id=case.organization_id).values("user_id")
    users = User.objects.filter(case_teams=case, pk__in=members, is_active=True).exclude(email="").order_by("pk")
    return [
        Recipient("email", user.email, user.language or "en", greeting=user.display_name, contact_ref=f"user:{user.pk}")
        for user in users
    ]


def _content(referral: Referral, reason: str) -> dict[str, dict[str, Any]]:
    """Names the actor and the case reference only: nothing about the defenders."""
    url = settings.SITE_URL + reverse(
        "referrals:detail", kwargs={"org_slug": referral.case.organization.slug, "referral_id": referral.pk}
    )
    content: dict[str, Any] = {}
    for language in LANGUAGE_CODES:
        with translation.override(language):
            values = {"actor": referral.actor.name, "reference": referral.case.reference}
            if reason == Reason.REPLY_OVERDUE:
                subject = _("Reply overdue: referral of %(reference)s to %(actor)s") % values
                headline = _("The reply of %(actor)s to the referral of case %(reference)s is overdue.") % values
            else:
                subject = _("Referral of %(reference)s to %(actor)s: no change for a while") % values
                headline = _(
                    "The referral of case %(reference)s to %(actor)s has not changed status for %(days)d days."
                ) % {**values, "days": settings.REFERRAL_STALE_DAYS}
            text = "\n\n".join([_("Dear [[greeting]],"), headline, _("Follow it up, or record where it stands:"), url])
            content[language] = {"subject": subject, "text": text + "\n", "html": ""}
    return {"email": content}


def _send(referral: Referral, reminder: ReferralReminder) -> int:
    recipients = case_team(referral.case)
    producer_id = str(reminder.pk)
    message = Message.objects.filter(producer_kind="referrals.reminder", producer_id=producer_id).first()
    if message is None:
        message = engine.create_message(
            referral.case.organization, "referrals.reminder", producer_id, priority=Priority.ROUTINE
        )
    version = message.versions.order_by("number").first() or engine.add_version(
        message, _content(referral, reminder.reason)
    )
    if recipients:
        engine.create_deliveries(version, recipients)
    return len(recipients)


def _remind(referral: Referral, reason: str, key: str, mark: dict[str, Any], still_due: QuerySet[Referral]) -> bool:
    with transaction.atomic():
        # Conditional, like a claim: a concurrent tick that got there first wins.
        if not still_due.filter(pk=referral.pk).update(**mark):
            return False
        try:
            with transaction.atomic():
                reminder = ReferralReminder.objects.create(referral=referral, reason=reason, key=key)
        except IntegrityError:
            return False  # this very reminder was sent before (the same deadline set again)
        reminder.recipients = _send(referral, reminder)
        reminder.save(update_fields=["recipients"])
        ReferralEvent.objects.create(referral=referral, kind=ReferralEvent.Kind.REMINDER, details={"reason": reason})
        TimelineEvent.objects.create(
            case=referral.case,
            kind=f"referral.reminder_{reason}",
            target_type="referral",
            target_id=str(referral.pk),
            details={"actor": referral.actor.name},
        )
    return True


def remind_due(now: datetime) -> int:
    sent = 0
    overdue = overdue_unreminded(now)
    for referral in overdue.select_related("case__organization", "actor").order_by("reply_due_on")[:BATCH]:
        key = f"reply_due:{referral.reply_due_on.isoformat()}"  # type: ignore[union-attr]
        sent += _remind(referral, Reason.REPLY_OVERDUE, key, {"reply_reminded_for": referral.reply_due_on}, overdue)
    stale = stale_unreminded(now)
    for referral in stale.select_related("case__organization", "actor").order_by("status_changed_at")[:BATCH]:
        key = f"stale:{referral.status_changed_at.isoformat()}"
        sent += _remind(referral, Reason.STALE, key, {"stale_reminded_for": referral.status_changed_at}, stale)
    return sent


def tick(now: datetime | None = None) -> dict[str, int]:
    return {"reminded": remind_due(now or timezone.now())}


def work_once() -> int:
    return sum(tick().values())


def has_due_work() -> bool:
    now = timezone.now()
    return overdue_unreminded(now).exists() or stale_unreminded(now).exists()


def wake_celery() -> None:
    from salama.celery import referrals_tick

    referrals_tick.delay()


def health() -> dict[str, int]:
    return {"referrals_to_remind": overdue_unreminded(timezone.now()).count()}


def register_with_workers() -> None:
    jobs.register_source(
        jobs.WorkSource(
            name="referrals", work_once=work_once, has_due_work=has_due_work, wake_celery=wake_celery, health=health
        )
    )
