"""Workflow actions: races give exactly one transition; transitions move the SLA clocks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from brief.campaigns import actions
from brief.campaigns.choices import Status
from brief.campaigns.models import BriefTransition
from brief.core import sla
from brief.core.models import AuditEvent, SLAClock
from brief.core.roles import Role
from tests.helpers import meet_checks, race
from tests.services import run_script_on_postgres


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
    result = run_script_on_postgres(Path(__file__).with_name("pg_race.py"), tmp_path, timeout=180)
    assert result == {"vendor": "postgresql", "outcomes": ["conflict", "ok"], "transitions": 1}


def test_whatsapp_transactional_clocks_and_breach_recorded_once(make_brief, proveedor):
    # given a transactional WhatsApp brief forwarded to the provider
    brief = make_brief(Status.FORWARDED, channels=["whatsapp"], kind="transaccional")
    clocks = {c.rule.code: c for c in sla.clocks_for(brief)}
    # then the 8-day total clock runs (and not the informative one), plus reception
    assert "whatsapp-total-transaccional" in clocks
    assert "whatsapp-total-informativa" not in clocks
    assert clocks["recepcion-proveedor"].responsible == "icetex"
    total = clocks["whatsapp-total-transaccional"]
    assert total.responsible == "provider"
    # when the periodic scan runs twice long after the due time
    later = total.due_at + dt.timedelta(days=3)
    first = sla.scan_breaches(now=later)
    second = sla.scan_breaches(now=later + dt.timedelta(minutes=1))
    # then each open clock is breached once, and recorded once
    assert first == SLAClock.objects.filter(subject_id=brief.pk, breached_at__isnull=False).count()
    assert first >= 2
    assert second == 0
    breached = AuditEvent.objects.filter(type="SLA_BREACHED", details__rule=total.rule.code)
    assert breached.count() == 1


def test_late_delivery_is_marked_late(make_brief, proveedor, solicitante):
    brief = make_brief(Status.EXECUTING)
    clock = SLAClock.objects.get(subject_id=brief.pk, rule__code="sms-email-ejecucion")
    from tests.helpers import upload

    actions.add_attachment(brief, actor=proveedor, kind="report", upload=upload("i.csv", "a\n"))
    meet_checks(brief, "deliver_results", proveedor)
    actions.perform(
        brief, "deliver_results", actor=proveedor, at=clock.due_at + dt.timedelta(hours=1)
    )
    clock.refresh_from_db()
    assert clock.state == "late"
    assert clock.stopped_by == proveedor
