"""CSV and XLSX exports with spreadsheet formulas neutralised (cells starting with = + - @).

XLSX is one workbook per page: a sheet per table of the page, each headed by the page's title, its filters and
the time of the export, then the table's header row in the reader's language and its rows as typed cells —
counts as whole numbers, amounts as money (in 万 for Chinese readers, as the pages show them), shares as
percentages, dates as dates. The cells keep the exact values; the number formats round what is shown.

CSV stays one file per table (UTF-8 with a BOM, for Excel), the header row first, no title or filter lines,
values rounded as shown: shares as "16.0%" (which spreadsheets read as a percentage), amounts to the cent.

A column's kind (`formats`, by column index) says how it is written; a column without one is written by the
type of its values (int, float / Decimal, date, datetime, bool)."""
import csv
import io
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Column kinds
INT, NUMBER, NUMBER1, MONEY, PCT, PCT100, PCT100_2, DATE, MONTH, DATETIME, TEXT = (
    "int", "number", "number.1", "money", "pct", "pct100", "pct100.2", "date", "month", "datetime", "text")
PERCENT_KINDS = {PCT: (1, 1), PCT100: (100, 1), PCT100_2: (100, 2)}  # kind: (value per 100 %, decimals shown)
NUMBER_FORMATS = {
    INT: "#,##0", NUMBER: "#,##0.00", NUMBER1: "#,##0.0", MONEY: "#,##0.00", PCT: "0.0%", PCT100: "0.0%",
    PCT100_2: "0.00%",
    DATE: "yyyy-mm-dd", MONTH: "yyyy-mm", DATETIME: "yyyy-mm-dd hh:mm",
}
# Amounts from 10,000 up in 万 with one decimal (1234567 shows 123.5万; the cell keeps 1234567), smaller ones as
# money: the Chinese pages' way (crm_format.cny). "0!.0," divides by a thousand and puts a literal point before
# the last digit, i.e. divides by ten thousand.
WAN_FORMAT = '[>=10000]0!.0,"万";#,##0.00'
SHEET_NAME_MAX = 31
SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def neutralise(value):
    """Prefix a quote to text a spreadsheet would run as a formula (spreadsheets skip leading blanks before an
    "=", so " =HYPERLINK(…)" is one too); numbers stay numbers."""
    if isinstance(value, str) and (value.startswith(FORMULA_STARTS) or value.lstrip().startswith(FORMULA_STARTS)):
        return "'" + value
    return value


@dataclass
class Table:
    """One table of a page: `title` names its sheet, `name` its CSV file; `formats` maps column index -> kind."""

    title: str
    headers: list
    rows: object
    formats: dict = field(default_factory=dict)
    name: str = ""


def _in_chinese():
    return (get_language() or "").startswith("zh")


def _missing(value):
    return value is None or (isinstance(value, float) and math.isnan(value))


def _plain(value):
    """numpy / pandas scalars as Python values (openpyxl and csv write those)."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)) and type(value).__module__.startswith("numpy"):
        return value.item()
    if type(value).__name__ == "Timestamp":
        return value.to_pydatetime()
    if type(value).__name__ == "NaTType":
        return None
    return value


def _kind_of(value):
    if isinstance(value, bool):
        return TEXT
    if isinstance(value, int):
        return INT
    if isinstance(value, (float, Decimal)):
        return NUMBER
    if isinstance(value, datetime):
        return DATETIME
    if isinstance(value, date):
        return DATE
    return TEXT


def _local(value):
    """An aware datetime as the branch's local wall time, without zone (spreadsheets have none)."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None)


def _xlsx_value(value, kind):
    """(cell value, number format or None)."""
    value = _plain(value)
    if _missing(value):
        return None, None
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No")), None
    kind = kind or _kind_of(value)
    if kind in NUMBER_FORMATS and kind not in (DATE, MONTH, DATETIME) and isinstance(value, (int, float, Decimal)):
        number = float(value) if isinstance(value, Decimal) else value
        if kind in PERCENT_KINDS:
            number = number / PERCENT_KINDS[kind][0]
        if kind == MONEY and _in_chinese():
            return number, WAN_FORMAT
        return number, NUMBER_FORMATS[kind]
    if kind in (DATE, MONTH, DATETIME) and isinstance(value, (date, datetime)):
        if isinstance(value, datetime):
            value = _local(value)
            if kind != DATETIME:
                value = value.date()
        return value, NUMBER_FORMATS[kind]
    return neutralise(str(value) if not isinstance(value, (int, float, Decimal)) else value), None


def _csv_value(value, kind):
    value = _plain(value)
    if _missing(value):
        return ""
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    kind = kind or _kind_of(value)
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        if kind in PERCENT_KINDS:
            per, decimals = PERCENT_KINDS[kind]
            return f"{float(value) * 100 / per:.{decimals}f}%"
        if kind == INT:
            return int(round(value))
        if isinstance(value, (float, Decimal)):
            return f"{float(value):.1f}" if kind == NUMBER1 else (f"{float(value):.2f}" if kind in (MONEY, NUMBER)
                                                                 else value)
        return value
    if isinstance(value, datetime):
        value = _local(value)
        return f"{value:%Y-%m}" if kind == MONTH else (f"{value:%Y-%m-%d}" if kind == DATE else f"{value:%Y-%m-%d %H:%M}")
    if isinstance(value, date):
        return f"{value:%Y-%m}" if kind == MONTH else value.isoformat()
    return neutralise(str(value))


