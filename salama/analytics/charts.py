"""Charts of a `Table`, drawn on the server: horizontal bar, line, stacked bar and heat map.

Each chart is laid out once, as a `Scene` of plain shapes in pixel coordinates; `svg()` writes a
scene as SVG text and `salama.analytics.png` paints the very same scene with Pillow, so the two
downloads cannot disagree. `data_table_html()` writes the numbers of the same table as an HTML
table, which every page shows next to its chart (a chart alone is not readable by everyone).

Rules every chart keeps:
- a hidden (suppressed) count is drawn hatched and labelled "hidden", never as zero or as a size;
- colours come from colour-blind-safe palettes, and lines also differ by dash and marker;
- every label is escaped; the SVG carries no script and no external font;
- in a right-to-left language the whole layout is mirrored (labels on the right, bars growing
  leftwards, time running from right to left).

No Django models here: pure functions of a `Table`, testable alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from xml.sax.saxutils import escape, quoteattr

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .tables import FOLLOW_UPS, INCIDENTS, REFERRALS, RESPONSES, VICTIMS, Axis, Table

FONT_FAMILY = "system-ui, sans-serif"
BACKGROUND = "#ffffff"
INK = "#1a1a1a"
MUTED = "#595959"  # 7:1 on white: axis labels and hatching
GRID = "#d9d9d9"
NO_DATA = "#e6e6e6"
HATCH_INK = "#595959"

# Okabe & Ito's colour-blind-safe qualitative palette, the light members darkened so that every
# line and bar keeps at least 3:1 against the white background (WCAG 1.4.11).
SERIES_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC3399", "#8C6400", "#882255", "#7A5195", "#000000")
OTHER_COLOUR = "#767676"
DASHES: tuple[tuple[int, ...], ...] = ((), (6, 3), (2, 2), (8, 3, 2, 3), (), (6, 3), (2, 2), (8, 3, 2, 3))
MARKERS = ("circle", "square", "triangle", "diamond", "square", "circle", "diamond", "triangle")
# ColorBrewer YlGnBu, 5 classes: colour-blind safe, light to dark (the fourth a shade darker so that
# white numbers on it keep 4.5:1).
SEQUENTIAL = ("#ffffcc", "#a1dab4", "#41b6c4", "#2673ad", "#253494")

MAX_SERIES = 8
WIDTH = 720
TITLE_SIZE = 15
LABEL_SIZE = 12
SMALL_SIZE = 11
CHAR_WIDTH = 0.58  # average advance of a sans-serif character, in ems: layout must not need the font


# -- the scene: plain shapes both writers draw ---------------------------------------------------


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str
    hatched: bool = False
    stroke: str = ""
    title: str = ""
    value: int | None = None  # a data mark carries its count; None with `mark` means hidden
    mark: bool = False


@dataclass(frozen=True)
class Line:
    points: tuple[tuple[float, float], ...]
    stroke: str
    width: float = 1.0
    dash: tuple[int, ...] = ()


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    shape: str
    fill: str
    title: str = ""
    value: int | None = None
    size: float = 4.0


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # the baseline
    text: str
    size: int = LABEL_SIZE
    align: str = "left"  # where x sits on the text, as seen: left, center or right
    bold: bool = False
    fill: str = INK
    title: str = ""  # the full label when `text` had to be shortened


@dataclass(frozen=True)
class Area:
    """A country: polygons, each an outer ring then its holes, as flat x, y lists."""

    polygons: tuple[tuple[tuple[float, ...], ...], ...]
    fill: str
    hatched: bool = False
    title: str = ""
    href: str | None = None
    value: int | None = None
    code: str = ""


Shape = Rect | Line | Marker | Text | Area


@dataclass(frozen=True)
class Scene:
    width: float
    height: float
    title: str
    desc: str
    shapes: tuple[Shape, ...]
    rtl: bool = False
    kind: str = "chart"


# -- small helpers -------------------------------------------------------------------------------


def text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_WIDTH


def fit(text: str, width: float, size: float) -> str:
    """The label, shortened with an ellipsis to fit `width` pixels; the full one goes in a title."""
    room = max(int(width / (size * CHAR_WIDTH)), 2)
    return text if len(text) <= room else text[: room - 1].rstrip() + "…"


def two_lines(text: str, width: float, size: float) -> list[str]:
    """The label on one line if it fits, else broken at a space onto two, the second shortened."""
    if text_width(text, size) <= width or " " not in text:
        return [fit(text, width, size)]
    words, first = text.split(" "), ""
    while words and text_width((first + " " + words[0]).strip(), size) <= width:
        first = (first + " " + words.pop(0)).strip()
    if not first:
        first = fit(words.pop(0), width, size)
    return [first, fit(" ".join(words), width, size)] if words else [first]


def nice_ticks(maximum: int, count: int = 5) -> list[int]:
    """Round tick values from 0 to at least `maximum` (1, 2 or 5 times a power of ten apart)."""
    if maximum <= 0:
        return [0, 1]
    raw = maximum / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(power * m for m in (1, 2, 5, 10) if power * m >= raw)
    step = max(int(step), 1)
    top = math.ceil(maximum / step) * step
    return list(range(0, top + 1, step))


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def ink_on(fill: str) -> str:
    return INK if contrast(INK, fill) >= contrast("#ffffff", fill) else "#ffffff"


def unit_label(unit: str) -> str:
    if unit == INCIDENTS:
        return _("Incidents")
    if unit == VICTIMS:
        return _("Victims")
    # The response-effectiveness tables (salama.analytics.effectiveness) count these.
    response_units = {REFERRALS: _("Referrals"), RESPONSES: _("Responses"), FOLLOW_UPS: _("Defenders followed")}
    return response_units.get(unit, _("Acts"))


def chart_title(table: Table) -> str:
    if table.one_way:
        return _("%(unit)s by %(rows)s") % {"unit": unit_label(table.unit), "rows": table.rows.label}
    return _("%(unit)s by %(rows)s and %(columns)s") % {
        "unit": unit_label(table.unit),
        "rows": table.rows.label,
        "columns": table.columns.label,
    }


def row_values(table: Table) -> list[int | None]:
    """One count per row: the cell of a one-way table, else the row's distinct total."""
    if table.one_way:
        return [table.cell(r, 0) for r in range(len(table.rows.keys))]
    return [None if (r, -1) in table.suppressed else table.row_totals[r] for r in range(len(table.rows.keys))]


