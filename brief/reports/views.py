"""Pages (thin: permissions, the builder, a template)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from brief.accounts.models import Area
from brief.campaigns import permissions
from brief.campaigns.models import Brief
from brief.campaigns.permissions import may_write_conclusions, visible_brief
from brief.contacts.charts import USABLE_COLOR, bar_chart, thousands

# --- monthly reports, QC sample ---
from brief.core import calendar, sla
from brief.core.audit import record
from brief.core.exceptions import Forbidden, Refusal
from brief.core.models import SLAClock
from brief.core.tabular import CSV_TYPE, XLSX_TYPE, csv_stream, download, xlsx_file

from . import actions, campaign, dashboards, documents, monthly, qc, registers
from . import sla_report as sla_report_module
from .choices import OPEN_RECOMMENDATION_STATES
from .forms import (
    BreachReasonForm,
    ChecklistForm,
    DrawSampleForm,
    MonthlyFilterForm,
    RecommendationForm,
    RecommendationStatusForm,
    SLAPeriodForm,
)
from .models import DailyReport, DeliveredReport, QualityItem, QualitySample


def _today() -> dt.date:
    return calendar.local(timezone.now()).date()


@login_required
@require_GET
def monthly_report(request):
    """The monthly mass-campaign report of an area (or all); ``?format=xlsx|pdf`` downloads."""
    asked = Area.objects.filter(code=request.GET.get("area") or "").first()
    where = permissions.require_monthly_report(request.user, asked.pk if asked else None)
    areas = Area.objects.filter(pk=where.area_id) if where.area_id else Area.objects.all()
    data = request.GET.copy()
    data.setdefault("mes", monthly.previous_month(_today()).strftime("%Y-%m"))
    if where.area_id and not data.get("area"):
        data["area"] = areas.first().code if areas.exists() else ""
    form = MonthlyFilterForm(data, areas=areas)
    report = None
    if form.is_valid():
        area = form.cleaned_data["area"]
        month = monthly.parse_month(form.cleaned_data["mes"])
        report = monthly.mass_campaigns(area, month.year, month.month, user=request.user)
        fmt = request.GET.get("format")
        if fmt in ("xlsx", "pdf"):
            return monthly.download(report, fmt)
    return render(request, "reports/monthly.html", {"form": form, "report": report})


@login_required
def recommendation_list(request):
    """Open recommendations (overdue flagged); OCM and the provider file new ones here."""
    permissions.require_monthly_report(request.user)
    can_create = permissions.may_create_recommendation(request.user)
    form = RecommendationForm(request.POST or None, briefs=Brief.objects.visible_to(request.user))
    if request.method == "POST":
        permissions.require_create_recommendation(request.user)
        if form.is_valid():
            try:
                actions.create_recommendation(
                    actor=request.user, request=request, **form.cleaned_data
                )
            except Refusal as refusal:
                form.add_error(
                    refusal.field if refusal.field in form.fields else None, refusal.message
                )
            else:
                messages.success(request, _("Recomendación registrada."))
                return redirect("reports:recommendation_list")
    show_closed = request.GET.get("cerradas") == "1"
    recs = monthly.recommendations_scope(request.user)
    if not show_closed:
        recs = recs.filter(status__in=OPEN_RECOMMENDATION_STATES)
    today = _today()
    rows = [
        {
            "r": r,
            "overdue": r.overdue_on(today),
            "may_update": permissions.may_update_recommendation(request.user, r),
        }
        for r in recs
    ]
    return render(
        request,
        "reports/recommendations.html",
        {
            "rows": rows,
            "form": form if can_create else None,
            "status_form": RecommendationStatusForm(),
            "show_closed": show_closed,
        },
    )


@login_required
@require_POST
def recommendation_update(request, pk: int):
    """The owner (or OCM) changes a recommendation's status or closes it."""
    rec = get_object_or_404(monthly.recommendations_scope(request.user), pk=pk)
    permissions.require_update_recommendation(request.user, rec)
    form = RecommendationStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Elija un estado válido."))
    else:
        try:
            actions.set_recommendation_status(
                rec,
                actor=request.user,
                request=request,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except Refusal as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("Recomendación actualizada."))
    return redirect("reports:recommendation_list")


