"""Writes and domain rules of the alert workflow: scans, transitions, escalation, policy versions."""
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.db.models.functions import Coalesce
from django.db.models import F, Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.bulk import refresh_statistics
from crm.services import audit, job_run
from crm.textlimits import NOTE_MAX_LENGTH, SHORT_TEXT_MAX_LENGTH, refuse_longer
from customers.models import Interaction, Role, Staff
from customers.rights import Write
from customers.scope import scope_for
from customers.services import log_interaction, touch_books

from . import batch, selectors
from .models import ACTIVE, Alert, AlertPolicy, AlertTransition, DismissReason, Outcome, Status
from .params import CHURN_RULES, AlertParams

# Which status may follow which. Contacting straight from "open" acknowledges implicitly.
TRANSITIONS = {
    Status.OPEN: (Status.ACKNOWLEDGED, Status.CONTACTED, Status.DISMISSED),
    Status.ACKNOWLEDGED: (Status.CONTACTED, Status.DISMISSED),
    Status.CONTACTED: (Status.RESOLVED, Status.DISMISSED),
    Status.RESOLVED: (),
    Status.DISMISSED: (),
}


# Amounts returned stay below 10^13 CNY: 15 significant digits with the cents, what every backend keeps exactly
# (SQLite stores decimals as floating point; 9999999999999999.99 would read back as 1e16, wider than the column).
MAX_AMOUNT = Decimal(10) ** 13


class AlertNotFound(Exception):
    """Out of the user's scope or absent: the caller answers 404 either way."""


def run_scan(*, day=None, user=None, task_id=""):
    """The nightly scan for `day` (default: the latest data date), recorded as a job run."""
    day = day or selectors.default_scan_date()
    policy = selectors.active_policy()
    params = AlertParams.from_json(policy.params)
    with job_run("scan_alerts", params={"date": day.isoformat(), "policy_version": policy.version},
                 user=user, task_id=task_id) as run:
        run.counts = batch.scan(day, params, run.pk)
    refresh_statistics(Alert, AlertTransition)  # the inbox and dashboards plan on fresh counts
    return run


def can_transition(user):
    return scope_for(user).may(Write.TRANSITION_ALERT)


def transition(*, alert_id, actor, to, note="", outcome="", amount=None, channel="", summary="", dismiss_reason=""):
    """Move one alert to `to`, under a row lock so concurrent changes are applied one after the other.

    Raises AlertNotFound (out of scope), PermissionDenied (read-only role) or ValidationError
    ({field: [messages]}) for an illegal move or missing details. Nothing is written on error.
    """
    if not can_transition(actor):
        raise PermissionDenied(_("Your role may read alerts but not change them."))
    note = (note or "").strip()
    refuse_longer(note=(note, NOTE_MAX_LENGTH), summary=(summary, SHORT_TEXT_MAX_LENGTH))
    with transaction.atomic():
        locked = selectors.visible_alerts(actor).select_for_update().filter(pk=alert_id).first()
        if locked is None:
            raise AlertNotFound(alert_id)
        alert = Alert.objects.select_related("customer").get(pk=locked.pk)
        if to == Status.DISMISSED and not dismiss_reason and note:
            dismiss_reason = DismissReason.OTHER  # a client that sends only a note (before the reasons existed)
        errors = _check(alert, to, note, outcome, amount, channel, dismiss_reason)
        if errors:
            raise ValidationError(errors)
        now = timezone.now()
        before = alert.status
        alert.status = to
        fields = ["status"]
        if to in (Status.ACKNOWLEDGED, Status.CONTACTED) and alert.acknowledged_at is None:
            alert.acknowledged_at = now
            fields.append("acknowledged_at")
        if to == Status.CONTACTED:
            alert.contacted_at = now
            fields.append("contacted_at")
        if to in (Status.RESOLVED, Status.DISMISSED):
            alert.closed_at = now
            fields.append("closed_at")
        if to == Status.RESOLVED:
            alert.outcome = outcome
            alert.funds_returned = _amount(amount) if outcome == Outcome.FUNDS_RETURNED else None
            fields += ["outcome", "funds_returned"]
        if to == Status.DISMISSED:
            alert.dismiss_reason = dismiss_reason
            # the list's short reason (the note, else the reason's name); the whole note is kept below
            alert.reason = (note or str(DismissReason(dismiss_reason).label))[:SHORT_TEXT_MAX_LENGTH]
            fields += ["reason", "dismiss_reason"]
        if to in (Status.RESOLVED, Status.DISMISSED) and alert.snoozed_until is not None:
            alert.snoozed_until = None
            fields.append("snoozed_until")
        alert.save(update_fields=fields)
        step = AlertTransition.objects.create(
            alert=alert, at=now, actor=actor, action="transition", from_status=before, to_status=to, note=note,
            outcome=outcome if to == Status.RESOLVED else "",
            amount=alert.funds_returned if to == Status.RESOLVED else None)
        if to == Status.CONTACTED:  # the contact is logged after this alert moved, so contact_made leaves it be
            interaction = log_interaction(
                customer=alert.customer, actor=actor, channel=channel,
                summary=(summary or _("Alert follow-up: %(rule)s") % {"rule": alert.get_rule_display()})[:200],
                note=note, at=now)
            AlertTransition.objects.filter(pk=step.pk).update(interaction_id=interaction.pk)
            alert.refresh_from_db(fields=["status", "closed_at"])  # a contact-due reminder is resolved by it
        audit(actor, "alert.transition", alert, before=before, after=to, outcome=alert.outcome,
              amount=str(alert.funds_returned) if alert.funds_returned is not None else None)
        touch_books(customer_ids=[alert.customer_id])
    return alert


