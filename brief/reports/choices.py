"""Vocabularies of the reports app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# --- monthly reports, QC sample ---


class RecommendationStatus(models.TextChoices):
    OPEN = "open", _("Abierta")
    IN_PROGRESS = "in_progress", _("En curso")
    CLOSED = "closed", _("Cerrada")


OPEN_RECOMMENDATION_STATES = frozenset(
    {RecommendationStatus.OPEN, RecommendationStatus.IN_PROGRESS}
)


class SampleState(models.TextChoices):
    DRAWN = "drawn", _("Sorteada")
    IN_REVIEW = "in_review", _("En revisión")
    CLOSED = "closed", _("Cerrada")


class ItemKind(models.TextChoices):
    BRIEF = "brief", _("Campaña (brief)")
    INTERACTION = "interaction", _("Interacción")


class Answer(models.TextChoices):
    YES = "yes", _("Sí")
    NO = "no", _("No")
    NA = "na", _("No aplica")


#: The QC checklist (§6 «informe de muestreo»): key → label, in the order shown.
CHECKLIST = {
    "requirements": _("Cumple los requisitos del brief"),
    "base_quality": _("Calidad de la base"),
    "recordings": _("Grabaciones presentes"),
    "typification": _("Tipificación correcta"),
    "content": _("Contenido como fue aprobado"),
}
