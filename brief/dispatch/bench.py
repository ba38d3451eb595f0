"""Benchmarks of the dispatch engine, for ``brief bench``.

Each runs in a child process on a fresh SQLite database so its figures are its own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from brief.core.bench import fresh_database_env, run_child

_SETUP = """
import os, sys, time, json
import django
django.setup()
import polars as pl
from django.core.management import call_command
from brief.accounts.models import Area, User
from brief.campaigns.models import Brief
from brief.contacts.models import ContactBase
from brief.contacts import importer
from brief.content.models import Template
from brief.dispatch.models import ProviderAccount
from brief.dispatch import actions, engine

call_command("migrate", verbosity=0)
N = int(sys.argv[1])
area = Area.objects.create(code="bench", name="Bench")
user = User.objects.create_user("bench", area=area)
user.is_superuser = True
user.save()
brief = Brief.objects.create(code="BRF-BENCH-0001", area=area, requester=user, name="Bench",
                             status="executing", channels=["sms", "email"])
base = ContactBase.objects.create(brief=brief, source_name="bench.csv", created_by=user,
                                  status="ready")
i = pl.int_range(0, N, eager=True)
frame = pl.DataFrame({
    "base_id": pl.repeat(base.pk, N, eager=True, dtype=pl.Int64), "row": i + 2,
    "doc_type": pl.repeat("CC", N, eager=True), "doc_number": (i + 10_000_000).cast(pl.String),
    "first_names": pl.repeat("Ana", N, eager=True), "last_names": pl.repeat("Pérez", N, eager=True),
    "full_name": pl.repeat("Ana Pérez", N, eager=True),
    "mobile": ("+57300" + (i + 1_000_000).cast(pl.String)),
    "landline": pl.repeat("", N, eager=True), "phones": pl.repeat("[]", N, eager=True),
    "email": ("p" + i.cast(pl.String) + "@correo.co"),
    "emails": pl.repeat("[]", N, eager=True), "country": pl.repeat("Colombia", N, eager=True),
    "abroad": pl.repeat(False, N, eager=True), "city": pl.repeat("Bogotá", N, eager=True),
    "department": pl.repeat("Cundinamarca", N, eager=True),
    "custom": pl.repeat('{"saldo": "1000"}', N, eager=True),
    **{f"can_{c}": pl.repeat(True, N, eager=True) for c in importer.CHANNELS},
    "observations": pl.repeat("", N, eager=True),
})
for start in range(0, N, 100_000):
    importer.insert_rows(frame.slice(start, 100_000))
"""

_SIMULATED = (
    _SETUP
    + """
ProviderAccount.objects.create(code="simulado", name="Simulado", channels=["sms", "email"],
    backend="brief.dispatch.providers.simulated.SimulatedProvider", chunk_size=5000,
    rate_per_second=1e9, options={"delay_seconds": 0})
template = Template.objects.create(brief=brief, channel="sms", name="b",
                                   body="Hola {nombres}, su saldo es {saldo}.", created_by=user)
t0 = time.perf_counter()
sweep = actions.create_sweep(brief, actor=user, channel="sms", template=template,
                             provider_account="simulado", ignore_windows=True,
                             exception_reason="benchmark")
outbox = time.perf_counter() - t0
while engine.Runner(sweep).run(budget_seconds=3600)["next"] == "continue":
    pass
total = time.perf_counter() - t0
counts = engine.counts(sweep)
from django.db import connection
import sqlite3
ref_db = sqlite3.connect(os.environ["BENCH_REF_DB"])
ref_db.execute("PRAGMA journal_mode=WAL")
ref_db.execute("CREATE TABLE m (id INTEGER PRIMARY KEY, sweep INT, contact INT, person TEXT, "
               "dest TEXT, status TEXT)")
rows = [(k, 1, k, f"CC:{k}", f"+57300{k}", "queued") for k in range(N)]
t0 = time.perf_counter()
ref_db.executemany("INSERT INTO m VALUES (?, ?, ?, ?, ?, ?)", rows)
ref_db.commit()
ref = time.perf_counter() - t0
print(json.dumps({"n": N, "seconds": total, "outbox": outbox, "counts": counts, "ref": ref}))
"""
)


_SMTP = (
    _SETUP
    + """
