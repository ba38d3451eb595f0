"""Vocabularies of the evidence app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CertificateScope(models.TextChoices):
    BRIEF = "brief", _("Campaña completa")
    MESSAGE = "message", _("Un mensaje")
