"""The one upload validator: extension, size, streaming SHA-256 and content sniffing.

Every app that stores a file (brief attachments, creatives) calls :func:`check_upload` and
gets the same Spanish messages and error codes, always on the field ``file``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext

from .exceptions import Invalid
from .sniff import HEAD_BYTES, TEXT_EXTENSIONS, content_matches


@dataclass(frozen=True)
class CheckedUpload:
    """An accepted upload: its file name (no folders), extension, size and SHA-256 hex."""

    name: str
    ext: str
    size: int
    sha256: str


def extension(name: str) -> str:
    """The lower-case extension of a file name, without the dot (``""`` when there is none)."""
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def check_upload(upload, *, allowed: Iterable[str]) -> CheckedUpload:
    """Validate a Django ``UploadedFile`` and hash it in one pass; rewinds it for saving.

    Raises :class:`Invalid` (field ``file``): ``invalid_extension``, ``empty_file``,
    ``too_large`` (over ``settings.BRIEF_MAX_UPLOAD_BYTES``) or ``bad_content`` (the first
    bytes do not fit the extension).
    """
    name = os.path.basename(getattr(upload, "name", "") or "") or "archivo"
    ext = extension(name)
    allowed = frozenset(allowed)
    if ext not in allowed:
        raise Invalid(
            gettext("Extensión .%(ext)s no admitida para este archivo. Use: %(allowed)s.")
            % {"ext": ext or "?", "allowed": ", ".join(sorted(allowed))},
            code="invalid_extension",
            field="file",
        )
    size = upload.size or 0
    if size == 0:
        raise Invalid(gettext("El archivo está vacío."), code="empty_file", field="file")
    limit = settings.BRIEF_MAX_UPLOAD_BYTES
    if size > limit:
        raise Invalid(
            gettext("El archivo supera el tamaño máximo de %(size)s MB.")
            % {"size": limit // (1024 * 1024)},
            code="too_large",
            field="file",
        )
    digest, head = hashlib.sha256(), b""
    for chunk in upload.chunks():
        if len(head) < HEAD_BYTES:
            head += chunk[: HEAD_BYTES - len(head)]
        digest.update(chunk)
    if not content_matches(ext, head):
        message = (
            gettext("El archivo no es un .%(ext)s de texto: parece un archivo binario renombrado.")
            % {"ext": ext}
            if ext in TEXT_EXTENSIONS
            else gettext("El contenido del archivo no corresponde a un .%(ext)s.") % {"ext": ext}
        )
        raise Invalid(message, code="bad_content", field="file")
    upload.seek(0)
    return CheckedUpload(name=name, ext=ext, size=size, sha256=digest.hexdigest())
