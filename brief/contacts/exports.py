"""Downloads of a base: the rejected rows as CSV or XLSX (values never run as formulas)."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import xlsxwriter
from django.http import FileResponse, Http404, HttpResponse
from django.utils.translation import gettext as _

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def formula_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix text that a spreadsheet would run as a formula (CSV injection)."""
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(r"^[=+\-@\t\r]"))
        .then(pl.concat_str(pl.lit("'"), pl.col(c)))
        .otherwise(pl.col(c))
        .alias(c)
        for c, dtype in frame.schema.items()
        if dtype == pl.String
    )


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


def rejects_response(base, fmt: str) -> HttpResponse | FileResponse:
    """The rejected rows of ``base`` as a ``csv`` or ``xlsx`` download.

    The caller has checked (and logged) the access and the format.
    """
    name = f"rechazados-{base.brief.code}-{base.pk}"
    try:
        if fmt == "xlsx":
            response = HttpResponse(
                rejects_xlsx(Path(base.rejects_file.path)), content_type=XLSX_TYPE
            )
            response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
            return response
        handle = base.rejects_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("El archivo de rechazados ya no está disponible.")) from exc
    return FileResponse(handle, as_attachment=True, filename=f"{name}.csv", content_type="text/csv")
