"""Fixtures of the campaigns tests: an office's operations staff (author), its office manager (approver), and
2★ customers for whom the public-fund product (R4, offered to 2★) is suitable unless a test says otherwise."""
from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import Role
from customers.tests.factories import CustomerFactory, StaffFactory, TierFactory, office

TEMPLATE = "尊敬的{name}：{产品}已上线，详询{advisor}。回T退订"


@pytest.fixture
def people(db):
    cs, xs = office("CS"), office("XS")
    return {
        "ops": StaffFactory(role=Role.OPERATIONS, office=cs, with_user=True, name="运营甲"),
        "om": StaffFactory(role=Role.OFFICE_MANAGER, office=cs, with_user=True, name="经理乙"),
        "om_xs": StaffFactory(role=Role.OFFICE_MANAGER, office=xs, with_user=True),
        "bm": StaffFactory(role=Role.BRANCH_MANAGER, office=cs, with_user=True),
        "advisor": StaffFactory(role=Role.WEALTH_ADVISOR, office=cs, with_user=True, name="顾问丙"),
        "comp": StaffFactory(role=Role.COMPLIANCE, office=cs, with_user=True),
    }


@pytest.fixture
def make_customer(db):
    """make_customer(office_code="CS", star="2", risk="C4", consent=True, dnc=False, phone=..., advisor=None)."""

    def make(office_code="CS", star="2", risk="C4", consent=True, dnc=False, phone="13812345678", advisor=None,
             **kw):
        customer = CustomerFactory(office=office(office_code), risk_level=risk,
                                   risk_assessed_on=timezone.localdate(), marketing_consent=consent,
                                   do_not_contact=dnc, phone=phone, advisor=advisor, **kw)
        TierFactory(customer=customer, star=star, total_assets=20_000)
        return customer

    return make


@pytest.fixture
def draft_data():
    """make(**changes): the fields of a draft as the form gives them (a push list of the public fund)."""
    from products.models import Product

    def make(**changes):
        data = {"name": "公募基金推介", "segment_kind": "push_list", "segment_query": "",
                "product": Product.objects.get(code="PUBLIC_FUND"), "channel": "sms", "template": TEMPLATE,
                "scheduled_at": timezone.now() - timedelta(minutes=1)}
        return {**data, **changes}

    return make
