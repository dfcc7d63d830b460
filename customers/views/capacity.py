"""The advisor capacity caps page (issue 20): branch managers save a new version; managers and compliance read it
with each advisor role's load against the caps."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ..capacity import LABELS, CapacityCaps, new_capacity_policy
from ..forms import CapacityForm
from ..models import ADVISOR_ROLES, AdvisorCapacityPolicy, Staff
from ..rights import Write, writes
from ..scope import scope_for
from ..selectors import active_capacity_policy, advisor_load


@writes(Write.EDIT_CAPACITY)
def capacity_policy(request):
    scope = scope_for(request.user)
    if not (scope.can_assign or scope.is_branch_wide):
        raise PermissionDenied
    can_edit = scope.may(Write.EDIT_CAPACITY)
    active = active_capacity_policy()
    current = CapacityCaps.of(active)
    form = CapacityForm(request.POST or None, initial_params=current, editable=can_edit)
    if request.method == "POST" and form.is_valid():
        try:
            policy = new_capacity_policy(user=request.user, caps=form.cleaned_data["params"],
                                         note=form.cleaned_data.get("note", ""))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Capacity caps saved; they apply from now on (version of %(when)s).") % {
                "when": policy.created_at.strftime("%Y-%m-%d %H:%M")})
            return redirect("customers:capacity")
    versions = list(AdvisorCapacityPolicy.objects.select_related("created_by")[:50])
    values = [CapacityCaps.of(v).to_json() for v in versions]
    return render(request, "customers/capacity.html", {
        "form": form, "can_edit": can_edit, "saved": active.pk is not None, "loads": _loads(scope, active),
        "versions": [{"policy": v, "changes": LABELS.changes(older, new) if older else []}
                     for v, new, older in zip(versions, values, [*values[1:], None])]})


def _loads(scope, policy):
    """Per advisor role in the reader's scope: advisors, the largest book and how many are at or above the cap."""
    advisors = list(scope.staff_queryset().filter(role__in=ADVISOR_ROLES, is_active=True).values_list("id", "role"))
    load = advisor_load([pk for pk, _role in advisors])
    rows = []
    for role in ADVISOR_ROLES:
        books = [load.get(pk, 0) for pk, r in advisors if r == role]
        cap = policy.cap_for(role)
        rows.append({"role": Staff(role=role).get_role_display(), "advisors": len(books), "cap": cap,
                     "largest": max(books, default=0), "at_cap": sum(b >= cap for b in books)})
    return rows
