from datetime import datetime

import pytest
from django.utils import timezone

from customers.models import Role

# a Saturday, so a week view starting on Monday spans both months' edges the tests use
DAY = datetime(2026, 12, 5).date()


def at(day, hour, minute=0):
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


@pytest.fixture
def people(make_staff, customer_of):
    """Two advisors of CS (A and B), an advisor of XS, a CS office manager, CS operations, and a customer each."""
    a, b = make_staff(Role.WEALTH_ADVISOR), make_staff(Role.WEALTH_ADVISOR)
    far = make_staff(Role.WEALTH_ADVISOR, "XS")
    return {
        "a": a, "b": b, "far": far,
        "om": make_staff(Role.OFFICE_MANAGER), "ops": make_staff(Role.OPERATIONS),
        "compliance": make_staff(Role.COMPLIANCE),
        "mine": customer_of(a, name="甲客户", customer_code="A0000001"),
        "theirs": customer_of(b, name="乙客户", customer_code="B0000001"),
        "distant": customer_of(far, name="远客户", customer_code="X0000001"),
    }
