"""Vocabularies of message content: channels, WhatsApp categories, missing-value policy."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from brief.campaigns.choices import Channel, Status

__all__ = ["Channel", "MissingPolicy", "QuestionKind", "WaCategory", "WaStatus"]


class MissingPolicy(models.TextChoices):
    SKIP = "skip", _("Omitir el destinatario (con el motivo)")
    FALLBACK = "fallback", _("Usar un valor alternativo")


class WaCategory(models.TextChoices):
    UTILITY = "utility", _("Utilidad")
    MARKETING = "marketing", _("Marketing")
    AUTHENTICATION = "authentication", _("Autenticación")


class WaStatus(models.TextChoices):
    """A WhatsApp template's review status at Meta (read by the template sync)."""

    PENDING = "pending", _("En revisión")
    APPROVED = "approved", _("Aprobada")
    REJECTED = "rejected", _("Rechazada")
    PAUSED = "paused", _("En pausa")
    DISABLED = "disabled", _("Deshabilitada")
    MISSING = "missing", _("No existe en la cuenta de WhatsApp")


class QuestionKind(models.TextChoices):
    TEXT = "text", _("Texto libre")
    YES_NO = "yes_no", _("Sí / No")
    CHOICE = "choice", _("Opción de una lista")
    NUMBER = "number", _("Número")
    DATE = "date", _("Fecha")
    # Experience surveys: NPS «¿Qué tan probable es que recomiende…?» 0–10; CSAT satisfaction 1–5.
    NPS = "nps", _("NPS: probabilidad de recomendar (0 a 10)")
    CSAT = "csat", _("CSAT: satisfacción (1 a 5)")


# Extensions accepted in the creatives repository, per channel use.
CREATIVE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "pdf", "mp3", "wav", "ogg", "mp4"})
AUDIO_EXTENSIONS = frozenset({"mp3", "wav", "ogg"})

# Once the exit is approved the content is what is sent: nobody edits it any more.
FROZEN_STATES = frozenset(
    {
        Status.EXECUTING,
        Status.RESULTS_REVIEW,
        Status.RESULTS_SENT,
        Status.ACCEPTED,
        Status.CANCELLED,
    }
)
# Who edits content, and when (see actions.check_can_edit).
AREA_EDIT_STATES = frozenset({Status.DRAFT, Status.RETURNED})
PROVIDER_EDIT_STATES = frozenset({Status.RECEIVED, Status.BASE_LOADED})

# Placeholders every contact has (``render.contact_fields``), with their labels for the editor.
STANDARD_FIELDS: dict[str, str] = {
    "nombres": "Nombres",
    "apellidos": "Apellidos",
    "nombre_completo": "Nombre completo",
    "documento": "Número de documento",
    "tipo_documento": "Tipo de documento",
    "celular": "Celular",
    "correo": "Correo electrónico",
    "ciudad": "Ciudad",
    "departamento": "Departamento",
    "pais": "País",
}
# Common other spellings of the standard fields.
FIELD_ALIASES: dict[str, str] = {
    "nombre": "nombres",
    "apellido": "apellidos",
    "nombrecompleto": "nombre_completo",
    "cedula": "documento",
    "numero_documento": "documento",
    "movil": "celular",
    "telefono": "celular",
    "email": "correo",
    "correo_electronico": "correo",
    "municipio": "ciudad",
}
# Special placeholder of e-mail templates: the recipient's one-click unsubscribe link.
UNSUBSCRIBE_PLACEHOLDER = "enlace_baja"
