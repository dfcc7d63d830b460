"""A staff member's calendar as an iCalendar (RFC 5545) document for their calendar app.

The items are exactly calendar_items(staff, …): the owner's own tasks and book, nothing else. Customers show by
code and name only (no phone, no ID number, no amounts): a calendar app keeps the feed on a phone."""
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from . import selectors

FEED_DAYS_BACK, FEED_DAYS_AHEAD = 30, 120  # the recent past and the next months
TASK_MINUTES = 30  # a task without an end shows as a half-hour slot at its due time
UID_DOMAIN = "branch-crm"


def feed_window(today=None):
    today = today or timezone.localdate()
    return today - timedelta(days=FEED_DAYS_BACK), today + timedelta(days=FEED_DAYS_AHEAD)


def feed_document(staff, today=None):
    """The ICS bytes of the staff member's calendar over feed_window(today)."""
    start, end = feed_window(today)
    cal = Calendar()
    cal.add("prodid", "-//Branch CRM//planner//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", _("Branch CRM: %(name)s") % {"name": staff.name})
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    stamp = timezone.now()
    for item in selectors.calendar_items(staff, start, end):
        cal.add_component(_event(item, stamp))
    return cal.to_ical()


def _event(item, stamp):
    event = Event()
    event.add("uid", f"{item.uid}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    who = f"{item.customer_name} ({item.customer_code})" if item.customer_code else ""
    event.add("summary", f"{item.title} · {who}" if who else item.title)
    if item.all_day:
        event.add("dtstart", item.start)
        event.add("dtend", item.start + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
    else:
        start = timezone.localtime(item.start)
        end = timezone.localtime(item.end) if item.end else _plus(start, timedelta(minutes=TASK_MINUTES))
        event.add("dtstart", start)
        event.add("dtend", end)
    if item.location:
        event.add("location", item.location)
    if item.detail:
        event.add("description", item.detail)
    if item.task is not None and not item.task.is_open:
        event.add("status", "CANCELLED" if item.task.status == "cancelled" else "CONFIRMED")
    event.add("categories", [str(selectors.ITEM_KINDS[item.kind])])
    return event



def _plus(moment, delta):
    try:
        return moment + delta
    except OverflowError:  # a task due at the very end of the calendar
        return moment
