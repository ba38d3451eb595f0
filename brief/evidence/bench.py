"""Benchmark of evidence, for ``brief bench``.

``certificate_message``: issuing one message's sending certificate (statement, reportlab PDF,
PAdES signature with pyHanko, stored file and row, audit event), median of ``n`` rounds in a
child process (:mod:`brief.evidence.bench_child`) on a fresh SQLite database, against reportlab
rendering the same one-page PDF unsigned. Fails unless every certificate verifies (signature
intact, by the configured key, whole file, stored SHA-256).
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path
from typing import Any

from brief.core.bench import expect_equal, fresh_database_env, run_child

CHILD = "brief.evidence.bench_child"
TARGET_S = 0.5


def bench_certificate_message(workdir: Path, n: int = 20) -> dict[str, Any]:
    """Median seconds to issue and sign one message's certificate."""
    env = fresh_database_env(Path(workdir), "bench-certificate.sqlite3")
    figures = run_child(CHILD, "certificate", str(n), env=env)
    expect_equal(
        "certificate_message",
        {"verified": [True] * n, "status": "read"},
        {"verified": figures["valid"], "status": figures["status"]},
    )
    value = statistics.median(figures["times"])
    return {
        "name": "certificate_message",
        "value": value,
        "unit": "s",
        "reference": "reportlab rendering the same one-page PDF unsigned (median)",
        "reference_value": statistics.median(figures["ref_times"]),
        "n": n,
        "max_s": round(max(figures["times"]), 3),
        "target_s": TARGET_S,
        "within_target": value <= TARGET_S,
        "load": round(os.getloadavg()[0], 1),
    }


BENCHMARKS = [bench_certificate_message]
