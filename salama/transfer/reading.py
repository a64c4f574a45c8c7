"""Reading an uploaded CSV or XLSX file into a table of text cells, and writing one back."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _

# A network moving its whole register at once: 100,000 rows (the request size caps the file too).
MAX_ROWS = 100_000
MAX_COLUMNS = 100
MAX_CELL_CHARS = 20_000
# Spreadsheet programs run a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class FileError(ValueError):
    """The file as a whole cannot be read; the message says why, for a person."""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if type(value) is str:  # every cell of a CSV file
        text = value.strip()
        if not text.startswith("'"):
            return text[:MAX_CELL_CHARS]
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    # Undo the quote an export put before a formula-like value, so a round trip is exact.
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_STARTS:
        text = text[1:]
    return text[:MAX_CELL_CHARS]


def _unique_headers(raw: list[str]) -> list[str]:
    headers: list[str] = []
    for index, name in enumerate(raw):
        name = name.strip() or _("Column %(number)d") % {"number": index + 1}
        candidate, suffix = name, 2
        while candidate in headers:
            candidate, suffix = f"{name} ({suffix})", suffix + 1
        headers.append(candidate)
    return headers


def _table(rows: list[list[str]]) -> dict[str, Any]:
    rows = [row for row in rows if any(cell for cell in row)]
    if not rows:
        raise FileError(_("The file is empty."))
    if len(rows) - 1 > MAX_ROWS:
        raise FileError(
            _("The file has more than %(count)d rows. Split it and import each part.") % {"count": MAX_ROWS}
        )
    width = min(max(len(row) for row in rows), MAX_COLUMNS)
    padded = [(row + [""] * width)[:width] for row in rows]
    return {"headers": _unique_headers(padded[0]), "rows": padded[1:]}


def read_csv(content: bytes) -> dict[str, Any]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileError(
            _('This file is not in UTF-8. In your spreadsheet program, save it as "CSV UTF-8" and upload it again.')
        ) from None
    sample = text[:10_000]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [[_cell(cell) for cell in row] for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error:
        raise FileError(_("This file could not be read as CSV.")) from None
    return _table(rows)


def read_xlsx(content: bytes) -> dict[str, Any]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise FileError(_("This file could not be read as an Excel workbook (.xlsx).")) from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            rows.append([_cell(value) for value in row])
            if len(rows) > MAX_ROWS + 1:
                break
    finally:
        workbook.close()
    return _table(rows)


def read_file(name: str, content: bytes) -> dict[str, Any]:
    lowered = name.lower()
    if lowered.endswith(".xlsx"):
        return read_xlsx(content)
    if lowered.endswith((".csv", ".txt")):
        return read_csv(content)
    raise FileError(_("Upload a CSV (.csv) or Excel (.xlsx) file."))


def safe_cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def write_csv(headers: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows([[safe_cell(cell) for cell in row] for row in rows])
    return out.getvalue().encode("utf-8-sig")


def write_xlsx(headers: list[str], rows: list[list[str]]) -> bytes:
    """Built in memory: openpyxl writes each worksheet to a temporary file first, which would
    put an export's decrypted values on disk. Every cell is written as text, never a formula."""
    import xlsxwriter

    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = workbook.add_worksheet()
    for number, row in enumerate([headers, *([safe_cell(cell) for cell in row] for row in rows)]):
        for column, cell in enumerate(row):
            sheet.write_string(number, column, cell)
    workbook.close()
    return out.getvalue()
