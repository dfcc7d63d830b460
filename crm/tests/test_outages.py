"""Outages. With Redis stopped, pages keep working and actions that enqueue a job say so instead of failing;
after PostgreSQL drops the app's connections (as a restart does), the running app serves again by itself."""
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg2
import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from crm.celery import app as celery_app
from customers.models import ImportBatch, Role

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def stopped_redis():
    """Start a real Redis on a free port, stop it, and make it the broker (eager mode off) for the test."""
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(50):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    try:
        client.shutdown(nosave=True)
    except redis.ConnectionError:
        pass  # the server closes the connection as it stops
    server.wait(timeout=10)
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = f"redis://127.0.0.1:{port}/0", False
    celery_app._pool = celery_app.amqp._producer_pool = None  # forget connections to the usual broker
    yield port
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
    celery_app._pool = celery_app.amqp._producer_pool = None


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_with_redis_stopped_pages_work_and_run_now_says_the_queue_is_down(stopped_redis, make_staff, client_for):
    manager = client_for(make_staff(Role.BRANCH_MANAGER, "ZS"))
    for url in ("/customers/", "/customers/tiering/", "/customers/tiering/report/", "/audit/"):
        assert manager.get(url).status_code == 200, url
    response = manager.post("/customers/tiering/run/", follow=True)
    assert response.status_code == 200
    assert "job queue is unreachable" in response.content.decode()


@pytest.mark.django_db(transaction=True)  # as in production: no transaction around the request
def test_with_redis_stopped_an_upload_is_kept_for_later(reference_data, stopped_redis, make_staff, client_for):
    operations = client_for(make_staff(Role.OPERATIONS))
    upload = SimpleUploadedFile("snap.csv", b"customer_code,date\n", content_type="text/csv")
    response = operations.post("/customers/import/", {"dataset": "snapshots", "file": upload}, follow=True)
    assert response.status_code == 200
    assert "job queue is unreachable" in response.content.decode()
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.PENDING and batch.filename == "snap.csv"


def _dsn(name=None):
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name or s['NAME']}"


def _post(url, data):
    request = urllib.request.Request(url, data=data.encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL server's connections are dropped")
@pytest.mark.django_db(transaction=True)
def test_the_app_serves_again_after_postgres_drops_its_connections(reference_data, make_staff):
    staff = make_staff(Role.WEALTH_ADVISOR)  # password 'pw'
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings.test", "DATABASE_URL": _dsn(),
           "DB_CONN_MAX_AGE": "600"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "crm.wsgi:application", "-b", f"127.0.0.1:{port}",
                               "-w", "1"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    token_url = f"http://127.0.0.1:{port}/api/auth/token/"
    login = f"username={staff.user.username}&password=pw"
    try:
        for _ in range(100):
            try:
                status = _post(token_url, login)
                break
            except (ConnectionError, urllib.error.URLError):
                time.sleep(0.1)
        assert status == 200  # the worker now holds a persistent connection to the database
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            this_test = cursor.fetchone()[0]
        with psycopg2.connect(_dsn("postgres")) as admin:
            admin.autocommit = True
            with admin.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                               "AND pid NOT IN (pg_backend_pid(), %s)", [connection.settings_dict["NAME"], this_test])
                assert cursor.rowcount >= 1
        assert _post(token_url, login) == 200  # the health check notices the dead connection and reconnects
    finally:
        server.terminate()
        server.wait(timeout=20)
