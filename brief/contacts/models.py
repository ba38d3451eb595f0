"""Contact bases, their contacts, saved column mappings, segments and suppression lists."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, OuterRef, Value
from django.db.models.functions import Coalesce, Concat, NullIf
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brief.accounts.models import Area

from .choices import BaseStatus, SuppressionChannel, SuppressionSource


class ContactBaseManager(models.Manager["ContactBase"]):
    def current(self, brief) -> ContactBase | None:
        """The brief's current base: its newest ``ready`` import (``None`` when there is none).

        Sweeps, estimates, the report and the segment screen all read this one; an older ready
        import of the same brief is history.
        """
        return (
            self.filter(brief=brief, status=BaseStatus.READY).order_by("-created_at", "-id").first()
        )


class ContactBase(models.Model):
    """One import of a brief's contact base: the job, its progress and its quality summary.

    Contacts of a base are visible only once it is ``ready``; a failed or cancelled import
    deletes what it had written, so nothing is half-stored.
    """

    brief = models.ForeignKey("campaigns.Brief", on_delete=models.CASCADE, related_name="bases")
    attachment = models.ForeignKey(
        "campaigns.Attachment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_name = models.CharField(_("archivo"), max_length=255)
    sheet = models.CharField(_("hoja"), max_length=100, blank=True)
    status = models.CharField(
        _("estado"),
        max_length=20,
        choices=BaseStatus.choices,
        default=BaseStatus.PENDING,
        db_index=True,
    )
    stage = models.CharField(_("etapa"), max_length=100, blank=True)
    progress = models.PositiveSmallIntegerField(_("avance (%)"), default=0)
    cancel_requested = models.BooleanField(default=False)
    mapping = models.JSONField(_("asignación de columnas"), default=dict, blank=True)
    channels = models.JSONField(_("canales"), default=list, blank=True)
    summary = models.JSONField(_("resumen de calidad"), null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_usable = models.PositiveIntegerField(default=0)
    rejects_file = models.FileField(upload_to="rejects/", blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ContactBaseManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("base de contactos")
        verbose_name_plural = _("bases de contactos")

    def __str__(self) -> str:
        return f"{self.brief.code} · {self.source_name}"

    @property
    def is_open(self) -> bool:
        return self.status in {BaseStatus.PENDING, BaseStatus.IMPORTING}


class Contact(models.Model):
    """A beneficiary of a base, normalized (phones in E.164 with their kind)."""

    # No index of its own: the (base, row) index below serves lookups by base.
    base = models.ForeignKey(
        ContactBase, on_delete=models.CASCADE, related_name="contacts", db_index=False
    )
    row = models.PositiveIntegerField(_("fila del archivo"))
    doc_type = models.CharField(_("tipo de documento"), max_length=10)
    doc_number = models.CharField(_("número de documento"), max_length=20)
    first_names = models.CharField(_("nombres"), max_length=150, blank=True)
    last_names = models.CharField(_("apellidos"), max_length=150, blank=True)
    full_name = models.CharField(_("nombre completo"), max_length=300)
    mobile = models.CharField(_("celular"), max_length=20, blank=True)
    landline = models.CharField(_("teléfono fijo"), max_length=20, blank=True)
    phones = models.JSONField(_("teléfonos"), default=list, blank=True)
    email = models.CharField(_("correo"), max_length=254, blank=True)
    emails = models.JSONField(_("correos"), default=list, blank=True)
    country = models.CharField(_("país"), max_length=80, blank=True)
    abroad = models.BooleanField(_("en el exterior"), default=False)
    city = models.CharField(_("ciudad"), max_length=120, blank=True)
    department = models.CharField(_("departamento"), max_length=120, blank=True)
    custom = models.JSONField(_("campos adicionales"), default=dict, blank=True)
    can_sms = models.BooleanField(default=False)
    can_whatsapp = models.BooleanField(default=False)
    can_email = models.BooleanField(default=False)
    can_voice = models.BooleanField(default=False)
    can_call = models.BooleanField(default=False)
    observations = models.TextField(_("observaciones del asesor"), blank=True)

    class Meta:
        ordering = ["base", "row"]
        indexes = [
            models.Index(fields=["base", "row"]),
            models.Index(fields=["doc_number"]),
        ]
        verbose_name = _("contacto")
        verbose_name_plural = _("contactos")

    def __str__(self) -> str:
        return f"{self.doc_type} {self.doc_number} {self.full_name}"


# --- who a contact is, and where a channel reaches them -------------------------------------
# Each fact has a Python or ORM form and a raw-SQL twin (for the outbox's INSERT … SELECT);
# tests prove the twins agree.

VOICE_CHANNELS = frozenset({"voice", "call"})


def person_key(doc_type: str, doc_number: str) -> str:
    """Who a contact is across bases and channels, ``TYPE:NUMBER`` (e.g. ``CC:1020304050``).

    The daily contact cap counts people by it, earlier sweeps are matched by it, and a
    suppression of a document is stored in this form.
    """
    return f"{doc_type}:{doc_number}"


def person_key_expression(*, outer: bool = False) -> Concat:
    """:func:`person_key` of a contact row as an ORM expression (``outer``: of the outer query)."""
    ref = OuterRef if outer else F
    return Concat(ref("doc_type"), Value(":"), ref("doc_number"), output_field=models.CharField())


def person_key_sql(alias: str) -> str:
    """:func:`person_key` of the contact row ``alias`` in raw SQL."""
    return f"{alias}.doc_type || ':' || {alias}.doc_number"


def channel_address(contact, channel: str) -> str:
    """:func:`channel_address_expression` of one contact object."""
    if channel == "email":
        return contact.email
    if channel in VOICE_CHANNELS:
        return contact.mobile or contact.landline
    return contact.mobile


def channel_address_expression(channel: str):
    """The address ``channel`` reaches a contact at, as an ORM expression: the e-mail, the
    mobile, or for voice and calls the mobile falling back to the landline."""
    if channel == "email":
        return F("email")
    if channel in VOICE_CHANNELS:
        return Coalesce(NullIf(F("mobile"), Value("")), F("landline"))
    return F("mobile")


def channel_address_sql(channel: str, alias: str) -> str:
    """:func:`channel_address_expression` of the contact row ``alias`` in raw SQL."""
    if channel == "email":
        return f"{alias}.email"
    if channel in VOICE_CHANNELS:
        return f"COALESCE(NULLIF({alias}.mobile, ''), {alias}.landline)"
    return f"{alias}.mobile"


class SavedMapping(models.Model):
    """A column mapping an area confirmed, reused for files with the same headers."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    headers_key = models.CharField(max_length=64)
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["area", "headers_key"], name="saved_mapping_unique")
        ]

    def __str__(self) -> str:
        return f"{self.area} · {len(self.headers)} columnas"


