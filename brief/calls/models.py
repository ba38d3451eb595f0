"""Typification trees of campaigns, interactions and their recordings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brief.campaigns.choices import Channel
from brief.campaigns.models import Brief
from brief.core.choices import Responsible

from .choices import (
    FLAGS,
    IMPORT_OPEN_STATES,
    CaseStatus,
    ConversationStatus,
    Direction,
    Exclusion,
    ImportStatus,
    Level,
    RecordingKind,
)


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


def recording_path(instance: Recording, filename: str) -> str:
    # Stored under MEDIA_ROOT (outside the web root) by brief and interaction; never user input.
    interaction = instance.interaction
    name = f"{instance.kind}-{instance.sha256[:16]}.bin"
    return f"calls/{interaction.brief.code}/{interaction.code}/{name}"


class Interaction(models.Model):
    """One call, voice message, WhatsApp conversation or reply worked for a campaign.

    ``billable``, ``completeness`` and ``exclusions`` are derived by :mod:`.billing` and set
    only by ``actions.save_interaction`` (every write of an interaction goes through it).
    """

    code = models.CharField(_("código"), max_length=20, unique=True, editable=False)
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    brief = models.ForeignKey(Brief, on_delete=models.PROTECT, related_name="interactions")
    sweep = models.ForeignKey(
        "dispatch.Sweep", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who and where, copied from the contact by ``actions.save_interaction``: the beneficiary
    # history finds a person's interactions by them (``history.py``).
    person = models.CharField(max_length=40, blank=True, default="")
    address = models.CharField(max_length=254, blank=True, default="")
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interactions",
    )
    external_id = models.CharField(_("ID en el proveedor"), max_length=120, blank=True)
    provider_status = models.CharField(_("estado en el proveedor"), max_length=40, blank=True)
    started_at = models.DateTimeField(_("inicio"), default=timezone.now)
    ended_at = models.DateTimeField(_("fin"), null=True, blank=True)
    typification = models.ForeignKey(
        TypificationNode, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    observations = models.TextField(_("observaciones"), blank=True)
    answers = models.JSONField(_("respuestas"), default=dict, blank=True)
    retention_until = models.DateField(_("conservar hasta"), null=True, blank=True)
    completeness = models.PositiveSmallIntegerField(_("completitud (%)"), default=0)
    billable = models.BooleanField(_("facturable"), default=False)
    exclusions = models.JSONField(_("motivos de exclusión"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["brief", "started_at"]),
            models.Index(fields=["advisor", "started_at"]),
            models.Index(fields=["brief", "billable"]),
            models.Index(fields=["person", "started_at"], name="interaction_person"),
            models.Index(fields=["address"], name="interaction_address"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["brief", "channel", "external_id"],
                condition=~models.Q(external_id=""),
                name="interaction_external_id_unique",
            )
        ]
        verbose_name = _("interacción")
        verbose_name_plural = _("interacciones")

    def __str__(self) -> str:
        return self.code

    def exclusion_labels(self) -> list[str]:
        return [str(Exclusion(e).label) for e in self.exclusions if e in Exclusion.values]


class Recording(models.Model):
    """The audio or screen recording of an interaction: a file stored outside the web root with
    its SHA-256 (downloads are audit-logged), or the provider's URL."""

    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="recordings"
    )
    kind = models.CharField(_("tipo"), max_length=10, choices=RecordingKind.choices)
    file = models.FileField(upload_to=recording_path, max_length=300, blank=True)
    url = models.URLField(_("URL del proveedor"), max_length=2000, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["interaction", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["interaction", "kind"], name="recording_kind_unique")
        ]

    def __str__(self) -> str:
        return f"{self.interaction.code} {self.get_kind_display()}"


