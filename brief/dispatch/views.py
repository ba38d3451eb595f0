"""Sweep pages: the brief's sweeps panel, the new-sweep form, the sweep page and its controls.

Views stay thin (HOUSE_STYLE §1): permission → form → one call to :mod:`.actions` → redirect
or the htmx fragment. Reads check ``may_view``; a :class:`Forbidden` refusal becomes the 403
page and any other refusal (:class:`Refusal`) a Spanish message — never a 500.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotFound
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brief.campaigns.choices import channel_label
from brief.campaigns.models import Brief
from brief.campaigns.permissions import may_act_as, may_view, visible_brief
from brief.content.links import PIXEL_GIF
from brief.core.exceptions import Refusal
from brief.core.forms import add_domain_errors

from . import actions, engine, report, rules
from .choices import (
    ACCEPTED,
    ACTIVE_SWEEP_STATES,
    QUEUE_CHANNELS,
    REASONS,
    MessageStatus,
    SweepState,
    reason_label,
)
from .filters import InboundFilter
from .forecast import forecast, held_back
from .forms import SweepForm
from .models import Message, Sweep

POLL_STATES = frozenset({SweepState.SCHEDULED, SweepState.RUNNING, SweepState.PAUSED})
STATE_CSS: dict[str, str] = {
    SweepState.SCHEDULED: "",
    SweepState.RUNNING: "ok",
    SweepState.PAUSED: "warn",
    SweepState.DONE: "ok",
    SweepState.CANCELLED: "late",
}
# The progress bar, in this order: (count key, label, css class).
BAR = [
    ("read", gettext_lazy("Leídos"), "s-read"),
    ("delivered", gettext_lazy("Entregados"), "s-delivered"),
    ("voicemail", gettext_lazy("Buzón de voz"), "s-voicemail"),
    ("no_answer", gettext_lazy("No contestadas"), "s-no-answer"),
    ("sent", gettext_lazy("Enviados (aceptados)"), "s-sent"),
    ("failed", gettext_lazy("Fallidos"), "s-failed"),
    ("bounced", gettext_lazy("Rebotados"), "s-bounced"),
    ("suppressed", gettext_lazy("Excluidos"), "s-suppressed"),
    ("unknown", gettext_lazy("Desconocidos"), "s-unknown"),
    ("deferred", gettext_lazy("Aplazados"), "s-deferred"),
    ("queued", gettext_lazy("En cola o enviando"), "s-queued"),
]
# A queue sweep's bar (agent calls): its queue entries.
QUEUE_BAR = [
    ("closed", gettext_lazy("Cerrados"), "s-read"),
    ("worked", gettext_lazy("Trabajados (reintento o rellamada)"), "s-sent"),
    ("in_progress", gettext_lazy("En gestión por un asesor"), "s-deferred"),
    ("pending", gettext_lazy("Pendientes"), "s-queued"),
]
PROBLEMS = (MessageStatus.FAILED, MessageStatus.BOUNCED, MessageStatus.UNKNOWN)
PROBLEM_ROWS = 20
# Form errors from the action land on these fields.
FIELD_OF = {"channel", "template", "provider_account", "include", "exception_reason", "segment"}


# --- helpers ---------------------------------------------------------------------------


def _get_brief(request, code: str) -> Brief:
    return visible_brief(request.user, code, "area", "provider")


def _get_sweep(request, pk: int) -> Sweep:
    sweep = get_object_or_404(
        Sweep.objects.select_related("brief", "template", "provider_account", "segment"), pk=pk
    )
    if not may_view(request.user, sweep.brief):
        raise PermissionDenied(_("No tiene acceso a este barrido."))
    return sweep


def _can_operate(user, brief: Brief) -> bool:
    """Whether ``user`` may create and control sweeps of ``brief`` (same check as the actions)."""
    return may_act_as(user, brief, actions.OPERATORS)


def _report(request, exc: Refusal) -> None:
    messages.error(request, exc.message)


def mask(to: str) -> str:
    """A recipient partly hidden: ``+57300***4567``, ``pe***@correo.co``."""
    if "@" in to:
        local, _, domain = to.partition("@")
        return f"{local[:2]}***@{domain}"
    if len(to) > 10:
        return f"{to[:6]}***{to[-4:]}"
    if len(to) > 4:
        return f"{to[:2]}***{to[-2:]}"
    return "***"


def _pct(part: int, whole: int) -> float:
    return part * 100 / whole if whole else 0.0


def _progress(sweep: Sweep) -> dict:
    counts = engine.counts(sweep)
    queue = sweep.channel in QUEUE_CHANNELS
    total = sum(counts.values()) or sweep.total
    rows = []
    for key, label, css in QUEUE_BAR if queue else BAR:
        n = counts.get(key, 0)
        pct = _pct(n, total)
        rows.append({"key": key, "label": label, "css": css, "n": n, "pct": pct,
                     "width": f"{pct:.3f}"})  # fmt: skip
    pending = counts["queued"] + counts["deferred"]
    if queue:
        pending = counts["pending"] + counts["in_progress"]
    done = total - pending
    accepted = sum(counts[key] for key in ACCEPTED)
    if queue:
        accepted = counts["worked"] + counts["closed"]
    return {
        "queue": queue,
        "counts": counts,
        "rows": rows,
        "total": total,
        "processed": done,
        "processed_pct": _pct(done, total),
        "accepted": accepted,
        "accepted_pct": _pct(accepted, total),
    }


def _closed_until(sweep: Sweep, progress: dict):
    """The reopening of the contact window, when it is closed and the sweep has work left."""
    pending = progress["total"] - progress["processed"]
    if sweep.state != SweepState.RUNNING or not pending:
        return None
    return rules.window_wait(engine.clock(), sweep.channel, ignore_windows=sweep.ignore_windows)


def _live_context(request, sweep: Sweep, notice: str = "", *, error: bool = False) -> dict:
    latest = Message.objects.filter(sweep=sweep, status__in=PROBLEMS).order_by("-updated_at", "-id")
    problems = [{"message": m, "to": mask(m.to)} for m in latest[:PROBLEM_ROWS]]
    progress = _progress(sweep)
    return {
        "closed_until": _closed_until(sweep, progress),
        "held_back": held_back(sweep),
        "sweep": sweep,
        "brief": sweep.brief,
        "state_css": STATE_CSS.get(sweep.state, ""),
        "polling": sweep.state in POLL_STATES,
        "waiting_start": sweep.state in ACTIVE_SWEEP_STATES and sweep.start_at > timezone.now(),
        "progress": progress,
        "problems": problems,
        "unknown": progress["counts"]["unknown"],
        "can_operate": _can_operate(request.user, sweep.brief),
        "notice": notice,
        "notice_error": error,
    }


def _sweep_rows(brief: Brief) -> list[dict]:
    rows = []
    for sweep in (
        Sweep.objects.filter(brief=brief).select_related("provider_account").order_by("number")
    ):
        counts = engine.counts(sweep)
        rows.append(
            {
                "sweep": sweep,
                "channel": channel_label(sweep.channel),
                "state_css": STATE_CSS.get(sweep.state, ""),
                "counts": counts,
                "accepted": counts["sent"] + counts["delivered"] + counts["read"],
                "delivered": counts["delivered"] + counts["read"],
                "failed": counts["failed"] + counts["bounced"],
            }
        )
    return rows


# --- the brief's sweeps ----------------------------------------------------------------


@login_required
@require_GET
def brief_sweeps(request, code: str):
    """The sweeps panel of a brief (loaded by htmx into the brief page; a page without it)."""
    brief = _get_brief(request, code)
    rows = _sweep_rows(brief)
    context = {
        "brief": brief,
        "rows": rows,
        "can_create": brief.status in actions.RUNNABLE_BRIEF_STATES
        and _can_operate(request.user, brief),
        "polling": any(r["sweep"].state in POLL_STATES for r in rows),
        "email_read_limits": (
            report.EMAIL_READ_LIMITS if any(r["sweep"].channel == "email" for r in rows) else ()
        ),
    }
    template = "dispatch/partials/sweeps_panel.html" if request.htmx else "dispatch/sweeps.html"
    return render(request, template, context)


@login_required
@require_GET
def brief_inbound(request, code: str):
    """Replies people sent to the brief's messages, with the contact's name."""
    from django.core.paginator import Paginator

    from .inbound import for_brief

    brief = _get_brief(request, code)
    filters = InboundFilter(request.GET or None, queryset=for_brief(brief))
    page = Paginator(filters.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "dispatch/inbound.html",
        {"brief": brief, "page": page, "filters": filters.form, "query": query.urlencode()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def sweep_create(request, code: str):
    """The new-sweep form; posting it writes the outbox and schedules the sweep."""
    brief = _get_brief(request, code)
    if not _can_operate(request.user, brief):
        raise PermissionDenied(_("Su rol no permite crear barridos."))
    if brief.status not in actions.RUNNABLE_BRIEF_STATES:
        messages.error(
            request,
            _(
                "Los barridos se crean con la campaña en ejecución (después de la aprobación de "
                "salida)."
            ),
        )
        return redirect("campaigns:brief_detail", code=brief.code)
    status = 200
    if request.method == "POST":
        form = SweepForm(request.POST, brief=brief)
        sweep, status = _submit_sweep(request, brief, form)
        if sweep is not None:
            messages.success(
                request,
                ngettext(
                    "Barrido %(number)s creado: %(total)s destinatario en cola.",
                    "Barrido %(number)s creado: %(total)s destinatarios en cola.",
                    sweep.total,
                )
                % {"number": sweep.number, "total": sweep.total},
            )
            return redirect("dispatch:sweep_detail", pk=sweep.pk)
    else:
        # the channel select reloads the form (htmx) with what was filled so far
        initial = {k: v for k, v in request.GET.dict().items() if v and k in SweepForm.base_fields}
        form = SweepForm(initial=initial, brief=brief)
    return render(
        request,
        "dispatch/sweep_form.html",
        {
            "brief": brief,
            "form": form,
            "base": form.base,
            "next_number": Sweep.objects.filter(brief=brief).count() + 1,
        },
        status=status,
    )


def _submit_sweep(request, brief: Brief, form: SweepForm) -> tuple[Sweep | None, int]:
    """Create the sweep a posted form describes; ``None`` and the page's status when the form
    or the action refuses it (the action's errors go on the form's fields)."""
    if not form.is_valid():
        return None, 400
    data = form.cleaned_data
    try:
        sweep = actions.create_sweep(
            brief,
            actor=request.user,
            channel=data["channel"],
            template=data["template"],
            provider_account=data["provider_account"],
            start_at=form.start_at_or_now(),
            include=data["include"],
            segment=data.get("segment"),
            ignore_windows=data["ignore_windows"],
            ignore_daily_cap=data["ignore_daily_cap"],
            exception_reason=data["exception_reason"],
            request=request,
        )
    except Refusal as exc:
        add_domain_errors(form, exc, fields=FIELD_OF)
        return None, exc.status_code
    return sweep, 200


@login_required
@require_GET
def sweep_forecast(request, code: str):
    """The new-sweep form's forecast (htmx, refreshed when the form changes): recipients sent
    now, deferred (until when, by which rule) and excluded (why), before anything is created."""
    brief = _get_brief(request, code)
    if not _can_operate(request.user, brief):
        raise PermissionDenied(_("Su rol no permite crear barridos."))
    form = SweepForm(request.GET, brief=brief)
    form.is_valid()
    runnable = brief.status in actions.RUNNABLE_BRIEF_STATES
    args = form.forecast_args() if runnable else None
    context = {
        "brief": brief,
        "runnable": runnable,
        "forecast": forecast(brief, **args) if args else None,
        "start_error": form.errors.get("start_at"),
        "queue": form.cleaned_data.get("channel") in QUEUE_CHANNELS,
    }
    return render(request, "dispatch/partials/forecast.html", context)


# --- one sweep -------------------------------------------------------------------------


@login_required
@require_GET
def sweep_detail(request, pk: int):
    """Header, live progress by status, controls, failed and unknown messages."""
    sweep = _get_sweep(request, pk)
    context = _live_context(request, sweep)
    context["channel"] = channel_label(sweep.channel)
    return render(request, "dispatch/sweep_detail.html", context)


@login_required
@require_GET
def sweep_progress(request, pk: int):
    """The live block alone, polled by htmx every 2 s until the sweep is done or cancelled."""
    sweep = _get_sweep(request, pk)
    return render(request, "dispatch/partials/sweep_live.html", _live_context(request, sweep))


MESSAGE_ROWS = 50
LISTED_STATUSES = {MessageStatus.QUEUED, MessageStatus.DEFERRED, MessageStatus.SUPPRESSED,
                   MessageStatus.FAILED}  # fmt: skip


@login_required
@require_GET
def sweep_messages(request, pk: int):
    """A sweep's messages of one status and reason (``estado``, ``motivo``): the links of the
    sweep page's held-back counts; each row says until when and why, recipients masked."""
    from django.core.paginator import Paginator

    sweep = _get_sweep(request, pk)
    status = request.GET.get("estado", MessageStatus.DEFERRED)
    if status not in LISTED_STATUSES:
        status = MessageStatus.DEFERRED
    code = request.GET.get("motivo", "")
    qs = Message.objects.filter(sweep=sweep, status=status)
    if code == "window":  # queued while the window is closed: no code on the rows
        qs = qs.filter(not_before__isnull=True)
    elif code:
        qs = qs.filter(error_code=code)
    page = Paginator(qs.order_by("not_before", "id"), MESSAGE_ROWS).get_page(
        request.GET.get("page")
    )
    label = reason_label(code) if code in REASONS else ""
    rows = [
        {
            "message": m,
            "to": mask(m.to),
            "reason": reason_label(m.error_code) if m.error_code in REASONS else m.error_detail,
        }
        for m in page
    ]
    context = {
        "sweep": sweep,
        "brief": sweep.brief,
        "status": status,
        "status_label": MessageStatus(status).label,
        "code": code,
        "label": label or code,
        "page": page,
        "rows": rows,
        "closed_until": _closed_until(sweep, _progress(sweep)) if code == "window" else None,
    }
    return render(request, "dispatch/sweep_messages.html", context)


