"""Typification trees of call campaigns (and, later, interactions and recordings)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from brief.campaigns.models import Brief

from .choices import FLAGS, Level


class TypificationNode(models.Model):
    """One node of a brief's typification tree: category → result → detail.

    Every node carries the flags; an interaction is typified with a leaf (a node without
    children), and the figures read the leaf's flags. ``frozen_at`` is set on every node of the
    tree at exit approval; after that nobody edits it.
    """

    brief = models.ForeignKey(Brief, on_delete=models.CASCADE, related_name="typification")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    level = models.CharField(_("nivel"), max_length=10, choices=Level.choices)
    code = models.CharField(_("código"), max_length=30, blank=True)
    label = models.CharField(_("nombre"), max_length=120)
    order = models.PositiveSmallIntegerField(_("orden"), default=0)
    counts_as_contact = models.BooleanField(_("cuenta como contacto"), default=False)
    right_party = models.BooleanField(_("contacto con el titular"), default=False)
    effective = models.BooleanField(_("efectivo"), default=False)
    retry_after_hours = models.PositiveSmallIntegerField(
        _("reintentar después de (horas)"), null=True, blank=True
    )
    invalidates_number = models.BooleanField(_("invalida el número"), default=False)
    do_not_contact = models.BooleanField(_("no volver a contactar"), default=False)
    creates_case = models.BooleanField(_("crea un caso"), default=False)
    frozen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["brief", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["brief", "parent", "label"], name="typification_label_unique"
            ),
            models.UniqueConstraint(
                fields=["brief", "code"],
                condition=~models.Q(code=""),
                name="typification_code_unique",
            ),
        ]
        verbose_name = _("tipificación")
        verbose_name_plural = _("tipificaciones")

    def __str__(self) -> str:
        return f"{self.code} {self.label}".strip()

    def flags(self) -> dict:
        """The node's flags as a dict (``retry_after_hours`` included)."""
        out: dict = {name: getattr(self, name) for name in FLAGS}
        out["retry_after_hours"] = self.retry_after_hours
        return out
