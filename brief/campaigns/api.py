"""Brief API (DESIGN §6): CRUD of drafts, attachments, workflow actions, questions."""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from brief.core import sla
from brief.core.api import BRIEF_CODE_PARAM, request_object
from brief.core.choices import ClockState

from . import actions, permissions
from .choices import (
    ACTIONS,
    APPROVALS,
    CHANGE_FILE_KINDS,
    AttachmentKind,
    CampaignClass,
    Channel,
    Kind,
)
from .filters import BriefFilter
from .models import (
    FORM_FIELDS,
    ApprovalEvent,
    Attachment,
    Brief,
    BriefTransition,
    ChangeRequest,
    KickOff,
    Notification,
    Question,
    Training,
)

WHICH_PATTERN = "|".join(APPROVALS)
WHICH_PARAM = OpenApiParameter("which", str, OpenApiParameter.PATH, enum=list(APPROVALS))


class ApprovalNoteSerializer(serializers.Serializer):
    """Body of giving or asking for an approval: an optional comment."""

    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, help_text="comentario"
    )


class ApprovalRefusalSerializer(serializers.Serializer):
    """Body of refusing an approval: the reason (required, not blank)."""

    reason = serializers.CharField(
        allow_blank=True, max_length=2000, help_text="motivo del rechazo (obligatorio)"
    )


class ApprovalEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ApprovalEvent
        fields = ["which", "decision", "actor", "at", "note"]


class ApprovalStateSerializer(serializers.Serializer):
    """Where one in-app approval of the brief stands."""

    which = serializers.CharField()
    given_by = serializers.CharField(allow_null=True)
    given_at = serializers.DateTimeField(allow_null=True)
    refused_by = serializers.CharField(allow_null=True)
    refused_at = serializers.DateTimeField(allow_null=True)
    refusal = serializers.CharField(allow_blank=True)
    requested_at = serializers.DateTimeField(allow_null=True)


def approvals_json(brief: Brief) -> list[dict]:
    def name(user):
        return user.username if user else None

    return [
        {
            "which": spec.which,
            "given_by": name(getattr(brief, f"{spec.field}_by")),
            "given_at": getattr(brief, f"{spec.field}_at"),
            "refused_by": name(getattr(brief, f"{spec.refused}_by")),
            "refused_at": getattr(brief, f"{spec.refused}_at"),
            "refusal": getattr(brief, f"{spec.which}_refusal"),
            "requested_at": getattr(brief, f"{spec.which}_requested_at"),
        }
        for spec in APPROVALS.values()
        if permissions.approval_applies(brief, spec)
    ]


class BriefSerializer(serializers.ModelSerializer):
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices), required=False
    )
    campaign_class = serializers.ChoiceField(choices=CampaignClass.choices, required=False)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    area = serializers.SlugRelatedField(slug_field="code", read_only=True)
    provider = serializers.SlugRelatedField(slug_field="code", read_only=True)
    requester = serializers.SlugRelatedField(slug_field="username", read_only=True)
    allowed_actions = serializers.SerializerMethodField()
    blocked_actions = serializers.SerializerMethodField()
    approvals = serializers.SerializerMethodField()

    class Meta:
        model = Brief
        fields = [
            "code",
            "status",
            "version",
            "area",
            "requester",
            "provider",
            *FORM_FIELDS,
            "submitted_at",
            "created_at",
            "updated_at",
            "allowed_actions",
            "blocked_actions",
            "approvals",
        ]
        read_only_fields = ["code", "status", "version", "submitted_at", "created_at", "updated_at"]
        # Percentages, as the F559 form bounds them.
        extra_kwargs = {
            "target_contact_rate": {"min_value": 0, "max_value": 100},
            "target_effectiveness": {"min_value": 0, "max_value": 100},
        }

    def validate_channels(self, value):
        if len(set(value)) != len(value):
            raise serializers.ValidationError(gettext("Hay canales repetidos."))
        return value

    def validate_content(self, value):
        if not isinstance(value, dict) or not all(
            k in Channel.values and isinstance(v, str) for k, v in value.items()
        ):
            raise serializers.ValidationError(
                gettext("Use un objeto {canal: texto} con canales válidos.")
            )
        return value

    def get_allowed_actions(self, brief) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return [spec.name for spec in permissions.allowed_actions(brief, request.user)]

    @extend_schema_field(ApprovalStateSerializer(many=True))
    def get_approvals(self, brief) -> list[dict]:
        """The in-app approvals the brief asks for: given, refused (with the reason), asked."""
        return approvals_json(brief)

    def get_blocked_actions(self, brief) -> list[dict[str, str]]:
        """Of ``allowed_actions``, those the brief is not ready for, with the Spanish reason
        the action would answer (``{"action", "code", "message"}``)."""
        request = self.context.get("request")
        if request is None:
            return []
        return [
            {"action": name, "code": refusal.code, "message": refusal.message}
            for name, refusal in permissions.blocked_actions(brief, request.user).items()
        ]