CONTROLS = {
    "pausar": (actions.pause_sweep, gettext_lazy("Barrido en pausa: no se enviarán más mensajes.")),
    "reanudar": (actions.resume_sweep, gettext_lazy("Barrido reanudado.")),
    "cancelar": (
        actions.cancel_sweep,
        gettext_lazy("Barrido cancelado: los mensajes en cola no se enviarán."),
    ),
}


@login_required
@require_POST
def sweep_control(request, pk: int, command: str):
    """Pause, resume or cancel; htmx gets the live block back, a plain form a redirect."""
    if command not in CONTROLS:
        raise PermissionDenied(_("Acción no válida."))
    sweep = _get_sweep(request, pk)
    handler, done_message = CONTROLS[command]
    done = str(done_message)
    try:
        sweep = handler(sweep, actor=request.user, request=request)
    except Refusal as exc:
        if request.htmx:
            sweep.refresh_from_db()
            context = _live_context(request, sweep, exc.message, error=True)
            return render(request, "dispatch/partials/sweep_live.html", context)
        _report(request, exc)
    else:
        if request.htmx:
            context = _live_context(request, sweep, done)
            return render(request, "dispatch/partials/sweep_live.html", context)
        messages.success(request, done)
    return redirect("dispatch:sweep_detail", pk=sweep.pk)


