"""Reading contact bases: encodings, delimiters, XLSX, header mapping and bad input."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from brief.contacts.reader import (
    BaseFileError,
    check_zip_bomb,
    detect_delimiter,
    match_header,
    normalize_header,
    propose_mapping,
    read_base,
    read_csv_bytes,
    resolve_mapping,
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def make_xlsx(path: Path, rows: list[list], *, sheet: str = "Base", extra_sheet: str | None = None):
    """An XLSX whose cells are written with their Python type (numbers stay numbers)."""
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet(sheet)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.write(r, c, value)
    if extra_sheet:
        other = book.add_worksheet(extra_sheet)
        other.write_row(0, 0, ["Cédula", "Nombres"])
        other.write_row(1, 0, ["999888777", "Otra"])
    book.close()
    return path


def raises_code(code: str, func, *args, **kwargs) -> BaseFileError:
    with pytest.raises(BaseFileError) as info:
        func(*args, **kwargs)
    assert info.value.code == code
    return info.value


# --------------------------------------------------------------------------- encodings


def test_utf8_with_bom_is_read_and_reported_as_utf8():
    # given
    data = "\ufeffCédula,Nombres\n1020304050,José\n".encode()

    # when
    result = read_csv_bytes(data)

    # then
    assert result.encoding == "utf-8"
    assert result.df.columns == ["Cédula", "Nombres"]
    assert result.df.rows() == [("1020304050", "José")]


def test_utf8_without_bom():
    # given
    data = "Cédula;Nombres\n1020304050;Núñez\n".encode()

    # when
    result = read_csv_bytes(data)

    # then
    assert result.encoding == "utf-8"
    assert result.df.rows() == [("1020304050", "Núñez")]


def test_windows_1252_is_detected_and_decoded():
    # given: Excel's "CSV (delimitado por comas)" on Windows
    data = "Cédula;Nombres;Ciudad\n1020304050;José Peña;Bogotá – D.C.\n".encode("cp1252")

    # when
    result = read_csv_bytes(data)

    # then
    assert result.encoding == "windows-1252"
    assert result.df.columns == ["Cédula", "Nombres", "Ciudad"]
    assert result.df.rows() == [("1020304050", "José Peña", "Bogotá – D.C.")]


def test_latin1_bytes_undefined_in_cp1252_fall_back_to_latin1():
    # given: 0x81 has no character in Windows-1252
    data = b"Nombres,Nota\nJos\xe9,a\x81b\n"

    # when
    result = read_csv_bytes(data)

    # then
    assert result.encoding == "latin-1"
    assert result.df.rows() == [("José", "a\x81b")]


def test_utf16_with_bom_is_read():
    # given: Excel's "Texto Unicode"
    data = "Cédula\tNombres\n1020304050\tAna\n".encode("utf-16")

    # when
    result = read_csv_bytes(data)

    # then
    assert (result.encoding, result.delimiter) == ("utf-16", "\t")
    assert result.df.rows() == [("1020304050", "Ana")]


# --------------------------------------------------------------------------- delimiters


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter_is_detected_and_reported(delimiter):
    # given
    lines = ["Cédula", "Nombres", "Celular"], ["1020304050", "Ana", "3001234567"]
    data = "\n".join(delimiter.join(line) for line in lines).encode() + b"\n"

    # when
    result = read_csv_bytes(data)

    # then
    assert result.delimiter == delimiter
    assert result.df.columns == ["Cédula", "Nombres", "Celular"]
    assert result.df.rows() == [("1020304050", "Ana", "3001234567")]


def test_semicolon_file_with_commas_inside_values_and_quotes():
    # given
    data = 'Cédula;Nombre completo;Nota\n1020304050;"Pérez, Ana";"dijo ""sí"""\n'.encode()

    # when
    result = read_csv_bytes(data)

    # then
    assert result.delimiter == ";"
    assert result.df.rows() == [("1020304050", "Pérez, Ana", 'dijo "sí"')]


def test_detect_delimiter_prefers_the_consistent_one():
    # given: decimal commas in the data but semicolons everywhere
    lines = ["Cédula;Valor", "1;2,5", "2;3,75", "3;4"]

    # when / then
    assert detect_delimiter(lines) == ";"


