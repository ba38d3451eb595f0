"""kill -9 of a real worker in the middle of a sweep: nobody gets the e-mail twice, none lost."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from django.db import connection

from brief.celery import app
from brief.dispatch import actions
from brief.dispatch.models import Message, ProviderAccount, Sweep
from tests.services import SinkHandler, free_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class SlowSink(SinkHandler):
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)


def start_worker(env):
    return subprocess.Popen(
        [sys.executable, "-m", "brief.cli", "worker", "--pool", "solo", "--loglevel", "INFO"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_kill_worker_mid_sweep_then_restart(campaign, proveedor, tmp_path):
    from aiosmtpd.controller import Controller

    # given a 400-recipient e-mail sweep through a slow real SMTP server
    sink = SlowSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    ProviderAccount.objects.create(
        code="smtp",
        name="SMTP",
        channels=["email"],
        chunk_size=40,
        concurrency=2,
        rate_per_second=10_000,
        backend="brief.dispatch.providers.smtp.SMTPProvider",
        options={"host": "127.0.0.1", "port": port, "start_tls": False},
    )
    brief, _, templates = campaign(n=400, channels=("email",))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "brief.test_settings",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_BROKER_URL": app.conf.broker_url,
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "BRIEF_VAR_DIR": str(tmp_path),
        "DISPATCH_STUCK_SECONDS": "2",
    }
    app.control.purge()
    app.conf.task_always_eager = False
    first = start_worker(env)
    second = None
    try:
        sweep = actions.create_sweep(
            brief,
            actor=proveedor,
            channel="email",
            template=templates["email"],
            provider_account="smtp",
            ignore_windows=True,
            ignore_daily_cap=True,
            exception_reason="prueba de caída del trabajador",
        )
        # when the worker is killed with SIGKILL in the middle of the sweep
        assert wait_for(lambda: len(sink.messages) >= 100, 60), first.stdout.read1(4000)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        at_kill = len(sink.messages)
        assert at_kill < 400
        # and a new worker starts
        second = start_worker(env)
        done = wait_for(lambda: Sweep.objects.get(pk=sweep.pk).state == "done", 120)
        if not done:
            os.killpg(second.pid, signal.SIGTERM)
            out = second.communicate(timeout=30)[0].decode(errors="replace")
            state = Sweep.objects.filter(pk=sweep.pk).values().first()
            statuses = Counter(Message.objects.filter(sweep=sweep).values_list("status", flat=True))
            pytest.fail(f"sweep not done: {state} {statuses}\n{out[-3000:]}")
    finally:
        app.conf.task_always_eager = True
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(20)
        controller.stop()
    # then nobody received the message twice
    received = Counter(m["To"] for m in sink.messages)
    assert max(received.values()) == 1
    # and none is lost: every message is sent, or unknown and shown for a decision
    by_status = Counter(Message.objects.filter(sweep=sweep).values_list("status", flat=True))
    assert set(by_status) <= {"sent", "unknown"}
    assert by_status["sent"] + by_status["unknown"] == 400
    sent = set(Message.objects.filter(sweep=sweep, status="sent").values_list("to", flat=True))
    assert sent <= set(received)  # what we call sent really arrived
    unknown = set(
        Message.objects.filter(sweep=sweep, status="unknown").values_list("to", flat=True)
    )
    assert set(received) <= sent | unknown  # whatever arrived is accounted for
