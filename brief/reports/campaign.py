"""The campaign report of a brief (README "Reports"): the «Ficha Técnica de Resultados».

Built on the dispatch report (``dispatch.report.build``: base summary, sweeps, totals, send times,
contact rate, effectiveness) and the contact-center figures (``calls.figures``: calls, answers),
never recomputing what they compute. This module adds the management summary against the
brief's targets (the F559 ``target_contact_rate``/``target_effectiveness``), the send-hour
histogram, sweeps against ``sweeps_planned``, the funnel per sweep with definitions, the
observations, the cost estimate and the read-register request. Everything is read from stored
rows; the same dict feeds the page, the JSON API and the PDF/XLSX/CSV documents.

Filters: ``sweep`` (a sweep number) and ``channel`` restrict the sweep part (totals, funnel,
send times, costs); the base summary, answers and observations are the brief's.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from brief.calls import billing, figures
from brief.calls.models import Interaction
from brief.campaigns.choices import Channel
from brief.campaigns.models import Brief
from brief.content import sms
from brief.content.models import LinkOpen
from brief.dispatch import report
from brief.dispatch.choices import QUEUE_CHANNELS, MessageStatus
from brief.dispatch.models import Message, Sweep

from .models import DeliveredReport, ReportConclusion

TITLE = _("Ficha Técnica de Resultados")

#: The definitions shown next to each figure (page, PDF, XLSX, JSON).
DEFINITIONS = {
    "targeted": _("Destinatarios: mensajes del barrido menos los excluidos (lista de exclusión)."),
    "sent": _(
        "Enviados: mensajes aceptados por el proveedor (incluye entregados, leídos, buzón de "
        "voz y no contestadas)."
    ),
    "delivered": _("Entregados: el proveedor confirmó la entrega (incluye leídos)."),
    "not_sent": _("No enviados: fallidos, rebotados y excluidos."),
    "read": _(
        "Leídos: confirmación de lectura del canal (WhatsApp) o descarga de la imagen de "
        "seguimiento (correo)."
    ),
    "effective": _(
        "Efectivos (mensajes): leídos más destinatarios que abrieron un enlace medido, sin "
        "superar los entregados. Efectivos (llamadas): contactos con tipificación efectiva."
    ),
    "contacted": _(
        "Contactados (llamadas): contactos con el titular (tipificación de contacto con el "
        "titular)."
    ),
    "contact_rate": _(
        "Contactabilidad: personas con al menos un mensaje entregado ÷ personas a las que se "
        "les envió (mensajes); contactos con el titular ÷ registros marcados (llamadas)."
    ),
    "effectiveness": _(
        "Efectividad: efectivos ÷ entregados (mensajes); contactos efectivos ÷ contactos con "
        "el titular (llamadas)."
    ),
    "link_opens": _("Aperturas de enlaces: todas las aperturas de los enlaces medidos."),
    "sms_segments": _(
        "Segmentos SMS: enviados por el número de segmentos del texto de la plantilla "
        "(160/153 caracteres GSM-7, 70/67 UCS-2); los campos variables pueden cambiarlo."
    ),
    "whatsapp_conversations": _(
        "Conversaciones de WhatsApp: destinatarios distintos con un mensaje enviado (una "
        "conversación iniciada por la empresa por persona)."
    ),
    "billable_interactions": _(
        "Interacciones facturables: las que tienen identificador, tipificación y grabaciones "
        "(regla de facturación del estado de cuenta)."
    ),
    "billable_messages": _(
        "Mensajes facturables: enviados con identificador del proveedor y estado final."
    ),
}

OBSERVATIONS_SHOWN = 50  # latest interaction observations listed (the XLSX has them all)


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _chosen_sweeps(brief: Brief, sweep: int | None, channel: str | None):
    chosen = Sweep.objects.filter(brief=brief).order_by("number")
    if sweep is not None:
        chosen = chosen.filter(number=sweep)
    if channel:
        chosen = chosen.filter(channel=channel)
    return chosen


def _openers_by_sweep(brief: Brief) -> dict[int, int]:
    """Distinct messages with a tracked-link opening, per sweep."""
    ids = LinkOpen.objects.filter(link__brief=brief, message_id__isnull=False).values("message_id")
    return dict(Message.objects.filter(pk__in=ids).values_list("sweep_id").annotate(n=Count("id")))


def funnel(data: dict, calls: dict, openers: dict[int, int]) -> list[dict]:
    """Per sweep: targeted → sent → delivered → read/contacted → effective (``DEFINITIONS``).
    Message sweeps from the dispatch counts; call sweeps from the call figures (contacts)."""
    by_sweep = {row["sweep"]: row for row in calls["sweeps"]}
    out = []
    for s in data["sweeps"]:
        if s["channel"] == Channel.CALL:
            c = by_sweep.get(s["id"], {})
            row = {
                "targeted": s["total"],
                "sent": c.get("dialled", 0),
                "delivered": c.get("contacted", 0),
                "read": c.get("right_party", 0),
                "effective": c.get("effective", 0),
                "stage_read": str(_("Contacto con el titular")),
            }
        else:
            t = report.totals(s["counts"])
            row = {
                "targeted": s["total"] - s["counts"]["suppressed"],
                "sent": t["sent"],
                "delivered": t["delivered"],
                "read": t["read"],
                "effective": min(t["read"] + openers.get(s["id"], 0), t["delivered"]),
                "stage_read": str(_("Leídos")),
            }
        row["contact_rate"] = figures.percent(row["delivered"], row["sent"])
        row["effectiveness"] = figures.percent(row["effective"], row["delivered"])
        label = str(Channel(s["channel"]).label) if s["channel"] in Channel.values else s["channel"]
        out.append(
            {"sweep": s["id"], "number": s["number"], "channel": s["channel"],
             "channel_label": label, **row}
        )  # fmt: skip
    return out


def _actuals(data: dict, calls: dict) -> dict[str, dict]:
    """The figures compared with the targets: the calls' when the brief made calls, the
    messages' otherwise (percentages, one decimal)."""
    overall = calls["overall"]
    if overall["dialled"]:
        return {
            "contact_rate": {
                "value": overall["contact_rate"]["value"],
                "source": "calls",
                "definition": overall["contact_rate"]["formula"],
            },
            "effectiveness": {
                "value": overall["effectiveness"]["value"],
                "source": "calls",
                "definition": overall["effectiveness"]["formula"],
            },
        }
    people = data["people_targeted"]
    delivered = data["totals"]["delivered"]
    return {
        "contact_rate": {
            "value": _percent(100 * data["contact_rate"]) if people else None,
            "source": "messages",
            "definition": str(DEFINITIONS["contact_rate"]),
        },
        "effectiveness": {
            "value": _percent(100 * data["effectiveness"]) if delivered else None,
            "source": "messages",
            "definition": str(DEFINITIONS["effectiveness"]),
        },
    }


