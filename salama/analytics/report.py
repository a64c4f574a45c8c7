"""The printed report: an annual-analysis style PDF of the chosen view.

A cover (title, organisations counted, period, date), then each table of the view with its
chart when one can be drawn, then notes on method (unit, filters, the small-cell threshold k)
and on data quality. Suppressed cells print as "hidden", never as their value: the PDF is an
export like the others and follows the same rule.

The fonts and Arabic shaping are those of every PDF Salama writes (`salama.core.pdf`). Charts
are the pages' charts drawn as PNG (`salama.analytics.charts`, `salama.analytics.png`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from salama.core.bidi import is_rtl, keep_numbers_in_order
from salama.core.pdf import new_document, write_paragraph

from .tables import Table

# Tables wider than this many columns (with the row label and the total) print on a landscape page.
PORTRAIT_COLUMNS = 6
BODY, SMALL = 10, 8


@dataclass(frozen=True)
class Section:
    title: str
    table: Table
    # Shares or medians to print under the table, already worded.
    extra_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    title: str
    scope: str  # which organisations' rows are counted, in words
    period: str
    generated_on: str
    sections: Sequence[Section]
    method: Sequence[str]  # unit, filters, k, how things were counted
    quality: Sequence[str] = field(default=())
    caveats: Sequence[str] = field(default=())
    network: bool = False  # other organisations' counts are in it


def cell_text(table: Table, row: int, column: int) -> str:
    value = table.cell(row, column)
    return _("hidden") if value is None else str(value)


def total_text(table: Table, row: int) -> str:
    return _("hidden") if (row, -1) in table.suppressed else str(table.row_totals[row])


def column_total_text(table: Table, column: int) -> str:
    return _("hidden") if (-1, column) in table.suppressed else str(table.column_totals[column])


def table_rows(table: Table) -> list[list[str]]:
    """The table as printed: a header, one line per row value, and the totals line."""
    if table.one_way:
        header = [table.rows.label, _("Count")]
        body = [[label, total_text(table, row)] for row, label in enumerate(table.rows.labels)]
        return [header, *body, [_("Total"), str(table.total)]]
    header = [table.rows.label, *table.columns.labels, _("Total")]
    body = [
        [label, *(cell_text(table, row, column) for column in range(len(table.columns.keys))), total_text(table, row)]
        for row, label in enumerate(table.rows.labels)
    ]
    totals = [_("Total"), *(column_total_text(table, c) for c in range(len(table.columns.keys))), str(table.total)]
    return [header, *body, totals]


def chart_kind(table: Table) -> str:
    """A line over time, bars for one dimension, stacked bars for a cross-tab."""
    if not table.one_way:
        return "stacked"
    return "line" if table.rows.dimension in ("year", "quarter", "month") else "bar"


def chart_png(table: Table, language: str) -> bytes | None:
    """The table's chart as PNG (the charts of the pages, drawn by salama.analytics.png)."""
    if not table.total or not table.rows.keys:
        return None
    try:
        from salama.analytics import charts, png
    except ImportError:  # the report stands alone on its tables
        return None
    return png.png(charts.layout(chart_kind(table), table, rtl=is_rtl(language)))


def quality_lines(organization_id: Any) -> list[str]:
    """The data-quality summary of the organisation's own records (salama.analytics.quality)."""
    try:
        from salama.analytics.quality import source_coverage, unknown_shares
    except ImportError:
        return []
    lines = [
        _("%(field)s: unknown or unspecified for %(percent)s%% of %(unit)s (%(unknown)s of %(total)s).")
        % {
            "field": item.label,
            "percent": item.percent,
            "unit": unit_label(item.unit),
            "unknown": item.unknown,
            "total": item.total,
        }
        for item in unknown_shares(organization_id)
        if item.total
    ]
    coverage = source_coverage(organization_id)
    if coverage.incidents:
        lines.append(
            _("Incidents with no source recorded: %(without)s of %(total)s.")
            % {"without": coverage.incidents_without_source, "total": coverage.incidents}
        )
    return lines


class _Writer:
    def __init__(self, language: str) -> None:
        self.document, self.font = new_document(language)
        self.language = language

    def text(self, text: str, size: int = BODY, bold: bool = False) -> None:
        self.document.set_font(self.font, "B" if bold else "", size)
        write_paragraph(self.document, text, self.language, size)

    def heading(self, text: str, size: int = 14) -> None:
        self.document.ln(3)
        self.text(text, size, bold=True)
        self.document.ln(1)

    def bullets(self, lines: Sequence[str]) -> None:
        for line in lines:
            self.text(f"\u2022 {line}")

    def table(self, table: Table) -> None:
        rows = table_rows(table)
        self.document.set_font(self.font, "", SMALL)
        with self.document.table(text_align="LEFT", first_row_as_headings=True, line_height=SMALL * 0.6) as grid:
            for values in rows:
                line = grid.row()
                for value in values:
                    line.cell(keep_numbers_in_order(value, self.language))

    def chart(self, png: bytes) -> None:
        width = self.document.epw
        self.document.image(io.BytesIO(png), w=width * 0.8)


def render(report: Report, language: str) -> bytes:
    writer = _Writer(language)
    document = writer.document
    document.add_page()
    document.ln(40)
    writer.text(report.title, 22, bold=True)
    document.ln(4)
    writer.text(report.scope, 12)
    writer.text(report.period, 12)
    writer.text(_("Generated on %(date)s") % {"date": report.generated_on}, BODY)
    if report.caveats:
        document.ln(6)
        writer.bullets(report.caveats)
    for section in report.sections:
        wide = len(section.table.columns.keys) + 2 > PORTRAIT_COLUMNS
        document.add_page(orientation="L" if wide else "P")
        writer.heading(section.title)
        if not section.table.rows.keys:
            writer.text(_("Nothing matches these filters."))
            continue
        png = chart_png(section.table, language)
        if png:
            writer.chart(png)
            document.ln(2)
        writer.table(section.table)
        document.ln(2)
        writer.text(_("Unit: %(unit)s") % {"unit": unit_label(section.table.unit)}, SMALL)
        for line in (*section.extra_lines, *section.table.notes):
            writer.text(line, SMALL)
    document.add_page(orientation="P")
    writer.heading(_("Notes on method"))
    writer.bullets(report.method)
    writer.heading(_("Data quality"))
    writer.bullets(report.quality or [_("No data-quality summary is available for this view.")])
    return bytes(document.output())


def unit_label(unit: str) -> str:
    labels: dict[str, Any] = {
        "incidents": _("incidents"),
        "victims": _("victims"),
        "acts": _("acts"),
        "referrals": _("referrals"),
        "responses": _("responses"),
        "follow_ups": _("defenders followed after a response"),
    }
    return str(labels.get(unit, unit))