WARNING_MOVES = (Status.OPEN, Status.ACKNOWLEDGED)  # a warning already contacted stays as it is


def contact_made(*, contacts, actor=None):
    """The contact clears the work (registered with customers.services.on_contact, see alerts.apps): for every
    customer contacted ({customer_id: (at, interaction_id or None)}) the active contact-due reminder is resolved and
    the open or acknowledged churn warnings become contacted, each with a transition naming the interaction.
    Set-based: one locking read, two updates and one bulk insert, whatever the number of customers."""
    now = timezone.now()
    reminders = Q(rule="contact_due", status__in=ACTIVE)
    warnings = Q(rule__in=CHURN_RULES, status__in=WARNING_MOVES)
    rows = list(Alert.objects.select_for_update().filter(customer_id__in=list(contacts)).filter(reminders | warnings)
                .order_by("pk").values_list("pk", "customer_id", "rule", "status"))
    if not rows:
        return 0
    resolved = [pk for pk, _c, rule, _s in rows if rule == "contact_due"]
    contacted = [(pk, customer) for pk, customer, rule, _s in rows if rule != "contact_due"]
    if resolved:
        Alert.objects.filter(pk__in=resolved).update(status=Status.RESOLVED, closed_at=now)
    by_time = {}
    for pk, customer in contacted:
        by_time.setdefault(contacts[customer][0], []).append(pk)
    for at, ids in by_time.items():
        Alert.objects.filter(pk__in=ids).update(status=Status.CONTACTED, contacted_at=at,
                                                acknowledged_at=Coalesce(F("acknowledged_at"), Value(at)))
    AlertTransition.objects.bulk_create([
        AlertTransition(alert_id=pk, at=now, actor=actor if getattr(actor, "is_authenticated", False) else None,
                        action="contact", from_status=status,
                        to_status=Status.RESOLVED if rule == "contact_due" else Status.CONTACTED,
                        interaction_id=contacts[customer][1])
        for pk, customer, rule, status in rows])
    return len(rows)


def _amount(value):
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        return None


def _check(alert, to, note, outcome, amount, channel, dismiss_reason=""):
    errors = {}
    if to not in Status.values:
        return {"to": [_("Unknown status “%(to)s”.") % {"to": to}]}
    allowed = TRANSITIONS[alert.status]
    if to not in allowed:
        names = ", ".join(str(Status(s).label) for s in allowed) or _("none (the alert is closed)")
        errors["to"] = [_("An alert that is %(status)s cannot become %(to)s. Allowed next: %(allowed)s.") % {
            "status": alert.get_status_display(), "to": Status(to).label, "allowed": names}]
        return errors
    if to == Status.CONTACTED and channel not in Interaction.Channel.values:
        errors["channel"] = [_("Choose how the customer was contacted.")]
    if to == Status.RESOLVED:
        if outcome not in Outcome.values:
            errors["outcome"] = [_("Choose an outcome: retained, funds returned, lost or not a real risk.")]
        elif outcome == Outcome.FUNDS_RETURNED:
            value = _amount(amount) if amount not in (None, "") else None
            if value is None or value <= 0 or value >= MAX_AMOUNT:
                errors["amount"] = [_("Enter the amount returned (a positive number).")]
        elif amount not in (None, ""):
            errors["amount"] = [_("An amount is recorded only with the outcome “funds returned”.")]
    elif outcome:
        errors["outcome"] = [_("An outcome is recorded only when resolving.")]
    if to == Status.DISMISSED:
        if dismiss_reason not in DismissReason.values:
            errors["dismiss_reason"] = [_("Choose why the alert is dismissed.")]
        elif dismiss_reason == DismissReason.OTHER and not note:
            errors["note"] = [_("Give the reason for dismissing the alert.")]
    elif dismiss_reason:
        errors["dismiss_reason"] = [_("A dismiss reason is recorded only when dismissing.")]
    return errors


