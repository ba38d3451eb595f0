"""A returned brief as its requester sees it on a phone: who acts next, why it came back,
tabs loaded by htmx, and no sideways scrolling at 390 px."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from brief.campaigns import actions, workspace
from brief.campaigns.choices import ChecklistItem, Status
from brief.core.sla import ensure_default_rules

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SCREENSHOT = "/tmp/brief_workspace_390.png"


def assert_no_horizontal_scroll(page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{page.url}: scrollWidth {widths[0]} > {widths[1]}"


def test_returned_brief_on_a_phone(login, page, live_server, make_brief, analista):
    # given a brief OCM returned with its reasons
    ensure_default_rules()  # a transactional test flushes the rules the migration created
    brief = make_brief(Status.IN_REVIEW)
    checklist = {item: item != ChecklistItem.SCRIPT for item in ChecklistItem.values}
    actions.perform(
        brief, "return", actor=analista, note="Falta el guion del SMS.", checklist=checklist
    )
    # when the requester opens it on a 390 px wide screen
    page.set_viewport_size(PHONE)
    login("solicitante")
    page.goto(live_server.url + reverse("campaigns:brief_detail", args=[brief.code]))
    # then the header says why it came back and who acts next
    banner = page.locator("#motivos-devolucion")
    expect(banner).to_contain_text("Devolver al área: Analista")
    expect(banner).to_contain_text("Motivos: Falta el guion del SMS.")
    expect(banner).to_contain_text("No cumple: Guion o contenido del mensaje")
    expect(page.locator("#siguiente")).to_contain_text(
        "Le toca a: Solicitante o Jefe inmediato de Vicepresidencia de Crédito y Cobranza — radicar"
    )
    expect(page.locator(".stepper [aria-current=step]")).to_contain_text("Devuelto al área")
    expect(page.locator("#pestana-formato")).to_contain_text("Formato F559")
    assert_no_horizontal_scroll(page)

    # switching tabs loads each one in place (htmx) and puts it in the address
    tabs = page.get_by_role("navigation", name="Secciones del brief")
    tabs.get_by_role("link", name="Historial", exact=True).click()
    expect(page.locator("#pestana-historial")).to_contain_text("Motivos: Falta el guion del SMS.")
    expect(page).to_have_url(re.compile(r"\?tab=historial$"))
    expect(tabs.get_by_role("link", name="Historial", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.locator("#pestana-formato")).to_have_count(0)
    assert_no_horizontal_scroll(page)
    tabs = page.get_by_role("navigation", name="Secciones del brief")
    tabs.get_by_role("link", name="ANS", exact=True).click()
    expect(page.locator("#pestana-ans")).to_contain_text("Verificación del brief por OCM")
    expect(page.locator("#motivos-devolucion")).to_be_visible()  # the header stays
    assert_no_horizontal_scroll(page)
    # the browser's back button returns to the history tab
    page.go_back()
    expect(page.locator("#pestana-historial")).to_be_visible()
    page.screenshot(path=SCREENSHOT, full_page=True)


def test_list_board_sweep_report_and_brief_tabs_fit_a_phone(login, page, live_server, reported):
    # given a campaign with two sweeps and a report
    brief, sms, _email = reported
    page.set_viewport_size(PHONE)
    login("analista")
    pages = {
        "lista": reverse("campaigns:brief_list"),
        "tablero": reverse("campaigns:board"),
        "barrido": reverse("dispatch:sweep_detail", args=[sms.pk]),
        "informe": reverse("reports:campaign", args=[brief.code]),
        "barridos del brief": reverse("campaigns:brief_tab", args=[brief.code, "barridos"]),
        "auditoría": reverse("core:audit_list"),
    }
    detail = reverse("campaigns:brief_detail", args=[brief.code])
    pages |= {f"brief {tab}": f"{detail}?tab={tab}" for tab in workspace.TABS}
    # then none of them scrolls sideways at 390 px
    wide = {}
    for name, url in pages.items():
        page.goto(live_server.url + url)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.wait_for_load_state("networkidle")  # htmx panels loaded
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > page.evaluate("() => document.documentElement.clientWidth"):
            page.screenshot(path=f"/tmp/wide_{name.replace(' ', '_')}.png", full_page=True)
            wide[name] = width
    assert wide == {}
    # and the list shows each brief's state within the screen (one card per brief)
    page.goto(live_server.url + pages["lista"])
    state = page.locator("td[data-label=Estado]", has_text=brief.get_status_display())
    expect(state).to_be_visible()
    box = state.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    page.screenshot(path="/tmp/brief_list_390.png", full_page=True)
