"""Contact-center API: a brief's typification tree (``/api/v1/briefs/{code}/typification/``),
its advisors (``/api/v1/briefs/{code}/advisors/``), interactions (``/api/v1/interactions/``)
the beneficiary history (``/api/v1/lookup/``) and figures
(``/api/v1/briefs/{code}/contact-center/``)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from brief.accounts.models import Area, Provider, User
from brief.campaigns.models import Brief
from brief.campaigns.permissions import require_view, visible_brief
from brief.contacts.exports import XLSX_TYPE
from brief.content.models import Template
from brief.core.api import BRIEF_CODE_PARAM, form_data, request_object
from brief.core.exceptions import Invalid
from brief.core.schema import OneObjectSchema, errors

from . import actions, conversations, exports, figures, history, statement, typification
from .answers import script_questions
from .choices import EXPORT_FORMATS, FLAGS, MAX_RETRY_HOURS
from .filters import CaseFilter, ConversationFilter, InteractionFilter
from .forms import HistoryForm
from .models import (
    Case,
    CaseNote,
    Conversation,
    ConversationMessage,
    CrmExportLayout,
    Interaction,
    InteractionImport,
    TypificationNode,
)

USERNAME_PARAM = OpenApiParameter("username", OpenApiTypes.STR, OpenApiParameter.PATH)

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
    pagination_class = None
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
        responses={201: OpenApiTypes.OBJECT},
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

    @extend_schema(
        parameters=[BRIEF_CODE_PARAM], request=None, responses={201: OpenApiTypes.OBJECT}
    )
    @action(detail=False, methods=["post"], url_path="default")
    def apply_default(self, request, code=None):
        brief = visible_brief(request.user, code)
        actions.apply_default_typification(brief, actor=request.user, request=request)
        return Response(_tree(brief), status=status.HTTP_201_CREATED)


# --- advisors ------------------------------------------------------------------------------


class AssignmentSerializer(serializers.Serializer):
    advisor = serializers.CharField(source="advisor.username")
    name = serializers.CharField(source="advisor.display_name")
    assigned_by = serializers.CharField(source="assigned_by.username")
    assigned_at = serializers.DateTimeField()


class AssignSerializer(serializers.Serializer):
    advisor = serializers.CharField(help_text="usuario del asesor")


class BriefAdvisorsViewSet(viewsets.GenericViewSet):
    """The advisors assigned to a brief. POST ``{"advisor": username}`` assigns one of the
    provider's advisors (channel director only); DELETE ``{username}/`` takes one off."""

    parser_classes = [JSONParser]
    serializer_class = AssignSerializer
    queryset = User.objects.none()
    pagination_class = None
    lookup_field = "username"
    lookup_value_regex = r"[^/]+"
    route_names = {"list": "brief_advisors"}

    def _list(self, brief) -> list:
        assigned = brief.assignments.select_related("advisor", "assigned_by")
        return AssignmentSerializer(assigned, many=True).data

    @extend_schema(parameters=[BRIEF_CODE_PARAM], responses=AssignmentSerializer(many=True))
    def list(self, request, code=None):
        return Response(self._list(visible_brief(request.user, code)))

    @extend_schema(
        parameters=[BRIEF_CODE_PARAM], request=AssignSerializer, responses=AssignmentSerializer
    )
    def create(self, request, code=None):
        brief = visible_brief(request.user, code)
        payload = AssignSerializer(data=request_object(request))
        payload.is_valid(raise_exception=True)
        username = payload.validated_data["advisor"]
        advisor = User.objects.filter(username=username).first()
        if advisor is None:
            raise Invalid(
                gettext("No existe el usuario «%(username)s».") % {"username": username},
                code="not_found",
                field="advisor",
            )
        assignment = actions.assign_advisor(brief, advisor, actor=request.user, request=request)
        return Response(AssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[BRIEF_CODE_PARAM, USERNAME_PARAM], responses={204: None})
    def destroy(self, request, code=None, username=None):
        brief = visible_brief(request.user, code)
        advisor = get_object_or_404(User, username=username)
        actions.unassign_advisor(brief, advisor, actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- interactions --------------------------------------------------------------------------


class RecordingSerializer(serializers.Serializer):
    kind = serializers.CharField()
    url = serializers.CharField()
    download = serializers.SerializerMethodField()
    original_name = serializers.CharField()
    size = serializers.IntegerField(allow_null=True)
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()

    def get_download(self, recording) -> str | None:
        if not recording.file:
            return None
        return reverse(
            "calls:recording_download", args=[recording.interaction.code, recording.kind]
        )


class InteractionSerializer(serializers.ModelSerializer):
    brief = serializers.SlugRelatedField(slug_field="code", read_only=True)
    advisor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    typification = serializers.SerializerMethodField()
    exclusions = serializers.SerializerMethodField()
    recordings = RecordingSerializer(many=True, read_only=True)

    class Meta:
        model = Interaction
        fields = [
            "code", "brief", "channel", "sweep", "contact", "advisor", "external_id",
            "provider_status", "started_at", "ended_at", "typification", "observations",
            "answers", "retention_until", "completeness", "billable", "exclusions",
            "recordings", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_typification(self, interaction) -> dict | None:
        node = interaction.typification
        if node is None:
            return None
        return {"id": node.pk, "code": node.code, "label": node.label}

    def get_exclusions(self, interaction) -> list[dict]:
        return [
            {"code": code, "label": label}
            for code, label in zip(
                interaction.exclusions, interaction.exclusion_labels(), strict=False
            )
        ]


class InteractionWriteSerializer(serializers.Serializer):
    brief = serializers.CharField(required=False, help_text="código del brief (al crear)")
    channel = serializers.CharField(required=False)
    contact = serializers.IntegerField(required=False, allow_null=True)
    sweep = serializers.IntegerField(required=False, allow_null=True)
    advisor = serializers.CharField(required=False, allow_blank=True)
    external_id = serializers.CharField(required=False, allow_blank=True, max_length=120)
    provider_status = serializers.CharField(required=False, allow_blank=True, max_length=40)
    started_at = serializers.DateTimeField(required=False)
    ended_at = serializers.DateTimeField(required=False, allow_null=True)
    typification = serializers.IntegerField(required=False, allow_null=True)
    observations = serializers.CharField(required=False, allow_blank=True)
    answers = serializers.JSONField(required=False)


class RecordingUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["audio", "screen"])
    file = serializers.FileField(required=False)
    url = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    sha256 = serializers.CharField(required=False, allow_blank=True, max_length=64)


class InteractionViewSet(viewsets.GenericViewSet):
    """Interactions of the briefs the user sees. GET filters by ``brief``, ``channel``,
    ``advisor``, ``typification``, ``from``, ``to``, ``billable``; POST records one
    (``{"brief": code, "channel": "call", …}``); PATCH ``{code}/`` changes it;
    POST ``{code}/recordings/`` adds the audio or screen recording (a file or the provider's
    URL). Each answer carries ``completeness``, ``billable`` and the ``exclusions``."""

    parser_classes = [JSONParser]
    serializer_class = InteractionSerializer
    filterset_class = InteractionFilter
    lookup_field = "code"
    lookup_value_regex = r"[A-Z0-9-]+"
    route_names = {"list": "interactions", "detail": "interaction_detail"}

    def get_queryset(self):
        return (
            Interaction.objects.filter(brief__in=Brief.objects.visible_to(self.request.user))
            .select_related("brief", "advisor", "typification")
            .prefetch_related("recordings__interaction")
        )

    def get_object(self) -> Interaction:
        interaction = get_object_or_404(
            Interaction.objects.select_related("brief"), code=self.kwargs["code"]
        )
        require_view(self.request.user, interaction.brief)
        return interaction

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=["json", *EXPORT_FORMATS],
                description="csv o xlsx: la exportación al CRM (solo interacciones tipificadas)",
            ),
            OpenApiParameter(
                "layout", OpenApiTypes.INT, description="formato de columnas (crm-layouts)"
            ),
            OpenApiParameter("campaign", OpenApiTypes.STR, description="código del brief"),
            OpenApiParameter("from", OpenApiTypes.DATE, description="desde (inicio)"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="hasta (inicio)"),
        ],
        responses={
            (200, "application/json"): InteractionSerializer(many=True),
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, XLSX_TYPE): OpenApiTypes.BINARY,
        },
    )
    def list(self, request):
        fmt = request.query_params.get("format", "json")
        if fmt != "json":
            return crm_export(request, self.filter_queryset(self.get_queryset()), fmt)
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(InteractionSerializer(page, many=True).data)

    @extend_schema(
        request=InteractionWriteSerializer, responses={201: InteractionSerializer, **errors(404)}
    )
    def create(self, request):
        payload = InteractionWriteSerializer(data=request_object(request))
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        brief = visible_brief(request.user, str(data.pop("brief", "") or ""))
        interaction = actions.record_interaction(
            brief, actor=request.user, data=data, request=request
        )
        return Response(InteractionSerializer(interaction).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, code=None):
        return Response(InteractionSerializer(self.get_object()).data)

    @extend_schema(request=InteractionWriteSerializer, responses=InteractionSerializer)
    def partial_update(self, request, code=None):
        interaction = self.get_object()
        payload = InteractionWriteSerializer(data=request_object(request), partial=True)
        payload.is_valid(raise_exception=True)
        data = {k: v for k, v in payload.validated_data.items() if k != "brief"}
        interaction = actions.update_interaction(
            interaction, actor=request.user, data=data, request=request
        )
        return Response(InteractionSerializer(interaction).data)

    @extend_schema(request=RecordingUploadSerializer, responses={201: InteractionSerializer})
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def recordings(self, request, code=None):
        interaction = self.get_object()
        payload = RecordingUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        actions.attach_recording(
            interaction,
            actor=request.user,
            kind=data["kind"],
            upload=data.get("file"),
            url=data.get("url", ""),
            sha256=data.get("sha256", ""),
            request=request,
        )
        interaction.refresh_from_db()
        return Response(InteractionSerializer(interaction).data, status=status.HTTP_201_CREATED)


