"""Issue 20: the Job runs page reads as words: job names in the reader's language, parameters and counts as
"label: value" lists (per office, per rule), never Python dicts; constant queries."""
import pytest
from django.utils import timezone

from crm.models import JobRun
from customers.models import Role
from customers.tests.factories import StaffFactory, office

pytestmark = pytest.mark.django_db


def _runs(n=1):
    for _ in range(n):
        JobRun.objects.create(job="survey_sampling", params={"month": "2026-11-01", "seed": None},
                              counts={"month": "2026-11-01", "items": {"ZS": 34, "CS": 27}},
                              status="succeeded", finished_at=timezone.now())
        JobRun.objects.create(job="scan_alerts", params={"date": "2026-11-26", "policy_version": 1},
                              counts={"fired": 1060, "by_rule": {"assessment_expiry": 70, "falling_trading": 18}},
                              status="succeeded", finished_at=timezone.now())
        JobRun.objects.create(job="import_backoffice", params={"dataset": "snapshots", "file": "s.csv"},
                              counts={"rows": 3, "errors": 2}, status="rejected", finished_at=timezone.now())
        JobRun.objects.create(job="tiering_preview", params={"policy_version": 2},
                              counts={"moved": {"star": 5}, "matrices": {"star": {"rows": ["1"], "columns": ["1"],
                                                                                 "cells": [[9]]}}},
                              status="succeeded", finished_at=timezone.now())


def test_job_runs_read_as_words(client_for):
    _runs()
    client = client_for(StaffFactory(role=Role.BRANCH_MANAGER, office=office("CS"), with_user=True))
    html = client.get("/jobs/").content.decode()
    for text in ("Monthly callback sample", "Alert scan", "Back-office import", "Tiering policy preview",
                 "customers sampled:</span> ZS 34 · CS 27", "Risk assessment expiry 70 · Falling trading 18",
                 "fired:</span> 1,060", "dataset:</span> Daily account snapshots",
                 "customers who would move:</span> value star 5"):
        assert text in html, text
    assert "{'" not in html and "survey_sampling" not in html and "cells" not in html  # no dicts, codes, matrices


def test_job_runs_page_runs_constant_queries(client_for, django_assert_max_num_queries):
    client = client_for(StaffFactory(role=Role.BRANCH_MANAGER, office=office("CS"), with_user=True))
    _runs()
    client.get("/jobs/")
    with django_assert_max_num_queries(8):
        client.get("/jobs/")
    _runs(10)
    with django_assert_max_num_queries(8):
        client.get("/jobs/")


def test_import_page_names_the_datasets(client_for):
    from customers.models import ImportBatch

    staff = StaffFactory(role=Role.OPERATIONS, office=office("CS"), with_user=True)
    ImportBatch.objects.create(dataset="ipo_quotas", filename="q.csv", content=b"", uploaded_by=staff.user)
    html = client_for(staff).get("/customers/import/").content.decode()
    assert '<option value="snapshots">Daily account snapshots</option>' in html
    assert "<td>IPO subscription quotas</td>" in html  # the recent uploads list
