"""The campaign report's dispatch part (DESIGN §6): sweeps, totals, rates, send times."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db.models import Case, Count, Max, Sum, When
from django.utils.translation import gettext_lazy as _

from brief.contacts.actions import base_summary
from brief.core.calendar import BOGOTA

from . import engine
from .choices import COUNT_KEYS, QUEUE_CHANNELS, MessageStatus
from .models import Message, Sweep

T = TypeVar("T")

#: What an e-mail "read" means and where it falls short (shown in the report's JSON and page).
EMAIL_READ_LIMITS = (
    _(
        "Un correo cuenta como leído cuando su cliente de correo descarga la imagen de 1×1 "
        "firmada del mensaje."
    ),
    _(
        "Subestima: los clientes que bloquean imágenes (o las muestran solo a pedido) y los "
        "correos leídos solo como texto no se cuentan."
    ),
    _(
        "Sobrestima: la protección de privacidad de Apple Mail y los proxies de imágenes "
        "(Gmail, filtros antispam corporativos) descargan la imagen sin que la persona abra "
        "el correo; esas lecturas no se distinguen de las reales."
    ),
)


def read_tracking() -> dict:
    """How reads are measured per channel and the known limits of e-mail open tracking."""
    return {"email": "pixel", "email_limits": [str(text) for text in EMAIL_READ_LIMITS]}


def sweep_json(sweep: Sweep) -> dict:
    return {
        "id": sweep.pk,
        "number": sweep.number,
        "channel": sweep.channel,
        "state": sweep.state,
        "include": sweep.include,
        "provider_account": sweep.provider_account.code if sweep.provider_account else None,
        "total": sweep.total,
        "counts": engine.counts(sweep),
        "start_at": sweep.start_at.isoformat() if sweep.start_at else None,
        "started_at": sweep.started_at.isoformat() if sweep.started_at else None,
        "finished_at": sweep.finished_at.isoformat() if sweep.finished_at else None,
    }


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def totals(counts: dict[str, int]) -> dict[str, int]:
    """Message totals from status counts (``engine.counts``, summed over sweeps) as the report
    states them: ``delivered`` includes ``read``; ``sent`` is every message the provider
    accepted (calls placed but not answered by a person were accepted, not delivered)."""
    delivered = counts["delivered"] + counts["read"]
    return {
        "sent": counts["sent"] + delivered + counts["voicemail"] + counts["no_answer"],
        "delivered": delivered,
        "read": counts["read"],
        "voicemail": counts["voicemail"],
        "not_answered": counts["no_answer"],
        "not_sent": counts["failed"] + counts["bounced"] + counts["suppressed"],
        "bounced": counts["bounced"],
        "failed": counts["failed"],
        "suppressed": counts["suppressed"],
        "unknown": counts["unknown"],
        "pending": counts["queued"] + counts["deferred"],
    }


def send_times(sweep_ids: list[int]) -> list[dict]:
    """Messages sent per hour, as America/Bogota hours.

    Counted hour by hour on the ``(sweep, sent_at)`` index: the first send at or after the
    hour reached, then a ranged ``COUNT`` of that hour, then a jump to the next send — two
    index lookups per hour with sends, no row read and no per-row function (a ``GROUP BY``
    on an hour expression reads every row and sorts them). Bogota's offset is whole hours,
    so each UTC hour is one local hour.
    """
    local: Counter[dt.datetime] = Counter()
    hour = dt.timedelta(hours=1)
    for sweep_id in sweep_ids:
        sent = Message.objects.filter(sweep_id=sweep_id, sent_at__isnull=False)
        first = sent.order_by("sent_at").values_list("sent_at", flat=True).first()
        while first is not None:
            start = first.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
            n = sent.filter(sent_at__gte=start, sent_at__lt=start + hour).count()
            local[start.astimezone(BOGOTA)] += n
            first = (
                sent.filter(sent_at__gte=start + hour)
                .order_by("sent_at")
                .values_list("sent_at", flat=True)
                .first()
            )
    return [{"hour": h.isoformat(), "sent": n} for h, n in sorted(local.items())]


def people_counts(messages, sweep_rows: list[dict], summed: dict[str, int]) -> tuple[int, int]:
    """(people with a delivered or read message, people sent to — not suppressed).

    One sweep has one message per contact of its base, and an imported base keeps one contact
    per person (duplicates by document are rejected), so one sweep's people are its messages:
    the status counts answer without reading the rows. Over several sweeps a person may have
    several messages: one grouping by person counts both."""
    if len(sweep_rows) == 1:
        sent_to = sum(summed[key] for key in COUNT_KEYS) - summed["suppressed"]
        return summed["delivered"] + summed["read"], sent_to
    return kept("people", sweep_rows, lambda: _people_grouped(messages))


def _people_grouped(messages) -> tuple[int, int]:
    """(reached, targeted) by one grouping of ``messages`` by person."""
    per_person = (
        messages.exclude(status=MessageStatus.SUPPRESSED)
        .values("person")
        .annotate(
            hit=Max(
                Case(
                    When(status__in=[MessageStatus.DELIVERED, MessageStatus.READ], then=1),
                    default=0,
                )
            )
        )
        .order_by()
    )
    people = per_person.aggregate(targeted=Count("hit"), reached=Sum("hit"))
    return people["reached"] or 0, people["targeted"]


# How long a figure keyed by :func:`counts_key` is kept (a bound on what the key cannot see).
COUNTS_KEY_SECONDS = 600


def counts_key(sweep_rows: list[dict]) -> str:
    """A key of the state of the sweeps' messages for figures that read every message (people
    across sweeps, billable messages without a provider id): each sweep's id, scheduled start
    and count per status (``sweep_json``). Statuses only move to a higher rank (``RANK``;
    ``_requeue`` moves only sending, sent and failed messages back), so while every count
    is the same, no message entered or left delivered, read, suppressed or a final status:
    the figures are the same. A new message changes the counts; a sweep deleted is not
    asked for."""
    state = [(row["id"], row["start_at"], sorted(row["counts"].items())) for row in sweep_rows]
    return hashlib.sha256(json.dumps(state).encode()).hexdigest()


def kept(name: str, sweep_rows: list[dict], compute: Callable[[], T]) -> T:
    """``compute()``, kept in Django's cache under ``name`` and :func:`counts_key` for
    ``COUNTS_KEY_SECONDS``. Not kept when a sweep works a queue (``QUEUE_CHANNELS``): its
    counts are the queue's, not its messages'."""
    if any(row["channel"] in QUEUE_CHANNELS for row in sweep_rows):
        return compute()
    key = f"dispatch.report.{name}:{counts_key(sweep_rows)}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, COUNTS_KEY_SECONDS)
    return found


def build(brief, *, sweeps=None) -> dict:
    """The report of a brief as JSON-ready data; ``sweeps`` (a queryset of the brief's sweeps)
    restricts the sweep part to those sweeps (the campaign report's sweep and channel filters).
    """
    from brief.content.links import opens_count, recipients_who_opened

    whole = sweeps is None
    chosen = Sweep.objects.filter(brief=brief) if whole else sweeps
    sweeps = list(chosen.select_related("provider_account"))
    sweep_rows = [sweep_json(s) for s in sweeps]
    summed = dict.fromkeys(COUNT_KEYS, 0)
    for row in sweep_rows:
        for key, value in row["counts"].items():
            summed[key] = summed.get(key, 0) + value
    delivered = summed["delivered"] + summed["read"]
    targeted = sum(row["total"] for row in sweep_rows) - summed["suppressed"]
    messages = Message.objects.filter(sweep__in=[s.pk for s in sweeps])
    people_reached, people_targeted = people_counts(messages, sweep_rows, summed)
    effective = summed["read"] + recipients_who_opened(brief, None if whole else messages)
    return {
        "brief": {
            "code": brief.code,
            "name": brief.name,
            "status": brief.status,
            "area": brief.area.name,
            "channels": brief.channels,
            "kind": brief.kind,
            "campaign_class": brief.campaign_class,
        },
        "base": base_summary(brief),
        "sweeps": sweep_rows,
        "totals": {
            "messages": sum(row["total"] for row in sweep_rows),
            **totals(summed),
            "link_opens": opens_count(brief),
        },
        "sweeps_count": len(sweeps),
        "targeted": targeted,
        "people_targeted": people_targeted,
        "people_reached": people_reached,
        "contact_rate": _ratio(people_reached, people_targeted),
        "effectiveness": _ratio(min(effective, delivered), delivered),
        "send_times": send_times([s.pk for s in sweeps]),
        "read_tracking": read_tracking(),
    }
