"""The call queue: claims respect holds, windows, the daily cap and retries; twenty concurrent
claimers never share a contact (SQLite here, PostgreSQL through ``pg_claims.py``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from brief.calls import actions
from brief.calls.models import QueueEntry, TypificationNode
from brief.dispatch.models import DailyContact
from tests.calls.claim_race import queue_with_advisors, race
from tests.helpers import OPEN
from tests.services import run_script_on_postgres


@pytest.mark.django_db(transaction=True)
def test_twenty_claimers_never_share_a_contact_on_sqlite():
    brief, advisors = queue_with_advisors(contacts=100, advisors=20)
    got = race(brief, advisors)
    claimed = [c for contacts in got.values() for c in contacts]
    assert len(claimed) == len(set(claimed)) == 100


def test_twenty_claimers_never_share_a_contact_on_postgresql(tmp_path):
    result = run_script_on_postgres(Path(__file__).with_name("pg_claims.py"), tmp_path)
    assert result["vendor"] == "postgresql"
    assert result["claimed"] == result["distinct"] == 200


def test_holds_expire_and_an_advisor_gets_their_held_contact_back(db):
    brief, (ana, luis) = queue_with_advisors(contacts=1, advisors=2)
    first = actions.claim_next(ana, brief, now=OPEN)
    assert first is not None
    assert actions.claim_next(ana, brief, now=OPEN).pk == first.pk  # still hers
    assert actions.claim_next(luis, brief, now=OPEN) is None  # held by ana
    later = OPEN + actions.CLAIM_HOLD + dt.timedelta(seconds=1)
    assert actions.claim_next(luis, brief, now=later).pk == first.pk  # her hold expired


def test_windows_daily_cap_and_retry_after(db):
    brief, (ana,) = queue_with_advisors(contacts=2, advisors=1)
    sunday = dt.datetime(2026, 12, 13, 10, tzinfo=OPEN.tzinfo)
    assert actions.claim_next(ana, brief, now=sunday) is None
    first, second = QueueEntry.objects.order_by("id")
    DailyContact.objects.create(person=first.person, day=OPEN.date(), message_id=1)
    assert actions.claim_next(ana, brief, now=OPEN).pk == second.pk  # first was contacted today
    QueueEntry.objects.filter(pk=second.pk).update(
        holder=None, held_until=None, next_attempt_at=OPEN + dt.timedelta(hours=2)
    )
    assert actions.claim_next(ana, brief, now=OPEN) is None
    assert actions.claim_next(ana, brief, now=OPEN + dt.timedelta(hours=2)).pk == second.pk


def test_a_typified_call_frees_the_contact_and_schedules_the_retry(db):
    brief, (ana,) = queue_with_advisors(contacts=1, advisors=1)
    TypificationNode.objects.create(
        brief=brief, level="category", code="NC02", label="Ocupado", retry_after_hours=1
    )
    entry = actions.claim_next(ana, brief, now=OPEN)
    busy = TypificationNode.objects.get(brief=brief, code="NC02")  # Ocupado: retry in 1 h
    actions.record_interaction(
        brief,
        actor=ana,
        data={
            "channel": "call",
            "contact": entry.contact_id,
            "typification": busy.pk,
            "started_at": OPEN,
        },
    )
    entry.refresh_from_db()
    assert (entry.holder_id, entry.attempts, entry.closed) == (None, 1, False)
    assert entry.next_attempt_at == OPEN + dt.timedelta(hours=1)
