"""Brief pages: list, OCM board, the F559 form, the brief page and its workflow buttons.

Views stay thin (HOUSE_STYLE §1): permission → form → one call to :mod:`.actions` → redirect
with a Spanish message, or the page again with the errors. Every read and every button goes
through :mod:`.permissions`; a :class:`Forbidden` refusal becomes the 403 page and any other
refusal (:class:`Refusal`) a 4xx page with its messages — never a 500.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brief.accounts.actions import set_daily_digest
from brief.accounts.models import User
from brief.core import calendar, sla
from brief.core.choices import ClockState
from brief.core.exceptions import Conflict, Refusal
from brief.core.forms import add_domain_errors
from brief.core.models import SLAClock
from brief.core.roles import AREA_ROLES, PROVIDER_ROLES, Role
from brief.core.tabular import EXPORT_FORMATS

from . import actions, permissions, tables, workspace
from .choices import (
    ACTIONS,
    APPROVALS,
    TERMINAL,
    ApprovalDecision,
    AttachmentKind,
    CampaignClass,
    Channel,
    ChecklistItem,
    Kind,
    Status,
    channel_label,
)
from .filters import BriefFilter, open_clocks, overdue_clock
from .forms import (
    SECTIONS,
    ActionForm,
    AnswerForm,
    ApprovalNoteForm,
    ApprovalRefusalForm,
    AttachmentForm,
    BriefForm,
    ChangeRequestForm,
    DecisionForm,
    KickOffForm,
    QuestionForm,
    ReplaceForm,
    TrainingForm,
)
from .models import (
    Attachment,
    Brief,
    BriefVersion,
    ChangeRequest,
    KickOff,
    Notification,
    Question,
)
from .vocabulary import REJECT_LABELS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PAGE_SIZE = 25
# The home page's to-do looks at the most urgent open briefs only (in board order).
PENDING_LIMIT = 300
# The briefs a page of the board shows (its download has them all), and the columns it reads.
BOARD_PAGE_SIZE = 100
BOARD_FIELDS = ("code", "name", "status", "channels", "campaign_class", "start_date",
                "created_at", "area__name", "provider__name")  # fmt: skip
STATUS_CSS: dict[str, str] = {
    Status.ACCEPTED: "ok",
    Status.CANCELLED: "late",
    Status.RETURNED: "warn",
    Status.AWAITING_EXIT_APPROVAL: "warn",
}
# Actions shown folded (they need a deliberate second step).
FOLDED_ACTIONS = frozenset({"return", "return_results", "reject_results", "refuse_exit", "cancel"})


# --- helpers ---------------------------------------------------------------------------


def _get_brief(request, code: str) -> Brief:
    return permissions.visible_brief(request.user, code, "area", "provider", "requester")


def _report(request, exc: Refusal) -> None:
    """A refusal's messages on the next page (a Forbidden never gets here: it is the 403)."""
    messages.error(request, exc.message)
    for error in exc.errors:
        message = error.get("message")
        if message and message != exc.message:
            messages.error(request, message)


def _visible_briefs(user) -> QuerySet[Brief]:
    return Brief.objects.select_related("area", "provider", "requester").visible_to(user)


def _to_detail(brief: Brief, anchor: str = ""):
    """Back to the brief page, on the tab that holds ``anchor``."""
    return redirect(workspace.brief_url(brief.code, anchor))


def _labels() -> dict[str, dict[str, str]]:
    """The Spanish labels of states, classes, kinds and channels, translated once per call:
    a page of hundreds of rows then looks each up in a dict instead of translating a lazy
    label per row (``get_FOO_display`` also rebuilds the choices' dict on every call)."""
    return {
        "status": {k: str(v) for k, v in Status.choices},
        "class": {k: str(v) for k, v in CampaignClass.choices},
        "kind": {k: str(v) for k, v in Kind.choices},
        "channel": {k: str(v) for k, v in Channel.choices},
    }


def _status_css(status: str) -> str:
    return STATUS_CSS.get(status, "")


FIELD_LABELS: dict[str, StrOrPromise] = {
    name: field.label for name, field in BriefForm.base_fields.items() if field.label
} | {"content": gettext_lazy("Contenido por canal")}


def _format_value(name: str, value: Any) -> str | None:
    """A F559 value (model value or JSON snapshot value) as display text; None when empty."""
    if value is None or value in ("", [], {}):
        return None
    if isinstance(value, bool):
        return _("Sí") if value else _("No")
    if name == "channels":
        return ", ".join(str(Channel(c).label) for c in value if c in Channel.values)
    if name == "content" and isinstance(value, dict):
        return "\n".join(
            f"{Channel(c).label if c in Channel.values else c}: {text}" for c, text in value.items()
        )
    if name == "campaign_class" and value in CampaignClass.values:
        return str(CampaignClass(value).label)
    if name == "kind" and value in Kind.values:
        return str(Kind(value).label)
    if name in {"start_date", "end_date"}:
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                return value
        return formats.date_format(value, "DATE_FORMAT")
    if name in {"target_contact_rate", "target_effectiveness"}:
        return f"{formats.localize(value)} %"
    return str(formats.localize(value))


def _sections(brief: Brief) -> list[dict[str, Any]]:
    out = []
    for number, title, names in SECTIONS:
        rows = []
        for name in names:
            if name == "content":
                content = brief.content or {}
                if not content:
                    rows.append({"label": FIELD_LABELS["content"], "value": None})
                for channel, text in content.items():
                    label = Channel(channel).label if channel in Channel.values else channel
                    rows.append(
                        {
                            "label": _("Mensaje o guion — %(channel)s") % {"channel": label},
                            "value": text,
                        }
                    )
            else:
                rows.append(
                    {
                        "label": FIELD_LABELS[name],
                        "value": _format_value(name, getattr(brief, name)),
                    }
                )
        out.append({"number": number, "title": title, "rows": rows})
    return out