@login_required
def qc_list(request):
    """The QC samples; OCM draws a month's sample here."""
    permissions.require_qc(request.user)
    form = DrawSampleForm(
        request.POST or None, initial={"mes": monthly.previous_month(_today()).strftime("%Y-%m")}
    )
    if request.method == "POST":
        permissions.require_qc_draw(request.user)
        if form.is_valid():
            month = monthly.parse_month(form.cleaned_data["mes"])
            try:
                sample = actions.draw_sample(month, actor=request.user)
            except Refusal as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(request, _("Muestra sorteada."))
                return redirect("reports:qc_detail", month=sample.month.strftime("%Y-%m"))
    return render(
        request,
        "reports/qc_list.html",
        {
            "samples": QualitySample.objects.all(),
            "form": form,
            "may_draw": permissions.may_draw_qc(request.user),
        },
    )


def _sample(month: str) -> QualitySample:
    try:
        first = monthly.parse_month(month)
    except Refusal:
        first = None
    return get_object_or_404(QualitySample, month=first)


@login_required
@require_GET
def qc_detail(request, month: str):
    """A sample: the formula and its numbers, each item's checklist, compliance, findings;
    ``?format=xlsx|pdf`` downloads the results report."""
    permissions.require_qc(request.user)
    sample = _sample(month)
    data = qc.results(sample)
    fmt = request.GET.get("format")
    if fmt in ("xlsx", "pdf"):
        return qc.download(data, fmt)
    may_review = permissions.may_review_qc(request.user)
    for row in data["items"]:
        initial = {"finding": row["finding"]}
        for key, entry in row["checklist"].items():
            initial[key] = entry.get("value", "")
            initial[f"{key}_comment"] = entry.get("comment", "")
        row["form"] = ChecklistForm(initial=initial, prefix=f"i{row['id']}") if may_review else None
    return render(
        request,
        "reports/qc_detail.html",
        {"sample": sample, "data": data, "may_review": may_review},
    )


@login_required
@require_POST
def qc_item_review(request, month: str, item: int):
    """Save one item's checklist and finding."""
    permissions.require_qc_review(request.user)
    sample = _sample(month)
    obj = get_object_or_404(QualityItem, sample=sample, pk=item)
    form = ChecklistForm(request.POST, prefix=f"i{obj.pk}")
    if form.is_valid():
        try:
            actions.review_item(
                obj,
                actor=request.user,
                request=request,
                checklist=form.checklist(),
                finding=form.cleaned_data["finding"],
            )
        except Refusal as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("Lista de chequeo guardada."))
    else:
        messages.error(request, _("Revise las respuestas de la lista de chequeo."))
    return redirect(reverse("reports:qc_detail", args=[month]) + f"#item-{obj.pk}")


# --- daily execution report ---


@login_required
@require_GET
def daily_list(request, code: str):
    """The daily execution reports of a brief, newest first, with their downloads."""
    brief = visible_brief(request.user, code)
    reports = list(DailyReport.objects.filter(brief=brief).order_by("-day"))
    return render(request, "reports/daily_list.html", {"brief": brief, "reports": reports})


@login_required
@require_GET
def daily_download(request, code: str, day: str):
    """One day's report as XLSX (logged, like every document download)."""
    brief = visible_brief(request.user, code)
    try:
        when = dt.date.fromisoformat(day)
    except ValueError as exc:
        raise Http404 from exc
    report = get_object_or_404(DailyReport, brief=brief, day=when)
    if not report.file:
        raise Http404
    record(
        "DAILY_REPORT_DOWNLOADED",
        actor=request.user,
        target=brief,
        request=request,
        details={"day": day, "sha256": report.sha256},
    )
    return FileResponse(
        report.file.open("rb"),
        as_attachment=True,
        filename=report.file_name,
        content_type=XLSX_TYPE,
    )


# --- dashboards ---


@login_required
@require_GET
def dashboard(request):
    """OCM's or the area's dashboard: the fragment the home page loads, or a page of its own."""
    data = dashboards.build(request.user)
    if not data:
        raise Forbidden(_("El tablero de indicadores es para OCM, control interno y las áreas."))
    context = {"data": data, "charts": dashboards.chart_svgs(data)}
    if request.htmx:
        return render(request, "reports/partials/dashboard.html", context)
    return render(request, "reports/dashboard.html", context)


