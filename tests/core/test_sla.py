import datetime as dt

import pytest

from brief.accounts.models import Area
from brief.core import sla
from brief.core.calendar import BOGOTA
from brief.core.choices import ClockState, DurationUnit
from brief.core.models import AuditEvent, SLAClock, SLARule


def at(y, m, d, h=10, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=BOGOTA)


@pytest.fixture
def subject(db):
    """Any model works as a clock subject; an Area keeps the engine independent of briefs."""
    return Area.objects.create(code="x", name="Área de prueba")


@pytest.fixture
def rule(db):
    return SLARule.objects.create(
        code="test-rule",
        name="Regla",
        start_event="thing.started",
        stop_event="thing.done",
        duration=1,
        unit=DurationUnit.BUSINESS_DAYS,
    )


def test_compute_due_business_days_end_of_nth_business_day():
    # Friday 4 Dec + 1 business day → end of Monday 7 Dec; + 2 → end of Wed 9 (8 Dec holiday)
    assert sla.compute_due(at(2026, 12, 4), 1, DurationUnit.BUSINESS_DAYS) == dt.datetime(
        2026, 12, 7, 23, 59, 59, 999999, tzinfo=BOGOTA
    )
    assert sla.compute_due(at(2026, 12, 4), 2, "business_days").date() == dt.date(2026, 12, 9)


def test_compute_due_calendar_days_and_hours():
    assert sla.compute_due(at(2026, 12, 4), 6, "calendar_days").date() == dt.date(2026, 12, 10)
    assert sla.compute_due(at(2026, 12, 4, 10), 5, "hours") == at(2026, 12, 4, 15)


def test_event_starts_and_stops_clock_met(rule, subject):
    # given a clock started by its event on Friday
    started = sla.on_event("thing.started", subject, at=at(2026, 12, 4))["started"]
    assert len(started) == 1
    clock = started[0]
    assert clock.due_at.date() == dt.date(2026, 12, 7)
    # when the stop event comes on Monday
    stopped = sla.on_event("thing.done", subject, at=at(2026, 12, 7, 16))["stopped"]
    # then it is met
    clock.refresh_from_db()
    assert [c.pk for c in stopped] == [clock.pk]
    assert clock.state == ClockState.MET
    assert clock.stopped_at == at(2026, 12, 7, 16)


def test_clock_stopped_after_due_is_late(rule, subject):
    sla.on_event("thing.started", subject, at=at(2026, 12, 4))
    sla.on_event("thing.done", subject, at=at(2026, 12, 9, 9))
    clock = SLAClock.objects.get()
    assert clock.state == ClockState.LATE


def test_starting_twice_keeps_one_open_clock(rule, subject):
    sla.on_event("thing.started", subject, at=at(2026, 12, 4))
    sla.on_event("thing.started", subject, at=at(2026, 12, 7))
    assert SLAClock.objects.count() == 1
    assert SLAClock.objects.get().started_at == at(2026, 12, 4)


def test_rule_filters_by_channel_and_kind(db, subject):
    SLARule.objects.create(
        code="wa",
        name="WA",
        start_event="e.start",
        stop_event="e.stop",
        duration=2,
        channels=["whatsapp"],
        kind="informativa",
    )
    assert sla.on_event("e.start", subject, channels=["sms"], kind="informativa")["started"] == []
    assert (
        sla.on_event("e.start", subject, channels=["whatsapp"], kind="transaccional")["started"]
        == []
    )
    assert (
        len(
            sla.on_event("e.start", subject, channels=["sms", "whatsapp"], kind="informativa")[
                "started"
            ]
        )
        == 1
    )


def test_inactive_rule_starts_nothing(rule, subject):
    rule.active = False
    rule.save()
    assert sla.on_event("thing.started", subject)["started"] == []


def test_pause_extends_due_by_time_paused(rule, subject):
    clock = sla.start_clock(rule, subject, at=at(2026, 12, 4))
    original_due = clock.due_at
    assert sla.pause_clock(clock, at=at(2026, 12, 7, 10))
    # a paused clock is never breached by the scan
    assert sla.scan_breaches(now=at(2026, 12, 20)) == 0
    assert sla.resume_clock(clock, at=at(2026, 12, 9, 10))
    clock.refresh_from_db()
    assert clock.state == ClockState.RUNNING
    assert clock.due_at == original_due + dt.timedelta(days=2)


