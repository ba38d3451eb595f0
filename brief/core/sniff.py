"""What a file's first bytes say it is: magic numbers and the text-or-binary test.

Pure and Django-free, so the contact-base reader (``contacts/reader.py``) shares it with the
upload validator (``core/uploads.py``).
"""

from __future__ import annotations

# Bytes of the head that every check below needs.
HEAD_BYTES = 16

ZIP_MAGIC = b"PK\x03\x04"  # xlsx, docx (Office Open XML are zip files)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office (xls, doc, msg)

# Starts of files that are never text: archives, documents, images, executables.
BINARY_MAGIC = (
    ZIP_MAGIC,
    OLE_MAGIC[:4],
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"\x7fELF",
    b"\x1f\x8b",
    b"BZh",
    b"7z\xbc\xaf",
    b"Rar!",
    b"MZ",
)

TEXT_EXTENSIONS = frozenset({"csv", "txt"})

# Extension → the starts its content may have.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "xlsx": (ZIP_MAGIC,),
    "docx": (ZIP_MAGIC,),
    "pptx": (ZIP_MAGIC,),
    "zip": (ZIP_MAGIC, b"PK\x05\x06"),  # an empty archive is only its end record
    "pdf": (b"%PDF",),
    "png": (b"\x89PNG",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "mp3": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
    "ogg": (b"OggS",),
}


def is_binary(sample: bytes) -> bool:
    """True for content that is clearly not text (NUL bytes, known magic, control bytes)."""
    if not sample:
        return False
    if b"\x00" in sample or sample.startswith(BINARY_MAGIC):
        return True
    control = sum(1 for b in sample if b < 0x20 and b not in (0x09, 0x0A, 0x0C, 0x0D))
    return control > max(2, len(sample) // 200)


def content_matches(ext: str, head: bytes) -> bool:
    """Whether ``head`` (the first :data:`HEAD_BYTES` or more) fits extension ``ext``.

    Text extensions must not look binary; extensions with a known signature must start with
    it; others (``odt``, ``msg``, ``eml``) are not checked.
    """
    if ext in TEXT_EXTENSIONS:
        return not is_binary(head)
    if ext in SIGNATURES:
        return head.startswith(SIGNATURES[ext])
    if ext == "wav":
        return head[:4] == b"RIFF" and head[8:12] == b"WAVE"
    if ext == "mp4":
        return head[4:8] == b"ftyp"
    return True
