"""The fortnightly SLA (ANS) report (procedure §6 «informe quincenal de seguimiento de ANS»).

A fortnight is the 1st–15th or the 16th–end of a month (Bogota). The report lists every clock
that ran in it — started before its end and not closed before its start; cancelled clocks
(«anulado») are left out — of every brief (a clock on a question, a case or a daily report
counts for its brief), with its rule, start, due time, stop, verdict, responsible side and the
breach reason OCM wrote (``sla.explain_breach``). Verdicts are judged when the report is built:

- ``on_time``: stopped by its due time; ``late``: stopped after it;
- ``open_breached``: still open and past due (or marked breached by the scan);
- ``open``: still open and not yet due — listed, left out of the percentages.

Compliance = on time ÷ (on time + late + open breached), per rule (phase) and per responsible
side (ICETEX, and the provider of each brief), as percentages with one decimal.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import polars as pl
import xlsxwriter
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from brief.calls.figures import percent
from brief.campaigns.models import Brief
from brief.campaigns.notifications import FOOTER
from brief.core import calendar
from brief.core.audit import record
from brief.core.choices import ClockState, Responsible
from brief.core.models import AuditEvent, SLAClock

from .monthly import PDF_TYPE, XLSX_TYPE, ocm_recipients, pdf_document, pdf_table, write_sheet

VERDICTS = {
    "on_time": gettext_lazy("a tiempo"),
    "late": gettext_lazy("tarde"),
    "open_breached": gettext_lazy("abierto, vencido"),
    "open": gettext_lazy("abierto, en plazo"),
}
JUDGED = ("on_time", "late", "open_breached")
SENT_EVENT = "SLA_REPORT_SENT"


# --- fortnights ------------------------------------------------------------------------


def fortnight_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The fortnight containing ``day``: the 1st–15th or the 16th–last day of its month."""
    if day.day <= 15:
        return day.replace(day=1), day.replace(day=15)
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return day.replace(day=16), following - dt.timedelta(days=1)


def previous_fortnight(day: dt.date) -> tuple[dt.date, dt.date]:
    """The fortnight before the one containing ``day`` (on the 1st: the 16th–end of last
    month; on the 16th: the 1st–15th)."""
    start, _ = fortnight_of(day)
    return fortnight_of(start - dt.timedelta(days=1))


def bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``[start 00:00, end + 1 day 00:00)`` in Bogota."""
    begin = dt.datetime.combine(start, dt.time.min, tzinfo=calendar.BOGOTA)
    finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=calendar.BOGOTA)
    return begin, finish


# --- the data --------------------------------------------------------------------------


def verdict(clock: SLAClock, now: dt.datetime) -> str:
    if clock.stopped_at is not None:
        return "late" if clock.state == ClockState.LATE else "on_time"
    if clock.breached_at is not None or now > clock.due_at:
        return "open_breached"
    return "open"


def _briefs_of(clocks: list[SLAClock], briefs_in=None) -> dict[int, Brief | None]:
    """Each clock's brief (its subject, or the subject's ``brief``), fetched per subject type,
    among ``briefs_in`` (a queryset of briefs; all of them by default)."""
    brief_type = ContentType.objects.get_for_model(Brief)
    by_type: dict[int, set[int]] = defaultdict(set)
    for clock in clocks:
        by_type[clock.subject_type_id].add(clock.subject_id)
    brief_of_subject: dict[tuple[int, int], int | None] = {}
    for type_id, ids in by_type.items():
        if type_id == brief_type.pk:
            brief_of_subject.update({(type_id, pk): pk for pk in ids})
            continue
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None or not any(f.name == "brief" for f in model._meta.get_fields()):
            continue
        for pk, brief_id in model._default_manager.filter(pk__in=ids).values_list("pk", "brief"):
            brief_of_subject[(type_id, pk)] = brief_id
    scope = Brief.objects.all() if briefs_in is None else briefs_in
    briefs = scope.select_related("provider", "area").in_bulk(
        {b for b in brief_of_subject.values() if b}
    )
    return {
        c.pk: briefs.get(brief_of_subject.get((c.subject_type_id, c.subject_id)) or 0)
        for c in clocks
    }


def _compliance(rows: list[dict], key) -> list[dict[str, Any]]:
    groups: dict[Any, dict[str, Any]] = {}
    for row in rows:
        k, label = key(row)
        group = groups.setdefault(
            k, {"key": k, "label": label, **dict.fromkeys(VERDICTS, 0), "judged": 0}
        )
        group[row["verdict"]] += 1
        group["judged"] += row["verdict"] in JUDGED
    out = []
    for group in groups.values():
        group["compliance"] = percent(group["on_time"], group["judged"])
        out.append(group)
    return sorted(out, key=lambda g: str(g["label"]))


# The page's «Resultado» filter: one verdict, or every missed one (late or open and past due).
MISSED = "missed"
VERDICT_FILTERS = {
    MISSED: gettext_lazy("incumplidos (tarde o vencidos)"),
    **VERDICTS,
}


def build(
    start: dt.date,
    end: dt.date,
    *,
    now: dt.datetime | None = None,
    briefs: Any = None,
    outcome: str = "",
) -> dict[str, Any]:
    """The SLA report of the fortnight (or any period) ``start``–``end`` as JSON-ready data.

    ``briefs`` (a queryset) limits it to those briefs (the reader's scope and the page's area
    filter), ``outcome`` to one verdict or to :data:`MISSED`; the percentages are those of the
    clocks kept."""
    now = now or timezone.now()
    begin, finish = bounds(start, end)
    clocks = list(
        SLAClock.objects.filter(started_at__lt=finish)
        .filter(Q(stopped_at__isnull=True) | Q(stopped_at__gte=begin))
        .exclude(state=ClockState.CANCELLED)
        .select_related("rule", "breach_reason_by")
        .order_by("started_at", "pk")
    )
    brief_of = _briefs_of(clocks, briefs)
    rows: list[dict[str, Any]] = []
    for clock in clocks:
        brief = brief_of.get(clock.pk)
        if brief is None:
            continue
        side = clock.responsible
        provider = brief.provider.name if brief.provider_id and brief.provider else ""
        rows.append(
            {
                "clock": clock.pk,
                "brief": brief.code,
                "brief_name": brief.name,
                "area": brief.area.name,
                "provider": provider,
                "rule": clock.rule.code,
                "rule_name": clock.rule.name,
                "responsible": side,
                "responsible_label": str(Responsible(side).label),
                "started_at": clock.started_at.isoformat(),
                "due_at": clock.due_at.isoformat(),
                "stopped_at": clock.stopped_at.isoformat() if clock.stopped_at else None,
                "verdict": verdict(clock, now),
                "breach_reason": clock.breach_reason,
                "breach_reason_by": clock.breach_reason_by.display_name
                if clock.breach_reason_by
                else "",
            }
        )
    for row in rows:
        row["verdict_label"] = str(VERDICTS[row["verdict"]])
        row["missed"] = row["verdict"] in ("late", "open_breached")
    if outcome == MISSED:
        rows = [r for r in rows if r["missed"]]
    elif outcome:
        rows = [r for r in rows if r["verdict"] == outcome]
    for row in rows:
        for key in ("started", "due", "stopped"):
            row[f"{key}_local"] = _local(row[f"{key}_at"])
    by_rule = _compliance(rows, lambda r: (r["rule"], r["rule_name"]))
    by_side = _compliance(
        rows,
        lambda r: (
            (r["responsible"], r["provider"] if r["responsible"] == Responsible.PROVIDER else ""),
            r["responsible_label"]
            + (f" · {r['provider']}" if r["responsible"] == Responsible.PROVIDER else ""),
        ),
    )
    for group in by_side:
        side, provider = group.pop("key")
        group.update({"responsible": side, "provider": provider})
    for group in by_rule:
        group["rule"] = group.pop("key")
    judged = sum(r["verdict"] in JUDGED for r in rows)
    on_time = sum(r["verdict"] == "on_time" for r in rows)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "built_at": now.isoformat(),
        "briefs": len({r["brief"] for r in rows}),
        "clocks": rows,
        "by_rule": by_rule,
        "by_responsible": by_side,
        "totals": {
            **{k: sum(r["verdict"] == k for r in rows) for k in VERDICTS},
            "judged": judged,
            "compliance": percent(on_time, judged),
        },
        "definition": gettext(
            "Cumplimiento = a tiempo ÷ (a tiempo + tarde + abiertos vencidos); los relojes "
            "abiertos en plazo no cuentan y los anulados no se listan."
        ),
    }


# --- files -----------------------------------------------------------------------------

CLOCK_HEADER = [
    "Brief",
    "Campaña",
    "Área",
    "Proveedor",
    "Fase (regla)",
    "Responsable",
    "Inicio",
    "Vence",
    "Cierre",
    "Resultado",
    "Motivo del incumplimiento",
]
GROUP_HEADER = ["Grupo", "A tiempo", "Tarde", "Abiertos vencidos", "Abiertos en plazo", "%"]


def _local(value: str | None) -> str:
    if not value:
        return ""
    return calendar.local(dt.datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")


def clock_cells(row: dict) -> list[Any]:
    return [
        row["brief"],
        row["brief_name"],
        row["area"],
        row["provider"],
        row["rule_name"],
        row["responsible_label"],
        row["started_local"],
        row["due_local"],
        row["stopped_local"],
        row["verdict_label"],
        row["breach_reason"],
    ]


def group_cells(group: dict) -> list[Any]:
    return [
        group["label"],
        group["on_time"],
        group["late"],
        group["open_breached"],
        group["open"],
        group["compliance"],
    ]


def clock_frames(data: dict) -> Iterator[pl.DataFrame]:
    """The clocks as one frame of text in :data:`CLOCK_HEADER`'s order (for the CSV)."""
    names = [f"c{n}" for n in range(len(CLOCK_HEADER))]
    cells = [["" if v is None else str(v) for v in clock_cells(r)] for r in data["clocks"]]
    yield pl.DataFrame(cells, schema=dict.fromkeys(names, pl.String), orient="row")


