"""The advisor's today list (issue 18): one card per customer with open work, ranked, cut to the daily capacity.

A customer is on the list when they have at least one alert that still asks for work: status open or
acknowledged (an alert moved to *contacted* has had its contact). Every such alert is one reason on the
customer's card; the card is never one per alert.

**Priority** is one integer that sorts value at risk first, then deadlines, then time since the last contact:

    priority = band × 100_000 + deadline_points × 1_000 + min(days_since_contact, 999)

- value_at_risk = base × churn_risk. base: the current tier's CLV, or its total assets where the CLV is missing
  (null or 0), else 0. churn_risk = 1 − Π(1 − w_rule) over the distinct rules of the customer's reasons, with
  w_rule from TodayParams.churn_risk (the chance that the reason ends with the customer gone within a quarter;
  independent reasons compound, two reasons of 0.2 and 0.05 give 0.24). When a learned churn model is active
  (issue 19, alerts/churn) and has scored the customer, churn_risk is that score instead (the probability of
  leaving within the model's horizon); the rule weights stay the fallback for customers it has not scored.
- band = floor(4 × log10(1 + value_at_risk)): value at risk to a quarter of an order of magnitude (steps of
  ×1.78). Within a band the stakes count as equal and the deadlines decide; a higher band always comes first.
- deadline_points (0–7): 4 for a red alert due by the end of today (or overdue), 2 for a payment (IPO win,
  rights issue, margin debt) due by tomorrow, 1 for an ID card expiring within 7 days.
- days_since_contact: since the last logged interaction; never contacted counts as 999.

Example: CLV 200,000 with a closing application (0.9) → value at risk 180,000 → band floor(4 × 5.255) = 21;
the red alert is due today → 4 points; contacted 10 days ago → priority 2_104_010.

Set-based: the alerts of the advisor with their customers' tiers and churn scores (1 query), the contact history
of those customers (1 grouped query), the policy (1), suitability facts of the cards (1): a constant number of
queries whatever the size of the book.
"""
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, F, Max, OuterRef, Q, Subquery
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alerts.params import CHURN_RULES
from alerts.selectors import snoozed, visible_alerts
from crm.params import JsonParams
from customers.models import ADVISOR_ROLES, Interaction, Role
from customers.scope import scope_for

LATER_SHOWN = 100  # the later list shows its first cards in words; it counts them all
WORK_STATUSES = ("open", "acknowledged")  # active alerts still waiting for their contact
BAND_STEPS_PER_DECADE = 4
NEVER_CONTACTED_DAYS = 999
PAYMENT_RULES = ("ipo_payment", "rights_payment", "debt_maturity")
LEVEL_ORDER = {"red": 0, "yellow": 1, "reminder": 2}
HIGH_STARS = ("5", "platinum", "diamond", "prestige")
RETENTION_RULES = tuple(r for r in CHURN_RULES if r != "closing_application")  # a product offer may help


