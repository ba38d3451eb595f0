"""Content API: the SMS/message preview (DESIGN §6), templates and creatives of a brief.

``POST /api/v1/content/preview/`` is also the editor's live counter: an htmx request
(``HX-Request``) gets the counter as an HTML fragment computed by the same code.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from brief.campaigns.models import Brief
from brief.campaigns.permissions import may_view, require_view, visible_brief
from brief.core.api import BRIEF_CODE_PARAM
from brief.core.exceptions import Invalid

from . import actions, sms
from .choices import Channel, MissingPolicy, WaCategory
from .models import Creative, Template

MAX_PREVIEW_CHARS = 20_000
ID_PARAM = OpenApiParameter("pk", OpenApiTypes.INT, OpenApiParameter.PATH)


# --- preview ----------------------------------------------------------------------------


class PreviewRequestSerializer(serializers.Serializer):
    channel = serializers.CharField()
    text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    brief = serializers.CharField(required=False, allow_blank=True)


class PreviewSerializer(serializers.Serializer):
    channel = serializers.CharField()
    encoding = serializers.ChoiceField(choices=["GSM-7", "UCS-2"])
    characters = serializers.IntegerField()
    segments = serializers.IntegerField()
    non_gsm_characters = serializers.ListField(child=serializers.CharField())
    transliterated = serializers.CharField()
    recipients = serializers.IntegerField(required=False, allow_null=True)
    estimated_units = serializers.IntegerField(required=False, allow_null=True)


def preview_data(channel: str, text: str, brief: Brief | None = None) -> dict:
    """The analysis the API returns and the editor's counter shows (one implementation)."""
    data = {"channel": channel, **sms.analyze(text)}
    data["capacity"] = sms.segment_limit(data["encoding"], data["segments"])
    if channel == Channel.WHATSAPP:
        data["limit"] = 1024
    if channel == Channel.VOICE:
        data["estimated_seconds"] = round(len(text.split()) / 2.5)
    if brief is not None:
        recipients = actions.usable_recipients(brief, channel)
        data["recipients"] = recipients
        per_recipient = data["segments"] if channel == Channel.SMS else 1
        data["estimated_units"] = None if recipients is None else per_recipient * recipients
    return data


class ContentViewSet(viewsets.GenericViewSet):
    """Content tools that belong to no brief: the preview (``POST /api/v1/content/preview/``)."""

    serializer_class = PreviewRequestSerializer
    route_names = {"preview": "content_preview"}

    @extend_schema(request=PreviewRequestSerializer, responses=PreviewSerializer)
    @action(
        detail=False,
        methods=["post"],
        parser_classes=[JSONParser, FormParser, MultiPartParser],
    )
    def preview(self, request):
        """Encoding, characters and segments of a text (``channel`` one of the five channels)."""
        raw = request.data
        if not hasattr(raw, "get"):  # a JSON array, string or number instead of an object
            raise Invalid(
                gettext('Envíe un objeto JSON: {"channel": "sms", "text": "…"}.'),
                code="invalid",
                field=None,
            )
        channel = str(raw.get("channel", "") or "")
        if channel not in Channel.values:
            raise Invalid(
                gettext("Canal no válido: «%(channel)s». Use sms, email, whatsapp, voice o call.")
                % {"channel": channel},
                code="invalid_channel",
                field="channel",
            )
        text = raw.get("text")
        if text is None:
            text = raw.get("body", "")  # the editor's form names the field "body"
        if not isinstance(text, str):
            raise Invalid(gettext("El texto debe ser una cadena."), code="invalid", field="text")
        if len(text) > MAX_PREVIEW_CHARS:
            raise Invalid(
                gettext("El texto supera %(limit)s caracteres.")
                % {"limit": format(MAX_PREVIEW_CHARS, ",").replace(",", ".")},
                code="too_long",
                field="text",
            )
        text = text.replace("\r\n", "\n")
        brief = None
        code = str(raw.get("brief", "") or "")
        if code:
            found = Brief.objects.filter(code=code).first()
            brief = found if found is not None and may_view(request.user, found) else None
        data = preview_data(channel, text, brief)
        if request.headers.get("HX-Request"):
            html = render_to_string(
                "content/partials/counter.html", {"p": data, "brief": brief}, request=request
            )
            return HttpResponse(html)
        return Response(data)


# --- templates --------------------------------------------------------------------------


