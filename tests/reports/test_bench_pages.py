"""The pages benchmark at a tiny size: the rows it fills are the ones asked for, every page
answers 200 with what it must hold, and a failed check fails the benchmark."""

from __future__ import annotations

import pytest

from brief.core.bench import BenchmarkCheckFailed
from brief.reports import bench_pages
from brief.reports.bench_pages_child import (
    SWEEP_BRIEFS,
    big_share,
    expected_sweep_totals,
    sweep_of,
)

pytestmark = pytest.mark.slow


def test_expected_sweep_totals_follow_sweep_of():
    n = 997
    counted = [0] * (2 * SWEEP_BRIEFS)
    for i in range(n):
        counted[sweep_of(i, n)] += 1
    assert expected_sweep_totals(n) == counted
    assert counted[0] + counted[1] == big_share(n)


def test_pages_answer_every_request(tmp_path):
    result = bench_pages.bench_pages_10k(tmp_path, n=2_000, briefs=400, requests=2)
    assert result["n"] == 2_000
    assert set(result["pages"]) == {"board", "list", "home_panels", "brief", "sweep", "report"}
    assert all(page["p95_ms"] > 0 and page["queries"] > 0 for page in result["pages"].values())
    assert result["value"] == max(page["p95_ms"] for page in result["pages"].values())
    assert 0 < result["peak_rss_mib"] < 1024


def test_pages_fail_when_the_rows_differ(tmp_path, monkeypatch):
    monkeypatch.setattr(bench_pages, "big_share", lambda n: n)
    with pytest.raises(BenchmarkCheckFailed, match="pages_10k"):
        bench_pages.bench_pages_10k(tmp_path, n=200, briefs=400, requests=1)