def test_single_column_file_reports_comma():
    # given
    data = b"Cedula\n1020304050\n"

    # when
    result = read_csv_bytes(data)

    # then
    assert result.delimiter == ","
    assert result.df.rows() == [("1020304050",)]


# --------------------------------------------------------------------------- rows and lines


def test_blank_lines_are_skipped_and_rows_keep_their_line_numbers():
    # given
    data = b"Cedula,Nombres\r\n\r\n1020304050,Ana\r\n   \r\n52123456,Luis\r\n\r\n"

    # when
    result = read_csv_bytes(data)

    # then
    assert result.df.rows() == [("1020304050", "Ana"), ("52123456", "Luis")]
    assert result.row_numbers.to_list() == [3, 5]


def test_empty_fields_are_null_and_values_are_kept_untrimmed():
    # given
    data = b"a,b,c\n, x ,\n"

    # when
    result = read_csv_bytes(data)

    # then
    assert result.df.rows() == [(None, " x ", None)]


def test_quoted_field_spanning_lines_is_one_record():
    # given
    data = 'Cédula,Observación\n1020304050,"línea uno\nlínea dos"\n52123456,ok\n'.encode()

    # when
    result = read_csv_bytes(data)

    # then
    assert result.df.rows() == [("1020304050", "línea uno\nlínea dos"), ("52123456", "ok")]
    assert result.row_numbers.to_list() == [2, 4]


def test_repeated_and_blank_headers_get_unique_names():
    # given
    data = b"Celular,Celular,,Nombres\n1,2,3,4\n"

    # when
    result = read_csv_bytes(data)

    # then
    assert result.df.columns == ["Celular", "Celular (2)", "columna_3", "Nombres"]


def test_ragged_row_with_fewer_fields_names_its_line():
    # given
    data = b"Cedula,Nombres,Celular\n1020304050,Ana,3001234567\n52123456,Luis\n"

    # when
    error = raises_code("ragged", read_csv_bytes, data)

    # then
    assert error.message == (
        "La línea 3 tiene 2 columnas y el encabezado tiene 3. "
        "Revise los separadores y las comillas de esa línea."
    )


def test_ragged_row_with_more_fields_names_its_line_and_counts_the_others():
    # given
    data = b"Cedula;Nombres\n1;Ana\n\n2;Luis;extra\n3;Eva;x;y\n"

    # when
    error = raises_code("ragged", read_csv_bytes, data)

    # then
    assert error.message.startswith(
        "La línea 4 tiene 3 columnas y el encabezado tiene 2 (y 1 línea más)."
    )


def test_ragged_quoted_multiline_file_names_the_record_line():
    # given
    data = b'a,b\n1,"x\ny"\n2\n'

    # when
    error = raises_code("ragged", read_csv_bytes, data)

    # then
    assert error.message.startswith("La línea 4 tiene 1 columna y el encabezado tiene 2")


# --------------------------------------------------------------------------- bad files


def test_empty_file(tmp_path):
    # given
    path = write(tmp_path, "vacio.csv", b"")

    # when
    error = raises_code("empty", read_base, path)

    # then
    assert error.message == "El archivo está vacío."


def test_file_with_only_blank_lines_and_bom_is_empty(tmp_path):
    # given
    path = write(tmp_path, "vacio.csv", b"\xef\xbb\xbf\r\n  \r\n")

    # when / then
    raises_code("empty", read_base, path)


@pytest.mark.parametrize("data", [b"Cedula,Nombres", b"Cedula,Nombres\n", b"Cedula,Nombres\n\n\n"])
def test_header_only(tmp_path, data):
    # given
    path = write(tmp_path, "base.csv", data)

    # when
    error = raises_code("header_only", read_base, path)

    # then
    assert error.message == "El archivo solo tiene la fila de encabezados; no trae registros."


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        b"Cedula,Nombres\n1\x00\x00\x002,Ana\n",
        bytes((i * 37) % 32 for i in range(4096)),
    ],
    ids=["png", "pdf", "nul-bytes", "control-bytes"],
)
def test_binary_file_renamed_csv(tmp_path, data):
    # given
    path = write(tmp_path, "base.csv", data)

    # when
    error = raises_code("binary", read_base, path)

    # then
    assert "no es un CSV de texto" in error.message


