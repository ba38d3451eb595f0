"""An advisor works three calls in a row on the workbench, mostly from the keyboard — typify,
observe, answer the survey, schedule a callback on one — and sees the campaign's figures move."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from brief.calls.models import Interaction, QueueEntry
from brief.contacts.models import Contact
from tests.calls import conftest as calls_fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = "/tmp/workbench.png"
FORM_SCREENSHOT = "/tmp/workbench-form.png"
workbench_campaign = calls_fixtures.workbench_campaign  # the contact-center tests' campaign


def _figures(page, **expected):
    for name, value in expected.items():
        expect(page.locator(f"#cifra-{name.replace('_', '-')}")).to_have_text(str(value))


def _current_contact(page) -> str:
    expect(page.locator("#gestion")).to_be_visible()
    return page.locator("#contacto-title").inner_text()


def test_an_advisor_works_three_calls_and_sees_the_figures_move(
    login, page, live_server, workbench_campaign
):
    _brief, _, leaves = workbench_campaign
    callback = timezone.localtime() + dt.timedelta(days=2)

    # the advisor finds the campaign from the navigation and opens its workbench
    login("asesor")
    page.get_by_role("navigation").get_by_role("link", name="Puesto de llamadas").click()
    page.get_by_role("link", name="Trabajar").click()
    expect(page.locator("#sin-capacitacion")).to_be_visible()
    _figures(page, marcados=0, contactos=0, efectivos=0, pendientes=3, en_gestion=0, cerrados=0)
    page.get_by_role("button", name="Siguiente contacto").click()

    # call 1: search the typification and pick it with Enter, type, answer, Ctrl+Enter
    first = _current_contact(page)
    expect(page.locator("#tip-buscar")).to_be_focused()
    page.keyboard.type("efectivo")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Observaciones")).to_be_focused()
    expect(page.locator(f"#tip-{leaves['CD01'].pk}")).to_be_checked()
    page.keyboard.type("Actualizó su correo.")
    page.get_by_label("Sí").check()
    page.get_by_label("Correo", exact=True).check()
    page.get_by_label("Comentario").fill("Muy amable")
    page.get_by_label("Comentario").press("Control+Enter")
    expect(page.locator(".messages")).to_contain_text(f"Llamada a {first} registrada")
    _figures(page, marcados=1, contactos=1, efectivos=1, pendientes=1, en_gestion=1, cerrados=1)

    # call 2: the typification by its number, and a callback the person asked for
    second = _current_contact(page)
    assert second != first
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(page.locator(f"#tip-{leaves['CD02'].pk}")).to_be_checked()
    page.keyboard.type("Pide que la llamen el jueves.")
    page.get_by_label("No", exact=True).check()
    page.get_by_label("WhatsApp").check()
    page.get_by_label("Volver a llamar el").fill(callback.strftime("%Y-%m-%dT%H:%M"))
    page.screenshot(path=FORM_SCREENSHOT, full_page=True)
    page.get_by_role("button", name="Guardar y siguiente").click()
    expect(page.locator(".messages")).to_contain_text(f"Llamada a {second} registrada")
    _figures(page, marcados=2, contactos=2, efectivos=1, pendientes=1, en_gestion=1, cerrados=1)

    # call 3: forgetting the typification is refused in Spanish and keeps what was typed
    third = _current_contact(page)
    assert third not in (first, second)
    page.get_by_label("Observaciones").fill("Nadie contestó.")
    page.get_by_label("Observaciones").press("Control+Enter")
    expect(page.locator("#tipificacion-error")).to_have_text("Elija la tipificación de la llamada.")
    expect(page.get_by_label("Observaciones")).to_have_value("Nadie contestó.")
    page.locator("#tip-buscar").fill("NC01")
    page.locator("#tip-buscar").press("Enter")
    page.get_by_label("Observaciones").press("Control+Enter")
    expect(page.locator(".messages")).to_contain_text(f"Llamada a {third} registrada")
    _figures(page, marcados=3, contactos=2, efectivos=1, pendientes=2, en_gestion=0, cerrados=1)
    expect(page.locator("#efectividad .n")).to_have_text("50,0 %")
    expect(page.locator("#tasa-contacto .n")).to_have_text("66,7 %")
    # nothing is due now: the page says why
    expect(page.locator(".messages")).to_contain_text("Ningún contacto toca todavía")
    page.screenshot(path=SCREENSHOT, full_page=True)

    # each interaction stored with its typification, answers and observations
    calls = {i.contact.full_name: i for i in Interaction.objects.select_related("contact")}
    assert calls[first].typification == leaves["CD01"]
    assert calls[first].answers["canal"] == "Correo"
    assert calls[first].answers["satisfecho"] in ("sí", True)
    assert calls[first].answers["comentario"] == "Muy amable"
    assert calls[second].typification == leaves["CD02"]
    assert calls[second].answers["canal"] == "WhatsApp"
    assert calls[third].typification == leaves["NC01"]
    assert calls[third].observations == "Nadie contestó."
    for name, text in (
        (first, "Actualizó su correo."),
        (second, "Pide que la llamen el jueves."),
        (third, "Nadie contestó."),
    ):
        assert calls[name].observations == text
        assert Contact.objects.get(pk=calls[name].contact_id).observations.endswith(text)
    entry = QueueEntry.objects.get(contact=calls[second].contact_id)
    assert timezone.localtime(entry.next_attempt_at).strftime("%Y-%m-%dT%H:%M") == (
        callback.strftime("%Y-%m-%dT%H:%M")
    )
    assert QueueEntry.objects.get(contact=calls[first].contact_id).closed
