"""Settings for Brief, driven by environment variables (see README, "Configuración").

Every value has a safe default for a developer laptop; production sets the variables.
Secrets may come from ``<NAME>_FILE`` (a path whose content is the value).
"""

from __future__ import annotations

import os
from datetime import timedelta as _timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    """Return ``$NAME``, or the content of the file named by ``$NAME_FILE``, or ``default``."""
    value = os.environ.get(name)
    if value is not None:
        return value
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return default


def env_bool(name: str, default: bool = False) -> bool:
    raw = env(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = env(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    raw = env(name, default) or ""
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
VAR_DIR = Path(env("BRIEF_VAR_DIR", str(BASE_DIR / "var")) or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env("SECRET_KEY") or ""
if not SECRET_KEY:
    # No key configured: use a random one kept in var/ (created once, readable by us only).
    _key_file = VAR_DIR / "secret_key"
    if not _key_file.exists():
        import secrets

        _key_file.touch(mode=0o600)
        _key_file.write_text(secrets.token_urlsafe(64), encoding="utf-8")
    SECRET_KEY = _key_file.read_text(encoding="utf-8").strip()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = (env("SITE_URL", "http://127.0.0.1:8000") or "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "django_prose_editor",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "brief.core",
    "brief.accounts",
    "brief.campaigns",
    "brief.contacts",
    "brief.content",
    "brief.dispatch",
    "brief.calls",
    "brief.reports",
    "brief.evidence",
    "brief.privacy",
    "brief.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "brief.core.middleware.MachinePaths",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "brief.core.middleware.NoStore",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out login into brief.accounts.lockout's answer.
    "axes.middleware.AxesMiddleware",
    "csp.middleware.CSPMiddleware",
]

# Paths only machines call (provider callbacks): they skip the session, auth, CSRF, locale,
# messages and htmx middleware (brief.core.middleware.MachinePaths).
BRIEF_MACHINE_PATHS = ["/hooks/"]

ROOT_URLCONF = "brief.urls"
WSGI_APPLICATION = "brief.wsgi.application"
ASGI_APPLICATION = "brief.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "brief.core.context_processors.shell",
                "brief.campaigns.context_processors.notifications",
            ],
        },
    },
]

# Database: SQLite (WAL, busy timeout) unless DATABASE_URL says otherwise.
_default_sqlite = f"sqlite:///{VAR_DIR / 'brief.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(env("DATABASE_URL", _default_sqlite) or _default_sqlite),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;"
        ),
    }
# Persistent connections on both engines. For SQLite this matters more than for PostgreSQL:
# closing the last connection to a WAL database checkpoints and removes the WAL file (~20 ms
# here), which a connection per request would pay on every request.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "es-co"
LANGUAGES = [("es", _("Español"))]
TIME_ZONE = "America/Bogota"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "brief" / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "brief.core.storage.FileStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded files (bases, approvals, recordings) live outside the web root and are served
# only through permission-checked views.
MEDIA_ROOT = Path(env("BRIEF_MEDIA_ROOT", str(VAR_DIR / "files")) or VAR_DIR / "files")
MEDIA_URL = "/files-not-served/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
BRIEF_MAX_UPLOAD_BYTES = env_int("BRIEF_MAX_UPLOAD_BYTES", 500 * 1024 * 1024)
# Creatives are kept until the provider contract ends plus the legal retention period.
BRIEF_CONTRACT_END = env("BRIEF_CONTRACT_END", "") or None  # YYYY-MM-DD
if BRIEF_CONTRACT_END:
    import datetime as _dt

    try:
        _dt.date.fromisoformat(BRIEF_CONTRACT_END)
    except ValueError as exc:
        raise ImproperlyConfigured("BRIEF_CONTRACT_END must be a date YYYY-MM-DD") from exc
BRIEF_RETENTION_YEARS = env_int("BRIEF_RETENTION_YEARS", 5)
# Encryption at rest of stored files (brief.core.crypto): comma-separated 32-byte keys in
# URL-safe base64, the encrypting one first; empty: files are stored as they are.
BRIEF_ENCRYPTION_KEYS = env("BRIEF_ENCRYPTION_KEYS", "") or ""
# Openings of one recipient's tracked link within this window count once (replays, scanners).
BRIEF_LINK_OPEN_WINDOW_SECONDS = env_int("BRIEF_LINK_OPEN_WINDOW_SECONDS", 600)
# How long the signed URL of a voice creative (fetched by the voice provider) stays valid.
CREATIVE_URL_SECONDS = env_int("CREATIVE_URL_SECONDS", 2 * 24 * 3600)

