"""The Celery app: embedded SQLite broker by default, Redis when CELERY_BROKER_URL says so."""

import datetime as dt
import logging
import os

from celery import Celery, Task, bootsteps
from celery.worker.request import Request

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brief.settings")


def _offset() -> dt.timedelta:
    from brief.core import clock

    return dt.timedelta(seconds=clock.offset_seconds())


class BriefCelery(Celery):
    """Celery whose clock is the deployment's (:mod:`brief.core.clock`): an eta or a countdown
    a machine writes into a task means the same instant on every other machine."""

    def now(self):
        return super().now() + _offset()


class ClusterClockRequest(Request):
    """A received task whose eta (the deployment's time) is read on this machine's clock, which
    is what Celery's timer compares it with: a worker whose clock is minutes off still runs a
    scheduled sweep at its time, neither early nor late."""

    @property
    def eta(self):
        return None if self._eta is None else self._eta - _offset()


class BriefTask(Task):
    Request = ClusterClockRequest


app = BriefCelery("brief", task_cls=BriefTask)
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