DECISIONS = {
    "sent": ngettext_lazy(
        "%(count)s mensaje desconocido contado como enviado.",
        "%(count)s mensajes desconocidos contados como enviados.",
        "count",
    ),
    "failed": ngettext_lazy(
        "%(count)s mensaje desconocido contado como no enviado.",
        "%(count)s mensajes desconocidos contados como no enviados.",
        "count",
    ),
}


@login_required
@require_POST
def sweep_decide(request, pk: int):
    """Settle the ``unknown`` messages left by a crash: count them as sent or as not sent."""
    sweep = _get_sweep(request, pk)
    decision = request.POST.get("decision", "")
    try:
        changed = actions.decide_unknown(
            sweep, actor=request.user, decision=decision, request=request
        )
    except Refusal as exc:
        if request.htmx:
            context = _live_context(request, sweep, exc.message, error=True)
            return render(request, "dispatch/partials/sweep_live.html", context)
        _report(request, exc)
    else:
        done = DECISIONS[decision] % {"count": changed}
        if request.htmx:
            context = _live_context(request, sweep, done)
            return render(request, "dispatch/partials/sweep_live.html", context)
        messages.success(request, done)
    return redirect("dispatch:sweep_detail", pk=sweep.pk)


# --- public recipient endpoint -----------------------------------------------------------


