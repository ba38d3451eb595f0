"""A campaign ready to send: brief in execution, a ready base, templates, provider accounts."""

from __future__ import annotations

import pytest

from brief.campaigns.choices import Status
from brief.contacts import importer
from brief.contacts.choices import BaseStatus
from brief.contacts.models import ContactBase
from brief.dispatch.models import ProviderAccount
from brief.dispatch.providers import locmem
from tests.campaigns.conftest import make_brief  # noqa: F401  (fixture)
from tests.contacts.test_import import attach_base

HEADER = "documento,nombres,apellidos,celular,correo,pais,saldo\n"


def base_csv(n: int, *, start: int = 1) -> str:
    rows = [HEADER]
    for i in range(start, start + n):
        rows.append(f"{10_000_000 + i},Persona{i},Prueba,300{i:07d},p{i}@correo.co,,{i * 1000}\n")
    return "".join(rows)


@pytest.fixture(autouse=True)
def _clear_locmem():
    locmem.outbox.clear()
    yield
    locmem.outbox.clear()


@pytest.fixture
def accounts(db):
    return {
        "locmem": ProviderAccount.objects.create(
            code="locmem",
            name="Memoria",
            backend="brief.dispatch.providers.locmem.LocmemProvider",
            channels=["sms", "email", "whatsapp", "voice", "call"],
            rate_per_second=1_000_000,
            chunk_size=50,
        ),
        "simulado": ProviderAccount.objects.get_or_create(
            code="simulado",
            defaults={
                "name": "Simulado",
                "backend": "brief.dispatch.providers.simulated.SimulatedProvider",
                "channels": ["sms", "email", "whatsapp", "voice", "call"],
            },
        )[0],
    }


@pytest.fixture
def campaign(make_brief, solicitante, proveedor, accounts):  # noqa: F811
    """``campaign(n=…, channels=…)`` → (brief, base, {channel: template})."""
    from brief.content.models import Template

    def make(n: int = 20, channels=("sms", "email"), content: str | None = None):
        brief = make_brief(Status.RECEIVED, channels=list(channels))
        attachment = attach_base(brief, solicitante, "base.csv", content or base_csv(n))
        base = ContactBase.objects.create(
            brief=brief,
            attachment=attachment,
            source_name="base.csv",
            created_by=proveedor,
            channels=list(channels),
        )
        assert importer.run_import(base.pk) == BaseStatus.READY
        templates = {}
        for channel in channels:
            templates[channel] = Template.objects.create(
                brief=brief,
                channel=channel,
                name=f"Plantilla {channel}",
                body="Hola {nombres}, su saldo es {saldo}.",
                subject="Aviso ICETEX",
                text="Hola {nombres}",
                html="<p>Hola {nombres}</p>",
                created_by=proveedor,
            )
        brief.status = Status.EXECUTING
        brief.save(update_fields=["status"])
        base.refresh_from_db()
        return brief, base, templates

    return make
