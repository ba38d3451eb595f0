"""The Celery app: embedded SQLite broker by default, Redis when CELERY_BROKER_URL says so."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brief.settings")

app = Celery("brief")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
