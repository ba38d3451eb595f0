"""The certificate benchmark at a tiny size: every certificate it issued verifies, and it
fails when one does not."""

from __future__ import annotations

import pytest

from brief.core.bench import BenchmarkCheckFailed
from brief.evidence import bench

pytestmark = pytest.mark.slow


def test_certificate_message_issues_certificates_that_verify(tmp_path):
    result = bench.bench_certificate_message(tmp_path, n=2)
    assert (result["name"], result["n"], result["unit"]) == ("certificate_message", 2, "s")
    assert result["value"] > 0
    assert result["reference_value"] > 0


def test_certificate_message_fails_when_a_certificate_does_not_verify(tmp_path, monkeypatch):
    figures = {"times": [0.2], "ref_times": [0.1], "valid": [False], "status": "read"}
    monkeypatch.setattr(bench, "run_child", lambda *args, **kwargs: figures)
    with pytest.raises(BenchmarkCheckFailed, match="certificate_message"):
        bench.bench_certificate_message(tmp_path, n=1)
