"""The file store: Django's file system storage that encrypts at rest and fails cleanly when
the disk does.

With ``BRIEF_ENCRYPTION_KEYS`` set, every file is written encrypted (``brief.core.crypto``) and
read back decrypted: :meth:`FileStorage.open` gives a seekable plaintext copy (in memory up to
8 MiB, beyond in a private temporary file removed on close), :meth:`FileStorage.size` the
plaintext size; code that needs a real path (polars, zipfile) asks :func:`local_copy`.

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
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext

from . import crypto
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
    if isinstance(exc, StorageUnavailable):
        return exc
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


class _Sealed:
    """What ``FileSystemStorage._save`` writes: the content's chunks, encrypted (and no
    ``temporary_file_path``, so a large upload is never moved in as plaintext)."""

    def __init__(self, content):
        self.content = content

    def chunks(self, chunk_size=None):
        return crypto.encrypt_stream(self.content.chunks())


class FileStorage(FileSystemStorage):
    """``FileSystemStorage`` that encrypts when keys are configured, removes a partial file and
    raises a clean error when the disk is full or read-only."""

    def _save(self, name, content):
        path = self.path(name)
        existed = os.path.exists(path)
        if crypto.enabled():
            content = _Sealed(content)
        try:
            return super()._save(name, content)
        except OSError as exc:
            clean = storage_error(exc)
            if clean is None:
                raise
            if not existed:
                remove_partial(path)
            raise clean from exc

    def _open(self, name, mode="rb"):
        if "r" in mode and "+" not in mode:
            plain = _open_plain(self, name)
            if plain is not None:
                return plain
        return super()._open(name, mode)

    def size(self, name):
        return _plain_size(self, name, super().size(name))


def remove_partial(path) -> None:
    """Delete a half-written file; on a read-only disk there is none to delete."""
    with contextlib.suppress(OSError):
        os.remove(path)


SPOOL = 8 * 1024 * 1024


def _encrypted(path: str) -> bool:
    with open(path, "rb") as handle:
        return crypto.is_encrypted(handle.read(len(crypto.MAGIC)))


def _open_plain(storage: FileSystemStorage, name: str):
    path = storage.path(name)
    if not _encrypted(path):
        return None
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115 (returned open)
    with open(path, "rb") as handle:
        for chunk in crypto.decrypt_stream(handle):
            spool.write(chunk)
    spool.seek(0)
    return File(spool, name=name)


def _plain_size(storage: FileSystemStorage, name: str, stored: int) -> int:
    return crypto.plain_size(stored) if _encrypted(storage.path(name)) else stored


@contextlib.contextmanager
def local_copy(stored) -> Iterator[Path]:
    """A path holding the plaintext of ``stored`` (a ``FieldFile`` or a path in the store): the
    stored file itself when it is not encrypted, else a private temporary copy removed
    afterwards."""
    path = Path(getattr(stored, "path", stored))
    if not _encrypted(str(path)):
        yield path
        return
    fd, name = tempfile.mkstemp(suffix=path.suffix, prefix="brief-")
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb") as handle:
            for chunk in crypto.decrypt_stream(handle):
                out.write(chunk)
        yield Path(name)
    finally:
        os.remove(name)


@dataclass
class Rotation:
    rewritten: int = 0
    current: int = 0
    missing: int = 0


def stored_names() -> Iterator[tuple[FileSystemStorage, str]]:
    """Every (storage, name) held by a ``FileField`` of any installed model."""
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not isinstance(field, models.FileField):
                continue
            names = (
                model._default_manager.exclude(**{field.name: ""})
                .exclude(**{f"{field.name}__isnull": True})
                .values_list(field.name, flat=True)
            )
            for name in names.iterator(chunk_size=2000):
                yield field.storage, name  # type: ignore[misc]


def rotate_files() -> Rotation:
    """Re-encrypt each stored file not yet under the first key (plain ones included), each one
    written aside and renamed over the old one."""
    current = crypto.keys()[0]
    done = Rotation()
    for store, name in stored_names():
        path = store.path(name)
        if not os.path.exists(path):
            done.missing += 1
            continue
        with open(path, "rb") as handle:
            head = handle.read(len(crypto.MAGIC) + 8)
            if head == crypto.MAGIC + current.id:
                done.current += 1
                continue
            handle.seek(0)
            aside = f"{path}.rotating"
            try:
                with open(aside, "wb") as out:
                    for chunk in crypto.encrypt_stream(crypto.decrypt_stream(handle), current):
                        out.write(chunk)
            except BaseException:
                remove_partial(aside)
                raise
        os.replace(aside, path)
        done.rewritten += 1
    return done
