"""The brief as a workspace: the procedure's steps, who acts next, the banner of the last
return, the tabs of the brief page and the to-do list of the home page.

Who acts next is read from the ``ActionSpec`` table (``choices.ACTIONS``) and the approvals
table (``choices.APPROVALS``) — the same tables that give ``permissions.allowed_actions`` —
so the sentence on the page and the buttons cannot disagree. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from brief.core import sla
from brief.core.roles import AREA_ROLES, PROVIDER_ROLES, Role

from . import permissions
from .choices import (
    ACTIONS,
    APPROVABLE,
    APPROVALS,
    MAIN_LINE,
    TERMINAL,
    ActionSpec,
    ApprovalSpec,
    ChecklistItem,
    Status,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from .models import Brief, BriefTransition

# --- the stepper -----------------------------------------------------------------------

# The procedure's main line (``choices.MAIN_LINE``). A returned brief is back at the first
# step (the area edits it again); a cancelled one stops where it was.
STEPS = MAIN_LINE
STEP_AT: dict[str, Status] = {Status.RETURNED: Status.DRAFT}


@dataclass(frozen=True)
class Step:
    number: int
    label: StrOrPromise
    state: str  # "done" | "current" | "next"


def stepper(brief: Brief) -> list[Step]:
    """The procedure's steps with the brief's place on them: done, current, next. A cancelled
    brief shows the steps it went through as done and none as current."""
    status = brief.status
    if status == Status.CANCELLED:
        last = brief.transitions.filter(to_status=Status.CANCELLED).order_by("-at", "-id").first()
        reached = STEP_AT.get(last.from_status, last.from_status) if last else Status.DRAFT
        index = STEPS.index(Status(reached)) + 1 if reached in STEPS else 0
        current = None
    else:
        index = STEPS.index(STEP_AT.get(status, Status(status)))
        current = index
    steps = []
    for i, step in enumerate(STEPS):
        state = "done" if i < index else ("current" if i == current else "next")
        label = Status(status).label if state == "current" else step.label
        if step == Status.ACCEPTED and status == Status.ACCEPTED:
            state = "done"
        steps.append(Step(i + 1, label, state))
    return steps


# --- who acts next ---------------------------------------------------------------------


@dataclass(frozen=True)
class NextStep:
    """One sentence of "Le toca a: <who> — <what>"."""

    who: str
    what: str
    roles: frozenset[str] = field(default_factory=frozenset)

    def __str__(self) -> str:
        return _("Le toca a: %(who)s — %(what)s") % {"who": self.who, "what": self.what}


def _join(words: list[str]) -> str:
    """ "a", "a o b", "a, b o c"."""
    if len(words) <= 1:
        return "".join(words)
    return _("%(head)s o %(last)s") % {"head": ", ".join(words[:-1]), "last": words[-1]}


# How the sentence names a role (the role's label otherwise), in the order it names them.
ACTOR_NAMES: dict[str, StrOrPromise] = {
    Role.ANALISTA_OCM: Role.ANALISTA_OCM.label,
    Role.PROVEEDOR: gettext_lazy("Proveedor"),
    Role.SOLICITANTE: gettext_lazy("Solicitante"),
    Role.JEFE: Role.JEFE.label,
}


def _who(brief: Brief, roles: frozenset[str]) -> str:
    """The roles by name, with the organisation that holds them on this brief: the
    requesting area after the area roles, the provider after the provider's."""
    order = list(ACTOR_NAMES) + [r for r in Role.values if r not in ACTOR_NAMES]
    ranked = sorted(roles, key=order.index)
    names = []
    for role in ranked:
        if role in AREA_ROLES:
            continue
        name = str(ACTOR_NAMES.get(role, Role(role).label))
        if role in PROVIDER_ROLES and brief.provider_id:
            name = _("%(role)s %(provider)s") % {"role": name, "provider": brief.provider}
        names.append(name)
    area = [str(ACTOR_NAMES.get(r, Role(r).label)) for r in ranked if r in AREA_ROLES]
    if area:
        names.append(_("%(roles)s de %(area)s") % {"roles": _join(area), "area": brief.area})
    return _join(names)


