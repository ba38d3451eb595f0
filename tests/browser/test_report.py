"""The area opens a campaign's report from the brief page and downloads its PDF and XLSX."""

from __future__ import annotations

import io
import subprocess

import pytest
from playwright.sync_api import expect
from python_calamine import CalamineWorkbook

from brief.reports import campaign
from tests.helpers import require_binary

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_area_opens_the_report_and_downloads_pdf_and_xlsx(login, page, live_server, reported):
    brief, _sms, _email = reported
    data = campaign.build(brief)
    # the requester opens the brief and follows the report link
    login("solicitante")
    page.goto(f"{live_server.url}/briefs/{brief.code}/")
    page.get_by_role("navigation", name="Secciones del brief").get_by_role(
        "link", name="Informe", exact=True
    ).click()
    page.get_by_role("link", name="Ficha Técnica de Resultados").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ficha Técnica de Resultados")
    expect(page.locator("#enviados .n")).to_have_text(str(data["totals"]["sent"]))
    expect(page.locator("#metas")).to_contain_text("Contactabilidad")
    expect(page.locator("#barridos-planeados")).to_have_text("2 / 3")
    # the PDF download starts with the title
    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="Descargar el informe en PDF").click()
    pdf = open(pdf_download.value.path(), "rb").read()  # noqa: SIM115
    assert pdf[:5] == b"%PDF-"
    text = subprocess.run(
        [require_binary("pdftotext"), "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert text.strip().startswith("Ficha Técnica de Resultados")
    # the XLSX download carries the totals
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Descargar el informe en XLSX").click()
    content = open(xlsx_download.value.path(), "rb").read()  # noqa: SIM115
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    totals = dict(row[:2] for row in book.get_sheet_by_name("Totales").to_python()[1:])
    assert totals["Enviados"] == data["totals"]["sent"]
    assert totals["Entregados"] == data["totals"]["delivered"]
