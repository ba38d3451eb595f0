"""What a sending certificate states (the JSON snapshot) and its PDF (reportlab, unsigned).

A message's certificate states the content as sent (the frozen template rendered again for
that recipient, exactly as the dispatcher and the beneficiary history render it, without
writing anything), the recipient (contact and document masked), the provider account and the
provider's message id, the send attempts, the status events received (with the SHA-256 of
each) and the SHA-256 of every raw callback body kept that names the provider's id (found
through ``CallbackReference``; each body is decrypted and checked against its SHA-256, and an
altered one refuses the certificate with ``payload_altered``, 409).

A campaign's certificate states the brief, each sweep (template version and its frozen
SHA-256, provider account, dates, totals by status) and the recipients: the first
``EVIDENCE_CERTIFICATE_MAX_ROWS`` in a table, all of them in ``registro.csv`` embedded in the
PDF (covered by the signature), whose row count and SHA-256 the summary states. The register
is written one row per recipient from a streamed query: memory grows with the CSV, about
100 bytes per recipient.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from brief.campaigns.models import Brief
from brief.content.models import Template, TrackedLink
from brief.content.render import Renderer, contact_fields, link_urls
from brief.core.crypto import AlteredValue
from brief.dispatch import engine, report
from brief.dispatch.choices import MessageStatus
from brief.dispatch.models import Attempt, CallbackPayload, Message, StatusEvent, Sweep
from brief.dispatch.views import mask

MAX_CALLBACKS = 50  # raw bodies listed per message (a message has a handful)
REGISTER_HEADER = [
    "mensaje",
    "barrido",
    "canal",
    "destinatario",
    "documento",
    "estado",
    "id_proveedor",
    "enviado",
    "entregado",
    "leido",
]


def mask_document(doc_type: str, number: str) -> str:
    """``CC ******4050``: the type and the last four characters."""
    number = number or ""
    hidden = "*" * max(len(number) - 4, 2) + number[-4:] if len(number) > 4 else "****"
    return f"{doc_type} {hidden}".strip()


def _iso(value) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _digest(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _brief_part(brief: Brief) -> dict:
    return {
        "code": brief.code,
        "name": brief.name,
        "area": str(brief.area) if brief.area_id else "",
        "provider": str(brief.provider) if brief.provider_id else "",
        "channels": list(brief.channels or []),
        "start_date": brief.start_date.isoformat() if brief.start_date else None,
        "end_date": brief.end_date.isoformat() if brief.end_date else None,
    }


def _template_part(template: Template) -> dict:
    return {
        "id": template.pk,
        "name": template.name,
        "channel": template.channel,
        "version": template.version,
        "frozen_at": _iso(template.frozen_at),
        "frozen_sha256": template.frozen_sha256,
    }


def _account_part(sweep: Sweep) -> dict | None:
    account = sweep.provider_account
    if account is None:
        return None
    return {"code": account.code, "name": account.name, "kind": account.kind}


def rendered_content(message: Message) -> dict:
    """The subject and text ``message`` carried: its sweep's template rendered again for its
    contact with the tracked links as stored (nothing is written)."""
    template = message.sweep.template
    known = dict(TrackedLink.objects.filter(template=template).values_list("url", "id"))
    with_links = all(url in known for url in link_urls(template))
    rendered = Renderer(template, link_ids=known).render(
        contact_fields(message.contact), message_id=message.pk if with_links else None
    )
    if rendered.skip_reason:
        return {"subject": "", "text": "", "not_sent_reason": rendered.skip_reason}
    return {"subject": rendered.subject, "text": rendered.text}


def message_statement(message: Message) -> dict:
    """The facts of one message (see the module docstring)."""
    sweep = message.sweep
    contact = message.contact
    account = sweep.provider_account
    events = []
    callbacks = []
    if account is not None and message.provider_message_id:
        pmid = message.provider_message_id
        for event in StatusEvent.objects.filter(
            provider=account.code, provider_message_id=pmid
        ).order_by("received_at", "id"):
            events.append(
                {
                    "status": event.status,
                    "at": _iso(event.at),
                    "received_at": _iso(event.received_at),
                    "code": event.code,
                    "detail": event.detail,
                    "sha256": _digest(event.payload),
                }
            )
        bodies = CallbackPayload.objects.filter(
            account=account, references__provider_message_id=pmid
        )
        for payload in bodies.order_by("received_at", "id")[:MAX_CALLBACKS]:
            if hashlib.sha256(payload.raw_bytes()).hexdigest() != payload.digest:
                raise AlteredValue("callback body does not match its digest")
            callbacks.append(
                {
                    "received_at": _iso(payload.received_at),
                    "sha256": payload.digest,
                    "content_type": payload.content_type,
                }
            )
    attempts = [
        {"at": _iso(a.at), "outcome": a.outcome, "code": a.code, "detail": a.detail}
        for a in Attempt.objects.filter(message=message).order_by("at", "id")
    ]
    return {
        "scope": "message",
        "brief": _brief_part(sweep.brief),
        "message": {
            "id": message.pk,
            "sweep": sweep.number,
            "channel": sweep.channel,
            "status": message.status,
            "status_label": str(MessageStatus(message.status).label)
            if message.status in MessageStatus.values
            else message.status,
            "to": mask(message.to),
            "document": mask_document(contact.doc_type, contact.doc_number),
            "provider_message_id": message.provider_message_id,
            "sent_at": _iso(message.sent_at),
            "delivered_at": _iso(message.delivered_at),
            "read_at": _iso(message.read_at),
            "failed_at": _iso(message.failed_at),
            "error_code": message.error_code,
            "error_detail": message.error_detail,
        },
        "account": _account_part(sweep),
        "template": _template_part(sweep.template),
        "content": rendered_content(message),
        "attempts": attempts,
        "events": events,
        "callbacks": callbacks,
    }


def register_rows(brief: Brief) -> Iterator[list[str]]:
    """One row per recipient of the brief's sweeps (masked), in sweep and id order."""
    rows = (
        Message.objects.filter(sweep__brief=brief)
        .order_by("sweep__number", "id")
        .values_list(
            "id",
            "sweep__number",
            "sweep__channel",
            "to",
            "contact__doc_type",
            "contact__doc_number",
            "status",
            "provider_message_id",
            "sent_at",
            "delivered_at",
            "read_at",
        )
    )
    for (
        pk,
        number,
        channel,
        to,
        doc_type,
        doc,
        status,
        pmid,
        sent,
        delivered,
        read,
    ) in rows.iterator(chunk_size=5000):
        yield [
            str(pk),
            str(number),
            channel,
            mask(to),
            mask_document(doc_type, doc),
            status,
            pmid,
            _iso(sent) or "",
            _iso(delivered) or "",
            _iso(read) or "",
        ]


