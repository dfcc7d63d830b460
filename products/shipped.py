"""The project's own copy of the spec's product data (products/data/), parsed into plain values.

Used by the data migration that ships version 1, and by the tests that compare it with the spec.
"""
import csv
import json
from decimal import Decimal
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def read_csv(name, directory=DATA_DIR):
    with open(Path(directory) / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def catalogue(directory=DATA_DIR):
    """Rows of products.csv with the holding class of holding_classes.csv (a project decision)."""
    from customers.permissions import parse

    classes = {r["code"]: r["holding_class"] for r in read_csv("holding_classes.csv")}
    rows = []
    for r in read_csv("products.csv", directory):
        flags, unknown = parse(r["required_permissions"])
        if unknown:
            raise ValueError(f"{r['code']}: unknown permissions {unknown}")
        rows.append({
            "code": r["code"], "name_zh": r["name_zh"], "name_en": r["name_en"], "category": r["category"],
            "channel": r["channel"], "schedule": r["schedule"], "risk": r["risk"],
            "min_investment": Decimal(r["min_investment_cny"] or 0), "fee_model": r["fee_model"],
            "required_flags": flags, "holding_class": classes.get(r["code"], ""), "fits": r["fits"],
            "description_en": r["description_en"],
        })
    return rows


def eligibility(directory=DATA_DIR):
    """{"columns": [...], "products": [codes in order], "rows": {code: [0/1, ...]}}.

    The order is kept in "products" because PostgreSQL's jsonb does not keep the order of keys.
    """
    with open(Path(directory) / "eligibility_matrix.csv", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = {line[0]: [int(v) for v in line[1:]] for line in reader if line}
    return {"columns": header[1:], "products": list(rows), "rows": rows}


def advisor_levels(directory=DATA_DIR):
    rows = read_csv("advisor_levels.csv", directory)
    return {"columns": [r["column"] for r in rows], "grades": [r["advisor_level"] for r in rows]}


def parameters():
    with open(DATA_DIR / "policy.json", encoding="utf-8") as fh:
        return json.load(fh)
