"""How an import reads and checks the rows of a file, whatever kind of record they hold.

Each kind (salama.transfer.kinds) declares its fields; how its rows are checked against other
records (a case named by its reference, defenders by their external ids), all rows at once;
and how one checked row is written, through the kind's own actions.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django_countries import countries

from salama.core.values import is_blank
from salama.orgs.models import Membership, Organization
from salama.vocab.access import access_vocabulary, terms_of
from salama.vocab.models import Term

from .countries import spellings

DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
LIST_SEPARATOR = ";"
EMPTY = "__empty__"  # in a vocabulary mapping: "leave the value empty"
# Fields that may take one value for every row instead of a column (a case for a whole file):
# coded or short clear-text fields, never a protected one nor an identifier.
FIXABLE_TYPES = ("text", "date", "choice", "country")
CODED_TYPES = ("choice", "terms", "country")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: Promise
    type: str = "text"  # text, date, email, country, coordinates, lines, choice, terms
    max_length: int = 0
    required: bool = False
    protected: bool = False  # encrypted at rest: never echoed in an error message
    options: Callable[[], Any] | None = None  # choice: its (code, label) pairs
    vocabulary: str = ""  # terms: the code of the vocabulary they are taken from


@dataclass
class RowResult:
    number: int  # the row's line in the file, the header being line 1
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    external_id: str = ""


def check_nothing(actor: Membership, results: list[RowResult]) -> None:
    return None


@dataclass(frozen=True)
class ImportKind:
    code: str
    label: Promise
    permission: str
    fields: tuple[FieldSpec, ...]
    exists: Callable[[Organization, list[str]], set[str]]  # which external ids are already there
    # Writes a run of checked rows; one outcome per row, "created" or "updated".
    write: Callable[[Membership, list[dict[str, Any]]], list[str]]
    # Rules across fields and references to other records, for all rows at once (one query per
    # kind of reference, not one per row). Turns references into records in `values`.
    check: Callable[[Membership, list[RowResult]], None] = check_nothing
    help: Promise | str = ""  # how a file of this kind is laid out, shown when choosing columns

    def field(self, name: str) -> FieldSpec:
        return next(spec for spec in self.fields if spec.name == name)

    def coded_fields(self) -> list[FieldSpec]:
        return [spec for spec in self.fields if spec.type in CODED_TYPES]

    def fixable_fields(self) -> list[FieldSpec]:
        return [
            spec
            for spec in self.fields
            if spec.type in FIXABLE_TYPES and not spec.protected and spec.name != "external_id"
        ]

    def choices(self, name: str) -> list[tuple[str, str]]:
        """The known terms of a coded field, as (code, label in the reader's language)."""
        spec = self.field(name)
        if spec.type == "terms":
            return [(term.code, str(term.label())) for term in vocabulary_terms(spec.vocabulary)]
        if spec.type == "country":
            return [(code, str(name)) for code, name in countries]
        return [(code, str(label)) for code, label in (spec.options() if spec.options else [])]


RecordT = TypeVar("RecordT", bound=Model)


def with_external_ids(queryset: QuerySet[RecordT], ids: Iterable[str]) -> QuerySet[RecordT]:
    """The records of `queryset` whose external id is one of `ids`. The "not empty" condition is
    the one on the unique index of (organisation, external id), which holds only the ids that
    are set: with it, the database looks each id up in that index. Without it, neither SQLite
    nor PostgreSQL infers it from a long list of ids, and each run of an import read every
    record of the organisation."""
    return queryset.filter(external_id__in=[value for value in ids if value]).exclude(external_id="").order_by()


def vocabulary_terms(code: str) -> QuerySet[Term]:
    """The active terms of a vocabulary; none when it is not loaded yet."""
    try:
        return terms_of(access_vocabulary(code))
    except Http404:
        return Term.objects.none()


def known_values(kind: ImportKind, name: str) -> dict[str, str]:
    """Every way a file may spell a known term (its code, its label in each language), folded."""
    spec = kind.field(name)
    if spec.type == "country":
        return dict(spellings())
    known: dict[str, str] = {}
    if spec.type == "terms":
        for term in vocabulary_terms(spec.vocabulary):
            known[term.code.casefold()] = term.code
            for label in (term.labels or {}).values():
                if label:
                    known[str(label).strip().casefold()] = term.code
        return known
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code, label in kind.choices(name):
                known[code.casefold()] = code
                known[label.strip().casefold()] = code
    return known


def auto_mapping(kind: ImportKind, headers: list[str]) -> dict[str, str]:
    """A column whose header is a field's name or label is taken for that field."""
    folded = {header.strip().casefold(): header for header in headers}
    mapping = {}
    for spec in kind.fields:
        for spelling in (spec.name, str(spec.label), spec.name.replace("_", " ")):
            if spelling.casefold() in folded:
                mapping[spec.name] = folded[spelling.casefold()]
                break
    return mapping


def split_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]


