"""Simulated advisor days (issue 18, "Targets"): the nightly runs, then every advisor works their today's list.

Each night D: the tiering run and the alert scan for D (the services, as the scheduler runs them), then the
measures, then each advisor handles today's list of the next morning (D + 1, the working day after the night):
one logged contact per card (Interaction rows in bulk, then customers.services.contacts_made for all of them at
once: the contact-due reminder is resolved and the warnings move to *contacted*), and the card's other reminders
(birthday, payment, ID, assessment) are resolved as done in that contact (one update, one bulk insert of
transitions). With handle="none" nobody works the list (the flood it replaces).

**Replay, not extrapolation.** The generator writes history up to its data date and puts every churn (closing,
accepted closing application) before it. Nights after the data date would read a frozen last snapshot and an
empty activity table (every customer's trading "falls") and no churn could be measured, so the simulation
replays the generated history: by default the 30 nights start 90 days before the last data date, and the churn
window (start, start + 90 days] lies inside the data. The scan and the tiering run read as of their date (the
snapshot on or before it, activity up to it, contacts before the end of it), so a replayed night sees only its
past. The branch must not hold alerts fired after the start: run it on a freshly generated branch without the
generator's six months of history (`generate_branch --no-history`), which would be the replay's future.

**Measures per night** (after the scan, before the handling): open actionable items per advisor — the cards of
their list, today's and later (customers with an alert open or acknowledged that is work that night: not snoozed,
not a reminder still waiting for its opening date) — median, p90, max, and the advisors above 5 × their daily
capacity; beside them the median of the alerts behind those cards; today's list length against the capacity. **Churn caught**: of the customers who churn in the window (closed, an accepted
closing/transfer application — alerts.reports.churn_dates — or a tiering run moved into the churned stage), the
share that was on their advisor's today list on a day before their churn date, beside the share for a list of
the same size each night cut from the same cards ranked by total assets alone.

Set-based: per night one read of all the work alerts with their tiers, one grouped read of the last contacts,
one bulk insert of interactions, the contact hook's few statements; the cards are built by
crm.workspaces.today.build_cards per advisor in memory.
"""
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

CHURN_HORIZON_DAYS = 90
LOAD_LIMIT = 5  # open items per advisor ≤ 5 × the daily capacity
CONTACT_HOUR = 10
HANDLED_NOTE = "simulate_days: done in the contact of the day"


class SimulationError(Exception):
    pass


@dataclass
class Night:
    day: str
    advisors: int
    open_median: float
    open_alerts_median: float  # the alerts behind the cards (a card merges a customer's reasons)
    open_p90: float
    open_max: int
    load_max: float  # the largest open items / capacity of any advisor
    over_load_limit: int  # advisors with more than LOAD_LIMIT × capacity open items
    list_max: int
    over_capacity: int  # advisors whose list is longer than their capacity (must be 0)
    cards_total: int  # alert cards, today's and later
    room_listed: int  # cards on today's lists that fill free room (no alert behind them)
    handled: int


@dataclass
class Result:
    start: str
    days: int
    handle: str
    nights: list = field(default_factory=list)
    churned: int = 0
    caught_by_list: int = 0
    caught_by_assets: int = 0

    @property
    def share_list(self):
        return self.caught_by_list / self.churned if self.churned else None

    @property
    def share_assets(self):
        return self.caught_by_assets / self.churned if self.churned else None

    def as_json(self):
        out = asdict(self)
        out.update(share_list=self.share_list, share_assets=self.share_assets)
        return out


def last_data_date():
    from customers.selectors import data_date

    return data_date()


def default_start(days):
    """Far enough back that the churn window lies in the data (at least `days` nights)."""
    last = last_data_date()
    if last is None:
        raise SimulationError("no data: generate a branch first")
    return last - timedelta(days=max(CHURN_HORIZON_DAYS, days))


def advisors_with_capacity(params):
    from customers.models import Staff

    return {pk: params.capacity_of(role) for pk, role in Staff.objects.values_list("pk", "role")
            if params.capacity_of(role) > 0}


