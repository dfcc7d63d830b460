"""Words for the churn model's feature codes: a label (what the feature is) and a reason phrase (how it reads
when it raises a customer's risk). Codes are stable: scores store codes, words are added when read."""
from django.utils.translation import gettext_lazy as _

FEATURE_LABELS = {
    "log_assets": _("Total assets (log)"),
    "assets_change_30": _("Change of assets over 30 days"),
    "assets_change_90": _("Change of assets over 90 days"),
    "assets_change_180": _("Change of assets over 180 days"),
    "net_outflow_30": _("Net transfers out over 30 days, share of the assets 30 days before"),
    "net_outflow_90": _("Net transfers out over 90 days, share of the assets 90 days before"),
    "trading_vs_baseline": _("Trading in the last 30 days against the 90 days before"),
    "trades_120": _("Trades in the last 120 days (log)"),
    "trade_days_30": _("Trading days in the last 30 days"),
    "trade_days_vs_baseline": _("Trading days in the last 30 days against the 90 days before"),
    "products_change_90": _("Change in product kinds held over 90 days"),
    "pnl_90": _("P&L over 90 days, share of the assets 90 days before"),
    "cash_share": _("Cash share of assets"),
    "cash_share_change_90": _("Change of the cash share over 90 days"),
    "elsewhere_evidence": _("Evidence of assets at other brokers"),
    "tenure_years": _("Years since the account opened"),
    "risk_level": _("Risk level"),
    "commission_rate": _("Commission rate (‰)"),
    "survey_declined_365": _("Callbacks hung up or refused in the last year"),
    "satisfaction": _("Latest satisfaction answer"),
    "referral": _("Latest willingness to refer"),
    "no_survey": _("No recent survey answer"),
    "days_since_contact": _("Days since the last contact"),
    "contacts_90": _("Contacts in the last 90 days"),
    "pending_closing": _("Closing or transfer application pending"),
}

# How a feature reads when its contribution raises the risk: (value above the training mean, below it). The
# model learns the direction; the words follow the customer's value, so they stay true whatever was learned.
REASON_PHRASES = {
    "log_assets": (_("large assets"), _("small assets")),
    "assets_change_30": (_("assets grew in the last 30 days"), _("assets fell in the last 30 days")),
    "assets_change_90": (_("assets grew in the last 90 days"), _("assets fell in the last 90 days")),
    "assets_change_180": (_("assets grew in the last 180 days"), _("assets fell in the last 180 days")),
    "net_outflow_30": (_("money transferred out in the last 30 days"), _("money transferred in in the last 30 days")),
    "net_outflow_90": (_("money transferred out in the last 90 days"), _("money transferred in in the last 90 days")),
    "trading_vs_baseline": (_("trading above its usual level"), _("trading below its usual level")),
    "trades_120": (_("trades often"), _("trades rarely")),
    "trade_days_30": (_("many trading days recently"), _("few trading days recently")),
    "trade_days_vs_baseline": (_("trading on more days than usual"), _("trading on fewer days than usual")),
    "products_change_90": (_("more kinds of products than 90 days ago"), _("fewer kinds of products than 90 days ago")),
    "pnl_90": (_("gains over the last 90 days"), _("losses over the last 90 days")),
    "cash_share": (_("much of the account in cash"), _("little cash in the account")),
    "cash_share_change_90": (_("more of the account moved to cash in 90 days"),
                             _("less of the account in cash than 90 days ago")),
    "elsewhere_evidence": (_("signs of assets at other brokers"), _("no sign of assets at other brokers")),
    "tenure_years": (_("a long relationship"), _("a new relationship")),
    "risk_level": (_("a high risk level"), _("a low risk level")),
    "commission_rate": (_("a high commission rate"), _("a low commission rate")),
    "survey_declined_365": (_("hung up or refused recent survey calls"), _("took recent survey calls")),
    "satisfaction": (_("satisfied in the latest survey"), _("low satisfaction in the latest survey")),
    "referral": (_("willing to recommend us in the latest survey"),
                 _("unwilling to recommend us in the latest survey")),
    "no_survey": (_("no recent survey answer"), _("answered a recent survey")),
    "days_since_contact": (_("not contacted for a long time"), _("contacted recently")),
    "contacts_90": (_("many contacts in the last 90 days"), _("few contacts in the last 90 days")),
    "pending_closing": (_("a closing or transfer application is pending"), _("no closing application pending")),
}

assert set(REASON_PHRASES) == set(FEATURE_LABELS), "every feature needs a label and its reason phrases"

ALGORITHM_LABELS = {
    "hgb": _("Gradient boosting (HistGradientBoosting)"),
    "logistic": _("Logistic regression (regularised)"),
}


def reason_text(code, direction="high"):
    """The reason phrase in the active language for a value above ("high") or below ("low") the training mean
    (a code the model no longer knows reads as itself)."""
    phrases = REASON_PHRASES.get(code)
    if phrases is None:
        return code
    return str(phrases[0] if direction != "low" else phrases[1])
