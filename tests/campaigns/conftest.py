"""Helpers to build briefs in any state."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from brief.campaigns import actions
from brief.campaigns.choices import Status
from brief.core import calendar

BASE_CSV = "documento,nombres,apellidos,celular,correo\n1020304050,Ana,Pérez,3001234567,a@x.co\n"


def upload(name: str, content: bytes | str) -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data)


def valid_start(days: int = 5) -> dt.date:
    today = calendar.local(timezone.now()).date()
    return calendar.add_business_days(today, days)


def brief_data(**overrides):
    start = valid_start()
    data = {
        "name": "Actualización de datos 2027-1",
        "objective": "Que los beneficiarios actualicen sus datos de contacto.",
        "description": "Campaña informativa por SMS y correo.",
        "campaign_class": "servicio",
        "kind": "informativa",
        "channels": ["sms", "email"],
        "start_date": start,
        "end_date": start + dt.timedelta(days=8),
        "audience": "Beneficiarios con crédito activo.",
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_brief(solicitante, jefe, comunicaciones, analista, proveedor):
    """``make_brief(status)`` builds a brief and walks it to ``status`` through the actions."""

    path = [
        ("submit", solicitante),
        ("start_review", analista),
        ("forward", analista),
        ("receive", proveedor),
        ("load_base", proveedor),
        ("request_exit", proveedor),
        ("approve_exit", solicitante),
        ("deliver_results", proveedor),
        ("send_results", analista),
        ("accept", solicitante),
    ]

    def make(status: str = Status.DRAFT, **overrides):
        brief = actions.create_brief(actor=solicitante, data=brief_data(**overrides))
        actions.add_attachment(
            brief, actor=solicitante, kind="base", upload=upload("base.csv", BASE_CSV)
        )
        actions.give_approval(brief, "boss", actor=jefe)
        actions.give_approval(brief, "comms", actor=comunicaciones)
        for name, actor in path:
            brief.refresh_from_db()
            if brief.status == status:
                break
            if name == "deliver_results":
                actions.add_attachment(
                    brief, actor=proveedor, kind="report", upload=upload("informe.csv", "total,1\n")
                )
            actions.perform(brief, name, actor=actor)
        brief.refresh_from_db()
        assert brief.status == status
        return brief

    return make