import asyncio
import aiosmtplib
port = int(os.environ["BENCH_SMTP_PORT"])
ProviderAccount.objects.create(code="smtp", name="SMTP", channels=["email"],
    backend="brief.dispatch.providers.smtp.SMTPProvider", chunk_size=1000, concurrency=16,
    rate_per_second=1e9, options={"host": "127.0.0.1", "port": port, "start_tls": False,
                                  "pool_size": 16})
template = Template.objects.create(brief=brief, channel="email", name="b",
    subject="Aviso para {nombres}", html="<p>Hola {nombres}, su saldo es {saldo}.</p>",
    text="Hola {nombres}, su saldo es {saldo}.", created_by=user)
t0 = time.perf_counter()
sweep = actions.create_sweep(brief, actor=user, channel="email", template=template,
                             provider_account="smtp", ignore_windows=True,
                             exception_reason="benchmark")
while engine.Runner(sweep).run(budget_seconds=3600)["next"] == "continue":
    pass
ours = time.perf_counter() - t0
counts = engine.counts(sweep)

payload = (b"From: a@b.co\\r\\nTo: x@correo.co\\r\\nSubject: Aviso\\r\\n\\r\\n"
           b"Hola Ana, su saldo es 1000.\\r\\n")

async def blast():
    queue = asyncio.Queue()
    for k in range(N):
        queue.put_nowait(k)
    async def worker():
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await client.connect()
        while True:
            try:
                k = queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            await client.sendmail("a@b.co", [f"p{k}@correo.co"], payload)
        await client.quit()
    await asyncio.gather(*(worker() for _ in range(16)))

t0 = time.perf_counter()
asyncio.run(blast())
ref = time.perf_counter() - t0
print(json.dumps({"n": N, "seconds": ours, "counts": counts, "ref": ref}))
"""
)

_SINK = """
import asyncio, sys, time
from aiosmtpd.controller import Controller
class Sink:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        Sink.count += 1
        return "250 OK"
controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"""


def bench_smtp_email_20k(workdir: Path, n: int = 20_000) -> dict[str, Any]:
    """E-mail through the real SMTP adapter (with all bookkeeping) to a local aiosmtpd sink,
    against a raw aiosmtplib blast (16 connections) of as many messages to the same sink."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = subprocess.Popen(
        [sys.executable, "-c", _SINK, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout is not None  # stdout=subprocess.PIPE
    try:
        assert sink.stdout.readline().strip() == "ready"
        figures = _child(_SMTP, Path(workdir), str(n), extra_env={"BENCH_SMTP_PORT": str(port)})
    finally:
        sink.communicate("", timeout=30)
    if figures["counts"]["sent"] != n:
        raise AssertionError(f"not every e-mail was accepted: {figures['counts']}")
    return {
        "name": "smtp_email_20k",
        "value": n / figures["seconds"],
        "unit": "msg/s",
        "reference": "raw aiosmtplib blast (16 connections) to the same sink",
        "reference_value": n / figures["ref"],
        "seconds": round(figures["seconds"], 2),
    }


def _child(script: str, workdir: Path, *args: str, extra_env: dict | None = None) -> dict:
    for leftover in workdir.glob("bench-ref.sqlite3*"):
        leftover.unlink()
    env = {
        **fresh_database_env(workdir, "bench-dispatch.sqlite3"),
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "BENCH_REF_DB": str(workdir / "bench-ref.sqlite3"),
        **(extra_env or {}),
    }
    return run_child(script, *args, env=env)


def bench_sweep_simulated_1m(workdir: Path, n: int = 1_000_000) -> dict[str, Any]:
    """A 1M-recipient SMS sweep on the simulated provider: outbox, send, statuses recorded."""
    figures = _child(_SIMULATED, Path(workdir), str(n))
    counts = figures["counts"]
    if counts["queued"] or counts["deferred"] or counts["sent"]:
        raise AssertionError(f"sweep did not finish its bookkeeping: {counts}")
    return {
        "name": "sweep_simulated_1m",
        "value": n / figures["seconds"],
        "unit": "msg/s",
        "reference": "raw sqlite3 executemany of the same number of outbox rows",
        "reference_value": n / figures["ref"],
        "seconds": round(figures["seconds"], 2),
        "outbox_seconds": round(figures["outbox"], 2),
    }


BENCHMARKS = [bench_sweep_simulated_1m, bench_smtp_email_20k]
