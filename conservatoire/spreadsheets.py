"""CSV and XLSX files, written and read the way a French spreadsheet does.

One place for every export and import of the portal (billing and re-enrolment):

- CSV is UTF-8 with a BOM and ``;`` separators, decimals with a comma, dates as
  ``31/12/2025``;
- text typed by families may start with ``=``, ``+``, ``-``, ``@`` or a control
  character: a CSV cell then gets a leading apostrophe, an XLSX cell is written
  as a string, so no spreadsheet ever reads it as a formula;
- files read back are UTF-8 (with or without BOM) or Windows-1252, separated by
  ``;``, ``,`` or a tab, whichever the first line uses most.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.http import FileResponse, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
DELIMITERS = (";", ",", "\t")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_FORBIDDEN = re.compile(r"[\[\]\*\?/\\:]")


# --- Writing -----------------------------------------------------------------------------------


def format_decimal(value: Decimal) -> str:
    """``Decimal("1234.5")`` → ``"1234,50"`` (French decimal comma, no grouping)."""
    return f"{value:.2f}".replace(".", ",")


def escape_cell(value) -> str:
    """A CSV cell that a spreadsheet shows as text: formula-like text gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """The whole CSV file, every cell escaped, as UTF-8 with a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([escape_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([escape_cell(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def attachment(content: bytes, filename: str, content_type: str = CSV_CONTENT_TYPE) -> HttpResponse:
    """A download that no cache keeps (exports hold personal data)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    return attachment(csv_bytes(header, rows), filename)


@dataclass
class Sheet:
    title: str
    header: Sequence[str]
    rows: list[Sequence]


def xlsx_value(value):
    """What goes in an XLSX cell: numbers and dates as such, everything else as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | Decimal | datetime.date):
        if isinstance(value, datetime.datetime):
            return timezone.localtime(value).replace(tzinfo=None)
        return value
    return str(value)


def sheet_title(title: str, used: set[str]) -> str:
    base = SHEET_FORBIDDEN.sub(" ", title).strip()[:28] or "Feuille"
    candidate, n = base, 2
    while candidate.lower() in used:
        candidate = f"{base[:25]} {n}"
        n += 1
    used.add(candidate.lower())
    return candidate


def write_xlsx(sheets: Sequence[Sheet], fileobj) -> None:
    """Write ``sheets`` to ``fileobj``; strings are string cells, never formulas."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    used: set[str] = set()
    bold = Font(bold=True)
    for sheet in sheets:
        worksheet = workbook.create_sheet(sheet_title(sheet.title, used))
        header = []
        for title in sheet.header:
            cell = WriteOnlyCell(worksheet, value=str(title))
            cell.data_type = "s"
            cell.font = bold
            header.append(cell)
        worksheet.append(header)
        for row in sheet.rows:
            cells = []
            for value in row:
                cell = WriteOnlyCell(worksheet, value=xlsx_value(value))
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # "=1+1" typed by a family stays text
                if isinstance(value, datetime.datetime):
                    cell.number_format = "DD/MM/YYYY HH:MM"
                elif isinstance(value, datetime.date):
                    cell.number_format = "DD/MM/YYYY"
                cells.append(cell)
            worksheet.append(cells)
    if not sheets:
        workbook.create_sheet("Vide")
    workbook.save(fileobj)


def xlsx_response(filename: str, sheets: Sequence[Sheet]) -> FileResponse:
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    write_xlsx(sheets, spool)
    spool.seek(0)
    response = FileResponse(
        spool, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- Reading -----------------------------------------------------------------------------------


def decode_text(data: bytes | str) -> str:
    """Text of an uploaded file: UTF-8 (BOM or not), else Windows-1252 (Excel's French CSV)."""
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def sniff_delimiter(text: str) -> str:
    """The separator the first meaningful line uses most (``;`` when there is none)."""
    sample = next(
        (line for line in text.splitlines() if line.strip() and not line.startswith("#")), ""
    )
    return max(DELIMITERS, key=sample.count) if sample else ";"


def read_csv(data: bytes | str) -> list[list[str]]:
    """Every row of a CSV upload, decoded and split with its own separator."""
    text = decode_text(data)
    return list(csv.reader(io.StringIO(text), delimiter=sniff_delimiter(text)))
