"""Spanish words for the audit log: one label per event code and per detail key, and the
readable text of an event's details (``clave: valor``, never a Python repr).

``tests/core/test_audit_labels.py`` collects every code the source passes to
:func:`brief.core.audit.record` and fails when one has no label here: a new audit event needs
its line in :data:`AUDIT_LABELS`. A code stored by an older version and no longer written
reads as itself.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

L = gettext_lazy

AUDIT_LABELS: dict[str, StrOrPromise] = {
    # --- the audit log itself ---
    "AUDIT_EXPORTED": L("Auditoría exportada"),
    # --- accounts ---
    "OTP_ENABLED": L("Verificación en dos pasos activada"),
    "OTP_DISABLED": L("Verificación en dos pasos desactivada"),
    "OTP_VERIFIED": L("Código de verificación aceptado"),
    "OTP_REFUSED": L("Código de verificación rechazado"),
    "USER_ROLES_CHANGED": L("Roles de usuario cambiados"),
    "USER_DIGEST_CHANGED": L("Resumen diario de avisos cambiado"),
    # --- briefs: workflow, approvals, attachments, changes ---
    "BRIEFS_EXPORTED": L("Lista de briefs exportada"),
    "BOARD_EXPORTED": L("Tablero OCM exportado"),
    "BRIEF_CREATED": L("Brief creado"),
    "BRIEF_UPDATED": L("Brief editado"),
    "BRIEF_SUBMITTED": L("Brief radicado"),
    "BRIEF_REVIEW_STARTED": L("Verificación del brief iniciada"),
    "BRIEF_RETURNED": L("Brief devuelto"),
    "BRIEF_FORWARDED": L("Brief remitido al proveedor"),
    "BRIEF_RECEIVED": L("Brief recibido por el proveedor"),
    "BRIEF_BASE_LOADED": L("Cargue de base registrado"),
    "BRIEF_EXIT_REQUESTED": L("Salida a campaña solicitada"),
    "BRIEF_EXIT_APPROVED": L("Salida a campaña aprobada"),
    "BRIEF_EXIT_REFUSED": L("Salida a campaña rechazada"),
    "BRIEF_RESULTS_DELIVERED": L("Resultados entregados por el proveedor"),
    "BRIEF_RESULTS_SENT": L("Resultados enviados al área"),
    "BRIEF_RESULTS_RETURNED": L("Resultados devueltos al proveedor"),
    "BRIEF_RESULTS_REJECTED": L("Resultados rechazados"),
    "BRIEF_ACCEPTED": L("Resultados aceptados"),
    "BRIEF_CANCELLED": L("Brief cancelado"),
    "BRIEF_BOSS_APPROVED": L("Aval del jefe inmediato dado"),
    "BRIEF_COMMS_APPROVED": L("Aval de comunicaciones dado"),
    "BRIEF_LEADER_AUTHORIZED": L("Autorización del líder de proceso dada"),
    "BRIEF_BOSS_APPROVAL_REFUSED": L("Aval del jefe inmediato rechazado"),
    "BRIEF_COMMS_APPROVAL_REFUSED": L("Aval de comunicaciones rechazado"),
    "BRIEF_LEADER_AUTHORIZATION_REFUSED": L("Autorización del líder de proceso rechazada"),
    "BRIEF_BOSS_APPROVAL_REQUESTED": L("Aval del jefe inmediato solicitado"),
    "BRIEF_COMMS_APPROVAL_REQUESTED": L("Aval de comunicaciones solicitado"),
    "BRIEF_LEADER_AUTHORIZATION_REQUESTED": L("Autorización del líder de proceso solicitada"),
    "ATTACHMENT_ADDED": L("Adjunto agregado"),
    "ATTACHMENT_DOWNLOADED": L("Adjunto descargado"),
    "ATTACHMENT_REPLACED": L("Adjunto reemplazado por una versión nueva"),
    "ATTACHMENT_MARKED_CURRENT": L("Versión anterior de un adjunto marcada como vigente"),
    "ATTACHMENT_WITHDRAWN": L("Adjunto retirado"),
    "ATTACHMENT_VERIFIED": L("Integridad de un adjunto verificada"),
    "BASE_DOWNLOADED": L("Base adjunta descargada"),
    "F559_DOWNLOADED": L("Formato F559 descargado"),
    "KICKOFF_RECORDED": L("Reunión de arranque registrada"),
    "TRAINING_RECORDED": L("Capacitación registrada"),
    "QUESTION_ASKED": L("Pregunta formulada"),
    "QUESTION_ANSWERED": L("Pregunta respondida"),
    "CHANGE_REQUEST_FILED": L("Solicitud de cambio radicada"),
    "CHANGE_REQUEST_APPROVED": L("Solicitud de cambio aprobada"),
    "CHANGE_REQUEST_REJECTED": L("Solicitud de cambio rechazada"),
    "CHANGE_REQUEST_ACKNOWLEDGED": L("Solicitud de cambio acusada por el proveedor"),
    # --- contact bases and exclusions ---
    "BASE_INSPECTED": L("Base inspeccionada"),
    "BASE_IMPORT_STARTED": L("Importación de base iniciada"),
    "BASE_IMPORTED": L("Base importada"),
    "BASE_IMPORT_FAILED": L("Importación de base fallida"),
    "BASE_IMPORT_CANCEL_REQUESTED": L("Cancelación de importación de base pedida"),
    "BASE_IMPORT_CANCELLED": L("Importación de base cancelada"),
    "BASE_REJECTS_DOWNLOADED": L("Registros rechazados de la base descargados"),
    "MANAGED_BASE_DOWNLOADED": L("Base gestionada descargada"),
    "SEGMENT_SAVED": L("Segmento guardado"),
    "SUPPRESSIONS_VIEWED": L("Lista de exclusiones consultada"),
    "SUPPRESSION_ADDED": L("Exclusión agregada"),
    "RNE_LOADED": L("Registro Nacional de Excluidos cargado"),
    "EMAIL_UNSUBSCRIBED": L("Baja de correo recibida"),
    # --- content ---
    "TEMPLATE_CREATED": L("Plantilla creada"),
    "TEMPLATE_UPDATED": L("Plantilla editada"),
    "CREATIVE_ADDED": L("Pieza gráfica agregada"),
    "CREATIVE_DOWNLOADED": L("Pieza gráfica descargada"),
    "CREATIVE_DELETED": L("Pieza gráfica eliminada"),
    "CONTENT_FROZEN": L("Contenido congelado"),
    "CONTACT_PREVIEWED": L("Vista previa con datos de un contacto"),
    "WHATSAPP_TEMPLATES_SYNCED": L("Plantillas de WhatsApp sincronizadas"),
    # --- dispatch: sweeps and provider accounts ---
    "SWEEP_CREATED": L("Barrido creado"),
    "SWEEP_PAUSED": L("Barrido pausado"),
    "SWEEP_RESUMED": L("Barrido reanudado"),
    "SWEEP_CANCELLED": L("Barrido cancelado"),
    "SWEEP_FINISHED": L("Barrido terminado"),
    "SWEEP_PAUSED_BY_PROVIDER": L("Barrido pausado por el proveedor del canal"),
    "SWEEP_PAUSED_BY_CIRCUIT": L("Barrido pausado por fallas del canal"),
    "SWEEP_RESUMED_BY_CIRCUIT": L("Barrido reanudado al recuperarse el canal"),
    "SWEEP_PAUSED_FOR_CHANGE": L("Barrido pausado por una solicitud de cambio"),
    "SWEEP_UNKNOWN_DECIDED": L("Mensajes de estado desconocido decididos"),
    "CONTACT_RULE_EXCEPTION_GRANTED": L("Excepción a las reglas de contacto concedida"),
    "PROVIDER_ACCOUNT_CREATED": L("Cuenta de canal creada"),
    "PROVIDER_ACCOUNT_UPDATED": L("Cuenta de canal editada"),
    "PROVIDER_ACCOUNT_DELETED": L("Cuenta de canal eliminada"),
    "PROVIDER_ACCOUNT_TESTED": L("Cuenta de canal probada"),
    # --- calls, conversations, cases ---
    "TYPIFICATION_DEFAULT_APPLIED": L("Tipificación por defecto aplicada"),
    "TYPIFICATION_NODE_ADDED": L("Opción de tipificación agregada"),
    "TYPIFICATION_NODE_CHANGED": L("Opción de tipificación editada"),
    "TYPIFICATION_NODE_DELETED": L("Opción de tipificación eliminada"),
    "TYPIFICATION_IMPORTED": L("Tipificación importada"),
    "TYPIFICATION_FROZEN": L("Tipificación congelada"),
    "ADVISOR_ASSIGNED": L("Asesor asignado"),
    "ADVISOR_UNASSIGNED": L("Asesor retirado"),
    "INTERACTION_RECORDED": L("Gestión registrada"),
    "INTERACTION_CHANGED": L("Gestión corregida"),
    "RECORDING_ADDED": L("Grabación agregada"),
    "RECORDING_DOWNLOADED": L("Grabación descargada"),
    "QUEUE_CONTACT_RELEASED": L("Contacto liberado de la cola"),
    "BENEFICIARY_LOOKED_UP": L("Historial de beneficiario consultado"),
    "CONVERSATION_OPENED": L("Conversación abierta"),
    "CONVERSATION_REPLIED": L("Conversación respondida"),
    "CONVERSATION_CLOSED": L("Conversación cerrada"),
    "CASE_OPENED": L("Caso abierto"),
    "CASE_ANNOTATED": L("Nota agregada al caso"),
    "CASE_CLOSED": L("Caso cerrado"),
    "CRM_LAYOUT_SAVED": L("Formato de exportación al CRM guardado"),
    "CRM_LAYOUT_DELETED": L("Formato de exportación al CRM eliminado"),
    "INTERACTIONS_EXPORTED": L("Gestiones exportadas al CRM"),
    "INTERACTION_IMPORT_STARTED": L("Importación de gestiones iniciada"),
    "INTERACTION_IMPORT_REFUSED": L("Importación de gestiones rechazada"),
    "INTERACTIONS_IMPORTED": L("Gestiones importadas"),
    # --- reports ---
    "DAILY_REPORT_SENT": L("Reporte diario enviado"),
    "DAILY_REPORT_DOWNLOADED": L("Reporte diario descargado"),
    "REPORT_VIEWED": L("Informe de campaña consultado"),
    "REPORT_DOWNLOADED": L("Informe de campaña descargado"),
    "REPORT_REGISTER_DOWNLOADED": L("Registro de destinatarios descargado"),
    "REPORT_DELIVERED_DOWNLOADED": L("Archivo entregado descargado"),
    "REPORT_CONCLUSIONS_WRITTEN": L("Conclusiones del informe escritas"),
    "REPORT_FROZEN": L("Informe congelado"),
    "MONTHLY_REPORT_SENT": L("Informe mensual enviado"),
    "SLA_REPORT_SENT": L("Informe de ANS enviado"),
    "SLA_REPORT_EXPORTED": L("Informe de ANS exportado"),
    "RECOMMENDATION_CREATED": L("Recomendación creada"),
    "RECOMMENDATION_UPDATED": L("Recomendación actualizada"),
    "RECOMMENDATION_CLOSED": L("Recomendación cerrada"),
    "QC_SAMPLE_DRAWN": L("Muestra de calidad sorteada"),
    "QC_ITEM_REVIEWED": L("Elemento de la muestra de calidad revisado"),
    # --- SLA ---
    "SLA_BREACHED": L("ANS incumplido"),
    "SLA_BREACH_EXPLAINED": L("Incumplimiento de ANS justificado"),
    # --- evidence and retention ---
    "CERTIFICATE_ISSUED": L("Certificado emitido"),
    "CERTIFICATE_DOWNLOADED": L("Certificado descargado"),
    "EXPEDIENTE_EXPORTED": L("Expediente exportado"),
    "FILE_PURGED": L("Archivo depurado por retención"),
    # --- personal data (habeas data) ---
    "DATA_SUBJECT_SEARCHED": L("Titular de datos buscado"),
    "DATA_SUBJECT_EXPORTED": L("Datos de un titular exportados"),
    "DATA_SUBJECT_ERASED": L("Datos de un titular suprimidos"),
}

# Keys found in events' details; a key not listed reads as itself.
DETAIL_LABELS: dict[str, StrOrPromise] = {
    "accepted": L("Aceptado"),
    "account": L("Cuenta"),
    "added": L("Agregados"),
    "advisor": L("Asesor"),
    "advisors": L("Asesores"),
    "area": L("Área"),
    "attachment": L("Adjunto"),
    "base": L("Base"),
    "billable": L("Facturable"),
    "brief": L("Brief"),
    "briefs": L("Briefs"),
    "business_days": L("Días hábiles"),
    "bytes": L("Bytes"),
    "campaigns": L("Campañas"),
    "case": L("Caso"),
    "certificate": L("Certificado"),
    "change": L("Cambio"),
    "changed": L("Cambiados"),
    "channel": L("Canal"),
    "channels": L("Canales"),
    "characters": L("Caracteres"),
    "clock": L("Reloj de ANS"),
    "clocks": L("Relojes de ANS"),
    "code": L("Código"),
    "columns": L("Columnas"),
    "contact": L("Contacto"),
    "conversation": L("Conversación"),
    "creative": L("Pieza gráfica"),
    "creatives": L("Piezas gráficas"),
    "day": L("Día"),
    "decision": L("Decisión"),
    "desde": L("Desde"),
    "due_at": L("Vence"),
    "due_date": L("Fecha límite"),
    "email": L("Correo"),
    "errors": L("Errores"),
    "fields": L("Campos"),
    "file": L("Archivo"),
    "filters": L("Filtros"),
    "format": L("Formato"),
    "from": L("Desde el estado"),
    "hasta": L("Hasta"),
    "id": L("Id"),
    "inbound": L("Mensaje entrante"),
    "interaction": L("Gestión"),
    "interactions": L("Gestiones"),
    "kind": L("Tipo"),
    "label": L("Etiqueta"),
    "layout": L("Formato"),
    "message": L("Mensaje"),
    "messages": L("Mensajes"),
    "month": L("Mes"),
    "name": L("Nombre"),
    "node": L("Opción"),
    "note": L("Nota"),
    "number": L("Número"),
    "period": L("Periodo"),
    "previous_current": L("Vigente antes"),
    "q": L("Buscar"),
    "reason": L("Motivo"),
    "recordings": L("Grabaciones"),
    "replaces": L("Reemplaza a"),
    "replaces_version": L("Versión reemplazada"),
    "result": L("Resultado"),
    "roles": L("Roles"),
    "rows": L("Filas"),
    "segment": L("Segmento"),
    "size": L("Tamaño"),
    "sweep": L("Barrido"),
    "template": L("Plantilla"),
    "templates": L("Plantillas"),
    "tipo": L("Evento"),
    "to": L("Para"),
    "total": L("Total"),
    "version": L("Versión"),
    "was_current": L("Era la vigente"),
}


class Labels:
    """The label tables resolved in one language, to format many events: resolving a lazy
    label walks gettext's fallback chain (~0.05 ms), so an export reads each one once."""

    def __init__(self) -> None:
        self.events = {code: str(label) for code, label in AUDIT_LABELS.items()}
        self.keys = {key: str(label) for key, label in DETAIL_LABELS.items()}
        self.yes, self.no = _("sí"), _("no")

    def event(self, code: str) -> str:
        return self.events.get(code, code)

    def key(self, key: str) -> str:
        return self.keys.get(key, key)

    def value(self, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return self.yes if value else self.no
        if isinstance(value, dict):
            return "; ".join(f"{self.key(str(k))}: {self.value(v)}" for k, v in value.items())
        if isinstance(value, list | tuple | set):
            return ", ".join(self.value(v) for v in value) or "—"
        return str(value)

    def items(self, details: Any) -> list[tuple[str, str]]:
        """``details`` as (Spanish key, readable value) pairs; a non-dict is one unnamed
        value."""
        if not details:
            return []
        if not isinstance(details, dict):
            return [("", self.value(details))]
        return [(self.key(str(k)), self.value(v)) for k, v in details.items()]

    def text(self, details: Any) -> str:
        """``details`` as one line: ``Clave: valor · Clave: valor``."""
        return " · ".join(f"{k}: {v}" if k else v for k, v in self.items(details))


@lru_cache(maxsize=8)
def _labels(language: str | None) -> Labels:
    return Labels()


def labels() -> Labels:
    """The labels in the active language (built once per language)."""
    return _labels(get_language())


def event_label(code: str) -> str:
    """The Spanish label of an audit code (the code itself when none is known)."""
    return labels().event(code)


def detail_label(key: str) -> str:
    """The Spanish label of a details key (the key itself when none is known)."""
    return labels().key(key)


def detail_items(details: Any) -> list[tuple[str, str]]:
    """``details`` as (Spanish key, readable value) pairs, never a Python repr."""
    return labels().items(details)


def details_text(details: Any) -> str:
    """``details`` as one line: ``Clave: valor · Clave: valor``."""
    return labels().text(details)


def fold(text: str) -> str:
    """Lower case without accents, for matching typed words against labels."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def codes_matching(word: str) -> list[str]:
    """The audit codes whose Spanish label contains ``word`` (case and accents ignored)."""
    wanted = fold(word)
    return [code for code, label in AUDIT_LABELS.items() if wanted in fold(str(label))]


def keys_matching(word: str) -> list[str]:
    """The details keys whose Spanish label contains ``word`` (case and accents ignored)."""
    wanted = fold(word)
    return [key for key, label in DETAIL_LABELS.items() if wanted in fold(str(label))]
