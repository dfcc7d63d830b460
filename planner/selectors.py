"""Reads of the planner: tasks within a user's scope, the digest's per-owner rows and a staff member's calendar.

A task is visible to a user when its owner is a colleague the user may see (customers.scope.Scope.staff_queryset:
an advisor themself, an office role their office, branch roles everyone) and its customer, if any, is within the
user's reach: a task about a customer who has left the book shows nowhere outside the new book's scope."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.db.models.functions import ExtractDay, ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy

from customers.models import Customer, Event
from customers.scope import Scope, restrict, scope_for

from .models import CalendarFeed, Task


def visible_tasks(user):
    return tasks_in(scope_for(user))


def tasks_in(scope):
    qs = Task.objects.select_related("customer", "owner")
    if scope.everything or scope.is_branch_wide:
        return qs
    if scope.staff is None:
        return qs.none()
    return qs.filter(owner__in=scope.staff_queryset().values("pk")).filter(
        Q(customer__isnull=True) | Q(customer__in=scope.customers().values("pk")))


def task_detail(user, pk):
    """One task within the user's scope (raises Task.DoesNotExist otherwise)."""
    return visible_tasks(user).get(pk=pk)


def open_tasks(owner_ids=None, due_before=None):
    """Open tasks, earliest first, optionally of some owners and due before a moment (stable API)."""
    qs = Task.objects.filter(status=Task.Status.OPEN).select_related("customer", "owner")
    if owner_ids is not None:
        qs = qs.filter(owner_id__in=list(owner_ids))
    if due_before is not None:
        qs = qs.filter(due_at__lt=due_before)
    return qs.order_by("due_at", "id")


def day_bounds(day):
    """[start, end) of a local calendar day as aware datetimes."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


ROW_FIELDS = ("id", "owner_id", "customer_id", "customer__customer_code", "customer__name", "kind", "title",
              "due_at", "ends_at", "location")


def _by_owner(qs):
    """{owner staff id: [row dict, …]} in due order, from one query (set-based: the digest reads every owner)."""
    rows = {}
    for row in qs.order_by("owner_id", "due_at", "id").values(*ROW_FIELDS):
        rows.setdefault(row["owner_id"], []).append(row)
    return rows


def overdue_tasks_by_owner(day):
    """Open tasks due before the start of `day`, per owner: {staff_id: [rows…]} (for the morning digest)."""
    start, _end = day_bounds(day)
    return _by_owner(Task.objects.filter(status=Task.Status.OPEN, due_at__lt=start))


def due_today_by_owner(day):
    """Open tasks due during `day`, per owner: {staff_id: [rows…]} (for the morning digest)."""
    start, end = day_bounds(day)
    return _by_owner(Task.objects.filter(status=Task.Status.OPEN, due_at__gte=start, due_at__lt=end))


TODAY_BLOCK_ROWS = 20


def today_block(staff, day, viewer=None):
    """The today page's block: the staff member's open tasks due by the end of `day` (overdue first) as `viewer`
    (default: the staff member) sees them, at most TODAY_BLOCK_ROWS with the total. One query: the rows carry the
    count of all of them."""
    from django.db.models import Count, Window

    if staff is None:
        return {"rows": [], "total": 0, "overdue": 0}
    start, end = day_bounds(day)
    scope = scope_for(viewer) if viewer is not None else staff_scope(staff)
    rows = list(tasks_in(scope).filter(owner=staff, status=Task.Status.OPEN, due_at__lt=end)
                .annotate(total=Window(Count("id"))).order_by("due_at", "id")[:TODAY_BLOCK_ROWS])
    for row in rows:
        row.overdue = row.due_at < start
    return {"rows": rows, "total": rows[0].total if rows else 0, "overdue": sum(r.overdue for r in rows)}


def staff_scope(staff):
    """The scope a staff member's own login has (no query: built from the row)."""
    user = staff.user if staff.user_id and "user" in staff._state.fields_cache else None
    return Scope(user_id=staff.user_id, staff=staff, role=staff.role, office_id=staff.office_id,
                 everything=bool(user and user.is_superuser))


ITEM_KINDS = {"task": gettext_lazy("Task"), "appointment": gettext_lazy("Appointment"),
              "birthday": gettext_lazy("Birthday"), "event": gettext_lazy("Payment date"),
              "contact": gettext_lazy("Planned contact")}


@dataclass(frozen=True)
class Item:
    """One entry of a calendar: a task or appointment, a birthday, a payment/maturity date or a planned
    contact. `start` is a datetime for timed items and a date for all-day ones."""

    kind: str  # task, appointment, birthday, event, contact
    uid: str
    start: date | datetime
    end: datetime | None
    title: str
    customer_code: str = ""
    customer_name: str = ""
    task: Task | None = None
    detail: str = ""
    location: str = ""

    @property
    def day(self):
        return timezone.localtime(self.start).date() if isinstance(self.start, datetime) else self.start

    @property
    def all_day(self):
        return not isinstance(self.start, datetime)

    @property
    def kind_label(self):
        return ITEM_KINDS[self.kind]


