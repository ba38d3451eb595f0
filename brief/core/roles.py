"""The roles of DESIGN §1, a vocabulary every layer reads; stored as auth groups by code."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SOLICITANTE = "solicitante", _("Solicitante (área misional)")
    JEFE = "jefe", _("Jefe inmediato")
    COMUNICACIONES = "comunicaciones", _("Comunicaciones")
    ANALISTA_OCM = "analista_ocm", _("Analista OCM")
    LIDER_PROCESO = "lider_proceso", _("Líder de proceso")
    PROVEEDOR = "proveedor", _("Proveedor (director de canal)")
    ASESOR = "asesor", _("Asesor del proveedor")
    APOYO_FRONT = "apoyo_front", _("Apoyo front")
    AUDITOR = "auditor", _("Auditor (control interno)")


# Roles that see every area's objects (read); writing is still checked per action.
ALL_AREAS_ROLES = frozenset(
    {Role.ANALISTA_OCM, Role.LIDER_PROCESO, Role.AUDITOR, Role.COMUNICACIONES, Role.APOYO_FRONT}
)
# Roles bound to a requesting area.
AREA_ROLES = frozenset({Role.SOLICITANTE, Role.JEFE})
# Roles bound to the contact-center provider.
PROVIDER_ROLES = frozenset({Role.PROVEEDOR, Role.ASESOR})
# Roles allowed to read the audit log.
AUDIT_READERS = frozenset({Role.AUDITOR, Role.ANALISTA_OCM})
# Roles that handle data-subject requests (Ley 1581): search, export, erase.
DATA_PROTECTION_ROLES = frozenset({Role.ANALISTA_OCM, Role.LIDER_PROCESO})
