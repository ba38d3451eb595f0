"""The contact benchmarks at a tiny size: they check the rows they claim, and fail otherwise."""

import pytest

from brief.contacts import bench
from brief.core.bench import BenchmarkCheckFailed

pytestmark = pytest.mark.slow

N = 200


def test_base_check_benchmark_counts_every_row(tmp_path):
    result = bench.bench_base_check_1m(tmp_path, n=N)
    assert result["n"] == N
    assert 0 < result["rows_usable"] < N  # the synthetic base has duplicates and bad rows


def test_base_import_stores_the_usable_rows_the_check_finds(tmp_path):
    # given the usable rows the check counts in the same file
    usable = bench.measure_check(bench.base_file(tmp_path, N))["rows_usable"]
    # when
    result = bench.bench_base_import_1m(tmp_path, n=N)
    # then
    assert result["contacts_stored"] == usable


def test_base_import_benchmark_fails_when_a_row_is_missing(tmp_path, monkeypatch):
    # given an import child that stored one contact fewer than it should
    real = bench.run_child

    def one_row_lost(module, program, *args, **kwargs):
        figures = real(module, program, *args, **kwargs)
        if program == "import":
            figures["stored"] -= 1
        return figures

    monkeypatch.setattr(bench, "run_child", one_row_lost)
    # then the benchmark fails instead of reporting a time
    with pytest.raises(BenchmarkCheckFailed, match="stored"):
        bench.bench_base_import_1m(tmp_path, n=N)
