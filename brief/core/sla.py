"""The SLA (ANS) engine: clocks that start and stop on workflow events.

Actions call :func:`on_event` (usually through ``transaction.on_commit``) with an event name
and the subject; every active :class:`SLARule` whose start event matches starts a clock on
that subject, and every open clock whose rule's stop event matches is stopped. The periodic
task calls :func:`scan_breaches`, which marks each overdue clock once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext

from . import calendar
from .audit import record
from .choices import ClockState, DurationUnit, Responsible
from .exceptions import Conflict, Forbidden, Invalid
from .models import SLAClock, SLARule
from .roles import Role


def compute_due(start: dt.datetime, duration: int, unit: str) -> dt.datetime:
    """When a clock started at ``start`` falls due.

    Business days end at the close (23:59:59 Bogota) of the ``duration``-th business day after
    the start day; calendar days likewise with every day counting; hours are wall-clock hours.
    """
    if unit == DurationUnit.HOURS:
        return start + dt.timedelta(hours=duration)
    day = calendar.local(start).date()
    if unit == DurationUnit.BUSINESS_DAYS:
        return calendar.end_of_day(calendar.add_business_days(day, duration))
    if unit == DurationUnit.CALENDAR_DAYS:
        return calendar.end_of_day(day + dt.timedelta(days=duration))
    raise ValueError(f"unknown duration unit {unit!r}")


# How close to its due time a clock is "at risk" (the board's and the brief page's colours).
AT_RISK_WITHIN = dt.timedelta(hours=24)
RISK_OK, RISK_AT_RISK, RISK_OVERDUE = "ok", "at_risk", "overdue"


def risk(
    due_at: dt.datetime,
    now: dt.datetime,
    *,
    breached: bool = False,
    within: dt.timedelta = AT_RISK_WITHIN,
) -> str:
    """The risk of an open clock due at ``due_at``, seen at ``now``: ``"overdue"`` once the due
    time has passed (or the clock was marked breached), ``"at_risk"`` when it falls due within
    ``within``, ``"ok"`` otherwise. Pure: the countdown, the board and the to-do list agree."""
    if breached or due_at <= now:
        return RISK_OVERDUE
    if due_at - now <= within:
        return RISK_AT_RISK
    return RISK_OK


def _subject_key(subject: Model) -> tuple[ContentType, int]:
    return ContentType.objects.get_for_model(subject), int(subject.pk)


def clocks_for(subject: Model):
    """All clocks of ``subject``, oldest first."""
    ctype, pk = _subject_key(subject)
    return SLAClock.objects.filter(subject_type=ctype, subject_id=pk).select_related("rule")


def start_clock(rule: SLARule, subject: Model, *, at: dt.datetime | None = None) -> SLAClock:
    """Start ``rule``'s clock on ``subject``; an already open one is returned unchanged."""
    at = at or timezone.now()
    ctype, pk = _subject_key(subject)
    existing = SLAClock.objects.filter(
        rule=rule, subject_type=ctype, subject_id=pk, stopped_at__isnull=True
    ).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return SLAClock.objects.create(
                rule=rule,
                subject_type=ctype,
                subject_id=pk,
                responsible=rule.responsible,
                started_at=at,
                due_at=compute_due(at, rule.duration, rule.unit),
            )
    except IntegrityError:  # started concurrently
        return SLAClock.objects.get(
            rule=rule, subject_type=ctype, subject_id=pk, stopped_at__isnull=True
        )


def stop_clock(clock: SLAClock, *, at: dt.datetime | None = None, actor=None) -> bool:
    """Stop an open clock as met or late; ``False`` when it was already stopped."""
    at = at or timezone.now()
    clock.refresh_from_db()
    # A clock paused before its due time and stopped while paused was on time.
    effective = clock.paused_at or at
    state = ClockState.MET if effective <= clock.due_at else ClockState.LATE
    updated = SLAClock.objects.filter(pk=clock.pk, stopped_at__isnull=True).update(
        stopped_at=at, state=state, paused_at=None, stopped_by=actor
    )
    if updated:
        clock.refresh_from_db()
    return bool(updated)


def cancel_clock(clock: SLAClock, *, at: dt.datetime | None = None) -> bool:
    """Close an open clock without judging it (the subject was cancelled)."""
    at = at or timezone.now()
    return bool(
        SLAClock.objects.filter(pk=clock.pk, stopped_at__isnull=True).update(
            stopped_at=at, state=ClockState.CANCELLED, paused_at=None
        )
    )


