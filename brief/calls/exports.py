"""The CRM export: typified interactions in a configurable column layout, as CSV or XLSX.

Reading only (the audit event of each export is ``actions.log_interaction_export``). The
columns come from :data:`CATALOGUE` (interaction, campaign, advisor, contact, typification
fields) or ``answer:<question key>``; a :class:`~.models.CrmExportLayout` orders them and
names their headers. Rows are read in chunks and every chunk goes through the contacts' one
formula guard (``core.tabular.formula_safe``): a cell starting with ``=``, ``+``, ``-``,
``@`` (or a tab or carriage return) is prefixed with ``'`` in CSV and XLSX alike. CSV is
streamed chunk by chunk; XLSX is written in constant memory to an anonymous temporary file
that is streamed and then disappears.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

import polars as pl
import xlsxwriter
from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from brief.core import calendar
from brief.core.exceptions import Invalid
from brief.core.roles import Role
from brief.core.tabular import XLSX_TYPE, formula_safe

from .choices import EXPORT_FORMATS
from .models import CrmExportLayout, Interaction

CHUNK_ROWS = 2_000
ANSWER_PREFIX = "answer:"
MAX_COLUMNS = 80


def _when(value) -> str:
    return calendar.local(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _duration(i: Interaction) -> str:
    if not (i.started_at and i.ended_at):
        return ""
    return str(int((i.ended_at - i.started_at).total_seconds()))


def _path(i: Interaction) -> list[str]:
    node, out = i.typification, []
    while node is not None:
        out.append(node.label)
        node = node.parent
    return out[::-1]


def _level(depth: int) -> Callable[[Interaction], str]:
    def get(i: Interaction) -> str:
        path = _path(i)
        return path[depth] if len(path) > depth else ""

    return get


def _flag(name: str) -> Callable[[Interaction], str]:
    def get(i: Interaction) -> str:
        node = i.typification
        return "" if node is None else ("sí" if getattr(node, name) else "no")

    return get


def _contact(name: str) -> Callable[[Interaction], str]:
    return lambda i: str(getattr(i.contact, name, "") or "") if i.contact_id else ""


# key → (label shown in the layout editor, value of one interaction as text)
CATALOGUE: dict[str, tuple[Any, Callable[[Interaction], str]]] = {
    "interaction.code": (_("Código de la interacción"), lambda i: i.code),
    "interaction.external_id": (_("ID en el proveedor"), lambda i: i.external_id),
    "interaction.channel": (_("Canal"), lambda i: i.channel),
    "interaction.started_at": (_("Inicio"), lambda i: _when(i.started_at)),
    "interaction.ended_at": (_("Fin"), lambda i: _when(i.ended_at)),
    "interaction.duration": (_("Duración (segundos)"), _duration),
    "interaction.provider_status": (_("Estado en el proveedor"), lambda i: i.provider_status),
    "interaction.observations": (_("Observaciones"), lambda i: i.observations),
    "interaction.billable": (_("Facturable"), lambda i: "sí" if i.billable else "no"),
    "interaction.completeness": (_("Completitud (%)"), lambda i: str(i.completeness)),
    "interaction.exclusions": (_("Motivos de exclusión"), lambda i: "; ".join(i.exclusions)),
    "brief.code": (_("Código del brief"), lambda i: i.brief.code),
    "brief.name": (_("Campaña"), lambda i: i.brief.name),
    "advisor.username": (
        _("Usuario del asesor"),
        lambda i: i.advisor.username if i.advisor else "",
    ),
    "advisor.name": (_("Asesor"), lambda i: i.advisor.display_name if i.advisor else ""),
    "contact.doc_type": (_("Tipo de documento"), _contact("doc_type")),
    "contact.doc_number": (_("Número de documento"), _contact("doc_number")),
    "contact.full_name": (_("Nombre del contacto"), _contact("full_name")),
    "contact.mobile": (_("Celular"), _contact("mobile")),
    "contact.email": (_("Correo"), _contact("email")),
    "contact.city": (_("Ciudad"), _contact("city")),
    "typification.code": (
        _("Código de tipificación"),
        lambda i: i.typification.code if i.typification else "",
    ),
    "typification.label": (
        _("Tipificación"),
        lambda i: i.typification.label if i.typification else "",
    ),
    "typification.path": (_("Ruta de tipificación"), lambda i: " › ".join(_path(i))),
    "typification.category": (_("Categoría"), _level(0)),
    "typification.result": (_("Resultado"), _level(1)),
    "typification.detail": (_("Detalle"), _level(2)),
    "typification.right_party": (_("Contacto con el titular"), _flag("right_party")),
    "typification.effective": (_("Efectivo"), _flag("effective")),
}

# The layout of an export that names none.
DEFAULT_COLUMNS = [
    "interaction.code",
    "interaction.external_id",
    "brief.code",
    "interaction.channel",
    "contact.doc_type",
    "contact.doc_number",
    "contact.full_name",
    "advisor.username",
    "interaction.started_at",
    "interaction.ended_at",
    "typification.code",
    "typification.path",
    "interaction.observations",
]


def column_problem(field: str) -> str | None:
    """Why ``field`` is not a column of the catalogue (``None`` when it is)."""
    if field in CATALOGUE:
        return None
    if field.startswith(ANSWER_PREFIX) and field[len(ANSWER_PREFIX) :].strip():
        return None
    return gettext("«%(field)s» no está en el catálogo de columnas.") % {"field": field}


def default_header(field: str) -> str:
    if field in CATALOGUE:
        return str(CATALOGUE[field][0])
    return field[len(ANSWER_PREFIX) :]


def columns_of(layout: CrmExportLayout | None) -> list[tuple[str, str]]:
    """``(field, header)`` pairs in the layout's order (the default layout without one)."""
    if layout is None:
        return [(f, default_header(f)) for f in DEFAULT_COLUMNS]
    return [(c["field"], c.get("header") or default_header(c["field"])) for c in layout.columns]


