"""Bidirectional text in pages.

A case reference such as "2026-0001" inside an Arabic sentence would read "0001-2026": after
Arabic letters the bidi algorithm takes its digits for Arabic numbers and the hyphen for a
neutral. `<bdi>` isolates the value, so it keeps its own order in any language. It is loaded for
every template (settings: TEMPLATES builtins).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def bdi(value: Any) -> SafeString:
    """The value, escaped, in `<bdi>`. Not for `<title>`, whose text cannot hold elements."""
    return format_html("<bdi>{}</bdi>", value)
