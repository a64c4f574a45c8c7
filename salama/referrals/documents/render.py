"""Write a draft's blocks as DOCX (python-docx) or PDF (fpdf2), in memory.

Arabic is right to left: DOCX paragraphs carry `w:bidi`, and the PDF is shaped with HarfBuzz
(fpdf2's text shaping) in the vendored Noto Naskh Arabic, with Noto Sans as the fallback for
Latin text (and the other way round for the other languages).
"""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings

from .kinds import Block

FONTS = Path(settings.BASE_DIR) / "static" / "vendor" / "fonts"
RTL_LANGUAGES = frozenset({"ar"})


def _set_rtl(paragraph: object) -> None:
    from docx.oxml import OxmlElement

    properties = paragraph._p.get_or_add_pPr()  # type: ignore[attr-defined]
    properties.append(OxmlElement("w:bidi"))
    for run in paragraph.runs:  # type: ignore[attr-defined]
        run._r.get_or_add_rPr().append(OxmlElement("w:rtl"))


def docx(blocks: list[Block], language: str) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = Document()
    document.core_properties.language = language
    rtl = language in RTL_LANGUAGES
    for style, text in blocks:
        if style == "title":
            paragraph = document.add_heading(text, level=0)
        elif style == "h":
            paragraph = document.add_heading(text, level=1)
        elif style == "li":
            paragraph = document.add_paragraph(text, style="List Bullet")
        else:
            paragraph = document.add_paragraph(text)
        if rtl:
            _set_rtl(paragraph)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


SIZES = {"title": 16, "h": 13, "li": 11, "p": 11}


def pdf(blocks: list[Block], language: str) -> bytes:
    from fpdf import FPDF

    document = FPDF(format="A4")
    document.set_auto_page_break(auto=True, margin=18)
    document.set_margins(18, 18, 18)
    document.add_font("sans", "", FONTS / "NotoSans-Regular.ttf")
    document.add_font("sans", "B", FONTS / "NotoSans-Bold.ttf")
    document.add_font("naskh", "", FONTS / "NotoNaskhArabic-Regular.ttf")
    document.add_font("naskh", "B", FONTS / "NotoNaskhArabic-Bold.ttf")
    rtl = language in RTL_LANGUAGES
    main, fallback = ("naskh", "sans") if rtl else ("sans", "naskh")
    document.set_fallback_fonts([fallback])
    # Shaping joins Arabic letters; fpdf2's bidi algorithm orders mixed runs.
    document.set_text_shaping(True)
    document.set_lang(language)
    document.add_page()
    align = "R" if rtl else "L"
    for style, text in blocks:
        bold = "B" if style in {"title", "h"} else ""
        document.set_font(main, bold, SIZES[style])
        if style in {"title", "h"}:
            document.ln(3)
        if style == "li":
            text = f"\u2022 {text}"
        for line in text.splitlines() or [""]:
            document.multi_cell(0, SIZES[style] * 0.55, line, align=align, new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())
