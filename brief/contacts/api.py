"""Contacts API: contact bases (inspect, import, follow, cancel, rejects, segments), suppression
lists."""

from __future__ import annotations

from pathlib import Path

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from brief.campaigns.models import Attachment, Brief
from brief.campaigns.vocabulary import CHANNELS
from brief.core.api import request_object
from brief.core.exceptions import Forbidden, Invalid
from brief.core.schema import errors

from . import actions
from .choices import SuppressionChannel, SuppressionSource
from .exports import XLSX_TYPE, rejects_response
from .filters import SuppressionFilter
from .models import ContactBase, Segment, Suppression

RNE_UPLOAD = {
    "type": "object",
    "properties": {"file": {"type": "string", "format": "binary"}},
    "required": ["file"],
}


class ContactBaseSerializer(serializers.ModelSerializer):
    brief = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ContactBase
        fields = [
            "id",
            "brief",
            "source_name",
            "sheet",
            "status",
            "stage",
            "progress",
            "mapping",
            "channels",
            "summary",
            "rows_total",
            "rows_usable",
            "error_code",
            "error_message",
            "created_at",
            "started_at",
            "finished_at",
        ]


class ImportSerializer(serializers.Serializer):
    attachment = serializers.IntegerField()
    mapping = serializers.DictField(child=serializers.CharField(), required=False)
    channels = serializers.ListField(child=serializers.CharField(), required=False)
    sheet = serializers.CharField(required=False, allow_blank=True, default="")


class SegmentCountSerializer(serializers.Serializer):
    filters = serializers.DictField(required=False, help_text="filtros del segmento")


class SegmentCountsSerializer(serializers.Serializer):
    """Live counts of a segment: total, eligible per channel, held back by suppressions."""

    total = serializers.IntegerField()
    suppressed = serializers.IntegerField()
    suppressed_by_channel = serializers.DictField(child=serializers.IntegerField())

    def get_fields(self):
        fields = super().get_fields()
        for channel in CHANNELS:
            fields[channel] = serializers.IntegerField(help_text="contactos aptos en el canal")
        return fields


class SegmentSerializer(serializers.ModelSerializer):
    counts = serializers.SerializerMethodField()

    class Meta:
        model = Segment
        fields = ["id", "name", "filters", "created_at", "counts"]
        read_only_fields = ["created_at"]

    @extend_schema_field(SegmentCountsSerializer)
    def get_counts(self, segment) -> dict:
        return actions.segment_counts(segment.base, segment.filters)


class SuppressionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Suppression
        fields = ["id", "channel", "value", "source", "reason", "created_at"]
        read_only_fields = ["created_at"]


def _attachment_for(user, attachment_id: int) -> Attachment:
    attachment = get_object_or_404(Attachment.objects.select_related("brief"), pk=attachment_id)
    if not Brief.objects.visible_to(user).filter(pk=attachment.brief_id).exists():
        raise Forbidden(gettext("No tiene acceso a este adjunto."))
    return attachment


