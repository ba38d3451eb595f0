"""``whatsapp_callbacks`` at a tiny size: every signed callback is answered 200 over HTTP and
every message ends delivered; a run whose statuses were not stored fails."""

import pytest

from brief.core.bench import BenchmarkCheckFailed
from brief.dispatch import bench_whatsapp

pytestmark = pytest.mark.slow


def test_signed_callbacks_over_http_reach_every_message(tmp_path):
    result = bench_whatsapp.bench_whatsapp_callbacks(tmp_path, n=40, concurrency=4)
    assert (result["n"], result["callbacks"], result["duplicates"]) == (40, 44, 4)
    assert result["value"] > 0
    assert result["reference_value"] > 0


def test_a_run_that_stored_nothing_fails(tmp_path, monkeypatch):
    real = bench_whatsapp.run_child

    def child(module, *args, env=None):
        out = real(module, *args, env=env)
        return {"delivered": 0, "stored": 0} if args[0] == "count" else out

    monkeypatch.setattr(bench_whatsapp, "run_child", child)
    with pytest.raises(BenchmarkCheckFailed, match="whatsapp_callbacks"):
        bench_whatsapp.bench_whatsapp_callbacks(tmp_path, n=10, concurrency=2)
