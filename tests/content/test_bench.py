"""The rendering benchmark measures and proves its work (figures come from ``brief bench``)."""

from __future__ import annotations

import pytest

from brief.content import bench
from brief.core.bench import BenchmarkCheckFailed


def test_render_benchmark_reports_a_rate_for_texts_it_checked(tmp_path):
    result = bench.bench_render_sms(tmp_path, n=200)
    assert (result["name"], result["unit"], result["n"]) == ("render_sms", "msg/s", 200)
    assert result["value"] > 0
    assert result["reference_value"] > 0


def test_render_benchmark_fails_when_the_texts_lose_the_link(tmp_path, monkeypatch):
    # given a body whose link is not the tracked one, no text carries a tracked link
    monkeypatch.setattr(bench, "BODY", "Hola {nombres}, su saldo es {saldo}.")
    with pytest.raises(BenchmarkCheckFailed, match="with tracked link"):
        bench.bench_render_sms(tmp_path, n=50)