@dataclass(frozen=True)
class TodayParams(JsonParams):
    # customers on today's list per advisor role (the rest wait on the "later" list)
    capacity: dict = field(default_factory=lambda: {
        Role.WEALTH_ADVISOR.value: 20, Role.INVESTMENT_ADVISOR.value: 10, Role.INSTITUTIONAL_ADVISOR.value: 8})
    # chance that the reason ends with the customer gone within a quarter (our estimates; policy data):
    # a filed closing is nearly lost, money leaving and assets held elsewhere are strong signs, a stage or a
    # trading pattern weaker; service reminders are small risks of their own (a missed payment, a lapsed ID)
    churn_risk: dict = field(default_factory=lambda: {
        "closing_application": 0.9, "large_outflow": 0.35, "assets_elsewhere": 0.3, "lifecycle_decline": 0.25,
        "falling_trading": 0.2, "pnl_threshold": 0.15, "margin_ratio": 0.15, "assessment_expiry": 0.05,
        "contact_due": 0.05, "id_expiry": 0.05, "debt_maturity": 0.05, "ipo_payment": 0.03,
        "rights_payment": 0.03, "birthday": 0.02,
    })
    red_due_points: int = 4
    payment_due_points: int = 2
    payment_due_days: int = 1  # a payment due within this many days (1 = by tomorrow)
    id_expiry_points: int = 1
    id_expiry_days: int = 7
    # room on the list: when an advisor's alert cards leave room under the capacity, it is filled with the
    # customers most worth a call who have no card — in decline and not contacted for room_quiet_days, or with
    # their planned contact within room_planned_days (called early)
    room_quiet_days: int = 30
    room_planned_days: int = 7

    def validate(self):
        errors = self.shape_errors()
        if errors:
            return errors
        if set(self.capacity) - {r.value for r in (Role.WEALTH_ADVISOR, Role.INVESTMENT_ADVISOR,
                                                   Role.INSTITUTIONAL_ADVISOR)} or not all(
                isinstance(v, int) and v >= 1 for v in self.capacity.values()):
            errors["capacity"] = _("advisor role → customers per day ≥ 1")
        from alerts.params import RULES

        if set(self.churn_risk) - set(RULES) or not all(0 <= v <= 1 for v in self.churn_risk.values()):
            errors["churn_risk"] = _("rule → a share between 0 and 1")
        for name in ("red_due_points", "payment_due_points", "id_expiry_points"):
            if not 0 <= getattr(self, name) <= 9:
                errors[name] = _("points between 0 and 9")
        for name in ("room_quiet_days", "room_planned_days"):
            if not 0 <= getattr(self, name) <= 365:
                errors[name] = _("days between 0 and 365")
        return errors

    def capacity_of(self, role):
        return int(self.capacity.get(role, 0) or 0)


def active_params():
    """The active TodayPolicy's values, or the defaults before any version is saved (one query)."""
    from crm.models import TodayPolicy

    policy = TodayPolicy.objects.filter(status=TodayPolicy.Status.ACTIVE).values_list("params", flat=True).first()
    return TodayParams.from_json(policy) if policy is not None else TodayParams()


# -- scoring ---------------------------------------------------------------------------------------------------

def churn_risk(rules, params):
    """1 − Π(1 − w) over the distinct rules."""
    keep = 1.0
    for rule in set(rules):
        keep *= 1.0 - float(params.churn_risk.get(rule, 0.0))
    return 1.0 - keep


def band(value_at_risk):
    return math.floor(BAND_STEPS_PER_DECADE * math.log10(1.0 + max(value_at_risk, 0.0)) + 1e-9)


def _evidence_date(evidence, key):
    try:
        return date.fromisoformat(str(evidence.get(key))[:10])
    except (TypeError, ValueError):
        return None


def deadline_points(reasons, day, params):
    """What the module docstring says, from the reasons (dicts with rule, level, due_at, evidence)."""
    red = payment = id_card = False
    for r in reasons:
        if r["level"] == "red" and r["due_at"] is not None and timezone.localdate(r["due_at"]) <= day:
            red = True
        if r["rule"] in PAYMENT_RULES:
            due = _evidence_date(r["evidence"], "due_on")
            payment |= due is not None and due <= day + timedelta(days=params.payment_due_days)
        if r["rule"] == "id_expiry":
            expires = _evidence_date(r["evidence"], "expires_on")
            id_card |= expires is not None and expires <= day + timedelta(days=params.id_expiry_days)
    return (params.red_due_points * red + params.payment_due_points * payment
            + params.id_expiry_points * id_card)


def priority(value_at_risk, points, days_since_contact):
    days = NEVER_CONTACTED_DAYS if days_since_contact is None else min(max(days_since_contact, 0), 999)
    return band(value_at_risk) * 100_000 + points * 1_000 + days


# -- reading ---------------------------------------------------------------------------------------------------

ALERT_FIELDS = ("id", "customer_id", "rule", "level", "status", "due_at", "evidence", "opens_on",
                "customer__customer_code", "customer__name", "tier_clv", "tier_assets", "tier_star", "model_risk")


