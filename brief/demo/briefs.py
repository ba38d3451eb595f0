"""Demo briefs in different states, built through the actions (``brief demo_data``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from brief.accounts.models import Provider, User
from brief.calls import actions as calls_actions
from brief.campaigns import actions
from brief.campaigns.choices import SCRIPT_CHANNELS, Channel
from brief.campaigns.models import Brief
from brief.contacts import actions as contact_actions
from brief.contacts import importer
from brief.content import actions as content_actions
from brief.core import calendar
from brief.dispatch import actions as dispatch_actions

from . import sweeps

DEMO_PROVIDER = "contact-center"

BASE_CSV = (
    "documento,nombres,apellidos,celular,correo\n"
    "1020304050,Ana María,Pérez Gómez,3001234567,ana.perez@example.com\n"
    "79845123,Luis Carlos,Rodríguez,3109876543,luis.rodriguez@example.com\n"
    "52123987,Marta Lucía,Quintero,3155550101,marta.quintero@example.com\n"
)
SCRIPT_TXT = (
    "Buenos días, le habla {asesor} de ICETEX. Le llamamos para recordarle la fecha de pago de "
    "su crédito. ¿Tiene un momento?\n"
)
WELCOME_CSV = (
    "documento,nombres,apellidos,celular,correo\n"
    "1098765432,Valentina,Mora Díaz,3014445566,valentina.mora@example.com\n"
    "1001234567,Santiago,Londoño,3127778899,santiago.londono@example.com\n"
)
REPORT_CSV = "enviados,entregados,no_enviados,leidos\n3,3,0,2\n"

# (target status, F559 fields and optionally its "base" CSV); each brief walks PATH to it,
# meeting each action's checks on the way (a ready base, a template per channel, a sweep).
DEMO_BRIEFS: list[tuple[str, dict]] = [
    (
        "draft",
        {
            "name": "Encuesta de satisfacción de giros 2027-1",
            "objective": "Medir la satisfacción con el proceso de giros.",
            "campaign_class": "experiencia",
            "kind": "informativa",
            "channels": ["email"],
        },
    ),
    (
        "submitted",
        {
            "name": "Actualización de datos 2027-1",
            "objective": "Que los beneficiarios actualicen sus datos de contacto.",
            "description": "Campaña informativa por SMS y correo con enlace al portal.",
            "campaign_class": "servicio",
            "kind": "informativa",
            "channels": ["sms", "email"],
            "content": {
                "sms": "ICETEX: {nombres}, actualice sus datos en portal.icetex.gov.co",
                "email": "Hola {nombres}: actualice sus datos de contacto en el portal.",
            },
        },
    ),
    (
        "in_review",
        {
            "name": "Renovación de crédito semestral",
            "objective": "Recordar la renovación del crédito antes del cierre.",
            "description": "WhatsApp transaccional con confirmación de documentos.",
            "campaign_class": "servicio",
            "kind": "transaccional",
            "channels": ["whatsapp"],
            "content": {"whatsapp": "Hola {nombres}, recuerde renovar su crédito ICETEX."},
        },
    ),
    (
        "forwarded",
        {
            "name": "Recordatorio de pago — cuota de diciembre",
            "objective": "Reducir la mora temprana de diciembre.",
            "description": "SMS y mensaje de voz a deudores con cuota próxima.",
            "campaign_class": "servicio",
            "kind": "informativa",
            "channels": ["sms", "voice"],
            "content": {"sms": "ICETEX: {nombres}, su cuota vence pronto. Pague en línea."},
        },
    ),
    (
        "executing",
        {
            "name": "Convocatoria de becas internacionales",
            "objective": "Informar la apertura de la convocatoria de becas.",
            "description": "Correo y WhatsApp a beneficiarios, incluidos los del exterior.",
            "campaign_class": "experiencia",
            "kind": "informativa",
            "channels": ["email", "whatsapp"],
            "includes_abroad": True,
        },
    ),
    (
        "executing",
        {
            "name": "Seguimiento telefónico a cuotas vencidas",
            "objective": "Acordar el pago de la cuota vencida con el titular.",
            "description": "Llamadas salientes de los asesores con guion y tipificación.",
            "campaign_class": "servicio",
            "kind": "transaccional",
            "channels": ["call"],
        },
    ),
    (
        "accepted",
        {
            "name": "Bienvenida a nuevos beneficiarios 2026-2",
            "objective": "Dar la bienvenida y explicar los canales de atención.",
            "description": "Correo de bienvenida con la guía del beneficiario.",
            "campaign_class": "servicio",
            "kind": "informativa",
            "channels": ["email"],
            "read_register": True,
            # Other people than the open campaigns' base: its finished sweep would otherwise
            # use up today's one contact per person for the executing brief's demo sweep.
            "base": WELCOME_CSV,
        },
    ),
]

PATH = [
    ("submit", "solicitante"),
    ("start_review", "analista"),
    ("forward", "analista"),
    ("receive", "proveedor"),
    ("load_base", "proveedor"),
    ("request_exit", "proveedor"),
    ("approve_exit", "solicitante"),
    ("deliver_results", "proveedor"),
    ("send_results", "analista"),
    ("accept", "solicitante"),
]


_USERNAMES = ("solicitante", "jefe", "comunicaciones", "analista", "proveedor")


def _file(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"))


def demo_users() -> dict[str, User] | None:
    """The demo users who walk the briefs, or None when they were changed by hand."""
    users = {u.username: u for u in User.objects.filter(username__in=_USERNAMES)}
    if set(users) != set(_USERNAMES) or not users["solicitante"].area_id:
        return None
    return users


def load(command) -> None:
    """Create the demo briefs once (skipped when any brief exists)."""
    if Brief.objects.exists():
        return
    users = demo_users()
    if users is None:
        return  # demo users were changed by hand: leave the data alone
    for target, fields in DEMO_BRIEFS:
        fields = dict(fields)
        brief = walk(target, fields, users, fields.pop("base", BASE_CSV))
        if Channel.CALL in brief.channels:
            _assign_advisors(brief, users["proveedor"])
            if brief.status == "executing":
                _call_sweep(brief, users["proveedor"])
    command.stdout.write(f"Briefs de demostración: {len(DEMO_BRIEFS)}.")


def walk(target: str, fields: dict, users: dict[str, User], base_csv: str = BASE_CSV) -> Brief:
    """Create a brief with ``fields`` and walk it through the workflow up to ``target``."""
    provider = Provider.objects.filter(code=DEMO_PROVIDER, active=True).first()
    today = calendar.local(timezone.now()).date()
    start = calendar.add_business_days(today, 5)
    data = {
        "audience": "Beneficiarios con crédito activo de la vicepresidencia.",
        "start_date": start,
        "end_date": start + dt.timedelta(days=10),
        "estimated_base_size": base_csv.count("\n") - 1,
        **fields,
    }
    brief = actions.create_brief(actor=users["solicitante"], data=data)
    actions.add_attachment(
        brief, actor=users["solicitante"], kind="base", upload=_file("base.csv", base_csv)
    )
    if target == "draft":
        return brief
    if set(brief.channels) & SCRIPT_CHANNELS:
        actions.add_attachment(
            brief,
            actor=users["solicitante"],
            kind="script",
            upload=_file("guion.txt", SCRIPT_TXT),
        )
    actions.give_approval(brief, "boss", actor=users["jefe"])
    actions.give_approval(brief, "comms", actor=users["comunicaciones"])
    for action, username in PATH:
        brief.refresh_from_db()
        if brief.status == target:
            break
        params = {}
        note = ""
        if action == "forward":
            params = {"provider": provider.code} if provider else {}
            note = "Base remitida por SFTP."
        if action == "deliver_results":
            sweep = sweeps.run_to_end(brief, users["proveedor"])
            if not sweep.messages.filter(sent_at__isnull=False).exists():
                # Results are only delivered (and the brief accepted) from messages sent: a
                # sweep that sent nothing leaves the demo brief executing.
                break
            actions.add_attachment(
                brief,
                actor=users["proveedor"],
                kind="report",
                upload=_file("informe.csv", REPORT_CSV),
            )
        if action == "accept":
            note = "Recibido a satisfacción."
        if action == "load_base":
            _import_base(brief, users["proveedor"])
        if action == "request_exit":
            _add_templates(brief, users["proveedor"])
        actions.perform(brief, action, actor=users[username], note=note, **params)
    return brief


def _assign_advisors(brief: Brief, director: User) -> None:
    """The provider's director assigns every advisor of the provider to a call campaign."""
    for advisor in calls_actions.provider_advisors(brief):
        calls_actions.assign_advisor(brief, advisor, actor=director)