# --- beneficiary history -------------------------------------------------------------------


class HistoryEntrySerializer(serializers.Serializer):
    """One row of the history; ``detail`` false: the user may only know that the campaign
    contacted the person (content, typification, observations, answers blank)."""

    brief = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["message", "interaction", "reply"])
    channel = serializers.CharField()
    channel_label = serializers.CharField()
    at = serializers.DateTimeField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    subject = serializers.CharField()
    content = serializers.CharField()
    typification = serializers.CharField()
    observations = serializers.CharField()
    answers = serializers.DictField()
    to = serializers.CharField()
    reference = serializers.CharField()
    detail = serializers.BooleanField()


class HistorySerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=list(history.KEYS))
    value = serializers.CharField()
    persons = serializers.ListField(child=serializers.CharField())
    page = serializers.IntegerField()
    has_more = serializers.BooleanField()
    count = serializers.IntegerField()
    results = HistoryEntrySerializer(many=True)


class HistoryViewSet(viewsets.ViewSet):
    """``GET /api/v1/lookup/?document=…|phone=…|email=…``: the beneficiary history (exactly one
    key; ``page`` for older rows), built from what was sent and worked, audit-logged."""

    route_names = {"list": "lookup"}
    schema = OneObjectSchema()

    @extend_schema(
        parameters=[
            OpenApiParameter("document", str, description="Número de documento"),
            OpenApiParameter("phone", str, description="Teléfono (se normaliza a E.164)"),
            OpenApiParameter("email", str, description="Correo electrónico"),
            OpenApiParameter("page", int, description="Página (50 filas, más recientes primero)"),
        ],
        responses=HistorySerializer,
        summary="Historial de un beneficiario: lo que cada campaña le envió y se trabajó con él",
    )
    def list(self, request):
        form = HistoryForm(request.query_params)
        form_data(form)
        result = form.look_up(request.user, via="api", request=request)
        rows = [history.entry_dict(e) for e in result.entries]
        payload = {
            "key": result.key,
            "value": result.value,
            "persons": result.persons,
            "page": result.page,
            "has_more": result.has_more,
            "count": len(rows),
            "results": rows,
        }
        return Response(HistorySerializer(payload).data)


