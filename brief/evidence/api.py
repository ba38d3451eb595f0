"""API of evidence: sending certificates (issue, read, download, verify) and the expediente."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from brief.campaigns.permissions import visible_brief
from brief.core.api import BRIEF_CODE_PARAM, request_object
from brief.core.exceptions import Invalid
from brief.core.schema import errors

from . import actions

CODE_PARAM = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH)
UPLOAD_SCHEMA = {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}


def read_upload(request) -> bytes:
    """The uploaded ``file`` as bytes (400 when absent or over the upload limit)."""
    upload = request.FILES.get("file")
    if upload is None:
        raise Invalid(gettext("Cargue el PDF del certificado."), code="required", field="file")
    if upload.size > settings.BRIEF_MAX_UPLOAD_BYTES:
        raise Invalid(gettext("El archivo es demasiado grande."), code="too_large", field="file")
    return upload.read()


def certificate_json(cert, request) -> dict:
    return {
        "code": cert.code,
        "scope": cert.scope,
        "brief": cert.brief.code,
        "message": cert.message_id,
        "issued_at": cert.issued_at,
        "issued_by": cert.issued_by.username,
        "sha256": cert.sha256,
        "size": cert.size,
        "pdf": pdf_url(cert.code, request),
        "verify_url": actions.verify_url(cert.code),
        "statement": cert.statement,
    }


def pdf_url(code: str, request) -> str:
    return request.build_absolute_uri(f"{reverse('api:certificate', args=[code])}?format=pdf")


class CertificateViewSet(viewsets.ViewSet):
    """Sending certificates: ``POST`` ``{"brief": code}`` or ``{"message": id}`` issues one;
    ``GET {code}/`` answers its JSON (``?format=pdf``: the signed PDF); ``POST verify/`` checks
    an uploaded PDF (open to anyone, like the page ``/verificar/<code>``)."""

    lookup_field = "code"
    lookup_value_regex = r"CERT-[0-9]{4}-[0-9]+"
    route_names = {"list": "certificates", "detail": "certificate", "verify": "certificate_verify"}
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT, **errors(404, 507)}
    )
    def create(self, request):
        data = request_object(request)
        brief_code, message = data.get("brief"), data.get("message")
        if bool(brief_code) == (message not in (None, "")):
            raise Invalid(
                gettext("Indique «brief» (campaña completa) o «message» (un mensaje)."),
                code="scope_required",
            )
        brief = visible_brief(request.user, str(brief_code)) if brief_code else None
        cert = actions.issue_certificate(
            brief=brief, message=message if brief is None else None, actor=request.user,
            request=request,
        )  # fmt: skip
        return Response(
            {"code": cert.code, "pdf": pdf_url(cert.code, request)}, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        parameters=[CODE_PARAM, OpenApiParameter("format", str, enum=["json", "pdf"])],
        responses=OpenApiTypes.OBJECT,
    )
    def retrieve(self, request, code=None):
        fmt = request.query_params.get("format", "json")
        if fmt not in ("json", "pdf"):
            raise Invalid(
                gettext("Formato no disponible: use json o pdf."), code="bad_format", field="format"
            )
        cert = actions.read_certificate(
            str(code), actor=request.user, request=request, download=fmt == "pdf"
        )
        if fmt == "pdf":
            return FileResponse(
                cert.pdf.open("rb"), filename=f"{cert.code}.pdf", content_type="application/pdf"
            )
        return Response(certificate_json(cert, request))

    @extend_schema(request={"multipart/form-data": UPLOAD_SCHEMA}, responses=OpenApiTypes.OBJECT)
    @action(
        detail=False,
        methods=["post"],
        permission_classes=[permissions.AllowAny],
        parser_classes=[MultiPartParser],
    )
    def verify(self, request):
        result = actions.verify_certificate(read_upload(request))
        return Response(result.as_dict())


class BriefExpedienteViewSet(viewsets.ViewSet):
    """``GET /api/v1/briefs/{code}/expediente/``: the brief's whole file as a ZIP with its
    manifest (OCM and internal control)."""

    route_names = {"list": "brief_expediente"}

    @extend_schema(parameters=[BRIEF_CODE_PARAM], responses={(200, "application/zip"): bytes})
    def list(self, request, code=None):
        brief = visible_brief(request.user, str(code))
        handle = actions.export_expediente(brief, actor=request.user, request=request)
        return FileResponse(
            handle, as_attachment=True, filename=f"expediente-{brief.code}.zip",
            content_type="application/zip",
        )  # fmt: skip
