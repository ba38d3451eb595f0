"""Contact-base pages: imports of a brief, column mapping, progress and quality summary,
rejects downloads, segments and suppression lists.

Views stay thin (HOUSE_STYLE §1): permission → form → one call to :mod:`.actions` → redirect
with a Spanish message, or the page again with the errors. Every page is scoped by the brief
(``Brief.objects.visible_to`` / ``visible_brief``); a :class:`Forbidden` refusal becomes the
403 page, any other refusal (:class:`Refusal`) a Spanish message. Reading personal data (rejected
rows) is audit-logged; the summary and the counts are aggregates.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brief.campaigns.choices import AttachmentKind, channel_label
from brief.campaigns.models import Attachment, Brief
from brief.campaigns.permissions import visible_brief
from brief.campaigns.vocabulary import CHANNELS, REJECT_CODES, REJECT_LABELS
from brief.core.exceptions import DomainError, Refusal
from brief.core.forms import add_domain_errors
from brief.core.roles import Role

from . import actions, charts
from .choices import BaseStatus, SuppressionChannel, SuppressionSource
from .exports import managed_response, rejects_response
from .filters import SuppressionFilter
from .forms import (
    SWEEP_RESULT_CHOICES,
    MappingForm,
    RNEForm,
    SegmentForm,
    SuppressionForm,
)
from .models import Contact, ContactBase, Suppression

SUPPRESSION_WRITERS = (Role.ANALISTA_OCM, Role.PROVEEDOR)
STATUS_CSS: dict[str, str] = {
    BaseStatus.READY: "ok",
    BaseStatus.FAILED: "late",
    BaseStatus.CANCELLED: "warn",
}
DELIMITER_LABELS = {
    ",": gettext_lazy("coma ( , )"),
    ";": gettext_lazy("punto y coma ( ; )"),
    "\t": gettext_lazy("tabulador"),
    "|": gettext_lazy("barra vertical ( | )"),
}
ISSUE_ROWS = [
    ("invalid_phone", gettext_lazy("Teléfono inválido")),
    ("landline_only", gettext_lazy("Solo teléfono fijo")),
    ("invalid_email", gettext_lazy("Correo inválido")),
]
PAGE_SIZE = 50


# --- helpers ---------------------------------------------------------------------------


def _report(request, exc: Refusal) -> None:
    """A refusal's Spanish message on the next page (a Forbidden is the 403 page)."""
    messages.error(request, exc.message)


def _get_brief(request, code: str) -> Brief:
    return visible_brief(request.user, code, "area", "provider")


def _get_base(request, code: str, pk: int, *, what: str = "") -> ContactBase:
    base = get_object_or_404(
        ContactBase.objects.select_related("brief", "created_by", "attachment"),
        pk=pk,
        brief__code=code,
    )
    actions.check_base_access(base, request.user, request=request, what=what)
    return base


def _import_refusal(user, brief: Brief) -> str | None:
    """None when ``user`` may import a base into ``brief`` now, else the Spanish reason."""
    try:
        actions.check_can_import(brief, user)
    except DomainError as exc:
        return exc.message
    return None


def _to_list(brief: Brief):
    return redirect("contacts:base_list", code=brief.code)


def _base_attachments(brief: Brief) -> list[Attachment]:
    return list(
        brief.attachments.filter(kind=AttachmentKind.BASE, is_current=True)
        .select_related("uploaded_by")
        .order_by("-uploaded_at", "-pk")
    )


# --- imports of a brief ----------------------------------------------------------------


@login_required
@require_GET
def base_list(request, code: str):
    """The imports of a brief, and the button to load one of its base files."""
    brief = _get_brief(request, code)
    bases = list(ContactBase.objects.filter(brief=brief).select_related("created_by"))
    refusal = _import_refusal(request.user, brief)
    importer_role = request.user.has_role(
        Role.SOLICITANTE, Role.JEFE, Role.PROVEEDOR, Role.ANALISTA_OCM
    )
    return render(
        request,
        "contacts/base_list.html",
        {
            "brief": brief,
            "bases": [(b, STATUS_CSS.get(b.status, "")) for b in bases],
            "attachments": _base_attachments(brief),
            "can_import": refusal is None,
            # Explain a state refusal to someone who could import later; hide it otherwise.
            "refusal": refusal if importer_role else None,
            "open_base": next((b for b in bases if b.is_open), None),
        },
    )


