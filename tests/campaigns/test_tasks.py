"""A real Celery worker process on the embedded SQLite broker sends a notification over SMTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from django.db import connection

from brief.campaigns import actions
from brief.campaigns.choices import Status
from brief.celery import app
from tests.services import free_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def test_worker_consumes_embedded_broker_and_sends_mail(make_brief, analista, tmp_path):
    # given an SMTP sink, a broker file and a worker process sharing the test database
    inbox = Inbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    broker = app.conf.broker_url  # the embedded SQLite broker of the test settings
    app.control.purge()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "brief.test_settings",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_BROKER_URL": broker,
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "BRIEF_VAR_DIR": str(tmp_path),
    }
    brief = make_brief(Status.SUBMITTED)
    app.conf.task_always_eager = False
    worker = subprocess.Popen(
        [sys.executable, "-m", "brief.cli", "worker", "--pool", "solo", "--loglevel", "WARNING"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # when the analyst starts the review (the e-mail task is queued on commit)
        actions.perform(brief, "start_review", actor=analista)
        deadline = time.monotonic() + 60
        while len(inbox.messages) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        app.conf.task_always_eager = True
        worker.terminate()
        output = worker.communicate(timeout=20)[0].decode(errors="replace")
        smtp.stop()
    # then the worker delivered both e-mails to the SMTP sink
    recipients = sorted(m["To"] for m in inbox.messages)
    assert recipients == ["jefe@brief.example", "solicitante@brief.example"], output[-2000:]
    subject = str(make_header(decode_header(inbox.messages[0]["Subject"])))
    assert subject == f"[Brief] {brief.code} · En verificación OCM"
