"""Issue 20, the tier report: star shares are of each kind (retail and institutions in two tables, each adding
up to 100 %), and stars and stages are named in the reader's language in its tables and charts."""
from datetime import date

import pandas as pd
import pytest

from customers.models import Role
from customers.tests.factories import StaffFactory, office
from customers.tiering import reports

DAY = date(2026, 11, 26)


def _cells():
    rows = [  # (kind, star, stage, customers, cev)
        ("retail", "5", "mature", 1, 6000.0), ("retail", "3", "growth", 2, 3000.0),
        ("retail", "1", "budding", 1, 1000.0),
        ("institutional", "platinum", "mature", 3, 300.0), ("institutional", "prestige", "mature", 1, 700.0)]
    return pd.DataFrame([{"kind": k, "star": s, "legacy_star": "", "lifecycle_stage": st, "quadrant": "A",
                          "stp_subtype": "", "customers": n, "cohort": 0, "cohort_funded": 0, "cev": cev,
                          "office": "CS", "office_id": 1} for k, s, st, n, cev in rows])


@pytest.fixture
def page(db, client_for, monkeypatch):
    monkeypatch.setattr(reports, "run_dates", lambda limit=60: [DAY])
    monkeypatch.setattr(reports, "report_page", lambda day, day_from, field, office_id=None: (
        reports.report_from_cells(_cells(), day), pd.DataFrame()))
    client = client_for(StaffFactory(role=Role.BRANCH_MANAGER, office=office("CS"), with_user=True))
    client.cookies["django_language"] = "zh-hans"
    return client.get("/customers/tiering/report/")


def test_retail_and_institutions_each_add_up_to_100(page):
    tables = page.context["tables"]
    retail = {label: cells for label, cells in tables["by_star"]["rows"]}
    institutions = {label: cells for label, cells in tables["by_star_institutional"]["rows"]}
    assert set(retail) == {"1★", "3★", "5★"} and set(institutions) == {"铂金", "尊荣"}
    share = 2  # columns: customers, CEV, % of customers, % of CEV
    # retail: 4 customers (1 + 2 + 1): 25 %, 50 %, 25 %; institutions: 4 (3 + 1): 75 %, 25 %
    assert [retail[s][share] for s in ("1★", "3★", "5★")] == ["25.0%", "50.0%", "25.0%"]
    assert [institutions[s][share] for s in ("铂金", "尊荣")] == ["75.0%", "25.0%"]
    # the chart draws retail stars only, named
    assert page.context["charts"]["stars"]["labels"] == ["1★", "3★", "5★"]
    assert page.context["charts"]["stars"]["customers"] == [25.0, 50.0, 25.0]


def test_stages_and_stars_are_named_in_the_tables_and_charts(page):
    html = page.content.decode()
    assert page.context["charts"]["stages"]["labels"] == ["萌芽期", "成长期", "成熟期"]  # the stages present
    office_columns = page.context["tables"]["by_office"]["columns"]
    assert "铂金" in office_columns and "platinum" not in office_columns
    assert ">platinum<" not in html and ">prestige<" not in html
