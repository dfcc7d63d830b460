"""Closing and transfer-out applications (转销户) handled by operations staff: reads and writes.

The back-office import delivers applications too; this module is the counter's side. Rules (spec silent,
decided here):

- Reading follows the data scope like every customer row: advisors see their own customers' applications,
  operations staff and office managers their office's, branch managers and compliance all.
- Filing, accepting and withdrawing: operations staff, office managers and branch managers (and superusers),
  within their scope. Advisors and compliance read only.
- An application is filed for a customer with an account (not a prospect) that is not closed, dated today or
  earlier and not before the account was opened; one per customer, day and kind, and no second pending one of
  the same kind (withdraw the pending one first).
- Only a filed application moves, to accepted or withdrawn; both are final.
- Accepting does not touch the customer's `closed_on`: the back-office import reports the actual closure. An
  accepted application already makes the customer "churned" in the next nightly tiering run (tiering.md), and
  a filed one opens the red `closing_application` alert in the next nightly scan (alerts.md).
- Every change writes one audit event (`application.file`, `application.accept`, `application.withdraw`) in
  the same transaction as the change; on any error nothing is written.
"""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.services import audit

from .models import Application
from .rights import Write
from .scope import scope_for
from .services import touch_books

# Which status may follow which: only a filed application moves, and both outcomes are final.
TRANSITIONS = {
    Application.Status.FILED: (Application.Status.ACCEPTED, Application.Status.WITHDRAWN),
    Application.Status.ACCEPTED: (),
    Application.Status.WITHDRAWN: (),
}
AUDIT_ACTIONS = {Application.Status.ACCEPTED: "application.accept", Application.Status.WITHDRAWN: "application.withdraw"}


class ApplicationNotFound(Exception):
    """Out of the user's scope or absent: the caller answers 404 either way."""


# --- reads ------------------------------------------------------------------------------------------

def can_handle(user):
    """May file, accept and withdraw applications (within the data scope)."""
    return scope_for(user).may(Write.HANDLE_APPLICATION)


def visible_applications(user):
    return scope_for(user).filter(Application.objects.all(), "customer__")


def application_list(user):
    """The list page, its export and the API list: one query with everything a row shows, newest first."""
    return (visible_applications(user).select_related("customer", "customer__office")
            .order_by("-filed_on", "-id"))


def application_detail(user, pk):
    """One application within the user's scope (raises Application.DoesNotExist otherwise)."""
    return application_list(user).get(pk=pk)


EXPORT_FIELDS = ("id", "customer__customer_code", "customer__name", "customer__office__code", "kind", "status",
                 "filed_on")


def export_rows(queryset, limit):
    kinds, statuses = dict(Application.Kind.choices), dict(Application.Status.choices)
    for pk, code, name, office, kind, status, filed_on in queryset.values_list(*EXPORT_FIELDS)[:limit]:
        yield (pk, code, name, office, str(kinds.get(kind, kind)), str(statuses.get(status, status)),
               filed_on.isoformat())


# --- writes -----------------------------------------------------------------------------------------

def file_application(*, actor, customer_code, kind, filed_on=None, note=""):
    """File an application for a customer in the actor's scope; returns it.

    Raises PermissionDenied (a role that only reads) or ValidationError ({field: [messages]}); nothing is
    written on error."""
    if not can_handle(actor):
        raise PermissionDenied(_("Your role may read closing and transfer applications but not file them."))
    today = timezone.localdate()
    filed_on = filed_on or today
    code = (customer_code or "").strip()
    errors = {}
    if kind not in Application.Kind.values:
        errors["kind"] = [_("Choose closing or transfer out.")]
    if filed_on > today:
        errors["filed_on"] = [_("The filing date cannot be in the future.")]
    with transaction.atomic():
        # The customer row is locked so two clerks filing at once are checked one after the other.
        customer = scope_for(actor).customers().select_for_update().filter(customer_code=code).first() \
            if code else None
        if customer is None:
            # out of scope reads exactly like absent
            errors["customer_code"] = [_("No customer with code “%(code)s” in your scope.") % {"code": code[:40]}]
        else:
            for field, messages in _customer_errors(customer, kind, filed_on, errors).items():
                errors.setdefault(field, []).extend(messages)
        if errors:
            raise ValidationError(errors)
        try:
            with transaction.atomic():
                application = Application.objects.create(customer=customer, filed_on=filed_on, kind=kind,
                                                         status=Application.Status.FILED)
        except IntegrityError:  # a concurrent import wrote the same customer, day and kind
            raise ValidationError({"filed_on": [_duplicate_message()]}) from None
        audit(actor, "application.file", application, customer=customer.customer_code, kind=kind,
              filed_on=filed_on.isoformat(), note=(note or "").strip()[:200])
        touch_books(customer_ids=[customer.pk])
    return application


def _duplicate_message():
    return _("This customer already has an application of this kind filed on that day.")


def _customer_errors(customer, kind, filed_on, errors):
    found = {}
    if customer.closed_on is not None:
        found["customer_code"] = [_("The customer's account was closed on %(date)s.") % {
            "date": customer.closed_on.isoformat()}]
        return found
    if customer.opened_on is None:
        found["customer_code"] = [_("The customer has no account (a prospect): there is nothing to close.")]
        return found
    if "filed_on" not in errors and filed_on < customer.opened_on:
        found["filed_on"] = [_("The filing date is before the account was opened (%(date)s).") % {
            "date": customer.opened_on.isoformat()}]
    if "kind" in errors or "filed_on" in errors:
        return found
    same_kind = Application.objects.filter(customer=customer, kind=kind)
    if same_kind.filter(filed_on=filed_on).exists():
        found.setdefault("filed_on", []).append(_duplicate_message())
    elif same_kind.filter(status=Application.Status.FILED).exists():
        found["kind"] = [_("The customer already has a pending application of this kind; accept or withdraw "
                           "it first.")]
    return found


def transition_application(*, application_id, actor, to, note=""):
    """Accept or withdraw a filed application, under a row lock; returns it.

    Raises ApplicationNotFound (out of scope or absent), PermissionDenied (a role that only reads) or
    ValidationError ({field: [messages]}) for an illegal move; nothing is written on error."""
    if not can_handle(actor):
        raise PermissionDenied(_("Your role may read closing and transfer applications but not change them."))
    with transaction.atomic():
        locked = visible_applications(actor).select_for_update().filter(pk=application_id).first()
        if locked is None:
            raise ApplicationNotFound(application_id)
        application = Application.objects.select_related("customer").get(pk=locked.pk)
        if to not in Application.Status.values:
            raise ValidationError({"to": [_("Unknown status “%(to)s”.") % {"to": str(to)[:40]}]})
        if to not in TRANSITIONS[application.status]:
            raise ValidationError({"to": [_("An application that is %(status)s cannot become %(to)s; only a filed "
                                            "application is accepted or withdrawn.") % {
                "status": application.get_status_display(), "to": Application.Status(to).label}]})
        before = application.status
        application.status = to
        application.save(update_fields=["status"])
        audit(actor, AUDIT_ACTIONS[to], application, customer=application.customer.customer_code,
              kind=application.kind, filed_on=application.filed_on.isoformat(), before=before, after=to,
              note=(note or "").strip()[:200])
        touch_books(customer_ids=[application.customer_id])
    return application
