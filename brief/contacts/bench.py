"""Benchmarks of the contact-base cleaning, for ``brief bench``.

The programs run in a child process (:mod:`brief.contacts.bench_child`) so that peak memory
(ru_maxrss) is their own, and the reference (a raw polars read of the same file) is measured in
that same child, same run. Each benchmark checks the rows it claims to have handled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from brief.contacts import synth
from brief.core.bench import expect_equal, fresh_database_env, run_child

ROWS_1M = 1_000_000
SEED = 42
CHILD = "brief.contacts.bench_child"


def base_file(workdir: Path, rows: int = ROWS_1M, seed: int = SEED) -> Path:
    """The generated base for `rows` (reused when already in workdir)."""
    path = Path(workdir) / f"base_{rows}_{seed}.csv"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        synth.write_csv(tmp, rows, seed)
        tmp.replace(path)
    return path


# Usable rows per file, as `check_file` counted them in this run (the import must store these).
_usable_rows: dict[Path, int] = {}


def measure_check(path: Path) -> dict[str, Any]:
    """Run `check_file` and the polars reference in a fresh interpreter; return the figures."""
    figures = run_child(CHILD, "check", str(path))
    _usable_rows[path] = figures["rows_usable"]
    return figures


def bench_base_check_1m(workdir: Path, n: int = ROWS_1M) -> dict[str, Any]:
    """`brief base check` (read + rules 1-8 + summary) on a generated base of `n` rows."""
    figures = measure_check(base_file(workdir, n))
    expect_equal(
        "base_check",
        {"rows_total": n, "rows_read": n, "usable + rejected": n},
        {
            "rows_total": figures["rows_total"],
            "rows_read": figures["rows_read"],
            "usable + rejected": figures["rows_usable"] + figures["rows_rejected"],
        },
    )
    return {
        "name": "base_check_1m",
        "value": figures["check"],
        "unit": "s",
        "reference": "polars read of the same file",
        "reference_value": figures["read"],
        "n": n,
        "rows_usable": figures["rows_usable"],
        "peak_rss_mib": round(figures["peak_rss_bytes"] / 2**20, 1),
    }


def bench_base_import_1m(workdir: Path, n: int = ROWS_1M) -> dict[str, Any]:
    """File → stored contacts + summary for `n` rows, on a fresh SQLite database.

    The contacts stored must be the usable rows that ``check_file`` finds in the same file.
    """
    path = base_file(workdir, n)
    env = fresh_database_env(Path(workdir), "bench-import.sqlite3")
    figures = run_child(CHILD, "import", str(path), env=env)
    usable = _usable_rows[path] if path in _usable_rows else measure_check(path)["rows_usable"]
    expect_equal(
        "base_import",
        {"status": "ready", "rows_total": n, "stored": usable, "usable": usable, "raw": usable},
        {
            **{key: figures[key] for key in ("status", "rows_total", "stored", "usable")},
            "raw": figures["raw_rows"],
        },
    )
    return {
        "name": "base_import_1m",
        "value": figures["import"],
        "unit": "s",
        "reference": "raw sqlite3 executemany of the same contact rows (one transaction)",
        "reference_value": figures["raw_executemany"],
        "n": n,
        "polars_read_s": round(figures["read"], 3),
        "contacts_stored": figures["stored"],
        "peak_rss_mib": round(figures["peak_rss_bytes"] / 2**20, 1),
    }


BENCHMARKS = [bench_base_check_1m, bench_base_import_1m]
