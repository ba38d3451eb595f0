"""Two sweeps sent by three real ``brief worker`` processes whose clocks disagree.

Executed as a script by ``test_clock_skew.py`` with ``DATABASE_URL`` and ``CELERY_BROKER_URL``
set: one worker keeps this machine's time, one runs 5 minutes ahead and one 5 minutes behind
(libfaketime). Sweep A starts at once; sweep B is scheduled 5 s later, while A is still being
sent. Both go through the Twilio-compatible peer run here (its clock is the true one), one
provider account whose rate the workers share through Redis. Prints what happened as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.dispatch.fault_settings"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
django.setup()


from django.core.management import call_command  # noqa: E402

from brief.content.models import Template  # noqa: E402
from brief.dispatch import actions  # noqa: E402
from brief.dispatch.models import Message, Sweep  # noqa: E402
from brief.dispatch.peers.twilio import TwilioPeer  # noqa: E402
from tests.dispatch.fault_sweep import when  # noqa: E402
from tests.dispatch.pg_sweep import imported_campaign, twilio_account  # noqa: E402
from tests.dispatch.processes import brief_worker, log_of, stop_all  # noqa: E402

N = 400
RATE = 40
LATER = 5  # seconds until sweep B starts (A is still being sent then)
SID = "AC" + "5c" * 16
FAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


def start_worker(workdir: str, name: str, skew: str):
    env = dict(os.environ)
    if skew:  # (the monotonic clock moves too: only its differences count)
        env.update(LD_PRELOAD=FAKETIME, FAKETIME=skew)
    return brief_worker(workdir, name, env, "--pool", "solo", "--loglevel", "INFO")


def main(workdir: str) -> None:
    call_command("migrate", run_syncdb=True, verbosity=0)
    operator, brief = imported_campaign(workdir, N, ["sms"])
    templates = {
        name: Template.objects.create(
            brief=brief, channel="sms", name=name, body=name + " {nombres}", created_by=operator
        )
        for name in ("A", "B")
    }
    peer = TwilioPeer(SID, "token").start()
    twilio_account(peer, SID, rate=RATE, concurrency=4, chunk_size=10)
    workers = [
        start_worker(workdir, "exact", ""),
        start_worker(workdir, "ahead", "+5m"),
        start_worker(workdir, "behind", "-5m"),
    ]
    try:
        ready = lambda: all(  # noqa: E731
            "ready." in log_of(workdir, w) for w in ("exact", "ahead", "behind")
        )
        assert when(ready, 60), "the workers did not start"
        options = {
            "actor": operator,
            "channel": "sms",
            "provider_account": "twilio",
            "ignore_windows": True,
            "ignore_daily_cap": True,
            "exception_reason": "prueba de relojes desfasados",
        }
        sweep_a = actions.create_sweep(brief, template=templates["A"], **options)
        start_b = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=LATER)
        sweep_b = actions.create_sweep(brief, template=templates["B"], start_at=start_b, **options)
        sweeps = [sweep_a.pk, sweep_b.pk]
        done = when(lambda: Sweep.objects.filter(pk__in=sweeps, state="done").count() == 2, 150)
        statuses = {
            name: dict(Counter(Message.objects.filter(sweep=pk).values_list("status", flat=True)))
            for name, pk in zip("AB", sweeps, strict=True)
        }
    finally:
        stop_all(workers)
        peer.stop()
    logs = {w: log_of(workdir, w) for w in ("exact", "ahead", "behind")}
    requests = peer.requests
    accepted = Counter((e["form"]["Body"][0], e["form"]["To"]) for e in requests)
    times = sorted(e["at"] for e in requests)
    first_b = min((e["at"] for e in requests if e["form"]["Body"].startswith("B")), default=0)
    span = times[-1] - times[0] if len(times) > 1 else 0
    print(  # noqa: T201
        json.dumps(
            {
                "done": done,
                "statuses": statuses,
                "accepted": len(accepted),
                "most_per_recipient": max(accepted.values(), default=0),
                # the rate across all workers, the bucket's initial burst (one second) aside
                "rate": (len(times) - RATE) / span if span else 0,
                "b_early_seconds": start_b.timestamp() - first_b if first_b else None,
                "skew_warnings": sum(log.count("clock is") for log in logs.values()),
                "log": "" if done else logs["exact"][-3000:] + logs["ahead"][-3000:],
                "at": time.time(),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
