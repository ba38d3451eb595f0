"""One large SMS sweep across two ``brief worker`` processes and one web process (gunicorn),
on PostgreSQL with Redis as broker and shared rate limit: the deployment of README «Escalar».

Executed as a script by ``test_scale.py`` with ``DATABASE_URL`` and ``CELERY_BROKER_URL`` set.
The Twilio-compatible peer runs here; it answers every message and posts a signed "delivered"
callback for every 20th to the web process. Prints what happened as JSON on its last line.
``SCALE_MESSAGES`` and ``SCALE_RATE`` size the run (defaults: 200,000 messages at 400/s).
"""

from __future__ import annotations

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
from django.urls import reverse  # noqa: E402

from brief.content.models import Template  # noqa: E402
from brief.core.bench import free_port  # noqa: E402
from brief.dispatch import actions  # noqa: E402
from brief.dispatch.models import Message, StatusEvent, Sweep  # noqa: E402
from brief.dispatch.peers.twilio import TwilioPeer  # noqa: E402
from tests.dispatch.fault_sweep import when  # noqa: E402
from tests.dispatch.pg_sweep import imported_campaign, twilio_account  # noqa: E402
from tests.dispatch.processes import brief_worker, log_of, spawn, stop_all, up  # noqa: E402

N = int(os.environ.get("SCALE_MESSAGES", "200000"))
RATE = int(os.environ.get("SCALE_RATE", "400"))
EVERY = 20
SID = "AC" + "a7" * 16
WORKERS = ("w1", "w2")


def steady_rate(times: list[float], window: float = 30) -> tuple[float, float]:
    """(rate over the whole send, busiest ``window``-second stretch), the bucket's one-second
    burst aside (a shorter window mostly measures the jitter of requests in flight)."""
    times.sort()
    span = times[-1] - times[0]
    rate = (len(times) - RATE) / span if span > 0 else 0.0
    busiest, j = 0, 0
    for i, t in enumerate(times):
        while times[j] < t - window:
            j += 1
        busiest = max(busiest, i - j + 1)
    return rate, (busiest - RATE) / window


def main(workdir: str) -> None:
    started = time.monotonic()
    call_command("migrate", run_syncdb=True, verbosity=0)
    operator, brief = imported_campaign(workdir, N, ["sms"])
    template = Template.objects.create(
        brief=brief, channel="sms", name="s", body="Hola {nombres}", created_by=operator
    )
    prepared = time.monotonic() - started
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SITE_URL": site}
    peer = TwilioPeer(SID, "token", deliver_every=EVERY).start()
    twilio_account(peer, SID, rate=RATE, concurrency=16, chunk_size=200)
    procs = [
        spawn(workdir, "web", [sys.executable, "-m", "brief.cli", "serve", "--no-worker",
                               "--no-beat", "--bind", f"127.0.0.1:{port}", "--workers", "2"], env),
        *(brief_worker(workdir, w, env, "--concurrency", "2", "--loglevel", "INFO")
          for w in WORKERS),
    ]  # fmt: skip
    try:
        assert when(lambda: all("ready." in log_of(workdir, w) for w in WORKERS), 90), "workers"
        health = site + reverse("health")
        assert when(lambda: up(health), 90), log_of(workdir, "web")
        sweep = actions.create_sweep(
            brief,
            actor=operator,
            channel="sms",
            template=template,
            provider_account="twilio",
            ignore_windows=True,
            ignore_daily_cap=True,
            exception_reason="prueba de escala",
        )
        outbox = time.monotonic() - started - prepared
        done = when(lambda: Sweep.objects.get(pk=sweep.pk).state == "done", 3 * N / RATE + 120)
        sending = time.monotonic() - started - prepared - outbox
        delivered = N // EVERY
        settled = when(
            lambda: (
                peer.callbacks_pending() == 0
                and Message.objects.filter(sweep=sweep, status="delivered").count() == delivered
            ),
            120,
        )
        statuses = Counter(Message.objects.filter(sweep=sweep).values_list("status", flat=True))
        tried_twice = Message.objects.filter(sweep=sweep, attempts__gt=1).count()
        events = Counter(StatusEvent.objects.values_list("status", flat=True))
    finally:
        stop_all(procs)
        peer.stop()
    accepted = Counter(e["form"]["To"] for e in peer.requests)
    rate, busiest = steady_rate([e["at"] for e in peer.requests])
    web_log = log_of(workdir, "web")
    print(  # noqa: T201
        json.dumps(
            {
                "n": N,
                "rate_setting": RATE,
                "done": done,
                "settled": settled,
                "statuses": statuses,
                "tried_twice": tried_twice,
                "accepted": len(accepted),
                "requests": len(peer.requests),
                "most_per_recipient": max(accepted.values(), default=0),
                "rate": round(rate, 1),
                "busiest_30s": round(busiest, 1),
                "callbacks": peer.callbacks,
                "delivered_events": events.get("delivered", 0),
                # runner tasks each worker ran to the end
                "runs": {w: log_of(workdir, w).count("run_sweep[") for w in WORKERS},
                "web_callbacks": web_log.count("POST /hooks/"),
                "web_errors": [line for line in web_log.splitlines() if '" 5' in line][:5]
                + web_log[web_log.find("Traceback") :][:3000].splitlines()[-20:],
                "seconds": {"prepare": round(prepared, 1), "outbox": round(outbox, 1),
                            "send": round(sending, 1)},
                "log": "" if done and settled else log_of(workdir, "w1")[-3000:],
            }
        )
    )  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1])
