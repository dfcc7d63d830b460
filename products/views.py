"""Product pages: catalogue and its history, matrices, parameters, bulk push lists, overrides, staffing.

Customers are only ever read through the user's scope (customers.scope via selectors); writes go
through services, which check the role again.
"""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from crm.dates import local_minute
from crm.exports import DATE, DATETIME, INT, MONEY, PCT, Table, export_response, filter_pairs, tables_response
from crm.formerrors import report_form_errors
from crm.redirects import safe_next
from crm.services import audit
from customers.models import Customer
from customers.rights import Write, writes
from customers.scope import member_scope, scope_for

from . import batch, rules, selectors, services
from .filters import ProductFilter
from .forms import OverrideForm, ParametersForm, ProductForm
from .models import HoldingClass, PolicyKind, Product, SuitabilityOverride
from .reasons import reason_label

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000




def _manager_or_compliance(request):
    scope = member_scope(request)
    if not (scope.can_assign or scope.is_branch_wide):
        raise PermissionDenied
    return scope


def _editor(request):
    member_scope(request)
    if not services.can_edit_catalogue(request.user):
        raise PermissionDenied


def _fmt(request):
    fmt = request.GET.get("export")
    if fmt and fmt not in ("csv", "xlsx"):
        raise Http404
    return fmt


# -- catalogue -----------------------------------------------------------------

def catalogue(request):
    member_scope(request)
    filterset = ProductFilter(request.GET, queryset=selectors.current_versions())
    fmt = _fmt(request)
    if fmt:
        rows = [(v.product.code, v.name_zh, v.name_en, v.get_category_display(), v.risk, v.min_investment,
                 ";".join(v.required_permissions), v.fee_model, v.retired) for v in filterset.qs]
        audit(request.user, "export", object_type="products", object_id=fmt, rows=len(rows))
        headers = [pgettext("product", "Code"), _("Chinese name"), _("English name"), _("Category"), _("Risk rating"),
                   _("Minimum investment"), _("Required permissions"), _("Fee model"), _("Retired")]
        return export_response(rows, headers, "products", fmt, formats={5: MONEY}, title=_("Product catalogue"),
                               filters=filter_pairs(filterset))
    query = request.GET.copy()
    return render(request, "products/catalogue.html", {
        "filter": filterset, "versions": filterset.qs, "query": query.urlencode(),
        "can_edit": services.can_edit_catalogue(request.user),
    })


def product_detail(request, code):
    scope = member_scope(request)
    product = get_object_or_404(Product, code=code)
    history = list(selectors.product_history(product))
    current = next((v for v in history if v.is_current), None)
    return render(request, "products/product_detail.html", {
        "product": product, "current": current, "history": history,
        "can_edit": services.can_edit_catalogue(request.user), "can_push": scope.is_member,
    })


@writes(Write.EDIT_CATALOGUE)
def product_edit(request, code=None):
    _editor(request)
    product = get_object_or_404(Product, code=code) if code else None
    current = product.versions.get(is_current=True) if product else None
    form = ProductForm(request.POST or None, instance=current, new=product is None)
    if request.method == "POST" and form.is_valid():
        new_code = code or form.cleaned_data["code"]
        if product is None and Product.objects.filter(code=new_code).exists():
            form.add_error("code", _("A product with this code exists."))
        else:
            try:
                services.save_product(user=request.user, code=new_code, values=form.values(),
                                      note=form.cleaned_data["note"])
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Saved as a new version."))
                return redirect("products:detail", code=new_code)
    return render(request, "products/product_form.html", {"form": form, "product": product})


@require_POST
@writes(Write.EDIT_CATALOGUE)
def product_retire(request, code):
    _editor(request)
    product = get_object_or_404(Product, code=code)
    retire = request.POST.get("retired") == "1"
    try:
        services.set_retired(user=request.user, product=product, retired=retire, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Product retired; it stays in the history.") if retire else
                         _("Product reinstated."))
    return redirect("products:detail", code=code)


# -- matrices and parameters ---------------------------------------------------

def _policy_page(request, kind):
    member_scope(request)
    history = list(selectors.policy_history(kind))
    shown = history[0] if history else selectors.active_policy(kind)
    wanted = request.GET.get("version")
    if wanted:
        shown = next((p for p in history if str(p.version) == wanted), None)
        if shown is None:
            raise Http404
    return history, shown