def test_file_over_the_size_limit(tmp_path):
    # given
    path = write(tmp_path, "base.csv", b"Cedula,Nombres\n1020304050,Ana\n" * 100)

    # when
    error = raises_code("too_large", read_base, path, max_bytes=1024)

    # then
    assert error.message == "El archivo pesa 2,9 KB y supera el límite de 1,0 KB."


def test_file_at_the_size_limit_is_read(tmp_path):
    # given
    data = b"Cedula,Nombres\n1020304050,Ana\n"
    path = write(tmp_path, "base.csv", data)

    # when
    result = read_base(path, max_bytes=len(data))

    # then
    assert result.df.height == 1


def test_missing_file(tmp_path):
    # when
    error = raises_code("not_found", read_base, tmp_path / "no.csv")

    # then
    assert error.message.startswith("No se encontró el archivo")


# --------------------------------------------------------------------------- XLSX


def test_xlsx_numeric_document_and_phone_are_whole_numbers(tmp_path):
    # given
    path = make_xlsx(
        tmp_path / "base.xlsx",
        [
            ["Número de documento", "Nombres", "Celular", "Puntaje"],
            [1020304050, "Ana", 3001234567, 12.5],
            [52123456.0, "Luis", 3109876543.0, 7],
        ],
    )

    # when
    result = read_base(path)

    # then
    assert result.file_format == "xlsx"
    assert (result.encoding, result.delimiter, result.sheet) == (None, None, "Base")
    assert result.df.rows() == [
        ("1020304050", "Ana", "3001234567", "12.5"),
        ("52123456", "Luis", "3109876543", "7"),
    ]
    assert result.row_numbers.to_list() == [2, 3]


def test_xlsx_formulas_are_never_evaluated_cached_values_are_read(tmp_path):
    # given: the cached values deliberately differ from what the formulas compute
    path = tmp_path / "formulas.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet()
    ws.write_row(0, 0, ["Cédula", "Nombres", "Celular"])
    ws.write_formula(1, 0, "=1+1", None, 1020304050)
    ws.write_formula(1, 1, '=CONCAT("A","B")', None, "Ana")
    ws.write_formula(1, 2, '=WEBSERVICE("http://example.invalid")', None, 3001234567)
    book.close()

    # when
    result = read_base(path)

    # then
    assert result.df.rows() == [("1020304050", "Ana", "3001234567")]


def test_xlsx_formula_without_cached_value_reads_as_zero_which_rule_1_treats_as_missing(tmp_path):
    # given: xlsxwriter stores 0 when no value is given
    path = tmp_path / "formulas.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet()
    ws.write_row(0, 0, ["Cédula", "Celular"])
    ws.write_string(1, 0, "1020304050")
    ws.write_formula(1, 1, "=A2+1")
    book.close()

    # when
    result = read_base(path)

    # then
    assert result.df.rows() == [("1020304050", "0")]


def test_xlsx_chosen_sheet(tmp_path):
    # given
    path = make_xlsx(
        tmp_path / "base.xlsx", [["Cédula", "Nombres"], ["1", "Ana"]], extra_sheet="Segunda"
    )

    # when
    result = read_base(path, sheet="Segunda")

    # then
    assert result.sheet == "Segunda"
    assert result.sheets == ("Base", "Segunda")
    assert result.df.rows() == [("999888777", "Otra")]


def test_xlsx_unknown_sheet(tmp_path):
    # given
    path = make_xlsx(tmp_path / "base.xlsx", [["Cédula"], ["1"]])

    # when
    error = raises_code("sheet_not_found", read_base, path, sheet="Hoja9")

    # then
    assert error.message == "La hoja «Hoja9» no existe. Hojas del archivo: «Base»."


def test_xlsx_header_only_and_empty_sheet(tmp_path):
    # given
    header_only = make_xlsx(tmp_path / "h.xlsx", [["Cédula", "Nombres"]])
    empty = make_xlsx(tmp_path / "e.xlsx", [])

    # when / then
    raises_code("header_only", read_base, header_only)
    raises_code("empty", read_base, empty)


