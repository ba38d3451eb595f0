"""Recipient-level registers of a campaign, streamed: the sent register (every message), the
read register (messages read) and the managed base (each contact with its final status,
typification and observations), as XLSX or CSV.

Rows are read from the database in chunks through a plain cursor (no model instances, no
per-value conversion) and turned into polars frames of text, which the core's spreadsheet
writers (:mod:`brief.core.tabular`: formula-safe CSV stream, chunked XLSX) write out chunk by
chunk, so memory stays flat at any size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import polars as pl
from django.db import connection
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from brief.calls.models import Interaction
from brief.campaigns.models import Brief
from brief.contacts.models import Contact, ContactBase
from brief.core.calendar import BOGOTA
from brief.dispatch.choices import MessageStatus
from brief.dispatch.models import Message, Sweep

CHUNK_ROWS = 50_000
MANAGED_CHUNK = 5_000
KINDS = ("sent", "read", "managed")


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
