"""A sweep sent by a real ``brief worker`` (Redis broker, PostgreSQL) while a server restarts.

Executed as a script by ``test_faults.py`` with ``DATABASE_URL`` and ``CELERY_BROKER_URL`` set:
it creates the schema and a 300-recipient SMS sweep through the Twilio-compatible peer (run
here, on loopback), starts a worker, and once a third has been accepted prints ``RESTART`` and
waits for a line on its standard input (the test restarts the server meanwhile). Then it waits
for the sweep to finish and prints what happened as JSON on its last line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter

import django

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.dispatch.fault_settings"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import DatabaseError  # noqa: E402

from brief.content.models import Template  # noqa: E402
from brief.dispatch import actions  # noqa: E402
from brief.dispatch.engine import close_broken_connection  # noqa: E402
from brief.dispatch.models import Message, Sweep  # noqa: E402
from brief.dispatch.peers.twilio import TwilioPeer  # noqa: E402
from tests.dispatch.pg_sweep import imported_campaign, twilio_account  # noqa: E402
from tests.dispatch.processes import brief_worker, log_of, stop_all  # noqa: E402

N = 300
SID = "AC" + "f5" * 16


def when(predicate, timeout: float) -> bool:
    """Wait for ``predicate`` (a database that is away counts as not yet)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except DatabaseError:
            close_broken_connection()
        time.sleep(0.1)
    return False


def main(workdir: str) -> None:
    call_command("migrate", run_syncdb=True, verbosity=0)
    operator, brief = imported_campaign(workdir, N, ["sms"])
    template = Template.objects.create(
        brief=brief, channel="sms", name="s", body="Hola {nombres}", created_by=operator
    )
    peer = TwilioPeer(SID, "token").start()
    twilio_account(peer, SID, rate=100, concurrency=4, chunk_size=25)
    options = ("--pool", "solo", "--loglevel", "INFO")
    worker = brief_worker(workdir, "worker", dict(os.environ), *options)
    try:
        sweep = actions.create_sweep(
            brief,
            actor=operator,
            channel="sms",
            template=template,
            provider_account="twilio",
            ignore_windows=True,
            ignore_daily_cap=True,
            exception_reason="prueba de reinicio de un servidor",
        )
        assert when(lambda: len(peer.requests) >= N // 3, 60), "the sweep did not start"
        at_restart = len(peer.requests)
        print("RESTART", flush=True)  # noqa: T201
        sys.stdin.readline()
        done = when(lambda: Sweep.objects.get(pk=sweep.pk).state == "done", 60)
        statuses = Counter(Message.objects.filter(sweep=sweep).values_list("status", flat=True))
        sent_to = set(
            Message.objects.filter(sweep=sweep, status="sent").values_list("to", flat=True)
        )
    finally:
        stop_all([worker])
        peer.stop()
    log = log_of(workdir, "worker")
    accepted = Counter(entry["form"]["To"] for entry in peer.requests)
    print(  # noqa: T201
        json.dumps(
            {
                "done": done,
                "at_restart": at_restart,
                "statuses": statuses,
                "accepted": len(accepted),
                "most_per_recipient": max(accepted.values()),
                "sent_were_accepted": sent_to == set(accepted),
                # what the worker met: waits for the database, reconnections to the broker
                "database_waits": log.count("database unavailable") + log.count("database away"),
                "broker_returns": log.count("broker back: kicking"),
                "slots_freed": log.count("broker unavailable"),
                "local_rate_limit": log.count("kept in-process"),
                "log": "" if done else log[-4000:],
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
