"""A stricter breached-password check, from bundled lists only (never a network call).

Django's common list holds the 20,000 passwords most often found in public breaches. Attackers
try those with small changes ("Password123!", "p@ssw0rd"), and words of this field
("humanrights2024"). This validator undoes such changes before looking a password up in that
list and in our own list of the field's words.
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CONTEXT_LIST = Path(__file__).resolve().parent / "data" / "context-passwords.txt"
LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})


@cache
def known_passwords() -> frozenset[str]:
    with gzip.open(CommonPasswordValidator().DEFAULT_PASSWORD_LIST_PATH, "rt", encoding="utf-8") as handle:
        common = {line.strip() for line in handle}
    context = {
        line.strip() for line in CONTEXT_LIST.read_text().splitlines() if line.strip() and not line.startswith("#")
    }
    return frozenset(common | context)


def variants(password: str) -> set[str]:
    lowered = password.lower().strip()
    core = re.sub(r"[\W\d_]+$", "", lowered)  # "Password123!" -> "password"
    core = re.sub(r"^[\W\d_]+", "", core)
    squeezed = re.sub(r"[\s_.-]+", "", lowered)
    candidates = {lowered, core, squeezed, lowered.translate(LEET), core.translate(LEET), squeezed.translate(LEET)}
    candidates |= {re.sub(r"[\W\d_]+$", "", c) for c in list(candidates)}
    return {c for c in candidates if c}


class BreachedPasswordValidator:
    def validate(self, password: str, user: object = None) -> None:
        if variants(password) & known_passwords():
            raise ValidationError(
                _("This password, or one very like it, appears in lists of breached passwords."),
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return _(
            "Do not use a password that has appeared in a data breach or is easy to guess, "
            "even with a few letters or digits changed."
        )
