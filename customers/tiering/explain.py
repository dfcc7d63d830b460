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
    parts.extend(_retention_parts(t))
    parts.extend(_survey_parts(t))
    return "; ".join(parts)


def _retention_parts(t):
    """Where the retention came from under a policy that takes it from the churn model ("" under the rules)."""
    source = getattr(t, "retention_source", "") or ""
    if source == "model":
        return [_("retention from the churn model's risk scored on %(date)s") % {
            "date": _date(getattr(t, "retention_scored_on", None) or "")}]
    if source == "rules":
        return [_("retention from the rules: the churn model has no score for this customer")]
    return []


def _date(value):
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _survey_parts(t):
    """Which survey answers the CPV read (their date), which were too old, which inputs took neutral values."""
    used_on, stale_on = getattr(t, "survey_on", None), getattr(t, "survey_stale_on", None)
    parts = []
    if used_on:
        parts.append(_("survey answers of %(date)s used") % {"date": _date(used_on)})
    if stale_on and (t.neutral_inputs or not used_on):
        months = getattr(t, "survey_max_age", None)
        if used_on:
            text = _("an older answer of %(date)s is over %(months)d months old and was not used")
        else:
            text = _("the latest survey answer, of %(date)s, is over %(months)d months old and was not used")
        parts.append(text % {"date": _date(stale_on), "months": months or 0})
    if t.neutral_inputs:
        names = ", ".join(_(NEUTRAL_LABELS.get(n, n)) for n in t.neutral_inputs.split(","))
        if used_on or stale_on:
            parts.append(_("neutral values used for: %(names)s") % {"names": names})
        else:
            parts.append(_("no survey answers yet, neutral values used for: %(names)s") % {"names": names})
    return parts


CHANGE_RULES = {
    "rank": gettext_noop("CLV (%(clv)s CNY) ranks in the top %(top)s"),
    "demotion": gettext_noop("ranked %(computed)s for %(runs)d runs in a row (CLV in the top %(top)s)"),
    "override": gettext_noop("set by a manager"),
    "not_ranked": gettext_noop("not ranked at stage %(stage)s"),
    "stp_trading": gettext_noop("securities %(share)s of assets, %(holding)s"),
    "stp_products": gettext_noop("products %(share)s of assets, the largest class %(main)s of products"),
    "not_eligible": gettext_noop("no sub-type at %(star)s"),
    "quadrant": gettext_noop("CEV %(cev)s against the cut-off %(cev_cut)s, CPV %(cpv)s against %(cpv_cut)s "
                             "(percentile %(percentile)s)"),
}


def _label(label, code):
    return label(str(code)) if code else "—"  # never gettext(""): that is the catalogue's header


def _money(value):
    return f"{float(value or 0):,.0f}"


def change_reason(reason):
    """A TierChange's reason (the rule and its figures, tiering.batch._reasons) in the reader's language; "" for
    changes recorded before reasons were kept."""
    reason = reason or {}
    rule = reason.get("rule", "")
    if rule in STAGE_REASONS:
        values = {"days": int(reason.get("days") or 0), "window": int(reason.get("figure") or 0),
                  "pct": _pct(reason.get("figure") or 0)}
        return _(STAGE_REASONS[rule]) % values
    if rule not in CHANGE_RULES:
        return ""
    holding = reason.get("holding_days")
    values = {
        "clv": _money(reason.get("clv")), "top": _pct(reason.get("top_share") or 0),
        "computed": _label(star_label, reason.get("computed")), "runs": int(reason.get("runs") or 0),
        "stage": _label(stage_label, reason.get("stage")), "star": _label(star_label, reason.get("star")),
        "share": _pct((reason.get("securities_share") if rule == "stp_trading" else reason.get("products_share"))
                      or 0),
        "main": _pct(reason.get("main_product_share") or 0),
        "holding": (_("no trades in the period") if holding is None
                    else _("holding period %(days)d days") % {"days": round(holding)}),
        "cev": _money(reason.get("cev")), "cev_cut": _money(reason.get("cev_cut")),
        "cpv": _money(reason.get("cpv")), "cpv_cut": _money(reason.get("cpv_cut")),
        "percentile": f"{float(reason.get('percentile') or 0):g}",
    }
    text = _(CHANGE_RULES[rule]) % values
    if reason.get("weak"):
        text += _(" (weak: no class reaches the dominant share)")
    return text