def _map_context(brief: Brief, attachment: Attachment, info: dict, form: MappingForm) -> dict:
    return {
        "brief": brief,
        "attachment": attachment,
        "info": info,
        "delimiter": DELIMITER_LABELS.get(info.get("delimiter") or "", info.get("delimiter")),
        "form": form,
        "rows": [
            (
                header,
                field,
                [
                    row[i]
                    for row in info["preview"][:3]
                    if i < len(row) and row[i] not in (None, "")
                ],
            )
            for i, (header, field) in enumerate(form.rows())
        ],
    }


@login_required
@require_http_methods(["GET", "POST"])
def base_map(request, code: str):
    """Mapping screen: what was detected in the file, a preview, one field per column."""
    brief = _get_brief(request, code)
    source = request.POST if request.method == "POST" else request.GET
    try:
        attachment = Attachment.objects.get(
            pk=int(source.get("adjunto") or 0),
            brief=brief,
            kind=AttachmentKind.BASE,
            is_current=True,
        )
    except (Attachment.DoesNotExist, ValueError):
        messages.error(request, _("Elija uno de los archivos de base del brief."))
        return _to_list(brief)
    sheet = (source.get("sheet") or source.get("hoja") or "").strip() or None
    try:
        info = actions.inspect_attachment(
            attachment, actor=request.user, sheet=sheet, request=request
        )
    except Refusal as exc:
        messages.error(
            request,
            _("No se puede cargar «%(name)s»: %(reason)s")
            % {"name": attachment.original_name, "reason": exc.message},
        )
        return _to_list(brief)
    initial = {"channels": brief.channels or list(CHANNELS), "sheet": info["sheet"] or ""}
    if request.method == "GET":
        form = MappingForm(headers=info["headers"], mapping=info["mapping"], initial=initial)
        return render(
            request, "contacts/base_map.html", _map_context(brief, attachment, info, form)
        )
    form = MappingForm(request.POST, headers=info["headers"], mapping=info["mapping"])
    if form.is_valid():
        try:
            base = actions.start_import(
                attachment,
                actor=request.user,
                mapping=form.cleaned_data["mapping"],
                channels=form.cleaned_data["channels"],
                sheet=form.cleaned_data["sheet"],
                request=request,
            )
        except Refusal as exc:
            _report(request, exc)
            return _to_list(brief)
        messages.success(
            request,
            _("Importación de «%(name)s» iniciada.") % {"name": attachment.original_name},
        )
        return redirect("contacts:base_detail", code=brief.code, pk=base.pk)
    messages.error(request, _("Revise la asignación de columnas."))
    return render(
        request,
        "contacts/base_map.html",
        _map_context(brief, attachment, info, form),
        status=400,
    )


def _spoken(rows: list[tuple[str, int]]) -> str:
    """A chart's numbers as one sentence, for the figure's accessible name."""
    return "; ".join(f"{label}: {charts.thousands(int(n or 0))}" for label, n in rows)


def _summary_context(base: ContactBase) -> dict[str, Any]:
    summary = base.summary or {}
    rejected = summary.get("rejected") or {}
    issues = summary.get("field_issues") or {}
    usable = summary.get("usable_by_channel") or {}
    # The channels this import was cleaned for (the summary counts all five).
    channels = [c for c in CHANNELS if c in (base.channels or CHANNELS) and c in usable]
    delimiter = summary.get("delimiter")
    reject_rows = [(_(REJECT_LABELS[key]), rejected.get(key, 0)) for key in REJECT_CODES]
    channel_rows = [(channel_label(c), usable[c]) for c in channels]
    return {
        "summary": summary,
        "reject_rows": reject_rows,
        "reject_text": _spoken(reject_rows),
        "issue_rows": [(label, issues.get(key, 0)) for key, label in ISSUE_ROWS],
        "channel_rows": channel_rows,
        "channel_text": _spoken(channel_rows),
        "encoding": summary.get("encoding") or _("— (hoja de cálculo)"),
        "delimiter": DELIMITER_LABELS.get(delimiter, delimiter) if delimiter else "—",
        "rejects_chart": charts.rejects_chart(summary),
        "channels_chart": charts.channels_chart(summary, channels),
    }


def _status_context(request, base: ContactBase) -> dict[str, Any]:
    context: dict[str, Any] = {
        "base": base,
        "brief": base.brief,
        "css": STATUS_CSS.get(base.status, ""),
        "can_import": _import_refusal(request.user, base.brief) is None,
    }
    if base.status == BaseStatus.READY:
        context.update(_summary_context(base))
    return context


@login_required
@require_GET
def base_detail(request, code: str, pk: int):
    """One import: progress while it runs, then its quality summary (or why it stopped)."""
    base = _get_base(request, code, pk)
    return render(request, "contacts/base_detail.html", _status_context(request, base))