def hidden_title(*labels: str) -> str:
    return _("%(what)s: hidden") % {"what": ", ".join(label for label in labels if label)}


def value_title(value: int, *labels: str) -> str:
    return f"{', '.join(label for label in labels if label)}: {value}"


def hidden_mark(x: float, y: float, width: float, height: float, title: str, stroke: str = MUTED) -> Rect:
    """Where a hidden count goes: hatched, of a fixed size that claims no value."""
    return Rect(x, y, width, height, BACKGROUND, hatched=True, stroke=stroke, title=title, mark=True)


def value_mark(x: float, y: float, width: float, height: float, fill: str, value: int, title: str) -> Rect:
    return Rect(x, y, width, height, fill, stroke=BACKGROUND, title=title, value=value, mark=True)


def group_columns(table: Table, limit: int = MAX_SERIES) -> Table:
    """The `limit` largest columns and one "Other" column adding up the rest.

    An "Other" cell that would add a hidden cell is hidden itself: adding it to visible cells
    would let a reader subtract its way back to it."""
    if table.one_way or len(table.columns.keys) <= limit:
        return table
    ranked = sorted(range(len(table.columns.keys)), key=lambda c: (-table.column_totals[c], c))
    kept, rest = sorted(ranked[: limit - 1]), ranked[limit - 1 :]
    counts, suppressed = [], set()
    for r, row in enumerate(table.counts):
        other = sum(row[c] for c in rest)
        counts.append((*(row[c] for c in kept), other))
        suppressed |= {(r, i) for i, c in enumerate(kept) if (r, c) in table.suppressed}
        if any((r, c) in table.suppressed for c in rest):
            suppressed.add((r, len(kept)))
    columns = Axis(
        table.columns.dimension,
        table.columns.label,
        (*(table.columns.keys[c] for c in kept), "_other"),
        (*(table.columns.labels[c] for c in kept), _("Other")),
        table.columns.multi_valued,
    )
    note = _("The smaller columns are added up as “Other”; a unit under several of them counts once for each.")
    return replace(
        table,
        columns=columns,
        counts=tuple(counts),
        column_totals=(*(table.column_totals[c] for c in kept), sum(table.column_totals[c] for c in rest)),
        suppressed=frozenset(suppressed | {p for p in table.suppressed if p[1] == -1}),
        notes=(*table.notes, note),
    )


