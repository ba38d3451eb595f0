"""Benchmarks of the contact center, for ``brief bench``.

``history_lookup``: the beneficiary history on SQLite with 10 million message rows and 1 million
interactions (``--size`` sets the message rows; interactions and people are a tenth of it), p95
of :func:`brief.calls.history.beneficiary_history` for random people against the same look-ups
done index-only in raw sqlite3. Fails unless every look-up returned exactly the rows generated
for that person.

``queue_claims_pg``: 20 advisors (threads, one connection each) claiming from one call queue on
PostgreSQL with ``claim_next`` and settling each call, against raw ``SELECT … FOR UPDATE SKIP
LOCKED`` claims through psycopg at the same concurrency (``--size`` sets the contacts). Fails
unless every contact was claimed exactly once, by one advisor, in both runs.

Both run in a child process (:mod:`brief.calls.bench_child`) on a fresh database.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from brief.core.bench import (
    PG_BIN,
    expect_equal,
    fresh_database_env,
    postgres_cluster,
    run_child,
)

from .bench_child import expected_rows

CHILD = "brief.calls.bench_child"
HISTORY_TARGET_MS = 50
CLAIMS_TARGET = 200  # claims per second


def _p(times: list[float], q: int) -> float:
    return float(np.percentile(np.array(times), q)) * 1000


def bench_history_lookup(workdir: Path, n: int = 10_000_000, lookups: int = 300) -> dict[str, Any]:
    """p95 of the beneficiary history by document, for ``lookups`` random people among n/10."""
    env = fresh_database_env(Path(workdir), "bench-history.sqlite3")
    figures = run_child(CHILD, "history", str(n), str(lookups), env=env)
    people = figures["people"]
    returned = figures["returned"]
    expected = {p: list(expected_rows(int(p), n, people)) for p in returned}
    expect_equal("history_lookup", expected, returned)
    p95 = _p(figures["times"], 95)
    return {
        "name": "history_lookup",
        "value": p95,
        "unit": "ms",
        "reference": "the same look-ups index-only in raw sqlite3 (document, messages, "
        "interactions), p95",
        "reference_value": _p(figures["ref_times"], 95),
        "n": n,
        "interactions": n // 10,
        "people": people,
        "lookups": len(figures["times"]),
        "rows_per_lookup": round(sum(sum(v) for v in returned.values()) / max(len(returned), 1), 2),
        "p50_ms": round(_p(figures["times"], 50), 2),
        "target_ms": HISTORY_TARGET_MS,
        "within_target": p95 <= HISTORY_TARGET_MS,
        "fill_seconds": round(figures["fill_seconds"], 1),
        "load": round(os.getloadavg()[0], 1),
    }


def bench_queue_claims_pg(workdir: Path, n: int = 4_000, advisors: int = 20) -> dict[str, Any]:
    """Claims per second of ``advisors`` concurrent advisors emptying a queue of ``n``."""
    if not Path(PG_BIN, "initdb").exists():
        raise RuntimeError(f"queue_claims_pg needs PostgreSQL 15 ({PG_BIN})")
    with postgres_cluster() as url:
        env = {
            "DJANGO_SETTINGS_MODULE": "brief.settings",
            "DATABASE_URL": url,
            "BRIEF_VAR_DIR": str(Path(workdir) / "var"),
        }
        figures = run_child(CHILD, "claims", str(n), str(advisors), env=env)
    claimed = [c for got in figures["claims"] for c in got]
    ref_claimed = [c for got in figures["ref_claims"] for c in got]
    expect_equal(
        "queue_claims_pg",
        {
            "vendor": "postgresql",
            "claims": n,
            "distinct": n,
            "settled": n,
            "raw": n,
            "raw distinct": n,
        },
        {
            "vendor": figures["vendor"],
            "claims": len(claimed),
            "distinct": len(set(claimed)),
            "settled": figures["settled"],
            "raw": len(ref_claimed),
            "raw distinct": len(set(ref_claimed)),
        },
    )
    rate = n / figures["seconds"]
    return {
        "name": "queue_claims_pg",
        "value": rate,
        "unit": "claims/s",
        "reference": "raw SELECT … FOR UPDATE SKIP LOCKED claims with psycopg "
        f"({advisors} threads)",
        "reference_value": n / figures["ref_seconds"],
        "n": n,
        "advisors": advisors,
        "advisors_who_claimed": sum(1 for got in figures["claims"] if got),
        "target": CLAIMS_TARGET,
        "within_target": rate >= CLAIMS_TARGET,
        "seconds": round(figures["seconds"], 2),
        "load": round(os.getloadavg()[0], 1),
    }


BENCHMARKS = [bench_history_lookup, bench_queue_claims_pg]