def test_scan_marks_breach_once_and_audits(rule, subject):
    # given an overdue clock
    clock = sla.start_clock(rule, subject, at=at(2026, 12, 4))
    # when the scan runs twice after the due time
    first = sla.scan_breaches(now=at(2026, 12, 8, 9))
    second = sla.scan_breaches(now=at(2026, 12, 8, 10))
    # then exactly one breach is recorded
    clock.refresh_from_db()
    assert (first, second) == (1, 0)
    assert clock.breached_at == at(2026, 12, 8, 9)
    events = AuditEvent.objects.filter(type="SLA_BREACHED")
    assert events.count() == 1
    assert events.get().details["rule"] == "test-rule"


def test_scan_ignores_clocks_not_yet_due_and_stopped(rule, subject):
    clock = sla.start_clock(rule, subject, at=at(2026, 12, 4))
    assert sla.scan_breaches(now=at(2026, 12, 7, 23)) == 0
    sla.stop_clock(clock, at=at(2026, 12, 7, 23, 30))
    assert sla.scan_breaches(now=at(2026, 12, 10)) == 0
    assert not AuditEvent.objects.filter(type="SLA_BREACHED").exists()


def test_cancel_open_clocks(rule, subject):
    sla.start_clock(rule, subject, at=at(2026, 12, 4))
    assert sla.cancel_open_clocks(subject) == 1
    assert SLAClock.objects.get().state == ClockState.CANCELLED
    assert sla.scan_breaches(now=at(2027, 1, 1)) == 0


def test_default_rules_exist_after_migrate_and_ensure_is_idempotent(db):
    codes = set(SLARule.objects.values_list("code", flat=True))
    assert {
        "whatsapp-total-informativa",
        "whatsapp-total-transaccional",
        "sms-email-ejecucion",
        "pregunta-respuesta",
    } <= codes
    assert sla.ensure_default_rules() == 0
    assert SLARule.objects.get(code="whatsapp-total-transaccional").duration == 8


def test_periodic_task_runs_the_scan(rule, subject):
    from brief.core.tasks import scan_sla_breaches

    sla.start_clock(rule, subject, at=at(2026, 1, 5))
    assert scan_sla_breaches.delay().get() == 1


def test_migrations_add_the_loop_and_daily_rules_and_review_stops_on_either_outcome(db):
    rules = {r.code: r for r in SLARule.objects.all()}
    assert rules["reentrega-resultados-proveedor"].start_event == "brief.results_returned"
    assert rules["reentrega-resultados-proveedor"].stop_event == "brief.results_delivered"
    assert rules["revision-rechazo-ocm"].start_event == "brief.results_rejected"
    assert rules["revision-rechazo-ocm"].stop_event == sla.RESULTS_REVIEWED
    assert rules["revision-resultados-ocm"].stop_event == sla.RESULTS_REVIEWED
    assert rules[sla.DAILY_REPORT_RULE].name == "Entrega de reporte diario de ejecución"


def test_explain_breach_only_by_ocm_only_on_missed_clocks(rule, subject, make_user):
    from brief.core.exceptions import Conflict, Forbidden, Invalid

    analista, proveedor = make_user("analista", "analista_ocm"), make_user("prov", "proveedor")
    late = sla.start_clock(rule, subject, at=at(2026, 12, 4))
    sla.stop_clock(late, at=at(2026, 12, 10))
    assert late.state == ClockState.LATE
    # given a clock met on time in another subject
    met = sla.start_clock(rule, Area.objects.create(code="y", name="Otra"), at=at(2026, 12, 4))
    sla.stop_clock(met, at=at(2026, 12, 4, 11))
    with pytest.raises(Forbidden):
        sla.explain_breach(late, actor=proveedor, reason="Caída del operador.")
    with pytest.raises(Invalid):
        sla.explain_breach(late, actor=analista, reason="  ")
    with pytest.raises(Conflict):
        sla.explain_breach(met, actor=analista, reason="No aplica.")
    assert not SLAClock.objects.exclude(breach_reason="").exists()
    # when OCM writes the reason
    sla.explain_breach(late, actor=analista, reason=" Caída del operador. ")
    late.refresh_from_db()
    assert (late.breach_reason, late.breach_reason_by) == ("Caída del operador.", analista)
    assert late.breach_reason_at is not None
    assert AuditEvent.objects.get(type="SLA_BREACH_EXPLAINED").details["rule"] == "test-rule"


def test_the_exit_approval_clock_stops_on_either_decision(db):
    # the migrated rule stops on the event both approve_exit and refuse_exit emit first
    rule = SLARule.objects.get(code="aprobacion-salida")
    assert (rule.start_event, rule.stop_event) == ("brief.exit_requested", sla.EXIT_DECIDED)
