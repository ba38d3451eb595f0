"""Vocabularies of the dispatch engine: sweep states, message statuses and their order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class SweepState(models.TextChoices):
    SCHEDULED = "scheduled", _("Programado")
    RUNNING = "running", _("En curso")
    PAUSED = "paused", _("En pausa")
    DONE = "done", _("Terminado")
    CANCELLED = "cancelled", _("Cancelado")


ACTIVE_SWEEP_STATES = frozenset({SweepState.SCHEDULED, SweepState.RUNNING})


class CircuitState(models.TextChoices):
    """A provider account's circuit breaker (:mod:`brief.dispatch.circuit`)."""

    CLOSED = "closed", _("Cerrado (el proveedor responde)")
    OPEN = "open", _("Abierto (el proveedor no responde: barridos en pausa)")
    HALF_OPEN = "half_open", _("Semiabierto (probando con un mensaje)")


class ProviderKind(models.TextChoices):
    """Provider kinds; each maps to an adapter in ``providers.options.KINDS``."""

    SMTP = "smtp", _("Correo (SMTP)")
    SMPP = "smpp", _("SMS (SMPP 3.4)")
    TWILIO_SMS = "twilio_sms", _("SMS por HTTP (compatible con Twilio)")
    WHATSAPP_CLOUD = "whatsapp_cloud", _("WhatsApp Cloud API")
    TWILIO_VOICE = "twilio_voice", _("Mensajes de voz (compatible con Twilio)")
    SIMULATED = "simulated", _("Simulado (demostración)")


class Include(models.TextChoices):
    ALL = "all", _("Todos los del segmento")
    NOT_DELIVERED = "not_delivered", _("Solo los no entregados en barridos anteriores")
    NOT_CONTACTED = "not_contacted", _("Solo los no contactados en barridos anteriores")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("En cola")
    DEFERRED = "deferred", _("Aplazado (fuera de horario o tope diario)")
    SENDING = "sending", _("Enviando")
    SENT = "sent", _("Aceptado por el proveedor")
    DELIVERED = "delivered", _("Entregado")
    READ = "read", _("Leído")
    VOICEMAIL = "voicemail", _("Buzón de voz (contestó una máquina)")
    NO_ANSWER = "no_answer", _("No contestada (ocupado, sin respuesta o cancelada)")
    FAILED = "failed", _("Fallido")
    BOUNCED = "bounced", _("Rebotado")
    SUPPRESSED = "suppressed", _("Excluido")
    UNKNOWN = "unknown", _("Desconocido (requiere decisión)")


# Status only moves forward: a callback may set a status only when its rank is higher.
RANK: dict[str, int] = {
    MessageStatus.QUEUED: 0,
    MessageStatus.DEFERRED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.UNKNOWN: 2,
    MessageStatus.SENT: 3,
    MessageStatus.FAILED: 4,
    MessageStatus.NO_ANSWER: 4,
    MessageStatus.BOUNCED: 5,
    MessageStatus.DELIVERED: 5,
    MessageStatus.VOICEMAIL: 5,
    MessageStatus.READ: 6,
    MessageStatus.SUPPRESSED: 9,
}
# Statuses that mean the provider accepted the message (a call that rang unanswered or reached
# an answering machine was placed: accepted, but not delivered to a person).
ACCEPTED = frozenset(
    {
        MessageStatus.SENT,
        MessageStatus.DELIVERED,
        MessageStatus.READ,
        MessageStatus.VOICEMAIL,
        MessageStatus.NO_ANSWER,
    }
)
DELIVERED_OR_READ = frozenset({MessageStatus.DELIVERED, MessageStatus.READ})
PENDING = frozenset({MessageStatus.QUEUED, MessageStatus.DEFERRED, MessageStatus.SENDING})
# Results of a brief's earlier sweeps that a segment (filter "sweeps") or a sweep (``Include``)
# selects on: the statuses that count as reached; a ``not_`` result keeps the people not reached.
SWEEP_RESULTS: dict[str, frozenset[str]] = {
    "delivered": DELIVERED_OR_READ,
    "not_delivered": DELIVERED_OR_READ,
    "contacted": ACCEPTED,
    "not_contacted": ACCEPTED,
    "read": frozenset({MessageStatus.READ}),
    "failed": frozenset({MessageStatus.FAILED, MessageStatus.BOUNCED}),
    # Not deliverable on their channel (WhatsApp 131026): candidates for an SMS sweep.
    "fallback": frozenset({MessageStatus.FAILED}),
}


