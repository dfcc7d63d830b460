"""Exports as workbooks (issue 20), read back with openpyxl: one workbook per page, a sheet per table named as
the page names it, the title and the page's filters above each table, headers in the reader's language,
typed cells with number formats (counts, percentages, money — in 万 for Chinese readers — and dates), formulas
neutralised; CSV stays one table per file, rounded as shown. Expected figures are worked out by hand from the
fixtures (crm/tests/test_workspaces.py: cs_book)."""
import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import load_workbook

from crm.exports import (DATE, INT, MONEY, PCT, PCT100, WAN_FORMAT, Table, csv_text, sheet_names,
                         workbook_bytes)
from crm.models import AuditEvent
from crm.tests.test_workspaces import cs_book  # noqa: F401 (fixture)
from customers.models import Role


def _book(content):
    return load_workbook(io.BytesIO(content))


def _header_row(ws):
    """The row number of the table's header: the first row after the blank line under the title block."""
    for row in ws.iter_rows(min_row=1, max_col=1):
        if row[0].value is None:
            return row[0].row + 1
    raise AssertionError("no blank line under the title")


def _table(ws):
    """{first cell: row cells} of the table below the header, and the header."""
    start = _header_row(ws)
    rows = list(ws.iter_rows(min_row=start))
    return [c.value for c in rows[0]], {r[0].value: r for r in rows[1:]}


# --- the writer ---------------------------------------------------------------------------------------------------

def test_a_workbook_has_a_sheet_per_table_with_title_filters_and_typed_cells():
    tables = [
        Table("By star", ["Star", "Customers", "Share", "Assets", "Since"],
              [("5★", 3, 0.1599479843953186, Decimal("1234567.89"), date(2026, 12, 4)),
               ("=HYPERLINK(\"x\")", 2, 0.5, None, None)], {1: INT, 2: PCT, 3: MONEY, 4: DATE}, "by-star"),
        Table("Funnel", ["Stage", "Conversion"], [("growth", 12.5)], {1: PCT100}, "funnel"),
    ]
    with translation.override("en"):
        wb = _book(workbook_bytes(tables, title="Tier report", filters=[("Office", "CS"), ("Date", "2026-12-04")],
                                  active="funnel"))
    assert wb.sheetnames == ["By star", "Funnel"]
    assert wb.active.title == "Funnel"  # the table the link was next to
    ws = wb["By star"]
    assert ws["A1"].value == "Tier report · By star" and ws["A1"].font.b
    assert [ws["A2"].value, ws["A3"].value] == ["Office: CS", "Date: 2026-12-04"]
    assert ws["A4"].value.startswith("Exported: ")
    assert _header_row(ws) == 6 and ws.freeze_panes == "A7"  # the header stays in view
    header, rows = _table(ws)
    assert header == ["Star", "Customers", "Share", "Assets", "Since"] and ws["A6"].font.b
    five = rows["5★"]
    assert (five[1].value, five[1].number_format) == (3, "#,##0")
    assert (five[2].value, five[2].number_format) == (pytest.approx(0.15995, abs=1e-4), "0.0%")  # shows 16.0%
    assert (five[3].value, five[3].number_format) == (pytest.approx(1234567.89), "#,##0.00")
    assert five[4].value.date() == date(2026, 12, 4) and five[4].number_format == "yyyy-mm-dd"
    assert "'=HYPERLINK(\"x\")" in rows  # a formula is written as text
    funnel = _table(wb["Funnel"])[1]["growth"]
    assert (funnel[1].value, funnel[1].number_format) == (pytest.approx(0.125), "0.0%")  # 12.5 % from 12.5


def test_chinese_readers_get_amounts_in_wan():
    with translation.override("zh-hans"):
        wb = _book(workbook_bytes([Table("资产", ["客户", "资产"], [("C1", 1234567)], {1: MONEY})]))
    cell = _table(wb.active)[1]["C1"][1]
    # the cell keeps the amount; from 10,000 up it shows 123.5万 (1,234,567 / 10,000), below as money
    assert cell.value == 1234567 and cell.number_format == WAN_FORMAT
    assert WAN_FORMAT == '[>=10000]0!.0,"万";#,##0.00'


def test_sheet_names_are_what_excel_accepts():
    names = sheet_names(["A/B: [x]?", "Advisor grade fit and capacity by office", "Advisor grade fit and "
                         "capacity by office", ""])
    assert names[0] == "A B   x" and all(len(n) <= 31 for n in names)
    assert names[1] == "Advisor grade fit and capacity " and names[2] == "Advisor grade fit and capac (2)"
    assert names[3] == "Sheet"


def test_csv_stays_one_table_rounded_as_shown():
    text = csv_text(Table("x", ["Share", "Assets", "When", "Count"],
                          [(0.1599479843953186, 1234567.891, date(2026, 12, 4), 3.0)], {0: PCT, 3: INT}))
    assert text.startswith("\ufeff")  # Excel reads the Chinese text with the BOM
    assert list(csv.reader(io.StringIO(text[1:]))) == [["Share", "Assets", "When", "Count"],
                                                        ["16.0%", "1234567.89", "2026-12-04", "3"]]


# --- pages ------------------------------------------------------------------------------------------------------

MANAGER_SHEETS_ZH = ["星级分布", "生命周期漏斗"]