class AttachmentSerializer(serializers.ModelSerializer):
    series = serializers.IntegerField(
        source="series_root_id", read_only=True, help_text="Id shared by a file and its versions."
    )
    withdrawn_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Attachment
        fields = [
            "id",
            "kind",
            "original_name",
            "size",
            "sha256",
            "version",
            "uploaded_at",
            "series",
            "is_current",
            "withdrawn_at",
            "withdrawn_by",
            "withdrawn_reason",
        ]


class ReplaceUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class VerificationSerializer(serializers.Serializer):
    matches = serializers.BooleanField(help_text="The stored file is the one uploaded.")
    message = serializers.CharField()


class AttachmentUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AttachmentKind.choices)
    file = serializers.FileField()


class TransitionSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = BriefTransition
        fields = ["action", "from_status", "to_status", "actor", "at", "note", "version", "details"]


class ActionSerializer(serializers.Serializer):
    """Body of a workflow action (``POST /briefs/{code}/{action}/``); every field optional."""

    note = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="motivo o nota del paso"
    )
    checklist = serializers.DictField(
        child=serializers.BooleanField(),
        required=False,
        help_text="lista de chequeo de la revisión OCM {punto: cumplido}",
    )
    provider = serializers.CharField(required=False, help_text="código del proveedor (forward)")


class ActionResultSerializer(BriefSerializer):
    """What a workflow action answers: the brief after it, and the transition recorded."""

    transition = TransitionSerializer(read_only=True)

    class Meta(BriefSerializer.Meta):
        fields = [*BriefSerializer.Meta.fields, "transition"]


class ClockSerializer(serializers.Serializer):
    rule = serializers.CharField()
    name = serializers.CharField()
    responsible = serializers.CharField()
    state = serializers.CharField()
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    stopped_at = serializers.DateTimeField(allow_null=True)
    breached = serializers.BooleanField()


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class VersionChangeSerializer(serializers.Serializer):
    from_ = serializers.IntegerField()
    to = serializers.IntegerField()
    changes = FieldChangeSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # a keyword in Python
        return fields


class TimelineSerializer(serializers.Serializer):
    transitions = TransitionSerializer(many=True)
    approvals = ApprovalEventSerializer(many=True)
    clocks = ClockSerializer(many=True)
    versions = VersionChangeSerializer(many=True)


class QuestionWriteSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, help_text="la pregunta")


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(allow_blank=True, help_text="la respuesta")


class QuestionSerializer(serializers.ModelSerializer):
    asked_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    answered_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    asked_late = serializers.SerializerMethodField()
    clocks = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = [
            "id",
            "text",
            "asked_by",
            "asked_at",
            "asked_late",
            "answer",
            "answered_by",
            "answered_at",
            "clocks",
        ]
        read_only_fields = ["asked_by", "asked_at", "answer", "answered_by", "answered_at"]

    def get_asked_late(self, question) -> bool:
        """Asked after the provider's window (1 business day from the receipt)."""
        return (
            sla.clocks_for(question)
            .filter(rule__code=sla.QUESTION_WINDOW_RULE, state=ClockState.LATE)
            .exists()
        )

    @extend_schema_field(ClockSerializer(many=True))
    def get_clocks(self, question) -> list[dict]:
        return clocks_json(question)


