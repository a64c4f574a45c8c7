"""Write a draft's blocks as DOCX (python-docx) or PDF (fpdf2), in memory.

Arabic is right to left: DOCX paragraphs carry `w:bidi`, and the PDF is shaped with HarfBuzz in
the vendored fonts, set up once for every PDF Salama writes (`salama.core.pdf`). In both, the
references and dates in Arabic text are isolated left to right, so they read as written.
"""

from __future__ import annotations

import io

from salama.core.bidi import is_rtl, keep_numbers_in_order
from salama.core.pdf import new_document, write_paragraph

from .kinds import Block


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
    rtl = is_rtl(language)
    for style, written in blocks:
        # Word orders mixed text by the same bidi rules as the PDF: references need the same care.
        text = keep_numbers_in_order(written, language)
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
    document, main = new_document(language)
    document.add_page()
    for style, text in blocks:
        bold = "B" if style in {"title", "h"} else ""
        document.set_font(main, bold, SIZES[style])
        if style in {"title", "h"}:
            document.ln(3)
        if style == "li":
            text = f"\u2022 {text}"
        write_paragraph(document, text, language, SIZES[style])
    return bytes(document.output())
