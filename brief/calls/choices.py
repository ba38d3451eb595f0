"""Vocabularies of the contact center: typification levels and flags, the default tree."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from brief.campaigns.choices import PROVIDER_VISIBLE, TERMINAL, Channel, Status
from brief.core.roles import Role


class Level(models.TextChoices):
    CATEGORY = "category", _("Categoría")
    RESULT = "result", _("Resultado")
    DETAIL = "detail", _("Detalle")


# category → result → detail: the level of a node's child.
CHILD_LEVEL = {Level.CATEGORY: Level.RESULT, Level.RESULT: Level.DETAIL}

# The flags of a typification node, with their Spanish labels (form, table, import columns).
FLAGS = {
    "counts_as_contact": _("Cuenta como contacto"),
    "right_party": _("Contacto con el titular"),
    "effective": _("Efectivo (objetivo cumplido)"),
    "invalidates_number": _("Invalida el número"),
    "do_not_contact": _("No volver a contactar"),
    "creates_case": _("Crea un caso"),
}
# Import columns (normalized headers, see ``contacts.reader.normalize_header``) per flag.
FLAG_COLUMNS = {
    "counts_as_contact": ("cuenta como contacto", "cuenta contacto", "contacto"),
    "right_party": ("contacto titular", "contacto con titular", "titular"),
    "effective": ("efectivo", "efectiva", "objetivo cumplido"),
    "invalidates_number": ("invalida numero", "numero invalido"),
    "do_not_contact": ("no volver a contactar", "no contactar", "no llamar"),
    "creates_case": ("crea un caso", "crea caso", "caso"),
}

# OCM edits the tree before forwarding the brief; it is frozen with the content at exit approval.
EDIT_STATES = frozenset({Status.DRAFT, Status.SUBMITTED, Status.IN_REVIEW, Status.RETURNED})
IMPORT_EXTENSIONS = frozenset({"csv", "xlsx"})
# The provider's channel director assigns advisors while the brief is in its hands.
ASSIGN_STATES = PROVIDER_VISIBLE - TERMINAL
MAX_RETRY_HOURS = 720

# Default tree from common Colombian contact-center practice: (code, label, flags, children).
# A category's flags pass down to its results, a result's to its details.
_CONTACT = {"counts_as_contact": True, "right_party": True}
DEFAULT_TREE: list[tuple] = [
    ("CD", "Contacto directo", _CONTACT, [
        ("CD01", "Efectivo", {"effective": True}, [
            ("CD0101", "Información entregada", {}, []),
            ("CD0102", "Actualiza datos", {}, []),
            ("CD0103", "Acepta compromiso", {}, []),
        ]),
        ("CD02", "No efectivo", {}, [
            ("CD0201", "No interesado", {}, []),
            ("CD0202", "Se niega a responder", {}, []),
            ("CD0203", "Inconforme con el servicio", {"creates_case": True}, []),
        ]),
        ("CD03", "Solicita información adicional", {"creates_case": True}, []),
    ]),
    ("CI", "Contacto indirecto", {"counts_as_contact": True}, [
        ("CI01", "Deja mensaje con tercero", {"retry_after_hours": 24}, []),
        ("CI02", "Titular no disponible", {"retry_after_hours": 4}, []),
        ("CI03", "Titular fallecido", {"do_not_contact": True}, []),
        ("CI04", "No conocen al titular", {"invalidates_number": True}, []),
    ]),
    ("NC", "No contacto", {}, [
        ("NC01", "No contesta", {"retry_after_hours": 2}, []),
        ("NC02", "Ocupado", {"retry_after_hours": 1}, []),
        ("NC03", "Buzón de voz", {"retry_after_hours": 4}, []),
        ("NC04", "Llamada caída", {"retry_after_hours": 1}, []),
        ("NC05", "Número errado o inexistente", {"invalidates_number": True}, []),
        ("NC06", "Fuera de servicio", {"invalidates_number": True}, []),
    ]),
    ("VL", "Volver a llamar", _CONTACT, [
        ("VL01", "Solicita llamar más tarde", {"retry_after_hours": 2}, []),
        ("VL02", "No puede atender hoy", {"retry_after_hours": 24}, []),
    ]),
    ("NL", "No llamar", _CONTACT, [
        ("NL01", "Solicita no ser contactado", {"do_not_contact": True}, []),
        ("NL02", "Ya no es beneficiario", {"do_not_contact": True}, []),
    ]),
]  # fmt: skip


# --- interactions --------------------------------------------------------------------------

# Interactions whose billing needs the typification and both recordings (Anexo 1.5); the other
# channels are messages: they need the provider's ID and status.
RECORDED_CHANNELS = frozenset({Channel.CALL})
# Interactions are recorded while the campaign runs and while OCM reviews its results.
INTERACTION_STATES = frozenset({Status.EXECUTING, Status.RESULTS_REVIEW})


class RecordingKind(models.TextChoices):
    AUDIO = "audio", _("Grabación de audio")
    SCREEN = "screen", _("Grabación de pantalla")


RECORDING_EXTENSIONS: dict[str, frozenset[str]] = {
    RecordingKind.AUDIO: frozenset({"mp3", "wav", "ogg"}),
    RecordingKind.SCREEN: frozenset({"mp4", "webm"}),
}


class Exclusion(models.TextChoices):
    """Why an interaction is not billable (each one kept on the interaction)."""

    UNTYPIFIED = "untypified", _("Sin tipificación")
    NO_ID = "no_id", _("Sin ID de la interacción")
    NO_AUDIO = "no_audio", _("Sin grabación de audio")
    NO_SCREEN = "no_screen", _("Sin grabación de pantalla")
    NO_PROVIDER_STATUS = "no_provider_status", _("Sin estado del proveedor")


# --- conversations and cases ---------------------------------------------------------------

#: WhatsApp's customer service window: free text is allowed until this long after the
#: person's last message; afterwards only an approved template.
SERVICE_WINDOW_HOURS = 24


class ConversationStatus(models.TextChoices):
    OPEN = "open", _("Abierta")
    CLOSED = "closed", _("Cerrada")


class Direction(models.TextChoices):
    INBOUND = "in", _("Recibido")
    OUTBOUND = "out", _("Enviado")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Abierto")
    IN_PROGRESS = "in_progress", _("En gestión")
    CLOSED = "closed", _("Cerrado")


#: The SLA rule of a case (``brief.core.sla``): the seed's «creación de casos», one business
#: day from the typification that opened it; the events that start and stop its clock.
CASE_RULE = "creacion-casos"
CASE_OPENED = "case.opened"
CASE_CLOSED = "case.closed"
#: Who manages cases: OCM and the provider's people (advisors on their assigned briefs).
CASE_ROLES = frozenset({Role.ANALISTA_OCM, Role.PROVEEDOR, Role.ASESOR})
#: Who reads conversations and cases (each within the briefs they reach): the contact center,
#: OCM, the process leader and internal control; the requesting areas do not.
CONTACT_CENTER_READERS = CASE_ROLES | {Role.LIDER_PROCESO, Role.AUDITOR}


# --- CRM export, bulk import, billing statement ----------------------------------------------


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("En cola")
    RUNNING = "running", _("Importando")
    DONE = "done", _("Importada")
    FAILED = "failed", _("Rechazada")


IMPORT_OPEN_STATES = frozenset({ImportStatus.PENDING, ImportStatus.RUNNING})
# Interactions file of a bulk import, and the recordings archive beside it.
INTERACTION_IMPORT_EXTENSIONS = frozenset({"csv", "xlsx"})
RECORDINGS_ARCHIVE_EXTENSIONS = frozenset({"zip"})
EXPORT_FORMATS = ("csv", "xlsx")
