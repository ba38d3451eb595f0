"""Spreadsheet downloads written chunk by chunk, so memory stays flat at any size: a CSV
stream (UTF-8 with BOM) and a one-sheet XLSX written by :class:`SheetWriter`, both fed
polars frames of string columns and both formula-safe (:func:`formula_safe`: a cell starting
with ``=``, ``+``, ``-``, ``@`` gets a leading ``'``, against CSV injection).

:class:`SheetWriter` is a minimal SpreadsheetML writer: the sheet's XML is built per chunk
with vectorized polars string expressions and deflated into the zip as it goes. xlsxwriter's
``constant_memory`` mode spends its time per cell in Python (about 35,000 cells/s on the
loaded 2-core machine: a million rows of twelve columns would take minutes), so the large
registers use this writer; the benchmark ``report_xlsx_1m`` compares the two on the same
rows. Every cell is an inline string (text stays text).

Used by the campaign registers (reports), the CRM export (calls), the base imports
(contacts) and the audit log (core).
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

import polars as pl
from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.cache import add_never_cache_headers

EXPORT_FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


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


_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PARTS = {
    "[Content_Types].xml": (
        f'<Types xmlns="{_PKG}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
    ),
    "xl/styles.xml": (
        f'<styleSheet {_NS}><fonts count="2"><font><sz val="11"/><name val="Calibri"/>'
        '</font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill '
        'patternType="gray125"/></fill></fills><borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf/>'
        '<xf fontId="1" applyFont="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" '
        'xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    ),
}
_PROLOG = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


_SPECIAL = r"[&<>\x00-\x08\x0B\x0C\x0E-\x1F]"
_EDGE_SPACE = r"^\s|\s$"
_INLINE = 't="inlineStr"><is>'


def _xml_text(column: pl.Expr) -> pl.Expr:
    """Escape a string column for XML and drop the characters XML 1.0 forbids."""
    return (
        column.str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
        .str.replace_all(r"[\x00-\x08\x0B\x0C\x0E-\x1F]", "")
    )


class SheetWriter:
    """A one-sheet XLSX written row chunk by row chunk into ``handle`` (a file opened for
    binary writing, seekable). Use as a context manager; :meth:`write` takes a frame of string
    columns (null or empty cells are left out)."""

    def __init__(self, handle: IO[bytes], sheet: str, header: Sequence[str]):
        self.zip = zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self.columns = len(header)
        self.rows = 0
        name = sheet.replace("&", "&amp;").replace("<", "").replace(">", "")[:31]
        self.zip.writestr(
            "xl/workbook.xml",
            f'{_PROLOG}<workbook {_NS} xmlns:r="{_REL}"><sheets><sheet name="{name}" '
            'sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        for part, text in _PARTS.items():
            self.zip.writestr(part, _PROLOG + text)
        self.out = self.zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self.out.write(
            (
                f'{_PROLOG}<worksheet {_NS}><sheetViews><sheetView workbookViewId="0">'
                '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                f'</sheetView></sheetViews><cols><col min="1" max="{max(self.columns, 1)}" '
                'width="18" customWidth="1"/></cols><sheetData>'
            ).encode()
        )
        safe = formula_safe(pl.DataFrame([list(header)], schema=self._names, orient="row"))
        self._rows(safe, style=' s="1"')

    @property
    def _names(self) -> list[str]:
        return [f"c{n}" for n in range(self.columns)]

    def _rows(self, frame: pl.DataFrame, style: str = "") -> None:
        """Append ``frame`` as ``<row>`` elements, one text line per row.

        Cells carry no ``r`` reference (it is optional: a reader places them in order), an
        empty cell is ``<c/>``, escaping runs only on the columns of this chunk that hold a
        character to escape, and ``xml:space="preserve"`` only on the values that need it.
        """
        cells = []
        for name in frame.columns:
            values = frame[name]
            text = pl.col(name)
            if values.str.contains(_SPECIAL).any():
                text = _xml_text(text)
            plain = pl.lit(f"<c{style} {_INLINE}<t>")
            opening: pl.Expr = plain
            if values.str.contains(_EDGE_SPACE).any():
                kept = pl.lit(f'<c{style} {_INLINE}<t xml:space="preserve">')
                opening = (
                    pl.when(pl.col(name).str.contains(_EDGE_SPACE)).then(kept).otherwise(plain)
                )
            filled = pl.when(pl.col(name) != "").then(text)
            cells.append(pl.concat_str(opening, filled, pl.lit("</t></is></c>")).fill_null("<c/>"))
        xml = frame.select(pl.concat_str(pl.lit("<row>"), *cells, pl.lit("</row>")).alias("xml"))
        xml.write_csv(self.out, include_header=False, quote_style="never")
        self.rows += frame.height

    def write(self, frame: pl.DataFrame) -> None:
        """Append ``frame`` (string columns, in header order) as rows."""
        if frame.height:
            self._rows(
                formula_safe(frame.rename(dict(zip(frame.columns, self._names, strict=True))))
            )

    def close(self) -> None:
        self.out.write(b"</sheetData></worksheet>")
        self.out.close()
        self.zip.close()

    def __enter__(self) -> SheetWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def xlsx_file(header: list[str], frames: Iterable[pl.DataFrame], sheet: str) -> IO[bytes]:
    """``header`` and ``frames`` as an XLSX in an anonymous temporary file (rewound; deleted on
    close), written chunk by chunk."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    with SheetWriter(handle, sheet, header) as writer:
        for frame in frames:
            writer.write(frame)
    handle.seek(0)
    return handle


def csv_stream(header: list[str], frames: Iterable[pl.DataFrame]) -> Iterator[bytes]:
    """``header`` and ``frames`` as CSV bytes, chunk by chunk (UTF-8 with BOM), formula-safe."""

    names = [f"c{n}" for n in range(len(header))]
    top = formula_safe(pl.DataFrame([header], schema=names, orient="row"))
    yield "\ufeff".encode() + top.write_csv(include_header=False).encode()
    for frame in frames:
        if frame.height:
            yield formula_safe(frame).write_csv(include_header=False).encode()


def download(
    fmt: str, header: list[str], frames: Iterable[pl.DataFrame], *, name: str, sheet: str
) -> HttpResponseBase:
    """An attachment ``name.csv`` (streamed) or ``name.xlsx`` (written to a temporary file
    chunk by chunk, then streamed) of ``header`` and ``frames``; never stored by a cache
    (``Cache-Control: no-store``: the rows are personal or internal data)."""
    response: HttpResponseBase
    if fmt == "xlsx":
        response = FileResponse(
            xlsx_file(header, frames, sheet),
            as_attachment=True,
            filename=f"{name}.xlsx",
            content_type=XLSX_TYPE,
        )
    else:
        response = StreamingHttpResponse(csv_stream(header, frames), content_type=CSV_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    add_never_cache_headers(response)
    return response
