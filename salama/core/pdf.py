"""The PDF documents Salama writes (submission drafts, the printed analysis) share one setup.

fpdf2 with the vendored Noto fonts: Noto Sans for Latin text and Noto Naskh Arabic for Arabic,
each the other's fallback, and HarfBuzz shaping (fpdf2's text shaping) so that Arabic letters
join and mixed runs are ordered by the bidi algorithm. Nothing is fetched at run time.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from fpdf import FPDF

FONTS = Path(settings.BASE_DIR) / "static" / "vendor" / "fonts"
RTL_LANGUAGES = frozenset({"ar"})
LATIN, ARABIC = "sans", "naskh"


def is_rtl(language: str) -> bool:
    return language in RTL_LANGUAGES


def new_document(language: str, *, orientation: str = "portrait") -> tuple[FPDF, str]:
    """An A4 document with the fonts registered and shaping on, and the family to write in."""
    from fpdf import FPDF

    document = FPDF(orientation=orientation, format="A4")
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
