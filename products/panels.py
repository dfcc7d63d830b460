"""This app's section of the 360° customer page (see crm/panels.py): a constant number of queries.

Matched products, and for the rest the first failing reason in words, led by the one reason that blocks them
when there is one (an expired risk assessment: how long ago, and "renew it"); the concentration check with
suggestions, the white-list / financing flags, active overrides and (for managers) the override form.
"""
from . import rules, selectors, services
from .forms import OverrideForm
from .models import HoldingClass
from .reasons import blocking, explain


def customer_panel(request, customer, scope):
    rec = selectors.recommendations_for(customer)
    ctx = rec["ctx"]
    excluded = [{"version": ctx.versions[v.product], "verdict": v, "text": explain(v),
                 "waivable": v.reason in rules.WAIVABLE} for v in rec["excluded"]]
    matched = [{"version": ctx.versions[v.product], "verdict": v, "text": explain(v)} for v in rec["matched"]]
    can_override = services.can_override(request.user)
    form = None
    if can_override:
        choices = [(e["version"].product.code, f"{e['version'].product.code} {e['version'].display_name}")
                   for e in excluded if e["waivable"]]
        form = OverrideForm(products=choices) if choices else None
    conc = rec["concentration"]
    conc_flags = [{**f, "label": HoldingClass(f["key"]).label if f["kind"] == "class" else f["key"]}
                  for f in (conc["flags"] if conc else [])]
    overrides = rec["overrides"]
    lead = blocking(rec["matched"], rec["excluded"], ctx.today, int(ctx.params["assessment_valid_months"]))
    return {
        "blocking": lead,
        "template": "products/_customer_panel.html",
        "customer": customer, "matched": matched, "excluded": excluded, "column": rec["column"],
        "flags": rec["flags"], "concentration": conc_flags, "suggestions": rec["suggestions"],
        "override_form": form, "overrides": overrides, "can_override": can_override,
        "required_grade": rules.required_grade(ctx.levels, rec["facts"].star, rec["facts"].stp_subtype),
    }
