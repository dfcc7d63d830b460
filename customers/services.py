"""Writes and domain rules for customers: assignment within capacity, contacts, imports, PII reveal."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import JobRun
from crm.services import audit, finish_job, job_run, start_job
from crm.textlimits import NOTE_MAX_LENGTH, SHORT_TEXT_MAX_LENGTH, refuse_longer

from .imports.engine import import_file
from .imports.uploader import file_refusal, uploader_for
from .models import Customer, ImportBatch, Interaction, Role, Staff
from .rights import Write
from .scope import scope_for
from .selectors import active_capacity_policy

ASSIGNABLE = {
    "advisor": (Role.WEALTH_ADVISOR, Role.INSTITUTIONAL_ADVISOR),
    "investment_advisor": (Role.INVESTMENT_ADVISOR,),
}


@transaction.atomic
def assign_advisor(*, customer, advisor, actor, field="advisor"):
    """Assign a customer to an advisor, refusing to exceed the advisor's capacity cap (open accounts count).

    The advisor row is locked so two concurrent assignments cannot both take the last place.
    """
    if field not in ASSIGNABLE:
        raise ValueError(field)
    if not scope_for(actor).can_assign:
        raise PermissionDenied(_("Only managers may reassign customers."))
    if advisor is not None:
        advisor = Staff.objects.select_for_update().get(pk=advisor.pk)
        if advisor.role not in ASSIGNABLE[field]:
            raise ValidationError(_("%(staff)s cannot be assigned as %(field)s.") % {"staff": advisor, "field": field})
        cap = active_capacity_policy().cap_for(advisor.role)
        current = Customer.objects.filter(**{field: advisor}, closed_on__isnull=True).exclude(pk=customer.pk).count()
        if cap is not None and current >= cap:
            raise ValidationError(
                _("%(staff)s already serves %(n)d customers (cap %(cap)d).") % {"staff": advisor, "n": current, "cap": cap}
            )
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    before = getattr(customer, f"{field}_id")
    setattr(customer, field, advisor)
    customer.save(update_fields=[field, "updated_at"])
    audit(actor, "customer.assign", customer, field=field, before=before, after=advisor.pk if advisor else None)
    touch_books(customer_ids=[customer.pk], staff_ids=[before])  # the new advisors' books and the old one
    return customer


def touch_books(*, customer_ids=(), staff_ids=(), everyone=False):
    """Mark books as changed (Staff.book_changed_at): those of the customers' advisors and investment advisors,
    the given staff, or everyone's (a nightly job, a policy change). Pages cached per book are then computed
    afresh on their next view. Call it in the write's transaction or after its commit, never before it: a page
    computed in between would be cached under the new mark with the old data.

    Rows another transaction holds are skipped, never waited for, so two writes cannot deadlock on staff
    rows: every transaction that locks a staff row (assign_advisor, this function) moves that row's mark
    itself before it commits. Everyone's marks move after the job's commit, in a transaction of their own,
    so a long publish holds no staff row."""
    if everyone:
        transaction.on_commit(lambda: _move_marks(Staff.objects.all()))
        return None
    ids = set(staff_ids) - {None}
    for pair in Customer.objects.filter(pk__in=list(customer_ids)).values_list("advisor_id", "investment_advisor_id"):
        ids.update(pair)
    ids.discard(None)
    return _move_marks(Staff.objects.filter(pk__in=ids)) if ids else 0


def _move_marks(staff):
    with transaction.atomic():
        free = list(staff.select_for_update(skip_locked=True).order_by("pk").values_list("pk", flat=True))
        return Staff.objects.filter(pk__in=free).update(book_changed_at=timezone.now())


@transaction.atomic
def log_interaction(*, customer, actor, channel, summary, note="", at=None, next_step=None):
    """Log a contact with a customer in the actor's scope, if their role logs contacts (customers.rights).

    The contact clears the work (contacts_made): the customer's next scheduled contact moves to this contact plus
    their cycle, and the registered contact hooks run in this transaction (alerts closes the contact-due reminder
    and moves open warnings to contacted). A `next_step` ({kind, due_at, note}) goes to the next-step hooks
    (planner: a task), in the same transaction."""
    scope = scope_for(actor)
    if not scope.may(Write.LOG_CONTACT) or not scope.customers().filter(pk=customer.pk).exists():
        raise PermissionDenied
    refuse_longer(summary=(summary, SHORT_TEXT_MAX_LENGTH), note=(note, NOTE_MAX_LENGTH))
    with transaction.atomic():
        interaction = Interaction.objects.create(
            customer=customer, staff=scope.staff, channel=channel, summary=summary, note=note,
            at=at or timezone.now())
        contacts_made(contacts={customer.pk: (interaction.at, interaction.pk)}, actor=actor)
        if next_step:
            for hook in _next_step_hooks:
                hook(interaction=interaction, actor=actor, **next_step)
    touch_books(customer_ids=[customer.pk])
    return interaction


# Functions called with every contact made (contacts_made), in its transaction. Apps that build on customers
# register here from their AppConfig.ready (alerts: alerts.services.contact_made), so customers never imports
# them, and every way of recording a contact (quick log, alert transition, API, survey filing) reaches them.
_contact_hooks = []


# Functions called with a contact's "next step" (log_interaction), registered like the contact hooks (planner).
_next_step_hooks = []


def on_next_step(hook):
    """Register hook(interaction=…, actor=…, kind=…, due_at=…, note=…)."""
    if hook not in _next_step_hooks:
        _next_step_hooks.append(hook)


def on_contact(hook):
    """Register hook(contacts={customer_id: (at, interaction_id or None)}, actor=user or None)."""
    if hook not in _contact_hooks:
        _contact_hooks.append(hook)


def contacts_made(*, contacts, actor=None):
    """Contacts with customers happened: {customer_id: (at, interaction_id or None)}. Reset each customer's contact
    clock (next_contact_on = the contact's local date + contact_cycle_months, never moved back), then run the contact
    hooks. Set-based: one update per (date, cycle) pair, whatever the number of customers."""
    from crm.dates import add_months

    if not contacts:
        return
    cycles = dict(Customer.objects.filter(pk__in=list(contacts), contact_cycle_months__isnull=False)
                  .values_list("pk", "contact_cycle_months"))
    groups = {}
    for pk, months in cycles.items():
        day = timezone.localtime(contacts[pk][0]).date()
        groups.setdefault(add_months(day, months), []).append(pk)
    for next_on, ids in groups.items():
        Customer.objects.filter(pk__in=ids).filter(
            Q(next_contact_on__isnull=True) | Q(next_contact_on__lt=next_on)).update(next_contact_on=next_on)
    for hook in _contact_hooks:
        hook(contacts=contacts, actor=actor)


def saved_and_audited(save, *, actor, obj, existing, action_of):
    """Run `save()` (e.g. the Django admin's) and audit what changed among the fields `action_of` names
    ({field: action}) with before and after: roles and assignments are on the record from every path."""
    before = (type(obj).objects.filter(pk=obj.pk).values(*action_of).first() or {}) if existing else {}
    save()
    for field, action in action_of.items():
        old, new = before.get(field), getattr(obj, field)
        if old != new:
            audit(actor, action, obj, field=field.removesuffix("_id"), before=old, after=new, path="admin")

def reveal_pii(*, customer, actor, field):
    """Return the full phone or ID number for an allowed role, and log that it was seen."""
    if field not in ("phone", "id_number"):
        raise ValueError(field)
    scope = scope_for(actor)
    if not scope.can_reveal(field) or not scope.customers().filter(pk=customer.pk).exists():
        raise PermissionDenied
    audit(actor, "pii.view", customer, field=field)
    return getattr(customer, field)


def import_backoffice(dataset, raw, *, uploader, skip_invalid=False, filename="", keep_rejects=False):
    """Import one file as a recorded job run; the result carries the errors by line and field.

    `uploader` is imports.uploader.SYSTEM for the back office's own feeds (the drop folder, the command) or
    uploader_for(person) for an upload, whose rows are then held to that person's rights. A rejected file's run
    ends "rejected" with its error count."""
    user = uploader.user
    with job_run("import_backoffice", params={"dataset": dataset, "file": filename}, user=user) as run:
        result = import_file(dataset, raw, skip_invalid=skip_invalid, uploader=uploader, filename=filename,
                             keep_rejects=keep_rejects)
        run.counts = result.counts()
        if not result.written:
            run.status = JobRun.Status.REJECTED
    if result.written:
        from crm.bulk import refresh_statistics

        from .imports.datasets import DATASETS

        refresh_statistics(DATASETS[dataset].model)  # the night's queries plan on the new rows
        audit(user, "import", object_type="dataset", object_id=dataset, file=filename, **result.counts())
    return result


def create_import_batch(*, dataset, uploaded, user, skip_invalid=False):
    """Store an upload for a worker to check. Refused here, before anything is queued, when the person may not
    import at all or not this dataset (staff files: branch managers only)."""
    refusal = file_refusal(uploader_for(user), dataset)
    if refusal:
        raise ValidationError(_("You may not import this file: %(reason)s.") % {"reason": refusal})
    return ImportBatch.objects.create(
        dataset=dataset,
        filename=uploaded.name[:200],
        content=uploaded.read(),
        skip_invalid=skip_invalid,
        uploaded_by=user,
    )


def process_import_batch(batch_id):
    """Run a stored upload through the importer as its uploader; safe to deliver twice or more: the batch row is
    locked while it is imported and a finished batch is left alone, a second delivery meanwhile skips it.

    A failure other than a lost database connection marks the batch failed (no endless re-queueing); after a
    lost connection it stays pending for the task's retry or the stuck-upload sweep."""
    try:
        return _process_import_batch(batch_id)
    except OperationalError:
        raise
    except Exception:
        ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.PENDING).update(
            status=ImportBatch.Status.FAILED, finished_at=timezone.now())
        raise


def _process_import_batch(batch_id):
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update(skip_locked=True).filter(pk=batch_id).first()
        if batch is None or batch.status != ImportBatch.Status.PENDING:
            return batch or ImportBatch.objects.defer("content").get(pk=batch_id)
        result = import_backoffice(
            batch.dataset, bytes(batch.content), skip_invalid=batch.skip_invalid,
            uploader=uploader_for(batch.uploaded_by), filename=batch.filename,
        )
        batch.errors = result.errors
        batch.counts = result.counts()
        batch.status = ImportBatch.Status.IMPORTED if result.written else ImportBatch.Status.REJECTED
        batch.finished_at = timezone.now()
        batch.save(update_fields=["errors", "counts", "status", "finished_at"])
    return batch


def stuck_import_batches(now=None, after=None):
    """Uploads still pending `after` (settings.IMPORT_REQUEUE_AFTER_MINUTES, default 5) their upload: the
    queue was down, or the task was lost. Their ids, oldest first."""
    from datetime import timedelta

    from django.conf import settings

    now = now or timezone.now()
    after = after or timedelta(minutes=getattr(settings, "IMPORT_REQUEUE_AFTER_MINUTES", 5))
    return list(ImportBatch.objects.filter(status=ImportBatch.Status.PENDING, uploaded_at__lt=now - after)
                .order_by("uploaded_at", "pk").values_list("pk", flat=True))


def run_reclassification(*, day=None, policy=None, chunk_size=None, user=None):
    """The nightly tiering run in this process, recorded as a job run (returned, failed or not).

    Chunks are computed one after another in memory; workers use the staged path (tasks.reclassify).
    """
    from .tiering import batch

    run = start_reclassification(day=day, policy=policy, chunk_size=chunk_size, user=user)
    try:
        day, policy, params, data_start = batch.run_settings(run)
        tiers, prev, prev_date = batch.compute_in_process(
            day, params, run.params["chunks"], data_start,
            progress=lambda pct: JobRun.objects.filter(pk=run.pk).update(progress=pct))
        with transaction.atomic():  # publish and the run's success together, or neither
            counts = batch.publish(tiers, day, policy, prev, prev_date)
            finish_job(run, counts={**counts, "chunks": len(run.params["chunks"])})
        batch.refresh_statistics()
    except Exception as exc:  # the previous tiers stay in force; the run row says why
        fail_reclassification(run.pk, exc)
    run.refresh_from_db()
    return run


def start_reclassification(*, day=None, policy=None, chunk_size=None, user=None):
    """Record a run with its chunks (customer id ranges); chunks may then run on any worker, in any order."""
    from .tiering import batch

    day = day or batch.default_run_date()
    policy = policy or batch.active_policy()
    chunks = batch.chunk_ranges(chunk_size or batch.DEFAULT_CHUNK)
    batch.clear_abandoned_staging()
    data_start = batch.activity_data_start()
    return start_job("reclassify", user=user, params={
        "date": day.isoformat(), "policy_id": policy.pk, "policy_version": policy.version,
        "chunks": chunks, "data_start": data_start.isoformat() if data_start else None,
    })


def reclassify_chunk(run_id, lo, hi):
    """Phase A for one chunk. Returns True when this was the last chunk still missing."""
    from .tiering import batch

    run = JobRun.objects.get(pk=run_id)
    if run.status != JobRun.Status.RUNNING:
        return False
    day, policy, params, data_start = batch.run_settings(run)
    batch.compute_chunk(run.pk, day, params, lo, hi, data_start)
    with transaction.atomic():
        run = JobRun.objects.select_for_update().get(pk=run_id)
        done = {tuple(c) for c in run.counts.get("chunks_done", [])} | {(lo, hi)}
        run.counts = {**run.counts, "chunks_done": sorted(done)}
        run.progress = int(90 * len(done) / max(len(run.params["chunks"]), 1))
        run.save(update_fields=["counts", "progress"])
        return len(done) == len(run.params["chunks"])


def publish_reclassification(run_id):
    """Phase B and the atomic publish; a second call for a finished run does nothing."""
    from .tiering import batch

    with transaction.atomic():
        run = JobRun.objects.select_for_update().get(pk=run_id)
        if run.status != JobRun.Status.RUNNING:
            return run
        day, policy, params, _start = batch.run_settings(run)
        counts = batch.finalize(run.pk, day, policy, params)
        finish_job(run, counts={**counts, "chunks": len(run.params["chunks"])})
    batch.refresh_statistics()
    return run


def fail_reclassification(run_id, exc):
    from .tiering import batch

    run = JobRun.objects.get(pk=run_id)
    if run.status == JobRun.Status.RUNNING:
        finish_job(run, error=f"{type(exc).__name__}: {exc}")
    batch.clear_staging(run_id)


def override_star(*, customer, star, reason, expires_on, actor):
    """Pin a customer's star until `expires_on` (a manager, within scope); audited."""
    from django.utils import timezone as tz

    from .models import StarOverride

    scope = scope_for(actor)
    if not scope.can_assign or not scope.customers().filter(pk=customer.pk).exists():
        raise PermissionDenied
    institutional = customer.kind == Customer.Kind.INSTITUTIONAL
    if (star in ("platinum", "diamond", "prestige")) != institutional:
        raise ValidationError(_("That star does not apply to this kind of customer."))
    if expires_on < tz.localdate():
        raise ValidationError(_("The expiry date is in the past."))
    override = StarOverride.objects.create(customer=customer, star=star, reason=reason, expires_on=expires_on,
                                           created_by=actor)
    audit(actor, "star_override.create", customer, star=star, reason=reason, expires_on=expires_on.isoformat())
    touch_books(customer_ids=[customer.pk])
    return override


def mark_notifications_read(*, staff):
    from .models import Notification

    return Notification.objects.filter(staff=staff, read_at__isnull=True).update(read_at=timezone.now())
