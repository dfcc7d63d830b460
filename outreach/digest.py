"""The morning digest: for every active advisor, today's list (crm.workspaces.today, every list at once like the
nightly record alerts.advisor_work.record_today_lists), open tasks overdue or due today (planner.selectors), and
the red alerts opened since yesterday — a fixed number of queries whatever the number of advisors — rendered in
the branch's language and dispatched on each advisor's channel, once per advisor and day."""
import os
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alerts.models import ACTIVE, Alert, Level
from customers.models import ADVISOR_ROLES, Customer, Staff

from . import selectors, services
from .models import EventKind

CARDS_SHOWN = 30  # an e-mail shows the whole list (capacity ≤ 30 by policy); SMS and WeCom get the counts


@dataclass
class Digest:
    staff_id: int
    name: str
    cards: list = field(default_factory=list)
    overdue: list = field(default_factory=list)
    due_today: list = field(default_factory=list)
    red_alerts: list = field(default_factory=list)

    @property
    def empty(self):
        return not (self.cards or self.overdue or self.due_today or self.red_alerts)


def build_digests(day):
    """{advisor staff id: Digest} for every active advisor on `day`."""
    from crm.workspaces import today

    advisors = {s["pk"]: s for s in Staff.objects.filter(role__in=ADVISOR_ROLES, is_active=True)
                .values("pk", "name", "role")}
    digests = {pk: Digest(pk, s["name"]) for pk, s in advisors.items()}
    rows = today.work_rows(Alert.objects.filter(owner_id__in=list(advisors)), day, with_owner=True)
    contacts = today.last_contacts(sorted({r["customer_id"] for r in rows})) if rows else {}
    params = today.active_params()
    room = today.room_rows(Customer.objects.filter(Q(advisor_id__in=list(advisors)) | Q(
        advisor__isnull=True, investment_advisor_id__in=list(advisors))), day, params)
    lists = today.lists_by_advisor(rows, contacts, day, params,
                                   lambda owner: params.capacity_of(advisors[owner]["role"])
                                   if owner in advisors else None, room=room)
    for owner, (cards, _alerts, _room) in lists.items():
        digests[owner].cards = cards
    overdue, due_today = planner_rows(day)
    for owner, rows_of in overdue.items():
        if owner in digests:
            digests[owner].overdue = rows_of
    for owner, rows_of in due_today.items():
        if owner in digests:
            digests[owner].due_today = rows_of
    for alert in new_red_alerts(day, list(advisors)):
        digests[alert["owner_id"]].red_alerts.append(alert)
    return digests


def planner_rows(day):
    """(overdue, due today) open tasks per owner from the planner; empty while the planner has none to give."""
    try:
        from planner.selectors import due_today_by_owner, overdue_tasks_by_owner
    except ImportError:  # the planner app without its selectors yet (issue 21 is built in parallel)
        return {}, {}
    return overdue_tasks_by_owner(day), due_today_by_owner(day)


def new_red_alerts(day, owner_ids):
    """Active red alerts opened yesterday or on `day` (the digest before reported the ones before), one query."""
    start = timezone.make_aware(datetime.combine(day - timedelta(days=1), time.min))
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return list(Alert.objects.filter(level=Level.RED, status__in=ACTIVE, owner_id__in=owner_ids,
                                     opened_at__gte=start, opened_at__lt=end)
                .order_by("owner_id", "due_at", "id")
                .values("id", "owner_id", "rule", "due_at", code=F("customer__customer_code"),
                        name=F("customer__name")))


def site_url():
    return (getattr(settings, "OUTREACH_SITE_URL", "") or os.environ.get("SITE_URL", "")).rstrip("/")


def render(digest, day):
    """(subject, body) in the active language; the body lists everything for e-mail-sized channels."""
    from alerts.models import Rule
    from crm.workspaces import today

    shown = digest.cards[:CARDS_SHOWN]
    today.put_in_words(shown, day)
    rules = dict(Rule.choices)
    red = [{**a, "rule_label": rules.get(a["rule"], a["rule"])} for a in digest.red_alerts]
    subject = _("Morning digest %(day)s: %(cards)d on today's list, %(overdue)d overdue tasks, "
                "%(red)d new red alerts") % {"day": day.isoformat(), "cards": len(digest.cards),
                                              "overdue": len(digest.overdue), "red": len(red)}
    body = render_to_string("outreach/digest.txt", {
        "digest": digest, "day": day, "cards": shown, "more_cards": len(digest.cards) - len(shown),
        "red_alerts": red, "site": site_url()})
    return subject, body


def digest_messages(day, digests):
    """The dispatch rows of the digests, one per advisor with something to say, on their channel."""
    routes = selectors.staff_routes(list(digests))
    out = []
    with translation.override(settings.LANGUAGE_CODE):
        for staff_id, digest in digests.items():
            if digest.empty:
                continue
            route = routes[staff_id]
            subject, body = render(digest, day)
            out.append({"event_key": f"digest:{day.isoformat()}", "event_kind": EventKind.DIGEST,
                        "channel": route.channel, "recipient_staff": staff_id, "address": route.address,
                        "subject": subject, "body": body})
    return out


def send_digests(day=None):
    """Build and dispatch every advisor's digest of `day` (default today). Idempotent for the day: a second run
    creates nothing. Returns {"advisors", "messages", "created"}."""
    day = day or timezone.localdate()
    digests = build_digests(day)
    rows = digest_messages(day, digests)
    return {"advisors": len(digests), "messages": len(rows), "created": services.dispatch(rows)}
