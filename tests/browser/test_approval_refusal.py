"""An approval refused in the browser: comms refuses with a reason, the requester sees the
banner and asks again."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from brief.campaigns import actions
from brief.campaigns.models import Brief
from tests.helpers import brief_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT = "/tmp/brief_refused_approval.png"


def test_refused_approval_shows_in_the_banner_and_can_be_asked_again(
    login, page, live_server, solicitante, comunicaciones
):
    # given a draft that still needs the comms approval
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    url = live_server.url + reverse("campaigns:brief_detail", args=[brief.code])
    # when comms refuses it with a reason
    login("comunicaciones")
    page.goto(url)
    page.get_by_text("Rechazar aval…").click()
    refuse = page.get_by_role("form", name="Rechazar aval de comunicaciones")
    refuse.get_by_label("Motivo del rechazo").fill("La pieza no usa el logo vigente.")
    refuse.get_by_role("button", name="Rechazar aval").click()
    expect(
        page.get_by_text("Aval de comunicaciones rechazado: se avisó al solicitante.")
    ).to_be_visible()
    # then the requester sees the banner with who and why
    page.context.clear_cookies()
    login("solicitante")
    page.goto(url)
    banner = page.locator("#aval-rechazado-comms")
    expect(banner).to_contain_text("Aval rechazado por Comunicaciones")
    expect(banner).to_contain_text("Motivo: La pieza no usa el logo vigente.")
    expect(page.locator("#siguiente")).to_contain_text(
        "corregir y pedir de nuevo el aval de comunicaciones"
    )
    page.screenshot(path=SCREENSHOT, full_page=True)
    # and asks again: the banner goes away
    ask = page.get_by_role("form", name="Pedir aval de comunicaciones")
    ask.get_by_label("Comentario para quien da el aval").fill("Ya cambiamos el logo.")
    ask.get_by_role("button", name="Pedir aval de nuevo").click()
    expect(page.get_by_text("Aval de comunicaciones solicitado")).to_be_visible()
    expect(page.locator("#aval-rechazado-comms")).to_have_count(0)
    brief = Brief.objects.get(pk=brief.pk)
    assert brief.comms_refused_at is None
    assert brief.comms_requested_at is not None
