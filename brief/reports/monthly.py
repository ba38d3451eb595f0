"""The provider's monthly mass-campaign report per area, with the improvement follow-up
(reading only; README "Monthly reports, QC sample and dashboards").

The campaigns of a month are the briefs handed to the provider (forwarded or later, cancelled
ones included with their state) whose execution overlaps the month: their planned dates
(``start_date``–``end_date``; no end date = the start day) fall in it, or one of their sweeps
ran in it. Each campaign's figures come from the campaign report (``dispatch.report.build``)
and the contact center's figures (``calls.figures.call_figures``); nothing is re-computed
here. On-time SLA: the brief's clocks closed on time ÷ clocks closed or breached
(``figures.percent``); cancelled (*anulado*) and still-running clocks within their time are
left out.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext

from brief.accounts.models import Area, User
from brief.calls import figures
from brief.calls.statement import bounds, parse_month
from brief.campaigns import permissions
from brief.campaigns.choices import Channel, Status, channel_label
from brief.campaigns.models import Brief
from brief.campaigns.notifications import FOOTER
from brief.contacts.exports import XLSX_TYPE, cell_safe
from brief.core import calendar
from brief.core.audit import record
from brief.core.choices import ClockState
from brief.core.models import AuditEvent, SLAClock
from brief.core.roles import Role
from brief.dispatch import report
from brief.dispatch.models import Sweep

from .choices import RecommendationStatus
from .models import Recommendation

__all__ = ["bounds", "parse_month"]

# Before forwarding a brief is not yet the provider's campaign.
NOT_YET_CAMPAIGN = frozenset({Status.DRAFT, Status.SUBMITTED, Status.IN_REVIEW, Status.RETURNED})
PDF_TYPE = "application/pdf"


def month_days(month: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of ``month``."""
    after = (month + dt.timedelta(days=32)).replace(day=1)
    return month, after - dt.timedelta(days=1)


def campaigns_of_month(month: dt.date) -> QuerySet[Brief]:
    """The briefs whose execution overlaps ``month`` (module docstring)."""
    start, end = bounds(month)
    first, last = month_days(month)
    ran = Sweep.objects.filter(brief=OuterRef("pk"), started_at__lt=end).filter(
        Q(finished_at__isnull=True) | Q(finished_at__gte=start)
    )
    planned = Q(start_date__lte=last) & (
        Q(end_date__gte=first) | Q(end_date__isnull=True, start_date__gte=first)
    )
    return Brief.objects.exclude(status__in=NOT_YET_CAMPAIGN).filter(planned | Exists(ran))