# Channels worked by people, not sent by a provider: a sweep on one of them fills the brief's call
# queue (advisors claim from it on their workbench) instead of writing an outbox. The steps live
# in the contact-center layer above dispatch, so they are named here by dotted path (README
# "Layers"): ``fill(sweep) -> total`` and ``counts(sweep) -> {pending, in_progress, worked,
# closed}``. The recorded voice blaster (``voice``) still goes through a provider.
@dataclass(frozen=True)
class QueueSteps:
    fill: str
    counts: str


QUEUE_CHANNELS: dict[str, QueueSteps] = {
    "call": QueueSteps(
        fill="brief.calls.actions.fill_sweep_queue", counts="brief.calls.queue.sweep_counts"
    ),
}
QUEUE_COUNT_KEYS = ["pending", "in_progress", "worked", "closed"]

COUNT_KEYS = ["queued", "sent", "delivered", "read", "voicemail", "no_answer", "failed", "bounced",
              "suppressed", "deferred", "unknown"]  # fmt: skip


class ErrorEffect(models.TextChoices):
    """What a provider's answer asks of the dispatcher. Each adapter maps its provider's error
    codes to these in one ``ERRORS`` table; :func:`brief.dispatch.actions.apply_provider_effects`
    carries them out, for send results and callbacks alike."""

    FAIL = "fail", _("Fallido (definitivo)")
    RETRY = "retry", _("Error temporal: se reintenta con espera")
    SLOW_DOWN = "slow_down", _("Error temporal del proveedor: se reintenta más despacio")
    FALLBACK = "fallback", _("No entregable: candidato a un barrido por otro canal")
    SUPPRESS = "suppress", _("Fallido y excluido del canal (la persona no quiere mensajes)")
    RETRY_NEXT_DAY = "retry_next_day", _("Aplazado: se reintenta al día siguiente")
    THROTTLE = "throttle", _("Límite de velocidad del proveedor: se reintenta más despacio")
    PAUSE_SWEEP = "pause_sweep", _("Problema de la plantilla o de la cuenta: barrido en pausa")


@dataclass(frozen=True)
class ErrorRule:
    """One row of an adapter's ``ERRORS`` table: the effect of a provider's error code and a
    Spanish explanation shown with the message."""

    effect: str
    label: str

    @property
    def permanent(self) -> bool:
        return self.effect in PERMANENT_EFFECTS


# Effects that fail the message for good (no retry can fix it).
PERMANENT_EFFECTS = frozenset({ErrorEffect.FAIL, ErrorEffect.FALLBACK, ErrorEffect.SUPPRESS})
# Effects that give the message back to the queue instead of counting a failed try (the
# refusal was not about the message: throughput, per-user daily limit, template or account).
REQUEUE_EFFECTS = frozenset(
    {ErrorEffect.RETRY_NEXT_DAY, ErrorEffect.THROTTLE, ErrorEffect.PAUSE_SWEEP}
)


@dataclass(frozen=True)
class Reason:
    """Why a recipient is not sent now: the ``error_code`` the engine writes on the message,
    the status it leaves it in, and the Spanish phrase shown after «por:» on the forecast,
    the sweep page and the message list («Aplazado hasta … por: …»)."""

    code: str
    status: str
    label: StrOrPromise


# Reasons for holding a message back, in the order the engine applies its contact rules.
# ``window`` is not written on messages (they stay queued while the window is closed), and
# ``not_eligible`` / ``already_reached`` never become messages: the forecast alone counts them.
REASONS: dict[str, Reason] = {
    r.code: r
    for r in (
        Reason("window", MessageStatus.QUEUED, _("la franja horaria de contacto está cerrada")),
        Reason("daily_cap", MessageStatus.DEFERRED, _("una comunicación por persona al día")),
        Reason(
            "pacing",
            MessageStatus.DEFERRED,
            _("el proveedor exige un tiempo mínimo entre dos mensajes a la misma persona"),
        ),
        Reason(
            "suppressed",
            MessageStatus.SUPPRESSED,
            _("está en una lista de exclusión o pidió no ser contactado por este canal"),
        ),
        Reason(
            "abroad",
            MessageStatus.SUPPRESSED,
            _("beneficiario en el exterior: solo se le escribe por WhatsApp y correo"),
        ),
        Reason(
            "not_eligible",
            MessageStatus.SUPPRESSED,
            _("no tiene un dato de contacto válido para este canal"),
        ),
        Reason(
            "already_reached",
            MessageStatus.SUPPRESSED,
            _("ya fue alcanzado en un barrido anterior (regla de destinatarios)"),
        ),
        Reason("missing_data", MessageStatus.FAILED, _("le falta un dato que usa la plantilla")),
    )
}


def reason_label(code: str) -> str:
    """The Spanish phrase of a reason code; other codes (a provider's) are shown as they are."""
    reason = REASONS.get(code)
    return str(reason.label) if reason else code
