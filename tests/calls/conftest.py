"""Fixtures of the contact-center tests."""

from __future__ import annotations

import pytest

from brief.calls.models import TypificationNode
from brief.campaigns.choices import Status
from brief.campaigns.models import AdvisorAssignment
from tests.helpers import upload

TYPIFICATION_HEADER = (
    "Categoría,Resultado,Detalle,Código,Cuenta como contacto,Contacto con el titular,"
    "Efectivo,Reintentar (horas),No volver a contactar\n"
)


def typification_csv(*rows: str, name: str = "tipificacion.csv"):
    return upload(name, TYPIFICATION_HEADER + "".join(r + "\n" for r in rows))


@pytest.fixture
def make_call_brief(make_brief):
    """``make_call_brief(status)``: a brief with the call channel (and its script) in ``status``."""

    def make(status: str = "draft", **overrides):
        return make_brief(status, **{"channels": ["call"], **overrides})

    return make


@pytest.fixture
def call_campaign(make_call_brief, make_base, proveedor, asesor):
    """An executing call + WhatsApp brief with the default tree (frozen), a base of two
    contacts and the advisor ``asesor`` assigned: ``(brief, contacts, leaf)``."""
    brief = make_call_brief(Status.EXECUTING, channels=["call", "whatsapp"])
    base = make_base(brief)
    AdvisorAssignment.objects.create(brief=brief, advisor=asesor, assigned_by=proveedor)
    leaf = TypificationNode.objects.get(brief=brief, code="CD0101")
    return brief, list(base.contacts.order_by("row")), leaf


def recording(kind: str):
    if kind == "audio":
        return upload("llamada.mp3", b"ID3\x03\x00" + b"\x00" * 64)
    return upload("pantalla.webm", b"\x1aE\xdf\xa3" + b"\x01" * 64)


# A survey covering every question kind (``with_survey``).
SURVEY = [
    {"key": "recomendaria", "text": "¿Qué tan probable es que nos recomiende?", "kind": "nps"},
    {"key": "satisfaccion", "text": "¿Qué tan satisfecho está con la atención?", "kind": "csat"},
    {"key": "canal", "text": "¿Por qué canal prefiere?", "kind": "choice",
     "options": ["Correo", "WhatsApp", "Llamada"]},
    {"key": "al_dia", "text": "¿Está al día en sus cuotas?", "kind": "yes_no"},
    {"key": "ingresos", "text": "Ingresos mensuales", "kind": "number", "required": False},
    {"key": "pago", "text": "Fecha de pago", "kind": "date", "required": False},
    {"key": "comentario", "text": "Comentarios", "kind": "text", "required": False},
]  # fmt: skip


def with_survey(brief, questions=None):
    """Give the brief's call script (frozen or not) the questions of ``SURVEY``."""
    from brief.content.models import Template

    questions = [
        {"options": [], "required": True, **q} for q in (SURVEY if questions is None else questions)
    ]
    sections = [{"title": "Encuesta", "text": "", "questions": questions}]
    Template.objects.filter(brief=brief, channel="call").update(script_sections=sections)
    return brief


# --- workbench ---

SCRIPT = [
    {
        "title": "Saludo",
        "text": "Buenos días, ¿hablo con {nombres} {apellidos}? Su saldo es {saldo}.",
        "questions": [],
    },
    {
        "title": "Encuesta",
        "text": "Le haré unas preguntas.",
        "questions": [
            {"key": "satisfecho", "text": "¿Está satisfecho?", "kind": "yes_no"},
            {"key": "canal", "text": "¿Qué canal prefiere?", "kind": "choice",
             "options": ["SMS", "Correo", "WhatsApp"]},
            {"key": "comentario", "text": "Comentario", "kind": "text", "required": False},
        ],
    },
]  # fmt: skip


@pytest.fixture
def workbench_campaign(campaign, proveedor, asesor):
    """An executing call brief with a base of three people queued by a call sweep granted the
    windows exception (so the tests run at any hour), a script with placeholders and questions,
    a small typification tree and ``asesor`` assigned: ``(brief, sweep, leaves by code)``."""
    from brief.dispatch import actions as dispatch_actions

    brief, _base, templates = campaign(n=3, channels=("call",))
    template = templates["call"]
    template.script_sections = SCRIPT
    template.save(update_fields=["script_sections"])
    AdvisorAssignment.objects.create(brief=brief, advisor=asesor, assigned_by=proveedor)
    direct = TypificationNode.objects.create(
        brief=brief, level="category", code="CD", label="Contacto directo",
        counts_as_contact=True, right_party=True,
    )  # fmt: skip
    leaves = {
        "CD01": TypificationNode.objects.create(
            brief=brief, parent=direct, level="result", code="CD01", label="Efectivo",
            counts_as_contact=True, right_party=True, effective=True, order=0,
        ),
        "CD02": TypificationNode.objects.create(
            brief=brief, parent=direct, level="result", code="CD02", label="Volver a llamar",
            counts_as_contact=True, right_party=True, retry_after_hours=24, order=1,
        ),
    }  # fmt: skip
    none = TypificationNode.objects.create(
        brief=brief, level="category", code="NC", label="No contacto", order=1
    )
    leaves["NC01"] = TypificationNode.objects.create(
        brief=brief, parent=none, level="result", code="NC01", label="No contesta",
        retry_after_hours=2,
    )  # fmt: skip
    sweep = dispatch_actions.create_sweep(
        brief,
        actor=proveedor,
        channel="call",
        template=template,
        provider_account="locmem",
        ignore_windows=True,
        exception_reason="Campaña de prueba",
    )
    return brief, sweep, leaves
