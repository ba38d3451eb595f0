"""The write path of evidence: issue, download and verify sending certificates; export the
contract file (expediente); purge stored files past their retention date."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from brief.campaigns.models import Brief
from brief.campaigns.permissions import require_certify, require_expediente, require_view
from brief.core.audit import record
from brief.core.exceptions import Conflict, Invalid
from brief.dispatch.choices import MessageStatus
from brief.dispatch.models import Message

from . import certificate as document
from . import retention, signing
from .choices import CertificateScope
from .models import Certificate, CertificateSequence, PurgedFile

log = logging.getLogger(__name__)

# A message without an outcome yet has nothing to certify.
UNSETTLED = frozenset({MessageStatus.QUEUED, MessageStatus.DEFERRED, MessageStatus.SENDING})


# --- certificates ------------------------------------------------------------------------


def _next_code(year: int) -> str:
    CertificateSequence.objects.get_or_create(year=year)
    CertificateSequence.objects.filter(year=year).update(last=F("last") + 1)
    last = CertificateSequence.objects.get(year=year).last
    return f"CERT-{year}-{last:06d}"


def verify_url(code: str) -> str:
    return f"{settings.SITE_URL}{reverse('evidence:verify', args=[code])}"


def _message(message_id) -> Message:
    try:
        pk = int(message_id)
    except (TypeError, ValueError):
        raise Invalid(
            gettext("El mensaje debe ser un número."), code="invalid", field="message"
        ) from None
    found = (
        Message.objects.select_related(
            "sweep__brief__area",
            "sweep__brief__provider",
            "sweep__template",
            "sweep__provider_account",
            "contact",
        )
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Invalid(
            gettext("No existe el mensaje %(id)s.") % {"id": pk}, code="not_found", field="message"
        )
    return found


def issue_certificate(
    *, brief: Brief | None = None, message=None, actor, request=None
) -> Certificate:
    """Build, sign and store the sending certificate of one message (a ``Message`` or its id)
    or of a whole campaign (``brief``). The signature field carries the code, so a PDF names
    its own certificate; the stored SHA-256 is that of the signed file."""
    if (brief is None) == (message is None):
        raise Invalid(
            gettext("Indique un brief (campaña completa) o un mensaje, no ambos."),
            code="scope_required",
        )
    if message is not None:
        if not isinstance(message, Message):
            message = _message(message)
        brief = message.sweep.brief
    assert brief is not None
    require_certify(actor, brief)
    register = b""
    if message is not None:
        if message.status in UNSETTLED:
            raise Conflict(
                gettext(
                    "El mensaje %(id)s todavía no tiene resultado: no hay envío que certificar."
                )
                % {"id": message.pk},
                code="not_sent",
            )
        statement = document.message_statement(message)
        scope = CertificateScope.MESSAGE
    else:
        if not brief.sweeps.exists():
            raise Conflict(
                gettext("El brief %(code)s no tiene barridos: no hay envíos que certificar.")
                % {"code": brief.code},
                code="no_sweeps",
            )
        statement, register = document.brief_statement(brief)
        scope = CertificateScope.BRIEF
    now = timezone.now()
    stored = ""
    try:
        with transaction.atomic():
            code = _next_code(timezone.localtime(now).year)
            issued_by = actor.get_full_name() or actor.username
            statement = {
                "code": code,
                "issued_at": timezone.localtime(now).isoformat(),
                "issued_by": issued_by,
                **statement,
            }
            unsigned = document.render_pdf(
                statement,
                code=code,
                issued_at=now,
                issued_by=issued_by,
                verify_url=verify_url(code),
            )
            signed = signing.sign_pdf(
                unsigned,
                field_name=code,
                reason=gettext("Certificación de envío %(code)s") % {"code": code},
                attachments=(("registro.csv", register, "text/csv"),) if register else (),
            )
            cert = Certificate(
                code=code,
                scope=scope,
                brief=brief,
                message_id=message.pk if message is not None else None,
                issued_at=now,
                issued_by=actor,
                size=len(signed),
                sha256=hashlib.sha256(signed).hexdigest(),
                statement=statement,
            )
            cert.pdf.save(f"{code}.pdf", ContentFile(signed), save=False)
            stored = cert.pdf.name
            cert.save()
            record(
                "CERTIFICATE_ISSUED",
                actor=actor,
                target=brief,
                request=request,
                details={
                    "certificate": code,
                    "scope": scope,
                    "message": cert.message_id,
                    "sha256": cert.sha256,
                },
            )
    except BaseException:
        if stored:  # the row rolled back: do not leave its file behind
            default_storage.delete(stored)
        raise
    log.info("certificate %s issued (%s)", code, stored)
    return cert


def read_certificate(code: str, *, actor, request=None, download: bool = False) -> Certificate:
    """The certificate ``code`` for someone who may see its brief; a download is logged."""
    cert = Certificate.objects.select_related("brief").filter(code=code).first()
    if cert is None:
        raise Http404(gettext("No existe el certificado %(code)s.") % {"code": code})
    require_view(actor, cert.brief)
    if download:
        record(
            "CERTIFICATE_DOWNLOADED",
            actor=actor,
            target=cert.brief,
            request=request,
            details={"certificate": cert.code, "sha256": cert.sha256},
        )
    return cert


@dataclass(frozen=True)
class Verification:
    """The answer of a check: ``valid``, the certificate code the PDF names, and the reason
    (Spanish) when it is not valid."""

    valid: bool
    code: str
    reason: str

    def as_dict(self) -> dict:
        return {"valid": self.valid, "code": self.code or None, "reason": self.reason}


def verify_certificate(data: bytes, *, expected_code: str | None = None) -> Verification:
    """Whether ``data`` is a certificate Brief issued, unchanged: its PAdES signature is intact,
    covers the whole file and was made with the configured certificate, and its SHA-256 is the
    one stored for the code it carries. Not a PDF at all is an :class:`Invalid` (400)."""
    if not data.startswith(b"%PDF-"):
        raise Invalid(
            gettext("El archivo no es un PDF: cargue el certificado descargado."),
            code="not_pdf",
            field="file",
        )
    check = signing.check_signature(data)
    code = check.field
    if expected_code and code and code != expected_code:
        return Verification(
            False,
            code,
            gettext("Este PDF corresponde al certificado %(found)s, no a %(code)s.")
            % {"found": code, "code": expected_code},
        )
    if not check.ok:
        return Verification(False, code, check.reason)
    cert = Certificate.objects.filter(code=code).only("sha256").first()
    if cert is None:
        return Verification(
            False,
            code,
            gettext("No existe un certificado con el código %(code)s.") % {"code": code},
        )
    if hashlib.sha256(data).hexdigest() != cert.sha256:
        return Verification(
            False,
            code,
            gettext("El PDF no es el archivo emitido con el código %(code)s (SHA-256 distinto).")
            % {"code": code},
        )
    return Verification(True, code, "")


# --- the contract file (expediente) ------------------------------------------------------


def export_expediente(brief: Brief, *, actor, request=None):
    """The whole file of ``brief`` as a ZIP in a temporary file (see :mod:`.expediente`),
    for OCM and internal control; the export is logged with the manifest's SHA-256."""
    from .expediente import build

    require_expediente(actor, brief)
    handle, manifest = build(brief, actor=actor)
    record(
        "EXPEDIENTE_EXPORTED",
        actor=actor,
        target=brief,
        request=request,
        details={
            "items": len(manifest["items"]),
            "bytes": sum(item["size"] for item in manifest["items"]),
            "manifest_sha256": manifest["sha256"],
        },
    )
    return handle


