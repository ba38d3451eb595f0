"""The one upload validator (``core/uploads.py``) and the sniffing it shares with the reader."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from brief.core.exceptions import Invalid
from brief.core.sniff import content_matches, is_binary
from brief.core.uploads import check_upload

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 16
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 16


def refused(name: str, data: bytes, allowed=("csv", "png", "pdf", "xlsx")) -> Invalid:
    with pytest.raises(Invalid) as info:
        check_upload(SimpleUploadedFile(name, data), allowed=allowed)
    assert info.value.field == "file"
    return info.value


def test_accepted_file_gives_name_extension_size_and_streamed_sha256():
    # given a CSV larger than one upload chunk
    data = b"documento,nombre\n" + b"1020304050,Ana\n" * 10_000
    upload = SimpleUploadedFile("carpeta/Base.CSV", data)
    upload.DEFAULT_CHUNK_SIZE = 4096
    # when it is checked
    checked = check_upload(upload, allowed={"csv"})
    # then it is described and rewound for saving
    assert (checked.name, checked.ext, checked.size) == ("Base.CSV", "csv", len(data))
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert upload.read(9) == b"documento"


def test_extension_outside_the_allowed_set():
    error = refused("base.exe", b"MZ\x90\x00", allowed=("csv", "xlsx"))
    assert (error.code, error.message) == (
        "invalid_extension",
        "Extensión .exe no admitida para este archivo. Use: csv, xlsx.",
    )
    error = refused("sin_extension", b"hola", allowed=("csv",))
    assert error.message == "Extensión .? no admitida para este archivo. Use: csv."


def test_empty_file():
    error = refused("base.csv", b"")
    assert (error.code, error.message) == ("empty_file", "El archivo está vacío.")


@override_settings(BRIEF_MAX_UPLOAD_BYTES=2 * 1024 * 1024)
def test_file_over_the_configured_size():
    error = refused("base.csv", b"a" * (2 * 1024 * 1024 + 1))
    assert (error.code, error.message) == (
        "too_large",
        "El archivo supera el tamaño máximo de 2 MB.",
    )


def test_binary_renamed_as_text():
    error = refused("base.csv", b"PK\x03\x04" + b"\x00" * 20)
    assert (error.code, error.message) == (
        "bad_content",
        "El archivo no es un .csv de texto: parece un archivo binario renombrado.",
    )


def test_content_that_does_not_fit_its_signature():
    error = refused("acta.pdf", PNG)
    assert (error.code, error.message) == (
        "bad_content",
        "El contenido del archivo no corresponde a un .pdf.",
    )
    assert refused("hoja.xlsx", b"a,b\n1,2\n").message == (
        "El contenido del archivo no corresponde a un .xlsx."
    )


@pytest.mark.parametrize(
    ("ext", "head", "fits"),
    [
        ("csv", b"documento;nombre\r\n", True),
        ("txt", "Guion: buenos días\n".encode("cp1252"), True),
        ("csv", b"a\x00b", False),
        ("csv", b"%PDF-1.7", False),
        ("xlsx", b"PK\x03\x04\x14\x00", True),
        ("docx", b"%PDF-1.7", False),
        ("pdf", b"%PDF-1.7", True),
        ("png", PNG, True),
        ("jpg", b"\xff\xd8\xff\xe0", True),
        ("jpeg", PNG, False),
        ("gif", b"GIF89a", True),
        ("gif", b"GIF8xx", False),
        ("mp3", b"ID3\x04", True),
        ("mp3", b"RIFF", False),
        ("wav", WAV, True),
        ("wav", MP4, False),
        ("mp4", MP4, True),
        ("mp4", WAV, False),
        ("eml", b"From: a@b", True),  # no signature to check
    ],
)
def test_content_matches(ext, head, fits):
    assert content_matches(ext, head) is fits


def test_is_binary_on_control_bytes_and_text():
    assert is_binary(b"") is False
    assert is_binary("ñandú,ácido\n".encode()) is False
    assert is_binary(b"\x01\x02\x03\x04abc") is True
