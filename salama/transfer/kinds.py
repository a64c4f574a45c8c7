"""What can be imported: each kind declares its fields, how a row is checked, and how it is
written. Only defenders exist today; incidents are meant to be added as another kind."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django_countries import countries

from salama.defenders.access import sector_terms
from salama.defenders.actions import do_create_defender, do_update_defender
from salama.defenders.models import Defender
from salama.orgs.models import Membership, Organization

DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
LIST_SEPARATOR = ";"
EMPTY = "__empty__"  # in a vocabulary mapping: "leave the value empty"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: Promise
    type: str = "text"  # text, date, email, country, lines, choice, terms
    max_length: int = 0
    required: bool = False
    protected: bool = False  # encrypted at rest: never echoed in an error message


@dataclass
class RowResult:
    number: int  # the row's line in the file, the header being line 1
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    external_id: str = ""


@dataclass(frozen=True)
class ImportKind:
    code: str
    label: Promise
    permission: str
    fields: tuple[FieldSpec, ...]
    choices: Callable[[str], list[tuple[str, str]]]  # field -> (code, label) of its known terms
    exists: Callable[[Organization, list[str]], set[str]]  # which external ids are already there
    write: Callable[[Membership, dict[str, Any]], str]  # "created" or "updated"

    def field(self, name: str) -> FieldSpec:
        return next(spec for spec in self.fields if spec.name == name)

    def coded_fields(self) -> list[FieldSpec]:
        return [spec for spec in self.fields if spec.type in ("choice", "terms")]


def _choice_labels(choices: Any) -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in choices]


def _defender_choices(name: str) -> list[tuple[str, str]]:
    if name == "kind":
        return _choice_labels(Defender.Kind.choices)
    if name == "gender":
        return _choice_labels(Defender.Gender.choices)
    if name == "sectors":
        return [(term.code, str(term.label())) for term in sector_terms()]
    raise KeyError(name)


def known_values(kind: ImportKind, name: str) -> dict[str, str]:
    """Every way a file may spell a known term (its code, its label in each language), folded."""
    from django.conf import settings

    spellings: dict[str, str] = {}
    if kind.field(name).type == "terms" and name == "sectors":
        for term in sector_terms():
            spellings[term.code.casefold()] = term.code
            for label in (term.labels or {}).values():
                if label:
                    spellings[str(label).strip().casefold()] = term.code
        return spellings
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code, label in kind.choices(name):
                spellings[code.casefold()] = code
                spellings[label.strip().casefold()] = code
    return spellings


def _defender_exists(org: Organization, external_ids: list[str]) -> set[str]:
    ids = [value for value in external_ids if value]
    found = Defender.objects.filter(organization=org, external_id__in=ids).values_list("external_id", flat=True)
    return set(found)


def _write_defender(actor: Membership, values: dict[str, Any]) -> str:
    """Empty cells leave what is recorded: a sparse re-import never erases protected details."""
    fields = {name: value for name, value in values.items() if value not in ("", [], None)}
    if "sectors" in fields:
        fields["sectors"] = list(sector_terms().filter(code__in=fields["sectors"]))
    external_id = fields.get("external_id", "")
    existing = (
        Defender.objects.filter(organization=actor.organization, external_id=external_id).first()
        if external_id
        else None
    )
    if existing is not None:
        do_update_defender(actor, existing, **fields)
        return "updated"
    do_create_defender(actor, **fields)
    return "created"


DEFENDERS = ImportKind(
    code="defenders",
    label=_lazy("Defenders"),
    permission="defenders.import",
    fields=(
        FieldSpec("external_id", _lazy("External id"), max_length=100),
        FieldSpec("public_name", _lazy("Public name or pseudonym"), max_length=200, required=True),
        FieldSpec("kind", _lazy("Kind"), type="choice"),
        FieldSpec("gender", _lazy("Gender"), type="choice"),
        FieldSpec("sectors", _lazy("Sectors of work"), type="terms"),
        FieldSpec("country", _lazy("Country"), type="country"),
        FieldSpec("region", _lazy("Region or province"), max_length=120),
        FieldSpec("legal_name", _lazy("Legal name"), max_length=300, protected=True),
        FieldSpec("aliases", _lazy("Other names"), type="lines", max_length=300, protected=True),
        FieldSpec("phone", _lazy("Phone"), max_length=40, protected=True),
        FieldSpec("email", _lazy("Email"), type="email", max_length=254, protected=True),
        FieldSpec("other_contacts", _lazy("Other contact points"), type="lines", max_length=300, protected=True),
        FieldSpec("addresses", _lazy("Addresses and locations"), type="lines", max_length=300, protected=True),
        FieldSpec("date_of_birth", _lazy("Date of birth"), type="date", protected=True),
        FieldSpec("document_number", _lazy("Identity document number"), max_length=80, protected=True),
        FieldSpec("relatives", _lazy("Relatives"), type="lines", max_length=300, protected=True),
        FieldSpec("private_notes", _lazy("Private notes"), max_length=20_000, protected=True),
    ),
    choices=_defender_choices,
    exists=_defender_exists,
    write=_write_defender,
)

KINDS: dict[str, ImportKind] = {DEFENDERS.code: DEFENDERS}


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


def unknown_values(kind: ImportKind, table: dict[str, Any], mapping: dict[str, str]) -> dict[str, list[str]]:
    """Per coded field, the distinct values in the file that match no known term."""
    headers = table.get("headers", [])
    found: dict[str, list[str]] = {}
    for spec in kind.coded_fields():
        column = mapping.get(spec.name)
        if column not in headers:
            continue
        index = headers.index(column)
        known = known_values(kind, spec.name)
        seen: dict[str, str] = {}
        for row in table.get("rows", []):
            raw = row[index] if index < len(row) else ""
            parts = split_list(raw) if spec.type == "terms" else ([raw.strip()] if raw.strip() else [])
            for part in parts:
                if part.casefold() not in known:
                    seen.setdefault(part.casefold(), part)
        if seen:
            found[spec.name] = sorted(seen.values(), key=str.casefold)
    return found


def _check(spec: FieldSpec, raw: str, known: dict[str, str], chosen: dict[str, str], errors: list[str]) -> Any:
    label = str(spec.label)

    def term(value: str) -> str | None:
        folded = value.casefold()
        if folded in known:
            return known[folded]
        if folded in chosen:
            return "" if chosen[folded] == EMPTY else chosen[folded]
        errors.append(
            _("%(field)s: “%(value)s” is not a known term; match it or leave it empty.")
            % {"field": label, "value": value[:100]}
        )
        return None

    if spec.type == "choice":
        return (term(raw) or "") if raw else ""
    if spec.type == "terms":
        codes = [term(part) for part in split_list(raw)]
        return sorted({code for code in codes if code})
    if spec.type == "lines":
        items = split_list(raw)
        if any(len(item) > spec.max_length for item in items):
            errors.append(
                _("%(field)s: an item is longer than %(count)d characters.")
                % {"field": label, "count": spec.max_length}
            )
        return items
    if spec.max_length and len(raw) > spec.max_length:
        errors.append(_("%(field)s: longer than %(count)d characters.") % {"field": label, "count": spec.max_length})
        return ""
    if not raw:
        return ""
    if spec.type == "date" and not _valid_date(raw):
        errors.append(_("%(field)s: not a date. Write it as YYYY-MM-DD, YYYY-MM or YYYY.") % {"field": label})
    elif spec.type == "email":
        try:
            validate_email(raw)
        except ValidationError:
            errors.append(_("%(field)s: not a valid email address.") % {"field": label})
    elif spec.type == "country":
        code = raw.upper() if raw.upper() in dict(countries) else countries.by_name(raw)
        if not code:
            errors.append(_("%(field)s: “%(value)s” is not a known country.") % {"field": label, "value": raw[:100]})
        return code or ""
    return raw


def _valid_date(raw: str) -> bool:
    from datetime import date

    if not DATE.match(raw):
        return False
    parts = [int(part) for part in raw.split("-")] + [1, 1]
    try:
        date(parts[0], parts[1], parts[2])
    except ValueError:
        return False
    return True


def validate(
    kind: ImportKind, table: dict[str, Any], mapping: dict[str, str], vocab_map: dict[str, Any]
) -> list[RowResult]:
    """Check every row; nothing is written. Errors never repeat a protected value."""
    headers = table.get("headers", [])
    columns = {name: headers.index(column) for name, column in mapping.items() if column in headers}
    known = {spec.name: known_values(kind, spec.name) for spec in kind.coded_fields() if spec.name in columns}
    results: list[RowResult] = []
    for offset, row in enumerate(table.get("rows", [])):
        result = RowResult(number=offset + 2)
        for spec in kind.fields:
            if spec.name not in columns:
                continue
            index = columns[spec.name]
            raw = row[index].strip() if index < len(row) else ""
            result.values[spec.name] = _check(
                spec, raw, known.get(spec.name, {}), vocab_map.get(spec.name, {}), result.errors
            )
        if not result.values.get("public_name"):
            result.errors.append(_("%(field)s is missing.") % {"field": kind.field("public_name").label})
        result.external_id = result.values.get("external_id", "")
        results.append(result)
    first_row: dict[str, int] = {}
    for result in results:
        if result.external_id:
            first_row.setdefault(result.external_id, result.number)
    counts: dict[str, int] = {}
    for result in results:
        if result.external_id:
            counts[result.external_id] = counts.get(result.external_id, 0) + 1
    for result in results:
        if counts.get(result.external_id, 0) > 1:
            # Which of the rows is right is for a person to say: none of them is imported.
            result.errors.append(
                _("External id is used by more than one row of the file (first on row %(row)d).")
                % {"row": first_row[result.external_id]}
            )
    return results
