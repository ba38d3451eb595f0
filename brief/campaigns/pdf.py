"""The filled Formato F559 as a PDF (reportlab), generated at each submission."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .choices import CampaignClass, Channel, Kind


def _rows(brief) -> list[tuple[str, str]]:
    yes_no = {True: "Sí", False: "No"}
    content = "; ".join(
        f"{Channel(k).label}: {v}"
        for k, v in (brief.content or {}).items()
        if k in Channel.values and v
    )
    return [
        ("Código", brief.code),
        ("Versión", str(brief.version)),
        ("Área solicitante", str(brief.area)),
        ("Solicitante", brief.requester.display_name),
        ("Nombre de la campaña", brief.name),
        ("Objetivo", brief.objective),
        ("Descripción", brief.description),
        ("Clase de campaña", str(CampaignClass(brief.campaign_class).label)),
        ("Tipo", str(Kind(brief.kind).label)),
        ("Canales", ", ".join(brief.channel_labels)),
        ("Fecha de inicio", brief.start_date.strftime("%d/%m/%Y") if brief.start_date else ""),
        ("Fecha de fin", brief.end_date.strftime("%d/%m/%Y") if brief.end_date else ""),
        ("Público objetivo", brief.audience),
        ("Tamaño estimado de la base", str(brief.estimated_base_size or "")),
        ("Incluye beneficiarios en el exterior", yes_no[brief.includes_abroad]),
        ("Contenido por canal", content),
        ("Tipificaciones sugeridas", brief.typification_codes),
        ("Registro de lectura", yes_no[brief.read_register]),
        ("Enlaces a medir", brief.tracked_links),
        ("Número de barridos", str(brief.sweeps_planned)),
        ("Datos a recolectar", brief.fields_to_collect),
        ("Meta de contactabilidad (%)", str(brief.target_contact_rate or "")),
        ("Meta de efectividad (%)", str(brief.target_effectiveness or "")),
        ("Observaciones", brief.observations),
        ("Aval del jefe inmediato", _approval(brief.boss_approved_by, brief.boss_approved_at)),
        ("Aval de comunicaciones", _approval(brief.comms_approved_by, brief.comms_approved_at)),
        (
            "Autorización líder de proceso",
            _approval(brief.leader_authorized_by, brief.leader_authorized_at),
        ),
    ]


def _approval(user, at) -> str:
    if not user:
        return "Adjunto como archivo o no requerido"
    return f"{user.display_name}, {timezone.localtime(at):%d/%m/%Y %H:%M}"


def render_f559(brief, version) -> bytes:
    """PDF bytes of the F559 as submitted in ``version``."""
    styles = getSampleStyleSheet()
    cell = styles["BodyText"]
    cell.fontSize = 9
    cell.leading = 11
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=letter,
        leftMargin=1.8 * cm,
        rightMargin=1.8 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.5 * cm,
        title=f"Formato F559 {brief.code}",
        author="Brief ICETEX",
    )
    story = [
        Paragraph("ICETEX · Formato Brief F559 · Procedimiento M5-1-22", styles["Title"]),
        Paragraph(
            f"Radicado el {timezone.localtime(version.created_at):%d/%m/%Y %H:%M}", styles["Normal"]
        ),
        Spacer(1, 0.4 * cm),
    ]
    data = [
        [Paragraph(f"<b>{escape(k)}</b>", cell), Paragraph(escape(v or "—"), cell)]
        for k, v in _rows(brief)
    ]
    table = Table(data, colWidths=[5.5 * cm, 12 * cm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef2f7")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    doc.build(story)
    return buffer.getvalue()
