"""The provider creates a sweep from the brief page, watches its counts and pauses it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from brief.core.calendar import BOGOTA
from brief.dispatch import engine
from brief.dispatch.models import Sweep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = "/tmp/sweep.png"
# A Sunday: outside every contact window, so the (eager) runner defers and the sweep stays
# running with its messages queued, whatever the real time of the test run.
SUNDAY = dt.datetime(2026, 12, 13, 10, 0, tzinfo=BOGOTA)


def test_provider_creates_a_sweep_sees_its_counts_and_pauses_it(
    login,
    page,
    live_server,
    campaign,
    proveedor,
    monkeypatch,
):
    monkeypatch.setattr(engine, "clock", lambda: SUNDAY)
    brief, _, _ = campaign(n=6)

    # the provider opens the brief and starts a new sweep from its panel
    login("proveedor")
    page.goto(f"{live_server.url}/briefs/{brief.code}/")
    page.get_by_role("navigation", name="Secciones del brief").get_by_role(
        "link", name="Barridos", exact=True
    ).click()
    panel = page.locator("#barridos")
    expect(panel).to_contain_text("Todavía no hay barridos.")
    panel.get_by_role("link", name="Nuevo barrido").click()
    expect(page.get_by_role("heading", name="Nuevo barrido")).to_be_visible()

    # choosing the channel reloads the template and account lists for it
    page.get_by_label("Canal", exact=True).select_option(label="SMS")
    expect(page.get_by_label("Plantilla")).not_to_contain_text("Plantilla email")
    page.get_by_label("Plantilla").select_option(label="Plantilla sms · SMS")
    page.get_by_label("Cuenta de proveedor").select_option("locmem")
    # the forecast (htmx, under the strict CSP) says nothing goes on a Sunday, and until when
    forecast = page.locator("#prevision")
    expect(forecast.locator('dd[data-reason="send"]')).to_have_text("0")
    expect(forecast.locator('dd[data-reason="window"]')).to_have_text("6")
    expect(forecast).to_contain_text(
        "Aplazados hasta el lunes 14/12/2026 a las 08:00 por: la franja horaria de contacto"
    )
    # granting the windows exception changes it in place
    page.get_by_label("Ignorar franjas horarias").check()
    expect(forecast.locator('dd[data-reason="send"]')).to_have_text("6")
    page.get_by_label("Ignorar franjas horarias").uncheck()
    expect(forecast.locator('dd[data-reason="send"]')).to_have_text("0")
    page.get_by_role("button", name="Crear barrido").click()

    # the sweep page shows the header and its counts
    expect(page.locator(".messages")).to_contain_text("Barrido 1 creado: 6 destinatarios en cola.")
    expect(page).to_have_url(re.compile(r"/barridos/\d+/$"))
    expect(page.get_by_role("heading", name="Barrido 1 · SMS")).to_be_visible()
    expect(page.locator("#estado-barrido")).to_have_text("En curso")
    expect(page.locator("#total")).to_have_text("6")
    expect(page.locator('#conteos tr[data-status="queued"] td.n').first).to_have_text("6")
    expect(page.locator(".sweep-head")).to_contain_text("Memoria (locmem)")
    expect(page.get_by_role("note")).to_contain_text(
        "los envíos siguen el lunes 14/12/2026 a las 08:00"
    )
    # the held-back count links to the messages, with the reason
    expect(page.locator('#motivos li[data-reason="window"]')).to_contain_text(
        "6 en cola hasta el lunes 14/12/2026 a las 08:00 por: la franja horaria"
    )

    # pausing changes the state in place
    page.get_by_role("button", name="Pausar").click()
    expect(page.locator("#estado-barrido")).to_have_text("En pausa")
    expect(page.get_by_role("button", name="Reanudar")).to_be_visible()
    assert Sweep.objects.get(brief=brief).state == "paused"
    page.screenshot(path=SCREENSHOT, full_page=True)
