"""The contact-center benchmarks at a tiny size: the history returned exactly the rows made
for each person looked up, and no contact of the PostgreSQL queue was claimed twice."""

from __future__ import annotations

import pytest

from brief.calls import bench
from brief.calls.bench_child import QUEUED_EVERY, expected_rows
from brief.core.bench import BenchmarkCheckFailed
from tests.helpers import require_binary
from tests.services import PG_BIN

pytestmark = pytest.mark.slow


def test_expected_rows_follow_the_generator():
    # message i belongs to person i % people; every 13th was never sent; interactions are n/10
    people, messages = 7, 70
    sent = dict.fromkeys(range(people), 0)
    for i in range(messages):
        if i % QUEUED_EVERY:
            sent[i % people] += 1
    assert {p: expected_rows(p, messages, people)[0] for p in range(people)} == sent
    assert sum(expected_rows(p, messages, people)[1] for p in range(people)) == messages // 10


def test_history_lookup_returns_what_was_generated(tmp_path):
    result = bench.bench_history_lookup(tmp_path, n=3_000, lookups=20)
    assert (result["n"], result["interactions"], result["people"], result["lookups"]) == (
        3_000,
        300,
        300,
        20,
    )
    assert 9 < result["rows_per_lookup"] < 11
    assert result["value"] > 0
    assert result["reference_value"] > 0


def test_history_lookup_fails_when_rows_are_missing(tmp_path, monkeypatch):
    # given a generator that promises one interaction more per person than it made
    monkeypatch.setattr(bench, "expected_rows", lambda p, n, people: (99, 99))
    with pytest.raises(BenchmarkCheckFailed, match="history_lookup"):
        bench.bench_history_lookup(tmp_path, n=500, lookups=3)


def test_queue_claims_on_postgres_never_share_a_contact(tmp_path):
    require_binary(f"{PG_BIN}/initdb")
    result = bench.bench_queue_claims_pg(tmp_path, n=200, advisors=20)
    assert (result["n"], result["advisors"]) == (200, 20)
    assert result["advisors_who_claimed"] > 1
    assert result["value"] > 0
    assert result["reference_value"] > 0