def clocks_json(subject) -> list[dict]:
    return [
        {
            "rule": c.rule.code,
            "name": c.rule.name,
            "responsible": c.responsible,
            "state": c.state,
            "started_at": c.started_at,
            "due_at": c.due_at,
            "stopped_at": c.stopped_at,
            "breached": c.breached_at is not None,
        }
        for c in sla.clocks_for(subject)
    ]


ATTACHMENT_ID = OpenApiParameter("aid", OpenApiTypes.INT, OpenApiParameter.PATH)


class BriefViewSet(viewsets.ModelViewSet):
    """Briefs the caller may see; writes go through :mod:`brief.campaigns.actions`."""

    serializer_class = BriefSerializer
    lookup_field = "code"
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_class = BriefFilter

    def get_queryset(self):
        return Brief.objects.select_related("area", "provider", "requester").visible_to(
            self.request.user
        )

    def get_object(self):
        return permissions.visible_brief(self.request.user, self.kwargs["code"])

    def perform_create(self, serializer):
        serializer.instance = actions.create_brief(
            actor=self.request.user, data=serializer.validated_data, request=self.request
        )

    def perform_update(self, serializer):
        serializer.instance = actions.update_brief(
            serializer.instance,
            actor=self.request.user,
            data=serializer.validated_data,
            request=self.request,
        )

    @extend_schema(methods=["GET"], responses=AttachmentSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=AttachmentUploadSerializer, responses={201: AttachmentSerializer}
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request, code=None):
        brief = self.get_object()
        if request.method == "GET":
            return Response(AttachmentSerializer(brief.attachments.all(), many=True).data)
        upload = AttachmentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        attachment = actions.add_attachment(
            brief,
            actor=request.user,
            kind=upload.validated_data["kind"],
            upload=upload.validated_data["file"],
            request=request,
        )
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[ATTACHMENT_ID],
        request={"multipart/form-data": ReplaceUploadSerializer},
        responses={201: AttachmentSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"attachments/(?P<aid>\d+)/replace",
        parser_classes=[MultiPartParser, FormParser],
    )
    def replace_attachment(self, request, code=None, aid=None):
        """A new version of the file: it becomes current, the one it replaces stays."""
        upload = ReplaceUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        attachment = actions.replace_attachment(
            self.get_object(),
            aid,
            actor=request.user,
            upload=upload.validated_data["file"],
            request=request,
        )
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[ATTACHMENT_ID], request=None, responses=AttachmentSerializer)
    @action(detail=True, methods=["post"], url_path=r"attachments/(?P<aid>\d+)/mark-current")
    def mark_attachment_current(self, request, code=None, aid=None):
        """An earlier version becomes current again."""
        attachment = actions.mark_attachment_current(
            self.get_object(), aid, actor=request.user, request=request
        )
        return Response(AttachmentSerializer(attachment).data)

    @extend_schema(
        parameters=[ATTACHMENT_ID], request=WithdrawSerializer, responses=AttachmentSerializer
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"attachments/(?P<aid>\d+)/withdraw",
        parser_classes=[JSONParser, FormParser],
    )
    def withdraw_attachment(self, request, code=None, aid=None):
        """Withdraw the file with a reason (kept in the history, never deleted)."""
        attachment = actions.withdraw_attachment(
            self.get_object(),
            aid,
            actor=request.user,
            reason=str(request_object(request).get("reason", "")),
            request=request,
        )
        return Response(AttachmentSerializer(attachment).data)

    @extend_schema(parameters=[ATTACHMENT_ID], request=None, responses=VerificationSerializer)
    @action(detail=True, methods=["post"], url_path=r"attachments/(?P<aid>\d+)/verify")
    def verify_attachment(self, request, code=None, aid=None):
        """Recompute the stored file's SHA-256 and compare it with the upload's (logged)."""
        attachment = get_object_or_404(Attachment, pk=aid, brief=self.get_object())
        matches, message = actions.verify_attachment(
            attachment, actor=request.user, request=request
        )
        return Response({"matches": matches, "message": message})

    @extend_schema(responses=TimelineSerializer)
    @action(detail=True, methods=["get"])
    def timeline(self, request, code=None):
        brief = self.get_object()
        return Response(
            {
                "transitions": TransitionSerializer(
                    brief.transitions.select_related("actor"), many=True
                ).data,
                "approvals": ApprovalEventSerializer(
                    brief.approval_events.select_related("actor"), many=True
                ).data,
                "clocks": clocks_json(brief),
                "versions": actions.version_changes(brief),
            }
        )

    @extend_schema(methods=["GET"], responses=QuestionSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=QuestionWriteSerializer, responses={201: QuestionSerializer}
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[JSONParser, FormParser])
    def questions(self, request, code=None):
        brief = self.get_object()
        if request.method == "GET":
            return Response(QuestionSerializer(brief.questions.all(), many=True).data)
        question = actions.ask_question(
            brief,
            actor=request.user,
            text=str(request_object(request).get("text", "")),
            request=request,
        )
        return Response(QuestionSerializer(question).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("qid", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=AnswerSerializer,
        responses=QuestionSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"questions/(?P<qid>\d+)/answer",
        parser_classes=[JSONParser, FormParser],
    )
    def answer(self, request, code=None, qid=None):
        brief = self.get_object()
        question = get_object_or_404(Question, pk=qid, brief=brief)
        question = actions.answer_question(
            question,
            actor=request.user,
            answer=str(request_object(request).get("answer", "")),
            request=request,
        )
        return Response(QuestionSerializer(question).data)


class KickOffSerializer(serializers.ModelSerializer):
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    minutes = AttachmentSerializer(read_only=True)

    class Meta:
        model = KickOff
        fields = ["held_on", "attendees", "minutes", "recorded_by", "recorded_at"]


class KickOffWriteSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    attendees = serializers.CharField(allow_blank=True)
    minutes = serializers.FileField(required=False)


class TrainingSerializer(serializers.ModelSerializer):
    advisors = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    material = AttachmentSerializer(read_only=True)

    class Meta:
        model = Training
        fields = ["id", "held_on", "topic", "advisors", "material", "recorded_by", "recorded_at"]


class TrainingWriteSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    topic = serializers.CharField(allow_blank=True)
    advisors = serializers.ListField(child=serializers.CharField())
    material = serializers.FileField(required=False)


def _read_and_record_schemas(read, write, recorded) -> list:
    """GET answers ``read``; POST takes ``write`` as JSON or multipart, answers 201 ``recorded``."""
    body = {"application/json": write, "multipart/form-data": write}
    return [
        extend_schema(methods=["GET"], responses=read),
        extend_schema(methods=["POST"], request=body, responses={201: recorded}),
    ]


KICKOFF_SCHEMAS = _read_and_record_schemas(
    KickOffSerializer, KickOffWriteSerializer, KickOffSerializer
)
TRAINING_SCHEMAS = _read_and_record_schemas(
    TrainingSerializer(many=True), TrainingWriteSerializer, TrainingSerializer
)


def _start_views(viewset) -> None:
    """The kick-off meeting and the trainings of a brief, on the briefs viewset."""

    def kickoff(self, request, code=None):
        brief = self.get_object()
        if request.method == "GET":
            found = KickOff.objects.filter(brief=brief).first()
            if found is None:
                raise Http404(gettext("Este brief aún no tiene reunión de inicio registrada."))
            return Response(KickOffSerializer(found).data)
        payload = KickOffWriteSerializer(data=request_object(request))
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        kickoff = actions.record_kickoff(
            brief,
            actor=request.user,
            held_on=data["held_on"],
            attendees=data["attendees"],
            minutes=data.get("minutes"),
            request=request,
        )
        return Response(KickOffSerializer(kickoff).data, status=status.HTTP_201_CREATED)

    def trainings(self, request, code=None):
        brief = self.get_object()
        if request.method == "GET":
            found = brief.trainings.prefetch_related("advisors").select_related("material")
            return Response(TrainingSerializer(found, many=True).data)
        payload = TrainingWriteSerializer(data=request_object(request))
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        training = actions.record_training(
            brief,
            actor=request.user,
            held_on=data["held_on"],
            topic=data["topic"],
            advisors=data["advisors"],
            material=data.get("material"),
            request=request,
        )
        return Response(TrainingSerializer(training).data, status=status.HTTP_201_CREATED)

    parsers = [JSONParser, MultiPartParser, FormParser]
    for view, schemas in (
        (kickoff, KICKOFF_SCHEMAS),
        (trainings, TRAINING_SCHEMAS),
    ):
        routed = action(detail=True, methods=["get", "post"], parser_classes=parsers)(view)
        # After ``action``: it replaces the function's ``kwargs``, where the schema is kept.
        for schema in schemas:
            routed = schema(routed)
        setattr(viewset, view.__name__, routed)


_start_views(BriefViewSet)


def _make_action_view(name: str):
    def run(self, request, code=None):
        brief = self.get_object()
        payload = ActionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        params = {k: v for k, v in payload.validated_data.items() if k != "note"}
        transition = actions.perform(
            brief,
            name,
            actor=request.user,
            note=payload.validated_data["note"],
            request=request,
            **params,
        )
        data = BriefSerializer(transition.brief, context={"request": request}).data
        data["transition"] = TransitionSerializer(transition).data
        return Response(data)

    run.__name__ = f"action_{name}"
    routed = action(
        detail=True,
        methods=["post"],
        url_path=name,
        url_name=f"action-{name}",
        parser_classes=[JSONParser, FormParser],
    )(run)
    # After ``action``: it replaces the function's ``kwargs``, where the schema is kept.
    return extend_schema(
        request=ActionSerializer,
        responses=ActionResultSerializer,
        summary=f"Acción del flujo: {ACTIONS[name].label}",
    )(routed)


for _name in ACTIONS:
    setattr(BriefViewSet, f"action_{_name}", _make_action_view(_name))


# The steps of an in-app approval: (view name, URL suffix, action, body, summary).
APPROVAL_STEPS: list[tuple[str, str, Callable[..., Brief], type[serializers.Serializer], str]] = [
    (
        "approve",
        "",
        actions.give_approval,
        ApprovalNoteSerializer,
        "Dar un aval (comentario opcional)",
    ),
    (
        "refuse_approval",
        "/refuse",
        actions.refuse_approval,
        ApprovalRefusalSerializer,
        "Rechazar un aval con el motivo (se avisa al solicitante)",
    ),
    (
        "request_approval",
        "/request",
        actions.request_approval,
        ApprovalNoteSerializer,
        "Pedir un aval (avisa a quien lo da; una vez por minuto)",
    ),
]


def _make_approval_view(name, suffix, run, body, summary):
    def step(self, request, code=None, which=None):
        payload = body(data=request.data)
        payload.is_valid(raise_exception=True)
        brief = run(
            self.get_object(), which, actor=request.user, request=request, **payload.validated_data
        )
        return Response(BriefSerializer(brief, context={"request": request}).data)

    step.__name__ = name
    routed = action(
        detail=True,
        methods=["post"],
        url_path=rf"approvals/(?P<which>{WHICH_PATTERN}){suffix}",
        url_name=name.replace("_", "-"),
        parser_classes=[JSONParser, FormParser],
    )(step)
    # After ``action``: it replaces the function's ``kwargs``, where the schema is kept.
    return extend_schema(
        parameters=[WHICH_PARAM], request=body, responses=BriefSerializer, summary=summary
    )(routed)


for _step in APPROVAL_STEPS:
    setattr(BriefViewSet, _step[0], _make_approval_view(*_step))


# --- scope changes ---------------------------------------------------------------------


class ChangeRequestSerializer(serializers.ModelSerializer):
    filed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ChangeRequest
        fields = [
            "number",
            "state",
            "changes",
            "reason",
            "file_kind",
            "file_name",
            "file_sha256",
            "filed_by",
            "filed_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "acknowledged_by",
            "acknowledged_at",
            "version",
            "diff",
            "clock_rule",
            "paused_sweeps",
        ]
        read_only_fields = fields


class ChangeRequestWriteSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, default="")
    changes = serializers.JSONField(required=False, default=dict)
    file_kind = serializers.ChoiceField(
        choices=[(k, AttachmentKind(k).label) for k in CHANGE_FILE_KINDS],
        required=False,
        allow_blank=True,
        default="",
    )
    file = serializers.FileField(required=False)

    def validate_changes(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError(gettext("Use un objeto {campo: valor nuevo}."))
        return value


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class BriefChangesViewSet(viewsets.GenericViewSet):
    """Scope changes of a brief after forwarding: the area or OCM files one (JSON, or multipart
    with a new ``base``/``script`` file), OCM approves or rejects it, the provider acknowledges."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]
    serializer_class = ChangeRequestSerializer
    queryset = ChangeRequest.objects.none()
    pagination_class = None
    lookup_field = "number"
    lookup_value_regex = r"\d+"
    route_names = {"list": "brief_changes", "detail": "brief_change"}

    def _change(self, code, number) -> ChangeRequest:
        brief = permissions.visible_brief(self.request.user, code)
        return get_object_or_404(
            ChangeRequest.objects.select_related("brief"), brief=brief, number=number
        )

    @extend_schema(parameters=[BRIEF_CODE_PARAM], responses=ChangeRequestSerializer(many=True))
    def list(self, request, code=None):
        brief = permissions.visible_brief(request.user, code)
        return Response(ChangeRequestSerializer(brief.change_requests.all(), many=True).data)

    @extend_schema(
        parameters=[BRIEF_CODE_PARAM],
        request=ChangeRequestWriteSerializer,
        responses=ChangeRequestSerializer,
    )
    def create(self, request, code=None):
        brief = permissions.visible_brief(request.user, code)
        payload = ChangeRequestWriteSerializer(data=request_object(request))
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        change = actions.file_change(
            brief,
            actor=request.user,
            reason=data["reason"],
            changes=data["changes"],
            file_kind=data["file_kind"],
            upload=data.get("file"),
            request=request,
        )
        return Response(ChangeRequestSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[BRIEF_CODE_PARAM], responses=ChangeRequestSerializer)
    def retrieve(self, request, code=None, number=None):
        return Response(ChangeRequestSerializer(self._change(code, number)).data)

    def _decide(self, request, code, number, run):
        payload = NoteSerializer(data=request_object(request))
        payload.is_valid(raise_exception=True)
        change = run(
            self._change(code, number),
            actor=request.user,
            note=payload.validated_data["note"],
            request=request,
        )
        return Response(ChangeRequestSerializer(change).data)

    @extend_schema(
        parameters=[BRIEF_CODE_PARAM], request=NoteSerializer, responses=ChangeRequestSerializer
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, code=None, number=None):
        return self._decide(request, code, number, actions.approve_change)

    @extend_schema(
        parameters=[BRIEF_CODE_PARAM], request=NoteSerializer, responses=ChangeRequestSerializer
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, code=None, number=None):
        return self._decide(request, code, number, actions.reject_change)

    @extend_schema(parameters=[BRIEF_CODE_PARAM], request=None, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, code=None, number=None):
        change = actions.acknowledge_change(
            self._change(code, number), actor=request.user, request=request
        )
        return Response(ChangeRequestSerializer(change).data)


# --- notifications (the bell) -----------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):
    brief = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "brief", "text", "url", "created_at", "read_at"]
        read_only_fields = fields


class NotificationViewSet(viewsets.GenericViewSet):
    """The caller's own notices (``?unread=1`` for the unread ones); mark one or all read."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return Notification.objects.filter(user=self.request.user).select_related("brief")

    @extend_schema(
        parameters=[
            OpenApiParameter("unread", str, enum=["1", "true"], description="solo no leídas")
        ],
        responses=NotificationSerializer(many=True),
    )
    def list(self, request):
        notes = self.get_queryset()
        if request.query_params.get("unread") in {"1", "true"}:
            notes = notes.filter(read_at__isnull=True)
        page = self.paginate_queryset(notes)
        if page is not None:
            return self.get_paginated_response(NotificationSerializer(page, many=True).data)
        return Response(NotificationSerializer(notes, many=True).data)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = get_object_or_404(self.get_queryset(), pk=pk)
        actions.mark_read(notification, actor=request.user)
        notification.refresh_from_db()
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses={200: dict})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": actions.mark_all_read(actor=request.user)})