def model_risk(day, customer="customer_id"):
    """The active churn model's latest score on or before `day` of the row's customer (`customer`: the outer
    row's customer id), or None: a subquery of the list's own read, so the model costs the list no query. The
    same score alerts.churn.selectors.churn_risks reads for pages (the active model's, scored_on <= day)."""
    from alerts.models import ChurnScore

    return Subquery(ChurnScore.objects.filter(customer_id=OuterRef(customer), model__status="active",
                                              scored_on__lte=day).order_by("-scored_on").values("risk")[:1])


def work_rows(alerts, day, with_owner=False):
    """The alerts of `alerts` still waiting for work on `day`, with their customer's tier (one query). A snoozed
    alert waits for its date and is left out; a reminder before its opening date (alerts.batch.opening_dates) is
    read too, with `waiting` set: it never makes a card, but rides along on a card the customer has anyway."""
    fields = ("owner_id", *ALERT_FIELDS) if with_owner else ALERT_FIELDS
    rows = list(alerts.exclude(snoozed(day)).filter(status__in=WORK_STATUSES)
                .annotate(tier_clv=F("customer__tier__clv"), tier_assets=F("customer__tier__total_assets"),
                          tier_star=F("customer__tier__star"), model_risk=model_risk(day))
                .order_by().values(*fields))
    for row in rows:
        row["waiting"] = row["opens_on"] is not None and row["opens_on"] > day
    return rows


def lists_by_advisor(rows, contacts, day, params, capacity_of, room=None):
    """{advisor id: (today's cards, all alert cards, room cards)} from work rows carrying `owner_id`: every
    advisor's list at once (the nightly record, simulate_days). `capacity_of(advisor id)`; advisors it gives None
    are left out. `room`: room_rows of the whole branch (optional), to fill each list's free room."""
    by_owner = defaultdict(list)
    for row in rows:
        by_owner[row["owner_id"]].append(row)
    room_by_owner = defaultdict(list)
    for row in room or ():
        room_by_owner[room_owner(row)].append(row)
    lists = {}
    for owner in set(by_owner) | set(room_by_owner):
        capacity = capacity_of(owner)
        if capacity is not None:
            cards = build_cards(by_owner.get(owner, []), contacts, day, params)
            extra = room_cards(room_by_owner.get(owner, []), day, params, {c.customer_id for c in cards})
            lists[owner] = (with_room(cards, extra, capacity), cards, extra)
    return lists


def last_contacts(customer_ids):
    """{customer id: (last contact, [channels, most used first])} in one grouped query."""
    rows = (Interaction.objects.filter(customer_id__in=customer_ids).order_by()
            .values("customer_id", "channel").annotate(n=Count("id"), last=Max("at")))
    by_customer = defaultdict(list)
    for r in rows:
        by_customer[r["customer_id"]].append(r)
    out = {}
    for customer_id, rs in by_customer.items():
        rs.sort(key=lambda r: (-r["n"], -r["last"].timestamp()))
        out[customer_id] = (max(r["last"] for r in rs), [r["channel"] for r in rs])
    return out


@dataclass
class Card:
    customer_id: int
    customer_code: str
    name: str
    star: str
    value_at_risk: float
    priority: int
    reasons: list
    last_contact: object
    channels: list
    alert_ids: list
    top_alert_id: object  # None on a card that fills free room (no alert behind it)
    action: str = ""
    product: object = None
    room: bool = False
    churn_risk: float = 0.0  # value_at_risk / base: the model's score, or the rule weights compounded
    risk_from_model: bool = False

    @property
    def reason_text(self):
        return " · ".join(r["text"] for r in self.reasons)