def sla_counts(brief_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per brief: clocks ``met`` (closed on time), ``late`` (closed late or breached while
    open); one grouped query."""
    out: dict[int, dict[str, int]] = {pk: {"met": 0, "late": 0} for pk in brief_ids}
    rows = (
        SLAClock.objects.filter(
            subject_type=ContentType.objects.get_for_model(Brief), subject_id__in=brief_ids
        )
        .values("subject_id")
        .annotate(
            met=Count("id", filter=Q(state=ClockState.MET)),
            late=Count(
                "id",
                filter=Q(state=ClockState.LATE)
                | Q(state__in=[ClockState.RUNNING, ClockState.PAUSED], breached_at__isnull=False),
            ),
        )
    )
    for row in rows:
        out[row["subject_id"]] = {"met": row["met"], "late": row["late"]}
    return out


def _percent(ratio: float | None) -> float | None:
    """A 0–1 ratio of the campaign report shown as a percentage."""
    return None if ratio is None else round(100 * ratio, 1)


def campaign_row(brief: Brief, sla: dict[str, int]) -> dict[str, Any]:
    """One campaign's line of the monthly report."""
    data = report.build(brief)
    totals = data["totals"]
    row: dict[str, Any] = {
        "code": brief.code,
        "name": brief.name,
        "area": brief.area.name,
        "status": brief.status,
        "status_label": str(Status(brief.status).label),
        "channels": list(brief.channels),
        "channel_labels": [channel_label(c) for c in brief.channels],
        "start_date": brief.start_date.isoformat() if brief.start_date else None,
        "end_date": brief.end_date.isoformat() if brief.end_date else None,
        "usable_rows": (data["base"] or {}).get("rows_usable"),
        "sweeps": data["sweeps_count"],
        "sent": totals["sent"],
        "delivered": totals["delivered"],
        "read": totals["read"],
        "not_sent": totals["not_sent"],
        "contact_rate": data["contact_rate"],
        "effectiveness": data["effectiveness"],
        "contact_rate_percent": _percent(data["contact_rate"]),
        "effectiveness_percent": _percent(data["effectiveness"]),
        "call_contact_rate": None,
        "call_effectiveness": None,
        "sla_met": sla["met"],
        "sla_late": sla["late"],
        "sla_on_time": figures.percent(sla["met"], sla["met"] + sla["late"]),
    }
    if Channel.CALL in brief.channels:
        calls = figures.call_figures(brief)["overall"]
        row["call_contact_rate"] = calls["contact_rate"]["value"]
        row["call_effectiveness"] = calls["effectiveness"]["value"]
    return row


def recommendations_scope(user=None, area: Area | None = None) -> QuerySet[Recommendation]:
    """The recommendations ``user`` may read (all without a user), of ``area`` when given."""
    qs = Recommendation.objects.select_related("area", "brief", "owner")
    if area is not None:
        qs = qs.filter(area=area)
    if user is None:
        return qs
    where = permissions.require_monthly_report(user, area.pk if area else None)
    if where.everything:
        return qs
    if where.area_id:
        return qs.filter(area_id=where.area_id)
    return qs.filter(
        Q(brief__provider_id=where.provider_id) | Q(owner=user) | Q(created_by=user)
    ).distinct()


def recommendation_json(rec: Recommendation, *, today: dt.date | None = None) -> dict[str, Any]:
    today = today or calendar.local(timezone.now()).date()
    return {
        "id": rec.pk,
        "text": rec.text,
        "area": rec.area.code,
        "area_name": rec.area.name,
        "brief": rec.brief.code if rec.brief else None,
        "owner": rec.owner.username,
        "owner_name": rec.owner.get_full_name() or rec.owner.username,
        "due_date": rec.due_date.isoformat(),
        "status": rec.status,
        "status_label": str(RecommendationStatus(rec.status).label),
        "created_at": rec.created_at.isoformat(),
        "closed_at": rec.closed_at.isoformat() if rec.closed_at else None,
        "closing_note": rec.closing_note,
        "overdue": rec.overdue_on(today),
    }


def month_recommendations(recs: QuerySet[Recommendation], month: dt.date) -> dict[str, list]:
    """Recommendations opened and closed in ``month``, and those overdue at its end (due
    before the month ended and not closed by then)."""
    start, end = bounds(month)
    _first, last = month_days(month)
    overdue = recs.filter(due_date__lt=last).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=end)
    )
    # "overdue" as of the month's last day, whatever happened after it.
    return {
        "opened": [
            recommendation_json(r, today=last)
            for r in recs.filter(created_at__gte=start, created_at__lt=end)
        ],
        "closed": [
            recommendation_json(r, today=last)
            for r in recs.filter(closed_at__gte=start, closed_at__lt=end)
        ],
        "overdue": [
            {**recommendation_json(r, today=last), "overdue": True}
            for r in overdue.filter(created_at__lt=end)
        ],
    }


def mass_campaigns(area: Area | None, year: int, month: int, *, user=None) -> dict[str, Any]:
    """The monthly mass-campaign report: every campaign of the month (of ``area``, or all) with
    its figures, the sums, and the improvement follow-up. With ``user``, only what they reach
    (``permissions.require_monthly_report``; a 403 for another area)."""
    first = dt.date(year, month, 1)
    briefs = campaigns_of_month(first).select_related("area").order_by("area__name", "code")
    if area is not None:
        briefs = briefs.filter(area=area)
    if user is not None:
        permissions.require_monthly_report(user, area.pk if area else None)
        briefs = permissions.filter_visible(briefs, user)
    briefs_list = list(briefs)
    sla = sla_counts([b.pk for b in briefs_list])
    rows = [campaign_row(b, sla[b.pk]) for b in briefs_list]
    sums = {
        key: sum(r[key] or 0 for r in rows)
        for key in ("usable_rows", "sent", "delivered", "read", "not_sent", "sla_met", "sla_late")
    }
    return {
        "month": first.strftime("%Y-%m"),
        "area": {"code": area.code, "name": area.name} if area else None,
        "campaigns": rows,
        "totals": {"campaigns": len(rows), **sums},
        "recommendations": month_recommendations(recommendations_scope(user, area), first),
        "definitions": {
            "contact_rate": gettext(
                "Tasa de contacto (mensajes): personas con un mensaje entregado o leído ÷ "
                "personas a las que se envió (sin excluidos)."
            ),
            "effectiveness": gettext(
                "Efectividad (mensajes): leídos y aperturas de enlaces ÷ entregados."
            ),
            "call_contact_rate": str(figures.FORMULAS["contact_rate"]),
            "call_effectiveness": str(figures.FORMULAS["effectiveness"]),
            "sla_on_time": gettext(
                "ANS a tiempo: relojes cerrados a tiempo ÷ relojes cerrados o vencidos."
            ),
            "period": gettext(
                "Campañas remitidas al proveedor cuya ejecución (fechas planeadas o un barrido) "
                "cae en el mes."
            ),
        },
    }