def _mirror(shapes: Sequence[Shape], width: float) -> tuple[Shape, ...]:
    flipped: list[Shape] = []
    swap = {"left": "right", "right": "left", "center": "center"}
    for shape in shapes:
        if isinstance(shape, Rect):
            flipped.append(replace(shape, x=width - shape.x - shape.width))
        elif isinstance(shape, Line):
            flipped.append(replace(shape, points=tuple((width - x, y) for x, y in shape.points)))
        elif isinstance(shape, Marker):
            flipped.append(replace(shape, x=width - shape.x))
        elif isinstance(shape, Text):
            flipped.append(replace(shape, x=width - shape.x, align=swap[shape.align]))
        else:
            flipped.append(shape)
    return tuple(flipped)


def _finish(shapes: list[Shape], *, width: float, height: float, title: str, desc: str, rtl: bool) -> Scene:
    laid = _mirror(shapes, width) if rtl else tuple(shapes)
    return Scene(width=width, height=math.ceil(height), title=title, desc=desc, shapes=laid, rtl=rtl)


def _heading(title: str, width: float) -> list[Shape]:
    return [Text(16, 24, fit(title, width - 32, TITLE_SIZE), TITLE_SIZE, bold=True, title=title)]


def _hidden_legend(x: float, y: float) -> list[Shape]:
    return [
        Rect(x, y - 10, 14, 12, BACKGROUND, hatched=True, stroke=MUTED),
        Text(x + 20, y, _("Hidden to protect small counts"), SMALL_SIZE, fill=MUTED),
    ]


def _empty(title: str, rtl: bool) -> Scene:
    message = _("No data match these filters.")
    shapes: list[Shape] = [*_heading(title, WIDTH), Text(16, 64, message, LABEL_SIZE, fill=MUTED)]
    return _finish(shapes, width=WIDTH, height=90, title=title, desc=message, rtl=rtl)


def _is_empty(table: Table) -> bool:
    return not table.rows.keys or (table.total == 0 and not table.suppressed)


def _highest(values: Sequence[int | None], labels: Sequence[str]) -> tuple[str, int] | None:
    visible = [(v, i) for i, v in enumerate(values) if v is not None]
    if not visible:
        return None
    value, index = max(visible, key=lambda pair: (pair[0], -pair[1]))
    return labels[index], value


def _describe(table: Table, subject: str, highest: tuple[str, int] | None, hidden: int) -> str:
    parts = [
        ngettext("%(subject)s: %(count)d value.", "%(subject)s: %(count)d values.", len(table.rows.keys))
        % {"subject": subject, "count": len(table.rows.keys)}
    ]
    if highest:
        parts.append(_("Highest: %(label)s (%(value)d).") % {"label": highest[0], "value": highest[1]})
    if hidden:
        parts.append(ngettext("%(count)d count is hidden.", "%(count)d counts are hidden.", hidden) % {"count": hidden})
    return " ".join(parts)


def _value_axis(ticks: list[int], left: float, right: float, top: float, bottom: float) -> list[Shape]:
    """Vertical grid lines with their values under the plot (bars grow along x)."""
    shapes: list[Shape] = []
    for tick in ticks:
        x = left + (right - left) * tick / ticks[-1]
        shapes.append(Line(((x, top), (x, bottom)), GRID))
        shapes.append(Text(x, bottom + 14, str(tick), SMALL_SIZE, align="center", fill=MUTED))
    return shapes


# -- bar -----------------------------------------------------------------------------------------


def bar_layout(table: Table, *, rtl: bool = False, width: int = WIDTH) -> Scene:
    """Horizontal bars, one per row: long labels stay readable, and the value is written at the
    end of each bar."""
    title = chart_title(table)
    if _is_empty(table):
        return _empty(title, rtl)
    values = row_values(table)
    labels = table.rows.labels
    label_width = min(max(text_width(label, LABEL_SIZE) for label in labels) + 8, width * 0.38)
    left, right, top, row_height = 16 + label_width, width - 56, 44, 24
    bottom = top + row_height * len(labels)
    ticks = nice_ticks(max((v for v in values if v is not None), default=0))
    shapes: list[Shape] = [*_heading(title, width), *_value_axis(ticks, left, right, top, bottom)]
    for r, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + r * row_height
        shown = fit(label, label_width - 8, LABEL_SIZE)
        shapes.append(Text(left - 8, y + 16, shown, LABEL_SIZE, align="right", title=label if shown != label else ""))
        if value is None:
            shapes.append(hidden_mark(left, y + 4, 28, row_height - 8, hidden_title(label)))
            shapes.append(Text(left + 34, y + 16, _("hidden"), SMALL_SIZE, fill=MUTED))
            continue
        length = (right - left) * value / ticks[-1]
        shapes.append(
            value_mark(left, y + 4, length, row_height - 8, SERIES_COLOURS[0], value, value_title(value, label))
        )
        shapes.append(Text(left + length + 4, y + 16, str(value), SMALL_SIZE))
    shapes.append(Line(((left, top), (left, bottom)), INK))
    shapes.append(Text((left + right) / 2, bottom + 32, unit_label(table.unit), SMALL_SIZE, align="center"))
    height = bottom + 44
    hidden = values.count(None)
    if hidden:
        shapes += _hidden_legend(left, height)
        height += 16
    desc = _describe(table, title, _highest(values, labels), hidden)
    return _finish(shapes, width=width, height=height, title=title, desc=desc, rtl=rtl)


