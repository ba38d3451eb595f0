"""Downloads of a base: the rejected rows as CSV or XLSX (values never run as formulas)."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import xlsxwriter


def rejects_frame(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)


def rejects_xlsx(path: Path) -> bytes:
    """The rejects CSV as an XLSX workbook; every cell is written as text."""
    frame = rejects_frame(path)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": False})
    sheet = book.add_worksheet("Rechazados")
    bold = book.add_format({"bold": True, "bg_color": "#EEF2F7"})
    for col, name in enumerate(frame.columns):
        sheet.write_string(0, col, name, bold)
        sheet.set_column(col, col, max(12, min(40, len(name) + 4)))
    for r, row in enumerate(frame.iter_rows(), start=1):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write_string(r, c, str(value))
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()
