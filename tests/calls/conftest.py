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
