"""The file store: Django's file system storage that fails cleanly when the disk does.

A full disk, an exhausted quota or a file system remounted read-only makes Django's storage
raise a bare ``OSError`` halfway through a file, leaving the partial file behind. Here the
partial file is removed and :class:`~brief.core.exceptions.StorageUnavailable` (507, a Spanish
message) is raised instead, so the action that was storing it rolls back and the page or the
API says what happened.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re

from django.core.files.storage import FileSystemStorage
from django.utils.translation import gettext

from .exceptions import StorageUnavailable

FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
READ_ONLY = {errno.EROFS}


def os_errno(exc: BaseException) -> int | None:
    """The errno of ``exc``; Rust libraries (polars) raise ``OSError`` without one and put it in
    the message as ``(os error 28)``."""
    if not isinstance(exc, OSError):
        return None
    if exc.errno is not None:
        return exc.errno
    found = re.search(r"\(os error (\d+)\)", str(exc))
    return int(found.group(1)) if found else None


def storage_error(exc: BaseException) -> StorageUnavailable | None:
    """The clean error for a disk failure (``None`` for anything else)."""
    number = os_errno(exc)
    if number in FULL:
        return StorageUnavailable(
            gettext(
                "No hay espacio en el servidor para guardar el archivo; no se guardó nada. "
                "Avise a soporte y vuelva a intentarlo más tarde."
            ),
            code="storage_full",
        )
    if number in READ_ONLY:
        return StorageUnavailable(
            gettext(
                "El almacenamiento de archivos está en solo lectura; no se guardó nada. "
                "Avise a soporte y vuelva a intentarlo más tarde."
            ),
            code="storage_read_only",
        )
    return None


class FileStorage(FileSystemStorage):
    """``FileSystemStorage`` that removes a partial file and raises a clean error when the disk
    is full or read-only."""

    def _save(self, name, content):
        path = self.path(name)
        existed = os.path.exists(path)
        try:
            return super()._save(name, content)
        except OSError as exc:
            clean = storage_error(exc)
            if clean is None:
                raise
            if not existed:
                remove_partial(path)
            raise clean from exc


def remove_partial(path) -> None:
    """Delete a half-written file; on a read-only disk there is none to delete."""
    with contextlib.suppress(OSError):
        os.remove(path)
