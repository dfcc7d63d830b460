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
    "products_change_90": _("Change in product kinds held over 90 days"),
    "pnl_90": _("P&L over 90 days, share of the assets 90 days before"),
    "cash_share": _("Cash share of assets"),
    "elsewhere_evidence": _("Evidence of assets at other brokers"),
    "tenure_years": _("Years since the account opened"),
    "risk_level": _("Risk level"),
    "satisfaction": _("Latest satisfaction answer"),
    "referral": _("Latest willingness to refer"),
    "no_survey": _("No recent survey answer"),
    "days_since_contact": _("Days since the last contact"),
    "contacts_90": _("Contacts in the last 90 days"),
    "pending_closing": _("Closing or transfer application pending"),
}

# How each feature reads when its contribution raises the risk (the direction the model learned).
REASON_PHRASES = {
    "log_assets": _("assets level typical of customers who left"),
    "assets_change_30": _("assets moved in the last 30 days"),
    "assets_change_90": _("assets moved in the last 90 days"),
    "assets_change_180": _("assets moved in the last 180 days"),
    "net_outflow_30": _("money transferred out in the last 30 days"),
    "net_outflow_90": _("money transferred out in the last 90 days"),
    "trading_vs_baseline": _("trading has changed against its usual level"),
    "trades_120": _("level of trading"),
    "trade_days_30": _("fewer trading days recently"),
    "products_change_90": _("fewer products held than 90 days ago"),
    "pnl_90": _("recent gains or losses"),
    "cash_share": _("much of the account sits in cash"),
    "elsewhere_evidence": _("signs of assets at other brokers"),
    "tenure_years": _("length of the relationship"),
    "risk_level": _("risk level"),
    "satisfaction": _("low satisfaction in the latest survey"),
    "referral": _("unwilling to recommend us in the latest survey"),
    "no_survey": _("no recent survey answer"),
    "days_since_contact": _("not contacted for a long time"),
    "contacts_90": _("few recent contacts"),
    "pending_closing": _("a closing or transfer application is pending"),
}

assert set(REASON_PHRASES) == set(FEATURE_LABELS), "every feature needs a label and a reason phrase"


def reason_text(code):
    """The reason phrase in the active language (a code the model no longer knows reads as itself)."""
    phrase = REASON_PHRASES.get(code)
    return str(phrase) if phrase is not None else code
