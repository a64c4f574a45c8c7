"""PNG renderings of the charts and the map, painted with Pillow from the same `Scene` the SVG is
written from (never by rasterising the SVG), in memory.

Text uses the Noto fonts vendored in `salama/static/vendor/fonts/`: Noto Sans, and Noto Naskh
Arabic for any label with Arabic letters. Arabic is shaped and ordered right to left when Pillow
has its Raqm layout engine (libraqm); without it letters come out unjoined, so the SVG is the
download to prefer for Arabic labels.
"""

from __future__ import annotations

import io
import itertools
import re
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, features

from .charts import BACKGROUND, HATCH_INK, Area, Line, Marker, Rect, Scene, Text, _marker_points, right_to_left

FONTS = Path(__file__).resolve().parent.parent / "static" / "vendor" / "fonts"
ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
SCALE = 2  # pixels per layout unit: sharp on high-density screens and in print


@cache
def _font(size: int, bold: bool, arabic: bool) -> ImageFont.FreeTypeFont:
    name = ("NotoNaskhArabic" if arabic else "NotoSans") + ("-Bold" if bold else "-Regular") + ".ttf"
    engine = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(FONTS / name), size, layout_engine=engine)


def _direction(run: str) -> str:
    return "rtl" if ARABIC.search(run) else "ltr"


def _runs(text: str) -> list[tuple[str, bool]]:
    """The text cut where it changes between Arabic and other letters; spaces, digits and
    punctuation stay with the run they follow."""
    runs: list[tuple[str, bool]] = []
    for char in text:
        arabic = bool(ARABIC.match(char)) if char.isalpha() else None
        if runs and (arabic is None or arabic == runs[-1][1]):
            runs[-1] = (runs[-1][0] + char, runs[-1][1])
        else:
            runs.append((char, bool(arabic)))
    return runs


def _hatch(size: tuple[int, int], scale: int) -> Image.Image:
    """A full-size sheet of diagonal lines; pasted through a shape's mask it hatches the shape."""
    sheet = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    step = 6 * scale
    for offset in range(-size[1], size[0], step):
        draw.line([(offset, size[1]), (offset + size[1], 0)], fill=HATCH_INK, width=scale)
    return sheet


class _Painter:
    def __init__(self, scene: Scene, scale: int) -> None:
        self.scene, self.scale = scene, scale
        size = (round(scene.width * scale), round(scene.height * scale))
        self.image = Image.new("RGB", size, BACKGROUND)
        self.draw = ImageDraw.Draw(self.image)
        self._sheet: Image.Image | None = None

    def _p(self, x: float, y: float) -> tuple[float, float]:
        return x * self.scale, y * self.scale

    def _hatched(self, outline: list[list[tuple[float, float]]]) -> None:
        if self._sheet is None:
            self._sheet = _hatch(self.image.size, self.scale)
        mask = Image.new("L", self.image.size, 0)
        mask_draw = ImageDraw.Draw(mask)
        for number, ring in enumerate(outline):
            mask_draw.polygon(ring, fill=255 if number == 0 else 0)
        self.image.paste(self._sheet, (0, 0), mask)

    def rect(self, shape: Rect) -> None:
        box = [self._p(shape.x, shape.y), self._p(shape.x + shape.width, shape.y + shape.height)]
        if shape.hatched:
            (x0, y0), (x1, y1) = box
            self._hatched([[(x0, y0), (x1, y0), (x1, y1), (x0, y1)]])
            if shape.stroke:
                self.draw.rectangle(box, outline=shape.stroke, width=1)
            return
        self.draw.rectangle(box, fill=shape.fill, outline=shape.stroke or None, width=1)

    def line(self, shape: Line) -> None:
        points = [self._p(x, y) for x, y in shape.points]
        width = max(round(shape.width * self.scale), 1)
        if not shape.dash:
            self.draw.line(points, fill=shape.stroke, width=width, joint="curve")
            return
        pattern = [d * self.scale for d in shape.dash]
        for start, end in itertools.pairwise(points):
            self._dashed(start, end, pattern, shape.stroke, width)

    def _dashed(
        self, start: tuple[float, float], end: tuple[float, float], pattern: list[int], colour: str, width: int
    ) -> None:
        (x0, y0), (x1, y1) = start, end
        length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5 or 1
        travelled, index = 0.0, 0
        while travelled < length:
            step = min(pattern[index % len(pattern)], length - travelled)
            if index % 2 == 0:
                a, b = travelled / length, (travelled + step) / length
                self.draw.line(
                    [(x0 + (x1 - x0) * a, y0 + (y1 - y0) * a), (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b)],
                    fill=colour,
                    width=width,
                )
            travelled += step
            index += 1

    def marker(self, shape: Marker) -> None:
        x, y = self._p(shape.x, shape.y)
        size = shape.size * self.scale
        if shape.shape == "circle":
            self.draw.ellipse([x - size, y - size, x + size, y + size], fill=shape.fill, outline=BACKGROUND)
            return
        points = [self._p(px, py) for px, py in _marker_points(shape.shape, shape.x, shape.y, shape.size)]
        self.draw.polygon(points, fill=shape.fill, outline=BACKGROUND)

    def text(self, shape: Text) -> None:
        """Each script run in the font that has its letters, runs in reading order: a basic bidi
        that is enough for a label mixing Arabic and Latin words."""
        raqm = features.check("raqm")
        runs = [(run, _font(shape.size * self.scale, shape.bold, arabic)) for run, arabic in _runs(shape.text)]
        if right_to_left(shape.text):
            runs.reverse()
        widths = [
            self.draw.textlength(run, font=font, direction=_direction(run) if raqm else None) for run, font in runs
        ]
        x, y = self._p(shape.x, shape.y)
        x -= {"left": 0, "center": sum(widths) / 2, "right": sum(widths)}[shape.align]
        for (run, font), width in zip(runs, widths, strict=True):
            direction = _direction(run) if raqm else None
            self.draw.text((x, y), run, fill=shape.fill, font=font, anchor="ls", direction=direction)
            x += width

    def area(self, shape: Area) -> None:
        for polygon in shape.polygons:
            rings = [[self._p(ring[i], ring[i + 1]) for i in range(0, len(ring), 2)] for ring in polygon]
            if shape.hatched:
                self._hatched(rings)
            else:
                self.draw.polygon(rings[0], fill=shape.fill)
                for hole in rings[1:]:  # an enclave is a country of its own, drawn after
                    self.draw.polygon(hole, fill=BACKGROUND)
            for ring in rings:
                self.draw.line([*ring, ring[0]], fill=BACKGROUND, width=1)

    def paint(self) -> bytes:
        handlers = {Rect: self.rect, Line: self.line, Marker: self.marker, Text: self.text, Area: self.area}
        for shape in self.scene.shapes:
            handlers[type(shape)](shape)  # type: ignore[operator]
        out = io.BytesIO()
        self.image.save(out, format="PNG", optimize=True)
        return out.getvalue()


def png(scene: Scene, scale: int = SCALE) -> bytes:
    """The scene as PNG bytes, `scale` pixels per layout unit."""
    return _Painter(scene, scale).paint()
