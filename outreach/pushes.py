"""Immediate pushes: a red alert to its advisor (and the office manager it informs), an escalation to the office
manager it went to. Called after the nightly scan and after each escalation sweep (outreach.tasks.push_alerts):
it reads the recent ones again each time, and dispatch's key (one message per alert, recipient and channel)
makes a second call send nothing."""
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alerts.models import ACTIVE, Alert, Level, Rule

from . import selectors, services
from .digest import site_url
from .models import EventKind

LOOK_BACK = timedelta(days=1)  # alerts opened or escalated this recently are pushed (once)
FIELDS = ("id", "rule", "due_at", "owner_id", "manager_id", "code", "name")


def _alerts(qs):
    return list(qs.filter(status__in=ACTIVE).order_by("id")
                .values(*FIELDS[:5], code=F("customer__customer_code"), name=F("customer__name")))


def red_alert_rows(now):
    return _alerts(Alert.objects.filter(level=Level.RED, opened_at__gte=now - LOOK_BACK))


def escalation_rows(now):
    return _alerts(Alert.objects.filter(escalated_at__gte=now - LOOK_BACK, manager_id__isnull=False))


def push_alerts(now=None):
    """Dispatch the pushes of recent red alerts and escalations. Returns how many messages were created."""
    now = now or timezone.now()
    red, escalated = red_alert_rows(now), escalation_rows(now)
    wanted = [(EventKind.RED_ALERT, a, a["owner_id"]) for a in red if a["owner_id"]]
    wanted += [(EventKind.RED_ALERT, a, a["manager_id"]) for a in red if a["manager_id"]]
    wanted += [(EventKind.ESCALATION, a, a["manager_id"]) for a in escalated]
    routes = selectors.staff_routes({staff for _k, _a, staff in wanted})
    rules = dict(Rule.choices)
    rows = []
    with translation.override(settings.LANGUAGE_CODE):
        for kind, alert, staff in wanted:
            route = routes.get(staff)
            if route is None:
                continue
            subject, body = _words(kind, alert, rules)
            rows.append({"event_key": f"{kind}:{alert['id']}", "event_kind": kind, "channel": route.channel,
                         "recipient_staff": staff, "address": route.address, "subject": subject, "body": body})
    return services.dispatch(rows, now=now)


def _words(kind, alert, rules):
    values = {"name": alert["name"], "code": alert["code"], "rule": rules.get(alert["rule"], alert["rule"]),
              "due": timezone.localtime(alert["due_at"]).strftime("%m-%d %H:%M") if alert["due_at"] else "—"}
    if kind == EventKind.ESCALATION:
        subject = _("Escalated: %(name)s (%(code)s), %(rule)s") % values
        body = _("A red alert of %(name)s (%(code)s) — %(rule)s — was not acknowledged by %(due)s and is "
                 "escalated to you.") % values
    else:
        subject = _("Red alert: %(name)s (%(code)s), %(rule)s") % values
        body = _("Red alert for %(name)s (%(code)s): %(rule)s. Acknowledge by %(due)s.") % values
    site = site_url()
    if site:
        body += f"\n{site}/alerts/{alert['id']}/"
    return subject, body