def test_xlsx_blank_rows_are_skipped_with_sheet_row_numbers(tmp_path):
    # given
    path = make_xlsx(
        tmp_path / "base.xlsx", [["Cédula", "Nombres"], ["1", "Ana"], [None, None], ["2", "Eva"]]
    )

    # when
    result = read_base(path)

    # then
    assert result.df.rows() == [("1", "Ana"), ("2", "Eva")]
    assert result.row_numbers.to_list() == [2, 4]


def test_xlsx_title_rows_above_the_header_are_skipped(tmp_path):
    # given
    path = make_xlsx(
        tmp_path / "base.xlsx",
        [
            ["Base campaña Actualización de datos 2027-1", None, None],
            [None, None, None],
            ["Cédula", "Nombres", "Celular"],
            [1020304050, "Ana", 3001234567],
        ],
    )

    # when
    result = read_base(path)

    # then
    assert result.df.columns == ["Cédula", "Nombres", "Celular"]
    assert result.df.rows() == [("1020304050", "Ana", "3001234567")]
    assert result.row_numbers.to_list() == [4]


def test_xlsx_renamed_csv_is_read_as_a_spreadsheet(tmp_path):
    # given
    xlsx = make_xlsx(tmp_path / "base.xlsx", [["Cédula", "Nombres"], [1020304050, "Ana"]])
    renamed = write(tmp_path, "base.csv", xlsx.read_bytes())

    # when
    result = read_base(renamed)

    # then
    assert result.file_format == "xlsx"
    assert result.df.rows() == [("1020304050", "Ana")]


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04 this is not a zip", b"Cedula,Nombres\n1,Ana\n"],
    ids=["broken-zip", "text-named-xlsx"],
)
def test_unreadable_xlsx(tmp_path, data):
    # given
    path = write(tmp_path, "base.xlsx", data)

    # when
    error = raises_code("unreadable_xlsx", read_base, path)

    # then
    assert error.message.startswith("No se pudo leer el archivo de Excel")


def test_truncated_xlsx_is_unreadable(tmp_path):
    # given
    xlsx = make_xlsx(tmp_path / "ok.xlsx", [["Cédula"], [1]])
    path = write(tmp_path, "base.xlsx", xlsx.read_bytes()[:400])

    # when / then
    raises_code("unreadable_xlsx", read_base, path)


def test_zip_without_a_workbook_is_unreadable(tmp_path):
    # given: a .docx-like zip renamed .xlsx
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    path = write(tmp_path, "base.xlsx", buffer.getvalue())

    # when / then
    raises_code("unreadable_xlsx", read_base, path)


def _bomb(path: Path, member_size: int) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\x00" * member_size)
    return path


def test_xlsx_zip_bomb_is_refused_from_the_central_directory(tmp_path):
    # given: 64 MB of zeros deflate to ~64 KB (ratio ~1000)
    path = _bomb(tmp_path / "bomba.xlsx", 64 * 1024 * 1024)

    # when
    error = raises_code("zip_bomb", read_base, path)

    # then
    assert path.stat().st_size < 200_000
    assert "bomba zip" in error.message


def test_xlsx_over_the_uncompressed_limit_is_refused(tmp_path):
    # given
    path = _bomb(tmp_path / "grande.xlsx", 2 * 1024 * 1024)

    # when / then
    raises_code("zip_bomb", read_base, path, max_uncompressed_bytes=1024 * 1024)


def test_zip_bomb_check_accepts_a_normal_workbook(tmp_path):
    # given
    path = make_xlsx(tmp_path / "ok.xlsx", [["Cédula"]] + [[i] for i in range(1000)])

    # when / then: no error
    check_zip_bomb(path)


# --------------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Celular", "mobile"),
        ("teléfono móvil", "mobile"),
        ("MOVIL", "mobile"),
        ("Celular 2", "mobile"),
        ("celular2", "mobile"),
        ("Teléfono fijo", "landline"),
        ("Teléfono", "landline"),
        ("correo", "email"),
        ("Email", "email"),
        ("E-mail", "email"),
        ("Correo electrónico", "email"),
        ("Número de documento", "doc_number"),
        ("No. Documento", "doc_number"),
        ("CÉDULA", "doc_number"),
        ("cedula", "doc_number"),
        ("Tipo de documento", "doc_type"),
        ("tipo_documento", "doc_type"),
        ("Nombres", "first_names"),
        ("Apellidos", "last_names"),
        ("Nombre completo", "full_name"),
        ("Nombres y apellidos", "full_name"),
        ("País", "country"),
        ("Ciudad", "city"),
        ("Municipio", "city"),
        ("Departamento", "department"),
        ("Observación", "custom"),
        ("Programa académico", "custom"),
    ],
)
def test_header_synonyms_are_case_and_accent_insensitive(header, field):
    # when / then
    assert match_header(header) == field


