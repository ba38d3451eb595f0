"""Home, health, the favicon and the audit log."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import FileResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from brief.core.roles import AUDIT_READERS

from . import audit
from .forms import AuditFilterForm
from .tabular import download

AUDIT_PAGE_SIZE = 50


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


FAVICON = Path(__file__).parent / "static" / "core" / "favicon.ico"


@require_GET
def favicon(request):
    """``/favicon.ico`` for browsers and tools that ask for it whatever the page links (the
    pages link ``core/favicon.svg``), served from the static file of the same icon."""
    response = FileResponse(FAVICON.open("rb"), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def _require_audit_reader(user) -> None:
    if not user.has_role(*AUDIT_READERS):
        raise PermissionDenied(_("Solo control interno y OCM pueden ver la auditoría."))


def _audit_page(request, form: AuditFilterForm, status: int = 200):
    """The log (or its rows, for htmx) under ``form``'s filters; nothing listed when the
    filters are wrong (their errors are shown instead)."""
    page, query = None, ""
    if form.is_valid():
        data = form.cleaned_data
        events = audit.search(
            words=data["q"], type=data["tipo"], since=data["desde"], until=data["hasta"]
        )
        page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
        query = urlencode(form.filters())
    template = "core/partials/audit_rows.html" if request.htmx else "core/audit_list.html"
    context = {"form": form, "page": page, "query": query, "formats": audit.EXPORT_FORMATS}
    return render(request, template, context, status=status)


@login_required
def audit_list(request):
    """Read-only audit log for internal control and OCM: word search, event, dates; paged."""
    _require_audit_reader(request.user)
    return _audit_page(request, AuditFilterForm(request.GET))


@login_required
@require_GET
def audit_export(request):
    """The filtered log as CSV (streamed) or XLSX (written to a temporary file chunk by chunk,
    then streamed); the export is itself audited as ``AUDIT_EXPORTED``."""
    _require_audit_reader(request.user)
    form = AuditFilterForm(request.GET)
    fmt = request.GET.get("formato", "")
    if fmt not in audit.EXPORT_FORMATS:
        form.is_valid()
        form.add_error(None, _("Elija el formato de exportación: CSV o XLSX."))
    if not form.is_valid():
        return _audit_page(request, form, status=400)
    data = form.cleaned_data
    events = audit.search(
        words=data["q"], type=data["tipo"], since=data["desde"], until=data["hasta"]
    )
    rows, _count = audit.export(
        events, actor=request.user, fmt=fmt, filters=form.filters(), request=request
    )
    return download(
        fmt,
        audit.export_header(),
        audit.export_frames(rows),
        name=f"auditoria-{timezone.localtime():%Y%m%d-%H%M}",
        sheet=_("Auditoría"),
    )
