"""Template context for the UI shell: navigation by role."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from brief.core.roles import AUDIT_READERS, DATA_PROTECTION_ROLES, Role

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# (label, url name, roles that see it; empty = every signed-in user)
NAVIGATION: list[tuple[StrOrPromise, str, frozenset[str]]] = [
    (_("Inicio"), "core:home", frozenset()),
    (_("Briefs"), "campaigns:brief_list", frozenset()),
    (
        _("Tablero OCM"),
        "campaigns:board",
        frozenset({Role.ANALISTA_OCM, Role.LIDER_PROCESO, Role.AUDITOR}),
    ),
    (_("Puesto de llamadas"), "calls:workbench_home", frozenset({Role.ASESOR})),
    (
        _("Historial del beneficiario"),
        "calls:history",
        frozenset({Role.ASESOR, Role.PROVEEDOR, Role.ANALISTA_OCM, Role.AUDITOR}),
    ),
    (
        _("Exclusiones"),
        "contacts:suppressions",
        frozenset({Role.ANALISTA_OCM, Role.PROVEEDOR, Role.AUDITOR}),
    ),
    (
        _("Conversaciones"),
        "calls:conversations",
        frozenset({Role.ASESOR, Role.PROVEEDOR, Role.ANALISTA_OCM}),
    ),
    (
        _("Casos"),
        "calls:cases",
        frozenset({Role.ASESOR, Role.PROVEEDOR, Role.ANALISTA_OCM, Role.AUDITOR}),
    ),
    # --- CRM export, bulk import, billing statement ---
    (
        _("Exportar al CRM"),
        "calls:export",
        frozenset({Role.ANALISTA_OCM, Role.SOLICITANTE, Role.PROVEEDOR, Role.AUDITOR}),
    ),
    (_("Importar interacciones"), "calls:import", frozenset({Role.PROVEEDOR})),
    (
        _("Estado de cuenta"),
        "calls:statement",
        frozenset({Role.ANALISTA_OCM, Role.PROVEEDOR, Role.AUDITOR}),
    ),
    (_("Auditoría"), "core:audit_list", AUDIT_READERS),
    (_("Datos personales"), "privacy:search", DATA_PROTECTION_ROLES),
    # --- monthly reports, QC sample ---
    (
        _("Informe mensual"),
        "reports:monthly",
        frozenset(
            {
                Role.ANALISTA_OCM,
                Role.LIDER_PROCESO,
                Role.AUDITOR,
                Role.SOLICITANTE,
                Role.JEFE,
                Role.PROVEEDOR,
            }
        ),
    ),
    (
        _("Recomendaciones"),
        "reports:recommendation_list",
        frozenset({Role.ANALISTA_OCM, Role.LIDER_PROCESO, Role.AUDITOR, Role.PROVEEDOR}),
    ),
    (
        _("Muestreo de calidad"),
        "reports:qc_list",
        frozenset({Role.ANALISTA_OCM, Role.LIDER_PROCESO, Role.AUDITOR}),
    ),
    (_("Informe de ANS"), "reports:sla_report", frozenset({Role.ANALISTA_OCM, Role.AUDITOR})),
]


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for label, url_name, roles in NAVIGATION:
        if roles and not user.has_role(*roles):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue  # the app providing it is not installed yet
        items.append({"name": url_name, "label": str(label), "url": url, "active": False})
    if user.is_staff:  # Django's admin lets in staff only
        items.append(
            {
                "name": "admin:index",
                "label": str(_("Administración")),
                "url": reverse("admin:index"),
                "active": False,
            }
        )
    # Only the longest matching prefix is the current section (/briefs/tablero/ is the
    # board, not also «Briefs»); "/" matches the home page alone.
    matches = [
        item
        for item in items
        if (request.path == "/" if item["url"] == "/" else request.path.startswith(item["url"]))
    ]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    return {"nav_items": items}
