"""The attacks of issue 17 (6) against gunicorn with three workers on the test database (PostgreSQL), with the
throttling counters in the database's table (the embedded default) and in a real Redis (production).

Requests go out from several threads at once, so they spread over the workers; each worker is a process with
its own memory, which the old per-process counters could not see across."""
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
import redis
from django.core.cache import caches
from django.db import connection

from customers.models import Role

from .test_outages import _dsn, free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.e2e,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="gunicorn shares the database through a server"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(params=["database", "redis"])
def shared_cache_url(request):
    if request.param == "database":
        yield ""
        return
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL)
    for _ in range(50):
        try:
            redis.Redis(port=port).ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def start(shared_cache_url):
    """start(**env) -> base URL of gunicorn (3 workers, test settings, this test's database)."""
    servers = []
    caches["shared"].clear()  # the table outlives the flush between transactional tests

    def run(**env):
        port = free_port()
        environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings.test", "DATABASE_URL": _dsn(),
                       "SHARED_CACHE_URL": shared_cache_url, **{k: str(v) for k, v in env.items()}}
        servers.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "crm.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "3"],
            cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/health/", timeout=30)
                # every worker loads the URLs and views before the timed attacks
                together([lambda: urllib.request.urlopen(base + "/health/", timeout=60).read()] * 12)
                return base
            except OSError:  # not listening yet (URLError, ConnectionError), or a worker still booting (timeout)
                time.sleep(0.1)
        raise AssertionError("gunicorn did not start")

    yield run
    for server in servers:
        server.terminate()
        server.wait(timeout=20)
    caches["shared"].clear()


def post(url, data, headers=None, opener=None):
    body = "&".join(f"{k}={v}" for k, v in data.items()).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def together(calls, threads=6):
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_sixty_bad_logins_over_three_workers_check_only_ten(start, make_staff, reference_data):
    make_staff(Role.WEALTH_ADVISOR, username="wa1")
    base = start()
    jar = CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar),
                                          urllib.request.HTTPRedirectHandler())
    page = browser.open(base + "/accounts/login/", timeout=30).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def guess(i):
        return lambda: post(base + "/accounts/login/", {"csrfmiddlewaretoken": csrf, "username": "wa1",
                                                        "password": f"guess{i}"}, opener=browser)

    statuses = together([guess(i) for i in range(60)])
    assert statuses.count(200) == 10 and statuses.count(429) == 50  # 200: the form again, password checked


def test_a_fresh_forwarded_for_per_request_does_not_reset_the_token_endpoints_limit(start, reference_data):
    base = start()  # no trusted proxy (the default): X-Forwarded-For is the client's own writing
    statuses = together([
        (lambda i=i: post(base + "/api/auth/token/", {"username": f"nobody{i}", "password": "x"},
                          {"X-Forwarded-For": f"198.51.100.{i}"})) for i in range(60)])
    assert statuses.count(400) == 30 and statuses.count(429) == 30  # the address's 30, whatever the header


def test_behind_one_trusted_proxy_the_attackers_address_is_limited_and_others_log_in(
        start, make_staff, reference_data):
    make_staff(Role.WEALTH_ADVISOR, username="wa1")
    base = start(TRUSTED_PROXY_COUNT=1)  # every request comes from 127.0.0.1, the proxy
    attacker = {"X-Forwarded-For": "203.0.113.7"}
    statuses = together([
        (lambda i=i: post(base + "/api/auth/token/", {"username": f"nobody{i}", "password": "x"},
                          {"X-Forwarded-For": f"10.9.9.{i}, 203.0.113.7"})) for i in range(40)])
    assert statuses.count(400) == 30 and statuses.count(429) == 10
    assert post(base + "/api/auth/token/", {"username": "wa1", "password": "pw"}, attacker) == 429
    assert post(base + "/api/auth/token/", {"username": "wa1", "password": "pw"},
                {"X-Forwarded-For": "192.0.2.20"}) == 200


def test_after_the_username_lock_the_real_user_gets_in_after_the_short_wait(start, make_staff, reference_data):
    make_staff(Role.WEALTH_ADVISOR, username="wa1")
    base = start(TRUSTED_PROXY_COUNT=1, LOGIN_LOCK_SECONDS=4)  # 60 s by default
    statuses = together([  # ten failures from ten addresses lock the username itself
        (lambda i=i: post(base + "/api/auth/token/", {"username": "wa1", "password": "x"},
                          {"X-Forwarded-For": f"203.0.113.{i}"})) for i in range(10)])
    assert statuses == [400] * 10
    user = {"X-Forwarded-For": "192.0.2.20"}
    assert post(base + "/api/auth/token/", {"username": "wa1", "password": "pw"}, user) == 429
    time.sleep(4.2)
    assert post(base + "/api/auth/token/", {"username": "wa1", "password": "pw"}, user) == 200
