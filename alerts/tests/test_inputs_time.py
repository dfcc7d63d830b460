"""The scan reads contacts up to the end of its day in the branch's time zone, on both databases."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from alerts import inputs
from customers.models import Interaction
from customers.tests.factories import CustomerFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.django_db
def test_a_contact_after_local_midnight_belongs_to_the_next_day(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    customer = CustomerFactory()
    # 23:30 on the 25th and 04:00 on the 26th, Beijing time (15:30 and 20:00 on the 25th in UTC)
    Interaction.objects.create(customer=customer, channel="phone", summary="evening",
                               at=datetime(2026, 11, 25, 23, 30, tzinfo=SHANGHAI))
    late = Interaction.objects.create(customer=customer, channel="phone", summary="next morning",
                                      at=datetime(2026, 11, 26, 4, 0, tzinfo=SHANGHAI))
    on_25th = inputs.last_contacts(date(2026, 11, 25))
    assert on_25th[customer.pk] == datetime(2026, 11, 25, 23, 30, tzinfo=SHANGHAI)
    assert inputs.last_contacts(date(2026, 11, 26))[customer.pk] == late.at
