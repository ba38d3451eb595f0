"""The Celery app: embedded SQLite broker by default, Redis when CELERY_BROKER_URL says so."""

import logging
import os

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brief.settings")

app = Celery("brief")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class KickOnReconnect(bootsteps.StartStopStep):
    """A worker's consumer that connects to the broker again (after a Redis restart) kicks the
    running sweeps: chains whose next task the broker lost get a new one as soon as their
    lease allows (the first connection is left to the worker-ready kick)."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.starts = 0

    def start(self, parent) -> None:
        self.starts += 1
        if self.starts > 1:
            logging.getLogger(__name__).warning("broker back: kicking running sweeps")
            app.send_task("brief.dispatch.tasks.kick_running_sweeps", kwargs={"follow_up": True})


app.steps["consumer"].add(KickOnReconnect)