def pause_clock(clock: SLAClock, *, at: dt.datetime | None = None) -> bool:
    """Pause a running clock (e.g. while waiting on the other party)."""
    at = at or timezone.now()
    return bool(
        SLAClock.objects.filter(
            pk=clock.pk, state=ClockState.RUNNING, stopped_at__isnull=True
        ).update(state=ClockState.PAUSED, paused_at=at)
    )


def resume_clock(clock: SLAClock, *, at: dt.datetime | None = None) -> bool:
    """Resume a paused clock; its due time moves by the time spent paused."""
    at = at or timezone.now()
    clock.refresh_from_db()
    if clock.state != ClockState.PAUSED or clock.paused_at is None:
        return False
    new_due = clock.due_at + (at - clock.paused_at)
    return bool(
        SLAClock.objects.filter(pk=clock.pk, state=ClockState.PAUSED).update(
            state=ClockState.RUNNING, paused_at=None, due_at=new_due
        )
    )


def extend_clock(clock: SLAClock, *, business_days: int, at: dt.datetime | None = None) -> bool:
    """Resume a paused clock with its due time ``business_days`` business days later (same
    time of day): the time a scope change made the responsible party wait."""
    clock.refresh_from_db()
    if clock.state != ClockState.PAUSED:
        return False
    day = calendar.local(clock.due_at).date()
    shift = calendar.end_of_day(calendar.add_business_days(day, business_days))
    new_due = clock.due_at + (shift - calendar.end_of_day(day))
    return bool(
        SLAClock.objects.filter(pk=clock.pk, state=ClockState.PAUSED).update(
            state=ClockState.RUNNING, paused_at=None, due_at=new_due
        )
    )


def restart_clock(clock: SLAClock, *, at: dt.datetime | None = None) -> SLAClock | None:
    """Close an open clock as cancelled and start its rule again on the subject from ``at``
    (full duration); ``None`` when the clock was already closed."""
    subject = clock.subject
    if subject is None or not cancel_clock(clock, at=at):
        return None
    return start_clock(clock.rule, subject, at=at)


def on_event(
    event: str,
    subject: Model,
    *,
    at: dt.datetime | None = None,
    channels: Iterable[str] | None = None,
    kind: str | None = None,
    actor=None,
) -> dict[str, list[SLAClock]]:
    """Stop the open clocks that ``event`` ends, then start the ones it begins."""
    at = at or timezone.now()
    channel_list = list(channels) if channels is not None else None
    stopped: list[SLAClock] = []
    for clock in clocks_for(subject).filter(stopped_at__isnull=True, rule__stop_event=event):
        if stop_clock(clock, at=at, actor=actor):
            stopped.append(clock)
    started = [
        start_clock(rule, subject, at=at)
        for rule in SLARule.objects.filter(active=True, start_event=event)
        if rule.applies_to(channels=channel_list, kind=kind)
    ]
    return {"started": started, "stopped": stopped}


def cancel_open_clocks(subject: Model, *, at: dt.datetime | None = None) -> int:
    """Close every open clock of ``subject`` as cancelled."""
    return sum(cancel_clock(c, at=at) for c in clocks_for(subject).filter(stopped_at__isnull=True))


def scan_breaches(now: dt.datetime | None = None) -> int:
    """Mark every open, running, overdue clock as breached, once; returns how many were new."""
    now = now or timezone.now()
    candidates = SLAClock.objects.filter(
        stopped_at__isnull=True, breached_at__isnull=True, due_at__lt=now, state=ClockState.RUNNING
    ).select_related("rule", "subject_type")
    marked = 0
    for clock in candidates.iterator():
        with transaction.atomic():
            claimed = SLAClock.objects.filter(pk=clock.pk, breached_at__isnull=True).update(
                breached_at=now
            )
            if not claimed:
                continue
            marked += 1
            record(
                "SLA_BREACHED",
                details={
                    "rule": clock.rule.code,
                    "clock": clock.pk,
                    "subject": f"{clock.subject_type.app_label}.{clock.subject_type.model}",
                    "subject_id": clock.subject_id,
                    "due_at": clock.due_at.isoformat(),
                    "responsible": clock.responsible,
                },
            )
    return marked


