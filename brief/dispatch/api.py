"""Sweeps API (DESIGN §6): create on a brief, read with counts, pause/resume/cancel;
provider accounts (admin only, secrets write-only) and their test send."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse

from brief.campaigns.models import Brief
from brief.campaigns.permissions import may_view, visible_brief
from brief.contacts.models import Segment
from brief.core.api import BRIEF_CODE_PARAM, Pagination, request_object
from brief.core.exceptions import Conflict, Forbidden, Invalid

from . import actions, inbound, report
from .choices import Include, ProviderKind
from .filters import InboundFilter
from .models import InboundMessage, ProviderAccount, Sweep
from .providers.base import ProviderError
from .providers.options import mask_options


class SweepCreateSerializer(serializers.Serializer):
    channel = serializers.CharField()
    template = serializers.IntegerField()
    provider_account = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Required except for call sweeps (advisors work them; nothing is sent).",
    )
    start_at = serializers.DateTimeField(required=False, allow_null=True)
    include = serializers.ChoiceField(choices=Include.choices, default=Include.ALL)
    segment = serializers.IntegerField(required=False, allow_null=True)
    ignore_windows = serializers.BooleanField(default=False)
    ignore_daily_cap = serializers.BooleanField(default=False)
    exception_reason = serializers.CharField(required=False, allow_blank=True, default="")


class SweepSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    channel = serializers.CharField()
    state = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField())


def _sweep(request, pk: int) -> Sweep:
    sweep = get_object_or_404(Sweep.objects.select_related("brief", "provider_account"), pk=pk)
    if not may_view(request.user, sweep.brief):
        raise Forbidden(gettext("No tiene acceso a este barrido."))
    return sweep


COMMAND_PARAM = OpenApiParameter(
    "command", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["pause", "resume", "cancel"]
)
CONTROLS = {
    "pause": actions.pause_sweep,
    "resume": actions.resume_sweep,
    "cancel": actions.cancel_sweep,
}


class BriefSweepsViewSet(viewsets.GenericViewSet):
    """The sweeps of a brief (``/api/v1/briefs/{code}/sweeps/``); POST creates one."""

    serializer_class = SweepSerializer
    queryset = Sweep.objects.none()
    pagination_class = None
    route_names = {"list": "brief_sweeps"}

    @extend_schema(parameters=[BRIEF_CODE_PARAM], responses=SweepSerializer(many=True))
    def list(self, request, code=None):
        brief = visible_brief(request.user, code)
        return Response([report.sweep_json(s) for s in brief.sweeps.all()])

    @extend_schema(
        parameters=[BRIEF_CODE_PARAM], request=SweepCreateSerializer, responses=SweepSerializer
    )
    def create(self, request, code=None):
        """Create a sweep (the outbox is written at once)."""
        brief = visible_brief(request.user, code)
        payload = SweepCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        sweep = actions.create_sweep(
            brief,
            actor=request.user,
            channel=data["channel"],
            template=_template_of(brief, data["template"]),
            provider_account=data["provider_account"],
            start_at=data.get("start_at"),
            include=data["include"],
            segment=_segment_of(brief, data.get("segment")),
            ignore_windows=data["ignore_windows"],
            ignore_daily_cap=data["ignore_daily_cap"],
            exception_reason=data["exception_reason"],
            request=request,
        )
        return Response(report.sweep_json(sweep), status=status.HTTP_201_CREATED)


def _template_of(brief: Brief, pk: int):
    from brief.content.models import Template

    template = Template.objects.filter(pk=pk, brief=brief).first()
    if template is None:
        raise Invalid(
            gettext("La plantilla no existe en este brief."), code="bad_template", field="template"
        )
    return template


def _segment_of(brief: Brief, pk: int | None) -> Segment | None:
    if not pk:
        return None
    segment = Segment.objects.filter(pk=pk, base__brief=brief).first()
    if segment is None:
        raise Invalid(
            gettext("El segmento no existe en este brief."), code="bad_segment", field="segment"
        )
    return segment


class BriefInboundViewSet(viewsets.GenericViewSet):
    """Replies to a brief's messages, newest first, with the contact's name (paginated)."""

    queryset = InboundMessage.objects.none()
    pagination_class = Pagination
    filterset_class = InboundFilter
    route_names = {"list": "brief_inbound"}

    @extend_schema(parameters=[BRIEF_CODE_PARAM], responses=OpenApiTypes.OBJECT)
    def list(self, request, code=None):
        brief = visible_brief(request.user, code)
        page = self.paginate_queryset(self.filter_queryset(inbound.for_brief(brief)))
        return self.get_paginated_response([inbound.inbound_json(r) for r in page or []])


class SweepViewSet(viewsets.GenericViewSet):
    """One sweep with its counts; ``POST …/{pause|resume|cancel}/`` controls it."""

    serializer_class = SweepSerializer
    queryset = Sweep.objects.none()
    lookup_value_regex = r"\d+"
    route_names = {"detail": "sweep_detail", "control": "sweep_control"}

    def get_object(self) -> Sweep:
        return _sweep(self.request, int(self.kwargs["pk"]))

    @extend_schema(responses=SweepSerializer)
    def retrieve(self, request, pk=None):
        return Response(report.sweep_json(self.get_object()))

    @extend_schema(parameters=[COMMAND_PARAM], request=None, responses=SweepSerializer)
    @action(detail=True, methods=["post"], url_path=r"(?P<command>[^/]+)", url_name="control")
    def control(self, request, pk=None, command=None):
        handler = CONTROLS.get(command or "")
        if handler is None:
            raise Http404
        sweep = self.get_object()
        return Response(report.sweep_json(handler(sweep, actor=request.user, request=request)))


# --- provider accounts -----------------------------------------------------------------


class IsAdministrator(permissions.BasePermission):
    """Provider accounts hold credentials: only administrators (superusers) see them."""

    message = gettext("Solo un administrador gestiona las cuentas de proveedor.")

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_superuser)


class ProviderAccountSerializer(serializers.Serializer):
    """Body of ``POST``/``PATCH``; answers add ``backend``, masked secrets, ``callback_url``."""

    code = serializers.SlugField(max_length=40)
    name = serializers.CharField(max_length=120, required=False)
    kind = serializers.ChoiceField(choices=ProviderKind.choices)
    channels = serializers.ListField(child=serializers.CharField(max_length=20), required=False)
    rate_per_second = serializers.FloatField(min_value=0.01, max_value=1_000_000, required=False)
    concurrency = serializers.IntegerField(min_value=1, max_value=256, required=False)
    chunk_size = serializers.IntegerField(min_value=1, max_value=100_000, required=False)
    active = serializers.BooleanField(required=False)
    options = serializers.DictField(required=False)


class ProviderTestSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=254)
    text = serializers.CharField(
        max_length=2000, required=False, default=gettext_lazy("Prueba de Brief")
    )
    channel = serializers.CharField(max_length=20, required=False, default="")


def account_json(account: ProviderAccount) -> dict:
    """An account as the API shows it: secrets masked, the absolute callback URL."""
    return {
        "code": account.code,
        "name": account.name,
        "kind": account.kind,
        "backend": account.backend,
        "channels": account.channels,
        "rate_per_second": account.rate_per_second,
        "concurrency": account.concurrency,
        "chunk_size": account.chunk_size,
        "active": account.active,
        "options": mask_options(account.options or {}),
        "callback_url": settings.SITE_URL + reverse("provider_callback", args=[account.code]),
    }


class ProviderAccountViewSet(viewsets.ViewSet):
    """``/api/v1/provider-accounts/``: list, create, read, edit, delete, ``test/`` (admin)."""

    permission_classes = [permissions.IsAuthenticated, IsAdministrator]
    lookup_field = "code"
    serializer_class = ProviderAccountSerializer
    queryset = ProviderAccount.objects.none()  # the schema reads the path parameter's type

    def _account(self, code: str) -> ProviderAccount:
        return get_object_or_404(ProviderAccount, code=code)

    def _data(self, request, *, partial: bool) -> dict:
        payload = ProviderAccountSerializer(data=request_object(request), partial=partial)
        payload.is_valid(raise_exception=True)
        return dict(payload.validated_data)

    @extend_schema(responses=ProviderAccountSerializer(many=True))
    def list(self, request):
        return Response([account_json(a) for a in ProviderAccount.objects.order_by("code")])

    @extend_schema(request=ProviderAccountSerializer, responses=ProviderAccountSerializer)
    def create(self, request):
        account = actions.create_provider_account(
            actor=request.user, data=self._data(request, partial=False), request=request
        )
        return Response(account_json(account), status=status.HTTP_201_CREATED)

    @extend_schema(responses=ProviderAccountSerializer)
    def retrieve(self, request, code=None):
        return Response(account_json(self._account(code)))

    @extend_schema(request=ProviderAccountSerializer, responses=ProviderAccountSerializer)
    def partial_update(self, request, code=None):
        account = actions.update_provider_account(
            self._account(code),
            actor=request.user,
            data=self._data(request, partial=True),
            request=request,
        )
        return Response(account_json(account))

    def destroy(self, request, code=None):
        actions.delete_provider_account(self._account(code), actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ProviderTestSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def test(self, request, code=None):
        """Send one message through the account and return the provider's answer."""
        payload = ProviderTestSerializer(data=request_object(request))
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        answer = actions.send_test_message(
            self._account(code),
            actor=request.user,
            to=data["to"],
            text=str(data["text"]),
            channel=data["channel"],
            request=request,
        )
        return Response(answer)

    @extend_schema(parameters=[BRIEF_CODE_PARAM], request=None, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"], url_path="sync-templates")
    def sync_templates(self, request, code=None):
        """Read the account's WhatsApp templates at Meta and record approved / rejected /
        paused on ours (the same work as the periodic task)."""
        try:
            result = actions.sync_whatsapp_templates(
                self._account(code), actor=request.user, request=request
            )
        except ProviderError as exc:
            raise Conflict(
                gettext("No se pudo leer las plantillas en Meta: %(exc)s") % {"exc": exc},
                code="provider",
            ) from exc
        return Response(result)
