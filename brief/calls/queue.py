"""Reading the call queue (no writes): a call sweep's progress, a campaign's queue figures,
and why an advisor's claim found nothing."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

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
