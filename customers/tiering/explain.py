"""A tier in plain words, rendered in the reader's language from the numbers stored with the snapshot."""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

SUBTYPE_NAMES = {
    "I": N_("value investing"), "II": N_("low-frequency trading"), "III": N_("high-frequency trading"),
    "IV": N_("equity funds"), "V": N_("fixed income"), "VI": N_("REITs / trusts"),
}
STAGE_REASONS = {
    "closed": N_("account closed or transferred out"),
    "exit_application": N_("closing / transfer application accepted"),
    "dormant": N_("assets under 100 CNY for %(days)d days"),
    "trading_fell": N_("trades in the last 90 days at %(pct)s of the earlier average"),
    "products_fell": N_("product holdings at %(pct)s of 90 days ago"),
    "outflow": N_("net outflow of %(pct)s of assets over 90 days"),
    "prospect": N_("no account yet"),
    "not_effective": N_("account open, not yet funded and traded"),
    "growth_window": N_("funded %(days)d days ago, within the %(window)d-day growth window"),
    "past_growth_window": N_("funded %(days)d days ago, past the %(window)d-day growth window"),
}
STAGE_NAMES = {
    "potential": N_("potential"), "budding": N_("budding"), "growth": N_("growth"), "mature": N_("mature"),
    "decline": N_("decline"), "churned": N_("churned"),
}
STAR_NAMES = {"platinum": N_("platinum"), "diamond": N_("diamond"), "prestige": N_("prestige")}
NEUTRAL_LABELS = {"satisfaction": N_("satisfaction"), "loyalty": N_("loyalty"), "planned_ratio": N_("planned investment"),
                  "expected_return": N_("expected return")}


def star_label(star):
    return f"{star}★" if star.isdigit() else _(STAR_NAMES.get(star, star))


def stage_label(stage):
    return _(STAGE_NAMES.get(stage, stage))


def _pct(value):
    return f"{value * 100:.0f}%"


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
