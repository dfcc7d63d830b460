"""Service-level deadlines: red alerts in clock hours, yellow (and optionally reminders) in working days.

Working days are policy data: the working weekdays, holidays and make-up working days (调休) of AlertParams,
in the branch's time zone.
"""
from datetime import date, datetime, time, timedelta

from django.utils import timezone


def is_working_day(day, params):
    iso = day.isoformat()
    if iso in params.extra_working_days:
        return True
    return day.weekday() in params.working_weekdays and iso not in params.holidays


def add_working_time(start, working_days, params):
    """`start` plus `working_days` × 24 h counted only on working days (local time)."""
    tz = timezone.get_current_timezone()
    cursor = timezone.localtime(start, tz)
    remaining = timedelta(days=working_days)
    for _ in range(3660):
        if remaining <= timedelta(0):
            break
        day = cursor.date()
        next_midnight = timezone.make_aware(datetime.combine(day + timedelta(days=1), time()), tz)
        if is_working_day(day, params):
            step = min(remaining, next_midnight - cursor)
            cursor += step
            remaining -= step
            if remaining <= timedelta(0):
                break
        cursor = next_midnight
    return cursor


def due_at(level, opened_at, params):
    """The acknowledgement deadline of an alert of `level` opened at `opened_at` (None = no SLA)."""
    if level == "red":
        return opened_at + timedelta(hours=params.red_sla_hours)
    if level == "yellow":
        return add_working_time(opened_at, params.yellow_sla_working_days, params)
    if params.reminder_sla_working_days > 0:
        return add_working_time(opened_at, params.reminder_sla_working_days, params)
    return None


def local_midnight(day: date):
    return timezone.make_aware(datetime.combine(day, time()), timezone.get_current_timezone())
