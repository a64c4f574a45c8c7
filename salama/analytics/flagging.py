"""The daily early-warning job: count, judge, keep the flags, tell the subscribers.

For every organisation, once a day:

1. Incidents are counted per country x sector x month over the baseline and the judged months
   (one grouped query for the incidents whose victims' defenders have sectors, one for those
   without: the "sector not confirmed" series). An incident of two sectors counts in both.
2. The last JUDGED_MONTHS months of each series are judged by salama.analytics.warning; the
   current month is among them (a rise is news before the month ends), and so are the two before
   it, because incidents are often recorded weeks late.
3. Per defender, the escalation rules of salama.safety.flags are applied as they are.
4. Each flag has a key (kind, country, sector, month or defender, rule, month); the unique
   (organisation, key) constraint makes a second run, or two racing workers, add nothing. The
   figures are those of the day the flag was first raised.
5. New flags are sent to the subscribers they match, once per flag and subscriber
   (`WarningNotice`), through the delivery engine.

Registered with the workers as a `WorkSource` (and the Celery task `salama.analytics_warning`
in scale mode); `has_due_work` is true once a day per process. Several processes running it on
the same day is harmless: a repeated run adds nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from salama.accounts.models import User
from salama.core import jobs
from salama.core.permissions import Role, role_can
from salama.defenders.access import visible_defenders
from salama.delivery import engine
from salama.delivery.engine import Recipient
from salama.incidents.models import Incident, Victim
from salama.orgs.models import Membership, Organization
from salama.safety import flags as escalation

from . import warning
from .models import WarningFlag, WarningNotice, WarningSubscription
from .series import month_starts

log = logging.getLogger("salama.analytics")

JUDGED_MONTHS = 3
SERIES_MONTHS = warning.BASELINE_MONTHS + JUDGED_MONTHS
NOT_CONFIRMED = ""  # the sector of incidents whose victims' sectors are not known
LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]

Series = dict[tuple[str, str], dict[date, int]]


def month_of(day: date) -> date:
    return day.replace(day=1)


def series_months(today: date) -> list[date]:
    this_month = month_of(today)
    first = this_month.year * 12 + this_month.month - 1 - (SERIES_MONTHS - 1)
    return month_starts(date(first // 12, first % 12 + 1, 1), SERIES_MONTHS)


def monthly_counts(organization_id: Any, months: list[date]) -> Series:
    """{(country, sector code): {month: incidents}}, sector NOT_CONFIRMED for incidents none of
    whose victims is a defender with a sector."""
    end = months[-1] + timedelta(days=31)
    incidents = Incident.objects.filter(
        organization_id=organization_id, date_start__gte=months[0], date_start__lt=month_of(end)
    )
    counts: Series = defaultdict(dict)
    with_sector = Victim.objects.filter(incident__in=incidents.values("pk"), defender__sectors__isnull=False)
    grouped = (
        with_sector.annotate(month=TruncMonth("incident__date_start"))
        .values("incident__country", "defender__sectors__code", "month")
        .annotate(n=Count("incident_id", distinct=True))
        .order_by()
    )
    for row in grouped:
        counts[(row["incident__country"], row["defender__sectors__code"])][_as_date(row["month"])] = row["n"]
    without = (
        incidents.exclude(pk__in=with_sector.values("incident_id"))
        .annotate(month=TruncMonth("date_start"))
        .values("country", "month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in without:
        counts[(row["country"], NOT_CONFIRMED)][_as_date(row["month"])] = row["n"]
    return dict(counts)


def incidents_counted(flag: WarningFlag) -> QuerySet[Incident]:
    """The incidents a rise flag's month counts now, as `monthly_counts` counts them: of its
    organisation, country and month, with a victim of its sector (for NOT_CONFIRMED: with none).
    Not scoped to anyone's need to know: callers narrow it."""
    following = month_of(flag.month + timedelta(days=31))
    incidents = Incident.objects.filter(
        organization_id=flag.organization_id, country=flag.country, date_start__gte=flag.month, date_start__lt=following
    )
    with_sector = Victim.objects.filter(incident__in=incidents.values("pk"), defender__sectors__isnull=False)
    if flag.sector == NOT_CONFIRMED:
        return incidents.exclude(pk__in=with_sector.values("incident_id"))
    return incidents.filter(pk__in=with_sector.filter(defender__sectors__code=flag.sector).values("incident_id"))


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def rise_flags(organization_id: Any, today: date) -> list[WarningFlag]:
    months = series_months(today)
    flags = []
    for (country, sector), by_month in sorted(monthly_counts(organization_id, months).items()):
        counts = [by_month.get(month, 0) for month in months]
        for rise in warning.rises(counts, months, last=JUDGED_MONTHS):
            flags.append(
                WarningFlag(
                    organization_id=organization_id,
                    kind=WarningFlag.Kind.RISE,
                    key=f"rise:{country}:{sector}:{rise.month.isoformat()}",
                    country=country,
                    sector=sector,
                    month=rise.month,
                    figures=rise.figures(),
                )
            )
    return flags