def brief_statement(brief: Brief) -> tuple[dict, bytes]:
    """The facts of a whole campaign and its register as CSV bytes (see the docstring)."""
    limit = int(settings.EVIDENCE_CERTIFICATE_MAX_ROWS)
    sweeps = []
    summed: dict[str, int] = {}
    for sweep in (
        Sweep.objects.filter(brief=brief)
        .select_related("template", "provider_account")
        .order_by("number")
    ):
        counts = engine.counts(sweep)
        for key, value in counts.items():
            summed[key] = summed.get(key, 0) + value
        sweeps.append(
            {
                "number": sweep.number,
                "channel": sweep.channel,
                "state": sweep.state,
                "started_at": _iso(sweep.started_at),
                "finished_at": _iso(sweep.finished_at),
                "account": _account_part(sweep),
                "template": _template_part(sweep.template),
                "counts": counts,
                "totals": report.totals(counts),
            }
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REGISTER_HEADER)
    table: list[list[str]] = []
    count = 0
    for row in register_rows(brief):
        writer.writerow(row)
        if count < limit:
            table.append(row)
        count += 1
    data = buffer.getvalue().encode("utf-8")
    statement = {
        "scope": "brief",
        "brief": _brief_part(brief),
        "sweeps": sweeps,
        "totals": report.totals(summed) if sweeps else {},
        "register": {
            "file": "registro.csv",
            "rows": count,
            "sha256": hashlib.sha256(data).hexdigest(),
            "listed": len(table),
        },
        "table": table,
    }
    return statement, data