# --- figures -------------------------------------------------------------------------------


class RateSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="porcentaje 0–100 (null sin base)")
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    formula = serializers.CharField(help_text="definición de la figura")


class CallFiguresSerializer(serializers.Serializer):
    sweep = serializers.IntegerField(required=False, allow_null=True)
    number = serializers.IntegerField(required=False, allow_null=True)
    calls = serializers.IntegerField()
    typified = serializers.IntegerField()
    dialled = serializers.IntegerField(help_text="contactos distintos con al menos una llamada")
    contacted = serializers.IntegerField()
    right_party = serializers.IntegerField()
    effective = serializers.IntegerField()
    contact_rate = RateSerializer()
    total_contact_rate = RateSerializer()
    effectiveness = RateSerializer()


class MessageFiguresSerializer(serializers.Serializer):
    sweep = serializers.IntegerField(required=False)
    number = serializers.IntegerField(required=False)
    channel = serializers.CharField(required=False)
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    read = serializers.IntegerField()
    replies = serializers.IntegerField()
    replied = serializers.IntegerField()
    delivery_rate = RateSerializer()
    read_rate = RateSerializer()
    reply_rate = RateSerializer()


class CallsBlockSerializer(serializers.Serializer):
    overall = CallFiguresSerializer()
    sweeps = CallFiguresSerializer(many=True)


