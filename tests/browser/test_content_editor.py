"""The SMS editor: the live counter (htmx → the preview endpoint) switches to UCS-2."""

from __future__ import annotations

import pytest
from django.urls import reverse
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


RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
}, true);
"""


def test_email_in_the_visual_editor_with_tags_preview_widths_and_the_content_page(
    login, page, live_server, make_brief, make_base, solicitante
):
    # given a draft brief with a loaded base, and a page that records CSP violations
    brief = make_brief(Status.DRAFT)
    make_base(brief)
    page.add_init_script(RECORD_VIOLATIONS)
    login("solicitante")
    page.goto(live_server.url + reverse("content:template_new", args=[brief.code]) + "?canal=email")
    editor = page.get_by_role("textbox", name="Cuerpo del correo")
    expect(editor).to_be_visible()
    # when the requester fills sender and subject, writes in the editor with the toolbar,
    # and inserts a tag from the list of fields
    page.get_by_label("Remitente").fill("ICETEX <notificaciones@icetex.gov.co>")
    page.get_by_label("Asunto").fill("Actualice sus datos")
    editor.click()
    editor.press_sequentially("Hola ")
    page.get_by_role("button", name="Negrita").click()
    page.get_by_role("button", name="Insertar nombres (Nombres)").click()
    page.get_by_role("button", name="Negrita").click()
    editor.press_sequentially(", su saldo es ")
    page.get_by_role("button", name="Insertar Saldo (Saldo)").click()
    # (the tag lands where the cursor was, in bold only where bold was on)
    expect(editor.locator("strong")).to_have_text("{nombres}")
    expect(editor).to_contain_text("Hola {nombres}, su saldo es {Saldo}")
    editor.scroll_into_view_if_needed()
    page.screenshot(path="/tmp/editor_email_top.png")
    # then the preview shows the personalized e-mail at desktop width, and at mobile width
    page.get_by_role("button", name="Ver vista previa").click()
    frame_element = page.locator("iframe[title='Vista previa del correo']")
    frame = page.frame_locator("iframe[title='Vista previa del correo']")
    expect(frame.get_by_text("Hola Ana María, su saldo es $1.250.000")).to_be_visible()
    expect(frame.locator("strong")).to_have_text("Ana María")
    assert frame_element.evaluate("e => e.getBoundingClientRect().width") == 600
    page.get_by_role("button", name="Móvil (375 px)").click()
    expect(page.get_by_role("button", name="Móvil (375 px)")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(frame_element).to_have_class("mail mail-mobile")
    assert frame_element.evaluate("e => e.getBoundingClientRect().width") == 375
    page.screenshot(path="/tmp/editor_email.png", full_page=True)
    # (the choice survives a new preview)
    page.get_by_role("button", name="Ver vista previa").click()
    expect(page.get_by_role("button", name="Móvil (375 px)")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(frame_element).to_have_class("mail mail-mobile")
    page.get_by_role("button", name="Escritorio (600 px)").click()
    assert frame_element.evaluate("e => e.getBoundingClientRect().width") == 600
    # and saving stores sanitized HTML with the tags, listed on the content page
    page.get_by_role("button", name="Guardar plantilla").click()
    expect(page.locator(".messages")).to_contain_text("guardada")
    template = Template.objects.get()
    # (a space typed just before a tag is kept as the browser's no-break space)
    assert template.html.replace("&nbsp;", " ") == (
        "<p>Hola <strong>{nombres}</strong>, su saldo es {Saldo}</p>"
    )
    assert template.sender == "ICETEX <notificaciones@icetex.gov.co>"
    # and the saved body opens again in the visual editor
    expect(page.get_by_role("textbox", name="Cuerpo del correo")).to_contain_text(
        "Hola {nombres}, su saldo es {Saldo}"
    )
    # and no part of the editor broke the page's Content-Security-Policy
    assert page.evaluate("() => window.__cspViolations") == []
    page.get_by_role("link", name="Contenido", exact=True).click()
    expect(page.get_by_role("link", name="Correo electrónico 1")).to_be_visible()
