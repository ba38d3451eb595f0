"""The campaign report as files: CSV, XLSX and the PDF «Ficha Técnica de Resultados».

Each writer takes the dict of :func:`brief.reports.campaign.build`, so the files say what the
page and the JSON say. Text cells go through ``contacts.exports.cell_safe`` (a cell starting
with ``=``, ``+``, ``-`` or ``@`` is prefixed with a quote) and XLSX text is written as text.
The PDF opens with a one-page summary (objective, audience, channels, dates, base, results
against targets, OCM's conclusions) and continues with the detail and its charts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from brief.campaigns.vocabulary import CHANNEL_LABELS, REJECT_LABELS
from brief.contacts.exports import cell_safe

Row = list[object]


def _pct(value) -> str:
    return "—" if value is None else f"{value:.1f} %".replace(".", ",")


def _yes(value) -> str:
    return {True: _("Sí"), False: _("No"), None: "—"}[value]


def _channel(code: str) -> str:
    return _(CHANNEL_LABELS.get(code, code))


# --- the tables every format shares ------------------------------------------------------


def summary_rows(data: dict) -> list[Row]:
    """The brief and the management summary as (label, value) rows."""
    b, m = data["brief"], data["management"]
    rows: list[Row] = [
        [_("Código"), b["code"]],
        [_("Campaña"), b["name"]],
        [_("Área"), b["area"]],
        [_("Proveedor"), b["provider"] or "—"],
        [_("Objetivo"), m["objective"]],
        [_("Público objetivo"), m["audience"]],
        [_("Canales"), ", ".join(m["channels"])],
        [_("Fechas"), f"{m['start_date'] or '—'} — {m['end_date'] or '—'}"],
        [_("Barridos realizados / planeados"), f"{m['sweeps']['run']} / {m['sweeps']['planned']}"],
        [_("Registro de lectura solicitado"), _yes(data["read_register"]["requested"])],
    ]
    base = data["base"] or {}
    rows += [
        [_("Registros recibidos"), base.get("rows_total", 0)],
        [_("Registros depurados (utilizables)"), base.get("rows_usable", 0)],
        [_("Registros rechazados"), base.get("rows_rejected", 0)],
    ]
    return rows


def base_rows(data: dict) -> list[Row]:
    base = data["base"] or {}
    rows: list[Row] = [[_("Motivo de rechazo"), _("Registros")]]
    rows += [[_(REJECT_LABELS.get(r, r)), n] for r, n in (base.get("rejected") or {}).items()]
    rows += [[_("Utilizables por canal"), ""]]
    rows += [[_channel(c), n] for c, n in (base.get("usable_by_channel") or {}).items()]
    return rows


def target_rows(data: dict) -> list[Row]:
    rows: list[Row] = [[_("Indicador"), _("Meta"), _("Resultado"), _("Cumple"), _("Definición")]]
    for t in data["management"]["targets"]:
        rows.append([t["label"], _pct(t["target"]), _pct(t["actual"]), _yes(t["met"]),
                     t["definition"]])  # fmt: skip
    return rows


def total_rows(data: dict) -> list[Row]:
    t = data["totals"]
    return [
        [_("Indicador"), _("Cantidad")],
        [_("Mensajes"), t["messages"]],
        [_("Enviados"), t["sent"]],
        [_("Entregados"), t["delivered"]],
        [_("No enviados (rebote, fallo, exclusión)"), t["not_sent"]],
        [_("Rebotados"), t["bounced"]],
        [_("Leídos"), t["read"]],
        [_("Aperturas de enlaces"), t["link_opens"]],
        [_("Personas a las que se envió"), data["people_targeted"]],
        [_("Personas con entrega"), data["people_reached"]],
    ]


def funnel_rows(data: dict) -> list[Row]:
    rows: list[Row] = [[_("Barrido"), _("Canal"), _("Destinatarios"), _("Enviados"),
                        _("Entregados / contactados"), _("Leídos / titular"), _("Efectivos"),
                        _("Contactabilidad"), _("Efectividad")]]  # fmt: skip
    for f in data["funnel"]:
        rows.append([f["number"], _channel(f["channel"]), f["targeted"], f["sent"],
                     f["delivered"], f["read"], f["effective"], _pct(f["contact_rate"]),
                     _pct(f["effectiveness"])])  # fmt: skip
    return rows


def hour_rows(data: dict) -> list[Row]:
    return [[_("Hora"), _("Enviados")]] + [
        [f"{h['hour']:02d}:00", h["sent"]] for h in data["send_hours"]
    ]


def cost_rows(data: dict) -> list[Row]:
    c = data["costs"]
    d = c["definitions"]
    return [
        [_("Concepto"), _("Cantidad"), _("Definición")],
        [_("Segmentos SMS"), c["sms_segments"], d["sms_segments"]],
        [_("Conversaciones de WhatsApp"), c["whatsapp_conversations"],
         d["whatsapp_conversations"]],
        [_("Mensajes facturables"), c["billable_messages"], d["billable_messages"]],
        [_("Interacciones facturables"), c["billable_interactions"], d["billable_interactions"]],
        [_("Interacciones registradas"), c["interactions"], ""],
    ]  # fmt: skip


def answer_rows(data: dict) -> list[Row]:
    rows: list[Row] = [[_("Pregunta"), _("Respuesta"), _("Cantidad"), _("Porcentaje")]]
    for q in data["answers"]:
        rows.append([q["text"], _("Respondieron"), q["answered"], ""])
        for o in q.get("options", []):
            rows.append(["", o["label"], o["count"], _pct(o["percent"])])
        for d in q.get("distribution", []):
            rows.append(["", str(d["score"]), d["count"], _pct(d["percent"])])
        if "nps" in q:
            rows.append(["", "NPS", "", q["nps"]["value"] if q["nps"]["value"] is not None else ""])
        if "csat" in q:
            rows.append(["", "CSAT", q["csat"]["numerator"], _pct(q["csat"]["value"])])
        for sample in q.get("sample", []):
            rows.append(["", sample["text"], "", ""])
    return rows


def observation_rows(data: dict) -> list[Row]:
    rows: list[Row] = [[_("Interacción"), _("Fecha"), _("Observación")]]
    if data["observations"]["brief"]:
        rows.append([_("Brief"), "", data["observations"]["brief"]])
    rows += [[o["interaction"], o["at"], o["text"]] for o in data["observations"]["items"]]
    return rows


def definition_rows(data: dict) -> list[Row]:
    return [[_("Término"), _("Definición")]] + [[k, v] for k, v in data["definitions"].items()]


def sections(data: dict) -> list[tuple[str, list[Row]]]:
    """Every table of the report with its title, in the order of the documents."""
    return [
        (_("Resumen"), [[_("Campo"), _("Valor")], *summary_rows(data)]),
        (_("Base"), base_rows(data)),
        (_("Metas"), target_rows(data)),
        (_("Totales"), total_rows(data)),
        (_("Embudo por barrido"), funnel_rows(data)),
        (_("Hora de envío"), hour_rows(data)),
        (_("Costos"), cost_rows(data)),
        (_("Respuestas"), answer_rows(data)),
        (_("Observaciones"), observation_rows(data)),
        (_("Definiciones"), definition_rows(data)),
    ]


def _safe(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _yes(value)
    if isinstance(value, int | float):
        return value
    return cell_safe(str(value))


# --- CSV and XLSX -------------------------------------------------------------------------


def csv_lines(data: dict) -> Iterator[str]:
    """The report as CSV lines (UTF-8 with BOM for Excel), one block per section."""

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    yield "\ufeff"
    for title, rows in sections(data):
        yield writer.writerow([cell_safe(title)])
        for row in rows:
            yield writer.writerow([_safe(v) for v in row])
        yield writer.writerow([])


def csv_bytes(data: dict) -> bytes:
    return "".join(csv_lines(data)).encode("utf-8")


def xlsx_bytes(data: dict) -> bytes:
    """The report as a workbook: one sheet per section; text written as text."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    bold = book.add_format({"bold": True, "bg_color": "#EEF2F7"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    book.set_properties({"title": f"{data['title']} {data['brief']['code']}"})
    for title, rows in sections(data):
        sheet = book.add_worksheet(title[:31])
        width = max(len(r) for r in rows) if rows else 1
        sheet.set_column(0, width - 1, 20, wrap)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                cell = _safe(value)
                if isinstance(cell, str):
                    sheet.write_string(r, c, cell, bold if r == 0 else None)
                else:
                    sheet.write_number(r, c, cell)
        sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


