"""Alert test helpers: customers with open accounts, and hand-made snapshot/activity rows."""
from datetime import date, timedelta
from decimal import Decimal

import pytest

from customers.models import DailyActivity, Role, Snapshot
from customers.tests.factories import CustomerFactory, StaffFactory, office

DAY = date(2026, 11, 26)  # a Thursday


def money(value):
    return Decimal(str(value))


@pytest.fixture
def advisor(db):
    return StaffFactory(role=Role.WEALTH_ADVISOR, office=office("CS"), with_user=True)


@pytest.fixture
def make_customer(db, advisor):
    """An open account (so every rule considers it) with a fresh risk assessment and no ID or birthday data."""

    def make(owner=None, **kw):
        owner = owner or advisor
        kw.setdefault("opened_on", DAY - timedelta(days=800))
        kw.setdefault("risk_assessed_on", DAY - timedelta(days=100))
        return CustomerFactory(advisor=owner, office=owner.office, **kw)

    return make


def snap(customer, day, total, securities=0, cash=0, debt=0, ratio=None):
    return Snapshot.objects.create(
        customer=customer, date=day, total_assets=money(total), securities_value=money(securities),
        equity_fund_value=0, fixed_income_value=0, reits_trust_value=0, other_product_value=0,
        cash=money(cash), margin_debt=money(debt), maintenance_ratio=None if ratio is None else money(ratio))


def act(customer, day, trades=0, transfer_out=0, pnl=0, transfer_in=0):
    return DailyActivity.objects.create(
        customer=customer, date=day, trade_count=trades, traded_amount=0, commission_income=0, product_income=0,
        transfer_in=money(transfer_in), transfer_out=money(transfer_out), pnl=money(pnl))


@pytest.fixture
def make_alert(db):
    from django.utils import timezone

    from alerts.models import Alert

    def make(customer, rule="large_outflow", level="yellow", **kw):
        kw.setdefault("opened_at", timezone.now())
        kw.setdefault("due_at", timezone.now() + timedelta(days=1))
        kw.setdefault("evidence", {"date": DAY.isoformat(), "transfer_out": 80_000.0, "previous_assets": 200_000.0,
                                   "share": 0.4})
        kw.setdefault("first_fired_on", DAY)
        kw.setdefault("last_fired_on", kw["first_fired_on"])
        return Alert.objects.create(customer=customer, rule=rule, level=level, owner=customer.advisor, **kw)

    return make
