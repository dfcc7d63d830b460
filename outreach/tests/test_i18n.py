"""Chinese: pushes and pages speak the branch's language whatever language the caller runs in."""
from datetime import datetime

import pytest
from django.conf import settings as django_settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from alerts.models import Alert
from customers.models import Role
from outreach import pushes
from outreach.models import Message

pytestmark = pytest.mark.django_db


def catalogued(msgid):
    with translation.override("zh-hans"):
        return gettext(msgid) != msgid


def test_a_push_is_written_in_the_branchs_language(settings, make_staff, customer_of):
    settings.LANGUAGE_CODE = "zh-hans"
    advisor = make_staff(Role.WEALTH_ADVISOR)
    customer = customer_of(advisor, name="张三", customer_code="C1")
    now = timezone.make_aware(datetime(2026, 12, 4, 10))
    Alert.objects.create(customer=customer, rule="large_outflow", level="red", owner=advisor, opened_at=now,
                         due_at=now, first_fired_on=now.date(), last_fired_on=now.date())
    with translation.override("en"):  # the scan runs in whatever language; the message is the branch's
        assert pushes.push_alerts(now=now) == 1
    message = Message.objects.get()
    assert "张三" in message.subject and "C1" in message.subject
    assert "大额转出" in message.subject  # the rule's catalogued label
    if catalogued("Red alert: %(name)s (%(code)s), %(rule)s"):
        assert message.subject.startswith("红色预警")


@pytest.mark.parametrize("url", ["/outreach/", "/outreach/preferences/", "/outreach/failed/"])
def test_pages_read_in_chinese(url, make_staff, client_for):
    if not catalogued("Notification preferences"):
        pytest.skip("the outreach msgids are not in locale/ yet (the lead adds them from the helper's report)")
    client = client_for(make_staff(Role.BRANCH_MANAGER))
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get(url).content.decode()
    assert 'lang="zh-hans"' in html
    for english in ("My messages", "Notification preferences", "Failed messages", "No messages yet.",
                    "No failed messages.", "Tell me about", "Quiet from"):
        assert english not in html