# Who writes why a clock was missed (the fortnightly SLA report's «motivo»).
BREACH_EXPLAINERS = frozenset({Role.ANALISTA_OCM})


@transaction.atomic
def explain_breach(clock: SLAClock, *, actor, reason: str, request=None) -> SLAClock:
    """Record why ``clock`` was late or breached (OCM; writing again corrects it)."""
    if not (actor is not None and actor.is_authenticated and actor.has_role(*BREACH_EXPLAINERS)):
        raise Forbidden(gettext("Solo OCM registra los motivos de incumplimiento de un ANS."))
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(
            gettext("Escriba el motivo del incumplimiento."), code="required", field="reason"
        )
    locked = SLAClock.objects.select_for_update().get(pk=clock.pk)
    if not locked.missed:
        raise Conflict(
            gettext("El ANS «%(rule)s» no está incumplido: no lleva motivo.")
            % {"rule": locked.rule.name}
        )
    now = timezone.now()
    SLAClock.objects.filter(pk=locked.pk).update(
        breach_reason=reason[:4000], breach_reason_by=actor, breach_reason_at=now
    )
    record(
        "SLA_BREACH_EXPLAINED",
        actor=actor,
        request=request,
        details={"clock": locked.pk, "rule": locked.rule.code, "reason": reason[:4000]},
    )
    locked.refresh_from_db()
    return locked


# The provider asks its questions within 1 business day after base management starts (receipt).
QUESTION_WINDOW_RULE = "preguntas-proveedor"


def window_due(code: str, start: dt.datetime) -> dt.datetime | None:
    """When the window of active rule ``code`` opened at ``start`` closes (None: no rule)."""
    rule = SLARule.objects.filter(code=code, active=True).first()
    return compute_due(start, rule.duration, rule.unit) if rule else None


def record_window(
    code: str, subject: Model, *, started_at: dt.datetime, at: dt.datetime
) -> SLAClock | None:
    """A closed clock of rule ``code`` on ``subject``: opened at ``started_at`` and met or late
    at ``at`` (a deadline judged when the thing happens, e.g. a question asked after the
    window). Never running, so never breached by the scan; None when the rule is inactive."""
    rule = SLARule.objects.filter(code=code, active=True).first()
    if rule is None:
        return None
    ctype, pk = _subject_key(subject)
    due = compute_due(started_at, rule.duration, rule.unit)
    return SLAClock.objects.create(
        rule=rule,
        subject_type=ctype,
        subject_id=pk,
        responsible=rule.responsible,
        started_at=started_at,
        due_at=due,
        stopped_at=at,
        state=ClockState.MET if at <= due else ClockState.LATE,
    )


# OCM reviewed delivered results: emitted before ``brief.results_sent`` and
# ``brief.results_returned`` (the rule it stops used to stop on ``brief.results_sent``).
RESULTS_REVIEWED = "brief.results_reviewed"
# ICETEX decided on the exit to campaign: emitted before ``brief.exit_approved`` and
# ``brief.exit_refused`` (the approval clock used to stop on ``brief.exit_approved`` only).
EXIT_DECIDED = "brief.exit_decided"
# The execution's daily report (README "Daily and fortnightly reports").
DAILY_REPORT_RULE = "reporte-diario-ejecucion"