def _book(staff):
    """The staff member's own book: customers they serve as advisor or investment advisor."""
    return restrict(Customer.objects.all(), "advisor", staff.pk)


def _month_days(start, end):
    """Q over birth_date's (month, day) for every day in [start, end); 29 February falls on the 28th in other
    years."""
    pairs = set()
    day = start
    while day < end:
        pairs.add((day.month, day.day))
        day += timedelta(days=1)
    q = Q(pk__in=[])
    for month, mday in sorted(pairs):
        q |= Q(bm=month, bd=mday)
    return q, pairs


def _birthday_in(birth, start, end):
    for year in range(start.year, end.year + 1):
        try:
            day = birth.replace(year=year)
        except ValueError:  # 29 February in a common year
            day = date(year, 2, 28)
        if start <= day < end:
            return day
    return None


def calendar_items(staff, start, end, viewer=None):
    """The staff member's calendar for the local days [start, end): their tasks and appointments (cancelled ones
    left out) and, of their own book only, customers' birthdays, payment and maturity dates (Event.due_on) and
    planned contacts (Customer.next_contact_on) — all within the staff member's own scope and, when someone else
    looks (`viewer`, a manager), within the viewer's too. Four queries whatever the range or book."""
    from django.utils.translation import gettext as _

    lo, hi = day_bounds(start)[0], day_bounds(end)[0]
    items = []
    own = staff_scope(staff)
    seen_by = scope_for(viewer) if viewer is not None else own
    tasks = (tasks_in(own).filter(pk__in=tasks_in(seen_by).values("pk")) if viewer is not None else tasks_in(own))
    tasks = (tasks.filter(owner=staff).exclude(status=Task.Status.CANCELLED)
             .filter(due_at__lt=hi).filter(Q(due_at__gte=lo) | Q(ends_at__gt=lo)))
    for t in tasks:
        items.append(Item(kind="appointment" if t.ends_at else "task", uid=f"task-{t.pk}", start=t.due_at,
                          end=t.ends_at, title=t.title, customer_code=t.customer.customer_code if t.customer else "",
                          customer_name=t.customer.name if t.customer else "", task=t, detail=t.get_kind_display(),
                          location=t.location))
    book = seen_by.filter(_book(staff))
    q, pairs = _month_days(start, end)
    if (2, 28) in pairs:
        q |= Q(bm=2, bd=29)
    births = (book.filter(birth_date__isnull=False, closed_on__isnull=True)
              .annotate(bm=ExtractMonth("birth_date"), bd=ExtractDay("birth_date")).filter(q)
              .values_list("pk", "customer_code", "name", "birth_date"))
    for pk, code, name, birth in births:
        day = _birthday_in(birth, start, end)
        if day is not None:
            items.append(Item(kind="birthday", uid=f"birthday-{pk}-{day.year}", start=day, end=None,
                              title=_("Birthday"), customer_code=code, customer_name=name))
    events = (Event.objects.filter(customer__in=book.values("pk"), due_on__gte=start, due_on__lt=end)
              .values_list("pk", "kind", "due_on", "customer__customer_code", "customer__name"))
    labels = dict(Event.Kind.choices)
    for pk, kind, due_on, code, name in events:
        items.append(Item(kind="event", uid=f"event-{pk}", start=due_on, end=None, title=str(labels.get(kind, kind)),
                          customer_code=code, customer_name=name))
    contacts = (book.filter(next_contact_on__gte=start, next_contact_on__lt=end, closed_on__isnull=True)
                .values_list("pk", "customer_code", "name", "next_contact_on"))
    for pk, code, name, day in contacts:
        items.append(Item(kind="contact", uid=f"contact-{pk}-{day.isoformat()}", start=day, end=None,
                          title=_("Planned contact"), customer_code=code, customer_name=name))
    return sorted(items, key=_order)


def _order(item):
    moment = item.start if not item.all_day else timezone.make_aware(datetime.combine(item.start, time.min))
    return (item.day, not item.all_day, moment, item.kind, item.uid)


def live_feed(user):
    """The user's current (unrevoked) feed, or None."""
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()


def feed_owner(token_hash):
    """(feed, staff) of a live feed whose owner is still an active staff member with an active login, or None."""
    feed = (CalendarFeed.objects.filter(token_hash=token_hash, revoked_at__isnull=True, user__is_active=True)
            .select_related("user", "user__staff", "user__staff__office").first())
    staff = getattr(feed.user, "staff", None) if feed else None
    if staff is None or not staff.is_active:
        return None
    return feed, staff
