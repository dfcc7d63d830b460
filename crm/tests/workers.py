"""Real Celery workers for end-to-end tests: a `celery worker` process on its own queue, against the test
database (PostgreSQL only: the worker reaches the database through the server)."""
import json
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


def held_and_queued(queue):
    """Messages of `queue` a worker holds unacknowledged, and messages still waiting in it (Redis transport)."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    held = sum(json.loads(raw)[2] == queue for raw in client.hvals("unacked"))
    return held, client.llen(queue)


def crash_worker(proc, settled, attempts=200):
    """SIGKILL `proc` at a moment when `settled()` holds, checked while the worker is frozen (SIGSTOP).

    Kombu's Redis transport pops a message (BRPOP) before it records it as unacknowledged; a worker killed
    between the two loses that message for good. A crash test must land its kill elsewhere, or it fails at
    random: `settled` says that every message is accounted for, and the worker only dies when it does."""
    for _ in range(attempts):
        proc.send_signal(signal.SIGSTOP)
        if settled():
            return stop_worker(proc, kill=True)
        proc.send_signal(signal.SIGCONT)
        time.sleep(0.01)
    proc.send_signal(signal.SIGCONT)
    stop_worker(proc)
    pytest.fail("the worker never settled at a point where it could be killed without losing a message")


def wait_for(predicate, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()
