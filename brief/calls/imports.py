"""Reading a bulk import of interactions: the CSV/XLSX file, the ZIP of recordings, and each
row resolved to what ``actions.record_interaction`` takes (reading only; the writing is
``actions.run_interaction_import``).

Columns (headers in Spanish, accents and case ignored; only the ID and the start are required):
``id interaccion`` (the dialer's ID, ``external_id``), ``brief`` (the brief's code; or the
brief chosen for the whole file), ``canal`` (``call`` when empty), ``documento`` or
``telefono`` (the contact in the brief's current base), ``asesor`` (username), ``inicio``,
``fin`` (``AAAA-MM-DD HH:MM[:SS]``, ISO 8601 or ``DD/MM/AAAA HH:MM``; Bogotá time when no
offset), ``tipificacion`` (a leaf's code, or its path ``Categoría › Resultado › Detalle``;
``>``, ``/`` and ``|`` also separate), ``observaciones``, ``estado proveedor``,
``grabacion audio`` and ``grabacion pantalla`` (a file name inside the ZIP or an ``https://``
URL), and ``respuesta_<clave>`` per question of the script.
A row without recording columns takes the ZIP's files named after its ID (``<ID>.mp3``,
``<ID>-pantalla.webm``…), the kind told by the extension.

The ZIP is never trusted: at most :data:`MAX_ZIP_ENTRIES` entries, names without absolute
paths, ``..``, drive letters or backslashes, no links or encrypted entries, and the bytes
actually inflated are counted against :data:`MAX_ENTRY_BYTES` per file and
:data:`MAX_INFLATED_BYTES` in all (the sizes the archive declares are not believed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext

from brief.campaigns.models import Brief
from brief.contacts.models import Contact, ContactBase
from brief.contacts.reader import BaseFileError, normalize_header, read_csv_bytes, read_xlsx
from brief.content.render import normalize_field
from brief.core import calendar
from brief.core.sniff import HEAD_BYTES, content_matches
from brief.core.uploads import extension

from .choices import RECORDING_EXTENSIONS, RecordingKind
from .models import Interaction, TypificationNode

# All rows or none up to this many rows per file (larger files are refused: split them).
MAX_ROWS = 20_000
MAX_ZIP_ENTRIES = 5_000
MAX_INFLATED_BYTES = 4 * 1024**3
ANSWER_PREFIX = "respuesta_"

COLUMNS: dict[str, str] = {
    "id interaccion": "external_id",
    "interaccion id": "external_id",
    "id": "external_id",
    "id llamada": "external_id",
    "external id": "external_id",
    "brief": "brief",
    "codigo brief": "brief",
    "campana": "brief",
    "canal": "channel",
    "documento": "document",
    "numero documento": "document",
    "cedula": "document",
    "telefono": "phone",
    "celular": "phone",
    "asesor": "advisor",
    "usuario asesor": "advisor",
    "inicio": "started_at",
    "fecha inicio": "started_at",
    "fin": "ended_at",
    "fecha fin": "ended_at",
    "tipificacion": "typification",
    "codigo tipificacion": "typification",
    "observaciones": "observations",
    "estado proveedor": "provider_status",
    "estado": "provider_status",
    "grabacion audio": "audio",
    "audio": "audio",
    "grabacion pantalla": "screen",
    "pantalla": "screen",
    "video": "screen",
}
# The Spanish name of each field's column, for the error report.
COLUMN_NAMES = {
    "external_id": "id interaccion",
    "brief": "brief",
    "channel": "canal",
    "document": "documento",
    "phone": "telefono",
    "contact": "documento",
    "advisor": "asesor",
    "started_at": "inicio",
    "ended_at": "fin",
    "typification": "tipificacion",
    "observations": "observaciones",
    "provider_status": "estado proveedor",
    "audio": "grabacion audio",
    "screen": "grabacion pantalla",
    "answers": "respuestas",
    "sweep": "barrido",
}
PATH_SEPARATORS = re.compile(r"\s*(?:›|>|/|\|)\s*")
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")
KIND_OF_EXTENSION = {ext: kind for kind, exts in RECORDING_EXTENSIONS.items() for ext in exts}


def max_entry_bytes() -> int:
    """One recording inflated: the one upload limit."""
    return settings.BRIEF_MAX_UPLOAD_BYTES


def human_size(n: int) -> str:
    return f"{n / 1024**2:.0f} MB" if n >= 1024**2 else f"{n / 1024:.0f} KB"


class ImportProblem(Exception):
    """The file or the archive as a whole cannot be used (one Spanish error per problem)."""

    def __init__(self, errors: list[dict]):
        super().__init__(errors[0]["message"])
        self.errors = errors


def error(row: int | None, column: str, message: str) -> dict:
    return {"row": row, "column": column, "message": message}


@dataclass
class RowPlan:
    """One good row: the brief, the data for ``record_interaction`` / ``update_interaction``,
    the interaction it updates (same brief, channel and ID), and its recordings
    (kind → ``("zip", entry name)`` or ``("url", url)``)."""

    row: int
    brief: Brief
    data: dict
    existing: Interaction | None = None
    recordings: dict[str, tuple[str, str]] = field(default_factory=dict)


# --- the ZIP ---------------------------------------------------------------------------------


def zip_column() -> str:
    return gettext("archivo ZIP")


def entry_problem(info: zipfile.ZipInfo) -> str | None:
    """Why an archive entry is refused (``None`` when its name and type are safe)."""
    name = info.filename
    parts = PurePosixPath(name).parts
    if (
        name.startswith(("/", "\\"))
        or "\\" in name
        or re.match(r"^[A-Za-z]:", name)
        or ".." in parts
        or "\x00" in name
    ):
        return gettext("«%(name)s»: ruta no permitida en el ZIP.") % {"name": name[:200]}
    if stat.S_ISLNK(info.external_attr >> 16):
        return gettext("«%(name)s»: el ZIP no puede traer enlaces.") % {"name": name[:200]}
    if info.flag_bits & 0x1:
        return gettext("«%(name)s»: archivo cifrado.") % {"name": name[:200]}
    return None


class RecordingArchive:
    """The ZIP of recordings, its entries checked; files are inflated on demand into ``folder``
    with the bytes counted (per file and in all) and the content sniffed by extension."""

    def __init__(self, path: Path, folder: Path):
        self.folder = folder
        self.inflated = 0
        try:
            self.zip = zipfile.ZipFile(path)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise ImportProblem(
                [
                    error(
                        None,
                        zip_column(),
                        gettext("El archivo de grabaciones no es un ZIP válido."),
                    )
                ]
            ) from exc
        files = [i for i in infos if not i.is_dir()]
        if len(files) > MAX_ZIP_ENTRIES:
            raise ImportProblem(
                [
                    error(
                        None,
                        zip_column(),
                        gettext("El ZIP trae %(n)s archivos; el máximo es %(max)s.")
                        % {"n": len(files), "max": MAX_ZIP_ENTRIES},
                    )
                ]
            )
        problems = [p for p in (entry_problem(i) for i in infos) if p]
        self.by_name: dict[str, zipfile.ZipInfo] = {}
        for info in files:
            base = PurePosixPath(info.filename).name
            if base.lower() in self.by_name:
                problems.append(
                    gettext("«%(name)s» está repetido en el ZIP.") % {"name": base[:200]}
                )
            self.by_name[base.lower()] = info
        if problems:
            raise ImportProblem([error(None, zip_column(), p) for p in problems])
        self.extracted: dict[str, tuple[Path, str]] = {}

    def has(self, name: str) -> bool:
        return name.lower() in self.by_name

    def named_after(self, external_id: str) -> dict[str, str]:
        """Entries named after an interaction's ID (``<ID>.ext`` or ``<ID>-…``/``<ID>_…``),
        by the recording kind their extension tells."""
        out: dict[str, str] = {}
        key = external_id.lower()
        for lower, info in self.by_name.items():
            stem = lower.rsplit(".", 1)[0]
            if stem == key or stem.startswith((f"{key}-", f"{key}_")):
                kind = KIND_OF_EXTENSION.get(extension(lower))
                if kind and kind not in out:
                    out[kind] = PurePosixPath(info.filename).name
        return out

    def extract(self, name: str) -> tuple[Path, str]:
        """Inflate one entry into the folder: ``(path, sha256)``. Raises :class:`ValueError`
        with the Spanish reason when it inflates past a limit."""
        if name.lower() in self.extracted:
            return self.extracted[name.lower()]
        info = self.by_name[name.lower()]
        target = self.folder / f"{len(self.extracted)}.{extension(name) or 'bin'}"
        digest = hashlib.sha256()
        try:
            self._inflate(info, name, target, digest)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise ValueError(gettext("«%(name)s» está dañado en el ZIP.") % {"name": name}) from exc
        size = target.stat().st_size
        with target.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
        if not size:
            raise ValueError(gettext("«%(name)s» está vacío.") % {"name": name})
        if not content_matches(extension(name), head):
            raise ValueError(
                gettext("El contenido de «%(name)s» no corresponde a su extensión.")
                % {"name": name}
            )
        self.extracted[name.lower()] = (target, digest.hexdigest())
        return self.extracted[name.lower()]

    def _inflate(self, info: zipfile.ZipInfo, name: str, target: Path, digest) -> None:
        """Copy one entry out, counting the bytes it really inflates to (the archive's
        declared sizes are not believed)."""
        size, limit = 0, max_entry_bytes()
        with self.zip.open(info) as source, target.open("wb") as out:
            while chunk := source.read(1024 * 1024):
                size += len(chunk)
                self.inflated += len(chunk)
                if size > limit:
                    raise ValueError(
                        gettext("«%(name)s» pasa de %(size)s al descomprimirlo.")
                        % {"name": name, "size": human_size(limit)}
                    )
                if self.inflated > MAX_INFLATED_BYTES:
                    raise ImportProblem(
                        [
                            error(
                                None,
                                zip_column(),
                                gettext("El ZIP descomprimido pasa de %(size)s.")
                                % {"size": human_size(MAX_INFLATED_BYTES)},
                            )
                        ]
                    )
                digest.update(chunk)
                out.write(chunk)

    def close(self) -> None:
        self.zip.close()


# --- the rows ----------------------------------------------------------------------------


def read_rows(path: Path, ext: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The file's headers and ``(row number, values)``; refuses unreadable or too long files."""
    try:
        result = read_csv_bytes(path.read_bytes()) if ext == "csv" else read_xlsx(path)
    except BaseFileError as exc:
        raise ImportProblem([error(None, gettext("archivo"), exc.message)]) from exc
    if result.df.height > MAX_ROWS:
        raise ImportProblem(
            [
                error(
                    None,
                    gettext("archivo"),
                    gettext("El archivo tiene %(n)s filas; el máximo por archivo es %(max)s.")
                    % {"n": result.df.height, "max": MAX_ROWS},
                )
            ]
        )
    headers = [str(h) for h in result.df.columns]
    rows = zip(result.row_numbers.to_list(), result.df.rows(), strict=True)
    return headers, [(n, ["" if v is None else str(v).strip() for v in r]) for n, r in rows]