# -- line ----------------------------------------------------------------------------------------


def _series(table: Table) -> tuple[Table, list[str], list[list[int | None]]]:
    """The table as drawn, its series' labels and, per series, one value per period."""
    if table.one_way:
        return table, [unit_label(table.unit)], [[table.cell(r, 0) for r in range(len(table.rows.keys))]]
    drawn = group_columns(table)
    columns = range(len(drawn.columns.keys))
    return drawn, list(drawn.columns.labels), [[drawn.cell(r, c) for r in range(len(drawn.rows.keys))] for c in columns]


def _colour(index: int, table: Table) -> str:
    if not table.one_way and table.columns.keys[index] == "_other":
        return OTHER_COLOUR
    return SERIES_COLOURS[index % len(SERIES_COLOURS)]


def _legend(entries: Sequence[tuple[str, str, int]], x: float, y: float, width: float, line: bool) -> list[Shape]:
    """Swatches with labels, flowing into as many lines as needed; returns shapes ending near y."""
    shapes: list[Shape] = []
    cursor, column_width = x, 150
    for label, colour, index in entries:
        if cursor + column_width > width:
            cursor, y = x, y + 18
        if line:
            shapes.append(Line(((cursor, y - 4), (cursor + 22, y - 4)), colour, 2.5, DASHES[index % len(DASHES)]))
            shapes.append(Marker(cursor + 11, y - 4, MARKERS[index % len(MARKERS)], colour))
        else:
            shapes.append(Rect(cursor, y - 10, 14, 12, colour))
        shown = fit(label, column_width - 34, SMALL_SIZE)
        shapes.append(Text(cursor + 28, y, shown, SMALL_SIZE, title=label if shown != label else ""))
        cursor += column_width
    return shapes


def line_layout(table: Table, *, rtl: bool = False, width: int = WIDTH) -> Scene:
    """Rows are periods, in order; one line per column value (the largest eight, then "Other").
    A hidden count breaks its line and is marked, hatched, on the time axis."""
    title = chart_title(table)
    if _is_empty(table):
        return _empty(title, rtl)
    drawn, labels, series = _series(table)
    periods = drawn.rows.labels
    ticks = nice_ticks(max((v for s in series for v in s if v is not None), default=0))
    left, right, top, bottom = 56, width - 24, 44, 284
    step = (right - left) / max(len(periods) - 1, 1)

    def x_of(index: int) -> float:
        return left + step * index if len(periods) > 1 else (left + right) / 2

    def y_of(value: int) -> float:
        return bottom - (bottom - top) * value / ticks[-1]

    shapes: list[Shape] = [*_heading(title, width)]
    for tick in ticks:
        shapes.append(Line(((left, y_of(tick)), (right, y_of(tick))), GRID))
        shapes.append(Text(left - 6, y_of(tick) + 4, str(tick), SMALL_SIZE, align="right", fill=MUTED))
    every = max(1, math.ceil(max(text_width(p, SMALL_SIZE) for p in periods) / max(step, 1) * 1.2))
    for i, period in enumerate(periods):
        if i % every == 0:
            shapes.append(Line(((x_of(i), bottom), (x_of(i), bottom + 4)), INK))
            shapes.append(Text(x_of(i), bottom + 18, period, SMALL_SIZE, align="center"))
    hidden_at = [0] * len(periods)
    for s, (label, values) in enumerate(zip(labels, series, strict=True)):
        colour = _colour(s, drawn)
        run: list[tuple[float, float]] = []
        for i, value in enumerate([*values, None]):
            if value is not None:
                run.append((x_of(i), y_of(value)))
                continue
            if len(run) > 1:
                shapes.append(Line(tuple(run), colour, 2.5, DASHES[s % len(DASHES)]))
            run = []
            if i < len(values):  # in a strip under the time axis: a hidden count has no height
                hidden_at[i] += 1
                y = bottom + 16 + 10 * hidden_at[i]
                shapes.append(hidden_mark(x_of(i) - 4, y, 8, 8, hidden_title(label, periods[i])))
        for i, value in enumerate(values):
            if value is not None:
                shapes.append(
                    Marker(
                        x_of(i),
                        y_of(value),
                        MARKERS[s % len(MARKERS)],
                        colour,
                        value_title(value, label, periods[i]),
                        value,
                    )
                )
    shapes.append(Line(((left, top), (left, bottom), (right, bottom)), INK))
    hidden = sum(hidden_at)
    entries = [(label, _colour(s, drawn), s) for s, label in enumerate(labels)]
    legend = _legend(entries, left, bottom + 44 + 10 * max(hidden_at), width, line=True)
    shapes += legend
    height = max(s.y for s in legend if isinstance(s, Text)) + 16
    if hidden:
        shapes += _hidden_legend(left, height + 4)
        height += 20
    totals = [sum(v for v in values if v is not None) for values in series]
    desc = _describe(drawn, title, _highest(totals, labels), hidden)
    desc += " " + _("Periods from %(first)s to %(last)s.") % {"first": periods[0], "last": periods[-1]}
    return _finish(shapes, width=width, height=height + 8, title=title, desc=desc, rtl=rtl)