class Segment(models.Model):
    """A named filter over a base (city, country, channel eligibility, custom fields…)."""

    base = models.ForeignKey(ContactBase, on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(_("nombre"), max_length=120)
    filters = models.JSONField(_("filtros"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["base", "name"]
        constraints = [models.UniqueConstraint(fields=["base", "name"], name="segment_name_unique")]

    def __str__(self) -> str:
        return self.name


class SuppressionQuerySet(models.QuerySet["Suppression"]):
    def blocking(self, channel: str) -> SuppressionQuerySet:
        """The entries that keep ``channel`` from reaching someone: that channel's or all's."""
        return self.filter(channel__in=[channel, SuppressionChannel.ALL])


def suppressed_q(channel: str, *, address: str, person: str) -> models.Q:
    """The one suppression rule: a recipient is not contacted on ``channel`` when its address
    on that channel or its person key (:func:`person_key`) is listed for ``channel`` or for
    all channels.

    ``address`` and ``person`` name the fields (or aliases) holding them: ``"to"`` and
    ``"person"`` on the engine's messages, aliases of a contact on the segment screen.
    """
    blocked = Suppression.objects.blocking(channel).values("value")
    return models.Q(**{f"{address}__in": blocked}) | models.Q(**{f"{person}__in": blocked})


class Suppression(models.Model):
    """Someone who must not be contacted on a channel (opt-out, RNE, manual entry)."""

    channel = models.CharField(_("canal"), max_length=20, choices=SuppressionChannel.choices)
    value = models.CharField(
        _("valor"),
        max_length=254,
        help_text=_("Teléfono en E.164, correo en minúsculas o documento «CC:123»."),
    )
    source = models.CharField(_("origen"), max_length=20, choices=SuppressionSource.choices)
    reason = models.TextField(_("motivo"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = SuppressionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "value"], name="suppression_unique")
        ]
        indexes = [models.Index(fields=["value"])]
        verbose_name = _("exclusión")
        verbose_name_plural = _("exclusiones")

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.value}"
