"""Issue 20: the catalogue's product form names every field in words, with its unit and what it is for."""
import pytest

from customers.models import Role
from customers.tests.factories import StaffFactory, office

pytestmark = pytest.mark.django_db


def test_product_form_fields_have_labels_units_and_help(client_for):
    bm = client_for(StaffFactory(role=Role.BRANCH_MANAGER, office=office("CS"), with_user=True))
    page = bm.get("/products/new/")
    form = page.context["form"]
    for name in ("name_zh", "name_en", "category", "risk", "min_investment", "holding_class", "channel",
                 "schedule", "fee_model", "fits"):
        field = form.fields[name]
        assert field.label and "_" not in str(field.label), name
        assert field.help_text, name
    assert str(form.fields["min_investment"].label) == "minimum investment (CNY)"
    assert "R1 (lowest) to R5 (highest)" in page.content.decode()