def _target(value: Decimal | None, actual: float | None) -> dict:
    target = float(value) if value is not None else None
    met = None if target is None or actual is None else actual >= target
    return {"target": target, "actual": actual, "met": met}


def management(brief: Brief, data: dict, calls: dict) -> dict:
    """The management summary: objective, audience, dates and each target against its actual."""
    actual = _actuals(data, calls)
    labels = {
        "contact_rate": gettext("Contactabilidad"),
        "effectiveness": gettext("Efectividad"),
    }
    targets = [
        {
            "key": key,
            "label": labels[key],
            **_target(getattr(brief, f"target_{key}"), actual[key]["value"]),
            "source": actual[key]["source"],
            "definition": actual[key]["definition"],
        }
        for key in ("contact_rate", "effectiveness")
    ]
    return {
        "objective": brief.objective,
        "audience": brief.audience,
        "description": brief.description,
        "start_date": brief.start_date.isoformat() if brief.start_date else None,
        "end_date": brief.end_date.isoformat() if brief.end_date else None,
        "channels": brief.channel_labels,
        "targets": targets,
        "sweeps": {"planned": brief.sweeps_planned, "run": data["sweeps_count"]},
    }


def send_hours(send_times: list[dict]) -> list[dict]:
    """The send-time histogram by hour of the day (America/Bogota), 0–23."""
    counts: Counter[int] = Counter()
    for row in send_times:
        counts[int(row["hour"][11:13])] += row["sent"]
    return [{"hour": h, "sent": counts[h]} for h in range(24)]


def costs(brief: Brief, chosen, sweep_rows: list[dict]) -> dict:
    """The cost estimate: SMS segments, WhatsApp conversations, billable messages and billable
    interactions (``calls.billing`` rules), each with its definition. ``sweep_rows`` are the
    chosen sweeps as the dispatch report gives them, with their counts per status: the
    messages by status are read from them, not counted again."""
    sent_statuses = [
        MessageStatus.SENT,
        MessageStatus.DELIVERED,
        MessageStatus.READ,
        MessageStatus.VOICEMAIL,
        MessageStatus.NO_ANSWER,
    ]
    # Sweep ids first: a subquery in ``sweep_id IN (…)`` lets SQLite scan every message.
    ids: dict[str, list[int]] = {channel: [] for channel in Channel.values}
    for pk, channel in chosen.values_list("pk", "channel"):
        ids.setdefault(channel, []).append(pk)
    counts = {row["id"]: row["counts"] for row in sweep_rows}
    segments = 0
    for sweep in chosen.filter(channel=Channel.SMS).select_related("template"):
        sent = sum(counts[sweep.pk][status] for status in sent_statuses)
        segments += sent * sms.analyze(sweep.template.body)["segments"]
    conversations = 0
    if ids[Channel.WHATSAPP]:
        conversations = (
            Message.objects.filter(sweep__in=ids[Channel.WHATSAPP], status__in=sent_statuses)
            .values("person")
            .distinct()
            .count()
        )
    # Billable: a final status and the provider's id (``calls.billing``). The final statuses
    # from the status counts; the few without an id through its index, kept while the
    # counts stay the same (``report.kept``).
    final = [status for status in MessageStatus.values if not billing.message_exclusions(
        provider_message_id="x", status=status)]  # fmt: skip
    all_ids = [pk for pks in ids.values() for pk in pks]
    # A call sweep's counts are its queue's (``engine.counts``): its messages, if any, are
    # counted by status here.
    queued = [pk for channel in QUEUE_CHANNELS for pk in ids.get(channel, [])]
    with_status = sum(counts[pk][status] for pk in all_ids if pk not in queued for status in final)
    if queued:
        with_status += Message.objects.filter(sweep__in=queued, status__in=final).count()
    without_id = report.kept(
        "without_provider_id",
        sweep_rows,
        Message.objects.filter(provider_message_id="", sweep__in=all_ids, status__in=final).count,
    )
    billable_messages = with_status - without_id
    interactions = Interaction.objects.filter(brief=brief)
    counted = interactions.aggregate(
        total=Count("id"), billable=Count("id", filter=Q(billable=True))
    )
    return {
        "sms_segments": segments,
        "whatsapp_conversations": conversations,
        "billable_messages": billable_messages,
        "interactions": counted["total"],
        "billable_interactions": counted["billable"],
        "definitions": {
            key: str(DEFINITIONS[key])
            for key in (
                "sms_segments",
                "whatsapp_conversations",
                "billable_messages",
                "billable_interactions",
            )
        },
    }


