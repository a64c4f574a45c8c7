"""Salama's own vocabularies, shipped as data in data/default_vocabularies.json.

The file nests narrower terms under `children`; a term's order is its place in the file. A term
may say `"retired": true` to withdraw it from a release without losing it from old records.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from .models import CODE_MAX_LENGTH, CODE_PATTERN, LANGUAGES
from .specs import ImportRefused, TermSpec, VocabularySpec

CODE = re.compile(CODE_PATTERN)
DEFAULTS_FILE = Path(__file__).resolve().parent / "data" / "default_vocabularies.json"
SOURCE = "salama"


def _labels(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(text, str) and text.strip() for text in value.values()):
        raise ImportRefused(_("%(where)s: the labels must map languages to text.") % {"where": where})
    unknown = sorted(set(value) - set(LANGUAGES))
    if unknown or not value.get("en"):
        raise ImportRefused(
            _("%(where)s: labels need English and may only use %(languages)s.")
            % {"where": where, "languages": ", ".join(LANGUAGES)}
        )
    return {language: text.strip() for language, text in value.items()}


def _code(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) > CODE_MAX_LENGTH or not CODE.match(value):
        raise ImportRefused(_("%(where)s: %(code)r is not a valid code.") % {"where": where, "code": value})
    return value


def _terms(items: Any, parent: str | None, where: str, into: list[TermSpec]) -> None:
    if not isinstance(items, list):
        raise ImportRefused(_("%(where)s: the terms must be a list.") % {"where": where})
    for order, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ImportRefused(_("%(where)s: each term must be an object.") % {"where": where})
        code = _code(item.get("code"), where)
        here = f"{where}/{code}"
        into.append(
            TermSpec(
                code=code,
                labels=_labels(item.get("labels"), here),
                parent=parent,
                order=order,
                source_ref=str(item.get("source_ref", "")),
                hidden=bool(item.get("retired", False)),
            )
        )
        _terms(item.get("children", []), code, here, into)


def read_defaults(path: Path = DEFAULTS_FILE) -> list[VocabularySpec]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ImportRefused(_("%(path)s cannot be read: %(reason)s") % {"path": path, "reason": error}) from None
    specs = []
    for item in data.get("vocabularies", []):
        code = _code(item.get("code"), str(path.name))
        terms: list[TermSpec] = []
        _terms(item.get("terms"), None, code, terms)
        codes = [term.code for term in terms]
        if len(set(codes)) != len(codes):
            raise ImportRefused(_("%(where)s: a term code appears twice.") % {"where": code})
        specs.append(
            VocabularySpec(
                code=code,
                name=_labels(item.get("name"), code),
                description=_labels(item["description"], code) if item.get("description") else {},
                source=SOURCE,
                terms=terms,
            )
        )
    return specs
