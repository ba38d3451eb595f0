"""Message content of a brief: channel templates, tracked links and their openings, creatives.

Content changes only through :mod:`brief.content.actions`. At exit approval the templates and
the approved creative versions are frozen with their SHA-256: from then on they are exactly
what is sent, and nobody edits them.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Channel, MissingPolicy, WaCategory, WaStatus

# The fields that make up what a template sends (the frozen SHA-256 covers exactly these).
CONTENT_FIELDS = [
    "channel", "body", "subject", "html", "text", "sender", "reply_to", "wa_name",
    "wa_language", "wa_category", "wa_variables", "wa_button_url", "script_sections",
    "missing_policy", "fallbacks",
]  # fmt: skip


class Template(models.Model):
    """What one channel of a brief sends, with its personalization placeholders.

    SMS, WhatsApp and voice use ``body`` (``{nombres}``-style placeholders; WhatsApp uses
    ``{{1}}``… mapped by ``wa_variables`` to contact fields); e-mail uses ``subject``, ``html``
    (sanitized) and ``text``; a voice message may instead point at an audio creative; a call
    carries its script in ``script_sections``. ``missing_policy`` says what happens when a
    recipient lacks a value: skip them with a reason, or use ``fallbacks[field]``.
    """

    brief = models.ForeignKey("campaigns.Brief", on_delete=models.CASCADE, related_name="templates")
    channel = models.CharField(_("canal"), max_length=20, choices=Channel.choices)
    name = models.CharField(_("nombre"), max_length=120)
    body = models.TextField(_("texto del mensaje"), blank=True)
    subject = models.CharField(_("asunto"), max_length=255, blank=True)
    html = models.TextField(_("cuerpo HTML"), blank=True)
    text = models.TextField(_("cuerpo en texto plano"), blank=True)
    sender = models.CharField(_("remitente"), max_length=254, blank=True)
    reply_to = models.CharField(_("responder a"), max_length=254, blank=True)
    wa_name = models.CharField(_("nombre de la plantilla de WhatsApp"), max_length=512, blank=True)
    wa_language = models.CharField(_("idioma"), max_length=10, blank=True, default="es")
    wa_category = models.CharField(
        _("categoría"), max_length=20, choices=WaCategory.choices, blank=True
    )
    wa_variables = models.JSONField(_("variables"), default=list, blank=True)
    wa_button_url = models.URLField(_("URL del botón"), max_length=2000, blank=True)
    wa_status = models.CharField(
        _("estado en Meta"), max_length=20, choices=WaStatus.choices, blank=True
    )
    wa_status_reason = models.CharField(_("motivo (Meta)"), max_length=300, blank=True)
    wa_status_at = models.DateTimeField(_("estado leído"), null=True, blank=True)
    voice_audio = models.ForeignKey(
        "content.Creative",
        verbose_name=_("audio grabado"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    script_sections = models.JSONField(_("secciones del guion"), default=list, blank=True)
    missing_policy = models.CharField(
        _("si falta un dato"),
        max_length=10,
        choices=MissingPolicy.choices,
        default=MissingPolicy.SKIP,
    )
    fallbacks = models.JSONField(_("valores alternativos"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("versión"), default=1)
    frozen_at = models.DateTimeField(_("congelada"), null=True, blank=True)
    frozen_sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["brief", "channel", "id"]
        indexes = [models.Index(fields=["brief", "channel"])]
        verbose_name = _("plantilla")
        verbose_name_plural = _("plantillas")

    def __str__(self) -> str:
        return f"{self.brief.code} · {self.get_channel_display()} · {self.name}"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    def content_digest(self) -> str:
        """SHA-256 of what the template sends (its content fields and the audio's hash)."""
        data = {name: getattr(self, name) for name in CONTENT_FIELDS}
        audio = self.voice_audio
        data["voice_audio"] = (audio.frozen_sha256 or audio.sha256) if audio else None
        raw = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class TrackedLink(models.Model):
    """A link found in a template; each recipient gets it as a signed ``/l/<token>``."""

    brief = models.ForeignKey(
        "campaigns.Brief", on_delete=models.CASCADE, related_name="content_links"
    )
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="links")
    url = models.URLField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["template", "id"]
        constraints = [
            models.UniqueConstraint(fields=["template", "url"], name="tracked_link_unique")
        ]
        verbose_name = _("enlace medido")
        verbose_name_plural = _("enlaces medidos")

    def __str__(self) -> str:
        return self.url


class LinkOpen(models.Model):
    """One opening of a tracked link by a recipient (which message, when, from where)."""

    link = models.ForeignKey(TrackedLink, on_delete=models.CASCADE, related_name="opens")
    message_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["link", "at"])]
        verbose_name = _("apertura de enlace")
        verbose_name_plural = _("aperturas de enlaces")

    def __str__(self) -> str:
        return f"{self.link_id} · {self.message_id} · {self.at:%Y-%m-%d %H:%M}"


def creative_path(instance: Creative, filename: str) -> str:
    # Outside the web root, under the brief, by the conventional name (never user input).
    return f"creatives/{instance.brief.code}/{instance.name}"


class Creative(models.Model):
    """A versioned creative file (image, PDF, audio) of a brief, with its SHA-256.

    Named by ICETEX's convention ``<brief code>_<channel>_v<version>_<yyyymmdd>.<ext>``;
    versions count per brief and channel. The version approved at exit approval is frozen
    (``frozen_sha256``) and kept until ``retention_until``.
    """

    # PROTECT: a brief with creatives is never deleted with them (legal retention).
    brief = models.ForeignKey("campaigns.Brief", on_delete=models.PROTECT, related_name="creatives")
    channel = models.CharField(_("canal"), max_length=20, choices=Channel.choices)
    version = models.PositiveIntegerField(_("versión"))
    name = models.CharField(_("nombre"), max_length=120)
    file = models.FileField(upload_to=creative_path, max_length=300)
    original_name = models.CharField(_("archivo original"), max_length=255)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(_("descripción"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    frozen_at = models.DateTimeField(_("congelada"), null=True, blank=True)
    frozen_sha256 = models.CharField(max_length=64, blank=True)
    retention_until = models.DateField(_("conservar hasta"), null=True, blank=True)

    class Meta:
        ordering = ["brief", "channel", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["brief", "channel", "version"], name="creative_version_unique"
            )
        ]
        verbose_name = _("pieza creativa")
        verbose_name_plural = _("piezas creativas")

    def __str__(self) -> str:
        return self.name

    @property
    def extension(self) -> str:
        return self.name.rsplit(".", 1)[-1].lower()

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None
