"""Read a contact base file (CSV or XLSX) into a polars DataFrame of strings.

Pure and Django-free. Every failure raises `BaseFileError` with a code and a Spanish message;
nothing is returned half-read.
"""

from __future__ import annotations

import csv
import io
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from brief.core.sniff import OLE_MAGIC, ZIP_MAGIC, is_binary

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
DEFAULT_MAX_RATIO = 100
DEFAULT_MAX_ZIP_ENTRIES = 10_000
# Members smaller than this are never treated as bombs, whatever their ratio.
ZIP_RATIO_MIN_MEMBER = 1024 * 1024

DELIMITERS = (",", ";", "\t", "|")
SNIFF_LINES = 200
SPREADSHEET_EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}

FIELDS = (
    "doc_type",
    "doc_number",
    "first_names",
    "last_names",
    "full_name",
    "mobile",
    "landline",
    "email",
    "country",
    "city",
    "department",
    "custom",
    "ignore",
)
FIELD_LABELS = {
    "doc_type": "Tipo de documento",
    "doc_number": "Número de documento",
    "first_names": "Nombres",
    "last_names": "Apellidos",
    "full_name": "Nombre completo",
    "mobile": "Celular",
    "landline": "Teléfono fijo",
    "email": "Correo electrónico",
    "country": "País",
    "city": "Ciudad",
    "department": "Departamento",
    "custom": "Campo personalizado",
    "ignore": "Ignorar",
}
# Fields that may receive several columns (their values are combined, not overwritten).
MULTI_FIELDS = {"first_names", "last_names", "mobile", "landline", "email", "custom", "ignore"}

_STOPWORDS = {"de", "del", "la", "el", "y", "e", "los", "las"}
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "doc_type": (
        "tipo documento",
        "tipo doc",
        "tipodoc",
        "tipo documento identidad",
        "tipo identificacion",
        "tipo id",
        "tipo",
        "td",
        "document type",
    ),
    "doc_number": (
        "numero documento",
        "num documento",
        "nro documento",
        "no documento",
        "n documento",
        "documento",
        "doc",
        "documento identidad",
        "numero documento identidad",
        "numero identificacion",
        "nro identificacion",
        "no identificacion",
        "identificacion",
        "cedula",
        "cedula ciudadania",
        "numero cedula",
        "nro cedula",
        "cc",
        "nit",
        "document",
        "document number",
    ),
    "first_names": (
        "nombres",
        "primer nombre",
        "segundo nombre",
        "first name",
        "first names",
        "names",
    ),
    "last_names": (
        "apellidos",
        "apellido",
        "primer apellido",
        "segundo apellido",
        "last name",
        "last names",
        "surname",
    ),
    "full_name": (
        "nombre completo",
        "nombres apellidos",
        "nombre apellido",
        "nombre apellidos",
        "nombres completos",
        "full name",
        "razon social",
    ),
    "mobile": (
        "celular",
        "movil",
        "telefono movil",
        "telefono celular",
        "numero celular",
        "nro celular",
        "numero movil",
        "cel",
        "whatsapp",
        "mobile",
        "cell",
        "cellphone",
        "mobile phone",
    ),
    "landline": (
        "telefono fijo",
        "fijo",
        "telefono",
        "tel",
        "telefono residencia",
        "telefono casa",
        "telefono contacto",
        "numero telefono",
        "phone",
        "landline",
    ),
    "email": (
        "correo",
        "email",
        "e mail",
        "correo electronico",
        "mail",
        "correo personal",
        "email personal",
        "correo institucional",
    ),
    "country": ("pais", "country", "pais residencia"),
    "city": ("ciudad", "municipio", "city", "ciudad residencia", "municipio residencia"),
    "department": ("departamento", "depto", "dpto", "departamento residencia", "state"),
}
_SYNONYM_INDEX = {syn: fld for fld, syns in _SYNONYMS.items() for syn in syns}


class BaseFileError(Exception):
    """A contact base that cannot be read; `message` is shown to the user (Spanish)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ReadResult:
    """A base read into strings: one column per header, plus where each row came from."""

    df: pl.DataFrame
    row_numbers: pl.Series
    file_format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: tuple[str, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- headers


def strip_accents(text: str) -> str:
    """'Teléfono Móvil' -> 'Telefono Movil'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalize_header(name: str) -> str:
    """Lower-case, accent-free, words only, no stopwords and no trailing number."""
    text = strip_accents(str(name)).lower()
    words = "".join(c if c.isalnum() else " " for c in text).split()
    words = [w for w in words if w not in _STOPWORDS]
    while words and words[-1].isdigit():
        words.pop()
    if words and words[-1][-1].isdigit() and not words[-1].isdigit():
        # "celular2" -> "celular"
        words[-1] = words[-1].rstrip("0123456789")
    return " ".join(words)


