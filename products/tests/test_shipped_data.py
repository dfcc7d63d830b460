"""The shipped catalogue and matrices equal the spec's CSVs cell by cell (both the spec and our copy)."""
import csv
from pathlib import Path

import pytest

from products import shipped
from products.models import PolicyKind, ProductPolicy, ProductVersion

SPEC = Path("/work/shared/spec/data")
OURS = shipped.DATA_DIR


def _rows(directory, name):
    with open(Path(directory) / name, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _sources():
    yield OURS
    if SPEC.exists():
        yield SPEC


@pytest.mark.parametrize("name", ["products.csv", "eligibility_matrix.csv", "advisor_levels.csv"])
def test_our_copy_is_the_spec(name):
    if not SPEC.exists():
        pytest.skip("spec data not present on this machine")
    assert _rows(OURS, name) == _rows(SPEC, name)


@pytest.mark.django_db
@pytest.mark.parametrize("source", list(_sources()), ids=str)
def test_shipped_eligibility_matrix_cell_by_cell(source):
    policy = ProductPolicy.objects.get(kind=PolicyKind.ELIGIBILITY, status="active")
    table = _rows(source, "eligibility_matrix.csv")
    header, body = table[0], table[1:]
    assert policy.data["columns"] == header[1:]
    assert policy.data["products"] == [r[0] for r in body]
    assert set(policy.data["rows"]) == set(policy.data["products"])
    cells = 0
    for row in body:
        for column, value in zip(header[1:], row[1:]):
            assert policy.data["rows"][row[0]][header.index(column) - 1] == int(value), (row[0], column)
            cells += 1
    assert cells == 25 * 15  # 25 products x 15 columns (1, 2, 3, 4-I..4-VI, 5-I..5-VI)


@pytest.mark.django_db
@pytest.mark.parametrize("source", list(_sources()), ids=str)
def test_shipped_advisor_grades_cell_by_cell(source):
    policy = ProductPolicy.objects.get(kind=PolicyKind.ADVISOR_LEVELS, status="active")
    rows = _rows(source, "advisor_levels.csv")[1:]
    assert list(zip(policy.data["columns"], policy.data["grades"])) == [tuple(r) for r in rows]
    grades = policy.data["grades"]
    # products.md: over the 12 columns of 4★/5★, exactly 6 senior, 4 expert and 2 chief cells
    assert (grades.count("senior"), grades.count("expert"), grades.count("chief")) == (6, 4, 2)


@pytest.mark.django_db
@pytest.mark.parametrize("source", list(_sources()), ids=str)
def test_shipped_catalogue_field_by_field(source):
    from customers.permissions import to_codes

    current = {v.product.code: v for v in ProductVersion.objects.filter(is_current=True).select_related("product")}
    rows = list(csv.DictReader(open(Path(source) / "products.csv", encoding="utf-8")))
    assert len(rows) == len(current) == 25
    for r in rows:
        v = current[r["code"]]
        assert (v.name_zh, v.name_en, v.category, v.channel, v.schedule, v.risk, v.fee_model, v.fits,
                v.description_en) == (r["name_zh"], r["name_en"], r["category"], r["channel"], r["schedule"],
                                      r["risk"], r["fee_model"], r["fits"], r["description_en"])
        assert v.min_investment == int(r["min_investment_cny"])
        assert ";".join(to_codes(v.required_flags)) == r["required_permissions"]
        assert v.version == 1 and not v.retired
    assert current["PRIVATE_FUND"].min_investment == 1_000_000 and current["ASSET_PLAN"].min_investment == 400_000