def build_cards(rows, contacts, day, params):
    """Cards (one per customer) from alert rows, ranked by priority, highest first (pure: no queries)."""
    by_customer = defaultdict(list)
    for row in rows:
        by_customer[row["customer_id"]].append(row)
    cards = []
    for customer_id, every in by_customer.items():
        alerts = [a for a in every if not a.get("waiting")]
        if not alerts:  # only reminders that can still wait: no card
            continue
        alerts.sort(key=lambda a: (LEVEL_ORDER.get(a["level"], 3), a["due_at"] is None, a["due_at"] or 0, a["id"]))
        first = alerts[0]
        clv, assets = first["tier_clv"], first["tier_assets"]
        base = float(clv) if clv else float(assets or 0)
        scored = first.get("model_risk")
        risk = float(scored) if scored is not None else churn_risk([a["rule"] for a in alerts], params)
        value = round(base * risk, 2)
        last, channels = contacts.get(customer_id, (None, []))
        days = None if last is None else (day - timezone.localdate(last)).days
        # reminders that could still wait are done in the same call: they follow the card's own reasons
        riding = sorted((a for a in every if a.get("waiting")), key=lambda a: a["id"])
        reasons = [{"rule": a["rule"], "level": a["level"], "due_at": a["due_at"], "evidence": a["evidence"] or {},
                    "alert_id": a["id"], "status": a["status"], "waiting": bool(a.get("waiting"))} for a in alerts + riding]
        cards.append(Card(
            customer_id=customer_id, customer_code=first["customer__customer_code"], name=first["customer__name"],
            star=first["tier_star"] or "", value_at_risk=value,
            priority=priority(value, deadline_points(reasons, day, params), days),
            reasons=reasons, last_contact=last, channels=channels, alert_ids=[a["id"] for a in alerts + riding],
            top_alert_id=first["id"], churn_risk=risk, risk_from_model=scored is not None))
    cards.sort(key=lambda c: (-c.priority, -c.value_at_risk, c.customer_code))
    return cards


# -- room on the list ------------------------------------------------------------------------------------------

ROOM_STAGE, ROOM_PLANNED = "stage_decline", "planned_contact"  # the reasons of a card that fills free room


def room_rows(customers, day, params):
    """The open customers of `customers` (a queryset, already the advisor's book in the reader's scope) who may
    fill free room on the list — in decline, or with a planned contact in the next `room_planned_days` — with
    their last contact (room_cards keeps the declines quiet for `room_quiet_days`): one query, with what
    room_owner needs to find the owner the alert rules would give (alerts.rules._owners)."""
    last = Interaction.objects.filter(customer_id=OuterRef("pk")).order_by("-at").values("at")[:1]
    # the last contact is read only for the rows found (room_cards tells a quiet decline from a recent one):
    # in the WHERE clause it would be looked up for every customer in decline before the filter
    wanted = (Q(tier__lifecycle_stage="decline")
              | Q(next_contact_on__gt=day, next_contact_on__lte=planned_until(day, params)))
    return list(customers.filter(closed_on__isnull=True).filter(wanted).annotate(last_at=Subquery(last))
                .annotate(tier_clv=F("tier__clv"), tier_assets=F("tier__total_assets"), tier_star=F("tier__star"),
                          tier_stage=F("tier__lifecycle_stage"), model_risk=model_risk(day, "pk"))
                .order_by().values("id", "customer_code", "name", "next_contact_on", "advisor_id",
                                   "investment_advisor_id", "tier_clv", "tier_assets", "tier_star", "tier_stage",
                                   "last_at", "model_risk"))


def planned_until(day, params):
    return day + timedelta(days=params.room_planned_days)


def room_owner(row):
    return row["advisor_id"] or row["investment_advisor_id"]


