"""Reads: preferences with their defaults, where each staff member is reached, the message log in a scope."""
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from customers.models import Staff

from . import conf
from .models import DEFAULT_EVENTS, Channel, Message, NotificationPreference


@dataclass(frozen=True)
class Preference:
    events: list = field(default_factory=lambda: [str(e) for e in DEFAULT_EVENTS])
    channel: str = Channel.EMAIL
    phone: str = ""
    quiet_start: time | None = None
    quiet_end: time | None = None

    def wants(self, event_kind):
        return event_kind in self.events

    def quiet_until(self, now):
        """The aware end of the quiet hours `now` falls in, or None. A window may run past midnight (22:00–07:00)."""
        if self.quiet_start is None or self.quiet_end is None or self.quiet_start == self.quiet_end:
            return None
        local = timezone.localtime(now)
        t = local.time()
        if self.quiet_start < self.quiet_end:
            inside = self.quiet_start <= t < self.quiet_end
        else:
            inside = t >= self.quiet_start or t < self.quiet_end
        if not inside:
            return None
        end_day = local.date() if t < self.quiet_end else local.date() + timedelta(days=1)
        return timezone.make_aware(datetime.combine(end_day, self.quiet_end))


DEFAULT = Preference()


def preferences_of(user_ids):
    """{user id: Preference} for every id asked (the defaults for users without a row): one query."""
    rows = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=list(user_ids))}
    return {uid: _preference(rows.get(uid)) for uid in user_ids}


def _preference(row):
    if row is None:
        return DEFAULT
    return Preference(events=list(row.events), channel=row.channel, phone=row.phone,
                      quiet_start=row.quiet_start, quiet_end=row.quiet_end)


@dataclass(frozen=True)
class Route:
    staff_id: int
    user_id: int | None
    channel: str
    address: str


def staff_routes(staff_ids):
    """{staff id: Route}: the channel each staff member chose (e-mail by default) and the address there. Without an
    address on the chosen channel: e-mail, then the CRM itself. Two queries whatever the number of staff."""
    staff = list(Staff.objects.filter(pk__in=list(staff_ids))
                 .values("pk", "user_id", "username", "staff_code", "user__email", "user__username"))
    prefs = preferences_of([s["user_id"] for s in staff if s["user_id"]])
    routes = {}
    for s in staff:
        pref = prefs.get(s["user_id"], DEFAULT)
        email = s["user__email"] or derived_email(s["user__username"] or s["username"] or s["staff_code"])
        addresses = {Channel.EMAIL: email, Channel.SMS: pref.phone, Channel.WECOM: pref.phone,
                     Channel.IN_APP: ""}
        channel = pref.channel
        if channel == Channel.SMS and not pref.phone or channel == Channel.EMAIL and not email:
            channel = Channel.EMAIL if email else Channel.IN_APP
        routes[s["pk"]] = Route(s["pk"], s["user_id"], channel, addresses[channel])
    return routes


def derived_email(name):
    domain = conf.get("STAFF_EMAIL_DOMAIN")
    return f"{name.lower()}@{domain}" if name and domain else ""


def own_messages(scope):
    """The messages addressed to the scope's user (or their staff row), newest first."""
    if scope.user_id is None:
        return Message.objects.none()
    mine = Q(recipient_user_id=scope.user_id)
    if scope.staff is not None:
        mine |= Q(recipient_staff_id=scope.staff.pk)
    return Message.objects.filter(mine)


def messages_in_scope(scope):
    """Messages a manager answers for: every message for branch roles, their office's staff and customers for an
    office manager, none otherwise."""
    kind, key = scope.reach()
    if kind == "all":
        return Message.objects.all()
    if kind == "office":
        return Message.objects.filter(Q(recipient_staff__office_id=key) | Q(recipient_customer__office_id=key))
    return Message.objects.none()


def failed_messages(scope):
    return messages_in_scope(scope).filter(status=Message.Status.FAILED)


def status_counts(queryset):
    from django.db.models import Count

    return dict(queryset.order_by().values_list("status").annotate(n=Count("id")))


def masked(address):
    """An address as pages show it: 138****5678, li***@branch.example."""
    from customers.scope import mask

    if "@" in address:
        local, domain = address.split("@", 1)
        return f"{local[:2]}***@{domain}"
    if address.startswith("http"):
        return "…"
    return mask(address)


def preference_initial(user_id):
    pref = preferences_of([user_id])[user_id]
    return {"events": list(pref.events), "channel": pref.channel, "phone": pref.phone,
            "quiet_start": pref.quiet_start, "quiet_end": pref.quiet_end}