class MessagesBlockSerializer(serializers.Serializer):
    overall = MessageFiguresSerializer()
    sweeps = MessageFiguresSerializer(many=True)


class QuestionFiguresSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    kind = serializers.CharField(help_text="text, yes_no, choice, number, date, nps o csat")
    answered = serializers.IntegerField()
    options = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="choice, yes_no"
    )
    distribution = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="nps, csat"
    )
    nps = serializers.DictField(required=False, help_text="{value, formula}")
    csat = RateSerializer(required=False)
    sample = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="text: las últimas respuestas"
    )


class ContactCenterFiguresSerializer(serializers.Serializer):
    brief = serializers.CharField()
    calls = CallsBlockSerializer()
    messages = MessagesBlockSerializer()
    questions = QuestionFiguresSerializer(many=True)


class TextAnswerSerializer(serializers.Serializer):
    text = serializers.CharField()
    interaction = serializers.CharField()
    at = serializers.DateTimeField()


QUESTION_PARAM = OpenApiParameter(
    "question", OpenApiTypes.STR, OpenApiParameter.QUERY, description="clave de la pregunta"
)


class BriefContactCenterViewSet(viewsets.GenericViewSet):
    """The brief's contact-center figures, the numbers of its results page: contact rate,
    total contact rate and effectiveness of calls (from typifications), delivery, read and reply
    rates of messages (from statuses), each with its numerator, denominator and definition,
    overall and per sweep; and the survey answers per question (counts and percentages per
    option, number stats, NPS and CSAT with their formula). ``answers/?question=`` pages the
    free-text answers of one question; ``xlsx/`` downloads the consolidation."""

    serializer_class = ContactCenterFiguresSerializer
    queryset = Interaction.objects.none()
    route_names = {"list": "brief_contact_center"}
    schema = OneObjectSchema()
    paginated_actions = ("answers",)

    @extend_schema(parameters=[BRIEF_CODE_PARAM], responses=ContactCenterFiguresSerializer)
    def list(self, request, code=None):
        return Response(figures.figures(visible_brief(request.user, code)))

    @extend_schema(
        parameters=[BRIEF_CODE_PARAM, QUESTION_PARAM], responses=TextAnswerSerializer(many=True)
    )
    @action(detail=False, methods=["get"], url_path="answers")
    def answers(self, request, code=None):
        brief = visible_brief(request.user, code)
        key = request.query_params.get("question", "")
        questions = {q["key"]: q for q in script_questions(brief)}
        if key not in questions:
            raise Invalid(
                gettext("«%(key)s» no es una pregunta del guion de este brief.")
                % {"key": key[:80]},
                code="unknown_question",
                field="question",
            )
        page = self.paginate_queryset(figures.text_answers(brief, key))
        return self.get_paginated_response(page)

    @extend_schema(
        parameters=[BRIEF_CODE_PARAM],
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): bytes
        },
    )
    @action(detail=False, methods=["get"], url_path="xlsx")
    def xlsx(self, request, code=None):
        brief = visible_brief(request.user, code)
        response = HttpResponse(
            figures.figures_xlsx(*figures.export_data(brief)), content_type=XLSX_TYPE
        )
        response["Content-Disposition"] = f'attachment; filename="resultados-{brief.code}.xlsx"'
        return response


