"""The child programs of the dispatch benchmarks, run as ``python -m brief.dispatch.bench_child``.

``simulated N OPTIONS``, ``smtp N PORT`` and ``twilio N BASE_URL SID CONCURRENCY`` each migrate
a fresh database (``DATABASE_URL``), store a ready base of N people, run one sweep to the end and
print the figures as one JSON line: the time, the stored statuses, and a reference measured in
the same process. ``sink PORT`` is an
SMTP sink that counts what it receives per envelope sender and prints the counts when its
standard input closes. ``smpp N PORT`` sweeps through the SMPP adapter to ``smsc``, the loopback
SMSC, which prints its counters when its standard input closes.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable
from typing import Any

# The envelope sender of the reference blast; the sweep sends from ``BRIEF_SENDER``.
BLAST_SENDER = "blast@bench.invalid"
BRIEF_SENDER = "brief@bench.invalid"
# The auth token the loopback Twilio peer and the Twilio benchmark share.
TWILIO_TOKEN = "bench-token"


def _campaign(n: int) -> tuple[Any, Any]:
    """A fresh database with a brief in execution and a ready base of ``n`` people."""
    import django

    django.setup()
    import polars as pl

    from brief.accounts.models import Area, User
    from brief.campaigns.models import Brief
    from brief.campaigns.vocabulary import CHANNELS
    from brief.contacts.bulk import ContactWriter
    from brief.contacts.models import ContactBase
    from brief.core.bench import migrate_fresh

    migrate_fresh()
    area = Area.objects.create(code="bench", name="Bench")
    user = User.objects.create_user("bench", area=area)
    user.is_superuser = True
    user.save()
    brief = Brief.objects.create(
        code="BRF-BENCH-0001",
        area=area,
        requester=user,
        name="Bench",
        status="executing",
        channels=["sms", "email"],
    )
    base = ContactBase.objects.create(
        brief=brief, source_name="bench.csv", created_by=user, status="ready"
    )
    i = pl.int_range(0, n, eager=True)

    def same(value: Any) -> pl.Series:
        return pl.repeat(value, n, eager=True)

    frame = pl.DataFrame(
        {
            "row": i + 2,
            "doc_type": same("CC"),
            "doc_number": (i + 10_000_000).cast(pl.String),
            "first_names": same("Ana"),
            "last_names": same("Pérez"),
            "full_name": same("Ana Pérez"),
            "mobile": ("+57300" + (i + 1_000_000).cast(pl.String)),
            "landline": same(""),
            "phones": same("[]"),
            "email": ("p" + i.cast(pl.String) + "@correo.co"),
            "emails": same("[]"),
            "country": same("Colombia"),
            "abroad": same(False),
            "city": same("Bogotá"),
            "department": same("Cundinamarca"),
            "custom": same('{"saldo": "1000"}'),
            **{f"can_{c}": same(True) for c in CHANNELS},
        }
    )
    with ContactWriter(base.pk) as writer:
        for start in range(0, n, 100_000):
            writer.add(frame.slice(start, 100_000))
        writer.finish()
    return brief, user


def _run_sweep(
    brief: Any, user: Any, channel: str, template: Any, account: str
) -> tuple[Any, float, float]:
    """Create the sweep (outbox) and run it to the end in this process; the sweep, the
    seconds spent in :func:`engine.write_outbox` and the seconds in all.

    With eager tasks the sweep already runs inside ``create_sweep`` (on commit), so the outbox
    is timed around ``write_outbox`` itself rather than around ``create_sweep``."""
    from brief.dispatch import actions, engine

    write_outbox, spent = engine.write_outbox, [0.0]

    def timed_write_outbox(sweep):
        start = time.perf_counter()
        try:
            return write_outbox(sweep)
        finally:
            spent[0] += time.perf_counter() - start

    engine.write_outbox = timed_write_outbox
    try:
        t0 = time.perf_counter()
        sweep = actions.create_sweep(
            brief,
            actor=user,
            channel=channel,
            template=template,
            provider_account=account,
            ignore_windows=True,
            exception_reason="benchmark",
        )
        while engine.Runner(sweep).run(budget_seconds=3600)["next"] == "continue":
            pass
        return sweep, spent[0], time.perf_counter() - t0
    finally:
        engine.write_outbox = write_outbox


def _message_ids(sweep: Any) -> list[int]:
    from django.db.models import Max, Min

    from brief.dispatch.models import Message

    span = Message.objects.filter(sweep=sweep).aggregate(first=Min("id"), last=Max("id"))
    return [span["first"] or 0, span["last"] or 0]


def _sms_template(brief: Any, user: Any) -> Any:
    from brief.content.models import Template

    return Template.objects.create(
        brief=brief,
        channel="sms",
        name="b",
        body="Hola {nombres}, su saldo es {saldo}.",
        created_by=user,
    )


def _simulated_account(options: str, *, chunk_size: int) -> Any:
    """The simulated account ``simulado`` (SMS and e-mail, no rate limit) with ``options``."""
    from brief.dispatch.models import ProviderAccount

    return ProviderAccount.objects.create(
        code="simulado",
        name="Simulado",
        channels=["sms", "email"],
        backend="brief.dispatch.providers.simulated.SimulatedProvider",
        chunk_size=chunk_size,
        rate_per_second=1e9,
        options=json.loads(options),
    )


def simulated(n: str, options: str) -> dict[str, Any]:
    """An SMS sweep of ``n`` on the simulated provider with ``options`` (JSON)."""
    size = int(n)
    brief, user = _campaign(size)
    from brief.dispatch import engine

    _simulated_account(options, chunk_size=5000)
    template = _sms_template(brief, user)
    sweep, outbox, seconds = _run_sweep(brief, user, "sms", template, "simulado")
    return {
        "n": size,
        "seconds": seconds,
        "outbox": outbox,
        "counts": engine.counts(sweep),
        "message_ids": _message_ids(sweep),
        "ref": _reference_insert(size),
    }


def _reference_insert(n: int) -> float:
    """Seconds for a raw sqlite3 ``executemany`` of ``n`` outbox-shaped rows."""
    ref_db = sqlite3.connect(os.environ["BENCH_REF_DB"])
    ref_db.execute("PRAGMA journal_mode=WAL")
    ref_db.execute(
        "CREATE TABLE m (id INTEGER PRIMARY KEY, sweep INT, contact INT, person TEXT, "
        "dest TEXT, status TEXT)"
    )
    rows = [(k, 1, k, f"CC:{k}", f"+57300{k}", "queued") for k in range(n)]
    t0 = time.perf_counter()
    ref_db.executemany("INSERT INTO m VALUES (?, ?, ?, ?, ?, ?)", rows)
    ref_db.commit()
    return time.perf_counter() - t0


def smtp(n: str, port: str) -> dict[str, Any]:
    """An e-mail sweep of ``n`` through the SMTP adapter to the sink on ``port``, then the
    reference: a raw aiosmtplib blast (16 connections) of as many messages to the same sink."""
    size = int(n)
    brief, user = _campaign(size)
    from brief.content.models import Template
    from brief.dispatch import engine
    from brief.dispatch.models import ProviderAccount

    ProviderAccount.objects.create(
        code="smtp",
        name="SMTP",
        channels=["email"],
        backend="brief.dispatch.providers.smtp.SMTPProvider",
        chunk_size=1000,
        concurrency=16,
        rate_per_second=1e9,
        options={
            "host": "127.0.0.1",
            "port": int(port),
            "start_tls": False,
            "pool_size": 16,
            "sender": f"Brief <{BRIEF_SENDER}>",
        },
    )
    template = Template.objects.create(
        brief=brief,
        channel="email",
        name="b",
        subject="Aviso para {nombres}",
        html="<p>Hola {nombres}, su saldo es {saldo}.</p>",
        text="Hola {nombres}, su saldo es {saldo}.",
        created_by=user,
    )
    sweep, _, seconds = _run_sweep(brief, user, "email", template, "smtp")
    counts = engine.counts(sweep)
    t0 = time.perf_counter()
    asyncio.run(_blast(size, int(port)))
    return {"n": size, "seconds": seconds, "counts": counts, "ref": time.perf_counter() - t0}


async def _blast(n: int, port: int, connections: int = 16) -> None:
    import aiosmtplib

    payload = (
        f"From: {BLAST_SENDER}\r\nTo: x@correo.co\r\nSubject: Aviso\r\n\r\n"
        "Hola Ana, su saldo es 1000.\r\n"
    ).encode()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for k in range(n):
        queue.put_nowait(k)

    async def worker() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await client.connect()
        while True:
            try:
                k = queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            await client.sendmail(BLAST_SENDER, [f"p{k}@correo.co"], payload)
        await client.quit()

    await asyncio.gather(*(worker() for _ in range(connections)))


class SinkHandler:
    """Accepts every message and counts it per envelope sender."""

    def __init__(self) -> None:
        self.received: dict[str, int] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        sender = envelope.mail_from or ""
        self.received[sender] = self.received.get(sender, 0) + 1
        return "250 OK"


def sink(port: str) -> dict[str, Any]:
    """Serve SMTP on ``port``; print ``ready``; on end of standard input, return the counts."""
    from aiosmtpd.controller import Controller

    handler = SinkHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=int(port))
    controller.start()
    print("ready", flush=True)  # noqa: T201  (the parent waits for this line)
    sys.stdin.read()
    controller.stop()
    return {"received": handler.received}


def smpp(n: str, port: str) -> dict[str, Any]:
    """An SMS sweep of ``n`` through the SMPP adapter (window 50) to the loopback SMSC on
    ``port``, waiting until every receipt is applied; then the reference: a raw ``submit_sm``
    blast of as many PDUs at the same window to the same SMSC (its receipts answered too)."""
    size = int(n)
    brief, user = _campaign(size)
    from brief.content.models import Template
    from brief.dispatch import engine
    from brief.dispatch.models import Message, ProviderAccount
    from brief.dispatch.providers import smpp as adapter

    ProviderAccount.objects.create(
        code="smpp",
        name="SMPP",
        channels=["sms"],
        backend=adapter.BACKEND,
        chunk_size=2000,
        rate_per_second=1e9,
        options={
            "host": "127.0.0.1",
            "port": int(port),
            "system_id": "brief",
            "password": "secreto",
            "source_addr": "ICETEX",
            "window": SMPP_WINDOW,
        },
    )
    template = Template.objects.create(
        brief=brief,
        channel="sms",
        name="b",
        body="Hola {nombres}, su saldo es {saldo}.",
        created_by=user,
    )
    t0 = time.perf_counter()
    sweep, _, seconds = _run_sweep(brief, user, "sms", template, "smpp")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        adapter.hub().flush()
        if Message.objects.filter(sweep=sweep, status="delivered").count() >= size:
            break
        time.sleep(0.1)
    with_receipts = time.perf_counter() - t0
    counts = engine.counts(sweep)
    adapter.shutdown()
    return {
        "n": size,
        "seconds": seconds,
        "with_receipts": with_receipts,
        "counts": counts,
        "ref": asyncio.run(_smpp_blast(size, int(port))),
    }


SMPP_WINDOW = 50


async def _smpp_blast(n: int, port: int) -> float:
    """Seconds until ``n`` raw ``submit_sm`` (window ``SMPP_WINDOW``) are all answered."""
    from brief.dispatch.providers import smpp_pdu as pdu

    body = pdu.encode_sm(
        pdu.ShortMessage(
            destination_addr="573001000000",
            short_message=pdu.encode_text("Hola Ana, su saldo es 1000.").parts[0],
            source_addr="ICETEX",
            source_addr_ton=5,
            registered_delivery=1,
        )
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    t0 = time.perf_counter()
    writer.write(pdu.encode(pdu.BIND_TRANSCEIVER, 1, pdu.encode_bind(pdu.Bind("brief", "secreto"))))
    window = asyncio.Semaphore(SMPP_WINDOW)
    out = pdu.Coalescer(writer)
    answered = receipts = 0
    acked = 0.0

    async def read() -> None:
        nonlocal answered, receipts, acked
        buffer = bytearray()
        while answered < n or receipts < n:
            data = await reader.read(262144)
            if not data:
                raise ConnectionError("the SMSC closed the blast's connection")
            buffer += data
            for command_id, _, seq, _ in pdu.frames(buffer):
                if command_id == pdu.SUBMIT_SM | pdu.RESP:
                    answered += 1
                    window.release()
                    if answered == n:
                        acked = time.perf_counter() - t0
                elif command_id == pdu.DELIVER_SM:
                    receipts += 1
                    out.write(pdu.encode(pdu.DELIVER_SM | pdu.RESP, seq, b"\x00"))
        out.flush()
        await writer.drain()

    task = asyncio.ensure_future(read())
    for k in range(n):
        await window.acquire()
        out.write(pdu.encode(pdu.SUBMIT_SM, k + 2, body))
    await task
    writer.close()
    return acked


def smsc() -> dict[str, Any]:
    """The loopback SMSC: print ``ready PORT``; on end of standard input, return its counters."""
    from brief.dispatch.peers.smsc import SMSC

    server = SMSC(keep=False).start()
    print("ready", server.port, flush=True)  # noqa: T201  (the parent waits for this line)
    sys.stdin.read()
    server.stop()
    return {
        "submits": server.submits,
        "receipts_sent": server.receipts_sent,
        "receipts_answered": server.receipts_answered,
        "binds": len(server.binds),
    }


def _peer_received(base_url: str) -> int:
    """Requests the loopback Twilio peer received so far."""
    import urllib.request

    with urllib.request.urlopen(f"{base_url}/_peer/stats") as answer:
        return int(json.load(answer)["received"])


def twilio(n: str, base_url: str, account_sid: str, concurrency: str) -> dict[str, Any]:
    """An SMS sweep of ``n`` through the Twilio adapter to the loopback Twilio peer, then the
    reference: a raw aiohttp blast of as many POSTs at the same concurrency to the same peer.
    Each side reports how many requests the peer received while it ran."""
    size = int(n)
    brief, user = _campaign(size)
    from brief.dispatch import engine
    from brief.dispatch.models import Message, ProviderAccount

    options = {"base_url": base_url, "account_sid": account_sid, "auth_token": TWILIO_TOKEN}
    options["from"] = "+15017122661"
    backend = "brief.dispatch.providers.twilio.TwilioSMSProvider"
    ProviderAccount.objects.create(
        code="twilio", name="Twilio", channels=["sms"], backend=backend, chunk_size=2000,
        concurrency=int(concurrency), rate_per_second=1e9, options=options,
    )  # fmt: skip
    template = _sms_template(brief, user)
    # A worker imports the URLconf once per process, not per sweep (the adapter reverses its
    # StatusCallback URL): load it here, like the other setup the reference does not time.
    from django.urls import reverse

    reverse("provider_callback", args=["twilio"])
    before = _peer_received(base_url)
    sweep, outbox, seconds = _run_sweep(brief, user, "sms", template, "twilio")
    received = _peer_received(base_url) - before
    sids = Message.objects.filter(sweep=sweep).exclude(provider_message_id="").count()
    counts = engine.counts(sweep)
    t0 = time.perf_counter()
    asyncio.run(_http_blast(size, base_url, account_sid, int(concurrency)))
    ref = time.perf_counter() - t0
    return {
        "n": size,
        "seconds": seconds,
        "outbox": outbox,
        "counts": counts,
        "provider_ids": sids,
        "received": received,
        "ref": ref,
        "ref_received": _peer_received(base_url) - before - received,
    }


async def _http_blast(n: int, base_url: str, account_sid: str, concurrency: int) -> None:
    import aiohttp

    url = f"{base_url}/2010-04-01/Accounts/{account_sid}/Messages.json"
    headers = {"Authorization": aiohttp.encode_basic_auth(account_sid, TWILIO_TOKEN)}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for k in range(n):
        queue.put_nowait(k)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker() -> None:
            while not queue.empty():
                k = queue.get_nowait()
                form = {
                    "To": f"+57300{1_000_000 + k}",
                    "From": "+15017122661",
                    "Body": "Hola Ana, su saldo es 1000.",
                    "StatusCallback": "http://127.0.0.1:8000/hooks/twilio/",
                }
                async with session.post(url, data=form) as response:
                    await response.json()

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def pg_prepare(n: str, options: str) -> dict[str, Any]:
    """Two SMS sweeps of ``n`` on the simulated provider, written but not started (the
    runners benchmark runs them with one and with four runner processes)."""
    size = int(n)
    brief, user = _campaign(size)
    from brief.dispatch import actions

    _simulated_account(options, chunk_size=2000)
    template = _sms_template(brief, user)
    start, actions._enqueue = actions._enqueue, lambda *args, **kwargs: None
    try:
        sweeps = [
            actions.create_sweep(
                brief,
                actor=user,
                channel="sms",
                template=template,
                provider_account="simulado",
                ignore_windows=True,
                ignore_daily_cap=True,
                exception_reason="benchmark",
            )
            for _ in range(2)
        ]
    finally:
        actions._enqueue = start
    return {"sweeps": [s.pk for s in sweeps], "message_ids": [_message_ids(s) for s in sweeps]}


def pg_run(sweep_id: str) -> dict[str, Any]:
    """One runner process: say ``ready``, wait for ``go`` on stdin, run the sweep's chunks
    until none is left (other runners claim beside it, ``SKIP LOCKED``)."""
    import django

    django.setup()
    from brief.dispatch import engine
    from brief.dispatch.models import Sweep

    sweep = Sweep.objects.select_related("provider_account", "template").get(pk=int(sweep_id))
    runner = engine.Runner(sweep)
    print("ready", flush=True)  # noqa: T201
    sys.stdin.readline()
    chunks = 0
    while runner.run(budget_seconds=3600)["next"] == "continue":
        chunks += 1
    return {"chunks": chunks}


def pg_counts(*sweep_ids: str) -> dict[str, Any]:
    """The final counts of each sweep."""
    import django

    django.setup()
    from brief.dispatch import engine
    from brief.dispatch.models import Sweep

    return {i: engine.counts(Sweep.objects.get(pk=int(i))) for i in sweep_ids}


PROGRAMS: dict[str, Callable[..., dict[str, Any]]] = {
    "simulated": simulated,
    "smtp": smtp,
    "twilio": twilio,
    "sink": sink,
    "smpp": smpp,
    "smsc": smsc,
    "pg_prepare": pg_prepare,
    "pg_run": pg_run,
    "pg_counts": pg_counts,
}


def main(argv: list[str]) -> None:
    """``bench_child PROGRAM ARGS…``: run one program and print its figures as JSON."""
    name, *args = argv
    print(json.dumps(PROGRAMS[name](*args)))  # noqa: T201  (the parent reads stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
