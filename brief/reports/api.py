"""API of the reports app (DRF viewsets on the one router)."""

from __future__ import annotations

from django.http import HttpResponse

# --- monthly reports, QC sample ---
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from brief.accounts.models import Area, User
from brief.campaigns import permissions
from brief.campaigns.models import Brief
from brief.campaigns.permissions import visible_brief
from brief.core import calendar
from brief.core.api import BRIEF_CODE_PARAM, request_object
from brief.core.exceptions import Invalid

from . import actions, campaign, daily, documents, monthly
from .choices import OPEN_RECOMMENDATION_STATES, RecommendationStatus
from .models import DailyReport


def _get(model, field: str, lookup: str, value, label: str):
    """The ``model`` row whose ``lookup`` is ``value``; a 400 on ``field`` when missing."""
    if not isinstance(value, str) or not value:
        raise Invalid(gettext("Falta %(what)s.") % {"what": label}, code="required", field=field)
    obj = model.objects.filter(**{lookup: value}).first()
    if obj is None:
        raise Invalid(
            gettext("No existe %(what)s «%(value)s».") % {"what": label, "value": value},
            code="not_found",
            field=field,
        )
    return obj


class RecommendationSerializer(serializers.Serializer):
    """A recommendation as the API answers it (``monthly.recommendation_json``)."""

    id = serializers.IntegerField()
    text = serializers.CharField()
    area = serializers.CharField()
    area_name = serializers.CharField()
    brief = serializers.CharField(allow_null=True)
    owner = serializers.CharField()
    owner_name = serializers.CharField()
    due_date = serializers.DateField()
    status = serializers.ChoiceField(choices=RecommendationStatus.choices)
    status_label = serializers.CharField()
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    closing_note = serializers.CharField(allow_blank=True)
    overdue = serializers.BooleanField()


class RecommendationWriteSerializer(serializers.Serializer):
    text = serializers.CharField()
    area = serializers.CharField(help_text="código del área")
    owner = serializers.CharField(help_text="usuario responsable")
    due_date = serializers.DateField()
    brief = serializers.CharField(required=False, help_text="código del brief")


class RecommendationStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=RecommendationStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, help_text="nota de cierre")


class RecommendationViewSet(viewsets.ViewSet):
    """Improvement recommendations: ``GET`` lists what the caller reaches (``?status=open``
    for the open ones), ``POST`` files one (OCM, provider), ``PATCH {id}`` changes its status
    (``{"status", "note"}``; closing needs the note) — its owner or OCM."""

    lookup_value_regex = r"\d+"
    route_names = {"list": "recommendations", "detail": "recommendation"}

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=["open", "in_progress", "closed"])],
        responses=RecommendationSerializer(many=True),
    )
    def list(self, request):
        recs = monthly.recommendations_scope(request.user)
        status = request.query_params.get("status")
        if status == "open":
            recs = recs.filter(status__in=OPEN_RECOMMENDATION_STATES)
        elif status:
            recs = recs.filter(status=status)
        return Response([monthly.recommendation_json(r) for r in recs])

    @extend_schema(request=RecommendationWriteSerializer, responses={201: RecommendationSerializer})
    def create(self, request):
        data = request_object(request)
        due = parse_date(data["due_date"]) if isinstance(data.get("due_date"), str) else None
        if due is None:
            raise Invalid(
                gettext("La fecha compromiso va como AAAA-MM-DD."),
                code="bad_date",
                field="due_date",
            )
        permissions.require_create_recommendation(request.user)
        brief = (
            _get(Brief, "brief", "code", data["brief"], gettext("el brief"))
            if data.get("brief")
            else None
        )
        rec = actions.create_recommendation(
            actor=request.user,
            request=request,
            text=data.get("text") if isinstance(data.get("text"), str) else "",
            area=_get(Area, "area", "code", data.get("area"), gettext("el área")),
            owner=_get(User, "owner", "username", data.get("owner"), gettext("el responsable")),
            due_date=due,
            brief=brief,
        )
        return Response(monthly.recommendation_json(rec), status=201)

    @extend_schema(
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=RecommendationStatusSerializer,
        responses=RecommendationSerializer,
    )
    def partial_update(self, request, pk=None):
        rec = get_object_or_404(monthly.recommendations_scope(request.user), pk=pk)
        data = request_object(request)
        note = data.get("note") if isinstance(data.get("note"), str) else ""
        status = data.get("status") if isinstance(data.get("status"), str) else ""
        rec = actions.set_recommendation_status(
            rec, actor=request.user, request=request, status=status, note=note
        )
        return Response(monthly.recommendation_json(rec))