def sheet_names(titles):
    """Sheet names for `titles`: without the characters Excel refuses, at most 31 characters, unique."""
    names, seen = [], set()
    for title in titles:
        base = SHEET_NAME_BAD.sub(" ", str(title)).strip()[:SHEET_NAME_MAX] or "Sheet"
        name, n = base, 2
        while name.lower() in seen:
            suffix = f" ({n})"
            name, n = base[:SHEET_NAME_MAX - len(suffix)] + suffix, n + 1
        seen.add(name.lower())
        names.append(name)
    return names


def filter_pairs(form):
    """The filters a bound (filter) form was given, as (label, value as read) pairs: choices by their label,
    empty fields left out. `form`: a Django form, or a FilterSet (its form)."""
    form = getattr(form, "form", form)
    data = getattr(form, "data", {}) or {}
    pairs = []
    for name, fld in form.fields.items():
        bound = form[name]
        raw = data.getlist(bound.html_name) if hasattr(data, "getlist") else data.get(bound.html_name)
        values = [v for v in (raw if isinstance(raw, list) else [raw]) if v not in (None, "")]
        if not values:
            continue
        choices = {str(k): str(v) for k, v in getattr(fld, "choices", []) or [] if not isinstance(v, (list, tuple))}
        pairs.append((str(fld.label or name), ", ".join(choices.get(str(v), str(v)) for v in values)))
    return pairs


def _sheet(wb, name, table, title, filters, at):
    ws = wb.create_sheet(name)
    headers = [str(h) for h in table.headers]
    for index, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(header) * 2 + 2))
    exported = _("Exported")
    top = [title, *(f"{label}: {value}" for label, value in filters), f"{exported}: {at:%Y-%m-%d %H:%M}"]
    bold = Font(bold=True)
    header_row = len(top) + 2
    ws.freeze_panes = f"A{header_row + 1}"  # before the first row: a write-only sheet writes its views then
    first = WriteOnlyCell(ws, neutralise(str(top[0])))
    first.font = Font(bold=True, size=12)
    ws.append([first])
    for line in top[1:]:
        ws.append([neutralise(str(line))])
    ws.append([])
    cells = []
    for header in headers:
        cell = WriteOnlyCell(ws, neutralise(header))
        cell.font = bold
        cells.append(cell)
    ws.append(cells)
    kinds = [table.formats.get(i) for i in range(len(headers))]
    for row in table.rows:
        out = []
        for index, value in enumerate(row):
            cell_value, number_format = _xlsx_value(value, kinds[index] if index < len(kinds) else None)
            if number_format:
                cell = WriteOnlyCell(ws, cell_value)
                cell.number_format = number_format
                out.append(cell)
            else:
                out.append(cell_value)
        ws.append(out)


def workbook_bytes(tables, *, title="", filters=(), active=None):
    """The XLSX of a page: one sheet per table, in order; `active`: the name of the table to open on."""
    wb = Workbook(write_only=True)
    at = timezone.localtime()
    names = sheet_names(t.title for t in tables)
    for name, table in zip(names, tables):
        heading = f"{title} · {table.title}" if title and str(title) != str(table.title) else str(table.title)
        _sheet(wb, name, table, heading, list(filters), at)
    if active is not None:
        for index, table in enumerate(tables):
            if table.name == active:
                wb.active = index
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_text(table):
    buf = io.StringIO()
    buf.write("\ufeff")  # Excel opens UTF-8 Chinese text correctly with a BOM
    writer = csv.writer(buf)
    writer.writerow([str(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([_csv_value(v, table.formats.get(i)) for i, v in enumerate(row)])
    return buf.getvalue()


def tables_response(tables, filename, fmt="csv", *, title="", filters=(), only=None, csv_filename=None):
    """A page's export: XLSX, the whole page as one workbook `<filename>.xlsx` (opening on the table `only`, if
    named); CSV, the table named `only` (else the first) as `<csv_filename>.csv`, by default
    `<filename>-<name>.csv`."""
    if fmt == "xlsx":
        response = HttpResponse(workbook_bytes(tables, title=title, filters=filters, active=only),
                                content_type=XLSX_TYPE)
    else:
        table = next((t for t in tables if t.name == only), tables[0])
        response = HttpResponse(csv_text(table), content_type="text/csv; charset=utf-8")
        if csv_filename:
            filename = csv_filename
        elif table.name and len(tables) > 1:
            filename = f"{filename}-{table.name}"
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def export_response(rows, headers, filename, fmt="csv", *, formats=None, title=None, filters=()):
    """A page with one table: rows are sequences matching headers; `formats` {column index: kind};
    `title` names the sheet (default: the file name); `filters` [(label, value)] are written above it."""
    table = Table(str(title or filename), headers, rows, formats or {}, filename)
    return tables_response([table], filename, fmt, title=title or "", filters=filters)


def frame_table(frame, title, name, labels=None, kinds=None, row_label=str):
    """A pandas frame (its index becoming the first column) as a Table: columns named by `labels` {column:
    label} (else through `row_label`, as index values are), kinds by `kinds` {column: kind}."""
    labels, kinds = labels or {}, kinds or {}
    flat = frame.reset_index()
    index_columns = list(flat.columns[:flat.shape[1] - frame.shape[1]])
    headers = [str(labels[c]) if c in labels else row_label(c) for c in flat.columns]
    formats = {i: kinds[c] for i, c in enumerate(flat.columns) if c in kinds}
    rows = [[row_label(v) if c in index_columns and not _missing(_plain(v)) else v for c, v in zip(flat.columns, r)]
            for r in flat.itertuples(index=False, name=None)]
    return Table(str(title), headers, rows, formats, name)
