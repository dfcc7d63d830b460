"""A tier in plain words, rendered in the reader's language from the numbers stored with the snapshot."""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

SUBTYPE_NAMES = {
    "I": gettext_noop("value investing"), "II": gettext_noop("low-frequency trading"), "III": gettext_noop("high-frequency trading"),
    "IV": gettext_noop("equity funds"), "V": gettext_noop("fixed income"), "VI": gettext_noop("REITs / trusts"),
}
STAGE_REASONS = {
    "closed": gettext_noop("account closed or transferred out"),
    "exit_application": gettext_noop("closing / transfer application accepted"),
    "dormant": gettext_noop("assets under 100 CNY for %(days)d days"),
    "trading_fell": gettext_noop("trades in the last 90 days at %(pct)s of the earlier average"),
    "products_fell": gettext_noop("product holdings at %(pct)s of 90 days ago"),
    "outflow": gettext_noop("net outflow of %(pct)s of assets over 90 days"),
    "prospect": gettext_noop("no account yet"),
    "not_effective": gettext_noop("account open, not yet funded and traded"),
    "growth_window": gettext_noop("funded %(days)d days ago, within the %(window)d-day growth window"),
    "past_growth_window": gettext_noop("funded %(days)d days ago, past the %(window)d-day growth window"),
}
STAGE_NAMES = {
    "potential": gettext_noop("potential"), "budding": gettext_noop("budding"), "growth": gettext_noop("growth"), "mature": gettext_noop("mature"),
    "decline": gettext_noop("decline"), "churned": gettext_noop("churned"),
}
STAR_NAMES = {"platinum": gettext_noop("platinum"), "diamond": gettext_noop("diamond"), "prestige": gettext_noop("prestige")}
NEUTRAL_LABELS = {"satisfaction": gettext_noop("satisfaction"), "loyalty": gettext_noop("loyalty"), "planned_ratio": gettext_noop("planned investment"),
                  "expected_return": gettext_noop("expected return")}


def star_label(star):
    return f"{star}★" if star.isdigit() else _(STAR_NAMES.get(star, star))


def stage_label(stage):
    return _(STAGE_NAMES.get(stage, stage))


def _pct(value):
    return f"{round(value * 100)}%"


def explain(t):
    """t: a TierSnapshot (or anything with its fields). Returns one sentence per aspect, joined."""
    parts = []
    if t.star:
        star = star_label(t.star)
        text = _("%(star)s because CLV ranks in the top %(top)s") % {"star": star, "top": _pct(t.clv_top_share or 0)}
        if t.overridden:
            text += _(" (set by a manager)")
        elif t.computed_star and t.computed_star != t.star:
            text += _(" (kept: ranked %(computed)s for %(runs)d run(s); moves after repeated runs)") % {
                "computed": t.computed_star, "runs": t.below_runs}
        parts.append(text)
    if t.stp_subtype:
        name = _(SUBTYPE_NAMES[t.stp_subtype])
        if t.stp_subtype in ("I", "II", "III"):
            holding = (_("no trades in the period") if t.holding_days is None
                       else _("holding period %(days)d days") % {"days": round(t.holding_days)})
            detail = _("securities %(share)s of assets, %(holding)s") % {
                "share": _pct(t.securities_share or 0), "holding": holding}
        else:
            detail = _("products %(share)s of assets, the largest class %(main)s of products") % {
                "share": _pct(t.products_share or 0), "main": _pct(t.main_product_share or 0)}
        weak = _(" (weak: no class reaches the dominant share)") if t.stp_weak else ""
        parts.append(_("sub-type %(code)s %(name)s: %(detail)s%(weak)s") % {
            "code": t.stp_subtype, "name": name, "detail": detail, "weak": weak})
    if t.lifecycle_stage:
        reason = STAGE_REASONS.get(t.stage_reason, "")
        values = {"days": int(t.stage_days or 0), "window": int(t.stage_figure or 0),
                  "pct": _pct(t.stage_figure or 0)}
        parts.append(_("stage %(stage)s: %(reason)s") % {
            "stage": stage_label(t.lifecycle_stage), "reason": _(reason) % values if reason else ""})
    parts.append(_("CEV %(cev)s CNY a year, CPV %(cpv)s CNY (growth %(g)s, retention %(r)s)") % {
        "cev": f"{float(t.cev):,.0f}", "cpv": f"{float(t.cpv):,.0f}", "g": _pct(t.growth), "r": _pct(t.retention)})
    if t.neutral_inputs:
        names = ", ".join(_(NEUTRAL_LABELS.get(n, n)) for n in t.neutral_inputs.split(","))
        parts.append(_("no survey answers yet, neutral values used for: %(names)s") % {"names": names})
    return "; ".join(parts)
