"""Issue 20: every policy parameter has a label, a unit (may be empty) and a help text in a spec section, and the
shared form builder (crm.param_labels) edits lists and mappings as labelled rows with errors in words."""
import pytest
from django.utils.translation import override

from crm.param_labels import PolicyParamsForm


def all_labels():
    from alerts.param_labels import LABELS as alerts
    from crm.workspaces.param_labels import KPI_LABELS, TODAY_LABELS
    from customers.tiering.param_labels import LABELS as tiering
    from customers.capacity import LABELS as capacity
    from surveys.param_labels import LABELS as surveys

    return {"tiering": tiering, "alerts": alerts, "kpi": KPI_LABELS, "today": TODAY_LABELS, "surveys": surveys,
            "capacity": capacity}


@pytest.mark.parametrize("name", ["tiering", "alerts", "kpi", "today", "surveys", "capacity"])
def test_every_parameter_has_a_label_unit_and_help(name):
    """A parameter added to a params class without a Param (label, help, known section) fails here."""
    labels = all_labels()[name]
    assert labels.missing() == []
    assert set(labels.params) == set(labels.names())  # and no label for a parameter that is gone
    for param in labels.params.values():
        assert param.unit is not None


def test_a_parameter_without_a_label_is_reported():
    from dataclasses import dataclass

    from crm.param_labels import Param, PolicyLabels, Section
    from crm.params import JsonParams

    @dataclass(frozen=True)
    class Two(JsonParams):
        a: int = 1
        b: float = 0.5

    labels = PolicyLabels(Two, [Section("s", "S")], {"a": Param("A", "", "help", "s")})
    assert labels.missing() == ["b"]
    no_help = PolicyLabels(Two, [Section("s", "S")], {"a": Param("A", "", "", "s"), "b": Param("B", "", "h", "x")})
    assert no_help.missing() == ["a", "b"]  # a: no help text; b: an unknown section


def _post(params):
    data = {}
    for name, value in params.to_json().items():
        if isinstance(value, dict):
            data.update({f"{name}__{k}": str(v) for k, v in value.items()})
        elif isinstance(value, list):
            data.update({f"{name}__{i}": str(v) for i, v in enumerate(value)})
        else:
            data[name] = str(value)
    return data


def test_tiering_form_reads_rows_back_into_the_params():
    from customers.tiering.param_labels import LABELS
    from customers.tiering.params import TieringParams

    data = _post(TieringParams())
    data.update({"star_shares__0": "0.2", "star_shares__4": "0.0", "retention_by_stage__growth": "0.8",
                 "legacy_asset_bounds__3": "5,000,000", "note": "n"})
    form = PolicyParamsForm(data, labels=LABELS)
    assert form.is_valid(), form.errors
    params = form.cleaned_data["params"]
    assert params.star_shares == (0.2, 0.32, 0.32, 0.16, 0.0)
    assert params.retention_by_stage["growth"] == 0.8 and params.retention_by_stage["mature"] == 0.9
    assert params.legacy_asset_bounds == (10_000, 200_000, 1_000_000, 5_000_000)  # thousands separators read


def test_errors_are_words_naming_the_row_and_the_other_parameter():
    from customers.tiering.param_labels import LABELS
    from customers.tiering.params import TieringParams

    data = _post(TieringParams())
    data.update({"star_shares__2": "abc", "retention_by_stage__decline": "", "growth_min": "2", "note": "n",
                 "horizon_years": "2.5"})
    with override("en"):
        form = PolicyParamsForm(data, labels=LABELS)
        assert not form.is_valid()
        assert form.errors["star_shares"] == ["3★: enter a number"]
        assert form.errors["retention_by_stage"] == ["decline: fill this in"]
        assert form.errors["growth_min"] == ["not above “Growth at most”"]  # growth_max named by its label
        assert form.errors["horizon_years"] == ["Enter a whole number."]
        assert "params" not in form.cleaned_data


def test_a_varying_list_adds_and_removes_rows_and_a_mapping_leaves_blanks_out():
    from alerts.param_labels import LABELS
    from alerts.params import AlertParams

    data = _post(AlertParams())
    data.update({"holidays__0": "2026-10-01", "holidays__1": "", "holidays__7": "2026-10-02",
                 "working_weekdays__2": "", "working_weekdays__9": "5", "contact_months__3": ""})
    form = PolicyParamsForm(data, labels=LABELS)
    assert form.is_valid(), form.errors
    params = form.cleaned_data["params"]
    assert params.holidays == ("2026-10-01", "2026-10-02")
    assert params.working_weekdays == (0, 1, 3, 4, 5)  # Wednesday removed, Saturday added
    assert params.contact_months == {"4": 1, "5": 1}
    page = str(PolicyParamsForm(labels=LABELS, initial_params=AlertParams())["holidays"])
    assert page.count('type="date"') == 3  # no holiday yet: three blank rows to add


def test_describe_and_changes_read_as_words():
    from customers.tiering.param_labels import LABELS
    from customers.tiering.params import TieringParams

    old = TieringParams().to_json()
    new = {**old, "star_shares": [0.2, 0.3, 0.3, 0.15, 0.05], "quadrant_percentile": 70.0}
    with override("en"):
        rows = LABELS.changes(old, new)
    assert [(r["label"], r["old"], r["new"]) for r in rows] == [
        ("High from the percentile", "80", "70"),  # a whole float reads as a whole number, never 80.0
        ("Share of retail customers per star", "1★: 0.16; 2★: 0.32; 3★: 0.32; 4★: 0.16; 5★: 0.04",
         "1★: 0.2; 2★: 0.3; 3★: 0.3; 4★: 0.15; 5★: 0.05"),
    ]
    assert rows[1]["section"] == "§5 Value stars"
    # a stored value with three decimals or more reads in its unit's measure (‰) or as a percent, never 0.0541
    assert LABELS.describe("exchange_fee_permille", 0.0541) == "0.0541‰"
    assert LABELS.describe("product_fee_rate", 0.005) == "0.5%"
    assert LABELS.describe("retention_by_stage", [0.5, 0.6, 0.85, 0.9, 0.6, 0.0]).endswith(": 0")