# --- conversations and cases ---------------------------------------------------------------


class ConversationMessageSerializer(serializers.ModelSerializer):
    sent_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    template = serializers.SlugRelatedField(slug_field="wa_name", read_only=True)

    class Meta:
        model = ConversationMessage
        fields = [
            "id", "direction", "at", "text", "template", "sent_by", "provider_message_id",
            "status", "error_code", "error_detail",
        ]  # fmt: skip
        read_only_fields = fields


class ConversationSerializer(serializers.ModelSerializer):
    brief = serializers.SlugRelatedField(slug_field="code", read_only=True)
    account = serializers.SlugRelatedField(slug_field="code", read_only=True)
    advisor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    interaction = serializers.SlugRelatedField(slug_field="code", read_only=True)
    contact_name = serializers.CharField(source="contact.full_name", default=None)
    window_open = serializers.SerializerMethodField()

    class Meta:
        model = Conversation
        fields = [
            "id", "brief", "contact", "contact_name", "address", "account", "status",
            "first_wamid", "opened_at", "last_inbound_at", "window_closes_at", "window_open",
            "advisor", "closed_at", "interaction",
        ]  # fmt: skip
        read_only_fields = fields

    def get_window_open(self, conversation) -> bool:
        return conversation.window_open()


class ConversationDetailSerializer(ConversationSerializer):
    messages = ConversationMessageSerializer(many=True, read_only=True)

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "messages"]
        read_only_fields = fields


class ReplySerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True)
    template = serializers.IntegerField(
        required=False, allow_null=True, help_text="id de una plantilla de WhatsApp aprobada"
    )


class CloseConversationSerializer(serializers.Serializer):
    typification = serializers.IntegerField(help_text="id de una tipificación final del brief")
    observations = serializers.CharField(required=False, allow_blank=True)


