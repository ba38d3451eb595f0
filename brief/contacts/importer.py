"""Import a contact base into the database: read, clean, store in chunks, summarize.

Runs inside a Celery task (:func:`brief.contacts.tasks.import_base`). Contacts are written in
chunks of their own transactions so that progress can be shown and a cancel request (written
by the web process) can be seen; they stay invisible until the base is ``ready``, and a
failure or cancel deletes them, so nothing is ever half-stored.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import polars as pl
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from brief.campaigns.vocabulary import CHANNELS
from brief.core.audit import record
from brief.core.storage import local_copy, storage_error
from brief.core.tabular import formula_safe

from .bulk import ContactWriter, remove_stale_stages
from .choices import BaseStatus
from .cleaning import CleanResult, clean_base
from .models import Contact, ContactBase
from .reader import BaseFileError, read_base

log = logging.getLogger(__name__)

CHUNK_ROWS = 50_000


class ImportCancelled(Exception):
    """The user asked to cancel the import."""


def storage_frame(contacts: pl.DataFrame) -> pl.DataFrame:
    """The cleaned contacts as the table's columns (``bulk.STAGED``), JSON encoded, no nulls
    in text columns."""

    def text(name: str) -> pl.Expr:
        return pl.col(name).fill_null("")

    return contacts.select(
        row=pl.col("row"),
        doc_type=text("doc_type"),
        doc_number=text("doc_number"),
        first_names=text("first_names"),
        last_names=text("last_names"),
        full_name=text("full_name"),
        mobile=text("mobile"),
        landline=text("landline"),
        phones=pl.concat_str(
            pl.lit("["),
            pl.col("phones").list.eval(pl.element().struct.json_encode()).list.join(","),
            pl.lit("]"),
        ).fill_null("[]"),
        email=text("email"),
        emails=pl.concat_str(
            pl.lit("["),
            pl.col("emails")
            .list.eval(pl.format('"{}"', pl.element().str.replace_all(r'(["\\])', r"\$1")))
            .list.join(","),
            pl.lit("]"),
        ).fill_null("[]"),
        country=text("country"),
        abroad=pl.col("abroad").fill_null(False),
        city=text("city"),
        department=text("department"),
        custom=pl.col("custom").fill_null("{}"),
        **{f"can_{c}": pl.col(f"can_{c}").fill_null(False) for c in CHANNELS},
    )


def write_chunks(writer: ContactWriter, frame: pl.DataFrame, progress: Callable[..., None]) -> None:
    """Hand the storage frame to ``writer`` in chunks; progress and cancel are seen between
    them."""
    total = frame.height
    for offset in range(0, total, CHUNK_ROWS):
        progress(gettext("Guardando contactos"), 20 + int(70 * offset / max(total, 1)))
        writer.add(frame.slice(offset, CHUNK_ROWS))


def write_rejects(base: ContactBase, rejects: pl.DataFrame) -> None:
    """Store the rejects CSV through the file store (encrypted at rest when keys are set; a
    full or read-only disk raises ``StorageUnavailable`` and leaves nothing)."""
    with tempfile.TemporaryFile() as handle:
        formula_safe(rejects).write_csv(handle)
        handle.seek(0)
        base.rejects_file.save(f"base-{base.pk}.csv", File(handle), save=False)


def delete_contacts(base_id: int) -> None:
    """Remove whatever an unfinished import wrote (chunked, to keep transactions short)."""
    while True:
        with transaction.atomic():
            ids = list(
                Contact.objects.filter(base_id=base_id).values_list("pk", flat=True)[:CHUNK_ROWS]
            )
            if not ids:
                return
            Contact.objects.filter(pk__in=ids).delete()


class Progress:
    """Writes the stage and percentage at most a few times per second; sees cancel requests."""

    def __init__(self, base_id: int):
        self.base_id = base_id
        self.last = 0.0

    def __call__(self, stage: str, percent: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last > 0.5:
            self.last = now
            ContactBase.objects.filter(pk=self.base_id).update(
                stage=stage, progress=percent, heartbeat_at=timezone.now()
            )
        if ContactBase.objects.filter(pk=self.base_id, cancel_requested=True).exists():
            raise ImportCancelled


def clean_file(base: ContactBase, path: Path, progress: Callable[..., None]) -> CleanResult:
    progress(gettext("Leyendo el archivo"), 5, force=True)
    read = read_base(path, sheet=base.sheet or None, max_bytes=settings.BRIEF_MAX_UPLOAD_BYTES)
    progress(gettext("Depurando registros"), 20, force=True)
    return clean_base(
        read.df,
        base.mapping or None,
        base.channels or None,
        encoding=read.encoding,
        delimiter=read.delimiter,
        row_numbers=read.row_numbers,
    )


def run_import(base_id: int, *, path: Path | None = None) -> str:
    """Import base ``base_id`` (claimed from ``pending``); returns the final status."""
    claimed = ContactBase.objects.filter(pk=base_id, status=BaseStatus.PENDING).update(
        status=BaseStatus.IMPORTING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    if not claimed:
        return ContactBase.objects.get(pk=base_id).status
    base = ContactBase.objects.select_related("attachment", "brief").get(pk=base_id)
    progress = Progress(base_id)
    try:
        if path is None:
            if base.attachment is None:  # the attachment was deleted after queueing
                raise BaseFileError(
                    "missing_file",
                    gettext("El archivo de la base ya no existe; adjúntelo de nuevo."),
                )
            with local_copy(base.attachment.file) as plain:
                result = clean_file(base, plain, progress)
        else:
            result = clean_file(base, path, progress)
        with ContactWriter(base_id) as writer:
            write_chunks(writer, storage_frame(result.contacts), progress)
            result = replace(result, contacts=result.contacts.clear())  # staged: free it
            progress(gettext("Guardando contactos"), 90, force=True)
            writer.finish()
        progress(gettext("Generando el resumen"), 96, force=True)
        write_rejects(base, result.rejects)
        with transaction.atomic():
            finished = ContactBase.objects.filter(pk=base_id, cancel_requested=False).update(
                status=BaseStatus.READY,
                progress=100,
                stage=gettext("Lista"),
                summary=result.summary,
                rows_total=result.summary["rows_total"],
                rows_usable=result.summary["rows_usable"],
                rejects_file=base.rejects_file.name,
                mapping=result.mapping,
                finished_at=timezone.now(),
            )
            if not finished:
                raise ImportCancelled
            record(
                "BASE_IMPORTED",
                actor=base.created_by,
                target=base.brief,
                details={
                    "base": base_id,
                    "rows_total": result.summary["rows_total"],
                    "rows_usable": result.summary["rows_usable"],
                },
            )
        return BaseStatus.READY
    except ImportCancelled:
        _abort(base, BaseStatus.CANCELLED, "", gettext("Importación cancelada por el usuario."))
        return BaseStatus.CANCELLED
    except BaseFileError as exc:
        _abort(base, BaseStatus.FAILED, exc.code, exc.message)
        return BaseStatus.FAILED
    except Exception as exc:
        disk = storage_error(exc)
        if disk is not None:
            log.warning("import of base %s stopped: %s", base_id, exc)
            _abort(base, BaseStatus.FAILED, disk.code, disk.message)
            return BaseStatus.FAILED
        log.exception("import of base %s failed", base_id)
        _abort(
            base,
            BaseStatus.FAILED,
            "internal",
            gettext(
                "La importación falló por un error interno; ya quedó registrado. Intente de nuevo "
                "o contacte a soporte."
            ),
        )
        return BaseStatus.FAILED


def _abort(base: ContactBase, status: str, code: str, message: str) -> None:
    delete_contacts(base.pk)
    if base.rejects_file:
        try:
            base.rejects_file.delete(save=False)
        except OSError:  # a read-only disk: the file stays, nothing refers to it any more
            log.warning("could not delete %s", base.rejects_file.name)
    ContactBase.objects.filter(pk=base.pk).update(
        status=status,
        error_code=code,
        error_message=message,
        finished_at=timezone.now(),
        stage=str(BaseStatus(status).label),
        rejects_file="",
        summary=None,
    )
    record(
        "BASE_IMPORT_CANCELLED" if status == BaseStatus.CANCELLED else "BASE_IMPORT_FAILED",
        actor=base.created_by,
        target=base.brief,
        details={"base": base.pk, "code": code},
    )


def reap_stale(max_silence_seconds: int = 600) -> int:
    """Fail imports whose worker died (no heartbeat for a while) and remove their rows and
    their scratch files."""
    remove_stale_stages(max_silence_seconds)
    limit = timezone.now() - dt.timedelta(seconds=max_silence_seconds)
    stale = list(ContactBase.objects.filter(status=BaseStatus.IMPORTING, heartbeat_at__lt=limit))
    for base in stale:
        _abort(
            base,
            BaseStatus.FAILED,
            "worker_lost",
            gettext("La importación se interrumpió (el proceso se detuvo). Vuelva a iniciarla."),
        )
    return len(stale)