def layouts_for(user) -> QuerySet[CrmExportLayout]:
    """The layouts a user may export with: the global ones and their area's (OCM: all)."""
    layouts = CrmExportLayout.objects.all()
    if user.is_superuser or user.has_role(Role.ANALISTA_OCM) or user.has_role(Role.AUDITOR):
        return layouts
    if getattr(user, "area_id", None):
        return layouts.filter(area__isnull=True) | layouts.filter(area_id=user.area_id)
    return layouts.filter(area__isnull=True)


def export_queryset(interactions: QuerySet[Interaction]) -> QuerySet[Interaction]:
    """Typified interactions only, with what the columns read, oldest first."""
    return (
        interactions.filter(typification__isnull=False)
        .select_related("brief", "advisor", "contact", "typification__parent__parent")
        .order_by("started_at", "id")
    )


def _getter(field: str) -> Callable[[Interaction], str]:
    if field in CATALOGUE:
        return CATALOGUE[field][1]
    key = field[len(ANSWER_PREFIX) :]

    def answer(i: Interaction) -> str:
        value = (i.answers or {}).get(key, "")
        if isinstance(value, list):
            return "; ".join(str(v) for v in value)
        return "" if value is None else str(value)

    return answer


def _chunks(
    interactions: QuerySet[Interaction], columns: list[tuple[str, str]]
) -> Iterator[pl.DataFrame]:
    """The rows as formula-safe string frames of at most :data:`CHUNK_ROWS` rows."""
    getters = [_getter(field) for field, _header in columns]
    names = [f"c{n}" for n in range(len(columns))]
    rows: list[list[str]] = []
    for interaction in export_queryset(interactions).iterator(chunk_size=CHUNK_ROWS):
        rows.append([str(get(interaction) or "") for get in getters])
        if len(rows) == CHUNK_ROWS:
            yield formula_safe(pl.DataFrame(rows, schema=names, orient="row"))
            rows = []
    if rows or not names:
        yield formula_safe(pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row"))


def _headers(columns: list[tuple[str, str]]) -> list[str]:
    frame = pl.DataFrame([[h for _f, h in columns]], schema=[f"c{n}" for n in range(len(columns))],
                         orient="row")  # fmt: skip
    return list(formula_safe(frame).row(0))


def csv_stream(
    interactions: QuerySet[Interaction], columns: list[tuple[str, str]]
) -> Iterable[bytes]:
    """The export as CSV bytes, chunk by chunk (UTF-8 with a BOM for spreadsheet programs)."""
    header = pl.DataFrame([_headers(columns)], schema=[f"c{n}" for n in range(len(columns))],
                          orient="row")  # fmt: skip
    yield "\ufeff".encode() + header.write_csv(include_header=False).encode()
    for frame in _chunks(interactions, columns):
        if frame.height:
            yield frame.write_csv(include_header=False).encode()


def xlsx_file(interactions: QuerySet[Interaction], columns: list[tuple[str, str]]) -> IO[bytes]:
    """The export as an XLSX workbook in an anonymous temporary file (rewound; every cell is
    text). The file is deleted when closed."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    book = xlsxwriter.Workbook(handle, {"constant_memory": True})
    sheet = book.add_worksheet(gettext("Interacciones"))
    bold = book.add_format({"bold": True})
    for c, header in enumerate(_headers(columns)):
        sheet.write_string(0, c, header, bold)
        sheet.set_column(c, c, max(12, min(40, len(header) + 4)))
    r = 1
    for frame in _chunks(interactions, columns):
        for row in frame.iter_rows():
            for c, value in enumerate(row):
                if value:
                    sheet.write_string(r, c, value)
            r += 1
    book.close()
    handle.seek(0)
    return handle


def resolve_layout(user, value) -> CrmExportLayout | None:
    """The layout ``value`` (an id) among those the user may use; ``None`` for the default."""
    if value in (None, ""):
        return None
    layout = layouts_for(user).filter(pk=int(value)).first() if str(value).isdigit() else None
    if layout is None:
        raise Invalid(
            gettext("El formato de exportación «%(value)s» no existe.") % {"value": value},
            code="bad_layout",
            field="layout",
        )
    return layout


def check_format(fmt: str) -> str:
    if fmt not in EXPORT_FORMATS:
        raise Invalid(
            gettext("Formato no disponible: use csv o xlsx."), code="bad_format", field="format"
        )
    return fmt


def response(
    interactions: QuerySet[Interaction], layout: CrmExportLayout | None, fmt: str
) -> StreamingHttpResponse | FileResponse:
    """The export as a download: CSV streamed chunk by chunk, or the XLSX temporary file."""
    columns = columns_of(layout)
    name = f"interacciones-{calendar.local(timezone.now()):%Y%m%d-%H%M}"
    if check_format(fmt) == "csv":
        out = StreamingHttpResponse(
            csv_stream(interactions, columns), content_type="text/csv; charset=utf-8"
        )
        out["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return out
    return FileResponse(
        xlsx_file(interactions, columns),
        as_attachment=True,
        filename=f"{name}.xlsx",
        content_type=XLSX_TYPE,
    )
