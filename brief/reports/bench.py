"""Benchmarks of the campaign report, for ``brief bench``.

``report_json_1m``: the JSON report (``reports.campaign.build`` serialized) of a campaign of
1,000,000 recipients (``--size`` sets it) on SQLite, best of three, against one indexed
``GROUP BY status`` in raw sqlite3 on the same rows. Fails unless the report's status counts
are the ``GROUP BY``'s and the generator's.

``report_xlsx_1m``: the recipient-level sent register of those messages written as a streamed
XLSX, with the child's peak RSS, against xlsxwriter's ``constant_memory`` mode writing the same
rows. Fails unless both files hold one row per message plus the header.

Both run in a child process (:mod:`brief.reports.bench_child`) on a fresh database.

``pages_10k`` (:mod:`brief.reports.bench_pages`): p95 of the board, the brief list, the home
panels, a brief, its sweep and its report at 10,000 briefs and 1,000,000 messages.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from brief.core.bench import expect_equal, fresh_database_env, run_child

from .bench_child import expected_counts

CHILD = "brief.reports.bench_child"
JSON_TARGET_S = 1.0
XLSX_TARGET_S = 30.0
RSS_TARGET = 1 << 30  # 1 GiB


def bench_report_json_1m(workdir: Path, n: int = 1_000_000) -> dict[str, Any]:
    """Seconds to build and serialize the report of an ``n``-recipient campaign."""
    env = fresh_database_env(Path(workdir), "bench-report-json.sqlite3")
    figures = run_child(CHILD, "json", str(n), env=env)
    expected = expected_counts(n)
    expect_equal(
        "report_json_1m",
        {"counts": expected, "grouped": expected, "messages": n, "people": n},
        {
            "counts": figures["counts"],
            "grouped": figures["grouped"],
            "messages": figures["totals"]["messages"],
            "people": figures["people_targeted"],
        },
    )
    value = min(figures["times"])
    return {
        "name": "report_json_1m",
        "value": value,
        "unit": "s",
        "reference": "one indexed GROUP BY status on the sweep's messages in raw sqlite3",
        "reference_value": min(figures["ref_times"]),
        "n": n,
        "first_s": round(figures["times"][0], 3),
        "json_bytes": figures["json_bytes"],
        "reference_plan": figures["reference_plan"],
        "target_s": JSON_TARGET_S,
        "within_target": value <= JSON_TARGET_S,
        "fill_seconds": round(figures["fill_seconds"], 1),
        "load": round(os.getloadavg()[0], 1),
    }


def bench_report_xlsx_1m(workdir: Path, n: int = 1_000_000) -> dict[str, Any]:
    """Seconds to stream the ``n``-row sent register to XLSX, and the peak RSS."""
    env = fresh_database_env(Path(workdir), "bench-report-xlsx.sqlite3")
    figures = run_child(CHILD, "xlsx", str(n), env=env)
    expect_equal(
        "report_xlsx_1m",
        {"rows": n + 1, "reference rows": n + 1, "header": "barrido"},
        {
            "rows": figures["rows"],
            "reference rows": figures["ref_rows"],
            "header": figures["header"][0],
        },
    )
    peak = figures["peak_rss_bytes"]
    return {
        "name": "report_xlsx_1m",
        "value": figures["seconds"],
        "unit": "s",
        "reference": "xlsxwriter constant_memory writing the same rows (cell by cell)",
        "reference_value": figures["ref_seconds"],
        "n": n,
        "peak_rss_mib": round(peak / (1 << 20), 1),
        "rss_before_mib": round(figures["rss_before_bytes"] / (1 << 20), 1),
        "file_mib": round(figures["bytes"] / (1 << 20), 1),
        "target_s": XLSX_TARGET_S,
        "target_rss_mib": RSS_TARGET >> 20,
        "within_target": figures["seconds"] <= XLSX_TARGET_S and peak <= RSS_TARGET,
        "fill_seconds": round(figures["fill_seconds"], 1),
        "load": round(os.getloadavg()[0], 1),
    }


from .bench_pages import bench_pages_10k  # noqa: E402

BENCHMARKS = [bench_report_json_1m, bench_report_xlsx_1m, bench_pages_10k]
