"""The contract file of a brief ("expediente") as one ZIP.

Every stored file of the brief (:data:`brief.evidence.retention.FILE_KINDS`: F559 versions,
attachments such as bases and scripts, scope-change files, rejects, creatives, recordings of
its interactions, delivered reports, sending certificates), its templates as JSON, its audit
log as CSV, the tombstones of files already purged, and ``manifest.json`` listing each item's
path, size and SHA-256 (computed while writing it). Written to a temporary file one chunk at
a time, so memory stays flat whatever the files weigh; the caller streams that file out.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
import zipfile
from pathlib import PurePosixPath
from typing import IO, Any

from django.utils import timezone

from brief.campaigns.models import Brief
from brief.content.models import CONTENT_FIELDS, Template
from brief.core.models import AuditEvent

from . import retention
from .models import PurgedFile

CHUNK = 1 << 20
AUDIT_HEADER = ["fecha", "usuario", "tipo", "objeto", "detalles", "ip"]


class _Writer:
    """A ZIP being written, with the manifest of what went in."""

    def __init__(self, handle: IO[bytes]):
        self.zip = zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED)
        self.items: list[dict[str, Any]] = []
        self.names: set[str] = set()

    def _name(self, path: str) -> str:
        name, n = path, 1
        while name in self.names:
            n += 1
            stem = PurePosixPath(path)
            name = str(stem.with_name(f"{stem.stem}-{n}{stem.suffix}"))
        self.names.add(name)
        return name

    def add_stream(self, path: str, source: IO[bytes], **extra: Any) -> None:
        name = self._name(path)
        digest, size = hashlib.sha256(), 0
        with self.zip.open(name, "w", force_zip64=True) as target:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
                target.write(chunk)
        self.items.append({"path": name, "size": size, "sha256": digest.hexdigest(), **extra})

    def add_bytes(self, path: str, data: bytes, **extra: Any) -> None:
        self.add_stream(path, io.BytesIO(data), **extra)


def _template_json(template: Template) -> bytes:
    data = {name: getattr(template, name) for name in CONTENT_FIELDS}
    data.update(
        {
            "id": template.pk,
            "name": template.name,
            "version": template.version,
            "frozen_at": template.frozen_at.isoformat() if template.frozen_at else None,
            "frozen_sha256": template.frozen_sha256,
            "voice_audio": template.voice_audio_id,
        }
    )
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()


def _audit_csv(brief: Brief) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(AUDIT_HEADER)
    events = AuditEvent.objects.filter(
        target_type=Brief._meta.label_lower, target_id=str(brief.pk)
    ).order_by("at", "id")
    for event in events.iterator(chunk_size=2000):
        writer.writerow(
            [
                timezone.localtime(event.at).isoformat(),
                event.actor_label,
                event.type,
                event.target_repr,
                json.dumps(event.details, ensure_ascii=False, sort_keys=True, default=str),
                event.ip or "",
            ]
        )
    return buffer.getvalue().encode("utf-8")


def build(brief: Brief, *, actor) -> tuple[IO[bytes], dict]:
    """Write the ZIP of ``brief`` to a temporary file (rewound) and return it with the
    manifest (whose own SHA-256 is ``manifest["sha256"]``)."""
    handle = tempfile.TemporaryFile(suffix=".zip")  # noqa: SIM115 (the caller streams and closes it)
    out = _Writer(handle)
    missing = []
    for found in retention.stored_files(pk=brief.pk):
        storage = found.model._meta.get_field(found.spec.field).storage  # type: ignore[union-attr]
        base = PurePosixPath(found.path).name
        path = f"{found.spec.folder}/{found.spec.kind}-{found.pk}-{base}"
        extra = {"kind": found.spec.kind, "stored_sha256": found.sha256 or None}
        if not storage.exists(found.path):
            missing.append({"path": found.path, "kind": found.spec.kind, "id": found.pk})
            continue
        with storage.open(found.path, "rb") as source:
            out.add_stream(path, source, **extra)
    for template in Template.objects.filter(brief=brief).order_by("channel", "pk"):
        out.add_bytes(
            f"plantillas/{template.channel}-{template.pk}-v{template.version}.json",
            _template_json(template),
            kind="template",
        )
    out.add_bytes("auditoria.csv", _audit_csv(brief), kind="audit_log")
    purged = [
        {
            "kind": p.kind,
            "path": p.path,
            "sha256": p.sha256,
            "size": p.size,
            "retain_until": p.retain_until.isoformat(),
            "purged_at": p.purged_at.isoformat(),
        }
        for p in PurgedFile.objects.filter(brief_code=brief.code).order_by("purged_at", "id")
    ]
    manifest: dict[str, Any] = {
        "brief": brief.code,
        "name": brief.name,
        "generated_at": timezone.localtime().isoformat(),
        "generated_by": actor.username,
        "items": out.items,
        "missing": missing,
        "purged": purged,
    }
    data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
    out.zip.writestr("manifest.json", data)
    out.zip.close()
    handle.seek(0)
    manifest["sha256"] = hashlib.sha256(data).hexdigest()
    return handle, manifest