class TemplateSerializer(serializers.ModelSerializer):
    brief = serializers.SlugRelatedField(slug_field="code", read_only=True)
    channel = serializers.CharField(read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    links = serializers.SerializerMethodField()

    class Meta:
        model = Template
        fields = [
            "id", "brief", "channel", "name", "body", "subject", "html", "text", "sender",
            "reply_to", "wa_name", "wa_language", "wa_category", "wa_variables",
            "wa_button_url", "voice_audio", "script_sections", "missing_policy", "fallbacks",
            "version", "frozen_at", "frozen_sha256", "links", "created_by", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_links(self, template) -> list[dict]:
        return [{"id": link.pk, "url": link.url} for link in template.links.all()]


class TemplateWriteSerializer(serializers.Serializer):
    channel = serializers.CharField(required=False)
    name = serializers.CharField(required=False, allow_blank=True, max_length=120)
    body = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    subject = serializers.CharField(required=False, allow_blank=True, max_length=255)
    html = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    sender = serializers.CharField(required=False, allow_blank=True, max_length=254)
    reply_to = serializers.CharField(required=False, allow_blank=True, max_length=254)
    wa_name = serializers.CharField(required=False, allow_blank=True, max_length=512)
    wa_language = serializers.CharField(required=False, allow_blank=True, max_length=10)
    wa_category = serializers.ChoiceField(
        choices=WaCategory.choices, required=False, allow_blank=True
    )
    wa_variables = serializers.ListField(child=serializers.CharField(), required=False)
    wa_button_url = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    voice_audio = serializers.IntegerField(required=False, allow_null=True)
    script_sections = serializers.JSONField(required=False)
    missing_policy = serializers.ChoiceField(choices=MissingPolicy.choices, required=False)
    fallbacks = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)


def _email_body(data: dict, channel: str | None) -> dict:
    """DESIGN §6 writes every template as ``{"channel", "body"}`` (e-mail adds ``"subject"``):
    an e-mail ``body`` without ``html`` or ``text`` is the plain-text part."""
    if channel == Channel.EMAIL and data.get("body") and not (data.get("html") or data.get("text")):
        data["text"] = data["body"]
    return data


class BriefTemplatesViewSet(viewsets.GenericViewSet):
    """The brief's channel templates; POST adds one (``{"channel": "sms", "body": …}``)."""

    parser_classes = [JSONParser]
    serializer_class = TemplateSerializer
    queryset = Template.objects.none()
    pagination_class = None
    route_names = {"list": "brief_templates"}

    @extend_schema(parameters=[BRIEF_CODE_PARAM], responses=TemplateSerializer(many=True))
    def list(self, request, code=None):
        brief = visible_brief(request.user, code)
        templates = Template.objects.filter(brief=brief).prefetch_related("links")
        return Response(TemplateSerializer(templates, many=True).data)

    @extend_schema(
        parameters=[BRIEF_CODE_PARAM], request=TemplateWriteSerializer, responses=TemplateSerializer
    )
    def create(self, request, code=None):
        brief = visible_brief(request.user, code)
        payload = TemplateWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        template = actions.create_template(
            brief, actor=request.user, data=_email_body(data, data.get("channel")), request=request
        )
        return Response(TemplateSerializer(template).data, status=status.HTTP_201_CREATED)


class TemplateViewSet(viewsets.GenericViewSet):
    """One template; PATCH changes it while it is not frozen."""

    parser_classes = [JSONParser]
    serializer_class = TemplateSerializer
    queryset = Template.objects.none()
    lookup_value_regex = r"\d+"
    route_names = {"detail": "template_detail"}

    def get_object(self) -> Template:
        template = get_object_or_404(Template.objects.select_related("brief"), pk=self.kwargs["pk"])
        require_view(self.request.user, template.brief)
        return template

    @extend_schema(parameters=[ID_PARAM], responses=TemplateSerializer)
    def retrieve(self, request, pk=None):
        return Response(TemplateSerializer(self.get_object()).data)

    @extend_schema(
        parameters=[ID_PARAM], request=TemplateWriteSerializer, responses=TemplateSerializer
    )
    def partial_update(self, request, pk=None):
        template = self.get_object()
        payload = TemplateWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = _email_body(dict(payload.validated_data), template.channel)
        template = actions.update_template(template, actor=request.user, data=data, request=request)
        return Response(TemplateSerializer(template).data)


# --- creatives --------------------------------------------------------------------------


class CreativeSerializer(serializers.ModelSerializer):
    channel = serializers.CharField(read_only=True)

    class Meta:
        model = Creative
        fields = [
            "id", "channel", "version", "name", "original_name", "size", "sha256",
            "description", "uploaded_at", "frozen_at", "frozen_sha256", "retention_until",
        ]  # fmt: skip
        read_only_fields = fields


class CreativeUploadSerializer(serializers.Serializer):
    channel = serializers.CharField(help_text="sms, email, whatsapp, voice o call")
    file = serializers.FileField()
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)


class BriefCreativesViewSet(viewsets.GenericViewSet):
    """The brief's creatives repository; POST (multipart) adds a new version."""

    parser_classes = [MultiPartParser, FormParser]
    serializer_class = CreativeSerializer
    queryset = Creative.objects.none()
    pagination_class = None
    route_names = {"list": "brief_creatives"}

    @extend_schema(parameters=[BRIEF_CODE_PARAM], responses=CreativeSerializer(many=True))
    def list(self, request, code=None):
        brief = visible_brief(request.user, code)
        return Response(CreativeSerializer(brief.creatives.all(), many=True).data)

    @extend_schema(
        parameters=[BRIEF_CODE_PARAM],
        request=CreativeUploadSerializer,
        responses=CreativeSerializer,
    )
    def create(self, request, code=None):
        brief = visible_brief(request.user, code)
        payload = CreativeUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        creative = actions.add_creative(
            brief,
            actor=request.user,
            channel=payload.validated_data["channel"],
            upload=payload.validated_data["file"],
            description=payload.validated_data.get("description", ""),
            request=request,
        )
        return Response(CreativeSerializer(creative).data, status=status.HTTP_201_CREATED)