def escalation_flags(organization: Organization, today: date) -> list[WarningFlag]:
    # The organisation's own view: a role that is not limited to some cases sees every incident
    # and defender of the organisation. Who may later see each flag is decided when it is shown.
    whole = Membership(organization=organization, role=Role.COORDINATOR)
    found = []
    facts_of = escalation.incident_facts(whole, today)
    countries = dict(
        visible_defenders(whole).filter(pk__in=list(facts_of)).values_list("pk", "country")  # type: ignore[arg-type]
    )
    for defender_id, facts in facts_of.items():
        for flag in escalation.escalation_flags(facts, today):
            newest = flag.incidents[0].on
            found.append(
                WarningFlag(
                    organization_id=organization.pk,
                    kind=WarningFlag.Kind.ESCALATION,
                    key=f"escalation:{defender_id}:{flag.kind}:{month_of(newest).isoformat()}",
                    country=countries.get(defender_id, ""),
                    month=month_of(newest),
                    defender_id=defender_id,
                    figures={
                        "rule": flag.kind,
                        "explanation": flag.explanation,
                        "incidents": [str(fact.pk) for fact in flag.incidents],
                        "first": flag.incidents[-1].on.isoformat(),
                        "last": newest.isoformat(),
                    },
                )
            )
    return found


def raise_flags(organization: Organization, today: date) -> int:
    """Store the organisation's new flags; how many were new."""
    candidates = rise_flags(organization.pk, today) + escalation_flags(organization, today)
    known = set(
        WarningFlag.objects.filter(organization=organization, key__in=[flag.key for flag in candidates]).values_list(
            "key", flat=True
        )
    )
    new = [flag for flag in candidates if flag.key not in known]
    # ignore_conflicts: a concurrent run that stored the same key first wins, nothing is doubled.
    WarningFlag.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


# -- notifications ------------------------------------------------------------------------------


def _flag_url(flag: WarningFlag) -> str:
    return settings.SITE_URL + reverse("analytics:warnings", kwargs={"org_slug": flag.organization.slug})


def describe(flag: WarningFlag) -> str:
    """One line about a flag, without names: it may travel by email."""
    if flag.kind == WarningFlag.Kind.ESCALATION:
        return _("A defender's situation is escalating (%(month)s, %(country)s).") % {
            "month": flag.month.strftime("%Y-%m"),
            "country": flag.country or _("country not known"),
        }
    # No count: an email leaves Salama, and a small count is a small cell (the page shows them).
    return _("Unusual rise of incidents in %(month)s (%(where)s).") % {
        "month": flag.month.strftime("%Y-%m"),
        "where": ", ".join(part for part in (flag.country, flag.sector or _("sector not confirmed")) if part),
    }


def _render(flag: WarningFlag) -> dict[str, dict[str, Any]]:
    content = {}
    for language in LANGUAGE_CODES:
        with translation.override(language):
            text = "\n\n".join(
                [
                    _("Dear [[greeting]],"),
                    describe(flag),
                    _("The early-warning page explains it and links to the incidents behind it:"),
                    _flag_url(flag),
                ]
            )
            content[language] = {"subject": _("Early warning"), "text": text + "\n", "html": ""}
    return {"email": content}


def subscribers_of(flag: WarningFlag) -> list[User]:
    """Members subscribed to a flag like this one who may still subscribe and, for a defender's
    escalation, may see that defender."""
    users = []
    subscriptions = WarningSubscription.objects.filter(organization_id=flag.organization_id).select_related("user")
    memberships = {
        m.user_id: m
        for m in Membership.objects.filter(organization_id=flag.organization_id).select_related("organization", "user")
    }
    seen: set[Any] = set()
    for subscription in subscriptions.order_by("user_id"):
        membership = memberships.get(subscription.user_id)
        if membership is None or subscription.user_id in seen or not subscription.matches(flag):
            continue
        if not role_can(membership.role, "analytics.subscribe"):
            continue
        if flag.defender_id and not visible_defenders(membership).filter(pk=flag.defender_id).exists():
            continue
        seen.add(subscription.user_id)
        users.append(subscription.user)
    return users


def notify(flag: WarningFlag) -> int:
    """Tell each matching subscriber of one flag, once; how many were told now."""
    with transaction.atomic():
        told = set(WarningNotice.objects.filter(flag=flag).values_list("user_id", flat=True))
        users = [user for user in subscribers_of(flag) if user.pk not in told and user.is_active and user.email]
        if users:
            message = engine.create_message(flag.organization, "analytics.warning", str(flag.pk))
            version = engine.add_version(message, _render(flag))
            engine.create_deliveries(
                version,
                [
                    Recipient("email", u.email, u.language or "en", greeting=u.display_name, contact_ref=f"user:{u.pk}")
                    for u in users
                ],
            )
            WarningNotice.objects.bulk_create([WarningNotice(flag=flag, user=user) for user in users])
        WarningFlag.objects.filter(pk=flag.pk).update(notified_at=timezone.now())
    return len(users)


def notify_new() -> int:
    pending = WarningFlag.objects.filter(notified_at__isnull=True).select_related("organization")
    return sum(notify(flag) for flag in pending.order_by("created_at")[:500])


def run(today: date | None = None) -> dict[str, int]:
    """One run of the job over every organisation."""
    today = today or timezone.localdate()
    raised = sum(raise_flags(organization, today) for organization in Organization.objects.order_by("pk"))
    return {"raised": raised, "notified": notify_new()}


# -- the workers ---------------------------------------------------------------------------------

_last_run: list[date] = []


def work_once() -> int:
    today = timezone.localdate()
    _last_run[:] = [today]
    return sum(run(today).values())


def has_due_work() -> bool:
    return not _last_run or _last_run[0] != timezone.localdate()


def wake_celery() -> None:
    from salama.celery import analytics_warning

    analytics_warning.delay()


def health() -> dict[str, Any]:
    return {"last_run": _last_run[0].isoformat() if _last_run else None}


def register_with_workers() -> None:
    jobs.register_source(
        jobs.WorkSource(
            name="analytics_warning",
            work_once=work_once,
            has_due_work=has_due_work,
            wake_celery=wake_celery,
            health=health,
        )
    )
