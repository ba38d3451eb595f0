"""The brief list and the OCM board as spreadsheet rows (CSV/XLSX through
:mod:`brief.core.tabular`), and the audit record of each download.

The views hand over the queryset they list (already scoped to what the user may see and
filtered as the page is), so a download never holds a brief the page would not show.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import polars as pl
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from brief.core.audit import record
from brief.core.tabular import download

from .models import Brief

EXPORT_CHUNK = 2_000


def _date(value) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def _moment(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _common(brief: Brief) -> list[str]:
    return [
        brief.code,
        brief.name,
        str(brief.area),
        str(brief.provider) if brief.provider_id else "",
        brief.get_status_display(),
        brief.get_campaign_class_display(),
        brief.get_kind_display(),
        ", ".join(brief.channel_labels),
        _date(brief.start_date),
        _date(brief.end_date),
    ]


def _common_header() -> list[str]:
    return [
        _("Código"),
        _("Campaña"),
        _("Área"),
        _("Proveedor"),
        _("Estado"),
        _("Clase"),
        _("Tipo"),
        _("Canales"),
        _("Inicio"),
        _("Fin"),
    ]


def list_header() -> list[str]:
    return [*_common_header(), _("Solicitante"), _("Creado"), _("Último movimiento")]


def list_cells(brief: Brief) -> list[str]:
    requester = brief.requester
    return [
        *_common(brief),
        requester.get_full_name() or requester.username,
        _moment(brief.created_at),
        _moment(brief.last_transition_at or brief.created_at),
    ]


def board_header() -> list[str]:
    return [*_common_header(), _("Próximo ANS"), _("Vence"), _("ANS vencido")]


def board_cells(brief: Any) -> list[str]:
    """A board row: ``brief`` carries the annotations of ``views.board_queryset``."""
    return [
        *_common(brief),
        brief.next_clock or "",
        _moment(brief.next_due),
        _("Sí") if brief.overdue else _("No"),
    ]


def frames(
    briefs: Iterable[Brief], cells: Callable[[Brief], list[str]], width: int
) -> Iterator[pl.DataFrame]:
    """``briefs`` as frames of text, :data:`EXPORT_CHUNK` rows at a time."""
    names = [f"c{n}" for n in range(width)]
    rows = iter(briefs)
    while chunk := list(itertools.islice(rows, EXPORT_CHUNK)):
        yield pl.DataFrame(
            [cells(b) for b in chunk], schema=dict.fromkeys(names, pl.String), orient="row"
        )


def export(which: str, briefs: QuerySet[Brief], *, fmt: str, filters: dict[str, str], request):
    """Audit a download of the brief list (``which="list"``) or the board (``"board"``:
    ``briefs`` annotated by ``views.board_queryset``) — format, filters, row count — and
    answer the CSV or XLSX of ``briefs``."""
    board = which == "board"
    record(
        "BOARD_EXPORTED" if board else "BRIEFS_EXPORTED",
        request=request,
        details={"format": fmt, "rows": briefs.count(), "filters": filters},
    )
    header, cells = (board_header(), board_cells) if board else (list_header(), list_cells)
    stamp = f"{timezone.localtime():%Y%m%d-%H%M}"
    return download(
        fmt,
        header,
        frames(briefs.iterator(chunk_size=EXPORT_CHUNK), cells, len(header)),
        name=f"tablero-{stamp}" if board else f"briefs-{stamp}",
        sheet=_("Tablero OCM") if board else _("Briefs"),
    )
