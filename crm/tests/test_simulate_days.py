"""simulate_days (issue 18, Targets): replayed nights where every advisor works today's list."""
import io
import json
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command

from django.db.models import Max

from alerts.models import ACTIVE, Alert
from crm.benchmarks import simulate
from crm.workspaces.today import WORK_STATUSES, TodayParams
from customers.models import Interaction

AS_OF = date(2026, 11, 26)
START = AS_OF - timedelta(days=90)
NIGHTS = 5


@pytest.fixture
def branch(db):
    with io.StringIO() as quiet:
        call_command("generate_branch", customers=300, seed=5, as_of=AS_OF, no_history=True, stdout=quiet)


def test_five_nights_figures_and_invariants(branch):
    out = io.StringIO()
    call_command("simulate_days", days=NIGHTS, json=True, stdout=out)
    result = json.loads(out.getvalue())

    # the default start lies 90 days before the data date, so the churn window is inside the generated data
    assert result["start"] == START.isoformat() and result["handle"] == "capacity"
    nights = result["nights"]
    assert [n["day"] for n in nights] == [(START + timedelta(days=i)).isoformat() for i in range(NIGHTS + 1)]
    capacity = max(TodayParams().capacity.values())
    for night in nights:
        assert night["advisors"] > 0
        assert night["over_capacity"] == 0 and night["list_max"] <= capacity  # today's list never too long
        assert night["open_median"] <= night["open_p90"] <= night["open_max"]
        assert 0 < night["handled"] <= night["cards_total"] + night["room_listed"]
    # the figures of the churn measure are computed and consistent
    assert result["churned"] > 0
    assert 0 <= result["caught_by_list"] <= result["churned"]
    assert 0 <= result["caught_by_assets"] <= result["churned"]
    assert result["share_list"] == pytest.approx(result["caught_by_list"] / result["churned"])

    # every handled customer's work was cleared by the contact: no contact-due reminder left active, and no
    # alert opened before the contact still waiting (warnings moved to contacted, reminders done)
    contacts = dict(Interaction.objects.filter(summary="simulate_days").order_by().values("customer_id")
                    .annotate(last=Max("at")).values_list("customer_id", "last"))
    assert sum(n["handled"] for n in nights) >= len(contacts) > 0
    handled = Alert.objects.filter(customer_id__in=list(contacts))
    assert handled.filter(rule="contact_due", status="resolved").exists()
    for alert in handled.filter(status__in=ACTIVE):
        if alert.rule == "contact_due" or alert.status in WORK_STATUSES:
            assert alert.opened_at > contacts[alert.customer_id], (alert.rule, alert.status, alert.opened_at)

def test_nobody_working_the_list_leaves_more_open_items(branch):
    worked = simulate.simulate(days=2, start=START)
    call_command("generate_branch", customers=300, seed=5, as_of=AS_OF, replace=True, no_history=True,
                 stdout=io.StringIO())
    idle = simulate.simulate(days=2, start=START, handle_lists=False)
    # night 0 (the first scan) is the same; from the first night on, the worked lists leave fewer items open
    assert worked.nights[0].open_max == idle.nights[0].open_max
    assert idle.nights[0].handled == 0 and worked.nights[0].handled > 0
    assert sum(n.cards_total for n in worked.nights[1:]) < sum(n.cards_total for n in idle.nights[1:])


def test_refuses_a_branch_with_alerts_after_the_start(branch):
    call_command("scan_alerts", date=AS_OF.isoformat(), stdout=io.StringIO())
    with pytest.raises(CommandError, match="after the start"):
        call_command("simulate_days", days=1, stdout=io.StringIO())
