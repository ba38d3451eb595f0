"""The dispatch SQL (SKIP LOCKED claims, INSERT … SELECT, ON CONFLICT) on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import postgres_server

pytestmark = pytest.mark.slow


def test_sweeps_run_on_postgresql(tmp_path):
    script = Path(__file__).with_name("pg_sweep.py")
    with postgres_server() as url:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "BRIEF_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "brief.test_settings",
        }
        done = subprocess.run(
            [sys.executable, str(script), str(tmp_path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["vendor"] == "postgresql"
    assert result["import"] == "ready"
    # 300 people: one suppressed by STOP, the rest sent; 100 then delivered
    assert result["first"]["suppressed"] == 1
    assert result["first"]["sent"] + result["first"]["delivered"] == 299
    assert result["first"]["delivered"] == 100
    # the same people by e-mail the same day wait for tomorrow (daily cap, ON CONFLICT)
    assert result["second"]["deferred"] == 299
    assert result["second_next"] == "at"
    # three runners at once on one sweep: every message sent exactly once
    assert result["parallel_runners"] == 4
    assert result["parallel_sent"] == result["parallel_unique"] == 299
    assert result["parallel_counts"]["sent"] == 299
