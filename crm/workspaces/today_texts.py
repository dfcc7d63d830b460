"""The today list's words: each alert's evidence as one short phrase in the reader's language (percent, 万,
dates as people write them), and the suggested action."""
from datetime import date

from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from crm.templatetags.crm_format import cny


def _zh():
    return (get_language() or "").startswith("zh")


def money(value):
    """12.35万元 in Chinese, CNY 123,456 in English."""
    if value is None:
        return "—"
    return _("CNY %(amount)s") % {"amount": cny(value)}


def percent(share):
    """0.35 → "35 %" (whole percent; below 10 % one decimal)."""
    if share is None:
        return "—"
    value = abs(float(share)) * 100
    return f"{value:.0f} %" if value >= 10 else f"{value:.1f} %"


MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_text(value, today=None):
    """12月3日 / 3 Dec; the year only when it is not this year's."""
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    same_year = today is None or value.year == today.year
    if _zh():
        return (f"{value.month}月{value.day}日" if same_year else f"{value.year}年{value.month}月{value.day}日")
    text = f"{value.day} {MONTHS_EN[value.month - 1]}"
    return text if same_year else f"{text} {value.year}"


def _past(value, today):
    try:
        return date.fromisoformat(str(value)[:10]) < today
    except (TypeError, ValueError):
        return False


def reason_text(rule, e, today):
    """One alert's evidence (alerts.rules) in words."""
    def d(key):
        return day_text(e.get(key), today)

    if rule == "large_outflow":
        if e.get("share") is not None:
            return _("assets out %(share)s (%(amount)s) on %(date)s") % {
                "share": percent(e["share"]), "amount": money(e.get("transfer_out")), "date": d("date")}
        return _("%(amount)s transferred out on %(date)s") % {"amount": money(e.get("transfer_out")), "date": d("date")}
    if rule == "falling_trading":
        ratio = e.get("ratio")
        return _("trading down %(share)s") % {"share": percent(None if ratio is None else 1 - ratio)}
    if rule == "pnl_threshold":
        values = {"share": percent(e.get("ratio")), "days": e.get("days", "—")}
        if e.get("direction") == "gain":
            return _("gain of %(share)s in %(days)s days") % values
        return _("loss of %(share)s in %(days)s days") % values
    if rule == "assets_elsewhere":
        return _("about %(amount)s held elsewhere") % {"amount": money(e.get("estimated_elsewhere"))}
    if rule == "closing_application":
        if e.get("kind") == "transfer_out":
            return _("transfer-out application filed %(date)s") % {"date": d("filed_on")}
        return _("closing application filed %(date)s") % {"date": d("filed_on")}
    if rule == "lifecycle_decline":
        return _("in decline, assets %(amount)s") % {"amount": money(e.get("total_assets"))}
    if rule == "id_expiry":
        if _past(e.get("expires_on"), today):
            return _("ID card expired %(date)s") % {"date": d("expires_on")}
        return _("ID card expires %(date)s") % {"date": d("expires_on")}
    if rule == "ipo_payment":
        return _("IPO payment %(amount)s due %(date)s, short %(shortfall)s") % {
            "amount": money(e.get("amount")), "date": d("due_on"), "shortfall": money(e.get("shortfall"))}
    if rule == "rights_payment":
        return _("rights issue payment %(amount)s due %(date)s") % {"amount": money(e.get("amount")),
                                                                   "date": d("due_on")}
    if rule == "margin_ratio":
        return _("margin ratio %(ratio)s %% (warning line %(line)s %%)") % {
            "ratio": e.get("ratio", "—"), "line": e.get("warning_ratio", "—")}
    if rule == "debt_maturity":
        return _("margin debt %(amount)s due %(date)s") % {"amount": money(e.get("amount")), "date": d("due_on")}
    if rule == "assessment_expiry":
        if not e.get("assessed_on"):
            return _("no risk assessment on file")
        if _past(e.get("expires_on"), today):
            return _("risk assessment expired %(date)s") % {"date": d("expires_on")}
        return _("risk assessment expires %(date)s") % {"date": d("expires_on")}
    if rule == "birthday":
        return _("birthday %(date)s") % {"date": d("birthday")}
    if rule == "stage_decline":  # room on the list (crm.workspaces.today.room_cards)
        if not e.get("last_contact"):
            return _("in decline, never contacted")
        return _("in decline, no contact since %(date)s") % {"date": d("last_contact")}
    if rule == "planned_contact":
        return _("contact planned for %(date)s: call early") % {"date": d("planned_on")}
    if rule == "contact_due":
        if not e.get("due_on"):
            return _("never contacted")
        return _("contact due since %(date)s") % {"date": d("due_on")}
    return rule


def also_in_this_call(text):
    """A reminder that could still wait, done in the call the card asks for anyway."""
    return _("also in this call: %(reason)s") % {"reason": text}


def channel_action(channel):
    return {
        "visit": pgettext("today action", "Visit"),
        "phone": pgettext("today action", "Call"),
        "video": pgettext("today action", "Video call"),
        "wechat": pgettext("today action", "Message on WeChat"),
        "sms": pgettext("today action", "Send an SMS"),
        "email": pgettext("today action", "Send an email"),
    }.get(channel, pgettext("today action", "Call"))


def action_text(card):
    """"Call · suggest <product>" when suitability matches a product for a retention reason."""
    text = channel_action(card.action)
    if card.product is not None:
        text += " · " + _("suggest %(product)s") % {"product": card.product.display_name}
    return text
