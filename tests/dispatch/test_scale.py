"""The scale-out deployment (README «Escalar») under a 200,000-message sweep: PostgreSQL, Redis
as broker and shared rate limit, two ``brief worker`` processes and a gunicorn web process
taking the provider's signed callbacks. Run by ``make test-scale`` (CI runs it after
``make test``; a few minutes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.services import run_script_on_postgres

pytestmark = pytest.mark.scale

SCRIPT = Path(__file__).with_name("scale_sweep.py")


def test_a_large_sweep_across_two_workers_sends_each_message_once_at_the_rate(tmp_path):
    result = run_script_on_postgres(SCRIPT, tmp_path, str(tmp_path), redis=True, timeout=1800)
    print(json.dumps({k: v for k, v in result.items() if k != "log"}))  # noqa: T201
    n, delivered = result["n"], result["n"] // 20
    # the sweep finished and every callback was taken
    assert result["done"], result["log"]
    assert result["settled"], result["log"]
    # none lost, none claimed twice: each recipient accepted once by the provider, one try each
    assert (result["accepted"], result["requests"], result["most_per_recipient"]) == (n, n, 1)
    assert result["tried_twice"] == 0
    assert result["statuses"] == {"sent": n - delivered, "delivered": delivered}
    # every signed callback answered 200 by the web process and stored once
    assert result["callbacks"] == {"200": delivered}, result["web_errors"]
    assert result["delivered_events"] == delivered
    # both workers ran the sweep's runners
    assert all(runs > 0 for runs in result["runs"].values()), result["runs"]
    # the account's rate held across the workers: ±5 % overall, no 30-second stretch above +5 %
    setting = result["rate_setting"]
    assert 0.95 * setting <= result["rate"] <= 1.05 * setting, result
    assert result["busiest_30s"] <= 1.05 * setting, result


LOAD = Path(__file__).with_name("load_run.py")


def test_ui_users_and_signed_callbacks_under_load(tmp_path):
    # given gunicorn on PostgreSQL, 50 signed-in users walking the board, a brief, its sweep and
    # its report, while the provider posts signed callbacks at up to 2,000/s for 60 s
    result = run_script_on_postgres(LOAD, tmp_path, str(tmp_path), timeout=1200)
    print(json.dumps(result))  # noqa: T201  (p50/p99 per page and the rate reached: the note)
    # then every page answered 200 and nothing broke
    assert result["page_errors"] == {}
    assert result["tracebacks"] == 0
    assert all(page["n"] >= result["users"] for page in result["pages"].values())
    # and every callback answered 200 and was stored exactly once (replays included)
    assert set(result["answers"]) == {"200"}
    assert result["answers"]["200"] == result["callbacks_posted"]
    assert result["callbacks_posted"] > result["messages_posted"] > 0
    assert result["messages_called_back"] == result["messages_posted"]
    assert result["delivered_events"] == result["distinct_event_ids"] == result["messages_posted"]
