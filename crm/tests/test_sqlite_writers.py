"""Issue 17 (9): on the embedded default (a SQLite file), two users writing at once both succeed. Before, a
transaction that read first and then wrote failed at once with "database is locked" (500) when the other
writer held the lock: 25 of 30 paired alert transitions on the demo.

The test database is SQLite in memory (one process); this test migrates a SQLite file and runs the pairs in a
child process on the project's own settings, each user's transition in its own thread and connection."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PAIRS = """
import json, threading
import django
django.setup()
from django.db import OperationalError, connections
from alerts import services
from alerts.models import Alert
from alerts.tests.conftest import DAY
from customers.models import Role
from customers.tests.factories import CustomerFactory, StaffFactory, office
from django.utils import timezone

cs = office("CS")
advisors = [StaffFactory(role=Role.WEALTH_ADVISOR, office=cs, with_user=True) for _ in range(2)]
pairs = [[Alert.objects.create(customer=CustomerFactory(advisor=a, office=cs), rule="large_outflow", level="yellow",
                               owner=a, opened_at=timezone.now(), first_fired_on=DAY, last_fired_on=DAY).pk
          for a in advisors] for _ in range(30)]
errors = []

def move(advisor, alert_id, barrier):
    try:
        barrier.wait()
        services.transition(alert_id=alert_id, actor=advisor.user, to="acknowledged", note="called")
    except OperationalError as exc:
        errors.append(str(exc))
    finally:
        connections.close_all()

for pair in pairs:
    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=move, args=(a, pk, barrier)) for a, pk in zip(advisors, pair)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
print(json.dumps({"errors": errors, "acknowledged": Alert.objects.filter(status="acknowledged").count()}))
"""


def test_thirty_pairs_of_concurrent_alert_transitions_on_a_sqlite_file_all_succeed(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings.test",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    run = subprocess.run([sys.executable, "-c", PAIRS], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["errors"] == [] and result["acknowledged"] == 60
