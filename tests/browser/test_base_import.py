"""The provider loads a brief's base in the browser: picks the file, fixes a column, imports,
and reads the quality summary with its charts."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from brief.campaigns import actions as brief_actions
from brief.campaigns.choices import Status
from brief.contacts.choices import BaseStatus
from brief.contacts.models import ContactBase
from tests.helpers import upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = "/tmp/base_summary.png"
CONTACTS_CSV = (
    "documento,nombres,apellidos,fono_contacto,correo,ciudad\n"
    "1020304050,Ana,Pérez,3001234567,ana@x.co,Bogotá\n"
    "1020304051,Luis,Gómez,3011234567,,Medellín\n"
    "1020304052,Marta,Ruiz,6012345678,,Bogotá\n"
    "1020304053,Jorge,Díaz,,jorge@x.co,Cali\n"
    ",Sin,Documento,3001234567,b@x.co,Cali\n"
    "1020304050,Ana,Duplicada,3041234567,,Bogotá\n"
    "1020304054,,,3051234567,,Pasto\n"
    "1020304055,Pedro,Soto,12,pedro@,Tunja\n"
)


def test_provider_maps_a_column_imports_and_sees_the_summary(
    login,
    page,
    live_server,
    make_brief,
    solicitante,
    proveedor,
):
    # given a received brief with a base whose phone column the synonyms do not know
    brief = make_brief(Status.RECEIVED)
    brief.status = Status.DRAFT  # attachments are added while editable
    brief.save(update_fields=["status"])
    brief_actions.add_attachment(
        brief, actor=solicitante, kind="base", upload=upload("contactos.csv", CONTACTS_CSV)
    )
    brief.status = Status.RECEIVED
    brief.save(update_fields=["status"])

    # when the provider opens the brief's bases and picks that file
    login("proveedor")
    page.goto(f"{live_server.url}/briefs/{brief.code}/")
    page.get_by_role("navigation", name="Secciones del brief").get_by_role(
        "link", name="Base", exact=True
    ).click()
    page.get_by_role("link", name="Ver y cargar bases").click()
    expect(page.get_by_role("heading", name="Base de contactos", exact=True)).to_be_visible()
    chooser = page.get_by_label("Archivo de la base")
    chooser.select_option(label=chooser.locator("option", has_text="contactos.csv").inner_text())
    page.get_by_role("button", name="Cargar base").click()

    # then the mapping screen shows what it detected and its proposal
    expect(page.get_by_role("heading", name="Asignar columnas")).to_be_visible()
    expect(page.locator("#filas")).to_have_text("8")
    expect(page.get_by_label("documento")).to_have_value("doc_number")
    expect(page.get_by_label("fono_contacto")).to_have_value("custom")

    # when the provider maps «fono_contacto» to «Celular» and imports
    page.get_by_label("fono_contacto").select_option(label="Celular")
    page.get_by_role("button", name="Importar base").click()

    # then the summary appears (the task runs in-process), with numbers and both charts
    summary = page.locator("#resumen")
    expect(summary).to_be_visible()
    expect(page.locator("#recibidos")).to_have_text("8")
    expect(page.locator("#usables")).to_have_text("3")
    expect(page.locator("#rechazados")).to_have_text("5")
    expect(page.locator("figure.chart svg")).to_have_count(2)
    expect(page.get_by_role("link", name="Descargar rechazados en XLSX")).to_be_visible()
    expect(page.get_by_role("link", name="Descargar base gestionada en XLSX")).to_be_visible()
    base = ContactBase.objects.get(brief=brief)
    assert base.status == BaseStatus.READY
    assert base.mapping["fono_contacto"] == "mobile"
    page.screenshot(path=SCREENSHOT, full_page=True)
