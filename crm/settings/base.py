"""Settings shared by every environment; values come from environment variables."""
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name, default=False):
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-local-development-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "crm",
    "customers",
    "products",
    "surveys",
    "alerts",
    "planner",
    "outreach",
    "campaigns",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",  # outside everything below: redirects to the login page carry it too
    "crm.middleware.NoStoreMiddleware",
    "crm.middleware.ApiDocsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "crm.locale.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "crm.middleware.LoginRequiredEverywhereMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            # cached per language, with constant translations folded in (crm/template_loader.py)
            "loaders": [("crm.template_loader.Loader", ["django.template.loaders.filesystem.Loader",
                                                        "django.template.loaders.app_directories.Loader"])],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm.context_processors.user_scope",
            ],
        },
    },
]

# SQLite is the embedded default; DATABASE_URL (postgres://…) selects PostgreSQL.
DATABASES = {
    "default": dj_database_url.parse(  # an empty DATABASE_URL also means the embedded default
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take the write lock when their transaction begins (IMMEDIATE) and wait up to the busy timeout
    # (seconds) for it: a DEFERRED transaction that read first fails at once with "database is locked" when
    # another writer holds the lock, since SQLite cannot wait there without risking a deadlock.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE",
                                       "timeout": int(os.environ.get("SQLITE_BUSY_TIMEOUT", "30"))}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Covering indexes (INCLUDE) are a PostgreSQL optimisation; SQLite builds the same index without them.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    # Planner settings for each session, tuned for pages that read a few rows by index under many concurrent
    # users: SSD-like random reads (index lookups are cheap), no parallel workers per query (they cost more to
    # start than such queries take, and compete with the other requests), no JIT compilation (tens of ms on
    # queries that run in a few). The nightly jobs measured the same either way. Generic plans for prepared
    # statements: psycopg2 sends every other query with its values written in, so this only governs the
    # customer page's prepared one-customer reads (crm.compiled), which need no plan of their own per customer.
    # Override with DB_SESSION_OPTIONS (libpq "options").
    DATABASES["default"]["OPTIONS"] = {"options": os.environ.get(
        "DB_SESSION_OPTIONS", "-c random_page_cost=1.1 -c max_parallel_workers_per_gather=0 -c jit=off "
                              "-c plan_cache_mode=force_generic_plan")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A job run still "running" this long after it started is marked failed (crm.services.abandon_stale_runs).
JOB_STALE_AFTER_HOURS = float(os.environ.get("JOB_STALE_AFTER_HOURS", "3"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # not a check: told of every saved password change (admin, page, command), it revokes the user's API token
    {"NAME": "crm.auth.tokens.RevokeTokenOnPasswordChange"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Each process keeps its own cache. What the app caches (the advisor dashboard) is keyed by marks read from
# the database on every request (Staff.book_changed_at), so processes never serve each other's stale copies,
# and a Redis outage cannot take pages down with it.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "branch-crm",
        "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("CACHE_MAX_ENTRIES", "2000"))},
    }
}

# Login throttling needs counters every process sees (crm/auth/throttle.py): this second cache is shared, the
# database's own table (`crm_shared_cache`, created after migrate) unless SHARED_CACHE_URL names a Redis
# (production.py uses the broker's Redis by default).
def shared_cache(url):
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"BACKEND": "crm.auth.cache.FallbackRedisCache", "LOCATION": url, "KEY_PREFIX": "crm",
                "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}
    return {"BACKEND": "crm.auth.cache.CounterDatabaseCache", "LOCATION": "crm_shared_cache"}


SHARED_CACHE_URL = os.environ.get("SHARED_CACHE_URL", "")
CACHES["shared"] = shared_cache(SHARED_CACHE_URL)

# Client address: the n-th address from the right of X-Forwarded-For, n = the number of reverse proxies in
# front of the app that append to it (nginx: $proxy_add_x_forwarded_for); 0 = the connection's address only,
# any X-Forwarded-For ignored (anyone can write that header). Login throttling and DRF read the same setting.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# Login throttling (crm/auth/throttle.py), shared by the login page and POST /api/auth/token/:
# a client address with LOGIN_ADDRESS_FAILURES failed attempts is refused everything for the rest of its
# LOGIN_ADDRESS_WINDOW seconds; a username with LOGIN_USERNAME_FAILURES failures (from anywhere) is locked
# for LOGIN_LOCK_SECONDS, doubling with each failure after that up to LOGIN_LOCK_MAX_SECONDS; a success
# forgets the username's failures, which are otherwise remembered LOGIN_FAILURE_MEMORY seconds.
LOGIN_ADDRESS_FAILURES = int(os.environ.get("LOGIN_ADDRESS_FAILURES", "30"))
LOGIN_ADDRESS_WINDOW = int(os.environ.get("LOGIN_ADDRESS_WINDOW", "900"))
LOGIN_USERNAME_FAILURES = int(os.environ.get("LOGIN_USERNAME_FAILURES", "10"))
LOGIN_LOCK_SECONDS = int(os.environ.get("LOGIN_LOCK_SECONDS", "60"))
LOGIN_LOCK_MAX_SECONDS = int(os.environ.get("LOGIN_LOCK_MAX_SECONDS", "900"))
LOGIN_FAILURE_MEMORY = int(os.environ.get("LOGIN_FAILURE_MEMORY", str(24 * 3600)))
# API tokens expire this long after they were issued (fixed, not sliding), and on logout or password change.
API_TOKEN_SECONDS = int(os.environ.get("API_TOKEN_SECONDS", str(8 * 3600)))  # one working day

# An advisor's pages of their own customer list are cached under their book's change mark too (the list's
# rows, never its HTML); this bounds how long an edit made outside the services (the Django admin) can go
# unseen. 0 turns the cache off.
CUSTOMER_LIST_CACHE_SECONDS = int(os.environ.get("CUSTOMER_LIST_CACHE_SECONDS", "300"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# Chinese dates go into <input type="date"> as ISO (crm/formats/zh_Hans: Django writes 2026/12/04, which it refuses)
FORMAT_MODULE_PATH = ["crm.formats"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "crm.auth.tokens.ExpiringTokenAuthentication",  # first, so anonymous calls get 401
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["crm.api.permissions.IsStaffMember"],
    "DEFAULT_PAGINATION_CLASS": "crm.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,  # None (DRF's default) would trust every X-Forwarded-For
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Branch CRM API",
    "DESCRIPTION": "Customer tiering, suitability, surveys and alerts for a brokerage branch.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # choice sets that share a field name ("channel", "kind") get names of their own
    "ENUM_NAME_OVERRIDES": {
        "ContactChannelEnum": "customers.models.Interaction.Channel",
        "SurveyChannelEnum": "surveys.models.Channel",
        "TaskKindEnum": "planner.models.Task.Kind",
    },
}

# Celery: Redis broker in production; tasks are enqueued on transaction commit.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", None)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# An unacknowledged task (its worker died) goes back to the queue after this many seconds; longer than any task.
_visibility_timeout = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", str(4 * 3600)))
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": _visibility_timeout, "max_retries": 1}

# Back-office drop folder for the nightly import (one CSV per dataset).
BACKOFFICE_DROP_DIR = Path(os.environ.get("BACKOFFICE_DROP_DIR", BASE_DIR / "media" / "backoffice"))
IMPORT_MAX_UPLOAD_BYTES = int(os.environ.get("IMPORT_MAX_UPLOAD_BYTES", str(200 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Content-Security-Policy (django-csp): scripts and styles from our own static files only - no inline script,
# event-handler attribute or style attribute runs; charts read their data from json_script blocks. The API
# documentation pages widen it (crm.middleware.ApiDocsPolicyMiddleware).
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # Bootstrap's form controls draw their arrows and ticks as data: SVGs
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# Outgoing e-mail (outreach: the morning digest and alert pushes). SMTP from the environment in production; the
# embedded default writes messages to files (crm.settings.local).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "crm@branch.example")