# --- documents ------------------------------------------------------------------------------


def safe_texts(values: list[str]) -> list[str]:
    """``values`` as text with the spreadsheet formula guard (``contacts.exports.cell_safe``)."""
    return [cell_safe(str(v)) for v in values]


def write_sheet(book, name: str, header: list[str], rows: list[list[Any]]) -> None:
    """A worksheet of ``rows``: numbers as numbers, every text through the formula guard."""
    bold = book.add_format({"bold": True, "bg_color": "#EEF2F7"})
    page = book.add_worksheet(name[:31])
    for c, title in enumerate(safe_texts(header)):
        page.write_string(0, c, title, bold)
    page.set_column(0, max(len(header) - 1, 0), 18)
    page.freeze_panes(1, 0)
    for r, row in enumerate(rows, start=1):
        texts = iter(
            safe_texts(
                [
                    v
                    for v in row
                    if v is not None and (isinstance(v, bool) or not isinstance(v, int | float))
                ]
            )
        )
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                page.write_string(r, c, next(texts))
            else:
                page.write_number(r, c, value)


CAMPAIGN_HEADER = [
    "Código",
    "Campaña",
    "Área",
    "Estado",
    "Canales",
    "Inicio",
    "Fin",
    "Registros usables",
    "Barridos",
    "Enviados",
    "Entregados",
    "Leídos",
    "No enviados",
    "Tasa de contacto (%)",
    "Efectividad (%)",
    "Tasa de contacto llamadas (%)",
    "Efectividad llamadas (%)",
    "ANS a tiempo",
    "ANS tarde",
    "ANS a tiempo (%)",
]
RECOMMENDATION_HEADER = [
    "Grupo",
    "N.º",
    "Recomendación",
    "Área",
    "Brief",
    "Responsable",
    "Compromiso",
    "Estado",
    "Cerrada",
    "Nota de cierre",
]


def campaign_cells(row: dict) -> list[Any]:
    return [
        row["code"],
        row["name"],
        row["area"],
        row["status_label"],
        ", ".join(row["channel_labels"]),
        row["start_date"] or "",
        row["end_date"] or "",
        row["usable_rows"],
        row["sweeps"],
        row["sent"],
        row["delivered"],
        row["read"],
        row["not_sent"],
        row["contact_rate_percent"],
        row["effectiveness_percent"],
        row["call_contact_rate"],
        row["call_effectiveness"],
        row["sla_met"],
        row["sla_late"],
        row["sla_on_time"],
    ]


GROUP_LABELS = {
    "opened": "Abiertas en el mes",
    "closed": "Cerradas en el mes",
    "overdue": "Vencidas al cierre del mes",
}


def recommendation_cells(group: str, rec: dict) -> list[Any]:
    return [
        GROUP_LABELS[group],
        rec["id"],
        rec["text"],
        rec["area_name"],
        rec["brief"] or "",
        rec["owner_name"],
        rec["due_date"],
        rec["status_label"],
        (rec["closed_at"] or "")[:10],
        rec["closing_note"],
    ]


