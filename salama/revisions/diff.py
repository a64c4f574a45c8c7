"""Revisions as people read them: labels instead of field names and codes, and text changes as
a word-level diff marked with <del> and <ins>. Every value is escaped before it is marked."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

from salama.core.values import is_blank

from .hooks import derived
from .models import Revision

WORDS = re.compile(r"(\s+)")


def field_label(model: type[models.Model], name: str) -> str:
    spec = derived(model, name)
    if spec is not None:
        return str(capfirst(spec.label))
    try:
        return str(capfirst(getattr(model._meta.get_field(name), "verbose_name", name)))
    except Exception:  # a field since removed from the model still has its history
        return name


def _display(model: type[models.Model], name: str, value: Any) -> str:
    if is_blank(value):
        return "—"
    try:
        choices = dict(model._meta.get_field(name).flatchoices)  # type: ignore[union-attr]
    except Exception:
        choices = {}
    if choices and not isinstance(value, list | dict):
        return str(choices.get(value, value))
    return str(value)


def word_diff(old: str, new: str) -> SafeString:
    a, b = WORDS.split(old or ""), WORDS.split(new or "")
    parts: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            parts.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if j2 > j1:
            parts.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return mark_safe("".join(parts))  # noqa: S308  every piece above is escaped


def _items(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [f"{key}: {item}" for key, item in value.items()]
    if isinstance(value, list):
        return [str(item) for item in value]
    return [] if is_blank(value) else [str(value)]


def _lines_html(before: list[str], after: list[str]) -> SafeString:
    removed = [item for item in before if item not in after]
    added = [item for item in after if item not in before]
    pieces = [format_html("<del>{}</del>", item) for item in removed]
    pieces += [format_html("<ins>{}</ins>", item) for item in added]
    return mark_safe(" ".join(pieces) or "—")  # noqa: S308  built with format_html


def change_html(model: type[models.Model], name: str, old: Any, new: Any, viewer: Any = None) -> SafeString:
    """Lists: what was removed and what was added. Choices: label to label. Text: by word."""
    spec = derived(model, name)
    if spec is not None:
        return _lines_html(spec.show(old or [], viewer), spec.show(new or [], viewer))
    field = None
    try:
        field = model._meta.get_field(name)
    except Exception:
        field = None
    has_choices = bool(getattr(field, "choices", None))
    if isinstance(old, list | dict) or isinstance(new, list | dict):
        return _lines_html(_items(old), _items(new))
    if has_choices or not isinstance(old or "", str) or not isinstance(new or "", str):
        return format_html("<del>{}</del> → <ins>{}</ins>", _display(model, name, old), _display(model, name, new))
    return word_diff(old or "", new or "")


@dataclass
class Change:
    name: str
    label: str
    sealed: bool
    html: SafeString | None  # None: sealed and not revealed


def changes_of(model: type[models.Model], revision: Revision, revealed: bool, viewer: Any = None) -> list[Change]:
    """Sealed values are opened only when `revealed` (after an audited reveal). `viewer`, the
    member reading, is for derived values that name other records (salama.revisions.hooks)."""
    sealed = revision.sealed_changes if revealed else {}
    result = []
    for name in revision.fields:
        secret = name not in revision.public_changes
        pair = revision.public_changes.get(name) or sealed.get(name)
        html = change_html(model, name, pair["old"], pair["new"], viewer) if pair else None
        result.append(Change(name, field_label(model, name), secret, html))
    return result
