"""Deploy checks: the production settings pass `check --deploy`, take secrets and hosts from the
environment, keep DEBUG off unless asked, and refuse to start without a secret or a database."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "k3$Vq9!zR1pW8mN2bT6yL0cX5fH7jD4gS_aE-uQ+oI9rY2wZ8vB"  # a fixed test value shaped like a real key


def manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k != "DATABASE_URL"}
    base.update(DJANGO_SETTINGS_MODULE="crm.settings.production", **env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True,
                          timeout=120)


PRODUCTION = {"DJANGO_SECRET_KEY": SECRET, "DJANGO_ALLOWED_HOSTS": "crm.branch.example",
              "DATABASE_URL": "postgres://crm@db.branch.example:5432/crm"}


def test_production_settings_pass_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_and_hosts_come_from_the_environment():
    code = "from django.conf import settings as s; print(s.DEBUG, s.ALLOWED_HOSTS, s.SESSION_COOKIE_SECURE)"
    result = manage("shell", "-c", code, **PRODUCTION)
    assert result.stdout.strip().splitlines()[-1] == "False ['crm.branch.example'] True", result.stderr
    on = manage("shell", "-c", code, DJANGO_DEBUG="true", **PRODUCTION)
    assert on.stdout.strip().splitlines()[-1].startswith("True")


@pytest.mark.parametrize("missing, message", [("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY"),
                                              ("DATABASE_URL", "DATABASE_URL")])
def test_production_refuses_to_start_without(missing, message):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr
