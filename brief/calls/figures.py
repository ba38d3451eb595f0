"""A campaign's contact-center figures (read only): contact rate and effectiveness of calls from
their typifications, message rates from their statuses, and the survey answers consolidated per
question with NPS and CSAT.

Every rate is a percentage (0–100, one decimal) with its numerator, denominator and the
definition shown next to it (``FORMULAS``); a rate whose denominator is 0 is ``None``.

Calls (interactions on the call channel), counted over distinct contacts (records of the base):
*dialled* are the contacts with at least one call; *contacted* those with a call typified with a
leaf that counts as contact (the right party or a third party); *right party* those with a call
typified as a right-party contact; *effective* those with a call typified effective (objective
met). Contact rate = right party ÷ dialled; total contact rate = contacted ÷ dialled;
effectiveness = effective ÷ right party. Per sweep (the interaction's sweep; «sin barrido» when
none) a contact counts in each sweep that called it, and overall once.

Messages: the dispatch report's totals (``dispatch.report.totals``) of the brief's message sweeps
(every channel but calls, which are measured above): delivered ÷ sent, read ÷ delivered, and
replied ÷ delivered (messages that got at least one inbound reply).

Answers: one answer per person and question — when a contact answered in several interactions,
the latest one counts (an interaction without contact counts on its own).
"""

from __future__ import annotations

import io
import statistics
from collections import Counter
from typing import Any

from django.db.models import Count, F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from brief.campaigns.choices import Channel
from brief.campaigns.models import Brief
from brief.content.choices import QuestionKind
from brief.dispatch import engine, report
from brief.dispatch.choices import COUNT_KEYS
from brief.dispatch.models import InboundMessage, Sweep

from .answers import SCALES, script_questions
from .models import Interaction

FORMULAS = {
    "contact_rate": _(
        "Contactos con el titular ÷ registros marcados (contactos distintos con al menos una "
        "llamada)."
    ),
    "total_contact_rate": _(
        "Contactos (titular o tercero: tipificación que cuenta como contacto) ÷ registros marcados."
    ),
    "effectiveness": _("Contactos efectivos (objetivo cumplido) ÷ contactos con el titular."),
    "delivery_rate": _("Entregados ÷ enviados (aceptados por el proveedor)."),
    "read_rate": _("Leídos ÷ entregados."),
    "reply_rate": _("Mensajes con al menos una respuesta ÷ entregados."),
    "nps": _(
        "NPS = % promotores (9–10) − % detractores (0–6), sobre todas las respuestas; "
        "va de −100 a 100."
    ),
    "csat": _("CSAT = respuestas 4 o 5 ÷ todas las respuestas × 100."),
    "percent": _("Respuestas de la opción ÷ personas que respondieron la pregunta."),
}
FIGURE_LABELS = {
    "contact_rate": _("Tasa de contacto con el titular"),
    "total_contact_rate": _("Tasa de contacto total"),
    "effectiveness": _("Efectividad"),
    "delivery_rate": _("Tasa de entrega"),
    "read_rate": _("Tasa de lectura"),
    "reply_rate": _("Tasa de respuesta"),
}
STAT_LABELS = {
    "min": _("Mínimo"),
    "max": _("Máximo"),
    "mean": _("Promedio"),
    "median": _("Mediana"),
    "earliest": _("Primera fecha"),
    "latest": _("Última fecha"),
}
# NPS groups on the 0–10 scale.
PROMOTERS = range(9, 11)
DETRACTORS = range(7)
# CSAT: satisfied answers on the 1–5 scale.
SATISFIED = range(4, 6)


def percent(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` as a percentage with one decimal (``None`` when ``whole`` is 0)."""
    return round(100 * part / whole, 1) if whole else None


def rate(key: str, part: int, whole: int) -> dict:
    """A figure with its numerator, denominator and definition."""
    return {
        "value": percent(part, whole),
        "numerator": part,
        "denominator": whole,
        "formula": str(FORMULAS[key]),
    }


# --- calls ---------------------------------------------------------------------------------

CALL_COUNTS = {
    "calls": Count("id"),
    "typified": Count("id", filter=Q(typification__isnull=False)),
    "dialled": Count("contact", distinct=True),
    "contacted": Count("contact", distinct=True, filter=Q(typification__counts_as_contact=True)),
    "right_party": Count("contact", distinct=True, filter=Q(typification__right_party=True)),
    "effective": Count("contact", distinct=True, filter=Q(typification__effective=True)),
}


def call_row(counts: dict) -> dict:
    """The call figures of one group of ``CALL_COUNTS`` aggregates (a brief, a sweep, a month or
    a provider): the counts and the three rates."""
    row: dict[str, Any] = {name: int(counts.get(name) or 0) for name in CALL_COUNTS}
    row["contact_rate"] = rate("contact_rate", row["right_party"], row["dialled"])
    row["total_contact_rate"] = rate("total_contact_rate", row["contacted"], row["dialled"])
    row["effectiveness"] = rate("effectiveness", row["effective"], row["right_party"])
    return row


def call_figures(brief: Brief) -> dict:
    """Contact rate, total contact rate and effectiveness of the brief's calls, overall and
    per sweep (module docstring); cheap enough to show after every call."""
    calls = Interaction.objects.filter(brief=brief, channel=Channel.CALL)
    overall = call_row(calls.aggregate(**CALL_COUNTS))
    sweeps = []
    per_sweep = (
        calls.values("sweep_id", "sweep__number")
        .annotate(**CALL_COUNTS)
        .order_by(F("sweep__number").asc(nulls_last=True))
    )
    for counts in per_sweep:
        sweeps.append({"sweep": counts["sweep_id"], "number": counts["sweep__number"]})
        sweeps[-1].update(call_row(counts))
    return {"overall": overall, "sweeps": sweeps}


# --- messages ------------------------------------------------------------------------------


def message_row(counts: dict[str, int], replied: int, replies: int) -> dict:
    """The message figures of one group of status counts (``COUNT_KEYS``): the report's totals
    and the delivery, read and reply rates."""
    row: dict[str, Any] = report.totals(counts)
    row["replies"] = replies
    row["replied"] = replied
    row["delivery_rate"] = rate("delivery_rate", row["delivered"], row["sent"])
    row["read_rate"] = rate("read_rate", row["read"], row["delivered"])
    row["reply_rate"] = rate("reply_rate", replied, row["delivered"])
    return row


def message_figures(brief: Brief) -> dict:
    """Delivery, read and reply rates of the brief's message sweeps, overall and per sweep,
    from the message statuses as the dispatch report totals them."""
    sweeps = list(Sweep.objects.filter(brief=brief).exclude(channel=Channel.CALL))
    inbound = InboundMessage.objects.filter(message__sweep__in=sweeps)
    replies = dict(inbound.values_list("message__sweep").annotate(n=Count("id")))
    replied = dict(
        inbound.values_list("message__sweep").annotate(n=Count("message", distinct=True))
    )
    rows, summed = [], Counter[str]()
    for sweep in sweeps:
        counts = engine.counts(sweep)
        summed.update(counts)
        row = message_row(counts, replied.get(sweep.pk, 0), replies.get(sweep.pk, 0))
        rows.append({"sweep": sweep.pk, "number": sweep.number, "channel": sweep.channel, **row})
    zero = dict.fromkeys(COUNT_KEYS, 0)
    overall = message_row({**zero, **summed}, sum(replied.values()), sum(replies.values()))
    return {"overall": overall, "sweeps": rows}


# --- answers -------------------------------------------------------------------------------


def _latest_answers(brief: Brief) -> dict[str, dict[Any, tuple]]:
    """``{question key: {person: (value, interaction code, started_at)}}``, the latest answer of
    each person (contact, or the interaction itself when it has none)."""
    out: dict[str, dict[Any, tuple]] = {}
    rows = (
        Interaction.objects.filter(brief=brief)
        .exclude(answers={})
        .order_by("started_at", "id")
        .values_list("pk", "code", "contact_id", "started_at", "answers")
    )
    for pk, code, contact_id, started_at, answers in rows.iterator(chunk_size=2000):
        if not isinstance(answers, dict):
            continue
        person = contact_id if contact_id is not None else f"i{pk}"
        for key, value in answers.items():
            if value is not None and value != "":
                out.setdefault(key, {})[person] = (value, code, started_at)
    return out


def _options(question: dict, values: list) -> list[tuple[Any, str]]:
    """The options of a choice or yes/no question as ``(stored value, label)``, with any stored
    value the script does not list (an older script) at the end."""
    if question["kind"] == QuestionKind.YES_NO:
        listed: list[tuple[Any, str]] = [(True, gettext("Sí")), (False, gettext("No"))]
    else:
        listed = [(o, str(o)) for o in question["options"]]
    known = {value for value, _label in listed}
    extra = sorted({str(v) for v in values if v not in known})
    return listed + [(v, v) for v in extra]


def _scale(question: dict, values: list) -> dict:
    low, high = SCALES[question["kind"]]
    scores = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    counts = Counter(scores)
    n = len(scores)
    out: dict[str, Any] = {
        "answered": n,
        "distribution": [
            {"score": s, "count": counts[s], "percent": percent(counts[s], n)}
            for s in range(low, high + 1)
        ],
    }
    if question["kind"] == QuestionKind.NPS:
        promoters = sum(counts[s] for s in PROMOTERS)
        detractors = sum(counts[s] for s in DETRACTORS)
        out["promoters"] = {"count": promoters, "percent": percent(promoters, n)}
        out["passives"] = {
            "count": n - promoters - detractors,
            "percent": percent(n - promoters - detractors, n),
        }
        out["detractors"] = {"count": detractors, "percent": percent(detractors, n)}
        out["nps"] = {
            "value": round(100 * (promoters - detractors) / n, 1) if n else None,
            "formula": str(FORMULAS["nps"]),
        }
    else:
        satisfied = sum(counts[s] for s in SATISFIED)
        out["csat"] = {**rate("csat", satisfied, n)}
    return out


def _numbers(values: list) -> dict:
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if not numbers:
        return {"answered": 0, "min": None, "max": None, "mean": None, "median": None}
    return {
        "answered": len(numbers),
        "min": min(numbers),
        "max": max(numbers),
        "mean": round(statistics.fmean(numbers), 2),
        "median": statistics.median(numbers),
    }


def consolidate(brief: Brief, *, text_sample: int = 5) -> list[dict]:
    """The survey answers per question of the brief's call script: counts and percentages per
    option (choice, yes/no), number stats, the earliest and latest date, the number of
    free-text answers with the latest ``text_sample`` (all of them: :func:`text_answers`), and
    the NPS and CSAT of rating questions with their formula."""
    latest = _latest_answers(brief)
    out = []
    for question in script_questions(brief):
        given = latest.get(question["key"], {})
        values = [value for value, _code, _at in given.values()]
        row: dict[str, Any] = {
            "key": question["key"],
            "text": question["text"],
            "kind": question["kind"],
            "answered": len(values),
        }
        kind = question["kind"]
        if kind in (QuestionKind.CHOICE, QuestionKind.YES_NO):
            counts = Counter(values)
            row["options"] = [
                {
                    "value": value,
                    "label": label,
                    "count": counts.get(value, 0),
                    "percent": percent(counts.get(value, 0), len(values)),
                }
                for value, label in _options(question, values)
            ]
            row["percent_formula"] = str(FORMULAS["percent"])
        elif kind in SCALES:
            row.update(_scale(question, values))
        elif kind == QuestionKind.NUMBER:
            row.update(_numbers(values))
        elif kind == QuestionKind.DATE:
            days = sorted(str(v) for v in values)
            row["earliest"], row["latest"] = (days[0], days[-1]) if days else (None, None)
        else:
            row["sample"] = text_answers(brief, question["key"], latest=latest)[:text_sample]
        out.append(row)
    return out


def text_answers(brief: Brief, key: str, *, latest: dict | None = None) -> list[dict]:
    """The free-text answers to question ``key``, newest first, with the interaction's code and
    start (page them with a paginator)."""
    latest = _latest_answers(brief) if latest is None else latest
    rows = [
        {"text": str(value), "interaction": code, "at": at.isoformat()}
        for value, code, at in latest.get(key, {}).values()
    ]
    return sorted(rows, key=lambda r: (r["at"], r["interaction"]), reverse=True)


def figures(brief: Brief) -> dict:
    """Everything the results page, its API and its XLSX show."""
    return {
        "brief": brief.code,
        "calls": call_figures(brief),
        "messages": message_figures(brief),
        "questions": consolidate(brief),
    }


def export_data(brief: Brief) -> tuple[dict, dict[str, list[dict]]]:
    """``(figures, {free-text question key: every answer})``: what the XLSX holds."""
    data = figures(brief)
    latest = _latest_answers(brief)
    texts = {
        q["key"]: text_answers(brief, q["key"], latest=latest)
        for q in data["questions"]
        if "sample" in q
    }
    return data, texts


# --- the XLSX download ---------------------------------------------------------------------


def figures_xlsx(data: dict, texts: dict[str, list[dict]]) -> bytes:
    """The consolidation as a workbook: calls, messages, questions and free-text answers
    (``texts``: question key → :func:`text_answers`). Text is written as text (never a
    formula); each rate has its numerator, denominator and definition beside it."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#EEF2F7"})

    def sheet(name: str, header: list[str]):
        page = book.add_worksheet(name)
        for c, title in enumerate(header):
            page.write_string(0, c, title, bold)
        page.set_column(0, len(header) - 1, 18)
        page.freeze_panes(1, 0)
        return page

    def put(page, r: int, values: list) -> None:
        for c, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                page.write_string(r, c, str(value))
            else:
                page.write_number(r, c, value)

    rate_header = [gettext("Barrido"), gettext("Canal"), gettext("Indicador"),
                   gettext("Valor (%)"), gettext("Numerador"), gettext("Denominador"),
                   gettext("Definición")]  # fmt: skip
    blocks = [
        (gettext("Llamadas"), "calls", ("contact_rate", "total_contact_rate", "effectiveness")),
        (gettext("Mensajes"), "messages", ("delivery_rate", "read_rate", "reply_rate")),
    ]
    for name, block, keys in blocks:
        page, r = sheet(name, rate_header), 1
        rows = [(gettext("Total"), "", data[block]["overall"])]
        rows += [
            (str(s["number"] or gettext("Sin barrido")), s.get("channel", Channel.CALL), s)
            for s in data[block]["sweeps"]
        ]
        for label, channel, row in rows:
            for key in keys:
                f = row[key]
                put(page, r, [label, channel, str(FIGURE_LABELS[key]), f["value"],
                              f["numerator"], f["denominator"], f["formula"]])  # fmt: skip
                r += 1
    questions = sheet(
        gettext("Preguntas"),
        [gettext("Pregunta"), gettext("Clave"), gettext("Respuesta"), gettext("Cantidad"),
         gettext("Porcentaje"), gettext("Definición")],
    )  # fmt: skip
    r = 1
    for q in data["questions"]:
        lines: list[list] = [[gettext("Respondieron"), q["answered"], None, ""]]
        if "options" in q:
            lines += [[o["label"], o["count"], o["percent"], ""] for o in q["options"]]
        if "distribution" in q:
            lines += [[str(d["score"]), d["count"], d["percent"], ""] for d in q["distribution"]]
        if "nps" in q:
            lines.append(["NPS", None, q["nps"]["value"], q["nps"]["formula"]])
        if "csat" in q:
            lines.append(["CSAT", q["csat"]["numerator"], q["csat"]["value"], q["csat"]["formula"]])
        for name in ("min", "max", "mean", "median", "earliest", "latest"):
            if name in q:
                lines.append([str(STAT_LABELS[name]), q[name], None, ""])
        for line in lines:
            put(questions, r, [q["text"], q["key"], *line])
            r += 1
    free = sheet(
        gettext("Respuestas abiertas"),
        [gettext("Pregunta"), gettext("Interacción"), gettext("Fecha"), gettext("Respuesta")],
    )
    free.set_column(3, 3, 80)
    r = 1
    for key, rows_ in texts.items():
        for row in rows_:
            put(free, r, [key, row["interaction"], row["at"], row["text"]])
            r += 1
    book.close()
    return buffer.getvalue()