# --- fortnightly SLA report ---


SLA_FORMATS = ("csv", "xlsx", "pdf")


@login_required
@require_GET
def sla_report(request):
    """The SLA report of a period (the last full fortnight by default), of one area and one
    result if asked: every clock with its verdict and reason, compliance per phase and per
    responsible side; ``?format=csv|xlsx|pdf`` downloads it (audited, never cached)."""
    user = request.user
    permissions.require_sla_report(user)
    data = request.GET.copy()
    start, end = sla_report_module.previous_fortnight(_today())
    data.setdefault("desde", start.isoformat())
    data.setdefault("hasta", end.isoformat())
    form = SLAPeriodForm(data)
    report = None
    status = 200
    if form.is_valid():
        period = form.cleaned_data
        briefs = Brief.objects.visible_to(user)
        if period["area"]:
            briefs = briefs.filter(area=period["area"])
        report = sla_report_module.build(
            period["desde"], period["hasta"], briefs=briefs, outcome=period["resultado"]
        )
        fmt = request.GET.get("format")
        if fmt in SLA_FORMATS:
            return _sla_download(request, report, fmt)
    else:
        status = 400
    can_explain = user.has_role(*sla.BREACH_EXPLAINERS)
    query = request.GET.copy()
    query.pop("format", None)
    return render(
        request,
        "reports/sla_report.html",
        {
            "form": form,
            "report": report,
            "can_explain": can_explain,
            "query": query.urlencode(),
            "formats": SLA_FORMATS,
        },
        status=status,
    )


def _sla_download(request, report: dict, fmt: str):
    """The report as a file, after auditing the download as ``SLA_REPORT_EXPORTED``."""
    filters = {k: v for k, v in request.GET.items() if k != "format" and v}
    record(
        "SLA_REPORT_EXPORTED",
        request=request,
        details={"format": fmt, "rows": len(report["clocks"]), "filters": filters},
    )
    name = sla_report_module.file_name(report)
    if fmt == "csv":
        header = list(sla_report_module.CLOCK_HEADER)
        return download(
            fmt, header, sla_report_module.clock_frames(report), name=name, sheet=_("Relojes")
        )
    if fmt == "pdf":
        content, kind = sla_report_module.pdf(report), "application/pdf"
    else:
        content, kind = sla_report_module.xlsx(report), XLSX_TYPE
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def sla_breach_reason(request, pk: int):
    """OCM writes why a clock was late or breached (``sla.explain_breach``)."""
    permissions.require_sla_report(request.user)
    clock = get_object_or_404(SLAClock, pk=pk)
    form = BreachReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Escriba el motivo del incumplimiento."))
    else:
        try:
            sla.explain_breach(
                clock, actor=request.user, reason=form.cleaned_data["reason"], request=request
            )
        except Refusal as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Motivo del incumplimiento registrado."))
    back = request.POST.get("query", "")
    return redirect(reverse("reports:sla_report") + (f"?{back}" if back else "") + f"#reloj-{pk}")


# --- campaign report ---


def _brief(request, code: str) -> Brief:
    return visible_brief(request.user, code, "area", "provider")


def _filters(request) -> dict:
    try:
        return campaign.parse_filters(request.GET)
    except Refusal as exc:
        for error in exc.errors:
            messages.error(request, error["message"])
        return {"sweep": None, "channel": None}


def _chart(rows: list[tuple[str, int]], *, xlabel: str, prefix: str) -> dict:
    labels = [label for label, _n in rows]
    values = [int(n or 0) for _label, n in rows]
    return {
        "svg": bar_chart(labels, values, color=USABLE_COLOR, xlabel=xlabel, prefix=prefix),
        "rows": rows,
        "text": "; ".join(f"{label}: {thousands(n)}" for label, n in rows),
    }


