"""The report documents: the PDF «Ficha Técnica de Resultados» opens with its one-page summary,
the XLSX and CSV carry the same figures; the streamed XLSX writer makes a valid workbook."""

from __future__ import annotations

import io
import subprocess

import polars as pl
import pytest
from python_calamine import CalamineWorkbook

from brief.core.tabular import SheetWriter
from brief.reports import actions, campaign, documents
from tests.helpers import require_binary

pytestmark = pytest.mark.django_db


def pdf_pages(content: bytes) -> list[str]:
    binary = require_binary("pdftotext")
    text = subprocess.run(
        [binary, "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()
    return text.split("\f")


def test_pdf_starts_with_the_title_and_a_one_page_summary(reported, analista):
    brief, _sms, _email = reported
    actions.write_conclusions(brief, actor=analista, text="La campaña alcanzó la meta.")
    data = campaign.build(brief)
    # when the PDF is rendered
    pages = pdf_pages(documents.pdf_bytes(data))
    # then page one is the summary: title, objective, targets, totals and OCM's conclusions
    first = pages[0]
    assert first.strip().startswith("Ficha Técnica de Resultados")
    assert "Recordar el pago de la cuota." in first
    assert "Resultados frente a las metas" in first
    assert f"Enviados: {data['totals']['sent']}" in first
    assert "La campaña alcanzó la meta." in first
    # and the detail follows on the next pages
    assert "Detalle" in pages[1]
    assert "Embudo por barrido" in "".join(pages[1:])


def test_xlsx_sheets_carry_the_figures(reported):
    brief, _sms, _email = reported
    data = campaign.build(brief)
    book = CalamineWorkbook.from_filelike(io.BytesIO(documents.xlsx_bytes(data)))
    assert book.sheet_names[:4] == ["Resumen", "Base", "Metas", "Totales"]
    totals = dict(row[:2] for row in book.get_sheet_by_name("Totales").to_python()[1:])
    assert totals["Enviados"] == data["totals"]["sent"]
    assert totals["Leídos"] == data["totals"]["read"]
    funnel = book.get_sheet_by_name("Embudo por barrido").to_python()
    assert [row[3] for row in funnel[1:]] == [f["sent"] for f in data["funnel"]]


def test_sheet_writer_writes_text_cells_escaped(tmp_path):
    # given rows with XML specials, control characters, formulas and empty cells
    frame = pl.DataFrame(
        {"a": ["<b>&", "=1+1", ""], "b": ["x\x01y", None, "-3"], "c": ["ü", "@x", " +5 "]}
    )
    path = tmp_path / "r.xlsx"
    with path.open("wb") as handle, SheetWriter(handle, "Hoja & 1", ["a", "b", "c"]) as w:
        w.write(frame)
        w.write(frame.head(1))
    # then a spreadsheet reader reads them back as text, formulas made inert
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert rows == [
        ["a", "b", "c"],
        ["<b>&", "xy", "ü"],
        ["'=1+1", "", "'@x"],
        ["", "'-3", " +5 "],
        ["<b>&", "xy", "ü"],
    ]
