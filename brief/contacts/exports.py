"""Downloads of a base: the rejected rows, and the managed base (the contacts with the
advisors' observations), as CSV or XLSX (values never run as formulas)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import xlsxwriter
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from brief.core.storage import local_copy
from brief.core.tabular import XLSX_TYPE


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
            with local_copy(base.rejects_file) as plain:
                response = HttpResponse(rejects_xlsx(plain), content_type=XLSX_TYPE)
            response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
            return response
        handle = base.rejects_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("El archivo de rechazados ya no está disponible.")) from exc
    return FileResponse(handle, as_attachment=True, filename=f"{name}.csv", content_type="text/csv")


# --- the managed base ---
# (header, Contact field) of the managed base; the custom columns go before «observaciones».
MANAGED_COLUMNS = [
    ("fila", "row"),
    ("tipo_documento", "doc_type"),
    ("documento", "doc_number"),
    ("nombres", "first_names"),
    ("apellidos", "last_names"),
    ("nombre_completo", "full_name"),
    ("celular", "mobile"),
    ("telefono_fijo", "landline"),
    ("correo", "email"),
    ("pais", "country"),
    ("ciudad", "city"),
    ("departamento", "department"),
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _custom_keys(base) -> list[str]:
    keys = [h for h, f in (base.mapping or {}).items() if f == "custom"]
    if keys:
        return keys
    seen: dict[str, None] = {}
    for custom in base.contacts.values_list("custom", flat=True).iterator(chunk_size=5000):
        seen.update(dict.fromkeys(custom or {}))
    return list(seen)


def managed_rows(base) -> Iterator[list[str]]:
    """The managed base: the header, then one row per contact of ``base`` with its custom
    fields and the advisors' observations (``calls`` writes them back to each contact)."""
    custom = _custom_keys(base)
    fields = [f for _h, f in MANAGED_COLUMNS]
    yield [*(h for h, _f in MANAGED_COLUMNS), *custom, "observaciones"]
    rows = base.contacts.order_by("row").values_list(*fields, "custom", "observations")
    for *values, extra, observations in rows.iterator(chunk_size=5000):
        extra = extra or {}
        yield [
            *("" if v is None else str(v) for v in values),
            *(str(extra.get(k, "") or "") for k in custom),
            observations,
        ]


def cell_safe(value: str) -> str:
    """A text cell that a spreadsheet would run as a formula, prefixed with a quote."""
    return f"'{value}" if value.startswith(FORMULA_START) else value


class _Echo:
    def write(self, value: str) -> str:
        return value


def managed_response(base, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """The managed base of ``base`` as a ``csv`` (streamed, formula-safe) or ``xlsx`` download
    (every cell written as text). The caller has checked (and logged) the access."""
    name = f"base-gestionada-{base.brief.code}-{base.pk}"
    if fmt == "xlsx":
        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": False})
        sheet = book.add_worksheet("Base gestionada")
        bold = book.add_format({"bold": True, "bg_color": "#EEF2F7"})
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        for r, row in enumerate(managed_rows(base)):
            for c, value in enumerate(row):
                if r == 0:
                    sheet.write_string(0, c, value, bold)
                elif value:
                    last = c == len(row) - 1
                    sheet.write_string(r, c, value, wrap if last else None)
            if r == 0:
                sheet.set_column(0, len(row) - 2, 16)
                sheet.set_column(len(row) - 1, len(row) - 1, 60)
        sheet.freeze_panes(1, 0)
        book.close()
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    writer = csv.writer(_Echo())
    lines = (writer.writerow([cell_safe(v) for v in row]) for row in managed_rows(base))
    streamed = StreamingHttpResponse(_with_bom(lines), content_type="text/csv; charset=utf-8")
    streamed["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return streamed


def _with_bom(lines: Iterator[str]) -> Iterator[str]:
    # Excel reads UTF-8 CSV correctly only with the byte-order mark.
    yield "\ufeff"
    yield from lines