def term_parts(value: str, known: dict[str, str], chosen: dict[str, str] | None = None) -> list[str]:
    """The terms a cell names, separated by ";". Many files separate them with commas instead
    ("Political Group,Criminal Group"): a part that is not a term as a whole is read as a comma
    list, so that a term whose own label holds a comma still matches whole."""
    chosen = chosen or {}
    parts: list[str] = []
    for part in split_list(value):
        folded = part.casefold()
        if "," not in part or folded in known or folded in chosen:
            parts.append(part)
        else:
            parts.extend(piece.strip() for piece in part.split(",") if piece.strip())
    return parts


def _cell_values(table: dict[str, Any], index: int | None, fixed: str) -> list[str]:
    if index is None:
        return [fixed]
    return [row[index] if index < len(row) else "" for row in table.get("rows", [])]


def unknown_values(
    kind: ImportKind, table: dict[str, Any], mapping: dict[str, str], fixed: dict[str, str] | None = None
) -> dict[str, list[str]]:
    """Per coded field, the distinct values in the file (or given for every row) that match no
    known term."""
    headers = table.get("headers", [])
    fixed = fixed or {}
    found: dict[str, list[str]] = {}
    for spec in kind.coded_fields():
        column = mapping.get(spec.name)
        if column not in headers and not fixed.get(spec.name):
            continue
        index = headers.index(column) if column in headers else None
        known = known_values(kind, spec.name)
        seen: dict[str, str] = {}
        for raw in _cell_values(table, index, fixed.get(spec.name, "")):
            parts = term_parts(raw, known) if spec.type == "terms" else ([raw.strip()] if raw.strip() else [])
            for part in parts:
                if part.casefold() not in known:
                    seen.setdefault(part.casefold(), part)
        if seen:
            found[spec.name] = sorted(seen.values(), key=str.casefold)
    return found


@dataclass
class Cell:
    """One cell being checked: what it says, the terms it may name, and where errors go."""

    spec: FieldSpec
    raw: str
    known: dict[str, str]
    chosen: dict[str, str]  # folded unknown value -> the code a person matched it to
    errors: list[str]

    def fail(self, message: str | Promise, **values: Any) -> None:
        self.errors.append(str(message) % {"field": str(self.spec.label), **values})

    def term(self, value: str, unknown: str | Promise = "") -> str | None:
        folded = value.strip().casefold()
        if folded in self.known:
            return self.known[folded]
        if folded in self.chosen:
            return "" if self.chosen[folded] == EMPTY else self.chosen[folded]
        message = unknown or _("%(field)s: “%(value)s” is not a known term; match it or leave it empty.")
        self.fail(message, value=value[:100])
        return None


def _choice(cell: Cell) -> str:
    return (cell.term(cell.raw) or "") if cell.raw else ""


def _terms(cell: Cell) -> list[str]:
    codes = [cell.term(part) for part in term_parts(cell.raw, cell.known, cell.chosen)]
    return sorted({code for code in codes if code})


def _lines(cell: Cell) -> list[str]:
    items = split_list(cell.raw)
    if any(len(item) > cell.spec.max_length for item in items):
        cell.fail(_("%(field)s: an item is longer than %(count)d characters."), count=cell.spec.max_length)
    return items


def _date(cell: Cell) -> str:
    if not valid_date(cell.raw):
        cell.fail(_("%(field)s: not a date. Write it as YYYY-MM-DD, YYYY-MM or YYYY."))
    return cell.raw


def _email(cell: Cell) -> str:
    try:
        validate_email(cell.raw)
    except ValidationError:
        cell.fail(_("%(field)s: not a valid email address."))
    return cell.raw


# Translated when a row needs it, not for every row.
UNKNOWN_COUNTRY = _lazy("%(field)s: “%(value)s” is not a known country; match it to one or leave it empty.")


def _country(cell: Cell) -> str:
    # A two- or three-letter code, a name in any language, a common alias, or what a person
    # matched the value to (salama.transfer.countries).
    return cell.term(cell.raw, UNKNOWN_COUNTRY) or ""


