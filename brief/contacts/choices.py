"""Vocabularies of contact bases."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from brief.campaigns.choices import Channel


class BaseStatus(models.TextChoices):
    PENDING = "pending", _("En cola")
    IMPORTING = "importing", _("Importando")
    READY = "ready", _("Lista")
    FAILED = "failed", _("Falló")
    CANCELLED = "cancelled", _("Cancelada")


OPEN_BASE_STATES = frozenset({BaseStatus.PENDING, BaseStatus.IMPORTING})


class SuppressionChannel(models.TextChoices):
    """A campaign channel (same codes and labels as :class:`Channel`) or all of them."""

    ALL = "all", _("Todos los canales")
    SMS = Channel.SMS.value, Channel.SMS.label
    EMAIL = Channel.EMAIL.value, Channel.EMAIL.label
    WHATSAPP = Channel.WHATSAPP.value, Channel.WHATSAPP.label
    VOICE = Channel.VOICE.value, Channel.VOICE.label
    CALL = Channel.CALL.value, Channel.CALL.label


class SuppressionSource(models.TextChoices):
    UNSUBSCRIBE = "unsubscribe", _("Desuscripción")
    STOP = "stop", _("Respuesta STOP / SALIR")
    WHATSAPP_OPTOUT = "whatsapp_optout", _("Exclusión de marketing en WhatsApp")
    RNE = "rne", _("Registro de Números Excluidos (CRC)")
    MANUAL = "manual", _("Registro manual")
    BOUNCE = "bounce", _("Rebote permanente del correo")
    COMPLAINT = "complaint", _("Queja de correo no deseado (ARF)")
    DATA_SUBJECT = "data_subject", _("Solicitud de supresión del titular (Ley 1581)")
