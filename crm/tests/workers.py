"""Real Celery workers for end-to-end tests: a `celery worker` process on its own queue, against the test
database (PostgreSQL only: the worker reaches the database through the server)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def dsn_of_test_database():
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def require_worker_setup():
    if connection.vendor != "postgresql":
        pytest.skip("the worker shares the database through a server: runs in the PostgreSQL pass")
    redis.Redis.from_url(settings.CELERY_BROKER_URL).ping()  # Redis must be up: CI starts it


def start_worker(queue, **env):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings.test", "DATABASE_URL": dsn_of_test_database(),
           "CELERY_QUEUE": queue, "CELERY_TASK_ALWAYS_EAGER": "false", **env}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "crm", "worker", "-Q", queue, "--pool=solo", "-l", "info",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def stop_worker(proc, kill=False):
    """Stop (SIGTERM, or SIGKILL as a crash) and return the worker's output."""
    if kill:
        proc.send_signal(signal.SIGKILL)
    else:
        proc.terminate()
    try:
        out, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out or ""


def wait_for(predicate, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()