# --- retention -----------------------------------------------------------------------------


def purge_expired_files(*, today: dt.date | None = None) -> list[PurgedFile]:
    """Delete every stored file past its retention date (:mod:`.retention`): its field is
    emptied by a conditional update (safe to run twice, or in two workers), a tombstone and an
    audit event (path, SHA-256, kind) are written in the same transaction, and the file is
    removed once that commits."""
    today = today or timezone.localdate()
    purged = []
    for found in retention.expired_files(today):
        field = found.spec.field
        model = found.model
        storage = model._meta.get_field(field).storage  # type: ignore[union-attr]
        sha256 = found.sha256 or retention.file_digest(storage, found.path)
        size = storage.size(found.path) if storage.exists(found.path) else None
        with transaction.atomic():
            claimed = model._default_manager.filter(pk=found.pk, **{field: found.path}).update(
                **{field: ""}
            )
            if not claimed:
                continue
            tombstone = PurgedFile.objects.create(
                kind=found.spec.kind,
                model=found.spec.model,
                object_id=str(found.pk),
                field=field,
                path=found.path,
                sha256=sha256,
                size=size,
                brief_code=found.brief_code,
                retain_until=found.retain_until,
            )
            record(
                "FILE_PURGED",
                target=tombstone,
                details={
                    "kind": found.spec.kind,
                    "model": found.spec.model,
                    "id": found.pk,
                    "path": found.path,
                    "sha256": sha256,
                    "size": size,
                    "brief": found.brief_code,
                    "retain_until": found.retain_until.isoformat(),
                },
            )
            transaction.on_commit(functools.partial(storage.delete, found.path))
        purged.append(tombstone)
    if purged:
        log.info("retention purge removed %s files", len(purged))
    return purged