@writes(Write.EDIT_CATALOGUE)
def matrix(request):
    history, shown = _policy_page(request, PolicyKind.ELIGIBILITY)
    can_edit = services.can_edit_catalogue(request.user)
    versions = {v.product.code: v for v in selectors.current_versions()}
    if request.method == "POST":
        _editor(request)
        data = {"columns": list(rules.MATRIX_COLUMNS), "products": list(shown.data["products"]), "rows": {}}
        for code in data["products"]:
            data["rows"][code] = [1 if request.POST.get(f"{code}|{c}") else 0 for c in rules.MATRIX_COLUMNS]
        for code in versions:  # products added to the catalogue after the matrix: a new row
            if code not in data["rows"] and any(request.POST.get(f"{code}|{c}") for c in rules.MATRIX_COLUMNS):
                data["products"].append(code)
                data["rows"][code] = [1 if request.POST.get(f"{code}|{c}") else 0 for c in rules.MATRIX_COLUMNS]
        return _save_policy(request, PolicyKind.ELIGIBILITY, data, "products:matrix")
    codes = list(shown.data["products"]) + [c for c in versions if c not in shown.data["rows"]]
    rows = [(code, versions.get(code),
             list(zip(shown.data["columns"], shown.data["rows"].get(code, [0] * len(rules.MATRIX_COLUMNS)))))
            for code in codes]
    return render(request, "products/matrix.html", {
        "history": history, "shown": shown, "columns": shown.data["columns"], "rows": rows,
        "can_edit": can_edit and shown.status == "active",
    })


@writes(Write.EDIT_CATALOGUE)
def advisor_levels(request):
    history, shown = _policy_page(request, PolicyKind.ADVISOR_LEVELS)
    if request.method == "POST":
        _editor(request)
        data = {"columns": list(rules.MATRIX_COLUMNS),
                "grades": [request.POST.get(f"grade|{c}", "") for c in rules.MATRIX_COLUMNS]}
        return _save_policy(request, PolicyKind.ADVISOR_LEVELS, data, "products:grades")
    return render(request, "products/advisor_levels.html", {
        "history": history, "shown": shown, "cells": list(zip(shown.data["columns"], shown.data["grades"])),
        "grades": rules.GRADES, "can_edit": services.can_edit_catalogue(request.user) and shown.status == "active",
    })


@writes(Write.EDIT_CATALOGUE)
def parameters(request):
    history, shown = _policy_page(request, PolicyKind.PARAMETERS)
    classes = list(HoldingClass.choices)
    form = ParametersForm(request.POST or None, initial=ParametersForm.initial_from(shown.data),
                          holding_classes=classes)
    if request.method == "POST":
        _editor(request)
        if form.is_valid():
            return _save_policy(request, PolicyKind.PARAMETERS, form.params(), "products:parameters", form=form)
    return render(request, "products/parameters.html", {
        "history": history, "shown": shown, "form": form, "readonly_rows": form.readonly_rows(shown.data),
        "can_edit": services.can_edit_catalogue(request.user) and shown.status == "active",
    })


def _save_policy(request, kind, data, url, form=None):
    note = (form.cleaned_data.get("note") if form else request.POST.get("note", "")) or ""
    if not note.strip():
        messages.error(request, _("Say what changes and why (note)."))
        return redirect(url)
    try:
        policy = services.save_policy(user=request.user, kind=kind, data=data, note=note.strip())
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        return redirect(url)
    messages.success(request, _("Version %(v)d is now in force.") % {"v": policy.version})
    return redirect(url)


# -- bulk push -----------------------------------------------------------------

PUSH_COLUMNS = ("customer_code", "name", "office_code", "advisor_code", "risk_level", "f_star", "f_subtype",
                "f_assets")