def _call_sweep(brief: Brief, director: User) -> None:
    """A call sweep fills the campaign's queue, so the demo advisor's workbench has contacts;
    granted the windows exception so that the demo works at any hour."""
    sweeps.ensure_accounts()
    dispatch_actions.create_sweep(
        brief,
        actor=director,
        channel=Channel.CALL,
        template=brief.templates.get(channel=Channel.CALL),
        provider_account="simulado",
        ignore_windows=True,
        exception_reason="Demostración: el puesto de llamadas funciona a cualquier hora.",
    )


def _import_base(brief: Brief, actor) -> None:
    """The provider loads and cleans the base (run here, not queued: no worker yet)."""
    attachment = brief.attachments.filter(kind="base").first()
    assert attachment is not None  # the brief was submitted, which requires its base
    base = contact_actions.start_import(attachment, actor=actor)
    importer.run_import(base.pk)


DEMO_TEMPLATES: dict[str, dict[str, Any]] = {
    "sms": {"body": "ICETEX: {nombres}, su cuota vence pronto. Pague en https://www.icetex.gov.co"},
    "email": {
        "subject": "ICETEX: información para {nombres}",
        "sender": "ICETEX <notificaciones@icetex.gov.co>",
        "html": "<p>Hola {nombres},</p><p>Consulte la convocatoria en "
        '<a href="https://www.icetex.gov.co/becas">icetex.gov.co/becas</a>.</p>',
        "text": "Hola {nombres}, consulte la convocatoria en https://www.icetex.gov.co/becas",
    },
    "whatsapp": {
        "wa_name": "convocatoria_becas",
        "wa_language": "es",
        "wa_category": "utility",
        "body": "Hola {{1}}, ya está abierta la convocatoria de becas de ICETEX.",
        "wa_variables": ["nombres"],
    },
    "voice": {"body": "Hola {nombres}, ICETEX le recuerda que su cuota vence pronto."},
    "call": {
        "script_sections": [
            {
                "title": "Saludo",
                "text": "Buenos días, ¿hablo con {nombres}? Le llamamos de ICETEX por su cuota.",
                "questions": [
                    {
                        "key": "acuerdo_pago",
                        "text": "¿Acepta un acuerdo de pago?",
                        "kind": "choice",
                        "options": ["Sí", "No"],
                    }
                ],
            }
        ]
    },
}


def _add_templates(brief: Brief, actor) -> None:
    """The content the area approves at exit approval, one template per channel."""
    for channel in brief.channels:
        spec = DEMO_TEMPLATES.get(channel)
        if spec:
            content_actions.create_template(
                brief, actor=actor, data={"channel": channel, "name": f"Demo {channel}", **spec}
            )
