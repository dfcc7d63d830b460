"""The churn model page (issue 19, alerts.churn_views): versions with their backtest — the model beside each rule
and the rules combined, calibration by decile, a lift chart — read by managers and compliance; activation by a
branch manager only, after a confirmation; every role's access; constant queries; no raw codes on the page."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from alerts.models import ChurnModel
from crm.models import AuditEvent
from customers.models import Role
from customers.tests.factories import StaffFactory, UserFactory, office


def figures(auc, p5, r5, p10, r10, a5, a10, base=0.06, lift=(), calibration=(), flagged=None):
    out = {"n": 1000, "churned": 60, "base_rate": base, "auc": auc, "top5_precision": p5, "top5_recall": r5,
           "top10_precision": p10, "top10_recall": r10, "top5_assets_caught": a5, "top10_assets_caught": a10,
           "lift": [{"share": s, "captured": c, "lift": round(c / s, 3)} for s, c in lift],
           "calibration": list(calibration)}
    if flagged is not None:
        out["flagged"] = flagged
    return out


METRICS = {
    "test_cutoff": "2026-08-28", "horizon_days": 90, "algorithm": "hgb",
    "model": figures(0.8412, 0.30, 0.25, 0.22, 0.3667, 0.41, 0.55,
                     lift=[(0.05, 0.25), (0.5, 0.9), (1.0, 1.0)],
                     calibration=[{"decile": 1, "n": 100, "predicted": 0.004, "observed": 0.0},
                                  {"decile": 10, "n": 100, "predicted": 0.31, "observed": 0.28}]),
    "rules": {"large_outflow": figures(0.61, 0.12, 0.1, 0.09, 0.15, 0.2, 0.3, flagged=40),
              "falling_trading": figures(0.58, 0.08, 0.0667, 0.07, 0.1167, 0.1, 0.2, flagged=90)},
    "rules_combined": figures(0.66, 0.14, 0.1167, 0.1, 0.1667, 0.25, 0.35, lift=[(0.05, 0.1167), (1.0, 1.0)],
                              flagged=120),
    "best_rule_auc": 0.61,
}


def churn_model(version, status="draft", metrics=METRICS, algorithm="hgb"):
    return ChurnModel.objects.create(version=version, status=status, algorithm=algorithm, horizon_days=90,
                                     trained_at=timezone.now(), file=f"churn_models/v{version}.joblib",
                                     training_cutoffs=["2026-02-28", "2026-05-30"], metrics=metrics)


def staff(role):
    if role == "superuser":
        return StaffFactory(role=Role.BRANCH_MANAGER, office=office("CS"), with_user=True,
                            user=UserFactory(is_superuser=True, is_staff=True))
    return StaffFactory(role=role, office=office("CS"), with_user=True)


URL = "/alerts/churn/"
ACTIVATE = "/alerts/churn/activate/"
READERS = {Role.OFFICE_MANAGER, Role.BRANCH_MANAGER, Role.COMPLIANCE, "superuser"}
ACTIVATORS = {Role.BRANCH_MANAGER, "superuser"}


def test_the_urls_are_the_issues():
    assert reverse("alerts:churn") == URL and reverse("alerts:churn-activate") == ACTIVATE


@pytest.mark.parametrize("role", [*Role.values, "superuser"])
def test_who_reads_and_who_activates(db, client_for, role):
    draft = churn_model(2)
    client = client_for(staff(role))
    page = client.get(URL)
    assert page.status_code == (200 if role in READERS else 403), role
    nav = client.get("/customers/").content.decode()
    assert (URL in nav) == (role in READERS), role  # the menu links the page for whoever may read it
    events = AuditEvent.objects.count()
    confirmed = client.post(ACTIVATE, {"version": "2", "confirm": "yes"})
    draft.refresh_from_db()
    if role in ACTIVATORS:
        assert confirmed.status_code == 302 and draft.status == "active"
    else:
        assert confirmed.status_code == 403 and draft.status == "draft" and AuditEvent.objects.count() == events


def test_activation_asks_for_confirmation_then_retires_the_previous_version(db, client_for):
    old, new = churn_model(1, "active"), churn_model(2)
    client = client_for(staff(Role.BRANCH_MANAGER))
    with translation.override("en"):
        ask = client.post(ACTIVATE, {"version": "2"}, HTTP_ACCEPT_LANGUAGE="en")
    assert ask.status_code == 200
    html = ask.content.decode()
    assert "Activate churn model v2?" in html and "AUC of the model: 0.84" in html
    assert "the warning rules combined: 0.66" in html and "v1 is active now and will be retired." in html
    assert "Precision in the riskiest 5%: 30.0%, against a base rate of 6.0%" in html
    new.refresh_from_db()
    assert new.status == "draft"  # nothing changed before the confirmation
    done = client.post(ACTIVATE, {"version": "2", "confirm": "yes"})
    assert done.status_code == 302 and done["Location"] == f"{URL}?version=2"
    old.refresh_from_db(), new.refresh_from_db()
    assert (old.status, new.status) == ("retired", "active")
    assert AuditEvent.objects.filter(action="churn_model.activate").count() == 1


def test_an_unknown_or_missing_version_activates_nothing(db, client_for):
    churn_model(1)
    client = client_for(staff(Role.BRANCH_MANAGER))
    for body in ({}, {"version": "9", "confirm": "yes"}, {"version": "x", "confirm": "yes"}):
        assert client.post(ACTIVATE, body).status_code == 302
    assert not ChurnModel.objects.filter(status="active").exists()


def read(client, url=URL):
    with translation.override("en"):
        return client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def cells(html, kind):
    row = re.search(rf'<tr data-kind="{kind}"><th>(.*?)</th>(.*?)</tr>', html, re.S)
    return row.group(1), [c.strip() for c in re.findall(r'<td class="num">(.*?)</td>', row.group(2), re.S)]


def test_the_backtest_beside_the_rules_in_words_and_percent(db, client_for):
    churn_model(1, "retired")
    churn_model(2, "active")
    html = read(client_for(staff(Role.BRANCH_MANAGER)))
    # AUC, P@5, R@5, P@10, R@10, assets @5, assets @10, P@5 over the base rate (0.30 / 0.06 = 5.0), flagged
    assert cells(html, "model") == ("Churn model", ["0.84", "30.0%", "25.0%", "22.0%", "36.7%", "41.0%",
                                                    "55.0%", "5.0×", "—"])
    rules = re.findall(r'<tr data-kind="rule"><th>(.*?)</th>', html)
    assert rules == ["Large outflow", "Falling trading"]  # rule labels, in the alert rules' order
    assert cells(html, "combined") == ("Warning rules combined", ["0.66", "14.0%", "11.7%", "10.0%", "16.7%",
                                                                  "25.0%", "35.0%", "2.3×", "120"])
    assert "gradient-boosted trees, churn within 90 days; trained on 2 earlier cut-offs" in html
    assert "1,000 customers tested, 60 of them churned (base rate 6.0%)." in html
    calibration = re.search(r'id="churn-calibration".*?</table>', html, re.S).group(0)
    assert re.findall(r'<td class="num">(.*?)</td>', calibration) == ["100", "0.4%", "0.0%", "100", "31.0%", "28.0%"]
    for code in ("large_outflow", "falling_trading", "hgb", "rules_combined"):
        assert code not in re.sub(r'data-kind="\w+"', "", html)


def test_the_training_set_and_its_sample_in_words(db, client_for):
    from django.conf import settings

    # 1 M customers, 9 cut-offs: a share of 750,000 / 9,000,000 = 1/12 of the stayers, each weighted ×12
    churn_model(1, "active", metrics={**METRICS, "training_rows": 6_357_255, "training_churned": 178_426,
                                      "fitted_rows": 693_500, "stayer_share": 0.0833})
    churn_model(2, metrics={**METRICS, "training_rows": 9_000, "training_churned": 200, "fitted_rows": 9_000,
                            "stayer_share": 1.0})
    client = client_for(staff(Role.BRANCH_MANAGER))
    sampled = re.search(r'<p class="small" id="churn-training">(.*?)</p>', read(client, f"{URL}?version=1"), re.S)
    text = " ".join(sampled.group(1).split())
    assert text.startswith("Training set: 6,357,255 customers × cut-offs, 178,426 of them churned.")
    assert "every churner and 8.3% of the others (693,500 rows), each of those weighted ×12 " in text
    whole = read(client, f"{URL}?version=2")
    assert "Training set: 9,000 customers × cut-offs, 200 of them churned." in whole
    assert "of the others" not in whole  # nothing was sampled
    # a version trained before the share was recorded: the counts, and no claim about a sample
    churn_model(3, metrics={**METRICS, "training_rows": 9_000, "training_churned": 200, "fitted_rows": 4_000})
    older = read(client, f"{URL}?version=3")
    assert "Training set: 9,000 customers × cut-offs, 200 of them churned." in older and "of the others" not in older
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = client.get(f"{URL}?version=1").content.decode()
    assert "训练样本：635.73万 条（客户 × 时点），其中 17.84万 条为流失。" in chinese
    assert "其余样本按 8.3% 抽取（共拟合 69.35万 条），抽中的样本各按 ×12 加权" in chinese


def test_the_lift_chart_is_drawn_from_the_stored_lift_points(db, client_for):
    churn_model(1, "active")
    html = read(client_for(staff(Role.OFFICE_MANAGER)))
    # a 320 × 200 chart with a 30 px margin: x = 30 + share × 260, y = 30 + (1 − captured) × 140
    assert 'points="30.0,170.0 43.0,135.0 160.0,44.0 290.0,30.0" fill="none" stroke="currentColor" ' \
        'stroke-width="2" data-line="model"' in html
    assert 'points="30.0,170.0 43.0,153.7 290.0,30.0" fill="none" stroke="currentColor" stroke-width="2" ' \
        'data-line="rules"' in html
    assert 'points="30.0,170.0 290.0,30.0"' in html  # chance


def test_a_chosen_version_and_the_active_one_by_default(db, client_for):
    churn_model(1, "active")
    churn_model(2, metrics={**METRICS, "model": figures(0.9, 0.5, 0.4, 0.3, 0.5, 0.6, 0.7)})
    client = client_for(staff(Role.BRANCH_MANAGER))
    assert "Backtest of v1" in read(client) and "Activate v1" not in read(client)
    chosen = read(client, f"{URL}?version=2")
    assert "Backtest of v2" in chosen and "Activate v2…" in chosen
    assert cells(chosen, "model")[1][0] == "0.90"
    compliance = read(client_for(staff(Role.COMPLIANCE)), f"{URL}?version=2")
    assert "Backtest of v2" in compliance and "Activate v2" not in compliance  # reads, never activates


def test_before_any_training_the_page_says_so(db, client_for):
    html = read(client_for(staff(Role.BRANCH_MANAGER)))
    assert 'id="no-churn-model"' in html and "churn-backtest" not in html


def count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_a_constant_number_of_queries_whatever_the_versions(db, client_for):
    client = client_for(staff(Role.BRANCH_MANAGER))
    churn_model(1, "active")
    client.get(URL)
    one = count(client, URL)
    for version in range(2, 8):
        churn_model(version, "retired" if version < 7 else "draft")
    assert count(client, URL) == one


def test_the_page_speaks_the_readers_language(db, client_for):
    """Labels come from the catalogues (rule names, the menu); the figures stay figures."""
    from django.conf import settings

    churn_model(1, "active")
    client = client_for(staff(Role.BRANCH_MANAGER))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get(URL).content.decode()
    assert '<html lang="zh-hans"' in html
    assert "<th>大额转出</th>" in html and "Large outflow" not in html  # the rule's Chinese label
    assert ">流失风险</a>" in html  # the menu entry
    assert cells(html, "model")[1][:2] == ["0.84", "30.0%"]
