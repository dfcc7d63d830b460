"""Platform pieces: job runs, login throttling, language, the token endpoint."""
import pytest
from django.core.cache import caches
from django.urls import reverse

from crm.models import JobRun
from crm.services import job_run
from customers.models import Role
from customers.tests.factories import StaffFactory


def test_job_run_records_success_and_failure(db):
    with job_run("demo", params={"date": "2026-11-26"}) as run:
        run.counts = {"rows": 3}
    ok = JobRun.objects.get(pk=run.pk)
    assert (ok.status, ok.counts, ok.progress) == ("succeeded", {"rows": 3}, 100)
    with pytest.raises(RuntimeError):
        with job_run("demo") as failing:
            raise RuntimeError("boom")
    failed = JobRun.objects.get(pk=failing.pk)
    assert failed.status == "failed" and "boom" in failed.error and failed.finished_at


def test_login_is_throttled_after_repeated_failures(db, client):
    caches["shared"].clear()  # the login counters every web process shares
    StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True, username="wa1")
    for _ in range(10):
        assert client.post(reverse("login"), {"username": "wa1", "password": "wrong"}).status_code == 200
    locked = client.post(reverse("login"), {"username": "wa1", "password": "pw"})
    assert locked.status_code == 429
    caches["shared"].clear()  # the login counters every web process shares
    assert client.post(reverse("login"), {"username": "wa1", "password": "pw"}).status_code == 302


def test_token_auth(db, client):
    StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True, username="wa2")
    token = client.post("/api/auth/token/", {"username": "wa2", "password": "pw"}).json()["token"]
    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/customers/customers/").status_code == 200
    assert Client(HTTP_AUTHORIZATION="Token nope").get("/api/customers/customers/").status_code == 401


def test_chinese_is_the_default_and_english_a_click_away(db, client_for, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the project default (tests otherwise run in English)
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)
    client = client_for(wa)
    page = client.get(reverse("customers:list"), HTTP_ACCEPT_LANGUAGE="en-US,en").content.decode()
    assert '<html lang="zh-hans">' in page  # an English browser still opens in Chinese and "退出登录" in page and "筛选" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/customers/"})
    page = client.get(reverse("customers:list")).content.decode()
    assert '<html lang="en">' in page and "Log out" in page


def test_health_is_public(client):
    assert client.get("/health/").content == b"ok"


def test_openapi_schema_is_valid_without_warnings(db, tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/customers/customers/{customer_code}/" in text and "/api/auth/token/" in text


def test_every_beat_entry_names_a_registered_task():
    from crm.celery import app

    app.loader.import_default_modules()
    missing = {name: entry["task"] for name, entry in app.conf.beat_schedule.items() if entry["task"] not in app.tasks}
    assert not missing
    assert {"customers.tasks.reclassify", "surveys.tasks.generate_monthly_plan"} <= {
        entry["task"] for entry in app.conf.beat_schedule.values()}


def test_runs_left_running_past_the_limit_are_marked_abandoned(db):
    from datetime import timedelta

    from django.utils import timezone

    from crm.models import JobRun
    from crm.tasks import abandon_stale_runs

    now = timezone.now()
    old, recent, done = (JobRun.objects.create(job="reclassify") for _ in range(3))
    JobRun.objects.filter(pk=old.pk).update(started_at=now - timedelta(hours=3, minutes=1))
    JobRun.objects.filter(pk=recent.pk).update(started_at=now - timedelta(hours=2, minutes=59))
    JobRun.objects.filter(pk=done.pk).update(started_at=now - timedelta(hours=9), status="succeeded")
    assert abandon_stale_runs.apply().get() == 1  # the task, as beat sends it (3 h by default)
    statuses = dict(JobRun.objects.values_list("pk", "status"))
    assert (statuses[old.pk], statuses[recent.pk], statuses[done.pk]) == ("failed", "running", "succeeded")
    assert JobRun.objects.get(pk=old.pk).error.startswith("abandoned")
    assert abandon_stale_runs.apply().get() == 0  # idempotent
