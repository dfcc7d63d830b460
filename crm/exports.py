"""CSV and XLSX exports with spreadsheet formulas neutralised (cells starting with = + - @)."""
import csv
import io

from django.http import HttpResponse
from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Prefix a quote to text a spreadsheet would run as a formula (spreadsheets skip leading blanks before an
    "=", so " =HYPERLINK(…)" is one too); numbers stay numbers."""
    if isinstance(value, str) and (value.startswith(FORMULA_STARTS) or value.lstrip().startswith(FORMULA_STARTS)):
        return "'" + value
    return value


def export_response(rows, headers, filename, fmt="csv"):
    """rows: iterable of sequences matching headers."""
    if fmt == "xlsx":
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("export")
        ws.append([str(h) for h in headers])
        for row in rows:
            ws.append([neutralise(v) if not hasattr(v, "quantize") else float(v) for v in row])
        buf = io.BytesIO()
        wb.save(buf)
        response = HttpResponse(
            buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        buf = io.StringIO()
        buf.write("\ufeff")  # Excel opens UTF-8 Chinese text correctly with a BOM
        writer = csv.writer(buf)
        writer.writerow([str(h) for h in headers])
        for row in rows:
            writer.writerow(["" if v is None else neutralise(v) for v in row])
        response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
