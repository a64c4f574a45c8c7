"""What counts as no value at all, for every app that records, compares or imports values."""

from __future__ import annotations

from typing import Any


def is_blank(value: Any) -> bool:
    """Nothing recorded: None, or an empty text, list or mapping. 0 and False are values.
    Tested for every field of every imported row: a value that is true is never blank, and
    saying so first spares comparing a text with a list and a mapping."""
    return not value and value in (None, "", [], {})
