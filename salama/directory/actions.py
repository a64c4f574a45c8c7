"""Every write to the directory: only platform operators change it, and every change is
audited. An operator's edit marks the entry `edited_locally`, so re-loading the shipped data
leaves it alone (see salama.directory.data)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salama.accounts.models import User
from salama.audit.actions import created, diff, record

from .data import SHIPPED_FIELDS, LoadReport, load_actors
from .models import ProtectionActor
from .validation import actor_problems

# What an operator may change: what the shipped file sets, and which network member it is.
EDITABLE_FIELDS = (*SHIPPED_FIELDS, "organization")
# Public reference data, so every field is recorded with its value except the long texts.
LOGGABLE = ("slug", "name", "kind", "offers", "regions", "countries", "languages", "response_time_hours", "active")


def _require_operator(actor: User) -> None:
    if not getattr(actor, "is_platform_operator", False):
        raise PermissionDenied(_("Only platform operators can change the directory."))


def _check(values: dict[str, Any]) -> None:
    problems = actor_problems(values)
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def do_create_actor(actor: User, *, slug: str, **fields: Any) -> ProtectionActor:
    _require_operator(actor)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if ProtectionActor.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _("This short name is taken.")})
    _check(fields)
    entry = ProtectionActor.objects.create(slug=slug, edited_locally=True, **fields)
    record(
        "directory.actor_created",
        actor=actor,
        target=("protection_actor", entry.slug),
        changes=created({"slug": slug, **fields}),
        loggable=LOGGABLE,
    )
    return entry


@transaction.atomic
def do_update_actor(actor: User, entry: ProtectionActor, **fields: Any) -> ProtectionActor:
    _require_operator(actor)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    _check(fields)
    before = {name: getattr(ProtectionActor.objects.get(pk=entry.pk), name) for name in fields}
    changes = diff(before, fields)
    if not changes:
        return entry
    for name, value in fields.items():
        setattr(entry, name, value)
    entry.edited_locally = True
    entry.save()
    record(
        "directory.actor_updated",
        actor=actor,
        target=("protection_actor", entry.slug),
        changes=changes,
        loggable=LOGGABLE,
    )
    return entry


@transaction.atomic
def do_load_actors(actor: User | None = None) -> LoadReport:
    """Re-load the shipped data (the management command; no person needed)."""
    if actor is not None:
        _require_operator(actor)
    report = load_actors()
    if report.created or report.updated:
        record(
            "directory.loaded",
            actor=actor,
            changes={"created": (None, report.created), "updated": (None, report.updated)},
            loggable=("created", "updated"),
        )
    return report