class ConversationViewSet(viewsets.GenericViewSet):
    """WhatsApp conversations of the briefs the user sees (an advisor: those assigned to
    them). GET filters by ``brief`` and ``status``; ``{id}/`` carries the thread;
    POST ``{id}/reply/`` answers (``text`` inside the 24-hour window, else 409
    ``window_closed``; or ``template``: an approved WhatsApp template of the brief);
    POST ``{id}/close/`` typifies and closes it into an interaction."""

    parser_classes = [JSONParser]
    serializer_class = ConversationSerializer
    filterset_class = ConversationFilter
    lookup_value_regex = r"\d+"
    route_names = {"list": "conversations", "detail": "conversation_detail"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema's generation
            return Conversation.objects.none()
        return conversations.inbox(self.request.user).select_related("account")

    def get_object(self) -> Conversation:
        conversation = get_object_or_404(
            Conversation.objects.select_related("brief", "account", "contact"), pk=self.kwargs["pk"]
        )
        conversations.require_reader(self.request.user)
        require_view(self.request.user, conversation.brief)
        return conversation

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(ConversationSerializer(page, many=True).data)

    @extend_schema(responses=ConversationDetailSerializer)
    def retrieve(self, request, pk=None):
        return Response(ConversationDetailSerializer(self.get_object()).data)

    @extend_schema(request=ReplySerializer, responses=ConversationMessageSerializer)
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        conversation = self.get_object()
        payload = ReplySerializer(data=request_object(request))
        payload.is_valid(raise_exception=True)
        template = None
        template_id = payload.validated_data.get("template")
        if template_id is not None:
            template = Template.objects.filter(pk=template_id, brief=conversation.brief).first()
            if template is None:
                raise Invalid(
                    gettext("La plantilla no es de este brief."),
                    code="template_not_approved",
                    field="template",
                )
        row = actions.reply_conversation(
            conversation,
            actor=request.user,
            text=payload.validated_data.get("text", ""),
            template=template,
            request=request,
        )
        return Response(ConversationMessageSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CloseConversationSerializer, responses=InteractionSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        conversation = self.get_object()
        payload = CloseConversationSerializer(data=request_object(request))
        payload.is_valid(raise_exception=True)
        interaction = actions.close_conversation(
            conversation,
            actor=request.user,
            typification=payload.validated_data["typification"],
            observations=payload.validated_data.get("observations", ""),
            request=request,
        )
        return Response(InteractionSerializer(interaction).data, status=status.HTTP_201_CREATED)


class CaseNoteSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CaseNote
        fields = ["id", "author", "text", "at"]
        read_only_fields = fields


class CaseSerializer(serializers.ModelSerializer):
    brief = serializers.SlugRelatedField(slug_field="code", read_only=True)
    interaction = serializers.SlugRelatedField(slug_field="code", read_only=True)
    closed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    on_time = serializers.BooleanField(read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()
    notes = CaseNoteSerializer(many=True, read_only=True)

    class Meta:
        model = Case
        fields = [
            "code", "brief", "interaction", "contact", "person", "summary", "status",
            "responsible", "opened_at", "due_at", "closed_at", "closed_by", "on_time", "overdue",
            "notes",
        ]  # fmt: skip
        read_only_fields = fields

    def get_overdue(self, case) -> bool:
        return case.overdue()


class CaseNoteWriteSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True)


class CaseViewSet(viewsets.GenericViewSet):
    """Cases for ICETEX's CRM of the briefs the user sees. GET filters by ``brief``,
    ``status`` and ``overdue``; POST ``{code}/annotate/`` adds a note (the first puts the case
    «en gestión»); POST ``{code}/close/`` closes it (optional ``text``)."""

    parser_classes = [JSONParser]
    serializer_class = CaseSerializer
    filterset_class = CaseFilter
    lookup_field = "code"
    lookup_value_regex = r"[A-Z0-9-]+"
    route_names = {"list": "cases", "detail": "case_detail"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema's generation
            return Case.objects.none()
        return conversations.visible_cases(self.request.user).prefetch_related("notes__author")

    def get_object(self) -> Case:
        case = get_object_or_404(Case.objects.select_related("brief"), code=self.kwargs["code"])
        conversations.require_reader(self.request.user)
        require_view(self.request.user, case.brief)
        return case

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(CaseSerializer(page, many=True).data)

    def retrieve(self, request, code=None):
        return Response(CaseSerializer(self.get_object()).data)

    @extend_schema(request=CaseNoteWriteSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def annotate(self, request, code=None):
        case = self.get_object()
        payload = CaseNoteWriteSerializer(data=request_object(request))
        payload.is_valid(raise_exception=True)
        actions.annotate_case(
            case, actor=request.user, text=payload.validated_data.get("text", ""), request=request
        )
        return Response(CaseSerializer(self.get_object()).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CaseNoteWriteSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, code=None):
        case = self.get_object()
        payload = CaseNoteWriteSerializer(data=request_object(request))
        payload.is_valid(raise_exception=True)
        actions.close_case(
            case, actor=request.user, text=payload.validated_data.get("text", ""), request=request
        )
        return Response(CaseSerializer(self.get_object()).data)


# --- CRM export, bulk import, billing statement ------------------------------------------


def crm_export(request, interactions, fmt: str):
    """The CRM export of ``interactions`` (already scoped and filtered) in the requested
    layout; the export is audit-logged with its filters."""
    exports.check_format(fmt)
    layout = exports.resolve_layout(request.user, request.query_params.get("layout"))
    actions.log_interaction_export(
        actor=request.user,
        fmt=fmt,
        layout=layout,
        filters={k: v for k, v in request.query_params.items() if k not in {"format", "page"}},
        request=request,
    )
    return exports.response(interactions, layout, fmt)


class InteractionImportSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display")
    brief = serializers.SlugRelatedField(slug_field="code", read_only=True)
    page = serializers.SerializerMethodField()

    class Meta:
        model = InteractionImport
        fields = [
            "id", "status", "status_display", "stage", "brief", "source_name", "recordings_name",
            "rows_total", "created", "updated", "recordings_stored", "errors", "created_at",
            "started_at", "finished_at", "page",
        ]  # fmt: skip
        read_only_fields = fields

    def get_page(self, job) -> str:
        return reverse("calls:import_detail", args=[job.pk])


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV o XLSX de interacciones")
    recordings = serializers.FileField(required=False, help_text="ZIP de grabaciones")
    brief = serializers.CharField(
        required=False, allow_blank=True, help_text="brief de las filas sin columna brief"
    )


class InteractionImportViewSet(viewsets.GenericViewSet):
    """Bulk imports of interactions and recordings from a provider's dialer/recorder.
    POST (multipart ``file``, optional ``recordings`` ZIP and ``brief``) queues one → 202;
    GET ``{id}/`` its status, counts and the row errors (``row``, ``column``, ``message``)."""

    serializer_class = InteractionImportSerializer
    parser_classes = [MultiPartParser, FormParser]
    queryset = InteractionImport.objects.none()
    lookup_value_regex = r"\d+"
    route_names = {"list": "interaction_imports", "detail": "interaction_import"}

    def get_queryset(self):
        user = self.request.user
        if getattr(self, "swagger_fake_view", False):
            return InteractionImport.objects.none()
        jobs = InteractionImport.objects.select_related("brief")
        if user.is_superuser or user.has_role("analista_ocm", "auditor"):
            return jobs
        if user.provider_id and user.has_role("proveedor"):
            return jobs.filter(provider_id=user.provider_id)
        return jobs.none()

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(InteractionImportSerializer(page, many=True).data)

    @extend_schema(parameters=[ID_PARAM])
    def retrieve(self, request, pk=None):
        return Response(
            InteractionImportSerializer(get_object_or_404(self.get_queryset(), pk=pk)).data
        )

    @extend_schema(
        request=ImportUploadSerializer, responses={202: InteractionImportSerializer, **errors(404)}
    )
    def create(self, request):
        payload = ImportUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        brief = visible_brief(request.user, data["brief"]) if data.get("brief") else None
        job = actions.start_interaction_import(
            actor=request.user,
            upload=data["file"],
            recordings=data.get("recordings"),
            brief=brief,
            request=request,
        )
        job.refresh_from_db()
        return Response(InteractionImportSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class LayoutColumnSerializer(serializers.Serializer):
    field = serializers.CharField()
    header = serializers.CharField(required=False, allow_blank=True, max_length=120)


class LayoutSerializer(serializers.ModelSerializer):
    area = serializers.SlugRelatedField(
        slug_field="code", queryset=Area.objects.all(), required=False, allow_null=True
    )
    columns = LayoutColumnSerializer(many=True)

    class Meta:
        model = CrmExportLayout
        fields = ["id", "name", "area", "columns", "updated_at"]
        read_only_fields = ["id", "updated_at"]


class CrmLayoutViewSet(viewsets.GenericViewSet):
    """Column layouts of the CRM export (``GET /api/v1/interactions/?format=csv&layout={id}``).
    Everyone lists the global ones and their area's; OCM creates, changes and deletes them.
    ``catalogue/`` lists the fields a column may take (plus ``answer:<question key>``)."""

    serializer_class = LayoutSerializer
    parser_classes = [JSONParser]
    queryset = CrmExportLayout.objects.none()
    pagination_class = None
    lookup_value_regex = r"\d+"
    route_names = {"list": "crm_layouts", "detail": "crm_layout"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CrmExportLayout.objects.none()
        return exports.layouts_for(self.request.user).select_related("area")

    def list(self, request):
        return Response(LayoutSerializer(self.get_queryset(), many=True).data)

    @extend_schema(parameters=[ID_PARAM])
    def retrieve(self, request, pk=None):
        return Response(LayoutSerializer(get_object_or_404(self.get_queryset(), pk=pk)).data)

    def _save(self, request, layout, partial: bool):
        actions.check_can_edit_layouts(request.user)
        payload = LayoutSerializer(layout, data=request_object(request), partial=partial)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        return actions.save_export_layout(
            layout,
            actor=request.user,
            name=data.get("name", layout.name if layout else ""),
            columns=data.get("columns", layout.columns if layout else []),
            area=data.get("area", layout.area if layout else None),
            request=request,
        )

    @extend_schema(request=LayoutSerializer, responses={201: LayoutSerializer})
    def create(self, request):
        layout = self._save(request, None, partial=False)
        return Response(LayoutSerializer(layout).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[ID_PARAM], request=LayoutSerializer, responses=LayoutSerializer)
    def partial_update(self, request, pk=None):
        layout = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(LayoutSerializer(self._save(request, layout, partial=True)).data)

    @extend_schema(parameters=[ID_PARAM], responses={204: None})
    def destroy(self, request, pk=None):
        layout = get_object_or_404(self.get_queryset(), pk=pk)
        actions.delete_export_layout(layout, actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def catalogue(self, request):
        return Response(
            {
                "fields": [{"field": k, "label": str(v[0])} for k, v in exports.CATALOGUE.items()],
                "answer_prefix": exports.ANSWER_PREFIX,
                "default": exports.DEFAULT_COLUMNS,
            }
        )


class BillingStatementViewSet(viewsets.ViewSet):
    """The billing statement of a provider for a month: ``?provider=<code>&month=AAAA-MM``
    (the director's own provider by default); JSON, or ``?format=xlsx``."""

    route_names = {"list": "billing_statement"}

    @extend_schema(
        parameters=[
            OpenApiParameter("provider", OpenApiTypes.STR, description="código del proveedor"),
            OpenApiParameter("month", OpenApiTypes.STR, description="AAAA-MM"),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "xlsx"]),
        ],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, XLSX_TYPE): OpenApiTypes.BINARY,
        },
    )
    def list(self, request):
        code = request.query_params.get("provider") or ""
        if code:
            provider = Provider.objects.filter(code=code).first()
        else:
            provider = Provider.objects.filter(pk=request.user.provider_id).first()
        if provider is None:
            raise Invalid(
                gettext("Indique un proveedor que exista."), code="bad_provider", field="provider"
            )
        statement.check_access(request.user, provider)
        month = statement.parse_month(request.query_params.get("month"))
        built = statement.build(provider, month)
        fmt = request.query_params.get("format", "json")
        if fmt == "xlsx":
            return statement.xlsx_response(built)
        if fmt != "json":
            raise Invalid(
                gettext("Formato no disponible: use json o xlsx."),
                code="bad_format",
                field="format",
            )
        return Response(built.as_dict())