def _clock_status(clock: SLAClock, now: dt.datetime) -> tuple[str, str]:
    """(Spanish label, badge class) of an SLA clock."""
    if clock.state == ClockState.MET:
        return _("a tiempo"), "ok"
    if clock.state == ClockState.LATE:
        return _("tarde"), "late"
    if clock.state == ClockState.CANCELLED:
        return _("anulado"), ""
    if clock.breached_at or clock.is_overdue(now):
        return _("vencido"), "late"
    if clock.state == ClockState.PAUSED:
        return _("en pausa"), "warn"
    if sla.risk(clock.due_at, now) == sla.RISK_AT_RISK:
        return _("en curso · vence pronto"), "warn"
    return _("en curso"), ""


def _clock_rows(subject, now: dt.datetime) -> list[dict[str, Any]]:
    rows = []
    for clock in sla.clocks_for(subject).select_related("stopped_by"):
        label, css = _clock_status(clock, now)
        rows.append({"clock": clock, "name": clock.rule.name, "label": label, "css": css})
    return rows


def _approvals(
    user, brief: Brief, attachments: list[Attachment], bound: dict[str, Any]
) -> list[dict[str, Any]]:
    """The approvals panel: where each approval stands (given, as a file, refused with its
    reason, pending) and the forms the user may use now: give (with a comment), refuse (with
    the reason), ask for it."""
    files = {a.kind for a in attachments}
    rows = []
    for spec in APPROVALS.values():
        if not permissions.approval_applies(brief, spec):
            continue
        can = permissions.may_approve(user, brief, spec.which)
        can_refuse = permissions.may_refuse_approval(user, brief, spec.which)
        can_request = permissions.may_request_approval(user, brief, spec.which)
        rows.append(
            {
                "which": spec.which,
                "label": spec.label,
                "by": getattr(brief, f"{spec.field}_by"),
                "at": getattr(brief, f"{spec.field}_at"),
                "file": spec.kind in files,
                "refused_by": getattr(brief, f"{spec.refused}_by"),
                "refused_at": getattr(brief, f"{spec.refused}_at"),
                "refusal": getattr(brief, f"{spec.which}_refusal"),
                "requested_at": getattr(brief, f"{spec.which}_requested_at"),
                "can": can,
                "give_form": bound.get(f"give_{spec.which}") or ApprovalNoteForm(spec.which)
                if can
                else None,
                "refuse_form": bound.get(f"refuse_{spec.which}") or ApprovalRefusalForm(spec.which)
                if can_refuse
                else None,
                "request_form": bound.get(f"request_{spec.which}")
                or ApprovalNoteForm(spec.which, step="request")
                if can_request
                else None,
            }
        )
    return rows


def _provider_name(brief: Brief, code: str | None) -> str | None:
    if code and brief.provider and brief.provider.code == code:
        return brief.provider.name
    return code


def _approval_timeline(brief: Brief) -> list[dict[str, Any]]:
    """The asks, approvals and refusals of in-app approvals, as timeline events."""
    return [
        {
            "approval": event,
            "at": event.at,
            "label": ApprovalDecision(event.decision).label,
            "what": APPROVALS[event.which].label if event.which in APPROVALS else event.which,
            "refused": event.decision == ApprovalDecision.REFUSED,
        }
        for event in brief.approval_events.select_related("actor")
    ]