# -- stacked bar ---------------------------------------------------------------------------------


def stacked_layout(table: Table, *, rtl: bool = False, width: int = WIDTH) -> Scene:
    """One horizontal bar per row, split by the column values (the largest eight, then "Other").
    Hidden cells follow the visible ones as small hatched boxes that do not claim a size."""
    title = chart_title(table)
    if _is_empty(table):
        return _empty(title, rtl)
    drawn, labels, series = _series(table)
    rows = drawn.rows.labels
    label_width = min(max(text_width(label, LABEL_SIZE) for label in rows) + 8, width * 0.38)
    left, right, top, row_height = 16 + label_width, width - 56, 44, 26
    bottom = top + row_height * len(rows)
    sums = [sum(s[r] or 0 for s in series) for r in range(len(rows))]
    ticks = nice_ticks(max(sums, default=0))
    scale = (right - left) / ticks[-1]
    shapes: list[Shape] = [*_heading(title, width), *_value_axis(ticks, left, right, top, bottom)]
    hidden = 0
    for r, label in enumerate(rows):
        y, cursor = top + r * row_height, left
        shown = fit(label, label_width - 8, LABEL_SIZE)
        shapes.append(Text(left - 8, y + 17, shown, LABEL_SIZE, align="right", title=label if shown != label else ""))
        for s, column in enumerate(labels):
            value = series[s][r]
            if value:
                colour = _colour(s, drawn)
                title = value_title(value, label, column)
                shapes.append(value_mark(cursor, y + 4, value * scale, row_height - 8, colour, value, title))
                if value * scale > text_width(str(value), SMALL_SIZE) + 6:
                    shapes.append(
                        Text(cursor + value * scale / 2, y + 17, str(value), SMALL_SIZE, "center", fill=ink_on(colour))
                    )
                cursor += value * scale
        for s, column in enumerate(labels):
            if series[s][r] is None:
                hidden += 1
                shapes.append(hidden_mark(cursor + 2, y + 6, 10, row_height - 12, hidden_title(label, column)))
                cursor += 12
    shapes.append(Line(((left, top), (left, bottom)), INK))
    shapes.append(Text((left + right) / 2, bottom + 32, unit_label(table.unit), SMALL_SIZE, align="center"))
    entries = [(label, _colour(s, drawn), s) for s, label in enumerate(labels)]
    legend = _legend(entries, 16, bottom + 56, width, line=False)
    shapes += legend
    height = max(s.y for s in legend if isinstance(s, Text)) + 16
    if hidden:
        shapes += _hidden_legend(16, height + 4)
        height += 20
    desc = _describe(drawn, title, _highest(sums, rows), hidden)
    return _finish(shapes, width=width, height=height + 8, title=title, desc=desc, rtl=rtl)


# -- heat map ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColourClass:
    low: int
    high: int
    colour: str

    @property
    def label(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}\u2013{self.high}"


