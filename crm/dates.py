"""Calendar arithmetic shared by the apps."""
import calendar
from datetime import date

from django.utils import timezone


def add_months(day, months):
    """The same day `months` later (or earlier), clipped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_minute(moment):
    """A stored time as pages show it: local, to the minute (exports too: spreadsheets take no time zones)."""
    return "" if moment is None else timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
