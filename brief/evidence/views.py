"""Pages of evidence: the public verification page, issuing from the brief or the history,
the certificate's PDF and the expediente download (thin: permission, one action, render)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brief.campaigns.permissions import may_view, visible_brief
from brief.core.exceptions import Refusal

from . import actions
from .certificate import public_summary
from .models import Certificate


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request, code: str):
    """``/verificar/<code>``: anyone sees the certificate's public summary (no personal
    data) and may upload a PDF to check it is that certificate, unchanged."""
    cert = Certificate.objects.select_related("brief").filter(code=code).first()
    context: dict = {
        "code": code,
        "cert": cert,
        "summary": public_summary(cert) if cert else None,
        "can_download": bool(cert and may_view(request.user, cert.brief)),
    }
    status = 200 if cert else 404
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = _("Cargue el PDF del certificado.")
        elif upload.size > settings.BRIEF_MAX_UPLOAD_BYTES:
            context["error"] = _("El archivo es demasiado grande.")
        else:
            try:
                context["result"] = actions.verify_certificate(upload.read(), expected_code=code)
            except Refusal as exc:
                context["error"] = exc.message
        if context.get("error"):
            status = 400
    return render(request, "evidence/verify.html", context, status=status)


def _back(request, fallback: str):
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


@login_required
@require_POST
def certificate_issue(request):
    """«Certificar envío»: the brief page posts ``brief``, the beneficiary history ``message``;
    the new certificate opens on its verification page (with its download)."""
    code, message = request.POST.get("brief") or "", request.POST.get("message") or ""
    brief = visible_brief(request.user, code) if code else None
    try:
        cert = actions.issue_certificate(
            brief=brief, message=None if brief else message or None, actor=request.user,
            request=request,
        )  # fmt: skip
    except Refusal as exc:
        messages.error(request, exc.message)
        return _back(request, "campaigns:brief_list")
    messages.success(request, _("Certificado %(code)s emitido y firmado.") % {"code": cert.code})
    return redirect("evidence:verify", code=cert.code)


@login_required
@require_GET
def certificate_pdf(request, code: str):
    """The signed PDF (the download is audit-logged)."""
    cert = actions.read_certificate(code, actor=request.user, request=request, download=True)
    try:
        handle = cert.pdf.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404(_("El PDF ya no está disponible.")) from exc
    return FileResponse(handle, filename=f"{cert.code}.pdf", content_type="application/pdf")


@login_required
@require_GET
def expediente(request, code: str):
    """``/briefs/<code>/expediente.zip``: the brief's whole file (OCM, internal control)."""
    brief = visible_brief(request.user, code)
    handle = actions.export_expediente(brief, actor=request.user, request=request)
    return FileResponse(
        handle, as_attachment=True, filename=f"expediente-{brief.code}.zip",
        content_type="application/zip",
    )  # fmt: skip
