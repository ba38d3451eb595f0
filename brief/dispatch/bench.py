"""Benchmarks of the dispatch engine, for ``brief bench``.

Each runs its sweep in a child process (:mod:`brief.dispatch.bench_child`) on a fresh SQLite
database so its figures are its own, and fails unless the stored statuses are the ones the work
must have produced: the simulator's seeded outcome for every message, or as many e-mails
received by the SMTP sink as the sweep marked sent.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from brief.core.bench import ROOT, expect_equal, fresh_database_env, postgres_cluster, run_child
from brief.dispatch import bench_child
from brief.dispatch.choices import COUNT_KEYS
from brief.dispatch.providers.simulated import SimulatedProvider

CHILD = "brief.dispatch.bench_child"
# The simulated account of the sweep benchmark; its seed and rates fix every outcome.
SIMULATED_OPTIONS = {"seed": "bench", "delay_seconds": 0}


def _child(workdir: Path, *args: str, extra_env: dict | None = None) -> dict:
    for leftover in workdir.glob("bench-ref.sqlite3*"):
        leftover.unlink()
    env = {
        **fresh_database_env(workdir, "bench-dispatch.sqlite3"),
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "BENCH_REF_DB": str(workdir / "bench-ref.sqlite3"),
        **(extra_env or {}),
    }
    return run_child(CHILD, *args, env=env)


def expected_simulated_counts(first_id: int, last_id: int, options: dict) -> dict[str, int]:
    """The final status of each SMS ``first_id..last_id`` as the seeded simulator decides it:
    refused at send, then its reported outcome (the last status it goes through)."""
    simulator = SimulatedProvider(SimpleNamespace(options=options, code="simulado"))
    expected = dict.fromkeys(COUNT_KEYS, 0)
    for message_id in range(first_id, last_id + 1):
        if simulator.lookup([message_id])[message_id] == "failed":
            expected["failed"] += 1
        else:
            expected[simulator.outcome(message_id, "sms")[-1]] += 1
    return expected


def bench_sweep_simulated_1m(workdir: Path, n: int = 1_000_000) -> dict[str, Any]:
    """An SMS sweep of `n` recipients on the simulated provider: outbox, send, statuses."""
    figures = _child(Path(workdir), "simulated", str(n), json.dumps(SIMULATED_OPTIONS))
    first, last = figures["message_ids"]
    expect_equal("sweep_simulated", {"messages": n}, {"messages": last - first + 1})
    expect_equal(
        "sweep_simulated",
        expected_simulated_counts(first, last, SIMULATED_OPTIONS),
        figures["counts"],
    )
    counts = figures["counts"]
    return {
        "name": "sweep_simulated_1m",
        "value": n / figures["seconds"],
        "unit": "msg/s",
        "reference": "raw sqlite3 executemany of the same number of outbox rows",
        "reference_value": n / figures["ref"],
        "n": n,
        "delivered": counts["delivered"],
        "failed": counts["failed"],
        "read": counts["read"],
        "seconds": round(figures["seconds"], 2),
        "outbox_seconds": round(figures["outbox"], 2),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server(module_args: list[str], what: str) -> subprocess.Popen:
    """``python -m module_args…``: a loopback server that prints ``ready`` once listening and
    stops when its standard input closes (the caller ``communicate``s with it)."""
    server = subprocess.Popen(
        [sys.executable, "-m", *module_args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None  # stdout=subprocess.PIPE
    if server.stdout.readline().strip() != "ready":
        server.kill()
        raise RuntimeError(f"{what} did not start")
    return server


def bench_smtp_email_20k(workdir: Path, n: int = 20_000) -> dict[str, Any]:
    """E-mail through the real SMTP adapter (with all bookkeeping) to a local aiosmtpd sink,
    against a raw aiosmtplib blast (16 connections) of as many messages to the same sink.

    The sink counts what it received from each sender: the sweep's ``sent`` must be what the
    sink got from the adapter, and both must be ``n`` (the blast likewise).
    """
    port = _free_port()
    sink = _start_server([CHILD, "sink", str(port)], "the SMTP sink")
    try:
        figures = _child(Path(workdir), "smtp", str(n), str(port))
    finally:
        out, _ = sink.communicate("", timeout=60)
    received = sink_counts(out)
    expect_equal(
        "smtp_email",
        {"sent": n, "received from the adapter": n, "received from the blast": n},
        {
            "sent": figures["counts"]["sent"],
            "received from the adapter": received.get(bench_child.BRIEF_SENDER, 0),
            "received from the blast": received.get(bench_child.BLAST_SENDER, 0),
        },
    )
    return {
        "name": "smtp_email_20k",
        "value": n / figures["seconds"],
        "unit": "msg/s",
        "reference": "raw aiosmtplib blast (16 connections) to the same sink",
        "reference_value": n / figures["ref"],
        "n": n,
        "received": received.get(bench_child.BRIEF_SENDER, 0),
        "seconds": round(figures["seconds"], 2),
    }


def bench_twilio_sms_20k(workdir: Path, n: int = 20_000, concurrency: int = 64) -> dict[str, Any]:
    """SMS through the Twilio adapter (with all bookkeeping) to the loopback Twilio-compatible
    peer (:mod:`brief.dispatch.peers.twilio`, its own process), against a raw aiohttp blast at
    the same concurrency to the same peer.

    The peer counts the requests it received: the sweep's ``sent`` and the provider ids stored
    must be what the peer got from the adapter, and both must be ``n`` (the blast likewise).
    The sweep's time runs from writing its outbox (included, also reported on its own) to its
    last recorded result; the URLconf is loaded before, as in a worker that already ran one.
    """
    port = _free_port()
    sid = "AC" + "b" * 32
    peer_args = [str(port), sid, bench_child.TWILIO_TOKEN]
    peer = _start_server(["brief.dispatch.peers.twilio", *peer_args], "the Twilio peer")
    try:
        figures = _child(
            Path(workdir), "twilio", str(n), f"http://127.0.0.1:{port}", sid, str(concurrency)
        )
    finally:
        peer.communicate("", timeout=60)
    expect_equal(
        "twilio_sms",
        {
            "sent": n,
            "provider ids": n,
            "received from the adapter": n,
            "received from the blast": n,
        },
        {
            "sent": figures["counts"]["sent"],
            "provider ids": figures["provider_ids"],
            "received from the adapter": figures["received"],
            "received from the blast": figures["ref_received"],
        },
    )
    return {
        "name": "twilio_sms_20k",
        "value": n / figures["seconds"],
        "unit": "req/s",
        "reference": f"raw aiohttp POSTs (concurrency {concurrency}) to the same peer",
        "reference_value": n / figures["ref"],
        "n": n,
        "received": figures["received"],
        "seconds": round(figures["seconds"], 2),
        "outbox_seconds": round(figures["outbox"], 2),
    }


def sink_counts(output: str) -> dict[str, int]:
    """Messages the sink received per envelope sender (its last line of output)."""
    return json.loads(output.strip().splitlines()[-1])["received"]


def bench_smpp_submit(workdir: Path, n: int = 20_000) -> dict[str, Any]:
    """An SMS sweep through the SMPP adapter (window 50, all bookkeeping) to the loopback SMSC
    in its own process, against a raw ``submit_sm`` blast at the same window to the same SMSC.

    Fails unless every message ended delivered by its matched receipt, and the SMSC saw every
    submit and every receipt answered, from the sweep and from the blast.
    """
    smsc = subprocess.Popen(
        [sys.executable, "-m", CHILD, "smsc"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert smsc.stdout is not None  # stdout=subprocess.PIPE
    try:
        ready, port = smsc.stdout.readline().split()
        if ready != "ready":
            raise RuntimeError("the SMSC did not start")
        figures = _child(Path(workdir), "smpp", str(n), port)
    finally:
        out, _ = smsc.communicate("", timeout=60)
    served = json.loads(out.strip().splitlines()[-1])
    expect_equal(
        "smpp_submit",
        {"delivered": n, "submits seen": 2 * n, "receipts answered": 2 * n},
        {
            "delivered": figures["counts"]["delivered"],
            "submits seen": served["submits"],
            "receipts answered": served["receipts_answered"],
        },
    )
    return {
        "name": "smpp_submit",
        "value": n / figures["seconds"],
        "unit": "submit_sm/s",
        "reference": "raw submit_sm blast (window 50) to the same loopback SMSC",
        "reference_value": n / figures["ref"],
        "n": n,
        "receipts_matched": figures["counts"]["delivered"],
        "seconds": round(figures["seconds"], 2),
        "seconds_until_all_receipts": round(figures["with_receipts"], 2),
    }


from .bench_whatsapp import bench_whatsapp_callbacks  # noqa: E402


def _run_runners(env: dict[str, str], sweep_id: int, runners: int) -> float:
    """Seconds for ``runners`` processes to run sweep ``sweep_id`` to its end, counted from the
    moment all of them are ready (their start-up is not the engine's work)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", CHILD, "pg_run", str(sweep_id)],
            cwd=ROOT,
            env={**os.environ, **env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(runners)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "ready":
                raise RuntimeError("a runner did not start")
        t0 = time.perf_counter()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            proc.communicate(timeout=3600)
            if proc.returncode != 0:
                raise RuntimeError(f"a runner failed ({proc.returncode})")
        return time.perf_counter() - t0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()


def bench_sweep_pg_runners(workdir: Path, n: int = 200_000, runners: int = 4) -> dict[str, Any]:
    """Two SMS sweeps of ``n`` on the simulated provider on a throwaway PostgreSQL 15: one run
    by ``runners`` processes at once (the value), the other by a single one (the reference);
    every message of both must end as the seeded simulator decides."""
    with postgres_cluster() as url:
        env = {
            "DJANGO_SETTINGS_MODULE": "brief.settings",
            "DATABASE_URL": url,
            "BRIEF_VAR_DIR": str(Path(workdir) / "var"),
            "CELERY_TASK_ALWAYS_EAGER": "true",
        }
        prepared = run_child(CHILD, "pg_prepare", str(n), json.dumps(SIMULATED_OPTIONS), env=env)
        (one, many), spans = prepared["sweeps"], prepared["message_ids"]
        single = _run_runners(env, one, 1)
        parallel = _run_runners(env, many, runners)
        counts = run_child(CHILD, "pg_counts", str(one), str(many), env=env)
    for sweep_id, (first, last) in zip((one, many), spans, strict=True):
        expect_equal("sweep_pg_runners", {"messages": n}, {"messages": last - first + 1})
        expect_equal(
            "sweep_pg_runners",
            expected_simulated_counts(first, last, SIMULATED_OPTIONS),
            counts[str(sweep_id)],
        )
    return {
        "name": "sweep_pg_runners",
        "value": n / parallel,
        "unit": "msg/s",
        "reference": "the same sweep run by one runner process (same run, same database)",
        "reference_value": n / single,
        "n": n,
        "runners": runners,
        "seconds": round(parallel, 2),
        "single_seconds": round(single, 2),
    }


BENCHMARKS = [
    bench_sweep_simulated_1m,
    bench_smtp_email_20k,
    bench_smpp_submit,
    bench_twilio_sms_20k,
    bench_whatsapp_callbacks,
    bench_sweep_pg_runners,
]