@login_required
@require_GET
def campaign_report(request, code: str):
    """The campaign report: summary against targets, totals, funnel per sweep, send hours,
    costs, answers and observations, with the downloads and the delivered versions."""
    brief = _brief(request, code)
    filters = _filters(request)
    data = campaign.build(brief, **filters)
    actions.log_report_read(brief, actor=request.user, what="viewed", request=request, **filters)
    funnel_labels, funnel_values = documents.funnel_chart_data(data)
    hour_labels, hour_values = documents.hours_chart_data(data)
    query = request.GET.urlencode()
    return render(
        request,
        "reports/campaign.html",
        {
            "brief": brief,
            "data": data,
            "filters": filters,
            "query": f"?{query}" if query else "",
            "sweeps": brief.sweeps.order_by("number").values_list("number", "channel"),
            "channels": sorted({c for _n, c in brief.sweeps.values_list("number", "channel")}),
            "funnel_chart": _chart(
                list(zip(funnel_labels, funnel_values, strict=True)),
                xlabel=_("Mensajes"),
                prefix="embudo",
            ),
            "hours_chart": _chart(
                list(zip(hour_labels, hour_values, strict=True)),
                xlabel=_("Enviados"),
                prefix="horas",
            ),
            "delivered": DeliveredReport.objects.filter(brief=brief).select_related("by"),
            "can_conclude": may_write_conclusions(request.user, brief),
        },
    )


@login_required
@require_GET
def campaign_download(request, code: str, fmt: str):
    """The report as PDF, XLSX or CSV (the page's filters apply)."""
    if fmt not in documents.RENDERERS:
        raise Http404(_("Formato no disponible."))
    brief = _brief(request, code)
    try:
        filters = campaign.parse_filters(request.GET)
    except Refusal as exc:
        raise Http404(exc.errors[0]["message"]) from exc
    data = campaign.build(brief, **filters)
    actions.log_report_read(
        brief, actor=request.user, what="downloaded", request=request, format=fmt, **filters
    )
    response = HttpResponse(
        documents.RENDERERS[fmt](data), content_type=documents.CONTENT_TYPES[fmt]
    )
    response["Content-Disposition"] = f'attachment; filename="informe-{brief.code}.{fmt}"'
    return response


@login_required
@require_GET
def register_download(request, code: str, kind: str, fmt: str):
    """A recipient-level register (``sent``, ``read`` when the brief asked for it, ``managed``)
    as streamed XLSX or CSV; logged."""
    if kind not in registers.KINDS or fmt not in {"xlsx", "csv"}:
        raise Http404(_("Registro no disponible."))
    brief = _brief(request, code)
    if kind == "read" and not brief.read_register:
        raise Http404(_("Este brief no pidió registro de lectura."))
    actions.log_report_read(
        brief, actor=request.user, what="register_downloaded", request=request, kind=kind,
        format=fmt,
    )  # fmt: skip
    header, frames = registers.register(brief, kind)
    name = f"{kind}-{brief.code}"
    if fmt == "xlsx":
        handle = xlsx_file(header, frames, str(registers.SHEETS[kind]))
        return FileResponse(
            handle, as_attachment=True, filename=f"{name}.xlsx", content_type=XLSX_TYPE
        )
    streamed = StreamingHttpResponse(csv_stream(header, frames), content_type=CSV_TYPE)
    streamed["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return streamed


@login_required
@require_GET
def delivered_download(request, code: str, version: int, fmt: str):
    """A delivered (frozen) version's PDF or XLSX, byte for byte as delivered."""
    if fmt not in {"pdf", "xlsx"}:
        raise Http404(_("Formato no disponible."))
    brief = _brief(request, code)
    delivered = get_object_or_404(DeliveredReport, brief=brief, version=version)
    actions.log_report_read(
        brief, actor=request.user, what="delivered_downloaded", request=request,
        version=version, format=fmt,
    )  # fmt: skip
    stored = delivered.pdf if fmt == "pdf" else delivered.xlsx
    try:
        handle = stored.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("El archivo ya no está disponible.")) from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"ficha-resultados-{brief.code}-v{version}.{fmt}",
        content_type=documents.CONTENT_TYPES[fmt],
    )


@login_required
@require_POST
def conclusions(request, code: str):
    """OCM writes the report's conclusions (the form on the report page)."""
    brief = _brief(request, code)
    try:
        actions.write_conclusions(
            brief, actor=request.user, text=request.POST.get("text", ""), request=request
        )
    except Refusal as exc:
        for error in exc.errors:
            messages.error(request, error["message"])
    else:
        messages.success(request, _("Conclusiones guardadas."))
    return redirect(reverse("reports:campaign", args=[brief.code]) + "#conclusiones")
