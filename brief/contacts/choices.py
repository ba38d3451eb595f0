"""Vocabularies of contact bases."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BaseStatus(models.TextChoices):
    PENDING = "pending", _("En cola")
    IMPORTING = "importing", _("Importando")
    READY = "ready", _("Lista")
    FAILED = "failed", _("Falló")
    CANCELLED = "cancelled", _("Cancelada")


OPEN_BASE_STATES = frozenset({BaseStatus.PENDING, BaseStatus.IMPORTING})


class SuppressionChannel(models.TextChoices):
    ALL = "all", _("Todos los canales")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Correo electrónico")
    WHATSAPP = "whatsapp", _("WhatsApp")
    VOICE = "voice", _("Mensaje de voz")
    CALL = "call", _("Llamada")


class SuppressionSource(models.TextChoices):
    UNSUBSCRIBE = "unsubscribe", _("Desuscripción")
    STOP = "stop", _("Respuesta STOP / SALIR")
    WHATSAPP_OPTOUT = "whatsapp_optout", _("Exclusión de marketing en WhatsApp")
    RNE = "rne", _("Registro de Números Excluidos (CRC)")
    MANUAL = "manual", _("Registro manual")