def room_cards(rows, day, params, exclude=()):
    """Cards for `rows` of room_rows (customers in `exclude` — those with a card already — left out), ranked by
    the same priority as alert cards; their reasons carry no alert (alert_id None) (pure: no queries)."""
    cards = []
    for row in rows:
        if row["id"] in exclude:
            continue
        last = timezone.localdate(row["last_at"]) if row["last_at"] else None
        decline = row["tier_stage"] == "decline" and (
            last is None or last < day - timedelta(days=params.room_quiet_days))
        planned = row["next_contact_on"] is not None and day < row["next_contact_on"] <= planned_until(day, params)
        if not (decline or planned):  # in decline but contacted lately, and no contact planned soon
            continue
        rule = ROOM_STAGE if decline else ROOM_PLANNED
        evidence = ({"last_contact": last.isoformat() if last else None} if decline
                    else {"planned_on": row["next_contact_on"].isoformat()})
        base = float(row["tier_clv"]) if row["tier_clv"] else float(row["tier_assets"] or 0)
        scored = row.get("model_risk")
        risk = float(scored) if scored is not None else float(
            params.churn_risk.get("lifecycle_decline" if decline else "contact_due", 0.0))
        value = round(base * risk, 2)
        days = None if last is None else (day - last).days
        cards.append(Card(
            customer_id=row["id"], customer_code=row["customer_code"], name=row["name"], star=row["tier_star"] or "",
            value_at_risk=value, priority=priority(value, 0, days),
            reasons=[{"rule": rule, "level": "reminder", "due_at": None, "evidence": evidence, "alert_id": None,
                      "status": "", "waiting": False}],
            last_contact=row["last_at"], channels=[], alert_ids=[], top_alert_id=None, room=True,
            churn_risk=risk, risk_from_model=scored is not None))
    cards.sort(key=lambda c: (-c.priority, -c.value_at_risk, c.customer_code))
    return cards


def with_room(cards, room, capacity):
    """Today's cards: the alert cards up to the capacity, then room cards while there is room."""
    today = cards[:capacity]
    return today + room[:max(capacity - len(today), 0)]


def put_in_words(cards, day):
    """Each reason's text and the suggested channel, for the cards that are shown."""
    from . import today_texts

    for card in cards:
        for reason in card.reasons:
            reason["text"] = today_texts.reason_text(reason["rule"], reason["evidence"], day)
            if reason.get("waiting"):
                reason["text"] = today_texts.also_in_this_call(reason["text"])
        card.action = suggested_channel(card)


def suggested_channel(card):
    """Visit a top-star customer with a red reason; otherwise the channel the customer answers most (their
    contact history), or a call for 4★ and up and a WeChat message below when there is no history."""
    if card.star in HIGH_STARS and any(r["level"] == "red" for r in card.reasons):
        return "visit"
    if card.channels:
        return card.channels[0]
    return "phone" if card.star in ("4", *HIGH_STARS) else "wechat"


def _products(cards):
    """The first suitable product (catalogue order, suitability rules 1–5 of products.rules.check; overrides
    are not applied: they only widen) for the cards with a reason a product offer may answer. One query for
    the facts of those customers (at most the capacity), then pure rule checks."""
    from customers.models import Customer
    from products import rules
    from products.selectors import (
        FACT_FIELDS,
        current_match_context,
        facts_of,
        with_facts,
    )

    wanted = {c.customer_id: c for c in cards
              if any(r["rule"] in RETENTION_RULES or r["rule"] == ROOM_STAGE for r in c.reasons)}
    if not wanted:
        return
    ctx = current_match_context()
    if not ctx.catalogue:
        return
    rows = with_facts(Customer.objects.filter(pk__in=list(wanted), closed_on__isnull=True)).values(*FACT_FIELDS)
    for row in rows:
        facts = facts_of(row)
        match = next((t for t in ctx.catalogue if not rules.check(facts, t, cutoff=ctx.cutoff).reason), None)
        if match is not None:
            wanted[row["id"]].product = ctx.versions[match.code]


class AdvisorRequired(Exception):
    """A manager asked for a today list without naming an advisor."""


def list_target(user, advisor_code):
    """(scope, advisor) of a today-list request. Advisors see their own list (any advisor code is ignored);
    office and branch managers, compliance and superusers name an advisor within their scope (staff code; out of
    scope: 404); anyone else: 403. Without a code a manager gets AdvisorRequired."""
    from .selectors import MANAGER_HOME_ROLES

    scope = scope_for(user)
    if scope.is_advisor:
        return scope, scope.staff
    if not (scope.everything or scope.role in MANAGER_HOME_ROLES):
        raise PermissionDenied
    if not advisor_code:
        raise AdvisorRequired
    advisor = scope.staff_queryset().filter(role__in=ADVISOR_ROLES, staff_code=advisor_code).first()
    if advisor is None:
        raise Http404
    return scope, advisor


