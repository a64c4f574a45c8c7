"""The PDF documents Salama writes (submission drafts, the printed analysis) share one setup.

fpdf2 with the vendored Noto fonts: Noto Sans for Latin text and Noto Naskh Arabic for Arabic,
each the other's fallback, and HarfBuzz shaping (fpdf2's text shaping) so that Arabic letters
join and mixed runs are ordered by the bidi algorithm. Nothing is fetched at run time.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings

from salama.core.bidi import is_rtl, keep_numbers_in_order

if TYPE_CHECKING:
    from fpdf import FPDF

FONTS = Path(settings.BASE_DIR) / "static" / "vendor" / "fonts"
LATIN, ARABIC = "sans", "naskh"


def write_paragraph(document: FPDF, text: str, language: str, size: float) -> None:
    """A paragraph in the current font, aligned to the reading side, its numbers kept in order."""
    align = "R" if is_rtl(language) else "L"
    for line in text.splitlines() or [""]:
        ordered = keep_numbers_in_order(line, language)
        document.multi_cell(0, size * 0.55, ordered, align=align, new_x="LMARGIN", new_y="NEXT")


@functools.cache
def _document_class() -> type[FPDF]:
    from fpdf import FPDF

    class Document(FPDF):
        def _render_styled_text_line(self, *args: Any, **kwargs: Any) -> bool:
            # fpdf2 2.8 sets the font of a line that opens in a fallback font (a bullet, a Latin
            # name in Arabic text) inside q...Q, then takes it as still set: the next line would
            # print its glyph numbers in the wrong font. Setting the font on every line costs one
            # operator a line and keeps every line readable.
            self.current_font_is_set_on_page = False
            return super()._render_styled_text_line(*args, **kwargs)  # type: ignore[no-any-return]

    return Document


def new_document(language: str, *, orientation: str = "portrait") -> tuple[FPDF, str]:
    """An A4 document with the fonts registered and shaping on, and the family to write in."""
    document = _document_class()(orientation=orientation, format="A4")
    document.set_auto_page_break(auto=True, margin=18)
    document.set_margins(18, 18, 18)
    document.add_font(LATIN, "", FONTS / "NotoSans-Regular.ttf")
    document.add_font(LATIN, "B", FONTS / "NotoSans-Bold.ttf")
    document.add_font(ARABIC, "", FONTS / "NotoNaskhArabic-Regular.ttf")
    document.add_font(ARABIC, "B", FONTS / "NotoNaskhArabic-Bold.ttf")
    main, fallback = (ARABIC, LATIN) if is_rtl(language) else (LATIN, ARABIC)
    document.set_fallback_fonts([fallback])
    # Shaping joins Arabic letters; fpdf2's bidi algorithm orders mixed runs.
    document.set_text_shaping(True)
    document.set_lang(language)
    return document, main