def snooze(*, alert_id, actor, until, note="", whole_card=False):
    """Snooze one active alert until `until` (a date after today, at most the policy's snooze_max_days ahead);
    with `whole_card`, every active alert the same owner has on the same customer (today's list shows them as
    one card). They leave the inbox's active view, today's list and escalation until that date, then are active
    again (selectors.awake: a read-time rule, nothing to wake up). Each is recorded as a transition with who, when
    and until. Returns how many alerts were snoozed; raises like transition()."""
    if not can_transition(actor):
        raise PermissionDenied(_("Your role may read alerts but not change them."))
    note = (note or "").strip()
    refuse_longer(note=(note, NOTE_MAX_LENGTH))
    today = timezone.localdate()
    limit = selectors.active_params().snooze_max_days
    with transaction.atomic():
        alert = selectors.visible_alerts(actor).select_for_update().filter(pk=alert_id).first()
        if alert is None:
            raise AlertNotFound(alert_id)
        if alert.status not in ACTIVE:
            raise ValidationError({"until": [_("A closed alert cannot be snoozed.")]})
        if until is None or until <= today or until > today + timedelta(days=limit):
            raise ValidationError({"until": [_("Snooze until a date after today and at most %(days)s days ahead.")
                                             % {"days": limit}]})
        alerts = selectors.visible_alerts(actor).filter(pk=alert.pk)
        if whole_card:
            alerts = selectors.visible_alerts(actor).filter(customer_id=alert.customer_id, owner_id=alert.owner_id,
                                                            status__in=ACTIVE)
        rows = list(alerts.select_for_update().order_by("pk").values_list("pk", "status"))
        Alert.objects.filter(pk__in=[pk for pk, _s in rows]).update(snoozed_until=until)
        now = timezone.now()
        AlertTransition.objects.bulk_create([
            AlertTransition(alert_id=pk, at=now, actor=actor, action="snoozed", from_status=status, to_status=status,
                            note=note, until=until) for pk, status in rows])
        audit(actor, "alert.snooze", alert, until=until.isoformat(), alerts=[pk for pk, _s in rows])
        touch_books(customer_ids=[alert.customer_id])
    return len(rows)


def escalate_overdue(now=None):
    """Overdue open alerts (past their acknowledgement SLA) go to their office manager; set-based, idempotent."""
    now = now or timezone.now()
    with transaction.atomic():
        overdue = Alert.objects.select_for_update().filter(
            selectors.awake(timezone.localdate(now)), status=Status.OPEN, due_at__lt=now, escalated_at__isnull=True)
        rows = list(overdue.values_list("pk", "customer__office_id", "status"))
        if not rows:
            return 0
        managers = {}
        for office, pk in (Staff.objects.filter(role=Role.OFFICE_MANAGER, is_active=True).order_by("id")
                           .values_list("office_id", "id")):
            managers.setdefault(office, pk)
        by_office = {}
        for pk, office, _status in rows:
            by_office.setdefault(office, []).append(pk)
        for office, ids in by_office.items():
            manager = managers.get(office)
            Alert.objects.filter(pk__in=ids).update(
                escalated_at=now, manager_id=Coalesce(F("manager_id"), Value(manager)) if manager else F("manager_id"))
        AlertTransition.objects.bulk_create([
            AlertTransition(alert_id=pk, at=now, action="escalated", from_status=status, to_status=status,
                            note=str(managers.get(office) or ""))
            for pk, office, status in rows], batch_size=5000)
    return len(rows)


@transaction.atomic
def create_policy_version(*, params, user, note=""):
    """Branch managers: a new version from a full parameter set becomes the active one (audited)."""
    if not scope_for(user).may(Write.EDIT_ALERT_POLICY):
        raise PermissionDenied(_("Only branch managers change alert thresholds."))
    values = params if isinstance(params, AlertParams) else AlertParams.from_json(params)
    errors = values.validate()
    if errors:
        raise ValidationError(errors)
    version = (AlertPolicy.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0) + 1
    previous = AlertPolicy.objects.select_for_update().filter(status=AlertPolicy.Status.ACTIVE).first()
    if previous:
        previous.status = AlertPolicy.Status.RETIRED
        previous.save(update_fields=["status"])
    policy = AlertPolicy.objects.create(version=version, params=values.to_json(), note=note, created_by=user,
                                        status=AlertPolicy.Status.ACTIVE)
    audit(user, "alert_policy.create", policy, version=version, note=note,
          replaced=previous.version if previous else None)
    touch_books(everyone=True)  # the contact frequencies of every dashboard
    return policy

