"""Recipient-level registers of a campaign, streamed: the sent register (every message), the
read register (messages read) and the managed base (each contact with its final status,
typification and observations), as XLSX or CSV.

Rows are read from the database in chunks through a plain cursor (no model instances, no
per-value conversion), turned into polars frames, made formula-safe with the contacts' one guard
(``contacts.exports.formula_safe``: a cell starting with ``=``, ``+``, ``-``, ``@`` gets a
leading ``'``) and written out chunk by chunk, so memory stays flat at any size.

The XLSX is written by :class:`SheetWriter`, a minimal SpreadsheetML writer: the sheet's XML
is built per chunk with vectorized polars string expressions and deflated into the zip as it
goes. xlsxwriter's ``constant_memory`` mode spends its time per cell in Python (about
35,000 cells/s on the loaded 2-core machine: a million rows of twelve columns would take
minutes), so the registers use this writer and the benchmark ``report_xlsx_1m`` compares it
with xlsxwriter on the same rows. Every cell is an inline string (text stays text).
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

import polars as pl
from django.db import connection
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from brief.calls.models import Interaction
from brief.campaigns.models import Brief
from brief.contacts.exports import formula_safe
from brief.contacts.models import Contact, ContactBase
from brief.core.calendar import BOGOTA
from brief.dispatch.choices import MessageStatus
from brief.dispatch.models import Message, Sweep

CHUNK_ROWS = 50_000
MANAGED_CHUNK = 5_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = ("sent", "read", "managed")

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
        '<xf fontId="1" applyFont="1"/></cellXfs></styleSheet>'
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


# --- reading rows in chunks ---------------------------------------------------------------


def _cursor_chunks(
    queryset: QuerySet, names: list[str], size: int = CHUNK_ROWS
) -> Iterator[pl.DataFrame]:
    """The ``values_list`` rows of ``queryset`` as frames of :data:`CHUNK_ROWS` rows, read
    through a plain cursor (no Django per-value conversion; datetimes come as the database
    gives them, or as text when the query casts them, and :func:`_localize` formats them)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(size):
            yield pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)


