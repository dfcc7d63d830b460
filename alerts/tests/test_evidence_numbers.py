"""Issue 20: alert evidence reads as numbers people write (17, 21.3, 100 %), never a float's repr."""
from types import SimpleNamespace

from alerts.templatetags.alerts_tags import evidence_brief, evidence_rows
from crm.templatetags.crm_format import plain_number


def test_plain_numbers():
    assert plain_number(17.0) == "17"
    assert plain_number(21.333333) == "21.3"
    assert plain_number(1234567.0) == "1,234,567"
    assert plain_number(0.25) == "0.25"
    assert plain_number(float("nan")) == "—"
    assert plain_number(3) == 3 and plain_number("2026-11-26") == "2026-11-26" and plain_number(True) is True


def test_falling_trading_evidence_is_formatted():
    alert = SimpleNamespace(rule="falling_trading", evidence={
        "recent_trades": 9.0, "baseline_trades": 64.0, "monthly_average": 21.333333333, "ratio": 0.421875})
    assert evidence_brief(alert, 4) == ("Trades, last 30 days: 9 · Trades, previous 90 days: 64 · "
                                        "Monthly average before: 21.3 · Ratio: 0.42")


def test_days_left_and_generated_history_flags_read_as_words():
    alert = SimpleNamespace(rule="id_expiry", evidence={"expires_on": "2026-12-13", "days_left": 17.0,
                                                        "history": True})
    assert evidence_rows(alert) == [("Expires on", "2026-12-13"), ("Days left", "17"),
                                    ("From the loaded history", "Yes")]
