"""Test settings: only what tests need differs from production settings."""

import os

os.environ.setdefault("BRIEF_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test"))

from brief.settings import *  # noqa: F403

DEBUG = False
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
STORAGES = {
    "default": {"BACKEND": "brief.core.storage.FileStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Every stored file of the suite is encrypted at rest (README «Encryption at rest»), with a fixed
# test key; child processes (workers, benchmarks) read the same settings.
BRIEF_ENCRYPTION_KEYS = env(  # type: ignore[assignment]  # noqa: F405
    "BRIEF_ENCRYPTION_KEYS", "dGVzdC1rZXktb2YtYnJpZWYtdGVzdHMtMzItYnl0ZXM"
)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)  # noqa: F405
CELERY_TASK_EAGER_PROPAGATES = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
# An on-disk test database (WAL) so that tests with threads or processes share it for real.
DATABASES["default"].setdefault("TEST", {})  # noqa: F405
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"]["NAME"] = str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")  # noqa: F405
# One embedded broker per test process: tests that start real workers never share a queue.
if not os.environ.get("CELERY_BROKER_URL"):
    CELERY_BROKER_URL = f"sqla+sqlite:///{VAR_DIR / f'celery-broker-{os.getpid()}.sqlite'}"  # noqa: F405
