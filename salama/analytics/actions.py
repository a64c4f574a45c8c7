"""The only writes of the analysis: an organisation's choice about network-level aggregates."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from salama.audit import actions as audit
from salama.core.permissions import require
from salama.orgs.models import Membership

from .exports import Export, Method, export, filter_codes, filter_lines
from .models import AggregateSharing, WarningFlag, WarningSubscription
from .query import Filters, aggregate
from .scope import scope_for


def do_set_aggregate_sharing(actor: Membership, *, opted_in: bool) -> AggregateSharing:
    """Opt the actor's organisation in to (or out of) network-level aggregates; audited."""
    require(actor, "analytics.share")
    with transaction.atomic():
        sharing, _created = AggregateSharing.objects.select_for_update().get_or_create(
            organization_id=actor.organization_id
        )
        before = sharing.opted_in
        if before == opted_in and not _created:
            return sharing
        sharing.opted_in = opted_in
        sharing.changed_by = actor.user
        sharing.changed_at = timezone.now()
        sharing.save()
        audit.record(
            "analytics.sharing_changed",
            actor=actor.user,
            organization=actor.organization,
            target=("aggregate_sharing", sharing.pk),
            changes={"opted_in": (before, opted_in)},
            loggable=("opted_in",),
        )
    return sharing


def do_print_report(actor: Membership, *, view: str, network: bool, tables: int) -> None:
    """Record that the actor printed a report of a view (aggregates only); refuse without the
    export permission. What was counted is named, never a value."""
    require(actor, "analytics.export")
    audit.record(
        "export.created",
        actor=actor.user,
        organization=actor.organization,
        target=("analytics_report", actor.organization.slug),
        changes={"format": (None, "pdf"), "view": (None, view), "network": (None, network), "count": (None, tables)},
        loggable=("format", "view", "network", "count"),
    )


# -- early warning: subscriptions and dismissals --------------------------------------------------


def do_subscribe_warnings(actor: Membership, *, country: str = "", sector: str = "") -> WarningSubscription:
    """Subscribe the actor to new flags of a country and sector ("" for any); once is enough."""
    require(actor, "analytics.subscribe")
    with transaction.atomic():
        subscription, created = WarningSubscription.objects.get_or_create(
            organization_id=actor.organization_id, user=actor.user, country=country, sector=sector
        )
        if created:
            audit.record(
                "analytics.warning_subscribed",
                actor=actor.user,
                organization=actor.organization,
                target=("warning_subscription", subscription.pk),
                changes={"country": (None, country), "sector": (None, sector)},
                loggable=("country", "sector"),
            )
    return subscription


def do_unsubscribe_warnings(actor: Membership, subscription_id: int) -> bool:
    """Remove one of the actor's own subscriptions; False when there was none of that id."""
    require(actor, "analytics.subscribe")
    with transaction.atomic():
        mine = WarningSubscription.objects.filter(
            pk=subscription_id, organization_id=actor.organization_id, user=actor.user
        )
        if not mine.delete()[0]:
            return False
        audit.record(
            "analytics.warning_unsubscribed",
            actor=actor.user,
            organization=actor.organization,
            target=("warning_subscription", subscription_id),
        )
    return True


def do_dismiss_warning(actor: Membership, flag: WarningFlag) -> WarningFlag:
    """Mark a flag as looked at and set aside; it stays listed, as dismissed."""
    require(actor, "analytics.dismiss")
    if flag.organization_id != actor.organization_id:
        raise PermissionDenied
    with transaction.atomic():
        if WarningFlag.objects.filter(pk=flag.pk, dismissed_at__isnull=True).update(
            dismissed_at=timezone.now(), dismissed_by=actor.user
        ):
            audit.record(
                "analytics.warning_dismissed",
                actor=actor.user,
                organization=actor.organization,
                target=("warning_flag", flag.pk),
                changes={"kind": (None, flag.kind)},
                loggable=("kind",),
            )
    flag.refresh_from_db()
    return flag


# -- de-identified exports of aggregates -----------------------------------------------------------


def export_parameters(data: dict[str, Any]) -> dict[str, Any]:
    """What to count, from the analysis form's cleaned data: unit, rows, columns, depth, network."""
    depth = data.get("depth")  # the form's int, or "" when left empty
    return {
        "unit": data["unit"],
        "rows": data["rows"],
        "columns": data.get("columns") or None,
        "depth": depth if isinstance(depth, int) else None,
        "network": bool(data.get("network")),
    }


def do_export_aggregate(actor: Membership, *, fmt: str, parameters: dict[str, Any], filters: Filters) -> Export:
    """A file of the aggregate the parameters (`export_parameters`) describe, suppressed with
    the configured k; refused without the export permission. Audited with what was counted and
    how, never a count."""
    require(actor, "analytics.export")
    network = parameters["network"]
    table = aggregate(
        scope_for(actor, network=network),
        unit=parameters["unit"],
        rows=parameters["rows"],
        columns=parameters["columns"],
        filters=filters,
        depth=parameters["depth"],
    )
    method = Method(
        unit=table.unit,
        k=settings.SALAMA_ANALYTICS_MIN_CELL,
        organization=actor.organization.name,
        generated_at=timezone.now(),
        network=network,
        date_from=filters.date_from,
        date_to=filters.date_to,
        filters=filter_lines(filters),
    )
    made = export(table, method, fmt)
    audit.record(
        "export.created",
        actor=actor.user,
        organization=actor.organization,
        target=("analytics_aggregate", actor.organization.slug),
        changes={
            "format": (None, fmt),
            "unit": (None, table.unit),
            "rows": (None, table.rows.dimension),
            "columns": (None, parameters["columns"] or ""),
            "network": (None, network),
            "filters": (None, ";".join(f"{name}={','.join(values)}" for name, values in filter_codes(filters))),
        },
        loggable=("format", "unit", "rows", "columns", "network", "filters"),
    )
    return made
