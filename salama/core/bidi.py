"""Right-to-left text that holds references and dates, wherever Salama writes it: PDF and DOCX
documents, the case timeline, email. (Web pages isolate values with `<bdi>`: the `bdi` filter.)"""

from __future__ import annotations

import re

RTL_LANGUAGES = frozenset({"ar"})

# A run of digits joined by separators: a reference (2026-0001), a date (2026-03-14), a time.
_NUMBER_GROUP = re.compile(r"\d+(?:[-/.:,]\d+)+")
LEFT_TO_RIGHT_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2066", "\u2069"


def is_rtl(language: str) -> bool:
    return language in RTL_LANGUAGES


def keep_numbers_in_order(text: str, language: str) -> str:
    """Isolate references and dates in right-to-left text so they read as written.

    After Arabic letters the bidi algorithm takes digits for Arabic numbers and a hyphen between
    them for a neutral, so "2026-0001" would print as "0001-2026". A left-to-right isolate keeps
    the group whole, as `<bdi>` does on a web page.
    """
    if not is_rtl(language):
        return text
    return _NUMBER_GROUP.sub(lambda group: f"{LEFT_TO_RIGHT_ISOLATE}{group[0]}{POP_DIRECTIONAL_ISOLATE}", text)