def public_summary(certificate) -> dict:
    """What the public verification page may show: no names, addresses or content."""
    statement = certificate.statement or {}
    brief = statement.get("brief") or {}
    out: dict[str, Any] = {
        "code": certificate.code,
        "scope": certificate.scope,
        "issued_at": _iso(certificate.issued_at),
        "brief": brief.get("code", ""),
        "campaign": brief.get("name", ""),
        "sha256": certificate.sha256,
    }
    if message := statement.get("message"):
        out["channel"] = message.get("channel")
        out["status"] = message.get("status_label")
        out["sent_at"] = message.get("sent_at")
    if register := statement.get("register"):
        out["recipients"] = register.get("rows")
    return out


# --- the PDF -----------------------------------------------------------------------------


def render_pdf(statement: dict, *, code: str, issued_at, issued_by: str, verify_url: str) -> bytes:
    """The certificate as an unsigned one-or-more-page PDF (the signer adds the signature)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=letter,
        leftMargin=1.8 * cm,
        rightMargin=1.8 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.5 * cm,
        title=gettext("Certificación de envío %(code)s") % {"code": code},
        author="Brief ICETEX",
        subject=code,
        keywords=[code],
        creator="Brief",
    )
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
        ]
    )

    def para(text: Any, style=small) -> Paragraph:
        return Paragraph(escape(str(text if text not in (None, "") else "-")), style)

    def pairs(rows: list[tuple[str, Any]]) -> Table:
        table = Table(
            [[para(label), para(value)] for label, value in rows], colWidths=[5 * cm, 12.4 * cm]
        )
        table.setStyle(grid)
        return table

    def grid_table(header: list[str], rows: list[list[Any]], widths=None) -> Table:
        table = Table(
            [[para(h) for h in header], *[[para(v) for v in row] for row in rows]],
            colWidths=widths,
            repeatRows=1,
        )
        table.setStyle(grid)
        table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
        return table

    brief = statement["brief"]
    story: list[Any] = [
        Paragraph(escape(gettext("Certificación de envío")), styles["Title"]),
        pairs(
            [
                (gettext("Código"), code),
                (gettext("Emitido"), timezone.localtime(issued_at).strftime("%d/%m/%Y %H:%M")),
                (gettext("Emitido por"), issued_by),
                (gettext("Verificación"), verify_url),
                (gettext("Campaña"), f"{brief['code']} - {brief['name']}"),
                (gettext("Área solicitante"), brief["area"]),
                (gettext("Proveedor"), brief["provider"]),
            ]
        ),
        Spacer(1, 0.4 * cm),
    ]
    if statement["scope"] == "message":
        message, account = statement["message"], statement["account"] or {}
        template, content = statement["template"], statement["content"]
        story += [
            Paragraph(escape(gettext("Mensaje")), styles["Heading2"]),
            pairs(
                [
                    (
                        gettext("Mensaje"),
                        f"#{message['id']} ({gettext('barrido')} {message['sweep']})",
                    ),
                    (gettext("Canal"), message["channel"]),
                    (gettext("Destinatario"), message["to"]),
                    (gettext("Documento"), message["document"]),
                    (
                        gettext("Cuenta del proveedor"),
                        f"{account.get('code', '')} {account.get('name', '')}",
                    ),
                    (gettext("Id del proveedor"), message["provider_message_id"]),
                    (gettext("Estado"), message["status_label"]),
                    (gettext("Enviado"), message["sent_at"]),
                    (gettext("Entregado"), message["delivered_at"]),
                    (gettext("Leído"), message["read_at"]),
                    (gettext("Fallido"), message["failed_at"]),
                    (gettext("Error"), f"{message['error_code']} {message['error_detail']}"),
                ]
            ),
            Paragraph(escape(gettext("Contenido enviado")), styles["Heading2"]),
            pairs(
                [
                    (gettext("Plantilla"), f"{template['name']} v{template['version']}"),
                    (gettext("Aprobada (congelada)"), template["frozen_at"]),
                    (gettext("SHA-256 de la plantilla"), template["frozen_sha256"]),
                    (gettext("Asunto"), content.get("subject")),
                    (gettext("Texto"), content.get("text") or content.get("not_sent_reason")),
                ]
            ),
            Paragraph(escape(gettext("Intentos de envío")), styles["Heading2"]),
            grid_table(
                [gettext("Fecha"), gettext("Resultado"), gettext("Código"), gettext("Detalle")],
                [[a["at"], a["outcome"], a["code"], a["detail"]] for a in statement["attempts"]],
            ),
            Paragraph(escape(gettext("Estados informados por el proveedor")), styles["Heading2"]),
            grid_table(
                [gettext("Estado"), gettext("Fecha"), gettext("Recibido"), "SHA-256"],
                [
                    [e["status"], e["at"], e["received_at"], e["sha256"]]
                    for e in statement["events"]
                ],
                widths=[2.5 * cm, 3.7 * cm, 3.7 * cm, 7.5 * cm],
            ),
            Paragraph(
                escape(gettext("Notificaciones recibidas (cuerpo original)")), styles["Heading2"]
            ),
            grid_table(
                [gettext("Recibido"), gettext("Tipo"), "SHA-256"],
                [
                    [c["received_at"], c["content_type"], c["sha256"]]
                    for c in statement["callbacks"]
                ],
                widths=[4 * cm, 4 * cm, 9.4 * cm],
            ),
        ]
    else:
        register = statement["register"]
        totals = statement["totals"]
        story += [
            Paragraph(escape(gettext("Barridos")), styles["Heading2"]),
            grid_table(
                [
                    gettext("Barrido"),
                    gettext("Canal"),
                    gettext("Plantilla"),
                    gettext("Cuenta"),
                    gettext("Inicio"),
                    gettext("Fin"),
                    gettext("Enviados"),
                    gettext("Entregados"),
                    gettext("Leídos"),
                    gettext("No enviados"),
                ],
                [
                    [
                        s["number"],
                        s["channel"],
                        f"{s['template']['name']} v{s['template']['version']}",
                        (s["account"] or {}).get("code", ""),
                        s["started_at"],
                        s["finished_at"],
                        s["totals"]["sent"],
                        s["totals"]["delivered"],
                        s["totals"]["read"],
                        s["totals"]["not_sent"],
                    ]
                    for s in statement["sweeps"]
                ],
            ),
            Spacer(1, 0.3 * cm),
            pairs(
                [
                    (gettext("Total enviados"), totals.get("sent", 0)),
                    (gettext("Total entregados"), totals.get("delivered", 0)),
                    (gettext("Total leídos"), totals.get("read", 0)),
                    (gettext("Total no enviados"), totals.get("not_sent", 0)),
                    (gettext("Destinatarios en el registro"), register["rows"]),
                    (gettext("Registro adjunto"), register["file"]),
                    (gettext("SHA-256 del registro"), register["sha256"]),
                ]
            ),
            Paragraph(escape(gettext("Destinatarios")), styles["Heading2"]),
            Paragraph(
                escape(
                    gettext(
                        "Se listan %(listed)s de %(rows)s destinatarios; el registro completo "
                        "va adjunto al PDF (%(file)s) y lo cubre la firma."
                    )
                    % register
                ),
                small,
            ),
            grid_table(
                [
                    gettext("Mensaje"),
                    gettext("Barrido"),
                    gettext("Destinatario"),
                    gettext("Documento"),
                    gettext("Estado"),
                    gettext("Id del proveedor"),
                    gettext("Enviado"),
                ],
                [[r[0], r[1], r[3], r[4], r[5], r[6], r[7]] for r in statement["table"]],
            ),
        ]
    story += [
        Spacer(1, 0.4 * cm),
        Paragraph(
            escape(
                gettext(
                    "Documento firmado digitalmente (PAdES). Verifique su integridad en "
                    "%(url)s cargando este PDF: un solo byte cambiado invalida la firma."
                )
                % {"url": verify_url}
            ),
            small,
        ),
    ]
    doc.build(story)
    return out.getvalue()