def _timeline(brief: Brief, clocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The brief's transitions and its approvals' events, oldest first."""
    events: list[dict[str, Any]] = []
    for t in brief.transitions.select_related("actor"):
        failed = [
            str(ChecklistItem(item).label)
            for item in (t.details or {}).get("failed", [])
            if item in ChecklistItem.values
        ]
        events.append(
            {
                "t": t,
                "label": ACTIONS[t.action].label if t.action in ACTIONS else t.action,
                "reasons": t.action in ACTIONS and ACTIONS[t.action].reasons,
                "from": Status(t.from_status).label,
                "to": Status(t.to_status).label,
                "failed": failed,
                "provider": _provider_name(brief, (t.details or {}).get("provider")),
                "stopped": [c for c in clocks if c["clock"].stopped_at == t.at],
                "started": [c for c in clocks if c["clock"].started_at == t.at],
                "at": t.at,
            }
        )
    return sorted(events + _approval_timeline(brief), key=lambda e: e["at"])


def _version_changes(brief: Brief) -> list[dict[str, Any]]:
    out = []
    for change in actions.version_changes(brief):
        out.append(
            {
                "from": change["from"],
                "to": change["to"],
                "changes": [
                    {
                        "label": FIELD_LABELS.get(c["field"], c["field"]),
                        "before": _format_value(c["field"], c["before"]),
                        "after": _format_value(c["field"], c["after"]),
                    }
                    for c in change["changes"]
                ],
            }
        )
    return out


def _base_summary(brief: Brief) -> dict | None:
    # Through the reverse relation's manager: campaigns sits below contacts, never imports it.
    base = brief.bases.current(brief)
    return base.summary if base is not None else None


def _base_rows(summary: dict | None) -> list[tuple[str, Any]] | None:
    """The base-quality summary (DESIGN §6) as labelled rows, when the base was imported."""
    if not summary:
        return None
    rows: list[tuple[str, Any]] = [
        (_("Registros recibidos"), summary.get("rows_total")),
        (_("Registros depurados"), summary.get("rows_usable")),
        (_("Registros rechazados"), summary.get("rows_rejected")),
    ]
    for reason, count in (summary.get("rejected") or {}).items():
        rows.append((f"· {_(REJECT_LABELS.get(reason, reason))}", count))
    if summary.get("abroad"):
        rows.append((_("En el exterior"), summary["abroad"]))
    for channel, count in (summary.get("usable_by_channel") or {}).items():
        label = Channel(channel).label if channel in Channel.values else channel
        rows.append((_("Útiles para %(channel)s") % {"channel": label}, count))
    return rows


def _exit_summary(brief: Brief) -> dict[str, Any]:
    """What ``approve_exit`` approves and freezes: the templates, the latest creative of each
    channel and the usable recipients of the current base per channel. Read through the
    reverse relations: campaigns sits below contacts and content."""
    latest: dict[str, Any] = {}
    for creative in brief.creatives.order_by("channel", "-version"):
        latest.setdefault(creative.channel, creative)
    base = brief.bases.current(brief)
    usable = (base.summary or {}).get("usable_by_channel", {}) if base is not None else {}
    return {
        "templates": list(brief.templates.order_by("channel", "id")),
        "creatives": list(latest.values()),
        "recipients": [
            {"label": channel_label(channel), "count": usable.get(channel)}
            for channel in brief.channels or []
        ],
    }


def _action_forms(brief: Brief, user, bound: dict[str, Any]) -> list[dict[str, Any]]:
    """The action panel: every action ``user`` may run now, the blocked ones disabled with the
    refusal of the same check the action runs."""
    allowed = permissions.allowed_actions(brief, user)
    blocked = permissions.blocked_actions(brief, user)
    first_open = next(
        (s.name for s in allowed if s.name not in FOLDED_ACTIONS and s.name not in blocked),
        None,
    )
    return [
        {
            "spec": spec,
            "form": bound.get(spec.name) or ActionForm(spec.name),
            "folded": spec.name in FOLDED_ACTIONS and spec.name not in bound,
            "refusal": blocked.get(spec.name),
            "css": "danger"
            if spec.name == "cancel"
            else ("primary" if spec.name == first_open else ""),
        }
        for spec in sorted(allowed, key=lambda s: s.name in FOLDED_ACTIONS)
    ]


def _countdown(brief: Brief, now: dt.datetime) -> dict[str, Any] | None:
    """The brief's nearest open SLA clock, with its risk (``sla.risk``) for the header."""
    clock = (
        sla.clocks_for(brief)
        .filter(stopped_at__isnull=True)
        .select_related("rule")
        .order_by("due_at")
        .first()
    )
    if clock is None:
        return None
    paused = clock.state == ClockState.PAUSED
    risk = sla.risk(clock.due_at, now, breached=bool(clock.breached_at))
    return {
        "clock": clock,
        "risk": risk,
        "paused": paused,
        "css": {sla.RISK_OVERDUE: "late", sla.RISK_AT_RISK: "warn"}.get(risk, "ok"),
        "at_risk_seconds": int(sla.AT_RISK_WITHIN.total_seconds()),
    }


def _header_context(request, brief: Brief, bound: dict[str, Any]) -> dict[str, Any]:
    """What every tab shows: the header (stepper, next actor, countdown, last return) and the
    side panel (actions and approvals)."""
    user = request.user
    now = timezone.now()
    action_forms = _action_forms(brief, user, bound)
    names = {item["spec"].name for item in action_forms}
    attachments = list(brief.attachments.filter(is_current=True).only("kind"))
    return {
        "brief": brief,
        "status_css": _status_css(brief.status),
        "can_edit": permissions.may_edit(user, brief),
        "steps": workspace.stepper(brief),
        "next_steps": workspace.next_steps(brief),
        "closing": workspace.closing_text(brief),
        "comeback": workspace.last_comeback(brief),
        "refused": workspace.refused_approvals(brief),
        "countdown": _countdown(brief, now),
        "now": now,
        "action_forms": action_forms,
        "problems": actions.submission_problems(brief, today=calendar.local(now).date())
        if "submit" in names
        else [],
        "exit_summary": _exit_summary(brief) if "approve_exit" in names else None,
        "approvals": _approvals(user, brief, attachments, bound),
    }


def _questions(user, brief: Brief, bound: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    can_answer = permissions.may_answer(user, brief)
    questions = []
    for question in brief.questions.select_related("asked_by", "answered_by"):
        rows = _clock_rows(question, now)
        questions.append(
            {
                "q": question,
                "clocks": [r for r in rows if r["clock"].rule.code != sla.QUESTION_WINDOW_RULE],
                "window": next(
                    (r for r in rows if r["clock"].rule.code == sla.QUESTION_WINDOW_RULE), None
                ),
                "form": (bound.get(f"answer{question.pk}") or AnswerForm(question_id=question.pk))
                if can_answer and not question.answered_at
                else None,
            }
        )
    window = actions.question_window_start(brief)
    return {
        "questions": questions,
        "question_form": (bound.get("question") or QuestionForm())
        if permissions.may_ask(user, brief)
        else None,
        "ask_deadline": sla.window_due(sla.QUESTION_WINDOW_RULE, window) if window else None,
    }


def _tab_context(request, brief: Brief, tab: str, bound: dict[str, Any]) -> dict[str, Any]:
    """What one tab of the brief page shows (only that tab's queries run), with the tab bar."""
    return {
        "brief": brief,
        "tab": tab,
        "tabs": [
            {"code": code, "label": label, "url": workspace.brief_url(brief.code, tab=code)}
            for code, label in workspace.TABS.items()
        ],
        "now": timezone.now(),
    } | _tab_panel(request, brief, tab, bound)


def _tab_panel(request, brief: Brief, tab: str, bound: dict[str, Any]) -> dict[str, Any]:
    user = request.user
    now = timezone.now()
    if tab == "formato":
        kinds = permissions.upload_kinds(user, brief)
        return {
            "sections": _sections(brief),
            "attachments": list(brief.attachments.select_related("uploaded_by", "withdrawn_by")),
            "manage_kinds": set(kinds),
            "upload_form": bound.get("attachment")
            or (AttachmentForm(kinds=kinds) if kinds else None),
            "changes": _change_rows(user, brief, bound),
            "change_form": (bound.get("change") or ChangeRequestForm())
            if permissions.may_file_change(user, brief)
            else None,
        }
    if tab == "base":
        return {"base": _base_rows(_base_summary(brief))}
    if tab == "barridos":
        return _start_context(user, brief, bound)
    if tab == "ans":
        return {"clocks": _clock_rows(brief, now)}
    if tab == "historial":
        clocks = _clock_rows(brief, now)
        return {
            "timeline": _timeline(brief, clocks),
            "versions": list(brief.versions.select_related("created_by")),
            "version_changes": _version_changes(brief),
        }
    if tab == "preguntas":
        return _questions(user, brief, bound, now)
    return {}


# The tab that holds each form of the page, for the page shown again with its errors.
FORM_TABS = {"attachment": "formato", "change": "formato", "question": "preguntas"}
FORM_TABS |= {"kickoff": "barridos", "training": "barridos", "answer": "preguntas"}


def _chosen_tab(request, bound: dict[str, Any]) -> str:
    for key in bound:
        tab = FORM_TABS.get(key.rstrip("0123456789"))
        if tab:
            return tab
    tab = request.GET.get("tab", "")
    return tab if tab in workspace.TABS else workspace.DEFAULT_TAB


def _detail_context(
    request, brief: Brief, bound: dict[str, Any] | None = None, tab: str | None = None
) -> dict:
    bound = bound or {}
    tab = tab or _chosen_tab(request, bound)
    return _header_context(request, brief, bound) | _tab_context(request, brief, tab, bound)


def _render_detail(request, brief: Brief, *, status: int = 200, bound=None, tab=None):
    brief.refresh_from_db()
    return render(
        request,
        "campaigns/brief_detail.html",
        _detail_context(request, brief, bound, tab),
        status=status,
    )


# --- lists -----------------------------------------------------------------------------


def _list_title(user) -> str:
    if user.sees_all_areas:
        return _("Todos los briefs")
    if user.roles & AREA_ROLES and user.area:
        return _("Briefs de %(area)s") % {"area": user.area}
    if user.roles & PROVIDER_ROLES and user.provider:
        return _("Cola de %(provider)s") % {"provider": user.provider}
    return _("Briefs")


def _query(request) -> str:
    """The page's filters as a query string (no page number, no export format)."""
    kept = request.GET.copy()
    for key in ("page", "formato"):
        kept.pop(key, None)
    return kept.urlencode()


def _filters(request) -> dict[str, str]:
    return {k: v for k, v in request.GET.items() if k not in ("page", "formato") and v}


def _valid(filterset: BriefFilter) -> bool:
    """No filters, or filters that all parse."""
    return not filterset.is_bound or filterset.is_valid()


def _list_filter(request) -> BriefFilter:
    user = request.user
    return BriefFilter(
        request.GET or None, queryset=_visible_briefs(user), show_area=user.sees_all_areas
    )


@login_required
@require_GET
def brief_list(request):
    """The briefs this user may see: own area, the provider's queue, or all (OCM/auditor).
    A filter that does not parse (a bad date) is shown as an error and nothing is listed."""
    user = request.user
    filterset = _list_filter(request)
    briefs = filterset.qs if _valid(filterset) else Brief.objects.none()
    page = Paginator(briefs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "page": page,
        "title": _list_title(user),
        "can_create": permissions.may_create(user),
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
        "query": _query(request),
        "formats": EXPORT_FORMATS,
    }
    template = "campaigns/partials/brief_rows.html" if request.htmx else "campaigns/brief_list.html"
    return render(request, template, context)


def _export_refused(request, filterset: BriefFilter, page: str) -> HttpResponse | None:
    """The 400 page when the export's format or filters are wrong, else ``None``."""
    errors = []
    if request.GET.get("formato") not in EXPORT_FORMATS:
        errors.append(_("Elija el formato de exportación: CSV o XLSX."))
    if not _valid(filterset):
        errors += [e for field_errors in filterset.form.errors.values() for e in field_errors]
    if not errors:
        return None
    back = reverse(page) + (f"?{_query(request)}" if _query(request) else "")
    return render(
        request,
        "campaigns/export_refused.html",
        {"errors": errors, "back": back},
        status=400,
    )


@login_required
@require_GET
def brief_export(request):
    """The brief list as CSV or XLSX (``?formato=csv|xlsx``) under the page's filters and the
    user's scope; audited as ``BRIEFS_EXPORTED``."""
    filterset = _list_filter(request)
    refused = _export_refused(request, filterset, "campaigns:brief_list")
    if refused:
        return refused
    return tables.export(
        "list",
        filterset.qs,
        fmt=request.GET["formato"],
        filters=_filters(request),
        request=request,
    )


def board_queryset(queryset: QuerySet[Brief], now: dt.datetime) -> QuerySet[Brief]:
    """Annotate briefs with their nearest open SLA clock and whether one is overdue;
    overdue first, then the nearest due time."""
    nearest = open_clocks().order_by("due_at")
    return queryset.annotate(
        next_due=Subquery(nearest.values("due_at")[:1]),
        next_clock=Subquery(nearest.values("rule__name")[:1]),
        overdue=overdue_clock(now),
    ).order_by("-overdue", F("next_due").asc(nulls_last=True), "-created_at")


def _board_filter(request) -> tuple[BriefFilter, QuerySet[Brief]]:
    """The board's filters and its briefs: open ones unless closed ones or a state are asked."""
    filterset = BriefFilter(request.GET or None, queryset=_visible_briefs(request.user))
    if not _valid(filterset):
        return filterset, Brief.objects.none()
    queryset = filterset.qs
    if request.GET.get("cerrados") != "1" and not request.GET.get("status"):
        queryset = queryset.exclude(status__in=TERMINAL)
    return filterset, queryset


def board_rows(
    queryset: QuerySet[Brief],
    now: dt.datetime,
    limit: int,
    fields: tuple[str, ...] = (),
    offset: int = 0,
) -> list[Brief]:
    """``limit`` briefs of ``queryset`` in board order from ``offset`` (with their area,
    provider and only ``fields`` when given), in two steps: the ids by the two sort keys alone
    (SQLite then sorts narrow rows, not every column of every open brief and its joins), then
    those briefs with their clocks."""
    ids = board_queryset(queryset, now).values_list("pk", flat=True)
    ordered = list(ids[offset : offset + limit])
    rows = (
        board_queryset(queryset.filter(pk__in=ordered), now)
        .select_related(None)
        .select_related("area", "provider")
    )
    if fields:
        rows = rows.only(*fields)
    rank = {pk: k for k, pk in enumerate(ordered)}
    return sorted(rows, key=lambda b: rank[b.pk])


def board_counts(queryset: QuerySet[Brief], now: dt.datetime) -> dict[str, tuple[int, int]]:
    """Per state, (briefs, overdue ones) of ``queryset``: one grouped query, whatever the
    number of briefs the board lists."""
    grouped = (
        queryset.order_by()
        .values("status")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(overdue_clock(now))))
    )
    return {row["status"]: (row["n"], row["late"]) for row in grouped}


