"""Contact-center API: a brief's typification tree (``/api/v1/briefs/{code}/typification/``)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from brief.campaigns.permissions import visible_brief
from brief.core.api import BRIEF_CODE_PARAM, request_object

from . import actions, typification
from .choices import FLAGS, MAX_RETRY_HOURS
from .models import TypificationNode

ID_PARAM = OpenApiParameter("pk", OpenApiTypes.INT, OpenApiParameter.PATH)


class TypificationNodeSerializer(serializers.Serializer):
    """A node of the tree with its flags and children (read)."""

    id = serializers.IntegerField(source="pk")
    label = serializers.CharField()
    level = serializers.CharField()
    code = serializers.CharField()
    flags = serializers.DictField()
    frozen = serializers.BooleanField()
    children = serializers.SerializerMethodField()

    def get_children(self, node) -> list[dict]:
        return TypificationNodeSerializer(node.children, many=True).data


class TypificationNodeWriteSerializer(serializers.Serializer):
    parent = serializers.IntegerField(required=False, allow_null=True)
    label = serializers.CharField(required=False, max_length=120)
    code = serializers.CharField(required=False, allow_blank=True, max_length=30)
    retry_after_hours = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_RETRY_HOURS
    )

    def get_fields(self):
        fields = super().get_fields()
        for name in FLAGS:
            fields[name] = serializers.BooleanField(required=False)
        return fields


class TypificationImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV o XLSX")


def _tree(brief) -> dict:
    roots = typification.stored_tree(brief)
    return {
        "brief": brief.code,
        "frozen": any(r.frozen for r in roots),
        "default": not roots,
        "nodes": TypificationNodeSerializer(roots or typification.default_tree(), many=True).data,
    }


class BriefTypificationViewSet(viewsets.GenericViewSet):
    """The brief's typification tree. GET lists it (the default tree, ``"default": true``, while
    it has none); POST adds a node; PATCH/DELETE ``{id}/`` change or remove one; ``import/``
    replaces it from a CSV/XLSX file; ``default/`` stores the default tree to edit it."""

    parser_classes = [JSONParser]
    serializer_class = TypificationNodeWriteSerializer
    queryset = TypificationNode.objects.none()
    lookup_value_regex = r"\d+"
    route_names = {"list": "brief_typification"}

    def _node(self, code, pk) -> TypificationNode:
        brief = visible_brief(self.request.user, code)
        return get_object_or_404(
            TypificationNode.objects.select_related("brief"), pk=pk, brief=brief
        )

    @extend_schema(parameters=[BRIEF_CODE_PARAM], responses=OpenApiTypes.OBJECT)
    def list(self, request, code=None):
        return Response(_tree(visible_brief(request.user, code)))

    @extend_schema(
        parameters=[BRIEF_CODE_PARAM],
        request=TypificationNodeWriteSerializer,
        responses=OpenApiTypes.OBJECT,
    )
    def create(self, request, code=None):
        brief = visible_brief(request.user, code)
        payload = TypificationNodeWriteSerializer(data=request_object(request))
        payload.is_valid(raise_exception=True)
        node = actions.add_typification_node(
            brief, actor=request.user, data=payload.validated_data, request=request
        )
        return Response({"id": node.pk, **_tree(brief)}, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[BRIEF_CODE_PARAM, ID_PARAM],
        request=TypificationNodeWriteSerializer,
        responses=OpenApiTypes.OBJECT,
    )
    def partial_update(self, request, code=None, pk=None):
        node = self._node(code, pk)
        payload = TypificationNodeWriteSerializer(data=request_object(request), partial=True)
        payload.is_valid(raise_exception=True)
        data = {k: v for k, v in payload.validated_data.items() if k != "parent"}
        actions.update_typification_node(node, actor=request.user, data=data, request=request)
        return Response(_tree(node.brief))

    @extend_schema(parameters=[BRIEF_CODE_PARAM, ID_PARAM], responses={204: None})
    def destroy(self, request, code=None, pk=None):
        node = self._node(code, pk)
        actions.delete_typification_node(node, actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[BRIEF_CODE_PARAM],
        request=TypificationImportSerializer,
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=False, methods=["post"], url_path="import",
            parser_classes=[MultiPartParser, FormParser])  # fmt: skip
    def import_file(self, request, code=None):
        brief = visible_brief(request.user, code)
        payload = TypificationImportSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        actions.import_typification(
            brief, actor=request.user, upload=payload.validated_data["file"], request=request
        )
        return Response(_tree(brief), status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[BRIEF_CODE_PARAM], request=None, responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["post"], url_path="default")
    def apply_default(self, request, code=None):
        brief = visible_brief(request.user, code)
        actions.apply_default_typification(brief, actor=request.user, request=request)
        return Response(_tree(brief), status=status.HTTP_201_CREATED)
