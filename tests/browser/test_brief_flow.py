"""The whole brief path, draft → accepted, through the browser, one role after another."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from brief.campaigns.choices import Status
from brief.campaigns.models import Brief
from brief.core.sla import ensure_default_rules
from tests.helpers import BASE_CSV, channel_templates, finished_sweep, ready_base, valid_start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = "/tmp/brief_detail.png"


def test_whole_path_draft_to_accepted_in_the_browser(
    login, page, live_server, solicitante, jefe, comunicaciones, analista, proveedor, provider_org
):
    ensure_default_rules()  # a transactional test flushes the rules the migration created
    start = valid_start(5)  # at least 3 Colombian business days away

    def sign_in(username: str):
        page.context.clear_cookies()
        login(username)
        page.goto(detail_url)

    def run(button: str, status_label: str, note: str = ""):
        form = page.get_by_role("form", name=button)
        if note:
            form.get_by_role("textbox").fill(note)
        form.get_by_role("button", name=button, exact=True).click()
        expect(page.locator(".messages")).to_contain_text(f"quedó «{status_label}»")
        expect(page.locator("#estado")).to_have_text(status_label)

    def run_folded(button: str, status_label: str, note: str):
        """An action folded under its summary (returns, rejections): open it, then run it."""
        page.locator("summary", has_text=button).click()
        run(button, status_label, note=note)

    def expect_blocked(button: str, reason: str):
        """The action's button is disabled and the reason is shown right after it."""
        form = page.get_by_role("form", name=button)
        expect(form.get_by_role("button", name=button, exact=True)).to_be_disabled()
        expect(form.locator("button + p.blocked")).to_contain_text(reason)

    def attach(kind: str, name: str, content: str):
        page.get_by_label("Tipo de documento").select_option(label=kind)
        page.get_by_label("Archivo", exact=True).set_input_files(
            {"name": name, "mimeType": "text/csv", "buffer": content.encode()}
        )
        page.get_by_role("button", name="Adjuntar").click()
        expect(page.locator(".messages")).to_contain_text(f"Adjunto «{name}» guardado")

    # the requester fills the F559 and saves the draft
    login("solicitante")
    page.goto(f"{live_server.url}/briefs/nuevo/")
    page.get_by_label("Nombre de la campaña").fill("Actualización de datos 2027-1")
    page.get_by_label("Objetivo", exact=True).fill("Que los beneficiarios actualicen sus datos.")
    page.get_by_label("Descripción", exact=True).fill("Campaña informativa por SMS y correo.")
    page.get_by_label("SMS", exact=True).check()
    page.get_by_label("Correo electrónico", exact=True).check()
    page.get_by_label("Fecha de inicio deseada").fill(start.isoformat())
    page.get_by_label("Fecha de fin deseada").fill((start + dt.timedelta(days=7)).isoformat())
    page.get_by_label("Público objetivo", exact=True).fill("Beneficiarios con crédito activo.")
    page.get_by_label("Mensaje o guion — SMS").fill("ICETEX: {nombres}, actualice sus datos.")
    page.get_by_role("button", name="Guardar borrador").click()
    expect(page.locator(".messages")).to_contain_text("guardado")
    code = re.search(r"BRF-\d{4}-\d{4}", page.url).group(0)
    detail_url = f"{live_server.url}/briefs/{code}/"
    # and attaches the contact base through the file input
    attach("Base de datos", "base.csv", BASE_CSV)
    expect(page.get_by_text("Falta el aval del jefe inmediato.")).to_be_visible()

    # the boss and communications give their approvals
    sign_in("jefe")
    page.get_by_role("button", name="Dar aval del jefe inmediato").click()
    expect(page.locator(".messages")).to_contain_text("Aval del jefe inmediato registrado.")
    sign_in("comunicaciones")
    page.get_by_role("button", name="Dar aval de comunicaciones").click()
    expect(page.locator(".messages")).to_contain_text("Aval de comunicaciones registrado.")

    # the requester submits
    sign_in("solicitante")
    expect(page.get_by_text("Para radicar falta:")).to_have_count(0)
    run("Radicar", "Radicado")
    # and the header names who acts next and what they must do
    next_actor = page.locator("#siguiente")
    expect(next_actor).to_contain_text(
        re.compile(r"Le toca a: .*Analista OCM.* — .*iniciar verificación")
    )

    # OCM verifies and forwards to the provider
    sign_in("analista")
    run("Iniciar verificación", "En verificación OCM")
    page.get_by_label("Proveedor", exact=True).select_option(provider_org.code)
    run("Remitir al proveedor", "Remitido al proveedor", note="Base por ruta segura.")

    # the provider receives, loads the base and asks for the exit approval; each button
    # stays disabled, with the reason beside it, until the brief meets the action's check
    sign_in("proveedor")
    run("Recibir", "Recibido por el proveedor")
    brief = Brief.objects.get(code=code)
    expect_blocked("Registrar cargue de base", "Importe y depure la base de contactos")
    ready_base(brief, proveedor)
    page.goto(detail_url)
    run("Registrar cargue de base", "Base cargada")
    expect_blocked("Solicitar aprobación de salida", "Falta la plantilla del canal «SMS».")
    channel_templates(brief, proveedor)
    page.goto(detail_url)
    run("Solicitar aprobación de salida", "Esperando aprobación de salida")
    # the provider is told who approves the exit now (not just that it has nothing to do)
    expect(next_actor).to_contain_text(re.compile(r"Le toca a: .*Solicitante.* — aprobar salida"))

    # the requester approves the exit
    sign_in("solicitante")
    run("Aprobar salida", "En ejecución")

    # the provider uploads its report and delivers
    sign_in("proveedor")
    attach("Informe de resultados", "informe.csv", "enviados,entregados\n1,1\n")
    expect_blocked("Entregar resultados", "Todavía no hay un barrido terminado")
    finished_sweep(brief, proveedor)
    page.goto(detail_url)
    run("Entregar resultados", "Resultados en revisión OCM")

    # OCM returns the results to the provider with its reasons; the provider delivers again
    sign_in("analista")
    run_folded("Devolver resultados al proveedor", "En ejecución", "Faltan los leídos.")
    # the banner at the top says why, and who acts next
    expect(page.locator("#motivos-devolucion")).to_contain_text("Motivos: Faltan los leídos.")
    expect(page.locator("#siguiente")).to_contain_text("Le toca a: Proveedor")
    sign_in("proveedor")
    run("Entregar resultados", "Resultados en revisión OCM")

    # OCM sends the results to the area, which rejects them once, then accepts them
    sign_in("analista")
    run("Enviar resultados al área", "Resultados enviados al área")
    sign_in("solicitante")
    run_folded("Rechazar resultados", "Resultados en revisión OCM", "Falta el total por canal.")
    expect(page.locator("#motivos-devolucion")).to_contain_text("Falta el total por canal.")
    sign_in("analista")
    run("Enviar resultados al área", "Resultados enviados al área", note="Total por canal: …")
    sign_in("solicitante")
    run("Aceptar", "Aceptado", note="Recibido a satisfacción.")

    # then the history tab (loaded by htmx) shows every step, in order
    expect(page.locator("#motivos-devolucion")).to_have_count(0)
    page.get_by_role("link", name="Historial", exact=True).click()
    expect(page).to_have_url(re.compile(r"\?tab=historial$"))
    approvals = page.locator("#historial ol.timeline > li.approval-given")
    expect(approvals).to_have_count(2)
    expect(approvals.first).to_contain_text("Aval dado: Aval del jefe inmediato")
    steps = page.locator("#historial ol.timeline > li:not(.approval-given)")
    expect(steps).to_have_count(14)
    labels = [text.split(":")[0] for text in steps.all_inner_texts()]
    assert labels == [
        "Radicar",
        "Iniciar verificación",
        "Remitir al proveedor",
        "Recibir",
        "Registrar cargue de base",
        "Solicitar aprobación de salida",
        "Aprobar salida",
        "Entregar resultados",
        "Devolver resultados al proveedor",
        "Entregar resultados",
        "Enviar resultados al área",
        "Rechazar resultados",
        "Enviar resultados al área",
        "Aceptar",
    ]
    expect(page.locator("#historial")).to_contain_text("Motivos: Falta el total por canal.")
    expect(page.locator("#historial")).to_contain_text("Recibido a satisfacción.")
    page.get_by_role("link", name="ANS", exact=True).click()
    expect(page.locator("#ans")).to_contain_text("a tiempo")
    assert Brief.objects.get(code=code).status == Status.ACCEPTED
    page.screenshot(path=SCREENSHOT, full_page=True)
