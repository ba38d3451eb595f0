"""A bounded load run on loopback: UI users walking the pages while a provider posts signed
status callbacks, against gunicorn on PostgreSQL.

Executed as a script (by ``test_scale.py`` and ``brief bench``'s ``load_mixed``) with
``DATABASE_URL`` set. It prepares a brief in execution whose sweep has ``LOAD_MESSAGES`` sent
SMS (Twilio ids), starts gunicorn, then for ``LOAD_SECONDS`` runs ``LOAD_USERS`` logged-in users
(each in a loop: board, brief page, sweep page, campaign report) and posts ``LOAD_CALLBACKS_PER_S``
signed "delivered" callbacks per second, each message once plus every 50th replayed, to the
callbacks' own gunicorn pool (``brief serve --hooks-bind``, as the proxy of README «Escalar»
routes ``/hooks/``; ``LOAD_HOOKS_WORKERS=0`` posts them to the pages' pool instead). Prints
p50/p99 per page and per callback, the callback rate reached, and what the database then holds,
as JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.dispatch.fault_settings"
os.environ.setdefault("SITE_URL", "http://127.0.0.1:0")
django.setup()

import aiohttp  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import reverse  # noqa: E402

from brief.accounts.actions import set_roles  # noqa: E402
from brief.accounts.models import User  # noqa: E402
from brief.content.models import Template  # noqa: E402
from brief.core.bench import free_port  # noqa: E402
from brief.dispatch import actions  # noqa: E402
from brief.dispatch.models import Message, StatusEvent  # noqa: E402
from brief.dispatch.peers.twilio import sign  # noqa: E402
from tests.dispatch.fault_sweep import when  # noqa: E402
from tests.dispatch.pg_sweep import imported_campaign, twilio_account  # noqa: E402
from tests.dispatch.processes import log_of, spawn, stop_all, up  # noqa: E402

MESSAGES = int(os.environ.get("LOAD_MESSAGES", "120000"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
USERS = int(os.environ.get("LOAD_USERS", "50"))
RATE = float(os.environ.get("LOAD_CALLBACKS_PER_S", "2000"))
REPLAY_EVERY = 50
SID = "AC" + "9e" * 16
TOKEN = "token-carga"


class Peer:
    """Enough of the Twilio peer for :func:`twilio_account` (no requests are sent here)."""

    base_url = "http://127.0.0.1:9"
    auth_token = TOKEN


def prepare(workdir: str):
    """The brief, its sweep of ``MESSAGES`` sent SMS, and ``USERS`` session cookies."""
    call_command("migrate", run_syncdb=True, verbosity=0)
    operator, brief = imported_campaign(workdir, MESSAGES, ["sms"])
    twilio_account(Peer(), SID, rate=1000, concurrency=4, chunk_size=100)
    template = Template.objects.create(
        brief=brief, channel="sms", name="s", body="Hola {nombres}", created_by=operator
    )
    sweep = actions.create_sweep(
        brief, actor=operator, channel="sms", template=template, provider_account="twilio",
        ignore_windows=True, ignore_daily_cap=True, exception_reason="prueba de carga",
    )  # fmt: skip
    table = Message._meta.db_table
    with connection.cursor() as cursor:  # as a finished sweep leaves them: sent, with Twilio ids
        cursor.execute(
            f"UPDATE {table} SET status = 'sent', rank = 2, attempts = 1, sent_at = now(), "
            f"provider_message_id = 'SM' || md5(id::text) WHERE sweep_id = %s",
            [sweep.pk],
        )
    sweep.state = "done"
    sweep.save(update_fields=["state"])
    cookies = []
    for i in range(USERS):
        user = User.objects.create_user(f"carga{i}", password="x")
        set_roles(user, ["analista_ocm" if i % 2 else "lider_proceso"])
        user = User.objects.get(pk=user.pk)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]  # (first: axes)
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(session.session_key)
    pages = {
        "tablero": reverse("campaigns:board"),
        "brief": reverse("campaigns:brief_detail", args=[brief.code]),
        "barrido": reverse("dispatch:sweep_detail", args=[sweep.pk]),
        "informe": reverse("reports:campaign", args=[brief.code]),
    }
    rows = Message.objects.filter(sweep=sweep).values_list("provider_message_id", "to")
    return sweep, cookies, pages, list(rows)


async def ui_user(site: str, cookie: str, pages: dict, stop: float, latencies, errors) -> None:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        session.cookie_jar.update_cookies({settings.SESSION_COOKIE_NAME: cookie})
        while time.monotonic() < stop:
            for name, path in pages.items():
                started = time.monotonic()
                async with session.get(site + path, allow_redirects=False) as response:
                    await response.read()
                    if response.status != 200:
                        errors[f"{name} {response.status}"] += 1
                latencies[name].append(time.monotonic() - started)


async def callbacks(
    site: str, pool: str, hook: str, rows: list, stop: float, answers, sids, latencies: list
) -> int:
    """Post signed callbacks at ``RATE`` per second (at most 64 in flight) until ``stop`` or
    every message and its replays went; returns how many were posted (``sids``: for whom)."""
    url, signed = pool + hook, site + hook  # posted to the callbacks' pool, signed as public
    work = []
    for i, (sid, to) in enumerate(rows):
        work.append((sid, to))
        if i % REPLAY_EVERY == 0:
            work.append((sid, to))  # a provider retrying a callback it thinks was lost
    limit = asyncio.Semaphore(64)
    connector = aiohttp.TCPConnector(limit=64)
    tasks = set()
    start = time.monotonic()
    posted = 0

    async def post(session, sid, to) -> None:
        form = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": "delivered",
                "SmsStatus": "delivered", "To": to, "From": "+15017122661",
                "AccountSid": SID, "ApiVersion": "2010-04-01"}  # fmt: skip
        headers = {"X-Twilio-Signature": sign(TOKEN, signed, form),
                   "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
        started = time.monotonic()
        try:
            async with session.post(url, data=urlencode(form), headers=headers) as response:
                await response.read()
                answers[response.status] += 1
                latencies.append(time.monotonic() - started)
        except aiohttp.ClientError:
            answers[0] += 1
        finally:
            limit.release()

    async with aiohttp.ClientSession(connector=connector) as session:
        for sid, to in work:
            if time.monotonic() >= stop:
                break
            due = start + posted / RATE
            if due > time.monotonic():
                await asyncio.sleep(due - time.monotonic())
            await limit.acquire()
            sids.add(sid)
            task = asyncio.create_task(post(session, sid, to))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            posted += 1
        await asyncio.gather(*tasks)
    return posted


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def spread(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50_ms": round(1000 * statistics.median(values), 1) if values else 0.0,
        "p99_ms": round(1000 * percentile(values, 0.99), 1),
    }


async def run(site: str, hooks_site: str, hook: str, cookies, pages, rows) -> dict:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    answers: dict[int, int] = defaultdict(int)
    sids: set[str] = set()
    waits: list[float] = []
    stop = time.monotonic() + SECONDS
    started = time.monotonic()
    users = [ui_user(site, c, pages, stop, latencies, errors) for c in cookies]
    posted, *_ = await asyncio.gather(
        callbacks(site, hooks_site, hook, rows, stop, answers, sids, waits), *users
    )
    elapsed = time.monotonic() - started
    return {
        "seconds": round(elapsed, 1),
        "callbacks_posted": posted,
        "messages_posted": len(sids),
        "callbacks_per_s": round(posted / elapsed, 1),
        "answers": {str(k): v for k, v in answers.items()},
        "callback_latency": spread(waits),
        "pages": {name: spread(v) for name, v in latencies.items()},
        "page_errors": dict(errors),
    }


def main(workdir: str) -> None:
    port, hooks_port = free_port(), free_port()
    site = f"http://127.0.0.1:{port}"
    settings.SITE_URL = site  # the signed URL must be the one gunicorn serves
    sweep, cookies, pages, rows = prepare(workdir)
    hook = reverse("provider_callback", args=["twilio"])
    web_workers = os.environ.get("LOAD_WEB_WORKERS", "2")
    env = {**os.environ, "SITE_URL": site}
    serve = [sys.executable, "-m", "brief.cli", "serve", "--no-worker", "--no-beat",
             "--bind", f"127.0.0.1:{port}", "--workers", web_workers]  # fmt: skip
    hooks_workers = int(os.environ.get("LOAD_HOOKS_WORKERS", "1"))
    hooks_site = site
    if hooks_workers:
        serve += ["--hooks-bind", f"127.0.0.1:{hooks_port}", "--hooks-workers", str(hooks_workers)]
        hooks_site = f"http://127.0.0.1:{hooks_port}"
    web = spawn(workdir, "web", serve, env)
    try:
        for url in {site, hooks_site}:  # each pool answers once its workers imported the project
            health = url + reverse("health")
            assert when(lambda health=health: up(health), 90), log_of(workdir, "web")
        figures = asyncio.run(run(site, hooks_site, hook, cookies, pages, rows))
    finally:
        stop_all([web])
    delivered = Message.objects.filter(sweep=sweep, status="delivered").count()
    events = StatusEvent.objects.filter(status="delivered")
    web_log = log_of(workdir, "web")
    print(  # noqa: T201
        json.dumps(
            {
                **figures,
                "target_callbacks_per_s": RATE,
                "users": USERS,
                "web_workers": int(web_workers),
                "hooks_workers": hooks_workers,
                "messages_called_back": delivered,
                "delivered_events": events.count(),
                "distinct_event_ids": events.values("provider_message_id").distinct().count(),
                "tracebacks": web_log.count("Traceback"),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