@login_required
@require_GET
def base_progress(request, code: str, pk: int):
    """The status block alone, polled by htmx every second while the import runs.

    Once the import is over the block comes back without its polling trigger, so htmx stops.
    """
    base = _get_base(request, code, pk)
    return render(request, "contacts/partials/base_status.html", _status_context(request, base))


@login_required
@require_POST
def base_cancel(request, code: str, pk: int):
    base = _get_base(request, code, pk)
    try:
        base = actions.cancel_import(base, actor=request.user, request=request)
    except Refusal as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Se pidió cancelar la importación; no quedará nada guardado."))
    if request.htmx:
        base.refresh_from_db()
        return render(request, "contacts/partials/base_status.html", _status_context(request, base))
    return redirect("contacts:base_detail", code=code, pk=pk)


@login_required
@require_GET
def base_rejects(request, code: str, pk: int, fmt: str):
    """The rejected rows (original values + reason in Spanish) as CSV or XLSX; logged."""
    if fmt not in {"csv", "xlsx"}:
        raise Http404(_("Formato no disponible."))
    base = _get_base(request, code, pk)
    if not base.rejects_file:
        raise Http404(_("Esta base no tiene un archivo de rechazados."))
    actions.check_base_access(base, request.user, request=request, what="BASE_REJECTS_DOWNLOADED")
    return rejects_response(base, fmt)


@login_required
@require_GET
def base_managed(request, code: str, pk: int, fmt: str):
    """The managed base: every contact with its fields and the advisors' observations, as CSV
    or XLSX; logged."""
    if fmt not in {"csv", "xlsx"}:
        raise Http404(_("Formato no disponible."))
    base = _get_base(request, code, pk)
    if base.status != BaseStatus.READY:
        raise Http404(_("La base todavía no está lista."))
    actions.check_base_access(base, request.user, request=request, what="MANAGED_BASE_DOWNLOADED")
    return managed_response(base, fmt)


# --- segments --------------------------------------------------------------------------


def _ready_base(request, code: str, pk: int) -> ContactBase:
    base = _get_base(request, code, pk)
    if base.status != BaseStatus.READY:
        raise Http404(_("La base todavía no está lista."))
    return base


def _segment_form(base: ContactBase, data=None) -> SegmentForm:
    custom = [h for h, f in (base.mapping or {}).items() if f == "custom"]
    return SegmentForm(data, channels=list(base.channels or CHANNELS), custom_fields=custom)


def _counts_context(base: ContactBase, form: SegmentForm) -> dict[str, Any]:
    context: dict[str, Any] = {"form": form, "base": base, "counts": None, "error": None}
    if form.is_valid():
        try:
            counts = actions.segment_counts(base, form.filters())
        except DomainError as exc:
            context["error"] = exc.message
        else:
            context["counts"] = counts
            context["channel_counts"] = [
                (channel_label(c), counts[c]) for c in (base.channels or CHANNELS)
            ]
    return context


def describe_filters(filters: dict[str, Any]) -> list[str]:
    """A saved segment's filters in Spanish, one phrase per filter."""
    labels = {"city": _("Ciudad"), "department": _("Departamento"), "country": _("País")}
    out = [f"{labels[k]}: {filters[k]}" for k in labels if filters.get(k)]
    if filters.get("abroad") is not None and filters.get("abroad") != "":
        out.append(_("En el exterior") if filters["abroad"] else _("En Colombia"))
    if filters.get("channel"):
        out.append(_("Elegible para %(channel)s") % {"channel": channel_label(filters["channel"])})
    if filters.get("sweeps"):
        results = dict(SWEEP_RESULT_CHOICES)
        out.append(
            _("Barridos anteriores: %(result)s")
            % {"result": results.get(filters["sweeps"], filters["sweeps"])}
        )
    out.extend(f"{name} = {value}" for name, value in (filters.get("custom") or {}).items())
    return out


def _distinct(base: ContactBase, field: str) -> list[str]:
    return list(
        Contact.objects.filter(base=base)
        .exclude(**{field: ""})
        .order_by(field)
        .values_list(field, flat=True)
        .distinct()[:300]
    )