# Brute-force lockout (django-axes): AXES_FAILURE_LIMIT failed logins for one username (login
# page, admin, API token) lock it for AXES_COOLOFF_MINUTES, right password or not; a success
# resets the count. Unlock early with `brief axes_reset_username USER`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# API tokens expire this long after they are issued (brief.accounts.tokens).
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 24)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = _timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# Locking by IP as well would lock a whole office behind one NAT after a few typos by
# different people; a username is locked wherever the attempts come from (axes.W006 asks
# for the IP, knowingly declined).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "brief.accounts.lockout.locked_out"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = 1 if env_bool("BEHIND_TLS_PROXY", False) else None

# Security: strict by default; `make run` (DEBUG demo) relaxes what needs HTTPS.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "brief.core.errors.csrf_failure"
# Content-Security-Policy (django-csp): scripts only from Brief's own static files (no inline
# script, no eval, no CDN), nothing framed, forms posted only to Brief, styles only from
# Brief's static CSS (no ``style`` attribute or element). The e-mail preview frame and the API
# docs have their own policies (content.views.mail_preview, brief/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_SELF],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# E-mail (notifications). Console in DEBUG, SMTP otherwise.
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "") or ""
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Brief ICETEX <brief@localhost>")

# Celery: an embedded broker on a SQLite file (no server to run) unless CELERY_BROKER_URL is set.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite'}")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", None)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queues per kind of work, so workers can be sized and placed per kind (README «Escalar»);
# `brief worker` takes them all unless given --queues.
BRIEF_QUEUES = ("celery", "imports", "dispatch", "callbacks", "reports")
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "brief.contacts.tasks.import_base": {"queue": "imports"},
    "brief.calls.tasks.import_interactions": {"queue": "imports"},
    "brief.dispatch.tasks.run_sweep": {"queue": "dispatch"},
    "brief.dispatch.tasks.probe_circuits": {"queue": "dispatch"},
    "brief.dispatch.tasks.kick_running_sweeps": {"queue": "dispatch"},
    "brief.dispatch.tasks.simulated_report": {"queue": "callbacks"},
    "brief.dispatch.tasks.poll_bounce_mailboxes": {"queue": "callbacks"},
    "brief.dispatch.tasks.purge_callback_evidence": {"queue": "callbacks"},
    "brief.reports.tasks.*": {"queue": "reports"},
    "brief.evidence.tasks.*": {"queue": "reports"},
}
CELERY_BEAT_SCHEDULE = {
    "scan-sla-breaches": {"task": "brief.core.tasks.scan_sla_breaches", "schedule": 60.0},
    "scan-sla-alerts": {"task": "brief.campaigns.tasks.scan_sla_alerts", "schedule": 300.0},
    "send-daily-digests": {
        "task": "brief.campaigns.tasks.send_daily_digests",
        "schedule": crontab(hour=18, minute=0),
    },
    "reap-stale-imports": {"task": "brief.contacts.tasks.reap_stale_imports", "schedule": 120.0},
    "reap-stale-interaction-imports": {
        "task": "brief.calls.tasks.reap_stale_interaction_imports",
        "schedule": 600.0,
    },
    "kick-running-sweeps": {"task": "brief.dispatch.tasks.kick_running_sweeps", "schedule": 300.0},
    "probe-provider-circuits": {"task": "brief.dispatch.tasks.probe_circuits", "schedule": 30.0},
    "poll-bounce-mailboxes": {
        "task": "brief.dispatch.tasks.poll_bounce_mailboxes",
        "schedule": 120.0,
    },
    "purge-callback-evidence": {
        "task": "brief.dispatch.tasks.purge_callback_evidence",
        "schedule": 6 * 3600.0,
    },
    "sync-whatsapp-templates": {
        "task": "brief.dispatch.tasks.sync_whatsapp_templates",
        "schedule": 900.0,
    },
    # --- monthly reports, QC sample ---
    "send-monthly-reports": {
        "task": "brief.reports.tasks.send_monthly_reports",
        "schedule": crontab(day_of_month=1, hour=6, minute=0),
    },
    "draw-monthly-sample": {
        "task": "brief.reports.tasks.draw_monthly_sample",
        "schedule": crontab(day_of_month=1, hour=6, minute=30),
    },
    # --- daily execution report and fortnightly SLA report ---
    # After the contact windows close (19:00): the day's report of every running brief.
    "close-execution-day": {
        "task": "brief.reports.tasks.close_execution_day",
        "schedule": crontab(hour=19, minute=30),
    },
    # The 1st and the 16th: the previous fortnight's SLA report to OCM.
    "send-fortnightly-sla-report": {
        "task": "brief.reports.tasks.send_fortnightly_sla_report",
        "schedule": crontab(day_of_month="1,16", hour=7, minute=0),
    },
    # --- evidence: retention purge ---
    "purge-expired-files": {
        "task": "brief.evidence.tasks.purge_expired_files",
        "schedule": crontab(hour=3, minute=30),
    },
}

