"""``/api/v1/data-subjects/``: the data-subject screen as an API (search, export, erase)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from brief.core.api import form_data, request_object
from brief.core.schema import OneObjectSchema

from . import subject as subjects
from .forms import RequestForm, SubjectForm
from .views import require_data_protection


class ItemSerializer(serializers.Serializer):
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    pk = serializers.IntegerField()
    brief = serializers.CharField(help_text="código de la campaña (vacío si no aplica)")
    at = serializers.CharField(allow_null=True)
    data = serializers.DictField(required=False, help_text="los datos personales del elemento")
    action = serializers.ChoiceField(choices=list(subjects.ACTION_LABELS))
    action_label = serializers.CharField()
    keep_until = serializers.DateField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)


class SubjectSerializer(serializers.Serializer):
    doc_number = serializers.CharField()
    doc_type = serializers.CharField(allow_blank=True)
    persons = serializers.ListField(child=serializers.CharField())
    count = serializers.IntegerField()
    kept = serializers.IntegerField(help_text="elementos que la retención conserva")
    erased = serializers.IntegerField(help_text="elementos que la supresión anonimiza o borra")
    items = ItemSerializer(many=True)


class RequestSerializer(serializers.Serializer):
    doc_number = serializers.CharField(max_length=40)
    doc_type = serializers.CharField(max_length=10, required=False, allow_blank=True)
    reference = serializers.CharField(max_length=120, help_text="radicado de la solicitud")


class ErasureSerializer(RequestSerializer):
    confirm = serializers.BooleanField(help_text="debe ser true")


class HandledSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField()
    items = ItemSerializer(many=True)
    kept = serializers.IntegerField()
    erased = serializers.IntegerField()


def _subject_json(subject: subjects.Subject) -> dict:
    return {
        "doc_number": subject.doc_number,
        "doc_type": subject.doc_type,
        "persons": subject.persons,
        "count": len(subject.items),
        "kept": subject.kept_count,
        "erased": subject.erased_count,
        "items": [item.as_dict() for item in subject.items],
    }


class DataSubjectViewSet(viewsets.ViewSet):
    """``GET ?doc_number=`` finds everything about a person (logged); ``POST export/`` files an
    access request and answers the data; ``POST erase/`` erases or anonymises all but what
    retention keeps. OCM analysts and the process leader only."""

    route_names = {
        "list": "data_subjects",
        "export": "data_subject_export",
        "erase": "data_subject_erase",
    }
    schema = OneObjectSchema()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        require_data_protection(request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("doc_number", str, required=True, description="Número de documento"),
            OpenApiParameter("doc_type", str, description="Tipo de documento (CC, CE, …)"),
        ],
        responses=SubjectSerializer,
        summary="Todo lo que Brief guarda de una persona y lo que haría la supresión",
    )
    def list(self, request):
        data = form_data(SubjectForm(request.query_params))
        subject = subjects.find(data["doc_number"], data["doc_type"])
        subjects.looked_up(subject, actor=request.user, via="api", request=request)
        return Response(SubjectSerializer(_subject_json(subject)).data)

    @extend_schema(
        request=RequestSerializer,
        responses={201: SubjectSerializer},
        summary="Solicitud de acceso: registra la solicitud y entrega los datos",
    )
    @action(detail=False, methods=["post"])
    def export(self, request):
        data = form_data(RequestForm(request_object(request)))
        subject = subjects.find(data["doc_number"], data["doc_type"])
        handled = subjects.export_request(
            subject, actor=request.user, reference=data["reference"], request=request
        )
        body = {"code": handled.code, **_subject_json(subject)}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ErasureSerializer,
        responses={201: HandledSerializer},
        summary="Solicitud de supresión: anonimiza o borra lo que la retención no conserva",
    )
    @action(detail=False, methods=["post"])
    def erase(self, request):
        body = request_object(request)
        data = form_data(
            RequestForm({**body, "confirm": body.get("confirm") is True}, erasure=True)
        )
        subject = subjects.find(data["doc_number"], data["doc_type"])
        handled = subjects.erase(
            subject, actor=request.user, reference=data["reference"], request=request
        )
        return Response(
            {
                "code": handled.code,
                "kind": handled.kind,
                "items": [item.as_dict(with_data=False) for item in subject.items],
                "kept": subject.kept_count,
                "erased": subject.erased_count,
            },
            status=status.HTTP_201_CREATED,
        )