# --- charts (PNG for the PDF) -------------------------------------------------------------


def chart_png(labels: list[str], values: list[int], *, xlabel: str) -> bytes:
    """A small horizontal bar chart as PNG (matplotlib's object API, no pyplot state)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 0.32 * max(len(labels), 1) + 0.9), dpi=110)
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    bars = axes.barh(positions, values, color="#0a7d3b", height=0.6)
    axes.set_yticks(positions, labels=labels, fontsize=8)
    axes.invert_yaxis()
    axes.bar_label(bars, labels=[f"{v:,}".replace(",", ".") for v in values], fontsize=7,
                   padding=3)  # fmt: skip
    axes.set_xlim(0, max(max(values, default=0) * 1.2, 1))
    axes.set_xlabel(xlabel, fontsize=8)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def funnel_chart_data(data: dict) -> tuple[list[str], list[int]]:
    t = data["totals"]
    effective = sum(f["effective"] for f in data["funnel"])
    labels = [_("Destinatarios"), _("Enviados"), _("Entregados"), _("Leídos"), _("Efectivos")]
    return labels, [data["targeted"], t["sent"], t["delivered"], t["read"], effective]


def hours_chart_data(data: dict) -> tuple[list[str], list[int]]:
    used = [h for h in data["send_hours"] if h["sent"]] or data["send_hours"][8:19]
    return [f"{h['hour']:02d}:00" for h in used], [h["sent"] for h in used]


# --- PDF ----------------------------------------------------------------------------------


def pdf_bytes(data: dict) -> bytes:
    """The «Ficha Técnica de Resultados»: a one-page summary, then the detail with charts."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        Image,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    styles = getSampleStyleSheet()
    cell = styles["BodyText"]
    cell.fontSize = 8
    cell.leading = 10
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=letter,
        leftMargin=1.6 * cm,
        rightMargin=1.6 * cm,
        topMargin=1.4 * cm,
        bottomMargin=1.4 * cm,
        title=f"{data['title']} {data['brief']['code']}",
        author="Brief ICETEX",
    )
    width = doc.width

    def para(value: object) -> Paragraph:
        text = "" if value is None else str(value)
        return Paragraph(escape(text).replace("\n", "<br/>"), cell)

    def table(rows: list[Row], widths: list[float] | None = None) -> Table:
        shown = [[para(v) for v in row] for row in rows]
        t = Table(shown, colWidths=widths, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c8ced6")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return t

    def chart(labels: list[str], values: list[int], xlabel: str) -> Image:
        png = chart_png(labels, values, xlabel=xlabel)
        image = Image(io.BytesIO(png))
        scale = min(1.0, width / image.drawWidth)
        image.drawWidth *= scale
        image.drawHeight *= scale
        return image

    story: list = [
        Paragraph(escape(data["title"]), styles["Title"]),
        Paragraph(escape(f"{data['brief']['code']} · {data['brief']['name']}"), styles["Heading3"]),
        table(summary_rows(data), [width * 0.35, width * 0.65]),
        Spacer(1, 0.3 * cm),
        Paragraph(escape(_("Resultados frente a las metas")), styles["Heading4"]),
        table(
            [row[:4] for row in target_rows(data)],
            [width * 0.4, width * 0.2, width * 0.2, width * 0.2],
        ),
        Spacer(1, 0.2 * cm),
    ]
    t = data["totals"]
    story.append(
        para(
            _(
                "Enviados: %(sent)s · Entregados: %(delivered)s · No enviados: %(not_sent)s · "
                "Leídos: %(read)s · Aperturas de enlaces: %(opens)s"
            )
            % {
                "sent": t["sent"],
                "delivered": t["delivered"],
                "not_sent": t["not_sent"],
                "read": t["read"],
                "opens": t["link_opens"],
            }
        )
    )
    story.append(Paragraph(escape(_("Conclusiones de OCM")), styles["Heading4"]))
    conclusions = data["conclusions"]
    story.append(
        para(
            f"{conclusions['text']}\n— {conclusions['author']}, {conclusions['at'][:10]}"
            if conclusions
            else _("OCM aún no ha registrado conclusiones.")
        )
    )
    story.append(PageBreak())
    story.append(Paragraph(escape(_("Detalle")), styles["Heading2"]))
    labels, values = funnel_chart_data(data)
    story.append(Paragraph(escape(_("Embudo de la campaña")), styles["Heading4"]))
    story.append(chart(labels, values, _("Mensajes")))
    labels, values = hours_chart_data(data)
    story.append(Paragraph(escape(_("Envíos por hora del día")), styles["Heading4"]))
    story.append(chart(labels, values, _("Enviados")))
    for title, rows in sections(data)[1:]:
        if title == _("Hora de envío") or len(rows) <= 1:
            continue
        story.append(Paragraph(escape(title), styles["Heading4"]))
        story.append(table(rows))
        story.append(Spacer(1, 0.2 * cm))
    doc.build(story)
    return buffer.getvalue()


RENDERERS = {"csv": csv_bytes, "xlsx": xlsx_bytes, "pdf": pdf_bytes}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
