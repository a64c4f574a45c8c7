"""Exports of the defender list, full or de-identified, in CSV, XLSX or JSON.

A de-identified export carries no encrypted field, replaces each public name with a pseudonym
("Defender 17", numbered within this export only), keeps the place only as country and region,
and coarsens dates to the month.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salama.audit.actions import record
from salama.core.permissions import role_can
from salama.defenders.access import ENCRYPTED_FIELDS, DefenderFilters, defenders_of
from salama.defenders.models import Defender
from salama.orgs.models import Membership

from .reading import write_csv, write_xlsx

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "json": ("application/json", "json"),
}
PUBLIC_COLUMNS = ("external_id", "public_name", "kind", "gender", "sectors", "country", "region")
DEIDENTIFIED_COLUMNS = ("pseudonym", "kind", "gender", "sectors", "country", "region", "created_month")


@dataclass(frozen=True)
class Export:
    filename: str
    content_type: str
    content: bytes
    count: int


def _text(value: Any) -> Any:
    return value if isinstance(value, list) else ("" if value is None else str(value))


def _full_row(defender: Defender) -> dict[str, Any]:
    row: dict[str, Any] = {
        "external_id": defender.external_id,
        "public_name": defender.public_name,
        "kind": defender.kind,
        "gender": defender.gender,
        "sectors": sorted(term.code for term in defender.sectors.all()),
        "country": defender.country.code or "",
        "region": defender.region,
    }
    for name in ENCRYPTED_FIELDS:
        row[name] = _text(getattr(defender, name))
    row["created_at"] = defender.created_at.date().isoformat()
    return row


def _deidentified_row(defender: Defender, number: int) -> dict[str, Any]:
    return {
        "pseudonym": _("Defender %(number)d") % {"number": number},
        "kind": defender.kind,
        "gender": defender.gender,
        "sectors": sorted(term.code for term in defender.sectors.all()),
        "country": defender.country.code or "",
        "region": defender.region,
        "created_month": timezone.localtime(defender.created_at).strftime("%Y-%m"),
    }


def _flat(value: Any) -> str:
    return "; ".join(str(item) for item in value) if isinstance(value, list) else str(value)


@transaction.atomic
def do_export(actor: Membership, filters: DefenderFilters, fmt: str, *, deidentified: bool) -> Export:
    """Audited with the format, the count and whether de-identified; never a value."""
    for permission in ("defenders.export", *(() if deidentified else ("defenders.reveal",))):
        decision = role_can(actor.role, permission)
        if not decision:
            raise PermissionDenied(decision.reason)
    if fmt not in FORMATS:
        raise ValueError(fmt)
    queryset = defenders_of(actor.organization, filters)
    if deidentified:
        # In the order of the random primary keys, so pseudonyms say nothing about the names.
        defenders = list(queryset.order_by("pk"))
        rows = [_deidentified_row(defender, number) for number, defender in enumerate(defenders, start=1)]
        columns: tuple[str, ...] = DEIDENTIFIED_COLUMNS
    else:
        rows = [_full_row(defender) for defender in queryset]
        columns = (*PUBLIC_COLUMNS, *ENCRYPTED_FIELDS, "created_at")
    if fmt == "json":
        content = json.dumps(rows, ensure_ascii=False, indent=1).encode()
    else:
        writer = write_csv if fmt == "csv" else write_xlsx
        content = writer(list(columns), [[_flat(row[name]) for name in columns] for row in rows])
    record(
        "export.created",
        actor=actor.user,
        organization=actor.organization,
        target=("defenders", actor.organization.slug),
        changes={"format": (None, fmt), "count": (None, len(rows)), "deidentified": (None, deidentified)},
        loggable=("format", "count", "deidentified"),
    )
    content_type, extension = FORMATS[fmt]
    stamp = timezone.localdate().isoformat()
    name = f"defenders-{'deidentified-' if deidentified else ''}{stamp}.{extension}"
    return Export(name, content_type, content, len(rows))
