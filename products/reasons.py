"""A suitability verdict in words, in the active language (zh/en)."""
from collections import Counter

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.templatetags.crm_format import cny
from customers.permissions import PERMISSION_LABELS

from . import rules

def reason_label(code):
    return {
        rules.RISK_LEVEL: _("Risk level"),
        rules.ASSESSMENT_EXPIRED: _("Risk assessment expired"),
        rules.PERMISSION: _("Missing permission"),
        rules.MIN_INVESTMENT: _("Below the minimum investment"),
        rules.TIER_MATRIX: _("Not offered to this customer group"),
        "": _("Matched"),
        "matched": _("Matched"),
    }.get(code, code)


def column_label(column):
    """'3' -> 3★, '4-II' -> 4★ II, '5-' -> 5★ (no sub-type)."""
    if "-" not in column:
        return f"{column}★"
    star, sub = column.split("-", 1)
    return f"{star}★ {sub}" if sub else _("%(star)s★ (no sub-type)") % {"star": star}


def explain(verdict):
    """One line such as 'needs Margin trading permission' or 'C3 < R5: risk level too low'."""
    d = verdict.detail
    if verdict.reason == rules.RISK_LEVEL:
        return _("%(customer)s < %(product)s: the customer's risk level is below the product's") % d
    if verdict.reason == rules.ASSESSMENT_EXPIRED:
        if d.get("assessed_on"):
            return _("risk assessment of %(date)s has expired; reassess first") % {
                "date": d["assessed_on"].isoformat()}
        return _("no risk assessment on file; assess first")
    if verdict.reason == rules.PERMISSION:
        labels = "、".join(str(PERMISSION_LABELS.get(c, c)) for c in d["missing"])
        return _("needs the %(permissions)s permission") % {"permissions": labels}
    if verdict.reason == rules.MIN_INVESTMENT:
        return _("assets %(assets)s below the minimum investment %(minimum)s") % {
            "assets": cny(d["assets"]), "minimum": cny(d["minimum"])}
    if verdict.reason == rules.TIER_MATRIX:
        return _("not offered to %(group)s customers (eligibility matrix)") % {"group": column_label(d["column"])}
    if d.get("overridden"):
        return _("matched by a manager's override (%(rules)s)") % {
            "rules": ", ".join(str(reason_label(r)) for r in d["overridden"])}
    return ""


def blocking(matched, excluded, today, valid_months):
    """The one reason that keeps products from this customer, in words with what to do, or None.

    An expired (or missing) risk assessment blocks every product above R1 whatever else holds, so it leads
    whenever it excludes anything; otherwise, when nothing matches, the reason that excludes the most products
    leads. {"reason", "text", "remedy", "count"}: `count` products are excluded for it."""
    if not excluded:
        return None
    reasons = Counter(v.reason for v in excluded)
    if rules.ASSESSMENT_EXPIRED in reasons:
        reason = rules.ASSESSMENT_EXPIRED
    elif not matched:
        reason = reasons.most_common(1)[0][0]
    else:
        return None
    count = reasons[reason]
    first = next(v for v in excluded if v.reason == reason)
    d = first.detail
    if reason == rules.ASSESSMENT_EXPIRED:
        assessed = d.get("assessed_on")
        if assessed is None:
            text, remedy = _("No risk assessment on file."), _("Assess the customer's risk tolerance first.")
        else:
            expired_on = rules.add_months(assessed, valid_months)  # the anniversary (rules.assessment_cutoff)
            days = (today - expired_on).days
            text = ngettext("The risk assessment expired %(days)d day ago (%(date)s).",
                            "The risk assessment expired %(days)d days ago (%(date)s).", days) % {
                "days": days, "date": expired_on.isoformat()}
            remedy = _("Renew it: until then no product above R1 may be recommended.")
    elif reason == rules.RISK_LEVEL:
        text = _("The customer's risk level %(customer)s is below these products' risk.") % {"customer": d["customer"]}
        remedy = _("Offer products of the customer's level; a new risk assessment may change the level.")
    elif reason == rules.PERMISSION:
        text = _("The customer lacks a permission these products need.")
        remedy = _("Open the permission first if the customer qualifies.")
    elif reason == rules.MIN_INVESTMENT:
        text = _("The customer's assets are below these products' minimum investment.")
        remedy = _("A manager may waive the minimum investment (override).")
    else:
        text = _("These products are not offered to the customer's group (eligibility matrix).")
        remedy = _("A manager may waive the tier matrix (override).")
    return {"reason": reason, "text": text, "remedy": remedy, "count": count}