class MonthlyReportViewSet(viewsets.ViewSet):
    """The monthly mass-campaign report as JSON: ``?month=YYYY-MM`` (last month when absent)
    and ``?area=<code>`` (all the caller reaches when absent)."""

    route_names = {"list": "monthly_report"}

    @extend_schema(
        parameters=[OpenApiParameter("month", str), OpenApiParameter("area", str)],
        responses=OpenApiTypes.OBJECT,
    )
    def list(self, request):
        permissions.require_monthly_report(request.user)
        raw = request.query_params.get("month")
        if raw:
            month = monthly.parse_month(raw)
        else:
            month = monthly.previous_month(calendar.local(timezone.now()).date())
        code = request.query_params.get("area")
        area = _get(Area, "area", "code", code, gettext("el área")) if code else None
        return Response(monthly.mass_campaigns(area, month.year, month.month, user=request.user))


# --- daily execution report ---


def daily_json(report: DailyReport, request) -> dict:
    return {
        "day": report.day.isoformat(),
        "closed_at": report.closed_at,
        "generated_at": report.generated_at,
        "sent_at": report.sent_at,
        "sha256": report.sha256,
        "error": report.error,
        "recipients": report.recipients,
        "xlsx": request.build_absolute_uri(daily.download_url(report)) if report.file else None,
        "data": report.data,
    }


class BriefDailyReportsViewSet(viewsets.GenericViewSet):
    """A brief's daily execution reports, newest first
    (``/api/v1/briefs/{code}/daily-reports/``)."""

    queryset = DailyReport.objects.none()
    pagination_class = LimitOffsetPagination
    route_names = {"list": "brief_daily_reports"}

    @extend_schema(parameters=[BRIEF_CODE_PARAM], responses=OpenApiTypes.OBJECT)
    def list(self, request, code=None):
        brief = visible_brief(request.user, code)
        reports = DailyReport.objects.filter(brief=brief).order_by("-day")
        page = self.paginate_queryset(reports)
        return self.get_paginated_response([daily_json(r, request) for r in page or []])


# --- campaign report ---


FORMATS = ("json", "csv", "xlsx", "pdf")


class ConclusionsSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="conclusiones de OCM (texto)")


def report_response(brief: Brief, fmt: str, params=None, *, user=None, request=None):
    """The campaign report of ``brief`` as JSON, CSV, XLSX or PDF (the same content)."""
    if fmt not in FORMATS:
        raise Invalid(
            gettext("Formato no disponible: use json, csv, xlsx o pdf."),
            code="bad_format",
            field="format",
        )
    data = campaign.build(brief, **campaign.parse_filters(params or {}))
    if user is not None:
        actions.log_report_read(brief, actor=user, what="viewed", request=request, format=fmt)
    if fmt == "json":
        return Response(data)
    response = HttpResponse(
        documents.RENDERERS[fmt](data), content_type=documents.CONTENT_TYPES[fmt]
    )
    response["Content-Disposition"] = f'attachment; filename="informe-{brief.code}.{fmt}"'
    return response


class BriefReportViewSet(viewsets.ViewSet):
    """The campaign report (``/api/v1/briefs/{code}/report/``): JSON, or
    ``?format=csv|xlsx|pdf``; ``?sweep=<number>&channel=<code>`` narrow the sweep part."""

    route_names = {"list": "brief_report", "conclusions": "brief_report_conclusions"}

    @extend_schema(
        parameters=[
            BRIEF_CODE_PARAM,
            OpenApiParameter("format", str, enum=list(FORMATS)),
            OpenApiParameter("sweep", int),
            OpenApiParameter("channel", str),
        ],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            **{
                (200, documents.CONTENT_TYPES[f].split(";")[0]): OpenApiTypes.BINARY
                for f in FORMATS[1:]
            },
        },
    )
    def list(self, request, code=None):
        return report_response(
            visible_brief(request.user, code),
            request.query_params.get("format", "json"),
            request.query_params,
            user=request.user,
            request=request,
        )

    @extend_schema(
        parameters=[BRIEF_CODE_PARAM],
        request=ConclusionsSerializer,
        responses={201: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["post"])
    def conclusions(self, request, code=None):
        """OCM writes the report's conclusions (the latest counts)."""
        brief = visible_brief(request.user, code)
        body = request_object(request)
        written = actions.write_conclusions(
            brief, actor=request.user, text=str(body.get("text") or ""), request=request
        )
        return Response(
            {"text": written.text, "author": written.author.display_name,
             "at": written.at.isoformat()},
            status=status.HTTP_201_CREATED,
        )  # fmt: skip
