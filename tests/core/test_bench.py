"""The benchmark harness: JSON lines with reference and ratio; a benchmark that did not do its
work fails instead of reporting a figure."""

import json

import pytest
from django.core.management import call_command

from brief.core import bench, calendar


def test_finish_adds_the_ratio_of_value_to_reference():
    # when
    result = bench.finish({"name": "x", "value": 3.0, "reference_value": 2.0})
    # then
    assert result == {"name": "x", "value": 3.0, "reference_value": 2.0, "ratio": 1.5}


def test_finish_has_no_ratio_without_a_reference():
    assert bench.finish({"name": "x", "value": 3.0, "reference_value": 0})["ratio"] is None


def test_expect_equal_fails_on_any_difference():
    bench.expect_equal("x", {"rows": 3}, {"rows": 3})
    with pytest.raises(bench.BenchmarkCheckFailed, match=r"x: expected \{'rows': 3\}"):
        bench.expect_equal("x", {"rows": 3}, {"rows": 2})


def test_bench_prints_json_lines_with_reference_and_ratio(capsys, db):
    # when
    call_command("bench", "--json", "--only", "business_days", "--size", "40")
    # then
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["name"], line["unit"], line["n"]) for line in lines] == [
        ("business_days_20k", "s", 40)
    ]
    assert set(lines[0]) == {"name", "value", "unit", "reference", "reference_value", "n", "ratio"}


def test_business_days_benchmark_fails_when_the_calendar_disagrees(tmp_path, monkeypatch):
    # given the real benchmark passes at a tiny size
    assert bench.bench_business_days(tmp_path, n=40)["n"] == 40
    # when the calendar is off by one day
    real = calendar.add_business_days
    monkeypatch.setattr(calendar, "add_business_days", lambda day, n: real(day, n + 1))
    # then the benchmark fails instead of reporting a time
    with pytest.raises(bench.BenchmarkCheckFailed, match="disagreements"):
        bench.bench_business_days(tmp_path, n=40)
