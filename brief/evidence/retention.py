"""Retention of stored files: which files there are, until when each is kept, and the purge.

Every ``FileField`` of the project is a row of :data:`FILE_KINDS` (a test fails when a new one
is missing), named by model label so that this table reads apps above or beside it without
importing them; a model that is not installed is skipped.

A file is kept until the contract's end plus ``BRIEF_RETENTION_YEARS`` (default 5): the
contract end is ``BRIEF_CONTRACT_END`` when set, else the end date of the file's brief, else
the day the file was stored. Creatives keep the date stored on them (``retention_until``, set
at upload and again when frozen at exit approval) when it is later. Raw provider callbacks
and status events are rows, not files: they follow the same rule (``brief.core.retention``,
``CallbackPayload.keep_until``) and dispatch's ``purge_evidence`` removes them.

The purge (:func:`brief.evidence.actions.purge_expired_files`, a daily beat task) deletes
each stored file past its date, empties its field, writes a :class:`PurgedFile` tombstone and
an audit event with the path, SHA-256 and kind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import models
from django.utils import timezone

from brief.core import retention as legal
from brief.core.crypto import DecryptionError


@dataclass(frozen=True)
class FileKind:
    """One ``FileField``: ``kind`` (our name), the model label and field, the lookup to its
    brief (``None``: none), the field holding its SHA-256 and the date it was stored."""

    kind: str
    model: str
    field: str
    brief: str | None
    sha256: str | None
    at: str
    folder: str

    def resolve(self) -> type[models.Model] | None:
        try:
            return apps.get_model(self.model)
        except LookupError:
            return None


FILE_KINDS: tuple[FileKind, ...] = (
    FileKind("f559", "campaigns.BriefVersion", "pdf", "brief", "pdf_sha256", "created_at", "f559"),
    FileKind(
        "attachment", "campaigns.Attachment", "file", "brief", "sha256", "uploaded_at", "adjuntos"
    ),
    FileKind(
        "change_file", "campaigns.ChangeRequest", "file", "brief", None, "filed_at", "cambios"
    ),
    FileKind(
        "rejects", "contacts.ContactBase", "rejects_file", "brief", None, "created_at", "bases"
    ),
    FileKind("creative", "content.Creative", "file", "brief", "sha256", "uploaded_at", "piezas"),
    FileKind(
        "recording",
        "calls.Recording",
        "file",
        "interaction__brief",
        "sha256",
        "uploaded_at",
        "grabaciones",
    ),
    FileKind(
        "interaction_import",
        "calls.InteractionImport",
        "file",
        "brief",
        None,
        "created_at",
        "importaciones",
    ),
    FileKind(
        "interaction_import_recordings",
        "calls.InteractionImport",
        "recordings",
        "brief",
        None,
        "created_at",
        "importaciones",
    ),
    FileKind(
        "report_pdf",
        "reports.DeliveredReport",
        "pdf",
        "brief",
        "pdf_sha256",
        "generated_at",
        "informes",
    ),
    FileKind(
        "report_xlsx",
        "reports.DeliveredReport",
        "xlsx",
        "brief",
        "xlsx_sha256",
        "generated_at",
        "informes",
    ),
    FileKind(
        "daily_report", "reports.DailyReport", "file", "brief", "sha256", "closed_at", "informes"
    ),
    FileKind(
        "certificate", "evidence.Certificate", "pdf", "brief", "sha256", "issued_at", "certificados"
    ),
)


def kinds() -> Iterator[tuple[FileKind, type[models.Model]]]:
    """The kinds whose model is installed, with the model."""
    for spec in FILE_KINDS:
        model = spec.resolve()
        if model is not None:
            yield spec, model


def retain_until(
    brief_end: dt.date | None, stored_at: dt.datetime | None, kept: dt.date | None = None
) -> dt.date:
    """Contract end (setting, else the brief's end, else the day stored) plus the retention
    years; a date already stored on the row (``kept``) wins when later."""
    stored = timezone.localdate(stored_at) if stored_at else timezone.localdate()
    computed = legal.keep_until(brief_end, stored)
    return max(computed, kept) if kept else computed


@dataclass(frozen=True)
class StoredFile:
    """One stored file and its retention date."""

    spec: FileKind
    model: type[models.Model]
    pk: int
    path: str
    sha256: str
    brief_id: int | None
    brief_code: str
    retain_until: dt.date


def stored_files(**brief_filter) -> Iterator[StoredFile]:
    """Every stored file (optionally of the briefs matching ``brief_filter``, e.g.
    ``pk=brief.pk``) with its retention date, kind by kind."""
    for spec, model in kinds():
        queryset = model._default_manager.exclude(**{spec.field: ""}).exclude(
            **{f"{spec.field}__isnull": True}
        )
        prefix = f"{spec.brief}__" if spec.brief else None
        if brief_filter:
            if prefix is None:
                continue
            queryset = queryset.filter(**{f"{prefix}{k}": v for k, v in brief_filter.items()})
        columns = ["pk", spec.field, spec.at]
        columns += [spec.sha256] if spec.sha256 else []
        if prefix:
            columns += [f"{prefix}id", f"{prefix}code", f"{prefix}end_date"]
        kept = spec.kind == "creative"
        if kept:
            columns.append("retention_until")
        for row in queryset.order_by("pk").values_list(*columns).iterator(chunk_size=2000):
            values = dict(zip(columns, row, strict=True))
            yield StoredFile(
                spec=spec,
                model=model,
                pk=values["pk"],
                path=values[spec.field],
                sha256=(values.get(spec.sha256) or "") if spec.sha256 else "",
                brief_id=values.get(f"{prefix}id") if prefix else None,
                brief_code=(values.get(f"{prefix}code") or "") if prefix else "",
                retain_until=retain_until(
                    values.get(f"{prefix}end_date") if prefix else None,
                    values[spec.at],
                    values.get("retention_until") if kept else None,
                ),
            )


def expired_files(today: dt.date) -> Iterator[StoredFile]:
    """Stored files whose retention date is before ``today``."""
    return (f for f in stored_files() if f.retain_until < today)


def file_digest(storage, path: str) -> str:
    """SHA-256 of a stored file, streamed (empty when it is missing)."""
    if not storage.exists(path):
        return ""
    digest = hashlib.sha256()
    try:
        with storage.open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except DecryptionError:  # an encrypted file altered on disk: no digest matches it
        return ""
    return digest.hexdigest()
