"""The report benchmarks at a tiny size: the report's counts equal the raw GROUP BY and the
generator's; both XLSX files hold one row per message."""

from __future__ import annotations

import pytest

from brief.core.bench import BenchmarkCheckFailed
from brief.reports import bench
from brief.reports.bench_child import STATUS_CYCLE, expected_counts

pytestmark = pytest.mark.slow


def test_expected_counts_follow_the_cycle():
    n = 47
    counted: dict[str, int] = {}
    for i in range(n):
        counted[STATUS_CYCLE[i % 20]] = counted.get(STATUS_CYCLE[i % 20], 0) + 1
    assert expected_counts(n) == counted


def test_report_json_matches_the_group_by(tmp_path):
    result = bench.bench_report_json_1m(tmp_path, n=2_000)
    assert result["n"] == 2_000
    assert result["value"] > 0
    assert "message_sweep_status" in result["reference_plan"]


def test_report_json_fails_when_the_counts_differ(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "expected_counts", lambda n: {"sent": n})
    with pytest.raises(BenchmarkCheckFailed, match="report_json_1m"):
        bench.bench_report_json_1m(tmp_path, n=200)


def test_report_xlsx_writes_every_row(tmp_path):
    result = bench.bench_report_xlsx_1m(tmp_path, n=2_000)
    assert result["n"] == 2_000
    assert 0 < result["peak_rss_mib"] < 1024
    assert result["reference_value"] > 0
