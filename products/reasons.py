"""A suitability verdict in words, in the active language (zh/en)."""
from django.utils.translation import gettext as _

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
