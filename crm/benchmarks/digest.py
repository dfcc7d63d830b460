"""The morning digest of every advisor (issue 21: ≤ 60 s on the 220,000-customer branch): build every list, the
overdue tasks and the new red alerts (set-based), render, dispatch, and hand every message to the channel
(e-mail, Django's in-memory backend, with the channel's rate limit). Runs in a transaction rolled back at the
end: the database keeps no bench messages and no task is queued."""
import time

from django.core import mail
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

from outreach import digest, services
from outreach.models import Message


class _Rollback(Exception):
    pass


def run(stdout):
    if connection.vendor != "postgresql":
        raise SystemExit("bench digest measures PostgreSQL: set DATABASE_URL")
    day = timezone.localdate()  # what send_digest sends this morning
    figures = {}
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                           OUTREACH_CHANNELS={"wecom": "outreach.channels.in_app.InAppChannel",
                                              "sms": "outreach.channels.in_app.InAppChannel"}):
        mail.outbox = []
        try:
            with transaction.atomic():
                Message.objects.filter(event_key=f"digest:{day.isoformat()}").delete()
                started = time.perf_counter()
                digests = digest.build_digests(day)
                figures["build"] = time.perf_counter() - started
                t = time.perf_counter()
                rows = digest.digest_messages(day, digests)
                figures["render"] = time.perf_counter() - t
                t = time.perf_counter()
                created = services.dispatch(rows)
                figures["dispatch"] = time.perf_counter() - t
                t = time.perf_counter()
                ids = list(Message.objects.filter(event_key=f"digest:{day.isoformat()}", status="queued")
                           .values_list("pk", flat=True))
                outcome = services.send_messages(ids)
                figures["send"] = time.perf_counter() - t
                figures["total"] = time.perf_counter() - started
                raise _Rollback
        except _Rollback:
            pass
    cards = sum(len(d.cards) for d in digests.values())
    stdout.write(f"digest {day}: {len(digests):,} advisors, {len(rows):,} digests ({cards:,} cards), "
                 f"{created:,} messages, {len(outcome.sent):,} handed to the channel, {len(mail.outbox):,} e-mails")
    for name in ("build", "render", "dispatch", "send"):
        stdout.write(f"  {name:<10} {figures[name]:8.2f} s")
    stdout.write(f"  total      {figures['total']:8.2f} s   (target ≤ 60)")
    return {**figures, "advisors": len(digests), "messages": created, "sent": len(outcome.sent)}
