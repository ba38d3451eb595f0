"""The dispatch benchmarks at a tiny size: the stored statuses are the seeded simulator's, the
SMTP sink received what the sweep marked sent, and a run that did not do that fails."""

import json

import pytest

from brief.core.bench import BenchmarkCheckFailed
from brief.dispatch import bench
from brief.dispatch.choices import COUNT_KEYS

pytestmark = pytest.mark.slow

N = 200


def test_expected_simulated_counts_follow_the_seed_and_rates():
    # when every message is refused, or none is and every one is delivered
    refused = bench.expected_simulated_counts(1, 50, {"seed": "s", "failure_rate": 1.0})
    delivered = bench.expected_simulated_counts(
        1, 50, {"seed": "s", "failure_rate": 0.0, "delivery_rate": 1.0}
    )
    # then
    assert refused == {**dict.fromkeys(COUNT_KEYS, 0), "failed": 50}
    assert delivered == {**dict.fromkeys(COUNT_KEYS, 0), "delivered": 50}


def test_simulated_sweep_stores_the_seeded_outcome_of_every_message(tmp_path):
    result = bench.bench_sweep_simulated_1m(tmp_path, n=N)
    expected = bench.expected_simulated_counts(1, N, bench.SIMULATED_OPTIONS)
    assert (result["delivered"], result["failed"], result["read"]) == (
        expected["delivered"],
        expected["failed"],
        0,
    )
    assert result["delivered"] > result["failed"] > 0


def test_simulated_sweep_where_everything_failed_fails_the_benchmark(tmp_path, monkeypatch):
    # given a child whose provider refuses every message (the seeded rules say ~90 % deliver)
    real = bench.run_child

    def everything_fails(module, program, n, options, **kwargs):
        options = json.dumps({**json.loads(options), "failure_rate": 1.0})
        return real(module, program, n, options, **kwargs)

    monkeypatch.setattr(bench, "run_child", everything_fails)
    # then no msg/s is reported
    with pytest.raises(BenchmarkCheckFailed, match="sweep_simulated"):
        bench.bench_sweep_simulated_1m(tmp_path, n=N)


def test_smtp_sweep_is_counted_by_the_sink(tmp_path):
    result = bench.bench_smtp_email_20k(tmp_path, n=30)
    assert (result["n"], result["received"]) == (30, 30)


def test_smtp_benchmark_fails_when_the_sink_got_less_than_marked_sent(tmp_path, monkeypatch):
    # given a sink that received one e-mail fewer from the adapter than the sweep marked sent
    real = bench.sink_counts

    def one_lost(output):
        received = real(output)
        received[bench.bench_child.BRIEF_SENDER] -= 1
        return received

    monkeypatch.setattr(bench, "sink_counts", one_lost)
    # then
    with pytest.raises(BenchmarkCheckFailed, match="received from the adapter"):
        bench.bench_smtp_email_20k(tmp_path, n=30)


def test_smpp_sweep_is_delivered_by_matched_receipts(tmp_path):
    result = bench.bench_smpp_submit(tmp_path, n=30)
    assert (result["n"], result["receipts_matched"]) == (30, 30)


def test_smpp_benchmark_fails_when_a_receipt_was_not_matched(tmp_path, monkeypatch):
    # given a child that reports one message fewer delivered than the SMSC receipted
    real = bench.run_child

    def one_unmatched(module, *args, **kwargs):
        figures = real(module, *args, **kwargs)
        figures["counts"]["delivered"] -= 1
        return figures

    monkeypatch.setattr(bench, "run_child", one_unmatched)
    # then no submit_sm/s is reported
    with pytest.raises(BenchmarkCheckFailed, match="smpp_submit"):
        bench.bench_smpp_submit(tmp_path, n=30)


def test_twilio_sweep_is_counted_by_the_peer(tmp_path):
    result = bench.bench_twilio_sms_20k(tmp_path, n=30, concurrency=8)
    assert (result["n"], result["received"]) == (30, 30)


def test_twilio_benchmark_fails_when_the_peer_got_less_than_marked_sent(tmp_path, monkeypatch):
    # given a child that reports one request fewer at the peer than the sweep marked sent
    real = bench.run_child

    def one_lost(*args, **kwargs):
        figures = real(*args, **kwargs)
        figures["received"] -= 1
        return figures

    monkeypatch.setattr(bench, "run_child", one_lost)
    # then
    with pytest.raises(BenchmarkCheckFailed, match="received from the adapter"):
        bench.bench_twilio_sms_20k(tmp_path, n=30, concurrency=8)


def test_pg_runners_run_both_sweeps_to_the_seeded_outcome(tmp_path):
    result = bench.bench_sweep_pg_runners(tmp_path, n=N, runners=3)
    assert result["n"] == N
    assert result["runners"] == 3
    assert result["value"] > 0
    assert result["reference_value"] > 0


def test_pg_runners_benchmark_fails_when_a_sweep_is_not_finished(tmp_path, monkeypatch):
    # given runners that never get to run the parallel sweep
    real = bench._run_runners

    def parallel_never_runs(env, sweep_id, runners):
        return real(env, sweep_id, runners) if runners == 1 else 1.0

    monkeypatch.setattr(bench, "_run_runners", parallel_never_runs)
    # then no msg/s is reported
    with pytest.raises(BenchmarkCheckFailed, match="sweep_pg_runners"):
        bench.bench_sweep_pg_runners(tmp_path, n=N, runners=2)