def _workflow_specs(status: str) -> list[ActionSpec]:
    """The actions that move a brief on from ``status`` (cancelling is not a next step);
    the ones that go forward first, returns and rejections after."""
    specs = [s for s in ACTIONS.values() if status in s.sources and s.name != "cancel"]
    return sorted(specs, key=lambda s: s.reasons)


def next_steps(brief: Brief) -> list[NextStep]:
    """Who must act on ``brief`` now and what they must do: one sentence per group of roles
    that share the actions of the state (from ``ACTIONS``), then the approvals the brief
    still needs (from ``APPROVALS``) while they are accepted."""
    if brief.status in TERMINAL:
        return []
    groups: dict[frozenset[str], list[str]] = {}
    for spec in _workflow_specs(brief.status):
        groups.setdefault(spec.roles, []).append(str(spec.label).lower())
    out = [NextStep(_who(brief, roles), _join(labels), roles) for roles, labels in groups.items()]
    if brief.status in APPROVABLE:
        for approval in APPROVALS.values():
            given = getattr(brief, f"{approval.field}_by_id")
            if not permissions.approval_applies(brief, approval) or given:
                continue
            if brief.attachments.filter(kind=approval.kind, is_current=True).exists():
                continue
            if permissions.approval_refused(brief, approval):
                # Refused: the area fixes what the reason says and asks again.
                roles: frozenset[str] = frozenset(AREA_ROLES)
                what = _("corregir y pedir de nuevo %(what)s") % {"what": approval.what}
            else:
                roles = frozenset({approval.role})
                what = _("dar %(what)s") % {"what": approval.what}
            out.append(NextStep(_who(brief, roles), what, roles))
    return out


def closing_text(brief: Brief) -> str:
    """What the header says when nobody has to act: the process ended or was cancelled."""
    if brief.status == Status.ACCEPTED:
        return _("Proceso terminado: el área aceptó los resultados.")
    if brief.status == Status.CANCELLED:
        return _("Brief cancelado: nadie tiene que actuar.")
    return ""


# --- the banner of the last return -----------------------------------------------------


@dataclass(frozen=True)
class Comeback:
    """The last return or refusal, when it is the brief's latest move."""

    transition: BriefTransition
    label: StrOrPromise
    failed: list[str]


def last_comeback(brief: Brief) -> Comeback | None:
    """The brief's latest transition when it is a return or a refusal (an ``ActionSpec`` with
    ``reasons``): the brief came back and the banner says why. ``None`` once it moved on."""
    last = brief.transitions.select_related("actor").order_by("-at", "-id").first()
    if last is None or last.action not in ACTIONS or not ACTIONS[last.action].reasons:
        return None
    failed = [
        str(ChecklistItem(item).label)
        for item in (last.details or {}).get("failed", [])
        if item in ChecklistItem.values
    ]
    return Comeback(last, ACTIONS[last.action].label, failed)


@dataclass(frozen=True)
class RefusedApproval:
    """An in-app approval refused and not asked for again: who, when, why."""

    spec: ApprovalSpec
    by: Any
    at: dt.datetime
    reason: str


def refused_approvals(brief: Brief) -> list[RefusedApproval]:
    """The banner's refused approvals (``permissions.refused_approvals``) with their record."""
    return [
        RefusedApproval(
            spec,
            getattr(brief, f"{spec.refused}_by"),
            getattr(brief, f"{spec.refused}_at"),
            getattr(brief, f"{spec.which}_refusal"),
        )
        for spec in permissions.refused_approvals(brief)
    ]


# --- tabs --------------------------------------------------------------------------------