@login_required
@require_http_methods(["GET", "POST"])
def segments(request, code: str, pk: int):
    """Filter a ready base, count it live, and save the filter as a named segment."""
    base = _ready_base(request, code, pk)
    form = _segment_form(base, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and not form.cleaned_data["name"].strip():
            form.add_error("name", _("Ponga un nombre al segmento."))
        if form.is_valid():
            try:
                segment = actions.save_segment(
                    base,
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    filters=form.filters(),
                    request=request,
                )
            except Refusal as exc:
                add_domain_errors(form, exc, rename={None: "name"})
            else:
                messages.success(
                    request, _("Segmento «%(name)s» guardado.") % {"name": segment.name}
                )
                return redirect("contacts:segments", code=code, pk=pk)
        status = 400
    saved = []
    for segment in base.segments.select_related("created_by"):
        saved.append(
            {
                "segment": segment,
                "filters": describe_filters(segment.filters),
                "counts": actions.segment_counts(base, segment.filters),
            }
        )
    context = _counts_context(base, _segment_form(base, request.POST or {}))
    context.update(
        {
            "form": form,
            "brief": base.brief,
            "saved": saved,
            "cities": _distinct(base, "city"),
            "departments": _distinct(base, "department"),
            "countries": _distinct(base, "country"),
            "can_save": request.user.is_superuser or bool(request.user.roles - {Role.AUDITOR}),
        }
    )
    return render(request, "contacts/segments.html", context, status=status)


@login_required
@require_POST
def segment_count(request, code: str, pk: int):
    """Live counts of the filters being edited (htmx): total, by channel, suppressed."""
    base = _ready_base(request, code, pk)
    return render(
        request,
        "contacts/partials/segment_counts.html",
        _counts_context(base, _segment_form(base, request.POST)),
    )


# --- suppression lists -----------------------------------------------------------------


def _check_suppression_reader(user) -> None:
    if not actions.may_read_suppressions(user):
        raise PermissionDenied(_("Solo OCM, el proveedor y control interno ven las exclusiones."))


def _suppressions_page(request, *, add_form=None, rne_form=None, status: int = 200):
    filters = SuppressionFilter(
        request.GET or None, queryset=Suppression.objects.select_related("created_by")
    )
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("pagina"))
    actions.log_suppressions_read(
        request.user,
        request=request,
        details={
            "filters": filters.form.cleaned_data if filters.is_bound else {},
            "page": page.number,
        },
    )
    can_write = request.user.has_role(*SUPPRESSION_WRITERS)
    query = request.GET.copy()
    query.pop("pagina", None)
    return render(
        request,
        "contacts/suppressions.html",
        {
            "filters": filters.form,
            "page": page,
            "query": query.urlencode(),
            "can_write": can_write,
            "add_form": add_form or (SuppressionForm() if can_write else None),
            "rne_form": rne_form or (RNEForm() if can_write else None),
            "totals": {
                "all": Suppression.objects.count(),
                "rne": Suppression.objects.filter(source=SuppressionSource.RNE).count(),
            },
        },
        status=status,
    )


@login_required
@require_GET
def suppressions(request):
    """Suppression lists: opt-outs, the CRC's RNE and manual entries, with filters."""
    _check_suppression_reader(request.user)
    return _suppressions_page(request)


@login_required
@require_POST
def suppression_add(request):
    _check_suppression_reader(request.user)
    form = SuppressionForm(request.POST)
    if form.is_valid():
        try:
            entry = actions.add_suppression(
                actor=request.user,
                channel=form.cleaned_data["channel"],
                value=form.cleaned_data["value"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except Refusal as exc:
            add_domain_errors(form, exc)
        else:
            channel = SuppressionChannel(entry.channel).label
            messages.success(
                request,
                _("%(value)s excluido de: %(channel)s.")
                % {"value": entry.value, "channel": channel},
            )
            return redirect("contacts:suppressions")
    return _suppressions_page(request, add_form=form, status=400)


@login_required
@require_POST
def suppression_rne(request):
    """Load the CRC's Registro de Números Excluidos from a CSV/XLSX file."""
    _check_suppression_reader(request.user)
    form = RNEForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            with tempfile.NamedTemporaryFile(suffix=Path(upload.name).suffix) as tmp:
                for chunk in upload.chunks():
                    tmp.write(chunk)
                tmp.flush()
                result = actions.load_rne(Path(tmp.name), actor=request.user, request=request)
        except Refusal as exc:
            add_domain_errors(form, exc, rename={None: "file"})
        else:
            messages.success(
                request,
                _(
                    "RNE cargado: %(rows)s filas, %(valid)s números válidos, "
                    "%(added)s nuevos en la lista."
                )
                % {"rows": result["rows"], "valid": result["valid"], "added": result["added"]},
            )
            return redirect("contacts:suppressions")
    return _suppressions_page(request, rne_form=form, status=400)
