"""The benchmark harness behind ``brief bench``.

Each app may have a ``bench`` module exposing ``BENCHMARKS``: a list of functions taking a
work directory (``pathlib.Path``) and an optional size ``n``, and returning a dict with ``name``,
``value``, ``unit``, ``reference``, ``reference_value`` and ``n`` — a figure and the reference
measured in the same run. A benchmark checks the work it claims (rows stored, statuses reached,
messages received) with :func:`expect_equal` and fails rather than report a figure for work it
did not do. Programs that must run in a fresh interpreter are real modules (``bench_child``)
run with :func:`run_child`. The harness adds ``ratio`` (value / reference_value) and prints one
JSON object per line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from django.apps import apps

from . import calendar

Benchmark = Callable[[Path], dict[str, Any]]


def discover() -> list[Benchmark]:
    """Every ``BENCHMARKS`` entry of every installed Brief app, core first."""
    found: list[Benchmark] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("brief."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.bench")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.bench":
                raise
            continue
        found.extend(getattr(module, "BENCHMARKS", []))
    return found


ROOT = Path(__file__).resolve().parents[2]


def fresh_database_env(workdir: Path, name: str) -> dict[str, str]:
    """Environment for a child on a new SQLite database ``workdir/name`` (old copies removed)."""
    for leftover in workdir.glob(f"{name}*"):
        leftover.unlink()
    return {
        "DJANGO_SETTINGS_MODULE": "brief.settings",
        "DATABASE_URL": f"sqlite:///{workdir / name}",
        "BRIEF_VAR_DIR": str(workdir / "var"),
    }


def _migrations_key() -> str:
    """A digest of every migration file of the installed apps and Django's version."""
    import hashlib

    import django

    digest = hashlib.sha256(django.get_version().encode())
    for config in sorted(apps.get_app_configs(), key=lambda c: c.label):
        folder = Path(config.path) / "migrations"
        for path in sorted(folder.glob("*.py")) if folder.is_dir() else []:
            digest.update(f"{config.label}/{path.name}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def migrate_fresh() -> None:
    """Migrate the new, empty database of this process.

    On SQLite the migrated schema is copied from a cache in the temporary folder keyed by the
    migration files (the first child that finds none migrates and stores it), so a benchmark
    child or test peer starts in milliseconds instead of re-running every migration.
    """
    import sqlite3

    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "sqlite":
        call_command("migrate", verbosity=0)
        return
    cache = Path(tempfile.gettempdir()) / f"brief-migrated-{_migrations_key()}.sqlite3"
    target = str(connection.settings_dict["NAME"])
    if cache.exists():
        connection.close()
        with sqlite3.connect(cache) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        return
    call_command("migrate", verbosity=0)
    connection.close()
    partial = cache.with_suffix(f".{os.getpid()}.part")
    with sqlite3.connect(target) as source, sqlite3.connect(partial) as copy:
        source.backup(copy)
    os.replace(partial, cache)


PG_BIN = "/usr/lib/postgresql/15/bin"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_port(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port}")


class PostgresCluster:
    """A throwaway PostgreSQL 15 cluster on a free loopback port, without durability (fsync
    off), that can be restarted on the same port and data (fault tests). ``url`` is its
    ``DATABASE_URL``; :func:`postgres_cluster` is the usual way to get one."""

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="brief-pg-")
        self.port = free_port()
        self.data = os.path.join(self.folder, "data")
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root
            shutil.chown(self.folder, "postgres", "postgres")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        self.proc: subprocess.Popen | None = None
        self.url = f"postgres://brief@127.0.0.1:{self.port}/brief"

    def init(self) -> PostgresCluster:
        subprocess.run(
            [*self.as_postgres, f"{PG_BIN}/initdb", "-D", self.data, "-A", "trust", "-U", "brief",
             "--no-sync"],
            check=True,
            capture_output=True,
        )  # fmt: skip
        self.start()
        for _ in range(50):
            done = subprocess.run(
                [*self.as_postgres, "/usr/bin/createdb", "-h", "127.0.0.1", "-p", str(self.port),
                 "-U", "brief", "brief"],
                capture_output=True,
            )  # fmt: skip
            if done.returncode == 0:
                break
            time.sleep(0.1)
        return self

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [*self.as_postgres, f"{PG_BIN}/postgres", "-D", self.data, "-p", str(self.port),
             "-k", self.folder, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
             "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_port(self.port)

    def stop(self) -> None:
        """Fast shutdown: open sessions are cut, as when a server restarts under its clients."""
        subprocess.run(
            [*self.as_postgres, f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"],
            capture_output=True,
            check=False,
        )
        if self.proc is not None:
            self.proc.wait(timeout=30)

    def restart(self, *, down_seconds: float = 0.0) -> None:
        self.stop()
        time.sleep(down_seconds)  # the outage a restart makes (clients meet refused connections)
        self.start()

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """A throwaway PostgreSQL 15 cluster on a free loopback port, without durability (fsync
    off); yields its ``DATABASE_URL``. Benchmarks and tests (``tests/services.py``) share it."""
    cluster = PostgresCluster()
    try:
        yield cluster.init().url
    finally:
        cluster.close()


class BenchmarkCheckFailed(AssertionError):
    """A benchmark did not do the work it reports a figure for."""


def expect_equal(name: str, expected: dict[str, Any], actual: dict[str, Any]) -> None:
    """Fail the benchmark ``name`` unless ``actual`` is exactly ``expected``."""
    if actual != expected:
        raise BenchmarkCheckFailed(f"{name}: expected {expected}, got {actual}")


def run_child(module: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``python -m module args`` in a fresh interpreter (its figures and memory are its
    own); the JSON object on its last line of output is the result."""
    proc = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed: {proc.stderr.strip()[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def finish(result: dict[str, Any]) -> dict[str, Any]:
    """Add the ratio (value / reference), rounded for reading."""
    ref = result.get("reference_value") or 0
    result["ratio"] = round(result["value"] / ref, 2) if ref else None
    result["value"] = round(result["value"], 4)
    result["reference_value"] = round(ref, 4)
    return result


def bench_business_days(workdir: Path, n: int = 20_000) -> dict[str, Any]:
    """Due dates for `n` clocks with ``add_business_days`` against numpy's busday_offset."""
    start = dt.date(2026, 1, 1)
    days = [start + dt.timedelta(days=i % 730) for i in range(n)]
    offsets = [1 + i % 8 for i in range(n)]
    t0 = time.perf_counter()
    ours = [calendar.add_business_days(d, k) for d, k in zip(days, offsets, strict=True)]
    value = time.perf_counter() - t0

    hol = sorted(
        d
        for y in (2026, 2027, 2028)
        for d in calendar._holidays_for(y)  # same holiday list
    )
    t0 = time.perf_counter()
    ref = np.busday_offset(
        np.array(days, dtype="datetime64[D]"),
        np.array(offsets),
        roll="forward",
        holidays=np.array(hol, dtype="datetime64[D]"),
    )
    reference_value = time.perf_counter() - t0
    # Cross-check on business start days, where both definitions agree.
    disagree = {
        f"{d}+{k}": (mine, theirs)
        for d, k, mine, theirs in zip(days, offsets, ours, ref.tolist(), strict=True)
        if calendar.is_business_day(d) and mine != theirs
    }
    expect_equal(
        "business_days",
        {"due dates": n, "disagreements": {}},
        {"due dates": len(ours), "disagreements": disagree},
    )
    return {
        "name": "business_days_20k",
        "value": value,
        "unit": "s",
        "reference": "numpy.busday_offset with the same holidays",
        "reference_value": reference_value,
        "n": n,
    }


BENCHMARKS: list[Benchmark] = [bench_business_days]


def without_indexes(cursor, table: str, fill: Callable[[], None]) -> None:
    """Run ``fill`` on the SQLite ``table`` with its droppable indexes removed, then build
    them again: for a benchmark's millions of rows one sort per index is much faster than
    as many random B-tree inserts."""
    cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
        "AND sql IS NOT NULL",
        [table],
    )
    indexes = cursor.fetchall()
    for name, _sql in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    fill()
    for _name, sql in indexes:
        cursor.execute(sql)
