"""``whatsapp_callbacks``: signed WhatsApp status webhooks into ``/hooks/<code>/`` over HTTP.

A fresh SQLite database holds a sweep of sent WhatsApp messages; gunicorn serves Brief (the
real settings and middleware); an aiohttp client posts one signed ``statuses[]`` callback per
request — every message's ``delivered`` plus 10 % duplicates, shuffled — and then the same
bodies to a bare Django view that only checks the signature (the reference, same server, same
run; both skip the middleware people's pages need, ``BRIEF_MACHINE_PATHS``). The benchmark
asserts every callback answered 200 and every message ended delivered.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from brief.core.bench import ROOT, expect_equal, fresh_database_env, run_child

CHILD = "brief.dispatch.bench_whatsapp_child"

SECRET = "bench-app-secret"
CODE = "wa-bench"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _bodies(n: int, duplicates: float) -> list[tuple[bytes, str]]:
    from brief.dispatch.peers.graph import signed, status_item, status_payload

    items = [status_item(f"wamid.bench{i:08d}", "delivered", f"57300{1_000_000 + i}") for i in
             range(n)]  # fmt: skip
    rng = random.Random(10)
    items += rng.sample(items, int(n * duplicates))
    rng.shuffle(items)
    return [signed(status_payload([item]), SECRET) for item in items]


async def _blast(url: str, bodies: list[tuple[bytes, str]], concurrency: int) -> dict[int, int]:
    import aiohttp

    codes: dict[int, int] = {}
    queue: asyncio.Queue = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            while True:
                try:
                    body, signature = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    codes[response.status] = codes.get(response.status, 0) + 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return codes


def _timed(url: str, bodies, concurrency: int) -> tuple[float, dict[int, int]]:
    t0 = time.perf_counter()
    codes = asyncio.run(_blast(url, bodies, concurrency))
    return time.perf_counter() - t0, codes


def _wait_up(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10):
                return
        except urllib.error.HTTPError:
            return  # the server answers
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def bench_whatsapp_callbacks(
    workdir: Path, n: int = 10_000, *, workers: int = 2, concurrency: int = 32
) -> dict[str, Any]:
    """Signed WhatsApp status callbacks per second into ``/hooks/<code>/`` (gunicorn,
    ``workers`` processes, 10 % duplicates), against a bare signature-checking view."""
    workdir = Path(workdir)
    env = {
        **fresh_database_env(workdir, "bench-whatsapp.sqlite3"),
        "BENCH_APP_SECRET": SECRET,
        "DEBUG": "false",
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
        "SECURE_SSL_REDIRECT": "false",
    }
    (workdir / "var" / "static").mkdir(parents=True, exist_ok=True)
    run_child(CHILD, "setup", str(n), CODE, SECRET, env=env)
    bodies = _bodies(n, 0.10)
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "brief.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "brief.dispatch.peers.bench_settings"},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_up(f"{base}/bench/verify-only/{CODE}/")
        _timed(f"{base}/bench/verify-only/{CODE}/", bodies[:200], concurrency)  # warm-up
        ref_seconds, ref_codes = _timed(f"{base}/bench/verify-only/{CODE}/", bodies, concurrency)
        seconds, codes = _timed(f"{base}/hooks/{CODE}/", bodies, concurrency)
    finally:
        server.terminate()
        server.wait(timeout=30)
    counted = run_child(CHILD, "count", CODE, env=env)
    expect_equal(
        "whatsapp_callbacks",
        {"ours": {200: len(bodies)}, "reference": {200: len(bodies)}, "delivered": n,
         "stored": n},
        {"ours": codes, "reference": ref_codes, **counted},
    )  # fmt: skip
    return {
        "name": "whatsapp_callbacks",
        "value": len(bodies) / seconds,
        "unit": "callbacks/s",
        "reference": (
            "bare Django view that only verifies the signature (same server, same "
            "middleware, same run)"
        ),
        "reference_value": len(bodies) / ref_seconds,
        "n": n,
        "callbacks": len(bodies),
        "duplicates": len(bodies) - n,
        "workers": workers,
        "concurrency": concurrency,
    }
