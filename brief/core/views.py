"""Home, health and the audit log."""

from __future__ import annotations

import time

import django_filters
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from brief.core.roles import AUDIT_READERS

from .models import AuditEvent


@login_required
def home(request):
    """The landing page: what this user can do next, then the panels of the apps above the
    core (``settings.HOME_PANELS``: dotted paths of ``f(request) -> html | None``)."""
    panels = [import_string(path)(request) for path in settings.HOME_PANELS]
    return render(request, "core/home.html", {"panels": [p for p in panels if p]})


def _check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return {"status": "error", "error": exc.__class__.__name__}
    return {
        "status": "ok",
        "vendor": connection.vendor,
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }


def _check_broker() -> dict:
    from brief.celery import app

    started = time.perf_counter()
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as exc:  # any transport error means "down"
        return {"status": "error", "error": exc.__class__.__name__}
    return {
        "status": "ok",
        "transport": str(transport),
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }


@never_cache
@require_GET
def health(request):
    """Database and broker status as JSON; 503 when either is down."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    ok = all(c["status"] == "ok" for c in checks.values())
    return JsonResponse({"status": "ok" if ok else "error", **checks}, status=200 if ok else 503)


class AuditEventFilter(django_filters.FilterSet):
    type = django_filters.CharFilter(label=gettext_lazy("Tipo"), lookup_expr="icontains")
    actor = django_filters.CharFilter(
        label=gettext_lazy("Usuario"), field_name="actor_label", lookup_expr="icontains"
    )
    target = django_filters.CharFilter(
        label=gettext_lazy("Objeto"), field_name="target_repr", lookup_expr="icontains"
    )
    desde = django_filters.DateFilter(
        label=gettext_lazy("Desde"), field_name="at", lookup_expr="date__gte"
    )
    hasta = django_filters.DateFilter(
        label=gettext_lazy("Hasta"), field_name="at", lookup_expr="date__lte"
    )

    class Meta:
        model = AuditEvent
        fields: list[str] = []


@login_required
def audit_list(request):
    """Read-only audit log for internal control and OCM, filterable."""
    if not request.user.has_role(*AUDIT_READERS):
        raise PermissionDenied(_("Solo control interno y OCM pueden ver la auditoría."))
    filterset = AuditEventFilter(request.GET, queryset=AuditEvent.objects.select_related("actor"))
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    template = "core/partials/audit_rows.html" if request.htmx else "core/audit_list.html"
    return render(request, template, {"filter": filterset, "page": page})
