"""States, actions and vocabularies of the brief (DESIGN §2, §7)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from brief.core.roles import Role

from .vocabulary import CHANNEL_LABELS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Status(models.TextChoices):
    DRAFT = "draft", _("Borrador")
    SUBMITTED = "submitted", _("Radicado")
    IN_REVIEW = "in_review", _("En verificación OCM")
    RETURNED = "returned", _("Devuelto al área")
    FORWARDED = "forwarded", _("Remitido al proveedor")
    RECEIVED = "received", _("Recibido por el proveedor")
    BASE_LOADED = "base_loaded", _("Base cargada")
    AWAITING_EXIT_APPROVAL = "awaiting_exit_approval", _("Esperando aprobación de salida")
    EXECUTING = "executing", _("En ejecución")
    RESULTS_REVIEW = "results_review", _("Resultados en revisión OCM")
    RESULTS_SENT = "results_sent", _("Resultados enviados al área")
    ACCEPTED = "accepted", _("Aceptado")
    CANCELLED = "cancelled", _("Cancelado")


TERMINAL = frozenset({Status.ACCEPTED, Status.CANCELLED})
EDITABLE = frozenset({Status.DRAFT, Status.RETURNED})
# The procedure's main line, in order (DESIGN §2): the steps of the brief page's stepper.
MAIN_LINE: tuple[Status, ...] = (
    Status.DRAFT,
    Status.SUBMITTED,
    Status.IN_REVIEW,
    Status.FORWARDED,
    Status.RECEIVED,
    Status.BASE_LOADED,
    Status.AWAITING_EXIT_APPROVAL,
    Status.EXECUTING,
    Status.RESULTS_REVIEW,
    Status.RESULTS_SENT,
    Status.ACCEPTED,
)
# States in which the provider sees the brief: from forwarding on.
PROVIDER_VISIBLE = frozenset(MAIN_LINE[MAIN_LINE.index(Status.FORWARDED) :])


class CampaignClass(models.TextChoices):
    SERVICIO = "servicio", _("Servicio")
    EXPERIENCIA = "experiencia", _("Experiencia")
    COMERCIAL = "comercial", _("Comercial")
    COMUNIDAD = "comunidad", _("Comunidad")
    FOCUS_GROUP = "focus_group", _("Focus group")


EXCEPTIONAL_CLASSES = frozenset({CampaignClass.COMERCIAL, CampaignClass.COMUNIDAD})


class Kind(models.TextChoices):
    INFORMATIVA = "informativa", _("Informativa")
    TRANSACCIONAL = "transaccional", _("Transaccional")


class Channel(models.TextChoices):
    """The campaign channels; codes and Spanish labels come from ``vocabulary`` (stated once)."""

    SMS = "sms", _(CHANNEL_LABELS["sms"])
    EMAIL = "email", _(CHANNEL_LABELS["email"])
    WHATSAPP = "whatsapp", _(CHANNEL_LABELS["whatsapp"])
    VOICE = "voice", _(CHANNEL_LABELS["voice"])
    CALL = "call", _(CHANNEL_LABELS["call"])


def channel_label(code: str) -> str:
    """The Spanish label of a channel code (the code itself when it is not a channel)."""
    return str(Channel(code).label) if code in Channel.values else code


# Channels whose execution follows a script (guion) that must come with the brief.
SCRIPT_CHANNELS = frozenset({Channel.VOICE, Channel.CALL})


class AttachmentKind(models.TextChoices):
    BASE = "base", _("Base de datos")
    SCRIPT = "script", _("Guion")
    COMMS_APPROVAL = "comms_approval", _("Aval de comunicaciones")
    BOSS_APPROVAL = "boss_approval", _("Aval del jefe inmediato")
    LEADER_AUTHORIZATION = "leader_authorization", _("Autorización del líder de proceso")
    CREATIVE = "creative", _("Pieza creativa")
    REPORT = "report", _("Informe de resultados")
    MANAGED_BASE = "managed_base", _("Base gestionada")
    KICKOFF_MINUTES = "kickoff_minutes", _("Acta de la reunión de inicio")
    TRAINING_MATERIAL = "training_material", _("Material de capacitación")


# Extensions accepted per attachment kind.
ALLOWED_EXTENSIONS: dict[str, frozenset[str]] = {
    AttachmentKind.BASE: frozenset({"csv", "txt", "xlsx"}),
    AttachmentKind.SCRIPT: frozenset({"pdf", "docx", "txt", "odt"}),
    AttachmentKind.COMMS_APPROVAL: frozenset({"pdf", "png", "jpg", "jpeg", "msg", "eml"}),
    AttachmentKind.BOSS_APPROVAL: frozenset({"pdf", "png", "jpg", "jpeg", "msg", "eml"}),
    AttachmentKind.LEADER_AUTHORIZATION: frozenset({"pdf", "png", "jpg", "jpeg", "msg", "eml"}),
    AttachmentKind.CREATIVE: frozenset({"png", "jpg", "jpeg", "gif", "pdf", "mp3", "wav", "mp4"}),
    AttachmentKind.REPORT: frozenset({"pdf", "xlsx", "csv"}),
    AttachmentKind.MANAGED_BASE: frozenset({"csv", "xlsx"}),
    AttachmentKind.KICKOFF_MINUTES: frozenset({"pdf", "docx", "odt", "txt", "png", "jpg", "jpeg"}),
    AttachmentKind.TRAINING_MATERIAL: frozenset({"pdf", "docx", "pptx", "odt", "txt", "mp4"}),
}


class ChecklistItem(models.TextChoices):
    FIELDS = "fields_complete", _("Campos del formato completos")
    BASE = "base_quality", _("Calidad de la base de datos")
    SCRIPT = "script", _("Guion o contenido del mensaje")
    APPROVALS = "approvals", _("Avales (jefe y comunicaciones)")
    LEAD_TIME = "lead_time", _("Antelación mínima")


@dataclass(frozen=True)
class ActionSpec:
    """One workflow action: where it may start, where it leads, who may run it.

    ``guards`` are the steps that apps of a higher layer add to the action, named by dotted
    path so that campaigns never imports them (README "Layers"): ``perform`` resolves each with
    ``import_string`` and calls it inside the transition's transaction, after this app's own
    precheck, as ``guard(brief, actor=…, note=…, at=…, **params)``; it raises a ``DomainError``
    to refuse, or returns ``(extra brief fields, transition details)``.

    ``checks`` say what the state promises (README "The brief workflow"): each, named by dotted
    path too, is called as ``check(brief)``, only reads, and raises a ``Refusal`` with the
    Spanish reason when the brief is not ready for the action. ``perform`` runs them under the
    transition's lock; ``permissions.readiness_refusal`` runs the same ones to show why a
    button is disabled.
    """

    name: str
    label: StrOrPromise
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    event: str
    audit: str
    guards: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    # The note is the action's reasons and may not be empty (returns and rejections).
    reasons: bool = False


_NON_TERMINAL = frozenset(s for s in Status.values if s not in TERMINAL)

ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in [
        ActionSpec(
            "submit",
            _("Radicar"),
            frozenset({Status.DRAFT, Status.RETURNED}),
            Status.SUBMITTED,
            frozenset({Role.SOLICITANTE, Role.JEFE}),
            "brief.submitted",
            "BRIEF_SUBMITTED",
        ),
        ActionSpec(
            "start_review",
            _("Iniciar verificación"),
            frozenset({Status.SUBMITTED}),
            Status.IN_REVIEW,
            frozenset({Role.ANALISTA_OCM}),
            "brief.review_started",
            "BRIEF_REVIEW_STARTED",
        ),
        ActionSpec(
            "return",
            _("Devolver al área"),
            frozenset({Status.IN_REVIEW}),
            Status.RETURNED,
            frozenset({Role.ANALISTA_OCM}),
            "brief.returned",
            "BRIEF_RETURNED",
            reasons=True,
        ),
        ActionSpec(
            "forward",
            _("Remitir al proveedor"),
            frozenset({Status.IN_REVIEW}),
            Status.FORWARDED,
            frozenset({Role.ANALISTA_OCM}),
            "brief.forwarded",
            "BRIEF_FORWARDED",
        ),
        ActionSpec(
            "receive",
            _("Recibir"),
            frozenset({Status.FORWARDED}),
            Status.RECEIVED,
            frozenset({Role.PROVEEDOR}),
            "brief.received",
            "BRIEF_RECEIVED",
        ),
        ActionSpec(
            "load_base",
            _("Registrar cargue de base"),
            frozenset({Status.RECEIVED}),
            Status.BASE_LOADED,
            frozenset({Role.PROVEEDOR}),
            "brief.base_loaded",
            "BRIEF_BASE_LOADED",
            guards=("brief.contacts.actions.summarize_loaded_base",),
            checks=("brief.contacts.actions.require_ready_base",),
        ),
        ActionSpec(
            "request_exit",
            _("Solicitar aprobación de salida"),
            frozenset({Status.BASE_LOADED}),
            Status.AWAITING_EXIT_APPROVAL,
            frozenset({Role.PROVEEDOR}),
            "brief.exit_requested",
            "BRIEF_EXIT_REQUESTED",
            checks=("brief.content.actions.require_channel_templates",),
        ),
        ActionSpec(
            "approve_exit",
            _("Aprobar salida"),
            frozenset({Status.AWAITING_EXIT_APPROVAL}),
            Status.EXECUTING,
            frozenset({Role.ANALISTA_OCM, Role.SOLICITANTE, Role.JEFE}),
            "brief.exit_approved",
            "BRIEF_EXIT_APPROVED",
            guards=(
                "brief.content.actions.freeze_for_exit",
                "brief.calls.actions.freeze_typification",
            ),
        ),
        # Exit refused (README "The brief workflow"): back to the provider, with the base
        # loaded, to fix what the reasons say and request the exit again.
        ActionSpec(
            "refuse_exit",
            _("Rechazar salida"),
            frozenset({Status.AWAITING_EXIT_APPROVAL}),
            Status.BASE_LOADED,
            frozenset({Role.ANALISTA_OCM, Role.SOLICITANTE, Role.JEFE}),
            "brief.exit_refused",
            "BRIEF_EXIT_REFUSED",
            reasons=True,
        ),
        ActionSpec(
            "deliver_results",
            _("Entregar resultados"),
            frozenset({Status.EXECUTING}),
            Status.RESULTS_REVIEW,
            frozenset({Role.PROVEEDOR}),
            "brief.results_delivered",
            "BRIEF_RESULTS_DELIVERED",
            # The generated report is frozen as the delivered version (an uploaded report
            # file is optional).
            guards=("brief.reports.delivery.freeze_report",),
            checks=("brief.dispatch.actions.require_finished_sweep",),
        ),
        ActionSpec(
            "send_results",
            _("Enviar resultados al área"),
            frozenset({Status.RESULTS_REVIEW}),
            Status.RESULTS_SENT,
            frozenset({Role.ANALISTA_OCM}),
            "brief.results_sent",
            "BRIEF_RESULTS_SENT",
        ),
        # The results loops (README "The brief workflow"): OCM returns the delivered results
        # to the provider (procedure 5.2.14), the area rejects the results OCM sent; OCM,
        # which stands between the area and the provider, reviews a rejection again.
        ActionSpec(
            "return_results",
            _("Devolver resultados al proveedor"),
            frozenset({Status.RESULTS_REVIEW}),
            Status.EXECUTING,
            frozenset({Role.ANALISTA_OCM}),
            "brief.results_returned",
            "BRIEF_RESULTS_RETURNED",
            reasons=True,
        ),
        ActionSpec(
            "reject_results",
            _("Rechazar resultados"),
            frozenset({Status.RESULTS_SENT}),
            Status.RESULTS_REVIEW,
            frozenset({Role.SOLICITANTE, Role.JEFE}),
            "brief.results_rejected",
            "BRIEF_RESULTS_REJECTED",
            reasons=True,
        ),
        ActionSpec(
            "accept",
            _("Aceptar"),
            frozenset({Status.RESULTS_SENT}),
            Status.ACCEPTED,
            frozenset({Role.SOLICITANTE, Role.JEFE}),
            "brief.accepted",
            "BRIEF_ACCEPTED",
        ),
        ActionSpec(
            "cancel",
            _("Cancelar"),
            _NON_TERMINAL,
            Status.CANCELLED,
            frozenset({Role.ANALISTA_OCM, Role.SOLICITANTE, Role.JEFE}),
            "brief.cancelled",
            "BRIEF_CANCELLED",
            guards=(
                "brief.contacts.actions.stop_open_imports",
                "brief.dispatch.actions.cancel_brief_sweeps",
            ),
        ),
    ]
}

# Requesting-area users may cancel only before the brief reaches the provider.
AREA_CANCELLABLE = frozenset({Status.DRAFT, Status.SUBMITTED, Status.IN_REVIEW, Status.RETURNED})

# --- who may upload which attachment (read by permissions) -----------------------------

# Files the requesting area adds while the brief is editable.
AREA_KINDS = frozenset(
    {
        AttachmentKind.BASE,
        AttachmentKind.SCRIPT,
        AttachmentKind.COMMS_APPROVAL,
        AttachmentKind.BOSS_APPROVAL,
        AttachmentKind.LEADER_AUTHORIZATION,
        AttachmentKind.CREATIVE,
    }
)
# Files the provider adds while it executes the campaign.
PROVIDER_KINDS = frozenset({AttachmentKind.REPORT, AttachmentKind.MANAGED_BASE})
PROVIDER_UPLOAD_STATES = frozenset({Status.EXECUTING, Status.RESULTS_REVIEW})
# Files of the start of the campaign (kick-off minutes, training material): the provider adds
# them once it has the brief, until the results are delivered.
PREPARATION_KINDS = frozenset({AttachmentKind.KICKOFF_MINUTES, AttachmentKind.TRAINING_MATERIAL})
PREPARATION_STATES = frozenset(
    {
        Status.FORWARDED,
        Status.RECEIVED,
        Status.BASE_LOADED,
        Status.AWAITING_EXIT_APPROVAL,
        Status.EXECUTING,
    }
)
# Approval files may also be uploaded by the role that gives the approval.
APPROVAL_UPLOADERS: dict[str, Role] = {
    AttachmentKind.BOSS_APPROVAL: Role.JEFE,
    AttachmentKind.COMMS_APPROVAL: Role.COMUNICACIONES,
    AttachmentKind.LEADER_AUTHORIZATION: Role.LIDER_PROCESO,
}


# --- in-app approvals ------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalSpec:
    """One in-app approval: who gives it, where it is stored, the file that can replace it."""

    which: str
    label: StrOrPromise
    role: str
    field: str  # the brief stores ``<field>_by`` and ``<field>_at``
    audit: str
    kind: str  # the attachment kind that stands for it
    what: StrOrPromise  # "dar {what}", "ya tiene {what}" in refusals
    refused_audit: str = ""
    requested_audit: str = ""

    @property
    def refused(self) -> str:
        """The prefix of the brief's ``<refused>_by``, ``_at`` and ``<which>_refusal`` fields."""
        return f"{self.which}_refused"