def work_rows(day):
    """All alerts still waiting for work on `day`, with their owner and the customer's tier (one query)."""
    from alerts.models import Alert
    from crm.workspaces import today

    return today.work_rows(Alert.objects.filter(owner_id__isnull=False, first_fired_on__lte=day), day,
                           with_owner=True)


def last_contacts(work_day):
    """{customer id: (last contact before the end of the work day, [])} (one grouped query)."""
    from customers.models import Interaction

    rows = (Interaction.objects.filter(at__lt=_at(work_day + timedelta(days=1), 0)).order_by()
            .values("customer_id").annotate(last=Max("at")).values_list("customer_id", "last"))
    return {pk: (last, []) for pk, last in rows}


def _at(day, hour):
    return timezone.make_aware(datetime.combine(day, time(hour)), timezone.get_current_timezone())


def todays_lists(rows, contacts, work_day, params, capacities):
    """{advisor id: (today's cards, alert cards, room cards)} — crm.workspaces.today's ranking, cut and room on
    the list (one more query for the branch's room candidates), per advisor."""
    from crm.workspaces.today import lists_by_advisor, room_rows
    from customers.models import Customer

    return lists_by_advisor(rows, contacts, work_day, params, capacities.get,
                            room=room_rows(Customer.objects.all(), work_day, params))


def total_assets():
    """customer id → total assets of the current tier (one query)."""
    from customers.models import CurrentTier

    return {pk: float(v or 0) for pk, v in CurrentTier.objects.values_list("customer_id", "total_assets")}


def by_assets(cards, size, assets):
    """The same number of cards from the same pool, ranked by the customer's total assets alone."""
    return sorted(cards, key=lambda c: (-assets.get(c.customer_id, 0.0), c.customer_code))[:size]


def measure(day, rows, lists, capacities, handled):
    open_items = {pk: len(cards) for pk, (_today, cards, _room) in lists.items()}
    open_alerts = defaultdict(int)
    for row in rows:
        if row["owner_id"] in capacities and not row["waiting"]:
            open_alerts[row["owner_id"]] += 1
    alert_counts = np.array([open_alerts.get(pk, 0) for pk in capacities], dtype=float)
    counts = np.array([open_items.get(pk, 0) for pk in capacities], dtype=float)
    loads = np.array([open_items.get(pk, 0) / cap for pk, cap in capacities.items()], dtype=float)
    lengths = [len(today) for today, _cards, _room in lists.values()]
    return Night(
        day=day.isoformat(), advisors=len(capacities),
        open_median=float(np.median(counts)) if len(counts) else 0.0,
        open_alerts_median=float(np.median(alert_counts)) if len(alert_counts) else 0.0,
        open_p90=float(np.percentile(counts, 90)) if len(counts) else 0.0,
        open_max=int(counts.max()) if len(counts) else 0,
        load_max=round(float(loads.max()), 2) if len(loads) else 0.0,
        over_load_limit=int((loads > LOAD_LIMIT).sum()),
        list_max=max(lengths, default=0),
        over_capacity=sum(1 for pk, (today, _c, _r) in lists.items() if len(today) > capacities[pk]),
        cards_total=sum(len(cards) for _, cards, _r in lists.values()),
        room_listed=sum(1 for today, _c, _r in lists.values() for card in today if card.room),
        handled=handled)