def push_list(request, code):
    """The customers (in scope) a product may be pushed to: only suitable ones; exportable (audited)."""
    member_scope(request)
    ctx = selectors.match_context()
    version = ctx.versions.get(code)
    if version is None and not Product.objects.filter(code=code).exists():
        raise Http404
    frame = selectors.push_list(request.user, code, ctx)
    fmt = _fmt(request)
    if fmt:
        rows = list(frame[list(PUSH_COLUMNS)].itertuples(index=False, name=None))
        audit(request.user, "export", object_type="product_push", object_id=code, format=fmt, rows=len(rows))
        headers = [_("Customer code"), _("Name"), _("Office"), _("Advisor"), _("Risk level"), _("Star"),
                   _("Sub-type"), _("Total assets")]
        return export_response(rows, headers, f"push-{code}", fmt, formats={7: MONEY}, title=_("Push list"),
                               filters=[(_("Product"), f"{code} {version.display_name}" if version else code)])
    page = Paginator(frame.to_dict("records"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "products/push_list.html", {
        "code": code, "version": version, "page": page, "total": len(frame),
    })


# -- overrides -----------------------------------------------------------------

def overrides(request):
    scope = member_scope(request)
    qs = scope.filter(SuitabilityOverride.objects.all(), "customer__").select_related(
        "customer", "product", "created_by", "revoked_by")
    if request.GET.get("all") != "1":
        qs = qs.filter(revoked_at__isnull=True)
    fmt = _fmt(request)
    if fmt:
        rows = [(o.customer.customer_code, o.customer.name, o.product.code,
                 " ".join(str(w) for w, on in ((_("minimum investment"), o.waive_min_investment),
                                               (_("tier matrix"), o.waive_tier_matrix)) if on),
                 o.reason, o.expires_on, o.created_by.username if o.created_by else "",
                 local_minute(o.created_at), local_minute(o.revoked_at))
                for o in qs.order_by("-created_at", "-id")[:EXPORT_LIMIT]]
        audit(request.user, "export", object_type="suitability_overrides", object_id=fmt, rows=len(rows))
        return export_response(rows, [_("Customer code"), _("Name"), _("Product"), _("Waived"), _("Reason"),
                                      _("Until"), _("By"), _("When"), _("revoked")], "suitability-overrides", fmt,
                               formats={5: DATE, 7: DATETIME, 8: DATETIME}, title=_("Suitability overrides"),
                               filters=[] if request.GET.get("all") == "1" else [(_("Show"), _("Active only"))])
    page = Paginator(qs.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "products/overrides.html", {"page": page, "can_override": services.can_override(
        request.user), "show_all": request.GET.get("all") == "1"})


def _scoped_customer(request, customer_code):
    try:
        return scope_for(request.user).customers().get(customer_code=customer_code)
    except Customer.DoesNotExist:
        raise Http404 from None


@require_POST
@writes(Write.OVERRIDE_SUITABILITY)
def override_create(request, customer_code):
    customer = _scoped_customer(request, customer_code)
    codes = [(c, c) for c in Product.objects.values_list("code", flat=True)]
    form = OverrideForm(request.POST, products=codes)
    if form.is_valid():
        try:
            services.create_override(
                user=request.user, customer=customer, product=Product.objects.get(code=form.cleaned_data["product"]),
                waive_min_investment=form.cleaned_data["waive_min_investment"],
                waive_tier_matrix=form.cleaned_data["waive_tier_matrix"], reason=form.cleaned_data["reason"],
                expires_on=form.cleaned_data["expires_on"])
            messages.success(request, _("Override saved. Rules 1–3 still apply."))
        except ValidationError as exc:
            for errors in exc.message_dict.values():
                messages.error(request, " ".join(errors))
    else:
        report_form_errors(request, form)
    return redirect("customers:detail", code=customer.customer_code)


@require_POST
@writes(Write.OVERRIDE_SUITABILITY)
def override_revoke(request, pk):
    scope = member_scope(request)
    override = get_object_or_404(scope.filter(SuitabilityOverride.objects.all(), "customer__"), pk=pk)
    services.revoke_override(user=request.user, override=override)
    messages.success(request, _("Override revoked."))
    return redirect(safe_next(request, "products:overrides"))


# -- reports -------------------------------------------------------------------

def staffing(request):
    """Advisor grade fit and capacity per office and advisor (managers and compliance)."""
    scope = _manager_or_compliance(request)
    from customers.models import Role

    people, offices, caps = selectors.staffing_report(scope)
    role_labels = dict(Role.choices)
    fmt = _fmt(request)
    if fmt:
        rows = [(r.office_code, r.staff_code, r.name, str(role_labels.get(r.role, r.role)), r.grade, r.load, r.cap,
                 r.over_cap, r.needs_grade, r.below_grade) for r in people.itertuples()]
        audit(request.user, "export", object_type="advisor_staffing", object_id=fmt, rows=len(rows))
        headers = [_("Office"), _("Staff code"), _("Name"), _("Role"), _("Grade"), _("Customers"), _("Cap"),
                   _("Over cap"), _("Customers calling for a grade"), _("Served below grade")]
        by_office = [(r["office_code"], r["customers"], r["needs_grade"], r["below_grade"], r["without_ia"],
                      r["advisors_over_cap"]) for r in offices.reset_index().to_dict("records")]
        return tables_response([
            Table(_("By advisor"), headers, rows, {5: INT, 6: INT, 7: INT, 8: INT, 9: INT}, "advisors"),
            Table(_("By office"), [_("Office"), _("Open customers"), _("Customers calling for a grade"),
                                   _("Served below grade"), _("Without an investment advisor"),
                                   _("Advisors over cap")], by_office, {i: INT for i in range(1, 6)}, "offices"),
        ], "advisor-staffing", fmt, title=_("Advisor grades and capacity"), only="advisors")
    return render(request, "products/staffing.html", {
        "people": people.to_dict("records"), "offices": offices.reset_index().to_dict("records"),
        "role_labels": role_labels, "caps": caps, "query": request.GET.urlencode(),
    })


def reason_counts(request):
    """Per product: customers in scope it matches and why the rest do not (set-based, one read)."""
    scope = _manager_or_compliance(request)
    ctx = selectors.match_context()
    frame = selectors.facts_frame(scope.customers().filter(closed_on__isnull=True))
    counts = batch.matched_counts(frame, ctx.catalogue, cutoff=ctx.cutoff,
                                  overrides=selectors.overrides_frame(today=ctx.today))
    rows = [(ctx.versions[code], [int(v) for v in counts.loc[code]]) for code in counts.index]
    fmt = _fmt(request)
    if fmt:
        out = [(v.product.code, v.display_name, v.risk, *cells) for v, cells in rows]
        audit(request.user, "export", object_type="product_matching", object_id=fmt, rows=len(out))
        headers = [_("Product"), _("Name"), _("Risk"), *(str(reason_label(c)) for c in counts.columns)]
        return export_response(out, headers, "matching-by-product", fmt,
                               formats={i: INT for i in range(3, len(headers))}, title=_("Matching by product"))
    return render(request, "products/reason_counts.html", {
        "rows": rows, "headers": [reason_label(c) for c in counts.columns], "customers": len(frame),
    })


def concentration(request):
    """Customers whose holdings sit >= the threshold in one class or risk level, with suggestions."""
    member_scope(request)
    from .models import HoldingClass

    ctx = selectors.match_context()
    frame, picks = selectors.concentration_list(request.user, ctx)
    labels = dict(HoldingClass.choices)
    names = {code: v.display_name for code, v in ctx.versions.items()}

    def rows_of(records):
        lists = batch.suggestion_lists(picks, [r["id"] for r in records])
        return [{**r, "class_label": labels.get(r["top_class"], r["top_class"]), "suggestions": lists[r["id"]],
                 "suggested": [names[c] for c in lists[r["id"]]]} for r in records]

    fmt = _fmt(request)
    if fmt:
        rows = rows_of(frame.to_dict("records"))
        out = [(r["customer_code"], r["name"], r["office_code"], r["advisor_name"], r["f_assets"],
                str(r["class_label"]), r["class_share"], r["top_risk"], r["risk_share"],
                "; ".join(r["suggested"])) for r in rows]
        audit(request.user, "export", object_type="product_concentration", object_id=fmt, rows=len(out))
        headers = [_("Customer code"), _("Name"), _("Office"), _("Advisor"), _("Total assets"), _("Main class"),
                   _("Class share"), _("Main risk level"), _("Risk share"), _("Suggested products")]
        return export_response(out, headers, "concentration", fmt, formats={4: MONEY, 6: PCT, 8: PCT},
                               title=_("Concentration"), filters=[(_("Threshold"), f"{ctx.params['concentration_threshold']:.0%}")])
    page = Paginator(range(len(frame)), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = rows_of(frame.iloc[list(page.object_list)].to_dict("records"))
    return render(request, "products/concentration.html", {
        "page": page, "threshold": ctx.params["concentration_threshold"]})