def _coordinates(cell: Cell) -> str:
    # Protected: the messages never repeat the value.
    value = cell.raw.replace(" ", "")
    try:
        lat, lon = (float(part) for part in value.split(","))
    except ValueError:
        cell.fail(_("%(field)s: give latitude and longitude separated by a comma."))
        return ""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        cell.fail(_("%(field)s: latitude is between -90 and 90, longitude between -180 and 180."))
    return value


CHECKS: dict[str, Callable[[Cell], Any]] = {
    "choice": _choice,
    "terms": _terms,
    "lines": _lines,
    "date": _date,
    "email": _email,
    "country": _country,
    "coordinates": _coordinates,
}


def _check(cell: Cell) -> Any:
    spec = cell.spec
    if spec.type in ("choice", "terms", "lines"):
        return CHECKS[spec.type](cell)
    if spec.max_length and len(cell.raw) > spec.max_length:
        cell.fail(_("%(field)s: longer than %(count)d characters."), count=spec.max_length)
        return ""
    if not cell.raw:
        return ""
    return CHECKS.get(spec.type, lambda cell: cell.raw)(cell)


def valid_date(raw: str) -> bool:
    if not DATE.match(raw):
        return False
    parts = [int(part) for part in raw.split("-")] + [1, 1]
    try:
        date(parts[0], parts[1], parts[2])
    except ValueError:
        return False
    return True


def _row(
    specs: list[FieldSpec],
    columns: dict[str, int],
    known: dict[str, Any],
    vocab_map: dict[str, Any],
    cells: list[str],
    fixed: dict[str, str],
) -> RowResult:
    result = RowResult(number=0)
    for spec in specs:
        index = columns.get(spec.name)
        if index is not None:
            raw = cells[index].strip() if index < len(cells) else ""
        else:
            raw = fixed.get(spec.name, "").strip()
        errors_before = len(result.errors)
        cell = Cell(spec, raw, known.get(spec.name, {}), vocab_map.get(spec.name, {}), result.errors)
        value = _check(cell)
        if index is not None or spec.name in fixed:
            result.values[spec.name] = value
        if spec.required and is_blank(value) and len(result.errors) == errors_before:
            result.errors.append(_("%(field)s is missing.") % {"field": spec.label})
    result.external_id = result.values.get("external_id", "")
    return result


def _flag_duplicates(results: list[RowResult]) -> None:
    counts = Counter(result.external_id for result in results if result.external_id)
    first_row: dict[str, int] = {}
    for result in results:
        if result.external_id:
            first_row.setdefault(result.external_id, result.number)
    for result in results:
        if counts.get(result.external_id, 0) > 1:
            # Which of the rows is right is for a person to say: none of them is imported.
            result.errors.append(
                _("External id is used by more than one row of the file (first on row %(row)d).")
                % {"row": first_row[result.external_id]}
            )


def usable_fixed(kind: ImportKind, fixed: dict[str, str]) -> dict[str, str]:
    """The values given for every row that a kind takes: fixable fields, not left blank."""
    names = {spec.name for spec in kind.fixable_fields()}
    return {name: value.strip() for name, value in fixed.items() if name in names and value and value.strip()}


def validate(
    kind: ImportKind,
    table: dict[str, Any],
    mapping: dict[str, str],
    vocab_map: dict[str, Any],
    actor: Membership,
    fixed: dict[str, str] | None = None,
) -> list[RowResult]:
    """Check every row as `actor` would write it; nothing is written. Errors never repeat a
    protected value, nor say whether a record the actor may not see exists. A field with no
    column may take one value for every row (`fixed`); a column wins over it."""
    headers = table.get("headers", [])
    columns = {name: headers.index(column) for name, column in mapping.items() if column in headers}
    fixed = {name: value for name, value in usable_fixed(kind, fixed or {}).items() if name not in columns}
    known = {
        spec.name: known_values(kind, spec.name)
        for spec in kind.coded_fields()
        if spec.name in columns or spec.name in fixed
    }
    # A field that no column and no fixed value fills can only be missing, when required.
    specs = [spec for spec in kind.fields if spec.name in columns or spec.name in fixed or spec.required]
    results = []
    for offset, cells in enumerate(table.get("rows", [])):
        result = _row(specs, columns, known, vocab_map, cells, fixed)
        result.number = offset + 2
        results.append(result)
    _flag_duplicates(results)
    kind.check(actor, results)
    return results