@require_GET
@never_cache
def open_pixel(request, token: str):
    """The e-mail open pixel: a 1×1 GIF; the message becomes ``read`` (a bad token: 404, no
    write). Image blocking and proxies that fetch every image make this a lower/upper bound
    (README: E-mail bounces, complaints and opens)."""
    if not actions.record_open(token):
        return HttpResponseNotFound(b"", content_type="text/plain")
    response = HttpResponse(PIXEL_GIF, content_type="image/gif")
    response["Cache-Control"] = "no-store, max-age=0"
    return response


@csrf_exempt  # mail clients' one-click POST (RFC 8058) carries no CSRF token; the URL is signed
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET shows the confirmation (never unsubscribes); POST suppresses the address."""
    parsed = actions.unsubscribe_address(token)
    if parsed is None:
        return render(request, "dispatch/unsubscribe.html", {"invalid": True}, status=404)
    _message_id, email = parsed
    masked = actions.mask_email(email)
    if request.method == "POST":
        actions.unsubscribe_email(token, request=request)
        return render(request, "dispatch/unsubscribe.html", {"done": True, "email": masked})
    context = {"email": masked, "already": actions.is_unsubscribed(email), "token": token}
    return render(request, "dispatch/unsubscribe.html", context)


@login_required
@require_POST
def sweep_sync_templates(request, pk: int):
    """Read Meta's template statuses through the sweep's account (the button on the sweep)."""
    from .providers.base import ProviderError

    sweep = _get_sweep(request, pk)
    if not _can_operate(request.user, sweep.brief):
        raise PermissionDenied(_("No puede operar este barrido."))
    try:
        result = actions.sync_whatsapp_templates(sweep.account, actor=request.user, request=request)
    except Refusal as exc:
        _report(request, exc)
    except ProviderError as exc:
        messages.error(request, _("No se pudo leer las plantillas en Meta: %s") % exc)
    else:
        sweep.template.refresh_from_db()
        messages.success(
            request,
            _("Plantillas sincronizadas (%(n)s en Meta). Esta plantilla: %(state)s.")
            % {
                "n": result["listed"],
                "state": sweep.template.get_wa_status_display() or _("sin estado"),
            },
        )
    return redirect("dispatch:sweep_detail", pk=sweep.pk)
