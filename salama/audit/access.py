"""The only way to read the audit log for a page or the API: one organisation's entries.

Entries without an organisation (sign-ins, account security) are platform-wide and never
shown to an organisation's admins: they would tell one organisation about people's other
memberships and habits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from salama.orgs.models import Organization

from .models import AuditEntry


@dataclass(frozen=True)
class LogFilter:
    action: str = ""
    actor: str = ""  # part of the actor's address, any case
    target_type: str = ""
    since: date | None = None  # from the start of this day
    until: date | None = None  # to the end of this day


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def entries_for(org: Organization, filters: LogFilter | None = None) -> QuerySet[AuditEntry]:
    """Newest first. Both the link and the frozen id must match, so an entry whose link was
    pointed at this organisation by hand is not shown as its own."""
    filters = filters or LogFilter()
    entries = AuditEntry.objects.filter(organization=org, organization_pk=org.pk)
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.actor:
        entries = entries.filter(actor_label__icontains=filters.actor.strip())
    if filters.target_type:
        entries = entries.filter(target_type=filters.target_type)
    if filters.since:
        entries = entries.filter(occurred_at__gte=_start_of(filters.since))
    if filters.until:
        entries = entries.filter(occurred_at__lt=_start_of(filters.until + timedelta(days=1)))
    return entries.order_by("-sequence")