@login_required
@require_GET
def board(request):
    """OCM board: briefs by state, overdue first, then due soon, a page of ``BOARD_PAGE_SIZE``
    at a time (the most urgent on the first); the counts are of every brief under the
    filters (the download has them all)."""
    user = request.user
    permissions.require_board(user)
    now = timezone.now()
    filterset, queryset = _board_filter(request)
    counts = board_counts(queryset, now)
    total = sum(n for n, _late in counts.values())
    pages = max(1, -(-total // BOARD_PAGE_SIZE))
    number = request.GET.get("page", "")
    number = min(int(number), pages) if number.isdigit() and int(number) > 0 else 1
    offset = (number - 1) * BOARD_PAGE_SIZE
    rows = board_rows(queryset, now, BOARD_PAGE_SIZE, BOARD_FIELDS, offset=offset)
    labels = _labels()
    channels = labels["channel"]
    for brief in rows:
        brief.status_css = _status_css(brief.status)
        brief.class_label = labels["class"].get(brief.campaign_class, brief.campaign_class)
        brief.channel_list = [channels[c] for c in brief.channels if c in channels]
        brief.due_soon = bool(
            brief.next_due
            and not brief.overdue
            and sla.risk(brief.next_due, now) == sla.RISK_AT_RISK
        )
    groups = []
    for status in Status:
        count, overdue = counts.get(status, (0, 0))
        if count:
            groups.append(
                {
                    "status": status,
                    "label": labels["status"][status],
                    "items": [b for b in rows if b.status == status],
                    "count": count,
                    "overdue": overdue,
                }
            )
    context = {
        "filter": filterset,
        "groups": groups,
        "total": total,
        "shown": len(rows),
        "page": number,
        "pages": pages,
        "overdue": sum(late for _n, late in counts.values()),
        "show_closed": request.GET.get("cerrados") == "1",
        "now": now,
        "query": _query(request),
        "formats": EXPORT_FORMATS,
    }
    template = "campaigns/partials/board_results.html" if request.htmx else "campaigns/board.html"
    return render(request, template, context)


@login_required
@require_GET
def board_export(request):
    """The board as CSV or XLSX, in its order (overdue first), under its filters; audited
    as ``BOARD_EXPORTED``."""
    permissions.require_board(request.user)
    filterset, queryset = _board_filter(request)
    refused = _export_refused(request, filterset, "campaigns:board")
    if refused:
        return refused
    return tables.export(
        "board",
        board_queryset(queryset, timezone.now()),
        fmt=request.GET["formato"],
        filters=_filters(request),
        request=request,
    )


# --- the F559 form ---------------------------------------------------------------------


def _save_form(request, form: BriefForm, brief: Brief | None):
    """One call to create_brief / update_brief; the refusal goes back onto the form."""
    try:
        if brief is None:
            saved = actions.create_brief(
                actor=request.user, data=form.brief_data(), request=request
            )
            messages.success(request, _("Borrador %(code)s guardado.") % {"code": saved.code})
        else:
            saved = actions.update_brief(
                brief, actor=request.user, data=form.brief_data(), request=request
            )
            messages.success(
                request, _("Cambios del brief %(code)s guardados.") % {"code": saved.code}
            )
    except Refusal as exc:
        add_domain_errors(form, exc)
        return None
    return saved


@login_required
@require_http_methods(["GET", "POST"])
def brief_create(request):
    """New F559 as a draft of the user's area."""
    permissions.require_create(request.user)
    form = BriefForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        saved = _save_form(request, form, None)
        if saved:
            return _to_detail(saved)
    return render(
        request,
        "campaigns/brief_form.html",
        {"form": form, "brief": None},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def brief_edit(request, code: str):
    """Edit the F559 while it is a draft or returned."""
    brief = _get_brief(request, code)
    try:
        permissions.require_edit(request.user, brief)
    except Conflict as exc:
        messages.error(request, exc.message)
        return _to_detail(brief)
    form = BriefForm(request.POST if request.method == "POST" else None, instance=brief)
    if form.is_bound and form.is_valid():
        saved = _save_form(request, form, brief)
        if saved:
            return _to_detail(saved)
    brief.refresh_from_db()  # the form wrote its values onto the instance
    return render(
        request,
        "campaigns/brief_form.html",
        {"form": form, "brief": brief},
        status=400 if form.errors else 200,
    )


# --- the brief page and its forms ------------------------------------------------------


@login_required
@require_GET
def brief_detail(request, code: str):
    """The brief page: F559, attachments, approvals, actions, SLA clocks, timeline."""
    return _render_detail(request, _get_brief(request, code))


@login_required
@require_GET
def brief_tab(request, code: str, tab: str):
    """One tab of the brief page: the fragment for htmx, the whole page on that tab without
    JavaScript (the same as ``?tab=``)."""
    if tab not in workspace.TABS:
        raise Http404(_("Pestaña desconocida."))
    brief = _get_brief(request, code)
    if not request.htmx:
        return _render_detail(request, brief, tab=tab)
    return render(
        request, "campaigns/partials/brief_tabs.html", _tab_context(request, brief, tab, {})
    )


@login_required
@require_POST
def run_action(request, code: str, action: str):
    """Run one workflow action (DESIGN §2) from its button."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404(_("Acción desconocida."))
    brief = _get_brief(request, code)
    form = ActionForm(action, request.POST)
    if not form.is_valid():
        messages.error(request, _("Revise los datos de la acción."))
        return _render_detail(request, brief, status=400, bound={action: form})
    try:
        actions.perform(
            brief,
            action,
            actor=request.user,
            note=form.cleaned_data["note"].strip(),
            request=request,
            **form.params(),
        )
    except Refusal as exc:
        _report(request, exc)
        add_domain_errors(form, exc, fields_only=True)
        return _render_detail(request, brief, status=exc.status_code, bound={action: form})
    messages.success(
        request,
        _("«%(action)s» registrado: el brief %(code)s quedó «%(status)s».")
        % {"action": spec.label, "code": brief.code, "status": Status(spec.target).label},
    )
    return _to_detail(brief)


def _approval_step(request, code: str, which: str, key: str, form, run, success: str):
    """One step of an in-app approval from the approvals panel: the form, the action, back
    to the brief with a message; a refusal shows the page again with the form's errors."""
    if which not in APPROVALS:
        raise Http404(_("Aval desconocido."))
    brief = _get_brief(request, code)
    if not form.is_valid():
        messages.error(request, _("Revise los datos del aval."))
        return _render_detail(request, brief, status=400, bound={key: form})
    try:
        run(brief, which, actor=request.user, request=request, **form.cleaned_data)
    except Refusal as exc:
        _report(request, exc)
        add_domain_errors(form, exc, fields_only=True)
        return _render_detail(request, brief, status=exc.status_code, bound={key: form})
    messages.success(request, success % {"approval": APPROVALS[which].label})
    return _to_detail(brief, "avales")


@login_required
@require_POST
def approve(request, code: str, which: str):
    """Give an in-app approval: boss (jefe), comms (comunicaciones) or leader, with an
    optional comment."""
    form = ApprovalNoteForm(which, request.POST)
    return _approval_step(
        request,
        code,
        which,
        f"give_{which}",
        form,
        actions.give_approval,
        _("%(approval)s registrado."),
    )


@login_required
@require_POST
def approval_refuse(request, code: str, which: str):
    """Refuse an in-app approval with the reason (the requester is told)."""
    form = ApprovalRefusalForm(which, request.POST)
    return _approval_step(
        request,
        code,
        which,
        f"refuse_{which}",
        form,
        actions.refuse_approval,
        _("%(approval)s rechazado: se avisó al solicitante."),
    )


@login_required
@require_POST
def approval_request(request, code: str, which: str):
    """The area asks for an in-app approval (the approvers are told); once a minute."""
    form = ApprovalNoteForm(which, request.POST, step="request")
    return _approval_step(
        request,
        code,
        which,
        f"request_{which}",
        form,
        actions.request_approval,
        _("%(approval)s solicitado: se avisó a quien debe darlo."),
    )


@login_required
@require_POST
def attachment_upload(request, code: str):
    """Add a file to the brief (validated and stored by ``actions.add_attachment``)."""
    brief = _get_brief(request, code)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = actions.add_attachment(
                brief,
                actor=request.user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                request=request,
            )
        except Refusal as exc:
            _report(request, exc)
            add_domain_errors(form, exc, fields_only=True)
            return _render_detail(
                request, brief, status=exc.status_code, bound={"attachment": form}
            )
        messages.success(
            request,
            _("Adjunto «%(name)s» guardado (%(kind)s, v%(version)s).")
            % {
                "name": attachment.original_name,
                "kind": attachment.get_kind_display(),
                "version": attachment.version,
            },
        )
        return _to_detail(brief, "adjuntos")
    messages.error(request, _("No se pudo adjuntar el archivo."))
    return _render_detail(request, brief, status=400, bound={"attachment": form})


@login_required
@require_GET
def attachment_download(request, code: str, pk: int):
    """Stream an attachment after the permission check; the download is audit-logged."""
    attachment = get_object_or_404(
        Attachment.objects.select_related("brief"), pk=pk, brief__code=code
    )
    try:
        handle = actions.open_attachment(attachment, actor=request.user, request=request)
    except FileNotFoundError as exc:
        raise Http404(_("El archivo ya no está disponible.")) from exc
    return FileResponse(handle, as_attachment=True, filename=attachment.original_name)


@login_required
@require_POST
def attachment_replace(request, code: str, pk: int):
    """Upload a new version of a file: it becomes current, the previous one goes to history."""
    brief = _get_brief(request, code)
    form = ReplaceForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return _to_detail(brief, "adjuntos")
    try:
        attachment = actions.replace_attachment(
            brief,
            pk,
            actor=request.user,
            upload=form.cleaned_data["file"],
            kind=form.cleaned_data["kind"] or None,
            request=request,
        )
    except Refusal as exc:
        _report(request, exc)
        return _to_detail(brief, "adjuntos")
    messages.success(
        request,
        _("«%(name)s» es ahora la versión vigente (%(kind)s, v%(version)s).")
        % {
            "name": attachment.original_name,
            "kind": attachment.get_kind_display(),
            "version": attachment.version,
        },
    )
    return _to_detail(brief, "adjuntos")


@login_required
@require_POST
def attachment_mark_current(request, code: str, pk: int):
    """Make an earlier version of a file current again."""
    brief = _get_brief(request, code)
    try:
        attachment = actions.mark_attachment_current(brief, pk, actor=request.user, request=request)
    except Refusal as exc:
        _report(request, exc)
        return _to_detail(brief, "adjuntos")
    messages.success(
        request,
        _("«%(name)s» (v%(version)s) quedó como versión vigente.")
        % {"name": attachment.original_name, "version": attachment.version},
    )
    return _to_detail(brief, "adjuntos")


@login_required
@require_POST
def attachment_withdraw(request, code: str, pk: int):
    """Withdraw a file with a reason (kept in the history, never deleted)."""
    brief = _get_brief(request, code)
    try:
        attachment = actions.withdraw_attachment(
            brief, pk, actor=request.user, reason=request.POST.get("reason", ""), request=request
        )
    except Refusal as exc:
        _report(request, exc)
        return _to_detail(brief, "adjuntos")
    messages.success(
        request,
        _("«%(name)s» (v%(version)s) fue retirado; queda en el historial.")
        % {"name": attachment.original_name, "version": attachment.version},
    )
    return _to_detail(brief, "adjuntos")


@login_required
@require_POST
def attachment_verify(request, code: str, pk: int):
    """Recompute the SHA-256 of the stored file and say whether it matches the upload's."""
    attachment = get_object_or_404(
        Attachment.objects.select_related("brief"), pk=pk, brief__code=code
    )
    matches, message = actions.verify_attachment(attachment, actor=request.user, request=request)
    (messages.success if matches else messages.error)(request, message)
    return _to_detail(attachment.brief, "adjuntos")


@login_required
@require_GET
def f559_pdf(request, code: str, number: int):
    """The F559 PDF of one submitted version; the download is audit-logged."""
    brief = _get_brief(request, code)
    version = get_object_or_404(BriefVersion, brief=brief, number=number)
    if not version.pdf:
        raise Http404(_("Esta versión no tiene PDF."))
    try:
        handle = actions.open_version_pdf(version, actor=request.user, request=request)
    except FileNotFoundError as exc:
        raise Http404(_("El PDF ya no está disponible.")) from exc
    return FileResponse(
        handle, filename=f"{brief.code}-F559-v{number}.pdf", content_type="application/pdf"
    )


@login_required
@require_POST
def question_ask(request, code: str):
    """The provider asks a question about the brief (starts its 1-business-day clock)."""
    brief = _get_brief(request, code)
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            actions.ask_question(
                brief, actor=request.user, text=form.cleaned_data["text"], request=request
            )
        except Refusal as exc:
            _report(request, exc)
            add_domain_errors(form, exc, fields_only=True)
            return _render_detail(request, brief, status=exc.status_code, bound={"question": form})
        messages.success(request, _("Pregunta enviada: debe responderse en 1 día hábil."))
        return _to_detail(brief, "preguntas")
    return _render_detail(request, brief, status=400, bound={"question": form})


@login_required
@require_POST
def question_answer(request, code: str, pk: int):
    """OCM or the requesting area answers a provider's question."""
    brief = _get_brief(request, code)
    question = get_object_or_404(Question, pk=pk, brief=brief)
    form = AnswerForm(request.POST, question_id=pk)
    key = f"answer{pk}"
    if form.is_valid():
        try:
            actions.answer_question(
                question, actor=request.user, answer=form.cleaned_data["answer"], request=request
            )
        except Refusal as exc:
            _report(request, exc)
            add_domain_errors(form, exc, fields_only=True)
            return _render_detail(request, brief, status=exc.status_code, bound={key: form})
        messages.success(request, _("Respuesta registrada."))
        return _to_detail(brief, "preguntas")
    return _render_detail(request, brief, status=400, bound={key: form})


# --- home ------------------------------------------------------------------------------


def _pending_for(user, open_briefs: QuerySet[Brief]) -> list[workspace.Todo]:
    """What waits for ``user`` on the open briefs (``workspace.todo_for``): overdue first."""
    now = timezone.now()
    unanswered = Question.objects.filter(brief=OuterRef("pk"), answered_at__isnull=True)
    briefs = open_briefs.annotate(
        unanswered=Subquery(
            unanswered.values("brief").annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        )
    )
    todo = workspace.todo_for(user, board_rows(briefs, now, PENDING_LIMIT), now)
    for item in todo:
        item.brief.status_css = _status_css(item.brief.status)
    return todo


def _home_cards(user, open_briefs, pending: int) -> list[dict[str, Any]]:
    """The counters of the home page: open briefs, overdue ones, pending tasks, questions."""
    brief_list = reverse("campaigns:brief_list")
    reach = [
        (bool(user.roles & AREA_ROLES and user.area_id), _("Briefs abiertos de mi área")),
        (bool(user.roles & PROVIDER_ROLES and user.provider_id), _("Cola del proveedor")),
        (user.sees_all_areas, _("Briefs abiertos")),
    ]
    cards: list[dict[str, Any]] = [
        {"label": label, "value": open_briefs.count(), "url": brief_list}
        for applies, label in reach
        if applies
    ]
    if permissions.may_see_board(user):
        # ``overdue`` is an annotation: Q keeps the type checker from looking for a field.
        overdue = board_queryset(open_briefs, timezone.now()).filter(Q(overdue=True)).count()
        cards.append(
            {
                "label": _("Briefs vencidos (ANS)"),
                "value": overdue,
                "url": reverse("campaigns:board"),
                "late": overdue,
            }
        )
    cards.append({"label": _("Pendientes para mí"), "value": pending, "url": "#pendientes"})
    if user.has_role(*permissions.ANSWER_ROLES):
        unanswered = Question.objects.filter(
            brief__in=open_briefs, answered_at__isnull=True
        ).count()
        if unanswered:
            cards.append(
                {"label": _("Preguntas sin responder"), "value": unanswered, "url": brief_list}
            )
    return cards


@login_required
@require_GET
def home_panels(request):
    """Role-specific panels of the home page (loaded by htmx): counts and what is pending."""
    user = request.user
    open_briefs = _visible_briefs(user).exclude(status__in=TERMINAL)
    pending = _pending_for(user, open_briefs)
    return render(
        request,
        "campaigns/partials/home_panels.html",
        {
            "cards": _home_cards(user, open_briefs, len(pending)),
            "pending": pending[:10],
            "pending_more": max(0, len(pending) - 10),
            "can_create": permissions.may_create(user),
        },
    )


# --- scope changes ---------------------------------------------------------------------


def _change_rows(user, brief: Brief, bound: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for change in brief.change_requests.select_related("filed_by", "decided_by", "acknowledged_by"):
        fields = {c["field"]: c for c in change.diff} or {
            name: {"field": name, "before": None, "after": value}
            for name, value in change.changes.items()
        }
        rows.append(
            {
                "c": change,
                "fields": [
                    {
                        "label": FIELD_LABELS.get(name)
                        or (AttachmentKind(name).label if name in AttachmentKind.values else name),
                        "before": _format_value(name, c["before"]),
                        "after": _format_value(name, c["after"]),
                    }
                    for name, c in fields.items()
                ]
                + (
                    [
                        {
                            "label": change.get_file_kind_display(),
                            "before": None,
                            "after": change.file_name,
                        }
                    ]
                    if change.file_kind and not change.diff
                    else []
                ),
                "decide_form": (
                    bound.get(f"change{change.pk}")
                    or DecisionForm(auto_id=f"id_change{change.pk}_%s")
                )
                if permissions.may_decide_change(user, change)
                else None,
                "can_ack": permissions.may_acknowledge_change(user, change),
            }
        )
    return rows


def _get_change(request, code: str, number: int) -> ChangeRequest:
    brief = _get_brief(request, code)
    return get_object_or_404(
        ChangeRequest.objects.select_related("brief"), brief=brief, number=number
    )


@login_required
@require_POST
def change_file(request, code: str):
    """The area or OCM files a scope change (new values and/or a new base or script)."""
    brief = _get_brief(request, code)
    form = ChangeRequestForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            change = actions.file_change(
                brief,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                changes=form.changes(),
                file_kind=form.cleaned_data["file_kind"],
                upload=form.cleaned_data["file"],
                request=request,
            )
        except Refusal as exc:
            _report(request, exc)
            add_domain_errors(form, exc, fields_only=True)
            return _render_detail(request, brief, status=exc.status_code, bound={"change": form})
        messages.success(
            request,
            _("Cambio de alcance %(n)s radicado: OCM debe aprobarlo.") % {"n": change.number},
        )
        return _to_detail(brief, "cambios")
    return _render_detail(request, brief, status=400, bound={"change": form})


@login_required
@require_POST
def change_decide(request, code: str, number: int, decision: str):
    """OCM approves (``aprobar``) or rejects (``rechazar``) a filed scope change."""
    change = _get_change(request, code, number)
    deciders: dict[str, Callable[..., ChangeRequest]] = {
        "aprobar": actions.approve_change,
        "rechazar": actions.reject_change,
    }
    run = deciders.get(decision)
    if run is None:
        raise Http404(_("Decisión desconocida."))
    form = DecisionForm(request.POST, auto_id=f"id_change{change.pk}_%s")
    form.is_valid()
    try:
        run(change, actor=request.user, note=form.cleaned_data.get("note", ""), request=request)
    except Refusal as exc:
        _report(request, exc)
        add_domain_errors(form, exc, fields_only=True)
        return _render_detail(
            request, change.brief, status=exc.status_code, bound={f"change{change.pk}": form}
        )
    messages.success(request, _("Decisión registrada."))
    return _to_detail(change.brief, "cambios")


@login_required
@require_POST
def change_acknowledge(request, code: str, number: int):
    """The provider acknowledges an approved scope change."""
    change = _get_change(request, code, number)
    try:
        actions.acknowledge_change(change, actor=request.user, request=request)
    except Refusal as exc:
        _report(request, exc)
        return _to_detail(change.brief, "cambios")
    messages.success(request, _("Acuse registrado: los relojes y barridos siguen."))
    return _to_detail(change.brief, "cambios")


# --- notifications (the bell) -----------------------------------------------------------


@login_required
@require_GET
def notification_list(request):
    """The user's notices, unread first in time order; mark one or all read; digest option."""
    notes = request.user.notifications.select_related("brief")
    page = Paginator(notes, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "campaigns/notifications.html", {"page": page})


@login_required
@require_POST
def notification_read(request, pk: int):
    """Mark one notice read and go to what it is about (``?ir=0`` stays on the list)."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    actions.mark_read(notification, actor=request.user)
    if request.POST.get("ir") == "1" and notification.url:
        return redirect(notification.url)
    return redirect("campaigns:notifications")


@login_required
@require_POST
def notifications_read_all(request):
    count = actions.mark_all_read(actor=request.user)
    messages.success(request, _("%(n)s avisos marcados como leídos.") % {"n": count})
    return redirect("campaigns:notifications")


@login_required
@require_POST
def notification_digest(request):
    """Choose or stop the daily digest e-mail."""
    enabled = request.POST.get("daily_digest") == "on"
    set_daily_digest(request.user, enabled=enabled)
    messages.success(
        request,
        _("Recibirá un resumen diario por correo.")
        if enabled
        else _("Ya no recibirá el resumen diario."),
    )
    return redirect("campaigns:notifications")


# --- kick-off meeting and training ------------------------------------------------------


def _advisor_choices(brief: Brief) -> list[tuple[str, str]]:
    advisors = User.objects.filter(
        groups__name=Role.ASESOR, provider_id=brief.provider_id or 0, is_active=True
    ).distinct()
    return [(u.username, u.display_name) for u in advisors.order_by("first_name", "username")]


def _start_context(user, brief: Brief, bound: dict[str, Any]) -> dict[str, Any]:
    can = permissions.may_record_start(user, brief)
    return {
        "kickoff": KickOff.objects.filter(brief=brief).select_related("minutes").first(),
        "trainings": list(brief.trainings.select_related("material").prefetch_related("advisors")),
        "kickoff_form": (bound.get("kickoff") or KickOffForm()) if can else None,
        "training_form": (bound.get("training") or TrainingForm(advisors=_advisor_choices(brief)))
        if can
        else None,
    }


def _save_start(request, brief: Brief, form, key: str, run, success: str):
    """One call to ``run(brief, actor=…, **fields)`` from a valid ``form``; a refusal goes
    back onto the form."""
    if not form.is_valid():
        return _render_detail(request, brief, status=400, bound={key: form})
    try:
        run(brief, actor=request.user, request=request, **form.cleaned_data)
    except Refusal as exc:
        _report(request, exc)
        add_domain_errors(form, exc, fields_only=True)
        return _render_detail(request, brief, status=exc.status_code, bound={key: form})
    messages.success(request, success)
    return _to_detail(brief, "inicio")


@login_required
@require_POST
def kickoff_record(request, code: str):
    """The provider records the kick-off meeting (date, attendees, minutes)."""
    brief = _get_brief(request, code)
    form = KickOffForm(request.POST, request.FILES)
    return _save_start(
        request, brief, form, "kickoff", actions.record_kickoff, _("Reunión de inicio registrada.")
    )


@login_required
@require_POST
def training_record(request, code: str):
    """The provider records a training of its advisors for the campaign."""
    brief = _get_brief(request, code)
    form = TrainingForm(request.POST, request.FILES, advisors=_advisor_choices(brief))
    return _save_start(
        request, brief, form, "training", actions.record_training, _("Capacitación registrada.")
    )