def map_headers(headers: list[str]) -> tuple[dict[int, str], dict[int, str], list[dict]]:
    """Column index → field, column index → answer key, and header errors."""
    fields: dict[int, str] = {}
    answers: dict[int, str] = {}
    errors: list[dict] = []
    for index, header in enumerate(headers):
        key = normalize_field(header)
        if key.startswith(ANSWER_PREFIX) and key[len(ANSWER_PREFIX) :]:
            answers[index] = key[len(ANSWER_PREFIX) :]
            continue
        name = COLUMNS.get(normalize_header(header))
        if name is None:
            continue  # other columns are ignored
        if name in fields.values():
            errors.append(
                error(None, header, gettext("La columna «%(h)s» está repetida.") % {"h": header})
            )
        fields[index] = name
    if "external_id" not in fields.values():
        errors.append(
            error(None, "id interaccion", gettext("Falta la columna del ID de la interacción."))
        )
    if "started_at" not in fields.values():
        errors.append(error(None, "inicio", gettext("Falta la columna de inicio.")))
    return fields, answers, errors


def parse_moment(text: str) -> dt.datetime | None:
    """A date and time from the file (Bogotá time when it carries no offset)."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        moment = None
        for pattern in DATE_FORMATS:
            try:
                moment = dt.datetime.strptime(text, pattern)  # noqa: DTZ007 (Bogotá below)
                break
            except ValueError:
                continue
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=calendar.BOGOTA)
    return moment


class Resolver:
    """Looks up what rows name (briefs, contacts, typifications), each once."""

    def __init__(self, briefs):
        self.briefs = briefs  # the briefs the importer may reach, a queryset
        self._brief: dict[str, Brief | None] = {}
        self._base: dict[int, ContactBase | None] = {}
        self._leaves: dict[int, dict[str, int]] = {}

    def brief(self, code: str) -> Brief | None:
        if code not in self._brief:
            self._brief[code] = self.briefs.filter(code=code).first()
        return self._brief[code]

    def contact(self, brief: Brief, document: str, phone: str) -> Contact | None:
        if brief.pk not in self._base:
            self._base[brief.pk] = ContactBase.objects.current(brief)
        base = self._base[brief.pk]
        if base is None:
            return None
        contacts = base.contacts.all()
        if document:
            return contacts.filter(doc_number=document).first()
        digits = re.sub(r"\D", "", phone)[-10:]
        return contacts.filter(mobile__endswith=digits).first() if digits else None

    def leaf(self, brief: Brief, value: str) -> int | None:
        if brief.pk not in self._leaves:
            nodes = {n.pk: n for n in TypificationNode.objects.filter(brief=brief)}
            parents = {n.parent_id for n in nodes.values()}
            index: dict[str, int] = {}
            for node in nodes.values():
                if node.pk in parents:
                    continue
                path: list[str] = []
                current: TypificationNode | None = node
                while current is not None:
                    path.append(current.label.casefold())
                    current = nodes.get(current.parent_id) if current.parent_id else None
                index[" › ".join(reversed(path))] = node.pk
                if node.code:
                    index[f"code:{node.code.casefold()}"] = node.pk
            self._leaves[brief.pk] = index
        index = self._leaves[brief.pk]
        by_code = index.get(f"code:{value.casefold()}")
        if by_code:
            return by_code
        return index.get(" › ".join(p.casefold() for p in PATH_SEPARATORS.split(value) if p))


def plan_rows(
    headers: list[str],
    rows: list[tuple[int, list[str]]],
    *,
    resolver: Resolver,
    chosen: Brief | None,
    archive: RecordingArchive | None,
) -> tuple[list[RowPlan], list[dict]]:
    """Resolve every row; ``(good rows, errors)`` — an error names the row, column and reason."""
    fields, answer_columns, errors = map_headers(headers)
    if errors:
        return [], errors
    plans: list[RowPlan] = []
    seen: dict[tuple, int] = {}
    url = URLValidator(schemes=["https", "http"])
    for number, values in rows:
        cell = {name: values[i] for i, name in fields.items() if i < len(values)}
        if not any(values):
            continue
        row_errors: list[dict] = []

        def fail(name: str, message: str, number: int = number, out=row_errors) -> None:
            out.append(error(number, COLUMN_NAMES.get(name, name), message))

        code = cell.get("brief", "")
        brief = resolver.brief(code) if code else chosen
        if brief is None:
            fail(
                "brief",
                gettext("El brief «%(code)s» no existe o no es de su proveedor.") % {"code": code}
                if code
                else gettext("Indique el brief en la columna o al subir el archivo."),
            )
            errors.extend(row_errors)
            continue
        external_id = cell.get("external_id", "")
        if not external_id:
            fail("external_id", gettext("Falta el ID de la interacción."))
        elif len(external_id) > 120:
            fail("external_id", gettext("El ID pasa de 120 caracteres."))
        channel = cell.get("channel") or "call"
        key = (brief.pk, channel, external_id)
        if external_id and key in seen:
            fail(
                "external_id",
                gettext("El ID «%(id)s» ya está en la fila %(row)s.")
                % {"id": external_id, "row": seen[key]},
            )
        seen.setdefault(key, number)
        data: dict = {"channel": channel, "external_id": external_id}
        for name in ("started_at", "ended_at"):
            if cell.get(name):
                moment = parse_moment(cell[name])
                if moment is None:
                    fail(name, gettext("Fecha y hora no válidas: use AAAA-MM-DD HH:MM."))
                data[name] = moment
        if not cell.get("started_at"):
            fail("started_at", gettext("Falta el inicio."))
        if cell.get("document") or cell.get("phone"):
            contact = resolver.contact(brief, cell.get("document", ""), cell.get("phone", ""))
            if contact is None:
                fail(
                    "document" if cell.get("document") else "phone",
                    gettext("No está en la base del brief %(code)s.") % {"code": brief.code},
                )
            else:
                data["contact"] = contact.pk
        if cell.get("typification"):
            leaf = resolver.leaf(brief, cell["typification"])
            if leaf is None:
                fail(
                    "typification",
                    gettext("«%(value)s» no es una tipificación final del brief %(code)s.")
                    % {"value": cell["typification"], "code": brief.code},
                )
            data["typification"] = leaf
        for name in ("advisor", "observations", "provider_status"):
            if cell.get(name):
                data[name] = cell[name]
        if len(data.get("provider_status", "")) > 40:
            fail("provider_status", gettext("El estado pasa de 40 caracteres."))
        answers = {k: values[i] for i, k in answer_columns.items() if i < len(values) and values[i]}
        if answers:
            data["answers"] = answers
        recordings: dict[str, tuple[str, str]] = {}
        for kind in RecordingKind.values:
            value = cell.get(kind, "")
            if not value:
                continue
            if value.lower().startswith(("http://", "https://")):
                try:
                    url(value)
                except ValidationError:
                    fail(kind, gettext("La URL de la grabación no es válida."))
                recordings[kind] = ("url", value)
                continue
            name = os.path.basename(value.replace("\\", "/"))
            if extension(name) not in RECORDING_EXTENSIONS[kind]:
                fail(
                    kind,
                    gettext("«%(name)s»: use %(exts)s.")
                    % {"name": name, "exts": ", ".join(sorted(RECORDING_EXTENSIONS[kind]))},
                )
            elif archive is None or not archive.has(name):
                fail(kind, gettext("«%(name)s» no está en el ZIP.") % {"name": name})
            else:
                recordings[kind] = ("zip", name)
        if archive is not None and external_id:
            for kind, name in archive.named_after(external_id).items():
                recordings.setdefault(kind, ("zip", name))
        if archive is not None:
            for kind, (source, name) in recordings.items():
                if source != "zip":
                    continue
                try:
                    archive.extract(name)
                except ValueError as exc:
                    fail(kind, str(exc))
        if row_errors:
            errors.extend(row_errors)
            continue
        existing = Interaction.objects.filter(
            brief=brief, channel=channel, external_id=external_id
        ).first()
        plans.append(RowPlan(number, brief, data, existing, recordings))
    return plans, errors
