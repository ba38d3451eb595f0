"""Sweeps API (DESIGN §6): create on a brief, read with counts, pause/resume/cancel, report."""

from __future__ import annotations

import csv
import io

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from brief.campaigns.models import Brief
from brief.campaigns.permissions import may_view, visible_brief
from brief.contacts.models import Segment
from brief.core.exceptions import Forbidden, Invalid

from . import actions, report
from .choices import Include
from .models import Sweep


class SweepCreateSerializer(serializers.Serializer):
    channel = serializers.CharField()
    template = serializers.IntegerField()
    provider_account = serializers.CharField()
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


def _brief(request, code: str) -> Brief:
    return visible_brief(request.user, code)


def _sweep(request, pk: int) -> Sweep:
    sweep = get_object_or_404(Sweep.objects.select_related("brief", "provider_account"), pk=pk)
    if not may_view(request.user, sweep.brief):
        raise Forbidden("No tiene acceso a este barrido.")
    return sweep


@extend_schema(request=SweepCreateSerializer, responses=SweepSerializer)
@api_view(["GET", "POST"])
def brief_sweeps(request, code: str):
    """List the sweeps of a brief, or create one (the outbox is written at once)."""
    from brief.content.models import Template

    brief = _brief(request, code)
    if request.method == "GET":
        return Response([report.sweep_json(s) for s in brief.sweeps.all()])
    payload = SweepCreateSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    data = payload.validated_data
    template = Template.objects.filter(pk=data["template"], brief=brief).first()
    if template is None:
        raise Invalid(
            "La plantilla no existe en este brief.", code="bad_template", field="template"
        )
    segment = None
    if data.get("segment"):
        segment = Segment.objects.filter(pk=data["segment"], base__brief=brief).first()
        if segment is None:
            raise Invalid(
                "El segmento no existe en este brief.", code="bad_segment", field="segment"
            )
    sweep = actions.create_sweep(
        brief,
        actor=request.user,
        channel=data["channel"],
        template=template,
        provider_account=data["provider_account"],
        start_at=data.get("start_at"),
        include=data["include"],
        segment=segment,
        ignore_windows=data["ignore_windows"],
        ignore_daily_cap=data["ignore_daily_cap"],
        exception_reason=data["exception_reason"],
        request=request,
    )
    return Response(report.sweep_json(sweep), status=status.HTTP_201_CREATED)


@extend_schema(responses=SweepSerializer)
@api_view(["GET"])
def sweep_detail(request, pk: int):
    return Response(report.sweep_json(_sweep(request, pk)))


@extend_schema(request=None, responses=SweepSerializer)
@api_view(["POST"])
def sweep_control(request, pk: int, command: str):
    handler = {
        "pause": actions.pause_sweep,
        "resume": actions.resume_sweep,
        "cancel": actions.cancel_sweep,
    }.get(command)
    if handler is None:
        raise Http404
    sweep = _sweep(request, pk)
    return Response(report.sweep_json(handler(sweep, actor=request.user, request=request)))


@extend_schema(
    parameters=[OpenApiParameter("format", str, enum=["json", "csv", "xlsx"])],
    responses=OpenApiTypes.OBJECT,
)
@api_view(["GET"])
def brief_report(request, code: str):
    """The campaign report: JSON, or ``?format=csv|xlsx``."""
    brief = _brief(request, code)
    data = report.build(brief)
    fmt = request.query_params.get("format", "json")
    if fmt == "json":
        return Response(data)
    rows = (
        [["barrido", "canal", "estado", "total", *data["sweeps"][0]["counts"].keys()]]
        if data["sweeps"]
        else [["barrido", "canal", "estado", "total"]]
    )
    for s in data["sweeps"]:
        rows.append([s["number"], s["channel"], s["state"], s["total"], *s["counts"].values()])
    rows.append([])
    rows += [["total", key, value] for key, value in data["totals"].items()]
    rows += [["contactabilidad", data["contact_rate"]], ["efectividad", data["effectiveness"]]]
    name = f"informe-{brief.code}"
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    if fmt == "xlsx":
        import xlsxwriter

        out = io.BytesIO()
        book = xlsxwriter.Workbook(out, {"in_memory": True})
        sheet = book.add_worksheet("Informe")
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write(r, c, value) if not isinstance(value, str) else sheet.write_string(
                    r, c, value
                )
        book.close()
        response = HttpResponse(
            out.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    raise Invalid("Formato no disponible: use json, csv o xlsx.", code="bad_format", field="format")
