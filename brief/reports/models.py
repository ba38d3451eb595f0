"""Documents the reports app writes (it reads every app below it)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# --- monthly reports, QC sample ---
from .choices import ItemKind, RecommendationStatus, SampleState


class Recommendation(models.Model):
    """An improvement recommendation followed month by month until it is closed: who owns it,
    when it is due, its status; every change is an audit event (``actions``)."""

    text = models.TextField(_("recomendación"))
    area = models.ForeignKey(
        "accounts.Area", on_delete=models.PROTECT, related_name="recommendations"
    )
    brief = models.ForeignKey(
        "campaigns.Brief",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recommendations",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="recommendations"
    )
    due_date = models.DateField(_("fecha compromiso"))
    status = models.CharField(
        _("estado"),
        max_length=20,
        choices=RecommendationStatus.choices,
        default=RecommendationStatus.OPEN,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(_("cerrada"), null=True, blank=True)
    closing_note = models.TextField(_("nota de cierre"), blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["status", "due_date"])]
        verbose_name = _("recomendación de mejora")
        verbose_name_plural = _("recomendaciones de mejora")

    def __str__(self) -> str:
        return f"R-{self.pk} {self.text[:60]}"

    def overdue_on(self, day) -> bool:
        """Open (not closed) after its due date."""
        return self.status != RecommendationStatus.CLOSED and self.due_date < day


class QualitySample(models.Model):
    """The month's random QC sample (§6 «informe de muestreo»): the seed, the population and
    sample sizes and the formula that sized it are stored, so the draw can be repeated
    (``qc.redraw``). The population is every row of the month with a primary key up to the
    stored maximum, ordered by primary key."""

    month = models.DateField(_("mes"), unique=True)
    seed = models.BigIntegerField(_("semilla"))
    population_briefs = models.PositiveIntegerField(default=0)
    population_interactions = models.PositiveIntegerField(default=0)
    sample_briefs = models.PositiveIntegerField(default=0)
    sample_interactions = models.PositiveIntegerField(default=0)
    max_brief_id = models.PositiveBigIntegerField(default=0)
    max_interaction_id = models.PositiveBigIntegerField(default=0)
    formula = models.TextField(_("fórmula"))
    drawn_at = models.DateTimeField(default=timezone.now)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=20, choices=SampleState.choices, default=SampleState.DRAWN)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("muestra de calidad")
        verbose_name_plural = _("muestras de calidad")

    def __str__(self) -> str:
        return f"QC {self.month:%Y-%m}"


class QualityItem(models.Model):
    """One sampled brief or interaction with its checklist (``choices.CHECKLIST``: each key →
    ``{"value": yes|no|na|"", "comment": …}``) and the reviewer's finding."""

    sample = models.ForeignKey(QualitySample, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=20, choices=ItemKind.choices)
    object_id = models.PositiveBigIntegerField()
    checklist = models.JSONField(default=dict, blank=True)
    finding = models.TextField(_("hallazgo"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sample", "kind", "object_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sample", "kind", "object_id"], name="quality_item_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sample} {self.kind} {self.object_id}"


# --- daily execution report ---


def daily_report_path(report: DailyReport, filename: str) -> str:
    return f"reports/daily/{report.brief.code}/{filename}"


class DailyReport(models.Model):
    """The report of one business day of a brief's execution («entrega de reportes durante la
    ejecución»): written when the day closes (``brief.reports.daily``), with the day's figures
    as a JSON snapshot and an XLSX file, then e-mailed to OCM and the area. One per brief and
    day; its SLA clock (rule ``reporte-diario-ejecucion``) starts at the day's close and stops
    when it is sent, so a day whose report could not be built stays open and breaches."""

    brief = models.ForeignKey(
        "campaigns.Brief", on_delete=models.CASCADE, related_name="daily_reports"
    )
    day = models.DateField(_("día de ejecución"))
    closed_at = models.DateTimeField(_("cierre del día"))
    generated_at = models.DateTimeField(_("generado"), null=True, blank=True)
    sent_at = models.DateTimeField(_("enviado"), null=True, blank=True)
    file = models.FileField(upload_to=daily_report_path, max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    data = models.JSONField(_("datos"), default=dict, blank=True)
    error = models.CharField(_("error al generar"), max_length=300, blank=True)
    recipients = models.PositiveIntegerField(_("destinatarios"), default=0)

    class Meta:
        ordering = ["-day", "brief_id"]
        constraints = [
            models.UniqueConstraint(fields=["brief", "day"], name="daily_report_once_per_day")
        ]
        verbose_name = _("reporte diario de ejecución")
        verbose_name_plural = _("reportes diarios de ejecución")

    def __str__(self) -> str:
        return f"{self.brief.code} {self.day:%Y-%m-%d}"

    @property
    def file_name(self) -> str:
        return f"reporte-diario-{self.brief.code}-{self.day:%Y-%m-%d}.xlsx"


# --- campaign report ---


class ReportConclusion(models.Model):
    """OCM's conclusions on a brief's campaign report, shown in the one-page summary of the
    «Ficha Técnica de Resultados». Each write is a new row; the latest one counts (history kept)."""

    brief = models.ForeignKey(
        "campaigns.Brief", on_delete=models.CASCADE, related_name="report_conclusions"
    )
    text = models.TextField(_("conclusiones"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("conclusiones del informe")
        verbose_name_plural = _("conclusiones de informes")

    def __str__(self) -> str:
        return f"{self.brief_id} {self.at:%Y-%m-%d}"


def delivered_path(instance: DeliveredReport, filename: str) -> str:
    return f"reports/{instance.brief.code}/{filename}"


class DeliveredReport(models.Model):
    """The campaign report as delivered: the PDF and XLSX generated at ``deliver_results``,
    with the SHA-256 of each. Every delivery is a new version; earlier ones are kept."""

    brief = models.ForeignKey(
        "campaigns.Brief", on_delete=models.CASCADE, related_name="delivered_reports"
    )
    version = models.PositiveIntegerField(_("versión"))
    pdf = models.FileField(upload_to=delivered_path, max_length=300)
    pdf_sha256 = models.CharField(max_length=64)
    xlsx = models.FileField(upload_to=delivered_path, max_length=300)
    xlsx_sha256 = models.CharField(max_length=64)
    generated_at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["brief", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["brief", "version"], name="delivered_report_version")
        ]
        verbose_name = _("informe entregado")
        verbose_name_plural = _("informes entregados")

    def __str__(self) -> str:
        return f"{self.brief_id} v{self.version}"
