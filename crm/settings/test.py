"""Test settings: SQLite by default, PostgreSQL when DATABASE_URL is set (CI runs both)."""
from .base import *  # noqa: F401,F403
from .base import env_bool

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Eager in the test process; real workers started by end-to-end tests send their sub-tasks through Redis.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True  # serve from the finders; no collectstatic needed for tests
WHITENOISE_USE_FINDERS = True
LANGUAGE_CODE = "en"  # assertions read English; the Chinese default is tested explicitly
