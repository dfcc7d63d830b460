"""The Celery app; the beat schedule lives here, in code, so it is reviewed like code."""
import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.local")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Nightly order (Asia/Shanghai): back-office import, then the jobs that read it.
# Later jobs (reclassification, churn scan) add their entries here.
app.conf.beat_schedule = {
    "import-backoffice-drop": {
        "task": "customers.tasks.import_backoffice_drop",
        "schedule": crontab(hour=1, minute=0),
    },
    "reclassify": {  # tiers for the latest data date, after the import; the alert scan follows its publish
        "task": "customers.tasks.reclassify",
        "schedule": crontab(hour=2, minute=0),
        "kwargs": {"scan_after": True},
    },
    "product-coverage": {  # after the reclassification: the manager home's coverage KPI reads the new run
        "task": "crm.tasks.store_product_coverage",
        "schedule": crontab(hour=2, minute=40),
    },
    "products-matching-summary": {  # after the reclassification: reads the current tier
        "task": "products.tasks.matching_summary",
        "schedule": crontab(hour=3, minute=0),
    },
    # The alert scan runs when the night's reclassification has published (two rules read the new tiers):
    # customers.tasks.reclassify_publish queues it. This late run is the safety net (the reclassification
    # failed, or its worker was lost): it does nothing when the date was scanned already.
    "scan-alerts-safety": {
        "task": "alerts.tasks.scan_alerts",
        "schedule": crontab(hour=6, minute=0),
        "kwargs": {"unless_done": True},
    },
    # The churn scores follow the scan (alerts.tasks.scan_alerts queues them); this late run is their safety net.
    "score-churn-safety": {
        "task": "alerts.tasks.score_churn",
        "schedule": crontab(hour=6, minute=20),
        "kwargs": {"unless_done": True},
    },
    "train-churn-model": {  # a new draft version monthly, after the 1st's night; a manager activates it
        "task": "alerts.tasks.train_churn_model",
        "schedule": crontab(day_of_month=2, hour=4, minute=30),
    },
    "morning-digest": {  # every advisor's digest: today's list, overdue tasks, new red alerts (once a day)
        "task": "outreach.tasks.send_digest",
        "schedule": crontab(hour=7, minute=30),
    },
    "outreach-sweep": {  # messages whose task was lost (queue or worker down) or that waited out quiet hours
        "task": "outreach.tasks.sweep_queued",
        "schedule": crontab(minute="*/5"),
    },
    "campaigns-send-due": {  # approved campaigns whose time has come (and a send a lost worker left half done)
        "task": "campaigns.tasks.send_due_campaigns",
        "schedule": crontab(minute="*/5"),
    },
    "escalate-overdue-alerts": {  # red alerts are due in 4 hours: check every quarter of an hour
        "task": "alerts.tasks.escalate_overdue",
        "schedule": crontab(minute="*/15"),
    },
    "survey-monthly-plan": {  # draft sampling plans on the 1st, after the night's reclassification
        "task": "surveys.tasks.generate_monthly_plan",
        "schedule": crontab(day_of_month=1, hour=4, minute=0),
    },
    "abandon-stale-job-runs": {  # runs whose worker died beyond its retries stop showing as running
        "task": "crm.tasks.abandon_stale_runs",
        "schedule": crontab(minute=5),
    },
    "requeue-stuck-imports": {  # uploads made while the queue was down, or whose task was lost
        "task": "customers.tasks.requeue_stuck_imports",
        "schedule": crontab(minute="*/5"),
    },
    "survey-escalate-followups": {  # overdue follow-up tasks to the office manager, every morning
        "task": "surveys.tasks.escalate_overdue_followups",
        "schedule": crontab(hour=8, minute=30),
    },
}
