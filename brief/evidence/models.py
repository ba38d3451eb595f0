"""Signed sending certificates and the tombstones of files purged after their retention."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import CertificateScope


class CertificateSequence(models.Model):
    """Last number given per year, for codes ``CERT-<year>-<nnnnnn>``."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


def certificate_path(instance: Certificate, filename: str) -> str:
    # Stored under MEDIA_ROOT (outside the web root) by year and code; never user input.
    return f"certificates/{instance.issued_at:%Y}/{instance.code}.pdf"


class Certificate(models.Model):
    """A signed PDF stating what was sent to whom, when and through which provider
    ("certificación de envío"), for one message or a whole campaign.

    ``statement`` is the JSON snapshot of what the PDF states; ``sha256`` the digest of the
    signed file as issued: verification checks the PAdES signature and this digest. The
    message is kept by id (no foreign key): the certificate outlives the outbox row.
    """

    code = models.CharField(_("código"), max_length=20, unique=True)
    scope = models.CharField(_("alcance"), max_length=10, choices=CertificateScope.choices)
    brief = models.ForeignKey(
        "campaigns.Brief", on_delete=models.PROTECT, related_name="certificates"
    )
    message_id = models.BigIntegerField(_("mensaje"), null=True, blank=True, db_index=True)
    issued_at = models.DateTimeField(_("emitido"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    pdf = models.FileField(upload_to=certificate_path, max_length=300, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    statement = models.JSONField(_("contenido"), default=dict)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("certificado de envío")
        verbose_name_plural = _("certificados de envío")

    def __str__(self) -> str:
        return self.code


class PurgedFile(models.Model):
    """The tombstone of a stored file removed by the retention purge: what it was (kind, row,
    path, SHA-256, size), whose brief, its retention date and when it went."""

    kind = models.CharField(_("tipo"), max_length=30)
    model = models.CharField(_("modelo"), max_length=60)
    object_id = models.CharField(max_length=64)
    field = models.CharField(max_length=60)
    path = models.CharField(_("ruta"), max_length=300)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    brief_code = models.CharField(_("brief"), max_length=20, blank=True, db_index=True)
    retain_until = models.DateField(_("conservar hasta"))
    purged_at = models.DateTimeField(_("eliminado"), default=timezone.now)

    class Meta:
        ordering = ["-purged_at", "-id"]
        verbose_name = _("archivo eliminado por retención")
        verbose_name_plural = _("archivos eliminados por retención")

    def __str__(self) -> str:
        return f"{self.kind} {self.path}"
