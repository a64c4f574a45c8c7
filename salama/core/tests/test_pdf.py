"""The shared PDF setup: every line is drawn in a font, and numbers keep their order in Arabic."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from salama.core.bidi import keep_numbers_in_order
from salama.core.pdf import new_document, write_paragraph

LRI, PDI = "\u2066", "\u2069"


def text_drawn_without_a_font(content: bytes) -> list[bytes]:
    """The strings a reader would draw with no font in effect, following q/Q and BT/ET as a viewer does."""
    reader = PdfReader(io.BytesIO(content))
    orphaned: list[bytes] = []
    for page in reader.pages:
        font: object = None
        saved: list[object] = []
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"q":
                saved.append(font)
            elif operator == b"Q":
                font = saved.pop()
            elif operator == b"Tf":
                font = operands[0]
            elif operator in (b"Tj", b"TJ") and font is None:
                orphaned.append(repr(operands).encode())
    return orphaned


def arabic_page(language: str = "ar") -> bytes:
    document, family = new_document(language)
    document.add_page()
    document.set_font(family, "", 11)
    # A line that opens in the fallback font (the bullet, a Latin name), then Arabic lines.
    write_paragraph(document, "\u2022 Lucía P. (اسم مستعار)", language, 11)
    write_paragraph(document, "النوع الاجتماعي: غير معروف · البلد: كولومبيا", language, 11)
    write_paragraph(document, "مرجعنا: 2026-0001", language, 11)
    return bytes(document.output())


@pytest.mark.parametrize("language", ["ar", "en"])
def test_every_line_is_drawn_in_a_font(language: str) -> None:
    content = arabic_page(language)
    assert PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert text_drawn_without_a_font(content) == []


def test_references_and_dates_are_isolated_in_right_to_left_text() -> None:
    assert keep_numbers_in_order("مرجعنا: 2026-0001 في 2026-03-14", "ar") == (
        f"مرجعنا: {LRI}2026-0001{PDI} في {LRI}2026-03-14{PDI}"
    )
    assert keep_numbers_in_order("مرجعنا: 12 حادثة", "ar") == "مرجعنا: 12 حادثة"
    assert keep_numbers_in_order("Reference 2026-0001", "en") == "Reference 2026-0001"


def test_an_arabic_reference_prints_in_its_own_order() -> None:
    printed = PdfReader(io.BytesIO(arabic_page())).pages[0].extract_text()
    assert "2026-0001" in printed
    assert "0001-2026" not in printed