class QueueEntry(models.Model):
    """A contact in a call campaign's queue (``actions.claim_next``).

    ``holder`` works it until ``held_until`` (an expired hold frees it); ``next_attempt_at`` is
    the retry-after or the scheduled callback; ``closed`` once a typification ends it (effective,
    do not contact, invalid number). ``person`` is the contact's person key for the daily cap.
    An entry of a call ``sweep`` is claimed only while that sweep runs, and takes the sweep's
    contact-rule exceptions (windows, daily cap).
    """

    brief = models.ForeignKey(Brief, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    # The call sweep that put (or last took over) the entry; its progress is its entries.
    sweep = models.ForeignKey(
        "dispatch.Sweep", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person = models.CharField(max_length=40)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    held_until = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)  # when the holder got it
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    closed = models.BooleanField(default=False)

    class Meta:
        ordering = ["brief", "id"]
        constraints = [
            models.UniqueConstraint(fields=["brief", "contact"], name="queue_contact_unique")
        ]
        indexes = [models.Index(fields=["brief", "closed", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.brief_id}: {self.contact_id}"


# --- conversations and cases ---------------------------------------------------------------


class Conversation(models.Model):
    """A WhatsApp conversation a person opened by writing to a campaign's number.

    Opened (or extended) by each inbound message (``actions.open_conversations``); the service
    window closes 24 hours after the person's last message (``window_closes_at``): inside it an
    advisor answers free text, outside it only an approved template. Closing it typifies it and
    makes it an :class:`Interaction` (``interaction``).
    """

    brief = models.ForeignKey(Brief, on_delete=models.PROTECT, related_name="conversations")
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    address = models.CharField(_("número de la persona"), max_length=40)
    account = models.ForeignKey(
        "dispatch.ProviderAccount", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("estado"), max_length=10, choices=ConversationStatus.choices, default="open"
    )
    first_wamid = models.CharField(_("primer mensaje (ID del proveedor)"), max_length=120)
    opened_at = models.DateTimeField(_("abierta"))
    last_inbound_at = models.DateTimeField(_("último mensaje de la persona"))
    window_closes_at = models.DateTimeField(_("cierre de la ventana de 24 horas"))
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("cerrada"), null=True, blank=True)
    interaction = models.OneToOneField(
        Interaction,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversation",
    )

    class Meta:
        ordering = ["-last_inbound_at", "-id"]
        indexes = [models.Index(fields=["brief", "status", "last_inbound_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["brief", "account", "address"],
                condition=models.Q(status="open"),
                name="conversation_open_unique",
            )
        ]
        verbose_name = _("conversación")
        verbose_name_plural = _("conversaciones")

    def __str__(self) -> str:
        return f"{self.brief_id}: {self.address}"

    def window_open(self, now=None) -> bool:
        """Whether free text may still be sent (the 24-hour service window)."""
        return (now or timezone.now()) < self.window_closes_at


class ConversationMessage(models.Model):
    """One message of a conversation: the person's (``inbound``, stored by dispatch) or an
    advisor's answer (free text, or a template outside the window) with its provider id and
    the status the provider's callbacks move forward."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(_("sentido"), max_length=3, choices=Direction.choices)
    inbound = models.OneToOneField(
        "dispatch.InboundMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField(_("texto"), blank=True)
    template = models.ForeignKey(
        "content.Template", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("fecha"), default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    provider_message_id = models.CharField(max_length=120, blank=True)
    status = models.CharField(_("estado"), max_length=20, blank=True)
    rank = models.PositiveSmallIntegerField(default=0)
    error_code = models.CharField(max_length=60, blank=True)
    error_detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["provider_message_id"], name="conv_message_provider_id")]
        verbose_name = _("mensaje de conversación")
        verbose_name_plural = _("mensajes de conversación")

    def __str__(self) -> str:
        return f"{self.conversation_id} {self.direction} {self.status}"


class Case(models.Model):
    """A case for ICETEX's CRM: opened when an interaction is typified with a node that
    «crea un caso» (one per interaction), due one business day later (the SLA rule
    ``creacion-casos``, whose clock the SLA scan and alerts watch)."""

    code = models.CharField(_("código"), max_length=20, unique=True, editable=False)
    brief = models.ForeignKey(Brief, on_delete=models.PROTECT, related_name="cases")
    interaction = models.OneToOneField(Interaction, on_delete=models.PROTECT, related_name="case")
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person = models.CharField(_("persona"), max_length=40, blank=True)
    summary = models.TextField(_("resumen"), blank=True)
    status = models.CharField(
        _("estado"), max_length=12, choices=CaseStatus.choices, default="open"
    )
    responsible = models.CharField(
        _("responsable"), max_length=20, choices=Responsible.choices, default="provider"
    )
    opened_at = models.DateTimeField(_("abierto"))
    due_at = models.DateTimeField(_("vence"))
    closed_at = models.DateTimeField(_("cerrado"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["brief", "status"]),
            models.Index(fields=["status", "due_at"]),
        ]
        verbose_name = _("caso")
        verbose_name_plural = _("casos")

    def __str__(self) -> str:
        return self.code

    @property
    def on_time(self) -> bool | None:
        """Closed by its due time (``None`` while open)."""
        return None if self.closed_at is None else self.closed_at <= self.due_at

    def overdue(self, now=None) -> bool:
        """Open past its due time, or closed late."""
        if self.closed_at is not None:
            return self.closed_at > self.due_at
        return (now or timezone.now()) > self.due_at


class CaseNote(models.Model):
    """An annotation on a case (what was done, what the person was told)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("nota"))
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.text[:40]}"


# --- CRM export, bulk import --------------------------------------------------------------


class CrmExportLayout(models.Model):
    """A column layout of the CRM export: ordered ``columns`` (``{"field", "header"}``), the
    fields from ``exports.CATALOGUE`` (or ``answer:<question key>``). Global when it has no
    ``area``; an area's layout is offered to that area's users (and OCM). OCM edits them."""

    name = models.CharField(_("nombre"), max_length=120)
    area = models.ForeignKey(
        "accounts.Area",
        verbose_name=_("área"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    columns = models.JSONField(_("columnas"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("formato de exportación al CRM")
        verbose_name_plural = _("formatos de exportación al CRM")

    def __str__(self) -> str:
        return self.name


def import_path(instance: InteractionImport, filename: str) -> str:
    # Outside the web root, by provider; the stored name never comes from the user.
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    return f"calls/imports/{instance.provider_id}/{stamp}.{ext}"


class InteractionImport(models.Model):
    """A bulk import of interactions (CSV/XLSX) and their recordings (a ZIP) from a provider's
    own dialer/recorder. Validated whole before anything is written; all rows or none
    (``errors``: ``{"row", "column", "message"}`` in Spanish). Run by a Celery task."""

    provider = models.ForeignKey("accounts.Provider", on_delete=models.PROTECT, related_name="+")
    brief = models.ForeignKey(
        Brief, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(upload_to=import_path, max_length=300)
    source_name = models.CharField(max_length=255)
    recordings = models.FileField(upload_to=import_path, max_length=300, blank=True)
    recordings_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        _("estado"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    stage = models.CharField(max_length=120, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    recordings_stored = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("importación de interacciones")
        verbose_name_plural = _("importaciones de interacciones")

    def __str__(self) -> str:
        return f"{self.source_name} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in IMPORT_OPEN_STATES
