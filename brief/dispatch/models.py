"""Provider accounts, sweeps, the outbox of messages, attempts, status events, callback
evidence and inbound messages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brief.core.exceptions import Conflict
from brief.core.fields import EncryptedJSONField, EncryptedTextField

from .choices import CircuitState, Include, MessageStatus, ProviderKind, SweepState
from .providers.options import KINDS


class ProviderAccount(models.Model):
    """A configured sending account: its kind (which adapter), its options and its limits.

    ``backend`` (the adapter's dotted path) is derived from ``kind`` on save; accounts without
    a kind (test adapters such as locmem) keep the path they were given.
    """

    code = models.SlugField(_("código"), max_length=40, unique=True)
    name = models.CharField(_("nombre"), max_length=120)
    kind = models.CharField(_("tipo"), max_length=20, choices=ProviderKind.choices, blank=True)
    backend = models.CharField(
        _("adaptador"),
        max_length=200,
        help_text=_("Ruta Python del adaptador, p. ej. brief.dispatch.providers.smtp.SMTPProvider"),
    )
    channels = models.JSONField(_("canales"), default=list)
    options = models.JSONField(_("opciones"), default=dict, blank=True)
    rate_per_second = models.FloatField(_("mensajes por segundo"), default=100.0)
    concurrency = models.PositiveSmallIntegerField(_("envíos simultáneos"), default=8)
    chunk_size = models.PositiveIntegerField(_("mensajes por lote"), default=500)
    active = models.BooleanField(_("activa"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("cuenta de proveedor")
        verbose_name_plural = _("cuentas de proveedor")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.kind in KINDS:
            self.backend = KINDS[self.kind].backend
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "backend"}
        super().save(*args, **kwargs)


class Sweep(models.Model):
    """One pass of one channel over a segment of a brief's base (a "barrido")."""

    brief = models.ForeignKey("campaigns.Brief", on_delete=models.CASCADE, related_name="sweeps")
    number = models.PositiveIntegerField(_("número"))
    channel = models.CharField(_("canal"), max_length=20)
    template = models.ForeignKey("content.Template", on_delete=models.PROTECT, related_name="+")
    base = models.ForeignKey("contacts.ContactBase", on_delete=models.PROTECT, related_name="+")
    segment = models.ForeignKey(
        "contacts.Segment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # None for a sweep advisors work (QUEUE_CHANNELS: agent calls): nothing goes through a provider.
    provider_account = models.ForeignKey(
        ProviderAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="sweeps"
    )
    include = models.CharField(
        _("destinatarios"), max_length=20, choices=Include.choices, default=Include.ALL
    )
    state = models.CharField(
        _("estado"),
        max_length=20,
        choices=SweepState.choices,
        default=SweepState.SCHEDULED,
        db_index=True,
    )
    start_at = models.DateTimeField(_("inicio programado"), default=timezone.now)
    ignore_windows = models.BooleanField(_("excepción a las franjas horarias"), default=False)
    ignore_daily_cap = models.BooleanField(_("excepción al tope diario"), default=False)
    exception_reason = models.TextField(_("motivo de la excepción"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    runners = models.PositiveSmallIntegerField(_("ejecutores en paralelo"), default=1)
    pause_reason = models.CharField(
        _("motivo de la pausa"),
        max_length=300,
        blank=True,
        help_text=_("Por qué el proveedor detuvo el barrido (p. ej. plantilla en pausa)."),
    )
    # Paused by its account's circuit breaker: it runs again by itself when the breaker closes.
    held_by_circuit = models.BooleanField(_("en pausa por el proveedor caído"), default=False)

    class Meta:
        ordering = ["brief", "number"]
        constraints = [
            models.UniqueConstraint(fields=["brief", "number"], name="sweep_number_unique")
        ]
        verbose_name = _("barrido")
        verbose_name_plural = _("barridos")

    def __str__(self) -> str:
        return f"{self.brief.code} · barrido {self.number} ({self.channel})"

    @property
    def account(self) -> ProviderAccount:
        """The account a message sweep sends through; a queue sweep (agent calls) has none and
        sends nothing, so asking it for one is a conflict."""
        if self.provider_account is None:
            raise Conflict(
                str(_("Este barrido no envía por un proveedor: lo trabajan los asesores.")),
                code="no_provider_account",
            )
        return self.provider_account


class ProviderCircuit(models.Model):
    """The circuit breaker of one provider account, in the database so that every worker on
    every machine shares it (:mod:`brief.dispatch.circuit`).

    ``failures`` counts the account's consecutive unanswered requests (5xx, 429, timeouts,
    refused connections); at the account's threshold the circuit opens: its sweeps are paused
    with ``reason`` until ``retry_at``, when one message probes the provider (half open); an
    accepted probe closes the circuit and the sweeps run again by themselves.
    """

    account = models.OneToOneField(
        ProviderAccount, on_delete=models.CASCADE, primary_key=True, related_name="circuit"
    )
    state = models.CharField(
        max_length=10, choices=CircuitState.choices, default=CircuitState.CLOSED
    )
    failures = models.PositiveIntegerField(default=0)
    last_code = models.CharField(max_length=60, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True, db_index=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("disyuntor de proveedor")
        verbose_name_plural = _("disyuntores de proveedor")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.state}"


class RunnerLease(models.Model):
    """One runner slot of a sweep: the runner chain working it holds the lease by its token.

    A sweep has ``runners`` slots; each slot has at most one live chain, and a new task (a
    kick after a crash, a resume) takes a slot over only when its lease has expired.
    """

    sweep = models.ForeignKey(Sweep, on_delete=models.CASCADE, related_name="leases")
    slot = models.PositiveSmallIntegerField()
    until = models.DateTimeField(null=True, blank=True)
    token = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sweep", "slot"], name="runner_lease_unique")
        ]

    def __str__(self) -> str:
        return f"{self.sweep_id}/{self.slot}"


class Message(models.Model):
    """One recipient of one sweep: written before anything is sent (the outbox)."""

    sweep = models.ForeignKey(
        Sweep, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    person = models.CharField(max_length=40)  # "CC:123…": the daily cap counts people
    to = models.CharField(max_length=254)
    status = models.CharField(
        max_length=20, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    rank = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=120, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error_detail = models.CharField(max_length=300, blank=True)
    permanent = models.BooleanField(default=False)
    # Not deliverable on this channel: a candidate for a fallback sweep on another one.
    fallback = models.BooleanField(default=False, db_default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    # What the provider reported beyond the status (a call's answering party, duration,
    # recording URL and SID): evidence of the contact. Null for most messages.
    evidence = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["sweep", "status"], name="message_sweep_status"),
            models.Index(fields=["provider_message_id"], name="message_provider_id"),
            models.Index(fields=["contact"], name="message_contact"),
            # an inbound reply without a reference is matched to the sender's latest message
            models.Index(fields=["to"], name="message_to"),
            # the beneficiary history (``calls.history``) reads a person's messages
            models.Index(fields=["person"], name="message_person"),
            # the report's send-time histogram counts a sweep's messages hour by hour
            models.Index(fields=["sweep", "sent_at"], name="message_sweep_sent"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.to} {self.status}"


class Attempt(models.Model):
    """One try to hand a message to its provider, with the outcome."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempt_rows")
    at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=20)  # accepted | temporary | permanent | unknown
    code = models.CharField(max_length=60, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.message_id} {self.outcome}"


class DailyContact(models.Model):
    """Who was contacted on a day (across channels): enforces one contact per person per day.

    The row names what took the day: a message (``message_id``, written by the engine) or a
    call (``interaction_id``, a ``calls.Interaction`` written by the workbench).
    """

    person = models.CharField(max_length=40)
    day = models.DateField()
    message_id = models.BigIntegerField(null=True, blank=True)
    interaction_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "day"], name="daily_contact_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.day}"


class StatusEvent(models.Model):
    """A status report received from a provider (raw), kept for audit and replay.

    One row per (account, provider id, status): a replayed callback writes nothing new. Rows
    not yet ``applied`` are early receipts waiting for their send to be recorded; they keep
    everything the update said (its time, code, detail, effect and evidence), so applying them
    later does what applying them on arrival would have done.
    """

    provider = models.CharField(max_length=40)
    provider_message_id = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=20)
    payload = EncryptedJSONField(default=dict)  # the provider's raw item, encrypted at rest
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    applied = models.BooleanField(default=False)
    at = models.DateTimeField(null=True, blank=True)  # when the provider says it happened
    code = models.CharField(max_length=60, blank=True, default="")
    detail = models.CharField(max_length=300, blank=True, default="")
    effect = models.CharField(max_length=20, blank=True, default="")  # an ErrorEffect
    evidence = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["provider", "provider_message_id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_message_id", "status"], name="status_event_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.provider_message_id} {self.status}"


class CallbackPayload(models.Model):
    """The raw body of an authenticated callback (or a receipt PDU), kept as evidence until
    ``keep_until`` (the legal retention, ``brief.core.retention``); identical bodies are kept
    once. The body is encrypted at rest; the provider ids it mentions are in
    :class:`CallbackReference`, so a certificate finds it without reading bodies."""

    account = models.ForeignKey(ProviderAccount, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)  # SHA-256 of the body
    body = EncryptedTextField()  # hex when the body was binary (content type ``…;hex``)
    content_type = models.CharField(max_length=120, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    keep_until = models.DateTimeField(db_index=True)
    items = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "digest"], name="callback_payload_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.digest[:12]}"

    def raw_bytes(self) -> bytes:
        """The body as received (hex bodies decoded back to their bytes)."""
        if self.content_type.endswith(";hex"):
            return bytes.fromhex(self.body)
        return self.body.encode("utf-8")


class CallbackReference(models.Model):
    """A provider message id a kept callback body mentions (a status's id, an inbound
    message's id or the id it answers), written with the body: the plain, indexed way to the
    encrypted bodies about one message."""

    payload = models.ForeignKey(
        CallbackPayload, on_delete=models.CASCADE, related_name="references"
    )
    provider_message_id = models.CharField(max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["payload", "provider_message_id"], name="callback_reference_unique"
            )
        ]
        indexes = [models.Index(fields=["provider_message_id"], name="callback_reference_pmid")]

    def __str__(self) -> str:
        return f"{self.payload_id} {self.provider_message_id}"


class InboundMessage(models.Model):
    """A message a person sent us (reply, MO SMS, WhatsApp text), matched to the message it
    answers when we can tell (``in_reply_to``, else the sender's latest message)."""

    account = models.ForeignKey(ProviderAccount, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("canal"), max_length=20)
    sender = models.CharField(_("remitente"), max_length=254)
    recipient = models.CharField(_("destinatario"), max_length=254, blank=True)
    text = models.TextField(_("texto"), blank=True)
    at = models.DateTimeField(_("recibido"), default=timezone.now)
    provider_message_id = models.CharField(max_length=120)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    brief = models.ForeignKey(
        "campaigns.Brief",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_messages",
    )
    opt_out = models.BooleanField(_("pidió no recibir más"), default=False)
    raw = EncryptedJSONField(default=dict, blank=True)  # the provider's item, encrypted at rest

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "provider_message_id"], name="inbound_message_unique"
            )
        ]
        indexes = [models.Index(fields=["brief", "at"], name="inbound_brief_at")]
        verbose_name = _("mensaje recibido")
        verbose_name_plural = _("mensajes recibidos")

    def __str__(self) -> str:
        return f"{self.sender}: {self.text[:40]}"