def test_normalize_header():
    # when / then
    assert normalize_header("  Número_de-Documento 1 ") == "numero documento"


def test_lone_nombre_is_full_name_unless_there_are_last_names():
    # when / then
    assert propose_mapping(["Cédula", "Nombre"])["Nombre"] == "full_name"
    assert propose_mapping(["Cédula", "Nombre", "Apellidos"])["Nombre"] == "first_names"


def test_proposed_mapping_keeps_unknown_headers_as_custom_and_repeats_of_single_fields():
    # given
    headers = ["Cédula", "Documento", "Celular", "Celular 2", "Programa"]

    # when
    mapping = propose_mapping(headers)

    # then
    assert mapping == {
        "Cédula": "doc_number",
        "Documento": "custom",
        "Celular": "mobile",
        "Celular 2": "mobile",
        "Programa": "custom",
    }


def test_override_mapping_is_applied_on_top_of_the_proposal():
    # given
    headers = ["Cédula", "Contacto", "Nota"]

    # when
    mapping = resolve_mapping(headers, {"Contacto": "mobile", "Nota": "ignore"})

    # then
    assert mapping == {"Cédula": "doc_number", "Contacto": "mobile", "Nota": "ignore"}


def test_override_mapping_errors_are_in_spanish():
    # when
    unknown_header = raises_code("bad_mapping", resolve_mapping, ["A"], {"B": "mobile"})
    unknown_field = raises_code("bad_mapping", resolve_mapping, ["A"], {"A": "telefax"})
    twice = raises_code("bad_mapping", resolve_mapping, ["A", "B"], {"A": "city", "B": "city"})

    # then
    assert unknown_header.message == "La columna «B» no existe en el archivo."
    assert unknown_field.message == "«telefax» no es un campo válido para la columna «A»."
    assert twice.message == "El campo «Ciudad» está asignado a 2 columnas; asígnelo a una sola."


def test_reader_returns_only_strings(tmp_path):
    # given
    path = make_xlsx(tmp_path / "b.xlsx", [["Cédula", "Activo"], [1, True]])

    # when
    result = read_base(path)

    # then
    assert result.df.schema == pl.Schema({"Cédula": pl.String, "Activo": pl.String})
    assert result.df.rows() == [("1", "true")]


def _forge_sizes(path: Path, member: str, declared: int) -> None:
    """Rewrite ``member``'s uncompressed size in both headers to ``declared`` bytes."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
        real = info.file_size
    name = member.encode()
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            start = at + 4
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(name)] == name:
                assert int.from_bytes(data[at + size_at : at + size_at + 4], "little") == real
                data[at + size_at : at + size_at + 4] = declared.to_bytes(4, "little")
    path.write_bytes(bytes(data))


def test_xlsx_bomb_with_forged_sizes_is_refused_by_the_bytes_inflated(tmp_path):
    # given 64 MB of zeros whose headers claim 500 kB (ratio ~8: the declared sizes pass)
    path = _bomb(tmp_path / "forjada.xlsx", 64 * 1024 * 1024)
    _forge_sizes(path, "xl/worksheets/sheet1.xml", 500_000)
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size == 500_000

    # when / then: refused, by the ratio of what it really inflates
    error = raises_code("zip_bomb", check_zip_bomb, path)
    assert "bomba zip" in error.message
    # and by the total really inflated when the ratio is allowed
    raises_code(
        "zip_bomb", check_zip_bomb, path, max_ratio=10_000, max_uncompressed_bytes=32 * 1024 * 1024
    )
    check_zip_bomb(path, max_ratio=10_000)  # 64 MB real is under the 1 GiB default total