TABS: dict[str, StrOrPromise] = {
    "formato": gettext_lazy("Formato"),
    "base": gettext_lazy("Base"),
    "contenido": gettext_lazy("Contenido"),
    "barridos": gettext_lazy("Barridos"),
    "informe": gettext_lazy("Informe"),
    "ans": gettext_lazy("ANS"),
    "historial": gettext_lazy("Historial"),
    "preguntas": gettext_lazy("Preguntas"),
}
DEFAULT_TAB = "formato"
# The page sections (their HTML ids, used as anchors in redirects and notifications) and the
# tab that holds each one.
ANCHOR_TABS: dict[str, str] = {
    "f559": "formato",
    "adjuntos": "formato",
    "cambios": "formato",
    "base-contactos": "base",
    "contenido-mensaje": "contenido",
    "barridos": "barridos",
    "centro-contacto": "barridos",
    "inicio": "barridos",
    "informe": "informe",
    "reportes-diarios": "informe",
    "evidencias": "informe",
    "ans": "ans",
    "historial": "historial",
    "versiones": "historial",
    "preguntas": "preguntas",
}
# The tab where each workflow action is prepared (the to-do list links there).
ACTION_TABS: dict[str, str] = {
    "load_base": "base",
    "request_exit": "contenido",
    "approve_exit": "contenido",
    "deliver_results": "informe",
    "send_results": "informe",
    "return_results": "informe",
    "reject_results": "informe",
    "accept": "informe",
}


def brief_url(code: str, anchor: str = "", *, tab: str | None = None) -> str:
    """The brief page opened on the tab that holds ``anchor`` (or on ``tab``)."""
    url = reverse("campaigns:brief_detail", args=[code])
    tab = tab or ANCHOR_TABS.get(anchor)
    if tab and tab != DEFAULT_TAB:
        url += f"?tab={tab}"
    return f"{url}#{anchor}" if anchor else url


# --- the home page's to-do list ----------------------------------------------------------


@dataclass
class Todo:
    """One thing that waits for the user on one brief."""

    brief: Any  # a Brief annotated by ``board_queryset`` (next_due, overdue)
    what: str
    url: str
    due: dt.datetime | None
    risk: str


def todo_for(user, briefs, now: dt.datetime) -> list[Todo]:
    """What waits for ``user`` on ``briefs`` (annotated with ``next_due``, ``overdue`` and
    ``unanswered``): the actions they may run (cancelling is not a task), the approvals they
    may give and the questions they may answer; overdue first, then by due time, then the
    oldest move."""
    items: list[Todo] = []
    for brief in briefs:
        due = brief.next_due
        risk = (
            sla.RISK_OVERDUE
            if brief.overdue
            else (sla.risk(due, now) if due is not None else sla.RISK_OK)
        )
        for spec in permissions.allowed_actions(brief, user):
            if spec.name == "cancel":
                continue
            items.append(
                Todo(
                    brief,
                    str(spec.label),
                    brief_url(brief.code, "acciones", tab=ACTION_TABS.get(spec.name, DEFAULT_TAB)),
                    due,
                    risk,
                )
            )
        for approval in permissions.refused_approvals(brief):
            if permissions.may_request_approval(user, brief, approval.which):
                items.append(
                    Todo(
                        brief,
                        _("Corregir y pedir de nuevo %(what)s (rechazado: %(reason)s)")
                        % {
                            "what": approval.what,
                            "reason": getattr(brief, f"{approval.which}_refusal"),
                        },
                        brief_url(brief.code, "avales"),
                        due,
                        risk,
                    )
                )
        for approval in permissions.approvals_to_give(user, brief):
            items.append(
                Todo(
                    brief,
                    _("Dar %(label)s") % {"label": str(approval.label).lower()},
                    brief_url(brief.code, "avales"),
                    due,
                    risk,
                )
            )
        if brief.unanswered and permissions.may_answer(user, brief):
            items.append(
                Todo(
                    brief,
                    _("Responder %(n)s pregunta(s) del proveedor") % {"n": brief.unanswered},
                    brief_url(brief.code, "preguntas"),
                    due,
                    risk,
                )
            )
    order = {sla.RISK_OVERDUE: 0, sla.RISK_AT_RISK: 1, sla.RISK_OK: 2}
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    items.sort(
        key=lambda t: (
            order[t.risk],
            t.due or far,
            t.brief.last_transition_at or t.brief.created_at,
        )
    )
    return items
