"""Writes: dispatch (log messages, idempotently, and queue their sending), the sending itself (claim, hand to the
channel, record the outcome) and a manager's retry of failed messages."""
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from crm.services import audit_many
from customers.models import Staff

from . import conf, ratelimit, selectors
from .channels import ChannelDown, Rejected, channel_for
from .models import Message, NotificationPreference

log = logging.getLogger(__name__)
INSERT_BATCH = 2000


def _id(value):
    return getattr(value, "pk", value)


def recipient_key(row):
    if row.get("recipient_customer") is not None:
        return f"customer:{_id(row['recipient_customer'])}"
    if row.get("recipient_staff") is not None:
        return f"staff:{_id(row['recipient_staff'])}"
    if row.get("recipient_user") is not None:
        return f"user:{_id(row['recipient_user'])}"
    raise ValueError("a message needs a recipient")


def dispatch(messages, now=None):
    """Log one Message per dict (event_key, event_kind, channel, recipient_user | recipient_staff |
    recipient_customer — instances or ids —, address, subject, body, campaign_id=None) and queue its sending once
    the transaction commits. Idempotent: a (event_key, recipient, channel) already logged is not created again.
    A staff recipient's preferences apply: an event they turned off is logged as suppressed, a message in their
    quiet hours waits for the end. Returns how many messages were created."""
    now = now or timezone.now()
    rows = []
    for m in messages:
        rows.append({**m, "recipient_key": recipient_key(m)})
    if not rows:
        return 0
    staff_users = dict(Staff.objects.filter(pk__in={_id(r["recipient_staff"]) for r in rows
                                                    if r.get("recipient_staff") is not None})
                       .values_list("pk", "user_id"))
    prefs = selectors.preferences_of({uid for uid in staff_users.values() if uid}
                                     | {_id(r["recipient_user"]) for r in rows if r.get("recipient_user") is not None})
    existing = _existing_keys(rows)
    new, seen = [], set()
    for r in rows:
        key = (r["event_key"], r["recipient_key"], r["channel"])
        if key in existing or key in seen:
            continue
        seen.add(key)
        new.append(_message(r, staff_users, prefs, now))
    Message.objects.bulk_create(new, batch_size=INSERT_BATCH, ignore_conflicts=True)
    event_keys = sorted({m.event_key for m in new})
    if event_keys:
        transaction.on_commit(lambda: enqueue_queued(event_keys=event_keys))
    return len(new)


def _existing_keys(rows):
    event_keys = sorted({r["event_key"] for r in rows})
    found = set()
    for i in range(0, len(event_keys), 500):
        found.update(Message.objects.filter(event_key__in=event_keys[i:i + 500])
                     .values_list("event_key", "recipient_key", "channel"))
    return found


def _message(r, staff_users, prefs, now):
    user_id = _id(r.get("recipient_user"))
    if user_id is None and r.get("recipient_staff") is not None:
        user_id = staff_users.get(_id(r["recipient_staff"]))
    status, send_after = Message.Status.QUEUED, None
    if r.get("recipient_customer") is None:  # staff messages follow the person's preferences
        pref = prefs.get(user_id, selectors.DEFAULT)
        if not pref.wants(r["event_kind"]):
            status = Message.Status.SUPPRESSED
        else:
            send_after = pref.quiet_until(now)
    return Message(
        event_key=r["event_key"][:120], recipient_key=r["recipient_key"], event_kind=r["event_kind"],
        channel=r["channel"], recipient_user_id=user_id, recipient_staff_id=_id(r.get("recipient_staff")),
        recipient_customer_id=_id(r.get("recipient_customer")), address=r.get("address") or "",
        subject=(r.get("subject") or "")[:200], body=r["body"], status=status, send_after=send_after,
        campaign_id=r.get("campaign_id"))


def enqueue_queued(event_keys=None, ids=None, now=None):
    """Queue a send task per channel and batch for the queued messages (of `event_keys` or `ids`, or all of them:
    the beat safety net). Messages in quiet hours are queued for their time. A broker that is down loses
    nothing: the rows stay queued and the beat's next sweep queues them. Returns how many were queued."""
    from . import tasks

    now = now or timezone.now()
    qs = Message.objects.filter(status=Message.Status.QUEUED)
    if event_keys is not None:
        qs = qs.filter(event_key__in=list(event_keys))
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    groups = defaultdict(list)
    for pk, channel, send_after in qs.order_by("id").values_list("pk", "channel", "send_after"):
        groups[(channel, send_after if send_after and send_after > now else None)].append(pk)
    size, queued = conf.get("BATCH_SIZE"), 0
    try:
        for (channel, eta), pks in groups.items():
            for i in range(0, len(pks), size):
                tasks.send_batch.apply_async(args=[pks[i:i + size]], eta=eta, retry=False)
                queued += len(pks[i:i + size])
    except Exception as exc:  # kombu's OperationalError and friends: the beat sweep queues them later
        log.warning("queue unreachable, %s messages wait for the next sweep: %s", len(qs), exc)
    return queued


