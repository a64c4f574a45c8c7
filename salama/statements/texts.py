"""The statement's text as signers and readers get it: its version hash and the final text.

The version is a SHA-256 over every language version (language, title, body), so a change to
any of them, adding or removing a language included, is a new version. The hash is of the
plain text and names nothing by itself; it is stored next to each signature.

The final text is the chosen language's title and body followed by the signatories: the
drafting organisation first, then alphabetically by the name each organisation chose, and only
signatures on the current version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _

from .access import signatories_of, texts_of
from .models import JointStatement


def text_version(statement: JointStatement) -> str:
    texts = [[text.language, text.title, text.body] for text in texts_of(statement)]
    if not texts:
        return ""
    canonical = json.dumps(texts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class FinalText:
    language: str
    title: str
    body: str
    signatories: list[str]

    @property
    def rtl(self) -> bool:
        return bool(translation.get_language_info(self.language)["bidi"])


def chosen_language(statement: JointStatement, asked: str) -> str:
    """The language asked for if the statement has it, else its main language, else any."""
    languages = [text.language for text in texts_of(statement)]
    if asked in languages:
        return asked
    if statement.default_language in languages:
        return statement.default_language
    return languages[0] if languages else statement.default_language


def final_text(statement: JointStatement, language: str) -> FinalText:
    text = texts_of(statement).filter(language=chosen_language(statement, language)).first()
    return FinalText(
        language=text.language if text else statement.default_language,
        title=text.title if text else statement.title,
        body=text.body if text else "",
        signatories=[signature.display_name for signature in signatories_of(statement)],
    )


def as_plain_text(final: FinalText) -> str:
    with translation.override(final.language):
        heading = _("Signatories")
    lines = [final.title, "", final.body.strip(), "", heading, ""]
    lines += [f"- {name}" for name in final.signatories]
    return "\n".join(lines) + "\n"