def xlsx(data: dict) -> bytes:
    """The report as a workbook: the clocks, compliance per phase, per responsible side."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    write_sheet(book, gettext("Relojes"), CLOCK_HEADER, [clock_cells(r) for r in data["clocks"]])
    write_sheet(book, gettext("Por fase"), GROUP_HEADER, [group_cells(g) for g in data["by_rule"]])
    write_sheet(
        book,
        gettext("Por responsable"),
        GROUP_HEADER,
        [group_cells(g) for g in data["by_responsible"]],
    )
    book.close()
    return out.getvalue()


def title(data: dict) -> str:
    return gettext("Informe de seguimiento de ANS · %(start)s a %(end)s") % {
        "start": data["from"],
        "end": data["to"],
    }


def pdf(data: dict) -> bytes:
    """The report as a PDF (reportlab): compliance first, then every clock."""
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph

    body = getSampleStyleSheet()["BodyText"]
    totals = data["totals"]
    summary = gettext(
        "%(briefs)s briefs · %(judged)s relojes juzgados · cumplimiento %(pct)s %%"
    ) % {"briefs": data["briefs"], "judged": totals["judged"], "pct": totals["compliance"]}
    return pdf_document(
        title(data),
        [
            (
                gettext("Cumplimiento por fase"),
                [
                    Paragraph(summary, body),
                    pdf_table([GROUP_HEADER] + [group_cells(g) for g in data["by_rule"]]),
                ],
            ),
            (
                gettext("Cumplimiento por responsable"),
                [pdf_table([GROUP_HEADER] + [group_cells(g) for g in data["by_responsible"]])],
            ),
            (
                gettext("Relojes de la quincena"),
                [pdf_table([CLOCK_HEADER] + [clock_cells(r) for r in data["clocks"]])],
            ),
            (gettext("Definición"), [Paragraph(data["definition"], body)]),
        ],
    )


def file_name(data: dict) -> str:
    return f"informe-ans-{data['from']}-{data['to']}"


# --- the fortnightly e-mail (beat) -----------------------------------------------------


def send_fortnight(day: dt.date, *, now: dt.datetime | None = None) -> int:
    """E-mail OCM the report of the fortnight before ``day`` (XLSX and PDF attached), once
    per fortnight (an audit event marks it sent). Returns the e-mails sent (0 or 1)."""
    start, end = previous_fortnight(day)
    period = f"{start.isoformat()}/{end.isoformat()}"
    if AuditEvent.objects.filter(type=SENT_EVENT, details__period=period).exists():
        return 0
    data = build(start, end, now=now)
    totals = data["totals"]
    lines = [
        title(data),
        "",
        gettext("Briefs con relojes: %(n)s.") % {"n": data["briefs"]},
        gettext("Cumplimiento global: %(pct)s %% (%(on)s a tiempo de %(judged)s juzgados).")
        % {"pct": totals["compliance"], "on": totals["on_time"], "judged": totals["judged"]},
        *[f"- {g['label']}: {g['compliance']} %" for g in data["by_rule"]],
        "",
        str(FOOTER),
    ]
    to = ocm_recipients()
    if to:
        message = EmailMessage(
            f"[Brief] {title(data)}", "\n".join(lines), settings.DEFAULT_FROM_EMAIL, to
        )
        message.attach(f"{file_name(data)}.xlsx", xlsx(data), XLSX_TYPE)
        message.attach(f"{file_name(data)}.pdf", pdf(data), PDF_TYPE)
        message.send(fail_silently=False)
    record(SENT_EVENT, details={"period": period, "clocks": len(data["clocks"]), "to": len(to)})
    return 1 if to else 0