def advisor_alerts(user, advisor):
    """The alerts of `advisor`'s own book that `user` may see (scope first, then the alert's owner)."""
    return visible_alerts(user).filter(owner_id=advisor.pk)


def today_list(user, advisor, day=None, with_products=True):
    """{"date", "capacity", "cards", "later"} for `advisor` as `user` sees them."""
    from . import today_texts

    day = day or timezone.localdate()
    params = active_params()
    rows = work_rows(advisor_alerts(user, advisor), day)
    contacts = last_contacts(sorted({r["customer_id"] for r in rows})) if rows else {}
    cards = build_cards(rows, contacts, day, params)
    capacity = params.capacity_of(advisor.role)
    later = cards[capacity:]
    # free room is filled with the customers most worth a call who have no card (read even when the list is
    # full, so that every list costs the same queries)
    book = (Q(advisor=advisor) | Q(advisor__isnull=True, investment_advisor=advisor))
    room = room_cards(room_rows(scope_for(user).customers().filter(book), day, params), day, params,
                      {c.customer_id for c in cards})
    now_cards = with_room(cards, room, capacity)
    put_in_words(now_cards + later[:LATER_SHOWN], day)
    if with_products:
        _products(now_cards)
    for card in now_cards:
        card.action_text = today_texts.action_text(card)
    return {"date": day, "capacity": capacity, "cards": now_cards, "later": later, "advisor": advisor}


OWN_LIST_CACHE_SECONDS = 15 * 60  # at most; a write to the book, a nightly job or a new policy ends it sooner


def list_for(user, scope, advisor, day=None):
    """today_list, served from this process's cache when an advisor reads their own list (they come back to it
    all day): the key holds their book's change mark (customers.selectors.own_book_mark: every contact, alert
    step, snooze and nightly job moves it), the active policy and churn model versions, the language and the
    day."""
    from django.core.cache import cache
    from django.utils.translation import get_language

    from customers.selectors import own_book_mark

    day = day or timezone.localdate()
    mark = own_book_mark(user, scope) if advisor == scope.staff else None
    if mark is None:
        return today_list(user, advisor, day)
    version, churn_model = _active_versions()
    key = f"today-list:{mark}:{version}:{churn_model}:{get_language()}:{day.isoformat()}"
    result = cache.get(key)
    if result is None:
        result = today_list(user, advisor, day)
        cache.set(key, result, OWN_LIST_CACHE_SECONDS)
    return result


def _active_versions():
    """(today policy version, churn model version) in force, None for none: one query for the cache key (a
    newly activated churn model re-ranks every list)."""
    from django.db import connection

    from alerts.models import ChurnModel
    from crm.models import TodayPolicy

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (SELECT version FROM {TodayPolicy._meta.db_table} WHERE status = %s), "
                       f"(SELECT version FROM {ChurnModel._meta.db_table} WHERE status = %s)",
                       [TodayPolicy.Status.ACTIVE, ChurnModel.Status.ACTIVE])
        return cursor.fetchone()


def as_api(result):
    """The API shape of issue 18."""
    return {
        "date": result["date"].isoformat(), "capacity": result["capacity"],
        "items": [{
            "customer_code": c.customer_code, "name": c.name, "priority": c.priority,
            "value_at_risk": c.value_at_risk,
            "reasons": [{"rule": r["rule"], "level": r["level"],
                         "due_at": r["due_at"].isoformat() if r["due_at"] else None, "text": r["text"]}
                        for r in c.reasons],
            "suggested_action": c.action_text,
            "fills_room": c.room,  # no alert behind it: a call worth making while the list has room
        } for c in result["cards"]],
        "later_count": len(result["later"]),
    }