def match_header(name: str) -> str:
    """The field a header means, or 'custom' when it is not recognized."""
    return _SYNONYM_INDEX.get(normalize_header(name), "custom")


def propose_mapping(headers: Iterable[str]) -> dict[str, str]:
    """Propose header -> field for the given headers (unknown headers become 'custom').

    A lone 'nombre' column means first names when there is a last-names column, otherwise the
    full name. Single-valued fields keep their first column; repeats become custom fields.
    """
    headers = list(headers)
    proposal: dict[str, str] = {}
    has_last = any(match_header(h) == "last_names" for h in headers)
    taken: set[str] = set()
    for header in headers:
        key = normalize_header(header)
        fld = _SYNONYM_INDEX.get(key, "custom")
        if key == "nombre":
            fld = "first_names" if has_last else "full_name"
        if fld not in MULTI_FIELDS and fld in taken:
            fld = "custom"
        taken.add(fld)
        proposal[header] = fld
    return proposal


def resolve_mapping(
    headers: Iterable[str], override: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The proposed mapping with the user's choices applied on top (validated)."""
    headers = list(headers)
    mapping = propose_mapping(headers)
    for header, fld in (override or {}).items():
        if header not in mapping:
            raise BaseFileError("bad_mapping", f"La columna «{header}» no existe en el archivo.")
        if fld not in FIELDS:
            raise BaseFileError(
                "bad_mapping", f"«{fld}» no es un campo válido para la columna «{header}»."
            )
        mapping[header] = fld
    counts: dict[str, int] = {}
    for fld in mapping.values():
        counts[fld] = counts.get(fld, 0) + 1
    for fld, n in counts.items():
        if n > 1 and fld not in MULTI_FIELDS:
            raise BaseFileError(
                "bad_mapping",
                f"El campo «{FIELD_LABELS[fld]}» está asignado a {n} columnas; "
                "asígnelo a una sola.",
            )
    return mapping


def _unique_headers(names: Iterable[str]) -> list[str]:
    """Trim header names, name blank ones and make repeated ones unique."""
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(names, start=1):
        name = (raw or "").strip() or f"columna_{i}"
        candidate, n = name, 2
        while candidate in seen:
            candidate = f"{name} ({n})"
            n += 1
        seen.add(candidate)
        out.append(candidate)
    return out


# --------------------------------------------------------------------------- helpers


def _human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            text = f"{size:.0f}" if unit == "B" else f"{size:.1f}".replace(".", ",")
            return f"{text} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def _is_utf8(data: bytes) -> bool:
    """Validate UTF-8 without building a Python string of the whole file."""
    try:
        pl.Series([data], dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.ComputeError:
        return False
    return True


def decode_bytes(data: bytes) -> tuple[bytes, str]:
    """Return (UTF-8 bytes without BOM, detected encoding): utf-8, utf-16, windows-1252 or
    latin-1. A UTF-8 byte-order mark is removed and reported as utf-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").encode("utf-8"), "utf-16"
        except UnicodeDecodeError as exc:
            raise _binary_error() from exc
    if is_binary(data[:65536]):
        raise _binary_error()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if _is_utf8(data):
        return data, "utf-8"
    try:
        return data.decode("cp1252").encode("utf-8"), "windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1").encode("utf-8"), "latin-1"


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes to text; see `decode_bytes`."""
    body, encoding = decode_bytes(data)
    return body.decode("utf-8"), encoding


def _binary_error() -> BaseFileError:
    return BaseFileError(
        "binary",
        "El archivo no es un CSV de texto ni una hoja de cálculo legible "
        "(parece un archivo binario). Expórtelo como CSV o XLSX.",
    )


_QUOTED = r'"[^"]*"'


def detect_delimiter(lines: list[str]) -> str:
    """Pick the delimiter among , ; tab | that splits the header and the sample lines alike."""
    stripped = [_strip_quoted(line) for line in lines if line.strip()]
    if not stripped:
        return ","
    best, best_score = ",", (-1.0, -1)
    for delim in DELIMITERS:
        header_count = stripped[0].count(delim)
        if header_count == 0:
            continue
        same = sum(1 for line in stripped if line.count(delim) == header_count)
        score = (same / len(stripped), header_count)
        if score > best_score:
            best, best_score = delim, score
    return best


def _strip_quoted(line: str) -> str:
    out, inside = [], False
    for ch in line:
        if ch == '"':
            inside = not inside
        elif not inside:
            out.append(ch)
    return "".join(out)


def _ragged_error(line_no: int, found: int, expected: int, others: int) -> BaseFileError:
    more = f" (y {others} línea{'s' if others != 1 else ''} más)" if others else ""
    return BaseFileError(
        "ragged",
        f"La línea {line_no} tiene {found} columna{'s' if found != 1 else ''} y el encabezado "
        f"tiene {expected}{more}. Revise los separadores y las comillas de esa línea.",
    )


# --------------------------------------------------------------------------- CSV


def _split_lines(body: bytes) -> pl.Series:
    """Physical lines of UTF-8 bytes (no line ends; blank lines kept as '')."""
    if b"\x1f" not in body:
        # polars' parser with a separator absent from the data gives one row per line.
        lines = pl.read_csv(
            io.BytesIO(body),
            has_header=False,
            separator="\x1f",
            quote_char=None,
            infer_schema=False,
            new_columns=["line"],
        ).to_series()
        return lines.fill_null("")
    text = body.decode("utf-8")
    lines = pl.Series("line", [text], dtype=pl.String).str.split("\n").explode()
    if text.endswith("\n"):
        lines = lines.slice(0, len(lines) - 1)
    return lines.str.strip_suffix("\r")


def read_csv_bytes(data: bytes) -> ReadResult:
    """Parse CSV bytes (any supported encoding and delimiter) into a ReadResult."""
    body, encoding = decode_bytes(data)
    del data
    if not body.strip():
        raise BaseFileError("empty", "El archivo está vacío.")
    if b"\n" not in body and b"\r" in body:
        body = body.replace(b"\r", b"\n")
    frame = pl.DataFrame({"line": _split_lines(body)}).with_row_index("line_no", offset=1)
    total_lines = frame.height
    frame = frame.filter(pl.col("line").str.strip_chars() != "")
    contiguous = frame.height == total_lines
    if frame.height == 0:
        raise BaseFileError("empty", "El archivo está vacío.")
    delimiter = detect_delimiter(frame["line"].head(SNIFF_LINES).to_list())
    if frame.height == 1:
        raise BaseFileError(
            "header_only", "El archivo solo tiene la fila de encabezados; no trae registros."
        )
    has_quotes = b'"' in body
    quotes = frame["line"].str.count_matches('"', literal=True) if has_quotes else None
    if quotes is not None and bool((quotes % 2 == 1).any()):
        # Quoted fields spanning lines: slow but exact record-by-record parsing.
        return _read_csv_records(body.decode("utf-8"), delimiter, encoding)
    counted = frame["line"]
    if has_quotes:
        counted = counted.str.replace_all(_QUOTED, "")
    counts = counted.str.count_matches(delimiter, literal=True) + 1
    del counted
    header = next(csv.reader([frame["line"][0]], delimiter=delimiter))
    expected = len(header)
    bad = frame.select("line_no").with_columns(fields=counts).filter(pl.col("fields") != expected)
    if bad.height:
        raise _ragged_error(int(bad["line_no"][0]), int(bad["fields"][0]), expected, bad.height - 1)
    if not contiguous:
        body = (frame["line"].str.join("\n")[0] + "\n").encode("utf-8")
    row_numbers = frame["line_no"].slice(1).cast(pl.Int64).alias("row")
    data_rows = frame.height - 1
    del frame
    df = pl.read_csv(
        io.BytesIO(body),
        separator=delimiter,
        has_header=True,
        new_columns=_unique_headers(header),
        infer_schema=False,
        quote_char='"',
    )
    if df.height != data_rows:  # pragma: no cover - defensive
        return _read_csv_records(body.decode("utf-8"), delimiter, encoding)
    return ReadResult(df, row_numbers, "csv", encoding=encoding, delimiter=delimiter)


def _read_csv_records(text: str, delimiter: str, encoding: str) -> ReadResult:
    """Exact CSV parsing with the csv module (used when quoted fields span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[list[str]] = []
    numbers: list[int] = []
    line_no = 0
    try:
        for record in reader:
            start, line_no = line_no + 1, reader.line_num
            if not record or (all(not v.strip() for v in record) and len(record) <= 1):
                continue
            if header is None:
                header = record
                continue
            if len(record) != len(header):
                raise _ragged_error(start, len(record), len(header), 0)
            rows.append(record)
            numbers.append(start)
    except csv.Error as exc:
        raise BaseFileError(
            "ragged",
            f"El CSV está mal formado cerca de la línea {line_no + 1}: comillas sin cerrar.",
        ) from exc
    if header is None:
        raise BaseFileError("empty", "El archivo está vacío.")
    if not rows:
        raise BaseFileError(
            "header_only", "El archivo solo tiene la fila de encabezados; no trae registros."
        )
    names = _unique_headers(header)
    columns = {
        name: pl.Series(name, [r[i] or None for r in rows], dtype=pl.String)
        for i, name in enumerate(names)
    }
    df = pl.DataFrame(columns)
    row_numbers = pl.Series("row", numbers, dtype=pl.Int64)
    return ReadResult(df, row_numbers, "csv", encoding=encoding, delimiter=delimiter)


# --------------------------------------------------------------------------- XLSX


def check_zip_bomb(
    path: str | Path,
    *,
    max_uncompressed_bytes: int = DEFAULT_MAX_UNCOMPRESSED_BYTES,
    max_ratio: float = DEFAULT_MAX_RATIO,
    max_entries: int = DEFAULT_MAX_ZIP_ENTRIES,
) -> None:
    """Refuse a zip whose central directory announces too much data or a suspicious ratio."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _unreadable_xlsx() from exc
    bomb = BaseFileError(
        "zip_bomb",
        "El archivo XLSX se expandiría a un tamaño desproporcionado al descomprimirlo "
        "(posible «bomba zip»); se rechaza por seguridad.",
    )
    if len(infos) > max_entries:
        raise bomb
    total = sum(i.file_size for i in infos)
    if total > max_uncompressed_bytes:
        raise bomb
    for info in infos:
        if info.file_size < ZIP_RATIO_MIN_MEMBER:
            continue
        if info.compress_size == 0 or info.file_size / info.compress_size > max_ratio:
            raise bomb
    # The sizes above are what the archive says; a forged header can say anything, and the
    # spreadsheet reader inflates each stream to its end. Count the bytes really inflated.
    budget = max_uncompressed_bytes
    with open(path, "rb") as raw:
        for info in infos:
            inflated = _inflate_count(raw, info, budget, max_ratio)
            if inflated is None:
                raise bomb
            budget -= inflated
    if (
        "xl/workbook.xml" not in names
        and "xl/workbook.bin" not in names
        and ("content.xml" not in names)
    ):
        raise _unreadable_xlsx()


_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature … file name length, extra field length
_CHUNK = 1024 * 1024


def _inflate_count(raw, info: zipfile.ZipInfo, budget: int, max_ratio: float) -> int | None:
    """Bytes one member really inflates to, read from its local header to the end of its
    deflate stream whatever sizes the headers declare; ``None`` past ``budget`` or, beyond
    :data:`ZIP_RATIO_MIN_MEMBER`, past ``max_ratio`` of the compressed bytes read so far."""
    if info.compress_type == zipfile.ZIP_STORED:
        return info.compress_size if info.compress_size <= budget else None
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise _unreadable_xlsx()
    raw.seek(info.header_offset)
    header = raw.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size:
        raise _unreadable_xlsx()
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != b"PK\x03\x04":
        raise _unreadable_xlsx()
    raw.seek(name_length + extra_length, 1)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    inflated = consumed = 0
    while not inflater.eof:
        data = raw.read(_CHUNK)
        if not data:
            break  # truncated: the reader will say so
        consumed += len(data)
        while data and not inflater.eof:
            try:
                out = inflater.decompress(data, _CHUNK)
            except zlib.error as exc:
                raise _unreadable_xlsx() from exc
            inflated += len(out)
            data = inflater.unconsumed_tail
            if inflated > budget:
                return None
            used = consumed - len(data) - len(inflater.unused_data)
            if inflated > ZIP_RATIO_MIN_MEMBER and inflated > max_ratio * max(used, 1):
                return None
    return inflated


def _unreadable_xlsx() -> BaseFileError:
    return BaseFileError(
        "unreadable_xlsx",
        "No se pudo leer el archivo de Excel: está dañado, protegido con contraseña o no es "
        "una hoja de cálculo válida. Ábralo y guárdelo de nuevo como XLSX o CSV.",
    )


def _header_offset(rows: pl.DataFrame, scan: int = 10) -> int:
    """Skip title rows above the header: in a sheet with several columns, the header is the
    first row (among the first few) with at least two filled cells."""
    if rows.width < 2:
        return 0
    filled = rows.head(scan).select(
        pl.sum_horizontal([pl.col(c).is_not_null().cast(pl.Int32) for c in rows.columns])
    )
    for i, count in enumerate(filled.to_series().to_list()):
        if count >= 2:
            return i
    return 0


def read_xlsx(path: str | Path, sheet: str | None = None) -> ReadResult:
    """Read the first (or the named) sheet; cached formula values only, numbers as text."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
        sheets = tuple(reader.sheet_names)
    except Exception as exc:  # fastexcel raises its own hierarchy for any corruption
        raise _unreadable_xlsx() from exc
    if not sheets:
        raise BaseFileError("empty", "El libro de Excel no tiene hojas.")
    if sheet is None:
        chosen = sheets[0]
    elif sheet in sheets:
        chosen = sheet
    else:
        listed = ", ".join(f"«{s}»" for s in sheets)
        raise BaseFileError(
            "sheet_not_found", f"La hoja «{sheet}» no existe. Hojas del archivo: {listed}."
        )
    try:
        raw = reader.load_sheet(chosen, header_row=None, dtypes="string").to_polars()
    except Exception as exc:
        raise _unreadable_xlsx() from exc
    if raw.width == 0 or raw.height == 0:
        raise BaseFileError("empty", f"La hoja «{chosen}» está vacía.")
    raw = raw.with_columns(
        pl.all().cast(pl.String).str.replace(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$", "$1")
    )
    not_blank = ~pl.all_horizontal(
        [pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in raw.columns]
    )
    raw = raw.with_row_index("_r", offset=1).filter(not_blank)
    if raw.height == 0:
        raise BaseFileError("empty", f"La hoja «{chosen}» está vacía.")
    raw = raw.slice(_header_offset(raw.drop("_r")))
    if raw.height == 1:
        raise BaseFileError(
            "header_only", "El archivo solo tiene la fila de encabezados; no trae registros."
        )
    data_cols = [c for c in raw.columns if c != "_r"]
    header_values = [raw[c][0] for c in data_cols]
    body = raw.slice(1)
    keep = [
        c
        for c, h in zip(data_cols, header_values, strict=True)
        if (h is not None and h.strip()) or body[c].is_not_null().any()
    ]
    names = _unique_headers([h for c, h in zip(data_cols, header_values, strict=True) if c in keep])
    df = body.select(keep).rename(dict(zip(keep, names, strict=True)))
    row_numbers = body["_r"].cast(pl.Int64).alias("row")
    return ReadResult(df, row_numbers, "xlsx", sheet=chosen, sheets=sheets)


# --------------------------------------------------------------------------- entry point


def read_base(
    path: str | Path,
    *,
    sheet: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_uncompressed_bytes: int = DEFAULT_MAX_UNCOMPRESSED_BYTES,
    max_ratio: float = DEFAULT_MAX_RATIO,
) -> ReadResult:
    """Read a base file, choosing CSV or spreadsheet by content (the extension is a hint)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BaseFileError("not_found", f"No se encontró el archivo «{path}».") from exc
    if not path.is_file():
        raise BaseFileError("not_found", f"«{path}» no es un archivo.")
    if size > max_bytes:
        raise BaseFileError(
            "too_large",
            f"El archivo pesa {_human_size(size)} y supera el límite de {_human_size(max_bytes)}.",
        )
    if size == 0:
        raise BaseFileError("empty", "El archivo está vacío.")
    with path.open("rb") as fh:
        head = fh.read(8)
    suffix = path.suffix.lower()
    if head.startswith(ZIP_MAGIC):
        check_zip_bomb(path, max_uncompressed_bytes=max_uncompressed_bytes, max_ratio=max_ratio)
        return read_xlsx(path, sheet)
    if head.startswith(OLE_MAGIC):
        return read_xlsx(path, sheet)
    if suffix in SPREADSHEET_EXTENSIONS:
        raise _unreadable_xlsx()
    return read_csv_bytes(path.read_bytes())