def xlsx(data: dict) -> bytes:
    """The monthly report as a workbook: campaigns and recommendations."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    write_sheet(book, "Campañas", CAMPAIGN_HEADER, [campaign_cells(r) for r in data["campaigns"]])
    rows = [
        recommendation_cells(group, rec)
        for group in GROUP_LABELS
        for rec in data["recommendations"][group]
    ]
    write_sheet(book, "Recomendaciones", RECOMMENDATION_HEADER, rows)
    write_sheet(
        book,
        "Definiciones",
        ["Indicador", "Definición"],
        [[k, v] for k, v in data["definitions"].items()],
    )
    book.close()
    return out.getvalue()


def pdf_table(rows: list[list[Any]], widths=None):
    """A reportlab table with a header row, small type and wrapped cells."""
    from reportlab.lib import colors
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, Table, TableStyle

    small = getSampleStyleSheet()["BodyText"].clone("small", fontSize=7, leading=8.5)
    cells = [[Paragraph(escape("" if v is None else str(v)), small) for v in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF2F7")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#C9D1DB")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def pdf_document(title: str, blocks: list[tuple[str, list]]) -> bytes:
    """A landscape letter PDF: ``title`` then each ``(heading, flowables)`` block."""
    from reportlab.lib.pagesizes import landscape, letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(letter),
        leftMargin=1.2 * cm,
        rightMargin=1.2 * cm,
        topMargin=1.2 * cm,
        bottomMargin=1.2 * cm,
        title=title,
        author="Brief ICETEX",
    )
    story: list = [Paragraph(escape(title), styles["Title"])]
    for heading, flowables in blocks:
        story += [Spacer(1, 6), Paragraph(escape(heading), styles["Heading2"]), *flowables]
    doc.build(story)
    return out.getvalue()


def pdf(data: dict) -> bytes:
    """The monthly report as a PDF (reportlab)."""
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph

    body = getSampleStyleSheet()["BodyText"]
    scope = data["area"]["name"] if data["area"] else gettext("Todas las áreas")
    keep = [0, 1, 2, 3, 4, 7, 9, 10, 11, 13, 14, 15, 19]  # the columns that fit a page
    campaigns = [[CAMPAIGN_HEADER[i] for i in keep]] + [
        [campaign_cells(r)[i] for i in keep] for r in data["campaigns"]
    ]
    totals = data["totals"]
    summary = gettext(
        "%(n)s campañas · enviados %(sent)s · entregados %(delivered)s · leídos %(read)s"
    ) % {
        "n": totals["campaigns"],
        "sent": totals["sent"],
        "delivered": totals["delivered"],
        "read": totals["read"],
    }
    recs = [RECOMMENDATION_HEADER[:8]] + [
        recommendation_cells(group, rec)[:8]
        for group in GROUP_LABELS
        for rec in data["recommendations"][group]
    ]
    definitions = [Paragraph(escape(f"{k}: {v}"), body) for k, v in data["definitions"].items()]
    return pdf_document(
        gettext("Informe mensual de campañas masivas · %(month)s · %(scope)s")
        % {"month": data["month"], "scope": scope},
        [
            (gettext("Campañas del mes"), [Paragraph(escape(summary), body), pdf_table(campaigns)]),
            (gettext("Seguimiento de recomendaciones de mejora"), [pdf_table(recs)]),
            (gettext("Definiciones"), definitions),
        ],
    )


def download(data: dict, fmt: str) -> HttpResponse:
    """``data`` as an ``xlsx`` or ``pdf`` attachment."""
    name = f"informe-mensual-{data['month']}" + (f"-{data['area']['code']}" if data["area"] else "")
    if fmt == "pdf":
        response = HttpResponse(pdf(data), content_type=PDF_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    response = HttpResponse(xlsx(data), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


# --- the monthly e-mail ---------------------------------------------------------------------

SENT_EVENT = "MONTHLY_REPORT_SENT"


def ocm_recipients() -> list[str]:
    return list(
        User.objects.filter(groups__name=Role.ANALISTA_OCM, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )


def previous_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def send_monthly_report(month: dt.date) -> int:
    """E-mail OCM the all-areas report of ``month`` (XLSX and PDF attached, one line per area
    in the body); once per month (an audit event marks it sent). Returns e-mails sent."""
    key = month.strftime("%Y-%m")
    if AuditEvent.objects.filter(type=SENT_EVENT, details__month=key).exists():
        return 0
    data = mass_campaigns(None, month.year, month.month)
    per_area: dict[str, int] = {}
    for row in data["campaigns"]:
        per_area[row["area"]] = per_area.get(row["area"], 0) + 1
    lines = [
        gettext("Informe mensual de campañas masivas de %(month)s.") % {"month": key},
        "",
        *[f"- {name}: {n}" for name, n in per_area.items()],
        gettext("Recomendaciones abiertas en el mes: %(o)s; cerradas: %(c)s; vencidas: %(v)s.")
        % {
            "o": len(data["recommendations"]["opened"]),
            "c": len(data["recommendations"]["closed"]),
            "v": len(data["recommendations"]["overdue"]),
        },
        "",
        str(FOOTER),
    ]
    to = ocm_recipients()
    if to:
        message = EmailMessage(
            f"[Brief] {gettext('Informe mensual')} {key}",
            "\n".join(lines),
            settings.DEFAULT_FROM_EMAIL,
            to,
        )
        message.attach(f"informe-mensual-{key}.xlsx", xlsx(data), XLSX_TYPE)
        message.attach(f"informe-mensual-{key}.pdf", pdf(data), PDF_TYPE)
        message.send(fail_silently=False)
    record(SENT_EVENT, details={"month": key, "campaigns": len(data["campaigns"]), "to": len(to)})
    return 1 if to else 0
