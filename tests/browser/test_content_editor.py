"""The SMS editor: the live counter (htmx → the preview endpoint) switches to UCS-2."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from brief.campaigns.choices import Status
from brief.content.models import Template

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = "/tmp/editor.png"


def test_sms_counter_switches_to_ucs2_when_an_accent_is_typed(
    login, page, live_server, make_brief, make_base, solicitante
):
    # given a draft brief with a loaded base (2,500 usable SMS recipients)
    brief = make_brief(Status.DRAFT)
    make_base(brief)
    login("solicitante")
    # when the requester opens the SMS editor from the brief's content page
    page.goto(f"{live_server.url}/briefs/{brief.code}/")
    page.get_by_role("navigation", name="Secciones del brief").get_by_role(
        "link", name="Contenido", exact=True
    ).click()
    page.get_by_role("link", name="Plantillas y piezas creativas").click()
    page.get_by_role("link", name="Nueva plantilla de SMS").click()
    expect(page.get_by_role("heading", name="Nueva plantilla de SMS")).to_be_visible()
    body = page.get_by_label("Texto del SMS")
    encoding = page.locator("#sms-encoding")
    characters = page.locator("#sms-characters")
    segments = page.locator("#sms-segments")
    # and types a GSM-7 message of 66 characters (68 septets: "{" and "}" count two each)
    body.press_sequentially("ICETEX: {nombres}, actualice sus datos antes del viernes. Gracias ")
    # then the counter shows GSM-7, its characters and one segment (and the estimated cost)
    expect(encoding).to_have_text("GSM-7")
    expect(characters).to_have_text("68")
    expect(segments).to_have_text("1")
    expect(page.locator("#sms-cost")).to_contain_text("2\xa0500 segmentos")
    # when an accented character is typed, lengthening it past 70 characters
    body.press_sequentially("Atención")
    # then the counter switches to UCS-2, names the culprit and the segments double
    expect(encoding).to_have_text("UCS-2")
    expect(characters).to_have_text("74")
    expect(segments).to_have_text("2")
    expect(page.locator("#sms-non-gsm")).to_contain_text("ó")
    expect(page.locator("#sms-cost")).to_contain_text("5\xa0000 segmentos")
    page.screenshot(path=SCREENSHOT, full_page=True)
    # when "Transliterar" is clicked, the text goes back to GSM-7 in one click
    page.get_by_role("button", name="Transliterar").click()
    expect(body).to_have_value(
        "ICETEX: {nombres}, actualice sus datos antes del viernes. Gracias Atencion"
    )
    expect(encoding).to_have_text("GSM-7")
    expect(characters).to_have_text("76")
    expect(segments).to_have_text("1")
    # and the preview with a real contact of the base shows the personalized message
    page.get_by_role("button", name="Ver vista previa").click()
    expect(page.locator("#vista-previa")).to_contain_text("ICETEX: Ana María, actualice")
    # and saving stores the template
    page.get_by_role("button", name="Guardar plantilla").click()
    expect(page.locator(".messages")).to_contain_text("guardada")
    assert Template.objects.get().body.endswith("Gracias Atencion")


def test_email_template_with_preview_and_the_content_page(
    login, page, live_server, make_brief, make_base, solicitante
):
    # given a draft brief with a loaded base
    brief = make_brief(Status.DRAFT)
    make_base(brief)
    login("solicitante")
    page.goto(f"{live_server.url}/briefs/{brief.code}/contenido/plantillas/nueva/?canal=email")
    # when the requester writes an e-mail with a link and the unsubscribe placeholder
    page.get_by_label("Asunto").fill("{nombres}, actualice sus datos")
    page.get_by_label("Cuerpo HTML").fill(
        "<h1>Hola {nombres}</h1><p>Su saldo es <strong>{saldo}</strong>.</p>"
        '<p><a href="https://www.icetex.gov.co/datos">Actualizar datos</a></p>'
        '<p><small><a href="{enlace_baja}">Cancelar suscripción</a></small></p>'
        "<script>alert(1)</script>"
    )
    # then the preview with the first contact shows the personalized subject and HTML
    page.get_by_role("button", name="Ver vista previa").click()
    preview = page.locator("#vista-previa")
    expect(preview).to_contain_text("Asunto: Ana María, actualice sus datos")
    frame = page.frame_locator("iframe[title='Vista previa del correo']")
    expect(frame.get_by_role("heading", name="Hola Ana María")).to_be_visible()
    # and saving keeps a sanitized body and one tracked link, listed on the content page
    page.get_by_role("button", name="Guardar plantilla").click()
    expect(page.locator(".messages")).to_contain_text("guardada")
    template = Template.objects.get()
    assert "<script>" not in template.html
    assert [link.url for link in template.links.all()] == ["https://www.icetex.gov.co/datos"]
    page.screenshot(path="/tmp/editor_email.png", full_page=True)
    page.get_by_role("link", name="Contenido", exact=True).click()
    expect(page.get_by_role("link", name="Correo electrónico 1")).to_be_visible()
    page.screenshot(path="/tmp/content_index.png", full_page=True)