def colour_classes(values: Sequence[int | None], count: int = 5) -> list[ColourClass]:
    """Up to `count` classes of the positive visible values, by quantiles of the distinct values
    so that each class holds at least one; their colours run light to dark."""
    distinct = sorted({v for v in values if v})
    if not distinct:
        return []
    if len(distinct) <= count:
        starts = distinct
    else:
        starts = sorted({distinct[round(i * len(distinct) / count)] for i in range(count)})
    ends = [nxt - 1 for nxt in starts[1:]] + [distinct[-1]]
    palette = SEQUENTIAL if len(starts) == len(SEQUENTIAL) else SEQUENTIAL[len(SEQUENTIAL) - len(starts) :]
    return [ColourClass(low, high, colour) for low, high, colour in zip(starts, ends, palette, strict=True)]


def colour_of(value: int, classes: Sequence[ColourClass]) -> str:
    return next((c.colour for c in classes if c.low <= value <= c.high), NO_DATA)


def _class_legend(classes: Sequence[ColourClass], x: float, y: float, title: str, zero: str) -> list[Shape]:
    shapes: list[Shape] = [Text(x, y, title, SMALL_SIZE, bold=True)]
    for i, entry in enumerate([ColourClass(0, 0, NO_DATA), *classes]):
        label = zero if i == 0 else entry.label
        shapes.append(Rect(x, y + 8, 18, 12, entry.colour, stroke=MUTED))
        shapes.append(Text(x + 24, y + 18, label, SMALL_SIZE))
        x += max(84, 24 + text_width(label, SMALL_SIZE) + 20)
    return shapes


def heatmap_layout(table: Table, *, rtl: bool = False, width: int = WIDTH) -> Scene:
    """A grid of cells coloured by class, each with its count written in it."""
    title = chart_title(table)
    if _is_empty(table):
        return _empty(title, rtl)
    rows, columns = table.rows.labels, table.columns.labels
    label_width = min(max(text_width(label, LABEL_SIZE) for label in rows) + 8, width * 0.3)
    left, top, cell_height = 16 + label_width, 68, 26
    cell_width = max(min((width - left - 16) / max(len(columns), 1), 96), 36)
    values = [table.cell(r, c) for r in range(len(rows)) for c in range(len(columns))]
    classes = colour_classes(values)
    shapes: list[Shape] = [*_heading(title, width)]
    for c, column in enumerate(columns):
        lines = two_lines(column, cell_width - 4, SMALL_SIZE)
        for n, line in enumerate(lines):
            y = top - 8 - 14 * (len(lines) - 1 - n)
            shown_title = column if " ".join(lines) != column else ""
            shapes.append(
                Text(left + c * cell_width + cell_width / 2, y, line, SMALL_SIZE, "center", title=shown_title)
            )
    hidden = 0
    for r, row in enumerate(rows):
        y = top + r * cell_height
        shown = fit(row, label_width - 8, LABEL_SIZE)
        shapes.append(Text(left - 8, y + 17, shown, LABEL_SIZE, align="right", title=row if shown != row else ""))
        for c, column in enumerate(columns):
            x, value = left + c * cell_width, table.cell(r, c)
            if value is None:
                hidden += 1
                shapes.append(hidden_mark(x, y, cell_width, cell_height, hidden_title(row, column), BACKGROUND))
                continue
            colour = colour_of(value, classes)
            shapes.append(value_mark(x, y, cell_width, cell_height, colour, value, value_title(value, row, column)))
            shapes.append(Text(x + cell_width / 2, y + 17, str(value), SMALL_SIZE, "center", fill=ink_on(colour)))
    bottom = top + cell_height * len(rows)
    shapes += _class_legend(classes, 16, bottom + 24, unit_label(table.unit), "0")
    height = bottom + 56
    if hidden:
        shapes += _hidden_legend(16, height + 8)
        height += 20
    desc = _describe(table, title, _highest_cell(table), hidden)
    return _finish(
        shapes,
        width=max(width, left + cell_width * len(columns) + 16),
        height=height + 8,
        title=title,
        desc=desc,
        rtl=rtl,
    )


def _highest_cell(table: Table) -> tuple[str, int] | None:
    cells = [
        (f"{table.rows.labels[r]}, {table.columns.labels[c]}", table.cell(r, c))
        for r in range(len(table.rows.keys))
        for c in range(len(table.columns.keys))
    ]
    return _highest([v for _label, v in cells], [label for label, _v in cells])


