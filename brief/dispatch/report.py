"""The campaign report's dispatch part (DESIGN §6): sweeps, totals, rates, send times."""

from __future__ import annotations

from django.db.models import Count
from django.db.models.functions import TruncHour
from django.utils.translation import gettext_lazy as _

from brief.contacts.actions import base_summary
from brief.core.calendar import BOGOTA

from . import engine
from .choices import COUNT_KEYS, MessageStatus
from .models import Message, Sweep

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


def build(brief) -> dict:
    """The report of a brief as JSON-ready data."""
    from brief.content.links import opens_count, recipients_who_opened

    sweeps = list(Sweep.objects.filter(brief=brief).select_related("provider_account"))
    sweep_rows = [sweep_json(s) for s in sweeps]
    summed = dict.fromkeys(COUNT_KEYS, 0)
    for row in sweep_rows:
        for key, value in row["counts"].items():
            summed[key] = summed.get(key, 0) + value
    delivered = summed["delivered"] + summed["read"]
    targeted = sum(row["total"] for row in sweep_rows) - summed["suppressed"]
    people_reached = (
        Message.objects.filter(
            sweep__brief=brief, status__in=[MessageStatus.DELIVERED, MessageStatus.READ]
        )
        .values("person")
        .distinct()
        .count()
    )
    people_targeted = (
        Message.objects.filter(sweep__brief=brief)
        .exclude(status=MessageStatus.SUPPRESSED)
        .values("person")
        .distinct()
        .count()
    )
    effective = summed["read"] + recipients_who_opened(brief)
    hours = (
        Message.objects.filter(sweep__brief=brief, sent_at__isnull=False)
        .annotate(hour=TruncHour("sent_at", tzinfo=BOGOTA))
        .values("hour")
        .annotate(n=Count("id"))
        .order_by("hour")
    )
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
        "send_times": [{"hour": h["hour"].isoformat(), "sent": h["n"]} for h in hours],
        "read_tracking": read_tracking(),
    }
