"""Submission drafts generated from a case (docs/referrals.md): the kinds, what each is missing,
and the DOCX or PDF made in memory, in the chosen language."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from ..models import Referral
from . import render
from .facts import gather
from .kinds import KINDS, Kind, Missing

__all__ = ["FORMATS", "KINDS", "LANGUAGES", "Kind", "Missing", "generate", "missing_facts"]

LANGUAGES = [code for code, _name in settings.LANGUAGES]
FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


def missing_facts(referral: Referral, kind: str, language: str | None = None) -> list[Missing]:
    with translation.override(language or translation.get_language()):
        return KINDS[kind].required(referral)


def blocks(referral: Referral, kind: str, language: str) -> list[tuple[str, str]]:
    with translation.override(language):
        facts = gather(referral, KINDS[kind].public, language)
        return KINDS[kind].build(facts)


def generate(referral: Referral, kind: str, language: str, fmt: str) -> bytes:
    content = blocks(referral, kind, language)
    return render.docx(content, language) if fmt == "docx" else render.pdf(content, language)
