"""Reading the call queue (no writes): a call sweep's progress, a campaign's queue counts,
and why an advisor's claim found nothing."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext

from brief.campaigns.choices import Channel
from brief.core import calendar

from .models import QueueEntry


def _buckets(now: dt.datetime) -> dict[str, Q]:
    """The queue's four states: pending (never called), in progress (an advisor holds it),
    worked (called, waiting for its retry or callback) and closed."""
    held = Q(holder__isnull=False, held_until__gte=now)
    return {
        "pending": Q(closed=False, attempts=0) & ~held,
        "in_progress": Q(closed=False) & held,
        "worked": Q(closed=False, attempts__gt=0) & ~held,
        "closed": Q(closed=True),
    }


def queue_counts(entries, *, now: dt.datetime | None = None) -> dict[str, int]:
    """``{pending, in_progress, worked, closed}`` of a queryset of queue entries."""
    now = now or timezone.now()
    return entries.aggregate(**{key: Count("id", filter=q) for key, q in _buckets(now).items()})


def sweep_counts(sweep) -> dict[str, int]:
    """A call sweep's progress (``dispatch.choices.QUEUE_CHANNELS``): its queue entries."""
    return queue_counts(QueueEntry.objects.filter(sweep=sweep))


def campaign_queue(brief, *, now: dt.datetime | None = None) -> dict[str, int]:
    """What only the queue knows about a campaign (its call figures are
    :func:`.figures.call_figures`): ``pending`` (open and nobody holds it: never called, or
    waiting for its retry or callback), ``held`` (an advisor has it) and ``closed``."""
    counts = queue_counts(QueueEntry.objects.filter(brief=brief), now=now)
    return {
        "pending": counts["pending"] + counts["worked"],
        "held": counts["in_progress"],
        "closed": counts["closed"],
    }


def why_nothing(brief, *, now: dt.datetime | None = None) -> str:
    """Why a claim on ``brief``'s queue found nothing, in Spanish (the first reason that
    applies, in the order ``claim_next`` filters)."""
    from brief.dispatch.choices import SweepState
    from brief.dispatch.models import DailyContact

    now = now or timezone.now()
    entries = QueueEntry.objects.filter(brief=brief)
    if not entries.exists():
        return gettext(
            "La cola de llamadas está vacía: el director de canal la llena con un barrido de "
            "llamadas."
        )
    open_ = entries.filter(closed=False)
    if not open_.exists():
        return gettext("Todos los contactos de la cola están cerrados: la campaña terminó.")
    running = open_.filter(Q(sweep__isnull=True) | Q(sweep__state=SweepState.RUNNING))
    if not running.exists():
        return gettext("El barrido de llamadas está en pausa o cancelado.")
    if calendar.next_contact_window(now, Channel.CALL) != now:
        running = running.filter(sweep__ignore_windows=True)
        if not running.exists():
            opens = calendar.local(calendar.next_contact_window(now, Channel.CALL))
            return gettext(
                "Fuera de la franja de llamadas (lunes a viernes de 7:00 a 19:00, sábados de "
                "8:00 a 15:00, nunca domingos ni festivos). Abre el %(when)s."
            ) % {"when": opens.strftime("%d/%m/%Y %H:%M")}
    free = running.filter(Q(holder__isnull=True) | Q(held_until__lt=now))
    if not free.exists():
        return gettext("Todos los contactos pendientes están en gestión por otros asesores.")
    due = free.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    if not due.exists():
        upcoming = calendar.local(
            free.order_by("next_attempt_at").values_list("next_attempt_at", flat=True)[0] or now
        )
        return gettext(
            "Ningún contacto toca todavía: el próximo reintento o rellamada es el %(when)s."
        ) % {"when": upcoming.strftime("%d/%m/%Y %H:%M")}
    today = DailyContact.objects.filter(day=calendar.local(now).date()).values("person")
    if not due.filter(Q(sweep__ignore_daily_cap=True) | ~Q(person__in=today)).exists():
        return gettext(
            "Los contactos pendientes ya fueron contactados hoy (un contacto por persona al "
            "día): vuelven mañana."
        )
    return gettext("Los contactos pendientes están en listas de exclusión de llamadas.")