def handle(lists, work_day):
    """Every advisor works today's cards: a contact each (contacts_made), the card's other reminders done."""
    from alerts.models import Alert, AlertTransition
    from alerts.params import CHURN_RULES
    from crm.workspaces.today import WORK_STATUSES
    from customers.models import Interaction
    from customers.services import contacts_made

    at = _at(work_day, CONTACT_HOUR)
    staff_of = {card.customer_id: owner for owner, (today, _c, _r) in lists.items() for card in today}
    if not staff_of:
        return 0
    with transaction.atomic():
        made = Interaction.objects.bulk_create([
            Interaction(customer_id=pk, staff_id=owner, at=at, channel=Interaction.Channel.PHONE,
                        summary="simulate_days") for pk, owner in staff_of.items()])
        contacts_made(contacts={i.customer_id: (at, i.pk) for i in made})
        done = list(Alert.objects.filter(customer_id__in=list(staff_of), status__in=WORK_STATUSES)
                    .exclude(rule__in=("contact_due", *CHURN_RULES)).values_list("pk", "status"))
        if done:
            Alert.objects.filter(pk__in=[pk for pk, _s in done]).update(status="resolved", closed_at=at)
            AlertTransition.objects.bulk_create([
                AlertTransition(alert_id=pk, at=at, action="transition", from_status=status, to_status="resolved",
                                note=HANDLED_NOTE) for pk, status in done])
    return len(staff_of)


def churn_window(start, end):
    """customer id → churn date in (start, end]: closed, accepted closing/transfer application, churned stage."""
    from alerts.reports import churn_dates
    from customers.models import Customer, TierChange

    dates = churn_dates(Customer.objects.all())
    stage = pd.Series(dict(TierChange.objects.filter(field="lifecycle_stage", new="churned").order_by()
                           .values("customer_id").annotate(d=Max("date")).values_list("customer_id", "d")),
                      dtype="object")
    if len(stage):
        stage = pd.to_datetime(stage)
        dates = pd.concat([dates, stage]).groupby(level=0).min()
    dates = pd.to_datetime(dates)
    inside = dates[(dates > pd.Timestamp(start)) & (dates <= pd.Timestamp(end))]
    return {int(pk): d.date() for pk, d in inside.items()}


def guard(start):
    from alerts.models import Alert

    later = Alert.objects.filter(last_fired_on__gt=start).order_by("-last_fired_on").values_list(
        "last_fired_on", flat=True).first()
    if later is not None:
        raise SimulationError(f"the branch holds alerts fired on {later}, after the start {start}: "
                              "simulate on a freshly generated branch without its history "
                              "(generate_branch --replace --no-history)")


def simulate(*, days, start=None, handle_lists=True, report=None):
    """Run the nights; `report(night)` is called after each. Returns a Result."""
    from alerts.services import run_scan
    from crm.workspaces.today import active_params
    from customers.services import run_reclassification

    start = start or default_start(days)
    guard(start)
    params = active_params()
    capacities = advisors_with_capacity(params)
    result = Result(start=start.isoformat(), days=days, handle="capacity" if handle_lists else "none")
    first_on_list, first_by_assets = {}, {}
    for n in range(days + 1):  # night 0 is the first scan
        day = start + timedelta(days=n)
        work_day = day + timedelta(days=1)
        reclassified = run_reclassification(day=day)
        if reclassified.status != reclassified.Status.SUCCEEDED:
            raise SimulationError(f"reclassification of {day} failed: {reclassified.error}")
        run_scan(day=day)
        rows = work_rows(day)
        assets = total_assets()
        lists = todays_lists(rows, last_contacts(work_day), work_day, params, capacities)
        for today, cards, room in lists.values():
            for card in today:
                first_on_list.setdefault(card.customer_id, work_day)
            # the same pool (alert cards and the room candidates), the same length, ranked by assets alone
            for card in by_assets(cards + room, len(today), assets):
                first_by_assets.setdefault(card.customer_id, work_day)
        handled = handle(lists, work_day) if handle_lists else 0
        night = measure(day, rows, lists, capacities, handled)
        result.nights.append(night)
        if report:
            report(night)
    churned = churn_window(start, start + timedelta(days=CHURN_HORIZON_DAYS))
    result.churned = len(churned)
    result.caught_by_list = sum(1 for pk, d in churned.items() if pk in first_on_list and first_on_list[pk] < d)
    result.caught_by_assets = sum(1 for pk, d in churned.items()
                                  if pk in first_by_assets and first_by_assets[pk] < d)
    return result