def sweep(now=None):
    """Beat safety net: messages a lost worker held beyond the lease are queued again, then every queued message
    that is due (or waited for a queue that was down) gets a task. Returns how many were queued."""
    now = now or timezone.now()
    lease = now - timedelta(seconds=conf.get("SENDING_LEASE"))
    Message.objects.filter(status=Message.Status.SENDING, claimed_at__lt=lease).update(
        status=Message.Status.QUEUED, claimed_at=None)
    due = Message.objects.filter(status=Message.Status.QUEUED, created_at__lt=now - timedelta(minutes=2)).filter(
        Q(send_after__isnull=True) | Q(send_after__lte=now))
    return enqueue_queued(ids=list(due.values_list("pk", flat=True)), now=now)


@dataclass
class Outcome:
    sent: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    retry: list = field(default_factory=list)  # the channel was down: back in the queue, try again later
    error: str = ""


def claim(ids, now):
    """Mark the sendable messages of `ids` as sending and return them: queued ones that are due, and ones a lost
    worker held beyond the lease. A message sent (or being sent by a live worker) is never claimed again."""
    lease = now - timedelta(seconds=conf.get("SENDING_LEASE"))
    sendable = (Q(status=Message.Status.QUEUED) & (Q(send_after__isnull=True) | Q(send_after__lte=now))
                | Q(status=Message.Status.SENDING, claimed_at__lt=lease))
    with transaction.atomic():
        pks = list(Message.objects.filter(pk__in=list(ids)).filter(sendable).select_for_update(skip_locked=True)
                   .order_by("id").values_list("pk", flat=True))
        Message.objects.filter(pk__in=pks).update(status=Message.Status.SENDING, claimed_at=now)
    return list(Message.objects.filter(pk__in=pks).order_by("id"))


def send_messages(ids, now=None):
    """Send the messages of `ids` (one channel's batch). Stops at the first sign the channel is down: that message
    and the rest go back to the queue (Outcome.retry). Each outcome is written as soon as it is known."""
    now = now or timezone.now()
    messages = claim(ids, now)
    outcome = Outcome()
    channels = {}
    for i, message in enumerate(messages):
        channel = channels.get(message.channel) or channels.setdefault(message.channel, channel_for(message.channel))
        ratelimit.acquire(message.channel)
        try:
            channel.send(message)
        except Rejected as exc:
            _record(message.pk, Message.Status.FAILED, str(exc))
            outcome.failed.append(message.pk)
        except ChannelDown as exc:
            outcome.error = str(exc)[:300]
            outcome.retry = [m.pk for m in messages[i:]]
            _release(outcome.retry, outcome.error, tried=message.pk)
            break
        else:
            _record(message.pk, Message.Status.SENT, "")
            outcome.sent.append(message.pk)
    return outcome


def _record(pk, status, error):
    Message.objects.filter(pk=pk).update(status=status, last_error=error[:300], attempts=F("attempts") + 1,
                                         sent_at=timezone.now() if status == Message.Status.SENT else None)


def _release(pks, error, tried):
    Message.objects.filter(pk__in=pks, status=Message.Status.SENDING).update(
        status=Message.Status.QUEUED, claimed_at=None, last_error=error)
    Message.objects.filter(pk=tried).update(attempts=F("attempts") + 1)


def hold(ids, seconds, now=None):
    """Messages waiting for their task's retry are not due before `seconds` from now (the sweep respects it)."""
    until = (now or timezone.now()) + timedelta(seconds=seconds)
    return Message.objects.filter(pk__in=list(ids), status=Message.Status.QUEUED).update(send_after=until)


def give_up(ids, error=""):
    """The retries are spent: the still-queued messages of `ids` become failed (shown to managers)."""
    fields = {"status": Message.Status.FAILED, "claimed_at": None}
    if error:
        fields["last_error"] = error[:300]
    return Message.objects.filter(pk__in=list(ids), status=Message.Status.QUEUED).update(**fields)


def retry_failed(message_ids, actor):
    """Queue the failed messages of `message_ids` that the actor answers for again (an office manager: their
    office's; branch roles: all). Audited. Returns how many. Raises PermissionDenied without the right."""
    from customers.scope import scope_for

    from .access import may_retry

    scope = scope_for(actor)
    if not may_retry(scope):
        raise PermissionDenied("outreach.retry")
    pks = list(selectors.failed_messages(scope).filter(pk__in=list(message_ids)).values_list("pk", flat=True))
    if not pks:
        return 0
    Message.objects.filter(pk__in=pks).update(status=Message.Status.QUEUED, claimed_at=None, send_after=None)
    audit_many(actor, [("outreach.retry", "outreach.message", pk, {}) for pk in pks])
    transaction.on_commit(lambda: enqueue_queued(ids=pks))
    return len(pks)


def save_preferences(user, *, events, channel, phone="", quiet_start=None, quiet_end=None):
    """The user's own preferences (a row replaces the defaults). Returns the row."""
    pref, _created = NotificationPreference.objects.update_or_create(user=user, defaults={
        "events": sorted(set(events)), "channel": channel, "phone": phone or "", "quiet_start": quiet_start,
        "quiet_end": quiet_end})
    return pref