# --- dashboards ---
# Panels of the home page below the core's own: dotted paths of ``f(request) -> str | None``
# (HTML), resolved with ``import_string`` so the core never imports the apps above it.
HOME_PANELS = ["brief.reports.dashboards.home_panel"]

# Dispatch: a message left in "sending" this long by a dead worker is reconciled.
DISPATCH_STUCK_SECONDS = env_int("DISPATCH_STUCK_SECONDS", 120)
# Parallel runner chains per sweep on PostgreSQL (SQLite always uses one).
DISPATCH_RUNNERS_PER_SWEEP = env_int("DISPATCH_RUNNERS_PER_SWEEP", 4)
# Circuit breaker per provider account: consecutive unanswered requests (5xx, 429, timeouts)
# that pause its sweeps, and seconds before one message probes the provider again (an
# account's options ``breaker_failures`` / ``breaker_cooldown_seconds`` take precedence).
# A runner task sends this long before handing over to the next task of its chain; a chain
# whose next task was lost (a broker restart) frees its slot this much later; a runner waits
# this long for a database that went away (a restart) before giving up its task.
DISPATCH_RUNNER_BUDGET_SECONDS = env_int("DISPATCH_RUNNER_BUDGET_SECONDS", 20)
DISPATCH_LEASE_MARGIN_SECONDS = env_int("DISPATCH_LEASE_MARGIN_SECONDS", 15)
DISPATCH_DB_WAIT_SECONDS = env_int("DISPATCH_DB_WAIT_SECONDS", 60)
DISPATCH_BREAKER_FAILURES = env_int("DISPATCH_BREAKER_FAILURES", 5)
DISPATCH_BREAKER_COOLDOWN_SECONDS = env_int("DISPATCH_BREAKER_COOLDOWN_SECONDS", 60)
# Provider callbacks (/hooks/<code>/): largest body (413 above), most items per request (400
# above), and how long raw payloads and status events are kept as evidence.
BRIEF_CALLBACK_MAX_BYTES = env_int("BRIEF_CALLBACK_MAX_BYTES", 1024 * 1024)
BRIEF_CALLBACK_MAX_EVENTS = env_int("BRIEF_CALLBACK_MAX_EVENTS", 5000)

# --- evidence: signed sending certificates ---
# PEM paths of the key and certificate that sign sending certificates (PAdES). Unset (demo,
# tests): a self-signed pair is generated once into VAR_DIR/evidence/ and reused.
EVIDENCE_SIGNING_KEY = os.environ.get("EVIDENCE_SIGNING_KEY") or None
EVIDENCE_SIGNING_CERT = os.environ.get("EVIDENCE_SIGNING_CERT") or None
EVIDENCE_SIGNING_PASSPHRASE = env("EVIDENCE_SIGNING_PASSPHRASE", "") or ""
if bool(EVIDENCE_SIGNING_KEY) != bool(EVIDENCE_SIGNING_CERT):
    raise ImproperlyConfigured("EVIDENCE_SIGNING_KEY and EVIDENCE_SIGNING_CERT go together")
# Recipients listed in a campaign certificate's table (the embedded register lists them all).
EVIDENCE_CERTIFICATE_MAX_ROWS = env_int("EVIDENCE_CERTIFICATE_MAX_ROWS", 500)

# The demo's loopback SMSC and WhatsApp Cloud API stand-in (``brief serve --demo-peers``).
BRIEF_DEMO_SMSC_PORT = env_int("BRIEF_DEMO_SMSC_PORT", 2775)
BRIEF_DEMO_GRAPH_PORT = env_int("BRIEF_DEMO_GRAPH_PORT", 8775)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "brief.accounts.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "brief.core.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "brief.core.api.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "brief.core.api.exception_handler",
    # `?format=` names file formats (csv, xlsx, pdf) in our API, not DRF renderers.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Brief API",
    "DESCRIPTION": "API de Brief: campañas de servicio y experiencia de ICETEX (M5-1-22, F559).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed sidecar package (static files), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "BriefStatusEnum": "brief.campaigns.choices.Status",
        "BaseStatusEnum": "brief.contacts.choices.BaseStatus",
        "AttachmentKindEnum": "brief.campaigns.choices.AttachmentKind",
        "CampaignKindEnum": "brief.campaigns.choices.Kind",
        "ChannelEnum": "brief.campaigns.choices.Channel",
        "ConversationStatusEnum": "brief.calls.choices.ConversationStatus",
        "CaseStatusEnum": "brief.calls.choices.CaseStatus",
        "RecommendationStatusEnum": "brief.reports.choices.RecommendationStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
