"""The audit log on a phone (390 px) and a laptop (1366 px): no sideways scrolling with long
details, the table turns into cards on the phone, the date pickers refuse a backwards range
in Spanish, and the CSV export downloads."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from brief.core.audit import record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}


def assert_no_horizontal_scroll(page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{page.url}: scrollWidth {widths[0]} > {widths[1]}"


@pytest.fixture
def busy_log(auditor):
    """Sixty events with long unbroken details, a long object name and a long list."""
    long_word = "x" * 180
    for n in range(60):
        record(
            "SWEEP_PAUSED_FOR_CHANGE",
            actor=auditor,
            details={
                "sweep": n,
                "reason": f"{long_word} {n}",
                "to": [f"persona{k}@icetex.gov.co" for k in range(12)],
                "filters": {"q": "base gestionada", "desde": "2026-11-01"},
            },
        )
    return auditor


@pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=["390px", "1366px"])
def test_the_log_fits_the_screen(login, page, live_server, busy_log, size):
    # given an auditor on a phone or a laptop
    page.set_viewport_size(size)
    login("auditor")
    # when the audit log opens
    page.goto(f"{live_server.url}{reverse('core:audit_list')}")
    expect(page.get_by_role("heading", name="Auditoría")).to_be_visible()
    expect(page.locator("table.audit tbody tr")).to_have_count(50)
    # then nothing scrolls sideways, and the event reads in Spanish
    assert_no_horizontal_scroll(page)
    expect(page.locator("table.audit tbody tr").first).to_contain_text(
        "Barrido pausado por una solicitud de cambio"
    )
    header_shown = page.locator("table.audit thead").is_visible()
    first_cell = page.locator("table.audit tbody tr").first.locator("td").first
    label = first_cell.evaluate("td => getComputedStyle(td, '::before').content")
    if size is PHONE:
        # the rows are cards: the column names come before each value
        assert label == '"Fecha"'
        assert not header_shown or page.locator("table.audit thead").bounding_box()["width"] <= 1
    else:
        assert header_shown
    # and the next page keeps fitting
    page.get_by_role("link", name="Siguiente").click()
    expect(page.get_by_text("Página 2 de 2")).to_be_visible()
    assert_no_horizontal_scroll(page)
    page.screenshot(path=f"/tmp/brief_audit_{size['width']}.png", full_page=True)


def test_dates_backwards_are_refused_in_spanish(login, page, live_server, busy_log):
    page.set_viewport_size(PHONE)
    login("auditor")
    page.goto(f"{live_server.url}{reverse('core:audit_list')}")
    # when «hasta» is set before «desde» with the date pickers
    page.get_by_label("Desde").fill("2026-11-05")
    page.get_by_label("Hasta").fill("2026-11-01")
    page.get_by_role("button", name="Filtrar").click()
    # then the error is shown and no rows are listed
    expect(page.get_by_role("alert")).to_contain_text("«Hasta» debe ser igual o posterior")
    expect(page.locator("table.audit")).to_have_count(0)
    assert_no_horizontal_scroll(page)


def test_csv_export_downloads(login, page, live_server, busy_log):
    login("auditor")
    page.goto(f"{live_server.url}{reverse('core:audit_list')}?q=solicitud")
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("auditoria-")
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("Fecha,Usuario,Evento,Código")
    assert len(text.splitlines()) == 61