# Defaults from the procedure (DESIGN §3). Event names are emitted by the brief workflow.
DEFAULT_RULES: list[dict] = [
    {
        "code": "verificacion-ocm",
        "name": "Verificación del brief por OCM",
        "start_event": "brief.submitted",
        "stop_event": "brief.verified",
        "duration": 1,
        "responsible": Responsible.ICETEX,
    },
    {
        "code": "recepcion-proveedor",
        "name": "Recepción de la base y arranque (ICETEX → proveedor)",
        "start_event": "brief.forwarded",
        "stop_event": "brief.received",
        "duration": 1,
        "responsible": Responsible.ICETEX,
    },
    {
        "code": "implementacion-whatsapp-informativa",
        "name": "Implementación WhatsApp informativa",
        "start_event": "brief.received",
        "stop_event": "brief.exit_requested",
        "duration": 2,
        "channels": ["whatsapp"],
        "kind": "informativa",
        "responsible": Responsible.PROVIDER,
    },
    {
        "code": "implementacion-whatsapp-transaccional",
        "name": "Implementación WhatsApp transaccional",
        "start_event": "brief.received",
        "stop_event": "brief.exit_requested",
        "duration": 4,
        "channels": ["whatsapp"],
        "kind": "transaccional",
        "responsible": Responsible.PROVIDER,
    },
    {
        "code": "aprobacion-salida",
        "name": "Aprobación de salida (ICETEX)",
        "start_event": "brief.exit_requested",
        "stop_event": EXIT_DECIDED,
        "duration": 1,
        "responsible": Responsible.ICETEX,
    },
    {
        "code": "whatsapp-total-informativa",
        "name": "WhatsApp informativa: entrega de base a creación de casos",
        "start_event": "brief.forwarded",
        "stop_event": "brief.results_delivered",
        "duration": 6,
        "channels": ["whatsapp"],
        "kind": "informativa",
        "responsible": Responsible.PROVIDER,
    },
    {
        "code": "whatsapp-total-transaccional",
        "name": "WhatsApp transaccional: entrega de base a creación de casos",
        "start_event": "brief.forwarded",
        "stop_event": "brief.results_delivered",
        "duration": 8,
        "channels": ["whatsapp"],
        "kind": "transaccional",
        "responsible": Responsible.PROVIDER,
    },
    {
        "code": "sms-email-ejecucion",
        "name": "SMS y correo: ejecución completa",
        "start_event": "brief.forwarded",
        "stop_event": "brief.results_delivered",
        "duration": 6,
        "channels": ["sms", "email"],
        "responsible": Responsible.PROVIDER,
    },
    {
        # Stopped by OCM's review either way: results sent to the area or returned to the
        # provider (both emit ``brief.results_reviewed`` first, as return/forward emit
        # ``brief.verified``); a re-delivery starts a new one.
        "code": "revision-resultados-ocm",
        "name": "Revisión de resultados por OCM",
        "start_event": "brief.results_delivered",
        "stop_event": RESULTS_REVIEWED,
        "duration": 1,
        "responsible": Responsible.ICETEX,
    },
    {
        # Results returned by OCM (procedure 5.2.14): the provider delivers them corrected.
        "code": "reentrega-resultados-proveedor",
        "name": "Reentrega de resultados devueltos por OCM",
        "start_event": "brief.results_returned",
        "stop_event": "brief.results_delivered",
        "duration": 1,
        "responsible": Responsible.PROVIDER,
    },
    {
        # Results rejected by the area: OCM reviews them again (sends or returns them).
        "code": "revision-rechazo-ocm",
        "name": "Revisión por OCM de resultados rechazados por el área",
        "start_event": "brief.results_rejected",
        "stop_event": RESULTS_REVIEWED,
        "duration": 1,
        "responsible": Responsible.ICETEX,
    },
    {
        # One clock per day of execution, on its ``DailyReport`` (``brief.reports.daily``):
        # started when the day closes, stopped when that day's report is sent.
        "code": DAILY_REPORT_RULE,
        "name": "Entrega de reporte diario de ejecución",
        "start_event": "daily_report.day_closed",
        "stop_event": "daily_report.sent",
        "duration": 1,
        "responsible": Responsible.PROVIDER,
    },
    {
        # Judged when each question is asked (``record_window``), never started by an event.
        "code": QUESTION_WINDOW_RULE,
        "name": "Plazo del proveedor para preguntar (desde la recepción)",
        "start_event": "brief.received.questions_window",
        "stop_event": "question.asked",
        "duration": 1,
        "responsible": Responsible.PROVIDER,
    },
    {
        # A case opened by a typification (``brief.calls``): created in ICETEX's CRM and
        # managed within one business day (the seed's «creación de casos»).
        "code": "creacion-casos",
        "name": "Creación y gestión de un caso en el CRM",
        "start_event": "case.opened",
        "stop_event": "case.closed",
        "duration": 1,
        "responsible": Responsible.PROVIDER,
    },
    {
        "code": "pregunta-respuesta",
        "name": "Respuesta a una pregunta del proveedor",
        "start_event": "question.asked",
        "stop_event": "question.answered",
        "duration": 1,
        "responsible": Responsible.ICETEX,
    },
]


def ensure_default_rules() -> int:
    """Create the default rules that do not exist yet (never overwrites admin edits)."""
    created = 0
    for spec in DEFAULT_RULES:
        defaults = {k: v for k, v in spec.items() if k != "code"}
        _, was_created = SLARule.objects.get_or_create(code=spec["code"], defaults=defaults)
        created += was_created
    return created