def observations(brief: Brief, *, limit: int | None = OBSERVATIONS_SHOWN) -> dict:
    """The brief's observations and the advisors' (interactions with observations, newest
    first; ``limit`` of them, all when ``None``)."""
    rows = (
        Interaction.objects.filter(brief=brief)
        .exclude(observations="")
        .order_by("-started_at", "-id")
        .values_list("code", "started_at", "observations")
    )
    listed = rows if limit is None else rows[:limit]
    return {
        "brief": brief.observations,
        "count": rows.count(),
        "items": [
            {"interaction": code, "at": at.isoformat(), "text": text} for code, at, text in listed
        ],
    }


def conclusion(brief: Brief) -> dict | None:
    latest = ReportConclusion.objects.filter(brief=brief).select_related("author").first()
    if latest is None:
        return None
    return {"text": latest.text, "author": latest.author.display_name, "at": latest.at.isoformat()}


def delivered_versions(brief: Brief) -> list[dict]:
    return [
        {
            "version": d.version,
            "generated_at": d.generated_at.isoformat(),
            "by": d.by.display_name,
            "pdf_sha256": d.pdf_sha256,
            "xlsx_sha256": d.xlsx_sha256,
        }
        for d in DeliveredReport.objects.filter(brief=brief).select_related("by")
    ]


def build(brief: Brief, *, sweep: int | None = None, channel: str | None = None) -> dict:
    """The campaign report of ``brief`` (module docstring); keeps every key of the dispatch
    report (DESIGN §6) and adds the report's own."""
    chosen = _chosen_sweeps(brief, sweep, channel)
    data: dict[str, Any] = report.build(brief, sweeps=chosen)
    calls = figures.call_figures(brief)
    if sweep is not None or channel:
        ids = {s["id"] for s in data["sweeps"]}
        calls = {**calls, "sweeps": [r for r in calls["sweeps"] if r["sweep"] in ids]}
    data.update(
        {
            "title": str(TITLE),
            "filters": {"sweep": sweep, "channel": channel or None},
            "brief": {
                **data["brief"],
                "objective": brief.objective,
                "audience": brief.audience,
                "start_date": brief.start_date.isoformat() if brief.start_date else None,
                "end_date": brief.end_date.isoformat() if brief.end_date else None,
                "provider": brief.provider.name if brief.provider else None,
                "read_register": brief.read_register,
                "sweeps_planned": brief.sweeps_planned,
            },
            "management": management(brief, data, calls),
            "send_hours": send_hours(data["send_times"]),
            "sweeps_planned": brief.sweeps_planned,
            "funnel": funnel(data, calls, _openers_by_sweep(brief)),
            "calls": calls,
            "answers": figures.consolidate(brief),
            "observations": observations(brief),
            "costs": costs(brief, chosen, data["sweeps"]),
            "read_register": {
                "requested": brief.read_register,
                "rows": data["totals"]["read"],
            },
            "definitions": {key: str(text) for key, text in DEFINITIONS.items()},
            "conclusions": conclusion(brief),
            "delivered": delivered_versions(brief),
        }
    )
    return data


def parse_filters(params) -> dict:
    """``sweep`` (a positive number) and ``channel`` (a channel code) from query parameters;
    a bad value is an ``Invalid`` (400 in the API, a message on the page)."""
    from brief.core.exceptions import Invalid

    out: dict[str, Any] = {"sweep": None, "channel": None}
    sweep = (params.get("sweep") or "").strip()
    if sweep:
        if not sweep.isdigit() or int(sweep) < 1:
            raise Invalid(gettext("Barrido no válido."), code="bad_filter", field="sweep")
        out["sweep"] = int(sweep)
    channel = (params.get("channel") or "").strip()
    if channel:
        if channel not in Channel.values:
            raise Invalid(gettext("Canal no válido."), code="bad_filter", field="channel")
        out["channel"] = channel
    return out
