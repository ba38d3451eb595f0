"""The brief (Formato F559), its versions, transitions, attachments and questions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brief.accounts.models import Area, Provider

from .choices import (
    ApprovalDecision,
    AttachmentKind,
    CampaignClass,
    ChangeState,
    Channel,
    Kind,
    NoticeKind,
    Status,
)

if TYPE_CHECKING:
    from django.db.models.fields.related_managers import RelatedManager

    from brief.contacts.models import ContactBase
    from brief.content.models import Creative, Template
    from brief.dispatch.models import Sweep

# Fields of the F559 that a version snapshot keeps and that the version diff compares.
FORM_FIELDS = [
    "name", "objective", "description", "campaign_class", "kind", "channels", "start_date",
    "end_date", "audience", "estimated_base_size", "includes_abroad", "content",
    "typification_codes", "read_register", "tracked_links", "sweeps_planned",
    "fields_to_collect", "target_contact_rate", "target_effectiveness", "observations",
]  # fmt: skip


class BriefQuerySet(models.QuerySet["Brief"]):
    def visible_to(self, user) -> BriefQuerySet:
        """The briefs ``user`` may read; the rule lives in :mod:`.permissions`."""
        from .permissions import filter_visible  # permissions is built on these models

        return filter_visible(self, user)


class Brief(models.Model):
    """A campaign request (Formato Brief F559) and where it stands in the procedure.

    ``status`` changes only through :mod:`brief.campaigns.actions`; each change writes a
    :class:`BriefTransition`. ``version`` grows at every submission after a return.
    """

    code = models.CharField(_("código"), max_length=20, unique=True, editable=False)
    area = models.ForeignKey(
        Area, verbose_name=_("área solicitante"), on_delete=models.PROTECT, related_name="briefs"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("solicitante"),
        on_delete=models.PROTECT,
        related_name="briefs",
    )
    provider = models.ForeignKey(
        Provider,
        verbose_name=_("proveedor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="briefs",
    )
    status = models.CharField(
        _("estado"), max_length=30, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    version = models.PositiveIntegerField(_("versión"), default=1)

    # 1. Campaign
    name = models.CharField(_("nombre de la campaña"), max_length=200)
    objective = models.TextField(_("objetivo"), blank=True)
    description = models.TextField(_("descripción"), blank=True)
    campaign_class = models.CharField(
        _("clase de campaña"),
        max_length=20,
        choices=CampaignClass.choices,
        default=CampaignClass.SERVICIO,
    )
    kind = models.CharField(
        _("tipo"), max_length=20, choices=Kind.choices, default=Kind.INFORMATIVA
    )
    channels = models.JSONField(_("canales"), default=list, blank=True)
    start_date = models.DateField(_("fecha de inicio deseada"), null=True, blank=True)
    end_date = models.DateField(_("fecha de fin deseada"), null=True, blank=True)
    # 2. Audience
    audience = models.TextField(_("público objetivo"), blank=True)
    estimated_base_size = models.PositiveIntegerField(
        _("tamaño estimado de la base"), null=True, blank=True
    )
    includes_abroad = models.BooleanField(_("incluye beneficiarios en el exterior"), default=False)
    # 3. Content
    content = models.JSONField(_("contenido por canal"), default=dict, blank=True)
    typification_codes = models.TextField(_("tipificaciones sugeridas"), blank=True)
    # 4. Report requirements
    read_register = models.BooleanField(_("requiere registro de lectura"), default=False)
    tracked_links = models.TextField(_("enlaces a medir"), blank=True)
    sweeps_planned = models.PositiveSmallIntegerField(_("número de barridos"), default=1)
    fields_to_collect = models.TextField(_("datos a recolectar"), blank=True)
    target_contact_rate = models.DecimalField(
        _("meta de contactabilidad (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    target_effectiveness = models.DecimalField(
        _("meta de efectividad (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    observations = models.TextField(_("observaciones"), blank=True)

    # In-app approvals (the file alternatives are attachments).
    boss_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    boss_approved_at = models.DateTimeField(null=True, blank=True)
    comms_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comms_approved_at = models.DateTimeField(null=True, blank=True)
    leader_authorized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    leader_authorized_at = models.DateTimeField(null=True, blank=True)
    # An approval refused (who, when, why) until the area asks for it again or it is given;
    # ``<which>_requested_at`` is the area's last ask (one a minute). The history of every
    # ask, approval and refusal is in ``ApprovalEvent``.
    boss_refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    boss_refused_at = models.DateTimeField(null=True, blank=True)
    boss_refusal = models.TextField(blank=True)
    boss_requested_at = models.DateTimeField(null=True, blank=True)
    comms_refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comms_refused_at = models.DateTimeField(null=True, blank=True)
    comms_refusal = models.TextField(blank=True)
    comms_requested_at = models.DateTimeField(null=True, blank=True)
    leader_refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    leader_refused_at = models.DateTimeField(null=True, blank=True)
    leader_refusal = models.TextField(blank=True)
    leader_requested_at = models.DateTimeField(null=True, blank=True)

    submitted_at = models.DateTimeField(_("radicado"), null=True, blank=True)
    last_transition_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BriefQuerySet.as_manager()

    # Reverse accessors of the other apps' models (Django adds them; declared for the checker).
    templates: RelatedManager[Template]
    creatives: RelatedManager[Creative]
    bases: RelatedManager[ContactBase]
    sweeps: RelatedManager[Sweep]

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["area", "status"]),
            models.Index(fields=["provider", "status"]),
        ]
        verbose_name = _("brief")
        verbose_name_plural = _("briefs")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def channel_labels(self) -> list[str]:
        return [str(Channel(c).label) for c in self.channels if c in Channel.values]

    def snapshot(self) -> dict:
        """The F559 fields as JSON-ready values (for versions and diffs)."""
        out = {}
        for name in FORM_FIELDS:
            value = getattr(self, name)
            if hasattr(value, "isoformat"):
                value = value.isoformat()
            elif value is not None and not isinstance(value, (str, int, bool, list, dict)):
                value = str(value)
            out[name] = value
        return out


class BriefSequence(models.Model):
    """Last number given per year, for codes ``BRF-<year>-<nnnn>``."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class BriefVersion(models.Model):
    """The F559 as submitted: a snapshot per submission and its generated PDF."""

    brief = models.ForeignKey(Brief, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    data = models.JSONField()
    pdf = models.FileField(upload_to="f559/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["brief", "number"]
        constraints = [
            models.UniqueConstraint(fields=["brief", "number"], name="brief_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.brief.code} v{self.number}"


class BriefTransition(models.Model):
    """One move of a brief from a state to another: the timeline and the SLA input."""

    brief = models.ForeignKey(Brief, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=30, choices=Status.choices)
    to_status = models.CharField(max_length=30, choices=Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.brief.code}: {self.from_status} → {self.to_status}"


class ApprovalEvent(models.Model):
    """One step of an in-app approval: the area asked for it, the approver gave it (with an
    optional comment) or refused it (with the reason). The Historial tab shows them beside
    the transitions; the brief's fields say where each approval stands now."""

    brief = models.ForeignKey(Brief, on_delete=models.CASCADE, related_name="approval_events")
    which = models.CharField(max_length=10)  # a key of ``choices.APPROVALS``
    decision = models.CharField(max_length=10, choices=ApprovalDecision.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("evento de aval")
        verbose_name_plural = _("eventos de avales")

    def __str__(self) -> str:
        return f"{self.brief.code}: {self.which} {self.decision}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # Stored under MEDIA_ROOT (outside the web root) by brief and kind; never by user input.
    return f"briefs/{instance.brief.code}/{instance.kind}/{instance.sha256[:16]}.bin"


class Attachment(models.Model):
    """A file of a brief, stored outside the web root with its SHA-256."""

    brief = models.ForeignKey(Brief, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=30, choices=AttachmentKind.choices)
    file = models.FileField(upload_to=attachment_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # v1, v2, … per kind of the brief (two bases are v1 and v2); ``brief_version`` is the
    # brief's version when the file was stored. Saved as 0, a new file gets the next number.
    version = models.PositiveIntegerField(default=0)
    brief_version = models.PositiveIntegerField(default=1)
    # A file and its replacements form a series (``series`` is its first file, empty on that
    # first file); at most one file of a series is current. Nothing is ever deleted: a
    # replaced or withdrawn file stays in the history and can still be downloaded.
    series = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_current = models.BooleanField(default=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_reason = models.TextField(blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["brief", "kind", "version"], name="attachment_version_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"

    def save(self, *args, **kwargs) -> None:
        if not self.version:
            last = Attachment.objects.filter(brief_id=self.brief_id, kind=self.kind).aggregate(
                last=models.Max("version")
            )["last"]
            self.version = (last or 0) + 1
        super().save(*args, **kwargs)

    @property
    def series_root_id(self) -> int:
        """The id shared by a file and all its replacements."""
        return self.series_id or self.pk


class Question(models.Model):
    """A provider's question about a brief and OCM's answer (each with a 1-day clock)."""

    brief = models.ForeignKey(Brief, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField(_("pregunta"))
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(_("respuesta"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at", "id"]

    def __str__(self) -> str:
        return f"{self.brief.code}: {self.text[:60]}"


def change_file_path(instance: ChangeRequest, filename: str) -> str:
    # Beside the brief's attachments, outside the web root; an approved file becomes one of them.
    return f"briefs/{instance.brief.code}/{instance.file_kind}/{instance.file_sha256[:16]}.bin"


class ChangeRequest(models.Model):
    """A change of scope after forwarding: filed by the area or OCM with a reason, approved or
    rejected by OCM, acknowledged by the provider.

    ``changes`` holds the new values of F559 fields (JSON, as in a version snapshot) and
    ``file`` an optional new base or script. Approval applies them as a new brief version
    (``version``, with ``diff`` before/after) and records the sweeps and clocks it paused.
    """

    brief = models.ForeignKey(Brief, on_delete=models.CASCADE, related_name="change_requests")
    number = models.PositiveIntegerField(_("número"))
    state = models.CharField(
        _("estado"), max_length=20, choices=ChangeState.choices, default=ChangeState.FILED
    )
    changes = models.JSONField(_("cambios"), default=dict, blank=True)
    reason = models.TextField(_("motivo"))
    file_kind = models.CharField(
        _("archivo que cambia"), max_length=30, choices=AttachmentKind.choices, blank=True
    )
    file = models.FileField(upload_to=change_file_path, max_length=300, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("nota de la decisión"), blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(null=True, blank=True)
    diff = models.JSONField(default=list, blank=True)
    clock_rule = models.CharField(max_length=20, blank=True)  # "restart" | "extend"
    paused_clocks = models.JSONField(default=list, blank=True)
    paused_sweeps = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["brief", "number"]
        constraints = [
            models.UniqueConstraint(fields=["brief", "number"], name="change_request_unique"),
            models.UniqueConstraint(
                fields=["brief"],
                condition=models.Q(state__in=["filed", "approved"]),
                name="one_open_change_request",
            ),
        ]
        verbose_name = _("cambio de alcance")
        verbose_name_plural = _("cambios de alcance")

    def __str__(self) -> str:
        return f"{self.brief.code} · cambio {self.number}"

    @property
    def touched(self) -> set[str]:
        """The fields and file kind this change sets (for the clock and sweep rules)."""
        return set(self.changes) | ({self.file_kind} if self.file_kind else set())


class Notification(models.Model):
    """One in-app notice to one user about a brief (the bell): written beside every e-mail
    about a brief and by the SLA alerts. ``key`` makes an alert once per user (blank for the
    rest)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("tipo"), max_length=20, choices=NoticeKind.choices)
    brief = models.ForeignKey(
        Brief, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(_("aviso"), max_length=500)
    url = models.CharField(max_length=300, blank=True)
    key = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(_("fecha"), default=timezone.now)
    read_at = models.DateTimeField(_("leído"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=~models.Q(key=""), name="notification_once"
            )
        ]
        verbose_name = _("aviso")
        verbose_name_plural = _("avisos")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.text[:60]}"


class KickOff(models.Model):
    """The kick-off meeting of a campaign («Reunión de inicio de campaña», 1 day): when, who
    attended, and its minutes (an attachment of the brief)."""

    brief = models.OneToOneField(Brief, on_delete=models.CASCADE, related_name="kickoff")
    held_on = models.DateField(_("fecha"))
    attendees = models.TextField(_("asistentes"), help_text=_("Uno por línea."))
    minutes = models.ForeignKey(
        Attachment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reunión de inicio")
        verbose_name_plural = _("reuniones de inicio")

    def __str__(self) -> str:
        return f"{self.brief.code} · inicio {self.held_on}"


class Training(models.Model):
    """A training of the provider's advisors for a campaign («capacitar a los asesores … al
    inicio de nuevas campañas»): date, topic, the advisors trained and the material."""

    brief = models.ForeignKey(Brief, on_delete=models.CASCADE, related_name="trainings")
    held_on = models.DateField(_("fecha"))
    topic = models.CharField(_("tema"), max_length=300)
    advisors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="trainings", verbose_name=_("asesores")
    )
    material = models.ForeignKey(
        Attachment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["brief", "held_on", "id"]
        verbose_name = _("capacitación")
        verbose_name_plural = _("capacitaciones")

    def __str__(self) -> str:
        return f"{self.brief.code} · {self.topic}"


class AdvisorAssignment(models.Model):
    """An advisor (``asesor``) assigned to work a brief by the provider's channel director.

    An advisor sees and works only the briefs assigned to them (``permissions.reach``); the
    contact center (``brief.calls.actions``) writes these rows.
    """

    brief = models.ForeignKey(Brief, on_delete=models.CASCADE, related_name="assignments")
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["brief", "assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["brief", "advisor"], name="assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.brief.code}: {self.advisor}"
