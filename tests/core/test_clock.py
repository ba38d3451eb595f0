"""The deployment's clock and the queues per kind of work (README «Escalar»)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from brief.celery import app
from brief.core import clock


def test_on_sqlite_the_deployments_clock_is_this_machines(db):
    clock.forget()
    before = timezone.now()
    assert before <= clock.now() <= timezone.now()
    assert clock.offset_seconds() == 0


def test_celery_writes_and_reads_etas_on_the_deployments_clock(monkeypatch):
    # given this machine is 300 s behind the database server
    monkeypatch.setattr(clock, "offset_seconds", lambda: 300.0)
    # then an eta Celery computes from a countdown is in the server's time
    assert abs((app.now() - timezone.now()).total_seconds() - 300) < 5
    # and an eta received is read 300 s earlier on this machine's clock
    from brief.dispatch.tasks import run_sweep

    request_cls = run_sweep.Request
    request = request_cls.__new__(request_cls)
    eta = dt.datetime(2026, 12, 2, 10, tzinfo=dt.UTC)
    request._eta = eta
    assert request.eta == eta - dt.timedelta(seconds=300)


def test_every_task_goes_to_a_queue_the_default_worker_takes():
    app.loader.import_default_modules()
    app.autodiscover_tasks(force=True)
    names = [name for name in app.tasks if name.startswith("brief.")]
    assert len(names) >= 18
    queues = {name: app.amqp.router.route({}, name)["queue"].name for name in names}
    assert set(queues.values()) <= set(settings.BRIEF_QUEUES)
    assert queues["brief.dispatch.tasks.run_sweep"] == "dispatch"
    assert queues["brief.contacts.tasks.import_base"] == "imports"
    assert queues["brief.reports.tasks.send_monthly_reports"] == "reports"
    assert queues["brief.dispatch.tasks.poll_bounce_mailboxes"] == "callbacks"
    assert queues["brief.campaigns.tasks.notify_brief"] == "celery"


def test_brief_worker_takes_every_queue_unless_told(monkeypatch):
    from brief.core.management.commands import worker

    seen: list[list[str]] = []
    monkeypatch.setattr(worker.app, "worker_main", seen.append)
    from django.core.management import call_command

    call_command("worker")
    call_command("worker", "--queues", "dispatch", "-n", "w1@%h")
    assert f"--queues={','.join(settings.BRIEF_QUEUES)}" in seen[0]
    assert "--queues=dispatch" in seen[1]
    assert "--hostname=w1@%h" in seen[1]
