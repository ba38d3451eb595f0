"""PostgreSQL or Redis restarted in the middle of a sweep sent by a real worker: the sweep
finishes with every message accepted by the provider exactly once, none lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import RedisServer, postgres_restartable

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).with_name("fault_sweep.py")


@pytest.mark.parametrize("server", ["redis", "postgres"])
def test_a_server_restarted_mid_sweep_loses_and_repeats_nothing(server, tmp_path):
    with postgres_restartable() as postgres:
        redis = RedisServer().start()
        try:
            # given a worker sending a 300-message sweep (PostgreSQL, Redis broker)
            env = {
                **os.environ,
                "DATABASE_URL": postgres.url,
                "CELERY_BROKER_URL": redis.url,
                "BRIEF_VAR_DIR": str(tmp_path),
                # short runner tasks and leases: many hand-overs through the broker
                "DISPATCH_RUNNER_BUDGET_SECONDS": "2",
                "DISPATCH_LEASE_MARGIN_SECONDS": "2",
            }
            script = subprocess.Popen(
                [sys.executable, str(SCRIPT), str(tmp_path)],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            assert script.stdout is not None
            assert script.stdin is not None
            line = script.stdout.readline()
            if line.strip() != "RESTART":
                pytest.fail(f"{line}{script.communicate(timeout=30)}")
            # when the server restarts while the sweep is being sent, away for 2 s
            (redis if server == "redis" else postgres).restart(down_seconds=2)
            script.stdin.write("\n")
            script.stdin.flush()
            out, err = script.communicate(timeout=120)
        finally:
            redis.stop()
    assert script.returncode == 0, err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    # then the sweep finished by itself after the restart
    assert result["done"], result["log"]
    assert result["at_restart"] < 300
    # and the worker did meet the restart
    if server == "postgres":
        assert result["database_waits"] >= 1, result
    else:
        # (it sent on with an in-process rate limit while Redis was away)
        assert result["local_rate_limit"] >= 1, str(result)
    # and every message was accepted once: none lost, none sent twice
    assert result["statuses"] == {"sent": 300}
    assert (result["accepted"], result["most_per_recipient"]) == (300, 1)
    assert result["sent_were_accepted"]