APPROVALS: dict[str, ApprovalSpec] = {
    spec.which: spec
    for spec in [
        ApprovalSpec(
            "boss",
            _("Aval del jefe inmediato"),
            Role.JEFE,
            "boss_approved",
            "BRIEF_BOSS_APPROVED",
            AttachmentKind.BOSS_APPROVAL,
            _("el aval del jefe inmediato"),
            "BRIEF_BOSS_APPROVAL_REFUSED",
            "BRIEF_BOSS_APPROVAL_REQUESTED",
        ),
        ApprovalSpec(
            "comms",
            _("Aval de comunicaciones"),
            Role.COMUNICACIONES,
            "comms_approved",
            "BRIEF_COMMS_APPROVED",
            AttachmentKind.COMMS_APPROVAL,
            _("el aval de comunicaciones"),
            "BRIEF_COMMS_APPROVAL_REFUSED",
            "BRIEF_COMMS_APPROVAL_REQUESTED",
        ),
        ApprovalSpec(
            "leader",
            _("Autorización del líder de proceso"),
            Role.LIDER_PROCESO,
            "leader_authorized",
            "BRIEF_LEADER_AUTHORIZED",
            AttachmentKind.LEADER_AUTHORIZATION,
            _("la autorización del líder de proceso"),
            "BRIEF_LEADER_AUTHORIZATION_REFUSED",
            "BRIEF_LEADER_AUTHORIZATION_REQUESTED",
        ),
    ]
}
# States in which in-app approvals are still accepted (given, refused or asked for).
APPROVABLE = EDITABLE | {Status.SUBMITTED, Status.IN_REVIEW}
# The area asks for an approval again at most once a minute (each ask notifies the approvers).
APPROVAL_REQUEST_INTERVAL_SECONDS = 60