def _localize(frame: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """Datetime columns (UTC text on SQLite, aware datetimes on PostgreSQL) as Bogota local
    ``YYYY-MM-DD HH:MM:SS`` text; every other column as text."""
    out = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if name in columns:
            if dtype == pl.String:
                col = col.str.slice(0, 19).str.to_datetime(
                    "%Y-%m-%d %H:%M:%S", time_zone="UTC", strict=False
                )
            elif isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
                col = col.dt.replace_time_zone("UTC")
            if dtype != pl.Null:
                col = col.dt.convert_time_zone(str(BOGOTA)).dt.strftime("%Y-%m-%d %H:%M:%S")
        out.append(col.cast(pl.String).fill_null("").alias(name))
    return frame.select(out)


STATUS_LABELS = {s.value: str(s.label) for s in MessageStatus}


def _status_labels(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    return frame.with_columns(pl.col(column).replace_strict(STATUS_LABELS, default=pl.col(column)))


# --- the registers ------------------------------------------------------------------------

_SENT = [
    ("barrido", "sweep__number"),
    ("canal", "sweep__channel"),
    ("tipo_documento", "contact__doc_type"),
    ("documento", "contact__doc_number"),
    ("nombre", "contact__full_name"),
    ("destino", "to"),
    ("estado", "status"),
    ("id_proveedor", "provider_message_id"),
    ("enviado", "sent_at"),
    ("entregado", "delivered_at"),
    ("leido", "read_at"),
    ("error", "error_code"),
]
_TIMES = ("sent_at", "delivered_at", "read_at")


def messages_of(brief: Brief, sweeps: QuerySet[Sweep] | None = None) -> QuerySet[Message]:
    chosen = sweeps if sweeps is not None else Sweep.objects.filter(brief=brief)
    return Message.objects.filter(sweep__in=list(chosen.values_list("pk", flat=True)))


def message_frames(messages: QuerySet[Message]) -> Iterator[pl.DataFrame]:
    """The sent register's rows (``_SENT`` columns) as text frames."""
    fields = [f for _h, f in _SENT]
    names = [f.replace("__", "_") for f in fields]
    # Times read as text: the driver's datetime conversion would cost a Python object each.
    texts = {f"{f}_text": Cast(f, TextField()) for f in _TIMES}
    queryset = (
        messages.annotate(**texts)
        .order_by("sweep_id", "id")
        .values_list(*[f"{f}_text" if f in _TIMES else f for f in fields])
    )
    for frame in _cursor_chunks(queryset, names):
        frame = _localize(frame, [n for n in names if n in _TIMES])
        yield _status_labels(frame, "status")


def sent_register(brief: Brief, sweeps=None) -> tuple[list[str], Iterator[pl.DataFrame]]:
    """Every message of the brief (or of ``sweeps``): header and row frames."""
    return [h for h, _f in _SENT], message_frames(messages_of(brief, sweeps))


def read_register(brief: Brief, sweeps=None) -> tuple[list[str], Iterator[pl.DataFrame]]:
    """The messages read (status ``read``): the register the brief may ask for."""
    read = messages_of(brief, sweeps).filter(status=MessageStatus.READ)
    return [h for h, _f in _SENT], message_frames(read)


_MANAGED = [
    ("fila", "row"),
    ("tipo_documento", "doc_type"),
    ("documento", "doc_number"),
    ("nombre", "full_name"),
    ("celular", "mobile"),
    ("correo", "email"),
    ("ciudad", "city"),
]


def managed_register(brief: Brief) -> tuple[list[str], Iterator[pl.DataFrame]]:
    """The managed base: each contact of the current base with its final status (its latest
    message), the number of messages, its latest typification and the advisors' observations."""
    header = [h for h, _f in _MANAGED] + [
        "estado_final", "mensajes", "tipificacion", "observaciones",
    ]  # fmt: skip
    base = ContactBase.objects.current(brief)
    return header, _managed_frames(brief, base)


def _managed_frames(brief: Brief, base: ContactBase | None) -> Iterator[pl.DataFrame]:
    if base is None:
        return
    fields = ["pk"] + [f for _h, f in _MANAGED] + ["observations"]
    contacts = Contact.objects.filter(base=base).order_by("row").values_list(*fields)
    messages = Message.objects.filter(sweep__brief=brief)
    names = ["pk", *[h for h, _f in _MANAGED], "observaciones"]
    # Small chunks: each one's ids go into an IN (…) list.
    for frame in _cursor_chunks(contacts, names, size=MANAGED_CHUNK):
        ids = frame["pk"].to_list()
        latest: dict[int, tuple[int, str]] = {}
        sent: dict[int, int] = {}
        for contact, pk, status in messages.filter(contact__in=ids).values_list(
            "contact_id", "pk", "status"
        ):
            sent[contact] = sent.get(contact, 0) + 1
            if contact not in latest or pk > latest[contact][0]:
                latest[contact] = (pk, status)
        typified: dict[int, str] = {}
        rows = (
            Interaction.objects.filter(brief=brief, contact__in=ids, typification__isnull=False)
            .order_by("started_at", "id")
            .values_list("contact_id", "typification__label")
        )
        for contact, label in rows:
            typified[contact] = label
        extra = pl.DataFrame(
            {
                "estado_final": [STATUS_LABELS.get(latest[i][1], "") if i in latest else ""
                                 for i in ids],
                "mensajes": [str(sent.get(i, 0)) for i in ids],
                "tipificacion": [typified.get(i, "") for i in ids],
            }
        )  # fmt: skip
        frame = pl.concat([frame, extra], how="horizontal")
        yield frame.select(
            *[pl.col(h).cast(pl.String).fill_null("") for h, _f in _MANAGED],
            "estado_final",
            "mensajes",
            "tipificacion",
            pl.col("observaciones").cast(pl.String).fill_null(""),
        )


REGISTERS = {"sent": sent_register, "read": read_register}
SHEETS = {"sent": _("Registro de envíos"), "read": _("Registro de lectura"),
          "managed": _("Base gestionada")}  # fmt: skip


def register(brief: Brief, kind: str, sweeps=None) -> tuple[list[str], Iterator[pl.DataFrame]]:
    if kind == "managed":
        return managed_register(brief)
    return REGISTERS[kind](brief, sweeps)


def xlsx_file(header: list[str], frames: Iterable[pl.DataFrame], sheet: str) -> IO[bytes]:
    """The register as an XLSX in an anonymous temporary file (rewound; deleted on close)."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    with SheetWriter(handle, sheet, header) as writer:
        for frame in frames:
            writer.write(frame)
    handle.seek(0)
    return handle


def csv_stream(header: list[str], frames: Iterable[pl.DataFrame]) -> Iterator[bytes]:
    """The register as CSV bytes, chunk by chunk (UTF-8 with BOM), formula-safe."""

    names = [f"c{n}" for n in range(len(header))]
    top = formula_safe(pl.DataFrame([header], schema=names, orient="row"))
    yield "\ufeff".encode() + top.write_csv(include_header=False).encode()
    for frame in frames:
        if frame.height:
            yield formula_safe(frame).write_csv(include_header=False).encode()
