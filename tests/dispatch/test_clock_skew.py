"""Workers whose clocks are 5 minutes off (ahead and behind) share sweeps with a punctual one:
nothing is sent twice or early, no live send is taken for a stuck one, and the account's
shared rate holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import require_binary
from tests.services import run_script_on_postgres

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).with_name("skew_sweep.py")
FAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


def test_workers_with_clocks_five_minutes_off_keep_every_promise(tmp_path):
    require_binary(FAKETIME)  # Debian package libfaketime
    # short runner tasks and leases: many hand-overs between the three workers
    env = {"DISPATCH_RUNNER_BUDGET_SECONDS": "2", "DISPATCH_LEASE_MARGIN_SECONDS": "3"}
    result = run_script_on_postgres(SCRIPT, tmp_path, str(tmp_path), redis=True, env=env)
    # the sweeps finished
    assert result["done"], result["log"]
    # every message accepted once, and recorded as sent (none taken for stuck: no "unknown")
    assert result["statuses"] == {"A": {"sent": 400}, "B": {"sent": 400}}
    assert (result["accepted"], result["most_per_recipient"]) == (800, 1)
    # the scheduled sweep started at its time: not early by the clock ahead, not 5 minutes late
    # by the clock behind (Celery reads an eta on the receiving machine's clock)
    assert result["b_early_seconds"] is not None
    assert -15 <= result["b_early_seconds"] <= 0.5
    # the rate shared through Redis held (40/s, ±5 %)
    assert 38 <= result["rate"] <= 42, result["rate"]
    # the skewed workers said their clocks are off
    assert result["skew_warnings"] >= 2
