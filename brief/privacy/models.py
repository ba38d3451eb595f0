"""Data-subject requests (Ley 1581 de 2012): what was asked about one person and what was done."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RequestKind(models.TextChoices):
    EXPORT = "export", _("Acceso (exportación de sus datos)")
    ERASURE = "erasure", _("Supresión (borrado o anonimización)")


class SubjectRequest(models.Model):
    """One request of a data subject, handled by OCM: the document it named, the reference
    of the filing (radicado), who handled it and, per item found, what was kept (with the
    retention date and reason) and what was anonymised or deleted (``outcome``)."""

    code = models.CharField(_("código"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("tipo"), max_length=10, choices=RequestKind.choices)
    doc_type = models.CharField(_("tipo de documento"), max_length=10, blank=True)
    doc_number = models.CharField(_("número de documento"), max_length=20)
    reference = models.CharField(_("radicado de la solicitud"), max_length=120)
    outcome = models.JSONField(_("resultado"), default=dict)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(_("atendida"), default=timezone.now)

    class Meta:
        ordering = ["-handled_at", "-id"]
        verbose_name = _("solicitud del titular")
        verbose_name_plural = _("solicitudes de titulares")

    def __str__(self) -> str:
        return self.code
