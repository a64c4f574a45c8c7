"""Exports of a list (defenders, cases, incidents), full or de-identified, in CSV, XLSX or JSON.

Each list declares its columns once (salama.transfer.export_kinds), saying how a de-identified
export treats each: kept, left out, coarsened to the month, or replaced by a pseudonym. One
writer turns any of them into a file. A de-identified export carries no encrypted field and no
identifier (external ids, references, exact places, team members); names and titles become
pseudonyms ("Defender 17"), numbered within this export only; places are kept only as country
and region; dates as their month.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise

from salama.audit.actions import record
from salama.core.permissions import require
from salama.orgs.models import Membership

from .reading import write_csv, write_xlsx

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "json": ("application/json", "json"),
}
# How a de-identified export treats a column.
KEEP = "keep"
DROP = "drop"  # encrypted, or identifies someone or something
MONTH = "month"  # a date, coarsened to its month
PSEUDONYM = "pseudonym"  # a name or title, replaced by "<label> <number>"


@dataclass(frozen=True)
class Pseudonym:
    label: Promise  # e.g. "Defender %(number)d"
    records: Callable[[Any], Any]  # the record, or the list of records, that the column names


@dataclass(frozen=True)
class Column:
    name: str
    value: Callable[[Any], Any]  # the record -> its value in a full export
    deidentified: str = KEEP
    deidentified_name: str = ""  # its header in a de-identified export, when it differs
    pseudonym: Pseudonym | None = None


@dataclass(frozen=True)
class ExportKind:
    code: str
    permission: str
    reveal: str  # a full export holds protected values: it needs the right to reveal them
    columns: tuple[Column, ...]
    records: Callable[[Membership, Any], QuerySet[Any]]  # (actor, filters) -> what the actor may see

    def headers(self, deidentified: bool) -> list[str]:
        if not deidentified:
            return [column.name for column in self.columns]
        return [column.deidentified_name or column.name for column in self.columns if column.deidentified != DROP]


@dataclass(frozen=True)
class Export:
    filename: str
    content_type: str
    content: bytes
    count: int


class Pseudonyms:
    """Numbers records within one export as they are met. Records are met in the order of their
    random primary keys, so a number says nothing about a name."""

    def __init__(self) -> None:
        self.numbers: dict[str, dict[Any, int]] = {}

    def of(self, label: Promise, records: Any) -> Any:
        if records is None:
            return ""
        if isinstance(records, list):
            return [self._one(label, item) for item in sorted(records, key=lambda item: str(item.pk))]
        return self._one(label, records)

    def _one(self, label: Promise, record: Any) -> str:
        numbers = self.numbers.setdefault(str(label), {})
        number = numbers.setdefault(record.pk, len(numbers) + 1)
        return str(label) % {"number": number}


def text(value: Any) -> Any:
    """A cell's value: text, or a list of texts (joined in CSV and XLSX, kept in JSON)."""
    if isinstance(value, list):
        return [str(item) for item in value]
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def month(value: Any) -> str:
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return value.strftime("%Y-%m") if isinstance(value, date) else ""


def _deidentified(column: Column, item: Any, pseudonyms: Pseudonyms) -> Any:
    if column.deidentified == MONTH:
        return month(column.value(item))
    if column.deidentified == PSEUDONYM and column.pseudonym is not None:
        return pseudonyms.of(column.pseudonym.label, column.pseudonym.records(item))
    return text(column.value(item))


def rows_of(kind: ExportKind, items: list[Any], *, deidentified: bool) -> list[dict[str, Any]]:
    if not deidentified:
        return [{column.name: text(column.value(item)) for column in kind.columns} for item in items]
    pseudonyms = Pseudonyms()
    kept = [column for column in kind.columns if column.deidentified != DROP]
    return [
        {column.deidentified_name or column.name: _deidentified(column, item, pseudonyms) for column in kept}
        for item in items
    ]


def _flat(value: Any) -> str:
    return "; ".join(value) if isinstance(value, list) else value  # type: ignore[no-any-return]


def write(fmt: str, headers: list[str], rows: list[dict[str, Any]]) -> bytes:
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=1).encode()
    writer = write_csv if fmt == "csv" else write_xlsx
    return writer(headers, [[_flat(row[name]) for name in headers] for row in rows])


@transaction.atomic
def do_export(actor: Membership, kind: ExportKind, filters: Any, fmt: str, *, deidentified: bool) -> Export:
    """Only what the actor may see. Audited with the format, the count and whether
    de-identified; never a value. Raises DecryptionError rather than export stored bytes."""
    require(actor, kind.permission)
    if not deidentified:
        require(actor, kind.reveal)
    if fmt not in FORMATS:
        raise ValueError(fmt)
    queryset = kind.records(actor, filters)
    # De-identified rows go in the order of the random primary keys, as their pseudonyms do.
    items = list(queryset.order_by("pk") if deidentified else queryset)
    rows = rows_of(kind, items, deidentified=deidentified)
    content = write(fmt, kind.headers(deidentified), rows)
    record(
        "export.created",
        actor=actor.user,
        organization=actor.organization,
        target=(kind.code, actor.organization.slug),
        changes={"format": (None, fmt), "count": (None, len(rows)), "deidentified": (None, deidentified)},
        loggable=("format", "count", "deidentified"),
    )
    content_type, extension = FORMATS[fmt]
    stamp = timezone.localdate().isoformat()
    name = f"{kind.code}-{'deidentified-' if deidentified else ''}{stamp}.{extension}"
    return Export(name, content_type, content, len(rows))