class ContactBaseViewSet(viewsets.ReadOnlyModelViewSet):
    """Imports of contact bases the caller may see (scoped by the brief)."""

    serializer_class = ContactBaseSerializer

    def get_queryset(self):
        briefs = Brief.objects.visible_to(self.request.user).values("pk")
        return ContactBase.objects.filter(brief__in=briefs).select_related("brief")

    def get_object(self):
        pk = str(self.kwargs["pk"])
        if not pk.isdigit():
            raise Http404(gettext("No encontrado."))
        base = get_object_or_404(ContactBase.objects.select_related("brief"), pk=int(pk))
        actions.check_base_access(base, self.request.user)
        return base

    @extend_schema(
        request=ImportSerializer, responses={202: ContactBaseSerializer, **errors(404, 507)}
    )
    def create(self, request):
        payload = ImportSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        base = actions.start_import(
            _attachment_for(request.user, data["attachment"]),
            actor=request.user,
            mapping=data.get("mapping"),
            channels=data.get("channels"),
            sheet=data["sheet"],
            request=request,
        )
        return Response(ContactBaseSerializer(base).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=ImportSerializer, responses={200: OpenApiTypes.OBJECT, **errors(404)})
    @action(detail=False, methods=["post"], parser_classes=[JSONParser, FormParser])
    def inspect(self, request):
        data = request_object(request)
        raw = str(data.get("attachment") or "")
        if not raw.isdigit():
            raise Invalid(
                gettext("Indique el adjunto de la base (su id)."),
                code="required",
                field="attachment",
            )
        attachment = _attachment_for(request.user, int(raw))
        return Response(
            actions.inspect_attachment(
                attachment,
                actor=request.user,
                sheet=str(data.get("sheet") or "") or None,
                request=request,
            )
        )

    @extend_schema(request=None, responses=ContactBaseSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        base = actions.cancel_import(self.get_object(), actor=request.user, request=request)
        return Response(ContactBaseSerializer(base).data)

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["csv", "xlsx"])],
        responses={(200, "text/csv"): bytes, (200, XLSX_TYPE): bytes},
    )
    @action(detail=True, methods=["get"])
    def rejects(self, request, pk=None):
        base = self.get_object()
        if not base.rejects_file:
            raise Invalid(
                gettext("Esta base no tiene un archivo de rechazados."), code="no_rejects"
            )
        fmt = request.query_params.get("format", "csv")
        if fmt not in {"csv", "xlsx"}:
            raise Invalid(
                gettext("Formato no disponible: use csv o xlsx."), code="bad_format", field="format"
            )
        actions.check_base_access(
            base, request.user, request=request, what="BASE_REJECTS_DOWNLOADED"
        )
        return rejects_response(base, fmt)

    @extend_schema(methods=["GET"], responses=SegmentSerializer(many=True))
    @extend_schema(methods=["POST"], request=SegmentSerializer, responses={201: SegmentSerializer})
    @action(detail=True, methods=["get", "post"], parser_classes=[JSONParser])
    def segments(self, request, pk=None):
        base = self.get_object()
        if request.method == "GET":
            return Response(SegmentSerializer(base.segments.all(), many=True).data)
        data = request_object(request)
        filters = data.get("filters") or {}
        if not isinstance(filters, dict):
            raise Invalid(
                gettext("Los filtros deben ser un objeto."), code="bad_filter", field="filters"
            )
        segment = actions.save_segment(
            base,
            actor=request.user,
            name=str(data.get("name", "")),
            filters=filters,
            request=request,
        )
        return Response(SegmentSerializer(segment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SegmentCountSerializer, responses=SegmentCountsSerializer)
    @action(detail=True, methods=["post"], url_path="segments/count", parser_classes=[JSONParser])
    def count(self, request, pk=None):
        base = self.get_object()
        filters = request_object(request).get("filters") or {}
        if not isinstance(filters, dict):
            raise Invalid(
                gettext("Los filtros deben ser un objeto."), code="bad_filter", field="filters"
            )
        return Response(actions.segment_counts(base, filters))


class SuppressionViewSet(viewsets.ModelViewSet):
    """Suppression lists (opt-outs, RNE, manual entries), shared by every campaign."""

    serializer_class = SuppressionSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_class = SuppressionFilter

    queryset = Suppression.objects.none()

    def get_queryset(self):
        if not actions.may_read_suppressions(self.request.user):
            return Suppression.objects.none()
        return Suppression.objects.all()

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        self._log_read(request, {"filters": request.query_params.dict()})
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        self._log_read(request, {"suppression": response.data.get("id")})
        return response

    @staticmethod
    def _log_read(request, details: dict) -> None:
        if actions.may_read_suppressions(request.user):  # the others got an empty list
            actions.log_suppressions_read(request.user, request=request, details=details)

    def create(self, request):
        data = request_object(request)
        entry = actions.add_suppression(
            actor=request.user,
            channel=str(data.get("channel", SuppressionChannel.ALL)),
            value=str(data.get("value", "")),
            source=str(data.get("source", SuppressionSource.MANUAL)),
            reason=str(data.get("reason", "")),
            request=request,
        )
        return Response(SuppressionSerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": RNE_UPLOAD}, responses={201: OpenApiTypes.OBJECT}
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser])
    def rne(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise Invalid(gettext("Adjunte el archivo del RNE."), code="required", field="file")
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=Path(upload.name).suffix) as tmp:
            for chunk in upload.chunks():
                tmp.write(chunk)
            tmp.flush()
            result = actions.load_rne(Path(tmp.name), actor=request.user, request=request)
        return Response(result, status=status.HTTP_201_CREATED)
