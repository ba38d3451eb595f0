"""Audit log and SLA (ANS) engine tables."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import ClockState, DurationUnit, Responsible


class AuditEvent(models.Model):
    """One thing that happened: who, what (past-tense type), to what, when, from where.

    Written by :func:`brief.core.audit.record` in the same transaction as the change it
    describes; never updated or deleted by the application.
    """

    at = models.DateTimeField(_("fecha"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("usuario"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("usuario (texto)"), max_length=150, blank=True)
    type = models.CharField(_("tipo"), max_length=60, db_index=True)
    target_type = models.CharField(_("tipo de objeto"), max_length=60, blank=True)
    target_id = models.CharField(_("id del objeto"), max_length=64, blank=True)
    target_repr = models.CharField(_("objeto"), max_length=200, blank=True)
    details = models.JSONField(_("detalles"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        verbose_name = _("evento de auditoría")
        verbose_name_plural = _("eventos de auditoría")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.type} {self.target_repr}"


class SLARule(models.Model):
    """A service-level rule (ANS): a clock that starts and stops on workflow events.

    ``start_event`` / ``stop_event`` are event names emitted by actions (e.g.
    ``brief.forwarded``). ``channels`` (empty = any) and ``kind`` (blank = any) restrict the
    rule to matching campaigns. Editable in the admin; defaults come from DESIGN §3.
    """

    code = models.SlugField(_("código"), max_length=60, unique=True)
    name = models.CharField(_("nombre"), max_length=200)
    start_event = models.CharField(_("evento de inicio"), max_length=60, db_index=True)
    stop_event = models.CharField(_("evento de cierre"), max_length=60, db_index=True)
    duration = models.PositiveIntegerField(_("duración"))
    unit = models.CharField(
        _("unidad"), max_length=20, choices=DurationUnit.choices, default=DurationUnit.BUSINESS_DAYS
    )
    responsible = models.CharField(
        _("responsable"), max_length=20, choices=Responsible.choices, default=Responsible.ICETEX
    )
    channels = models.JSONField(_("canales"), default=list, blank=True)
    kind = models.CharField(_("tipo de campaña"), max_length=20, blank=True)
    active = models.BooleanField(_("activa"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("regla de ANS")
        verbose_name_plural = _("reglas de ANS")

    def __str__(self) -> str:
        return f"{self.name} ({self.duration} {self.get_unit_display()})"

    def applies_to(self, *, channels: list[str] | None = None, kind: str | None = None) -> bool:
        """Whether this rule covers a campaign with these channels and kind."""
        if self.kind and kind is not None and self.kind != kind:
            return False
        if self.channels and channels is not None:
            return bool(set(self.channels) & set(channels))
        return True


class SLAClock(models.Model):
    """One running or finished SLA clock of one rule on one subject (a brief, a question…).

    ``due_at`` is stored when the clock starts (and moved on resume after a pause); the
    periodic scan marks ``breached_at`` once, by conditional update.
    """

    rule = models.ForeignKey(SLARule, on_delete=models.PROTECT, related_name="clocks")
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    state = models.CharField(
        _("estado"), max_length=20, choices=ClockState.choices, default=ClockState.RUNNING
    )
    responsible = models.CharField(_("responsable"), max_length=20, choices=Responsible.choices)
    started_at = models.DateTimeField(_("inicio"))
    due_at = models.DateTimeField(_("vence"))
    paused_at = models.DateTimeField(_("pausado desde"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("cierre"), null=True, blank=True)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    breached_at = models.DateTimeField(_("incumplido desde"), null=True, blank=True)
    # Why a late or breached clock missed its due time, written by OCM
    # (``sla.explain_breach``): the fortnightly SLA report lists it.
    breach_reason = models.TextField(_("motivo del incumplimiento"), blank=True, default="")
    breach_reason_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    breach_reason_at = models.DateTimeField(_("motivo registrado"), null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"]),
            models.Index(
                fields=["due_at"],
                name="sla_open_unbreached_due",
                condition=models.Q(stopped_at__isnull=True, breached_at__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_type", "subject_id"],
                condition=models.Q(stopped_at__isnull=True),
                name="sla_one_open_clock_per_rule_subject",
            )
        ]
        verbose_name = _("reloj de ANS")
        verbose_name_plural = _("relojes de ANS")

    def __str__(self) -> str:
        return f"{self.rule.code} #{self.subject_id} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.stopped_at is None

    @property
    def missed(self) -> bool:
        """Late or breached: the clocks whose reason the SLA report asks for."""
        return self.state == ClockState.LATE or self.breached_at is not None

    def is_overdue(self, now=None) -> bool:
        now = now or timezone.now()
        if self.stopped_at is not None:
            return self.stopped_at > self.due_at
        if self.paused_at is not None:
            return self.paused_at > self.due_at
        return now > self.due_at
