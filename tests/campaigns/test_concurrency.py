"""Two analysts forwarding the same brief at the same moment give exactly one transition."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from brief.campaigns import actions
from brief.campaigns.choices import Status
from brief.campaigns.models import BriefTransition
from brief.core.exceptions import Conflict
from brief.core.models import AuditEvent
from brief.core.roles import Role


def race(brief, users, action):
    barrier = threading.Barrier(len(users))
    outcomes: list[str] = []

    def run(user):
        try:
            barrier.wait()
            actions.perform(brief, action, actor=user)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_two_analysts_forwarding_at_once_give_one_transition(make_brief, make_user, analista):
    # given a brief in review and two analysts
    brief = make_brief(Status.IN_REVIEW)
    other = make_user("analista2", Role.ANALISTA_OCM)
    # when both forward at the same moment
    outcomes = race(brief, [analista, other], "forward")
    # then exactly one wins, one gets a conflict, and one transition and audit event exist
    assert outcomes == ["conflict", "ok"]
    assert BriefTransition.objects.filter(brief=brief, action="forward").count() == 1
    assert AuditEvent.objects.filter(type="BRIEF_FORWARDED").count() == 1
    brief.refresh_from_db()
    assert brief.status == Status.FORWARDED


@pytest.mark.slow
def test_forward_race_on_postgresql(tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.services import postgres_server

    script = Path(__file__).with_name("pg_race.py")
    with postgres_server() as url:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "BRIEF_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "brief.test_settings",
        }
        done = subprocess.run(
            [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=180
        )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"vendor": "postgresql", "outcomes": ["conflict", "ok"], "transitions": 1}