def test_the_manager_home_is_one_workbook_in_the_readers_language(cs_book, make_staff, client_for):  # noqa: F811
    manager = make_staff(Role.OFFICE_MANAGER, "CS")
    client = client_for(manager)
    client.cookies["django_language"] = "zh-hans"
    response = client.get("/workspace/manager/?export=funnel&format=xlsx")
    assert response.status_code == 200 and response["Content-Disposition"] == \
        'attachment; filename="manager-home.xlsx"'
    wb = _book(response.content)
    assert wb.sheetnames[:2] == MANAGER_SHEETS_ZH and len(wb.sheetnames) >= 10  # every table of the page
    assert wb.active.title == "生命周期漏斗"
    ws = wb["星级分布"]
    assert ws["A1"].value == "经理首页 · 星级分布"
    header, rows = _table(ws)
    assert header == ["星级", "客户", "客户占比", "CEV", "CEV 占比"]
    # CS: 5 customers, 2 of them 3★ (40 %); 5★ holds 8,000 of the 10,000 CEV (80 %); XT is another office
    three, five = rows["3★"], rows["5★"]
    assert (three[1].value, three[1].number_format) == (2, "#,##0")
    assert (three[2].value, three[2].number_format) == (pytest.approx(0.4), "0.0%")
    assert (five[3].value, five[3].number_format) == (8000, WAN_FORMAT)  # 0.8万
    assert (five[4].value, five[4].number_format) == (pytest.approx(0.8), "0.0%")
    assert "9000000" not in str([c.value for r in ws.iter_rows() for c in r])
    event = AuditEvent.objects.get(action="export", object_type="manager-home")
    assert event.object_id == "funnel.xlsx" and event.actor == manager.user


def test_an_advisors_customer_export_has_their_book_only_and_states_the_filters(cs_book, client_for):  # noqa: F811
    a, xt, c = cs_book
    response = client_for(a).get("/customers/export.xlsx?star=3")
    ws = _book(response.content).active
    assert ws.title == "Customers" and ws["A1"].value == "Customers"
    assert any(str(cell.value).startswith("Star: ") and "3" in str(cell.value)
               for cell in ws["A"][1:_header_row(ws) - 2])
    header, rows = _table(ws)
    assert header[:2] == ["Customer code", "Name"] and "Total assets" in header
    assert set(rows) == {c["3a"].customer_code, c["3b"].customer_code}  # 3★ of A's book; none of XT's
    assets = rows[c["3a"].customer_code][header.index("Total assets")]
    assert assets.value == 600_000 and assets.number_format == "#,##0.00"
    assert AuditEvent.objects.filter(action="export", object_type="customers", object_id="xlsx").count() == 1


def test_the_survey_report_is_one_workbook_of_its_three_tables(make_staff, customer_of, client_for):
    from surveys import services

    ops = make_staff(Role.OPERATIONS, "CS")
    advisor = make_staff(Role.WEALTH_ADVISOR, "CS")
    for q6 in ("A", "A", "C"):  # Q6: two satisfied, one "一般"
        services.file_response(actor=ops.user, data={
            "questionnaire": "S2020", "customer_code": customer_of(advisor).customer_code, "channel": "phone",
            "outcome": "completed",
            "answers": {"Q1": "A", "Q2": "A", "Q3": "B", "Q4": "B", "Q5": "A", "Q6": q6, "Q7": "F"}})
    response = client_for(ops).get("/surveys/reports/S2020/?export=sla&format=xlsx&channel=phone")
    assert response["Content-Disposition"] == 'attachment; filename="survey_report_S2020.xlsx"'
    wb = _book(response.content)
    assert wb.sheetnames == ["Answers by question", "Satisfaction index", "Follow-up tasks"]
    assert wb.active.title == "Follow-up tasks"
    ws = wb["Answers by question"]
    top = [ws.cell(row=r, column=1).value for r in range(1, _header_row(ws) - 1)]
    assert top[0] == "Survey report · Answers by question"
    assert top[1].startswith("Questionnaire: S2020") and "Channel: Phone callback" in top
    header, _rows = _table(ws)
    assert header == ["Question", "Text", "Option", "Label", "Count", "Percent"]
    q6 = [r for r in ws.iter_rows(min_row=_header_row(ws) + 1) if r[0].value == "Q6"]
    counts = {r[2].value: (r[4].value, r[5].value, r[5].number_format) for r in q6}
    assert counts["A"] == (2, pytest.approx(2 / 3, abs=1e-4), "0.00%")  # 66.67 %
    assert counts["C"] == (1, pytest.approx(1 / 3, abs=1e-4), "0.00%")
    # CSV: the asked table alone, under its own name
    csv_response = client_for(ops).get("/surveys/reports/S2020/?export=answers&format=csv")
    assert csv_response["Content-Disposition"] == 'attachment; filename="survey_S2020.csv"'
    q6_rows = [line for line in csv_response.content.decode("utf-8-sig").splitlines() if line.startswith("Q6,")]
    assert any(line.endswith(",A,满意,2,66.67%") or line.endswith(",2,66.67%") for line in q6_rows), q6_rows


def test_the_worklist_workbook_states_its_month(make_staff, customer_of, client_for):
    from surveys.models import PlanItem, Questionnaire, SamplingPlan

    ops = make_staff(Role.OPERATIONS, "CS")
    advisor = make_staff(Role.WEALTH_ADVISOR, "CS")
    plan = SamplingPlan.objects.create(month=date(2026, 10, 1), office=ops.office, status="released")
    customer = customer_of(advisor)
    PlanItem.objects.create(plan=plan, customer=customer, reason="stratified",
                            questionnaire=Questionnaire.objects.get(code="E"))
    ws = _book(client_for(ops).get("/surveys/worklist/?export=worklist&format=xlsx").content).active
    assert ws.title == "Callback worklist" and ws["A2"].value == "Month: 2026-10"
    header, rows = _table(ws)
    month = next(iter(rows.values()))[0]
    assert month.value.date() == date(2026, 10, 1) and month.number_format == "yyyy-mm"
    assert customer.phone not in str([c.value for r in ws.iter_rows() for c in r])  # PII stays out