LAYOUTS: dict[str, Callable[..., Scene]] = {
    "bar": bar_layout,
    "line": line_layout,
    "stacked": stacked_layout,
    "heatmap": heatmap_layout,
}


PERIODS = ("year", "quarter", "month")


def default_kind(table: Table) -> str:
    """The chart that reads best: a line over time, a heat map for a cross-tab, else bars."""
    if not table.one_way:
        return "heatmap"
    return "line" if table.rows.dimension in PERIODS else "bar"


def layout(kind: str, table: Table, *, rtl: bool = False) -> Scene:
    """The chart of `kind` for the table; a cross-tab asked for as bars is drawn stacked."""
    if kind == "bar" and not table.one_way:
        kind = "stacked"
    if kind in ("stacked", "heatmap") and table.one_way:
        kind = "bar"
    return LAYOUTS[kind](table, rtl=rtl)


# -- SVG -----------------------------------------------------------------------------------------

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: str) -> str:
    return escape(_NOT_XML.sub("", text))


def _a(text: str) -> str:
    return quoteattr(_NOT_XML.sub("", text))


def _n(number: float) -> str:
    return f"{number:.1f}".rstrip("0").rstrip(".")


def _title(text: str) -> str:
    return f"<title>{_x(text)}</title>" if text else ""


_RTL_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_LETTER = re.compile(r"[^\W\d_]")


def right_to_left(text: str) -> bool:
    """Whether a label reads right to left: its first letter decides, as in the Unicode bidi
    "first strong character" rule, so an English label stays left to right on an Arabic page."""
    first = _LETTER.search(text)
    return bool(first and _RTL_LETTER.match(first.group()))


def _anchor(align: str, rtl: bool) -> str:
    if align == "center":
        return "middle"
    return {"left": "end", "right": "start"}[align] if rtl else {"left": "start", "right": "end"}[align]


def _marker_points(shape: str, x: float, y: float, size: float) -> list[tuple[float, float]]:
    if shape == "square":
        return [(x - size, y - size), (x + size, y - size), (x + size, y + size), (x - size, y + size)]
    if shape == "triangle":
        return [(x, y - size - 1), (x + size + 1, y + size), (x - size - 1, y + size)]
    return [(x, y - size - 1), (x + size + 1, y), (x, y + size + 1), (x - size - 1, y)]  # diamond


def _data_attributes(value: int | None, mark: bool) -> str:
    if not mark:
        return ""
    return ' class="mark hidden" data-hidden="true"' if value is None else f' class="mark" data-value="{value}"'


def _svg_shape(shape: Shape, ident: str) -> str:
    hatch = f"url(#{ident}-hatch)"
    if isinstance(shape, Rect):
        fill = hatch if shape.hatched else shape.fill
        stroke = f' stroke="{shape.stroke}"' if shape.stroke else ""
        return (
            f'<rect x="{_n(shape.x)}" y="{_n(shape.y)}" width="{_n(shape.width)}" height="{_n(shape.height)}" '
            f'fill="{fill}"{stroke}{_data_attributes(shape.value, shape.mark)}>{_title(shape.title)}</rect>'
        )
    if isinstance(shape, Line):
        points = " ".join(f"{_n(x)},{_n(y)}" for x, y in shape.points)
        dash = f' stroke-dasharray="{",".join(map(str, shape.dash))}"' if shape.dash else ""
        return (
            f'<polyline points="{points}" fill="none" stroke="{shape.stroke}" '
            f'stroke-width="{_n(shape.width)}"{dash} stroke-linejoin="round"/>'
        )
    if isinstance(shape, Marker):
        data = _data_attributes(shape.value, bool(shape.title))
        if shape.shape == "circle":
            tag, geometry = "circle", f'cx="{_n(shape.x)}" cy="{_n(shape.y)}" r="{_n(shape.size)}"'
        else:
            corners = _marker_points(shape.shape, shape.x, shape.y, shape.size)
            tag, geometry = "polygon", 'points="' + " ".join(f"{_n(x)},{_n(y)}" for x, y in corners) + '"'
        return f'<{tag} {geometry} fill="{shape.fill}" stroke="{BACKGROUND}"{data}>{_title(shape.title)}</{tag}>'
    if isinstance(shape, Text):
        weight = ' font-weight="bold"' if shape.bold else ""
        reversed_text = right_to_left(shape.text)
        direction = ' direction="rtl"' if reversed_text else ""
        return (
            f'<text x="{_n(shape.x)}" y="{_n(shape.y)}" font-size="{shape.size}" fill="{shape.fill}" '
            f'text-anchor="{_anchor(shape.align, reversed_text)}"{direction}{weight}>'
            f"{_title(shape.title)}{_x(shape.text)}</text>"
        )
    return _svg_area(shape, hatch)


