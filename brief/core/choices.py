"""Choices shared by the core models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DurationUnit(models.TextChoices):
    BUSINESS_DAYS = "business_days", _("días hábiles")
    CALENDAR_DAYS = "calendar_days", _("días calendario")
    HOURS = "hours", _("horas")


class Responsible(models.TextChoices):
    ICETEX = "icetex", _("ICETEX")
    PROVIDER = "provider", _("Proveedor")


class ClockState(models.TextChoices):
    RUNNING = "running", _("en curso")
    PAUSED = "paused", _("en pausa")
    MET = "met", _("cumplido a tiempo")
    LATE = "late", _("cumplido tarde")
    CANCELLED = "cancelled", _("anulado")


OPEN_CLOCK_STATES = frozenset({ClockState.RUNNING, ClockState.PAUSED})
