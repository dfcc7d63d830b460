"""The audit log: browsable and filterable by compliance and branch managers, exported with an audit
event of its own, and never editable — the database refuses updates (and, on PostgreSQL, deletes)."""
import csv
import io

import pytest
from django.db import DatabaseError, connection, transaction

from crm.models import AuditEvent
from crm.services import audit
from customers.models import Role


@pytest.fixture
def events(db, make_staff):
    manager = make_staff(Role.BRANCH_MANAGER, "ZS")
    advisor = make_staff(Role.WEALTH_ADVISOR)
    audit(manager.user, "tiering.policy.activate", object_type="tiering_policy", object_id="2", version=2)
    audit(advisor.user, "reveal", object_type="customers.customer", object_id="17", field="phone")
    audit(advisor.user, "export", object_type="customers", object_id="csv", rows=40)
    return manager, advisor


@pytest.mark.parametrize("role, allowed", [
    (Role.COMPLIANCE, True), (Role.BRANCH_MANAGER, True), (Role.OFFICE_MANAGER, False),
    (Role.OPERATIONS, False), (Role.WEALTH_ADVISOR, False), (Role.INVESTMENT_ADVISOR, False),
])
def test_only_compliance_and_branch_managers_read_the_log(events, make_staff, client_for, role, allowed):
    client = client_for(make_staff(role))
    assert client.get("/audit/").status_code == (200 if allowed else 403)
    assert client.get("/audit/export.csv").status_code == (200 if allowed else 403)


def test_filters_by_user_action_and_object(events, make_staff, client_for):
    _, advisor = events
    client = client_for(make_staff(Role.COMPLIANCE, "ZS"))
    page = client.get("/audit/", {"actor": advisor.user.username, "action": "reveal"})
    rows = list(page.context["page"])
    assert [(e.action, e.object_id, e.detail["field"]) for e in rows] == [("reveal", "17", "phone")]
    assert client.get("/audit/", {"object_type": "tiering_policy"}).context["page"].paginator.count == 1
    assert client.get("/audit/", {"date_from": "2999-01-01"}).context["page"].paginator.count == 0


def test_export_lists_the_filtered_events_and_is_itself_audited(events, make_staff, client_for):
    compliance = make_staff(Role.COMPLIANCE, "ZS")
    response = client_for(compliance).get("/audit/export.csv", {"action": "export"})
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[2] for row in table[1:]] == ["export"]  # the advisor's customer export only
    assert '"rows": 40' in table[1][5]
    logged = AuditEvent.objects.get(actor=compliance.user, object_type="audit_log")
    assert (logged.action, logged.object_id, logged.detail["rows"]) == ("export", "csv", 1)


def test_the_database_refuses_to_edit_an_event(events):
    event = AuditEvent.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="nothing happened")
    assert AuditEvent.objects.get(pk=event.pk).action == event.action


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's test flush deletes rows: only PG blocks it")
def test_the_database_refuses_to_delete_an_event(events):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 3


def test_the_log_runs_the_same_queries_for_three_events_and_thirty(events, make_staff, client_for):
    from django.test.utils import CaptureQueriesContext

    client = client_for(make_staff(Role.COMPLIANCE))
    client.get("/audit/")  # warm the session

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/audit/").status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    manager, advisor = events
    for n in range(27):
        audit(advisor.user if n % 2 else manager.user, "reveal", object_type="customers.customer", object_id=str(n))
    assert queries() == few


def test_a_detail_with_keys_named_like_dict_methods_renders(db, make_staff, client_for):
    """Finding 5 of the trust-boundary review: releasing a survey plan logs {"items": 249}; the page looked
    `detail.items` up as a key, iterated an int and answered 500 for good (the log cannot be edited)."""
    manager = make_staff(Role.BRANCH_MANAGER, "ZS")
    audit(manager.user, "survey.plan.release", object_type="sampling_plan", object_id="3", items=249,
          keys="a", values=[1, 2], get={"nested": True})
    response = client_for(make_staff(Role.COMPLIANCE, "ZS")).get("/audit/")
    assert response.status_code == 200
    text = response.content.decode()
    for shown in ("items=249", "keys=a", "values=[1, 2]", 'get={&quot;nested&quot;: true}'):
        assert shown in text


def test_job_runs_render_counts_whose_keys_shadow_dict_methods(db, make_staff, client_for):
    """The audit log's finding on the Jobs page: the monthly plan job stores {"items": {office: n}}; looking
    `counts.items` up as a key printed "C S" for a two-letter office and a 500 once a value was no pair."""
    from crm.models import JobRun

    JobRun.objects.create(job="survey_plans", params={"items": "x", "month": "2026-12-01"},
                          counts={"items": {"CSX": 20}, "values": 249, "month": "2026-12-01"})
    JobRun.objects.create(job="survey_plans", counts={"items": 249})
    response = client_for(make_staff(Role.BRANCH_MANAGER, "ZS")).get("/jobs/")
    assert response.status_code == 200
    text = response.content.decode()
    # since issue 20 as words: a mapping as "code value" pairs, never a dict; the plain counts beside it
    assert "customers sampled:</span> CSX 20" in text and "values:</span> 249" in text
    assert "customers sampled:</span> 249" in text and "&quot;CSX&quot;" not in text


def test_no_template_iterates_a_json_field_by_attribute():
    """`{% for k, v in x.params.items %}` looks a key named "items" up first: JSON fields go through
    |detail_pairs. A scan of every template, so the next page cannot bring the bug back."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"\.(params|counts|data|detail|evidence)\.(items|keys|values)\b")
    offenders = [f"{path.relative_to(root)}:{n}" for path in root.glob("**/templates/**/*.html")
                 if ".venv" not in path.parts
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert not offenders
