"""Fixtures of the products tests: customers with a tier and positions, and the match context."""
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from customers import permissions
from customers.models import Role
from customers.tests.factories import CustomerFactory, StaffFactory, TierFactory, office

TODAY = date(2026, 11, 27)


@pytest.fixture
def make_customer(db):
    """make_customer(advisor=None, risk="C3", assessed=<today>, perms=(), assets=0, star="3", subtype="", **kw)."""

    def make(advisor=None, risk="C3", assessed="today", perms=(), assets=0, star="3", subtype="", tier=True, **kw):
        if assessed == "today":
            assessed = timezone.localdate()
        if advisor is None:
            advisor = StaffFactory(role=Role.WEALTH_ADVISOR)
        customer = CustomerFactory(advisor=advisor, office=advisor.office, risk_level=risk,
                                   risk_assessed_on=assessed, permission_flags=permissions.to_flags(perms), **kw)
        if tier:
            TierFactory(customer=customer, star=star, stp_subtype=subtype, total_assets=Decimal(assets))
        return customer

    return make


@pytest.fixture
def staff(db):
    def make(role, office_code="CS", **kw):
        return StaffFactory(role=role, office=office(office_code), with_user=True, **kw)

    return make