class ApprovalDecision(models.TextChoices):
    """What happened to an in-app approval (``ApprovalEvent``, the Historial tab)."""

    REQUESTED = "requested", _("Aval solicitado")
    GIVEN = "given", _("Aval dado")
    REFUSED = "refused", _("Aval rechazado")


# --- scope changes after forwarding ("el alcance puede ajustarse") ----------------------


class ChangeState(models.TextChoices):
    FILED = "filed", _("Radicado, esperando a OCM")
    APPROVED = "approved", _("Aprobado, esperando acuse del proveedor")
    REJECTED = "rejected", _("Rechazado")
    ACKNOWLEDGED = "acknowledged", _("Acusado por el proveedor")


# A change request is open (at most one per brief) until it is rejected or acknowledged.
OPEN_CHANGE_STATES = frozenset({ChangeState.FILED, ChangeState.APPROVED})
# A scope change is filed after forwarding and before the results are delivered.
SCOPE_CHANGE_STATES = frozenset(
    {
        Status.FORWARDED,
        Status.RECEIVED,
        Status.BASE_LOADED,
        Status.AWAITING_EXIT_APPROVAL,
        Status.EXECUTING,
    }
)
# F559 fields a scope change may set: dates, channels, the messages/script, the targets.
CHANGEABLE_FIELDS = (
    "start_date",
    "end_date",
    "channels",
    "content",
    "estimated_base_size",
    "sweeps_planned",
    "target_contact_rate",
    "target_effectiveness",
)
# Files a scope change may replace (stored as the brief's attachment when approved).
CHANGE_FILE_KINDS = (AttachmentKind.BASE, AttachmentKind.SCRIPT)
# The clock rule (README "Scope changes"): a change of these restarts the provider's clocks
# from the acknowledgement; any other change extends them by the business days it waited.
RESTART_FIELDS = frozenset({"start_date", "end_date", "channels", AttachmentKind.BASE})
# A change of these changes what running sweeps send: they pause until the acknowledgement.
CONTENT_FIELDS = frozenset({"channels", "content", AttachmentKind.BASE, AttachmentKind.SCRIPT})
# The steps of a higher layer (dispatch) a scope change runs, by dotted path (README "Layers"):
# ``pause(brief, *, reason) -> [sweep ids]`` and ``resume(sweep_ids, *, actor) -> [sweep ids]``.
SCOPE_CHANGE_STEPS = {
    "pause": "brief.dispatch.actions.pause_for_scope_change",
    "resume": "brief.dispatch.actions.resume_after_scope_change",
}


# --- in-app notifications --------------------------------------------------------------


class NoticeKind(models.TextChoices):
    TRANSITION = "transition", _("Cambio de estado")
    CHANGE = "change", _("Cambio de alcance")
    QUESTION = "question", _("Pregunta")
    ANSWER = "answer", _("Respuesta")
    SLA_DUE_SOON = "sla_due_soon", _("ANS por vencer")
    SLA_BREACHED = "sla_breached", _("ANS vencido")
    REPORT = "report", _("Informe")
    APPROVAL = "approval", _("Aval")