def _svg_area(area: Area, hatch: str) -> str:
    d = " ".join(
        "M" + " ".join(f"{_n(ring[i])},{_n(ring[i + 1])}" for i in range(0, len(ring), 2)) + "Z"
        for polygon in area.polygons
        for ring in polygon
    )
    data = f' data-country="{_x(area.code)}"' + (f' data-value="{area.value}"' if area.value is not None else "")
    path = (
        f'<path d="{d}" fill="{hatch if area.hatched else area.fill}" fill-rule="evenodd" stroke="{BACKGROUND}" '
        f'stroke-width="0.5"{data}>{_title(area.title)}</path>'
    )
    return f"<a href={_a(area.href)}>{path}</a>" if area.href else path


def svg(scene: Scene, ident: str = "chart") -> str:
    """The scene as a standalone SVG document: titled, described, no script, no external font."""
    ident = re.sub(r"[^A-Za-z0-9_-]", "", ident) or "chart"
    body = "".join(_svg_shape(shape, ident) for shape in scene.shapes)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(scene.width)}" height="{_n(scene.height)}" '
        f'viewBox="0 0 {_n(scene.width)} {_n(scene.height)}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" font-family="{FONT_FAMILY}" class="chart chart-{scene.kind}">'
        f'<title id="{ident}-title">{_x(scene.title)}</title><desc id="{ident}-desc">{_x(scene.desc)}</desc>'
        f'<defs><pattern id="{ident}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{BACKGROUND}"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{HATCH_INK}" stroke-width="2"/></pattern></defs>'
        f'<rect width="100%" height="100%" fill="{BACKGROUND}"/>{body}</svg>'
    )


def chart_svg(kind: str, table: Table, *, rtl: bool = False, ident: str = "chart") -> str:
    return svg(layout(kind, table, rtl=rtl), ident)


# -- the same numbers as an HTML table ------------------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    value: int | None

    def html(self) -> SafeString:
        if self.value is None:
            return format_html('<td class="hidden" data-hidden="true">{}</td>', _("hidden"))
        return format_html('<td data-value="{}">{}</td>', self.value, self.value)


@dataclass(frozen=True)
class _Row:
    label: str
    cells: list[_Cell] = field(default_factory=list)


def _table_rows(table: Table) -> list[_Row]:
    two_way = not table.one_way
    rows = []
    for r, label in enumerate(table.rows.labels):
        cells = [_Cell(table.cell(r, c)) for c in range(len(table.columns.keys))]
        if two_way:
            cells.append(_Cell(None if (r, -1) in table.suppressed else table.row_totals[r]))
        rows.append(_Row(label, cells))
    if two_way:
        totals = [_Cell(None if (-1, c) in table.suppressed else t) for c, t in enumerate(table.column_totals)]
        rows.append(_Row(_("Total"), [*totals, _Cell(None if (-1, -1) in table.suppressed else table.total)]))
    elif table.rows.keys:
        rows.append(_Row(_("Total"), [_Cell(None if (-1, -1) in table.suppressed else table.total)]))
    return rows


def data_table_html(table: Table, caption: str = "") -> SafeString:
    """The chart's numbers as a table: the same cells, hidden where the chart hides them, with the
    distinct totals and the notes that say how to read them."""
    headings = [table.rows.label]
    headings += [unit_label(table.unit)] if table.one_way else [*table.columns.labels, _("Total")]
    head = format_html_join("", '<th scope="col">{}</th>', ((h,) for h in headings))
    body = format_html_join(
        "",
        '<tr><th scope="row">{}</th>{}</tr>',
        ((row.label, SafeString("".join(cell.html() for cell in row.cells))) for row in _table_rows(table)),
    )
    notes = format_html_join("", "<li>{}</li>", ((note,) for note in table.notes))
    return format_html(
        '<table class="data-table"><caption>{}</caption><thead><tr>{}</tr></thead><tbody>{}</tbody></table>{}',
        caption or chart_title(table),
        head,
        body,
        format_html('<ul class="notes">{}</ul>', notes) if table.notes else "",
    )


__all__ = [
    "Area",
    "Line",
    "Marker",
    "Rect",
    "Scene",
    "Text",
    "chart_svg",
    "data_table_html",
    "layout",
    "svg",
]
