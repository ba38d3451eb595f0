"""Who may see or act on a brief: the one place that says it.

Seeing: :func:`reach` says which briefs a user reaches (every area, one area, one provider's
forwarded briefs, or nothing). ``Brief.objects.visible_to(user)`` (a queryset) and
:func:`may_view` (one brief) are two renderings of that one answer; a parity test walks every
persona and state to prove they agree.

Acting: :func:`require_actor` says whether a user holding some of ``roles`` may act on a brief
(staff roles on any brief, area roles on their area's, provider roles on their provider's). The
workflow actions (the ``ActionSpec`` table of :mod:`.choices`), uploads, approvals, questions,
creation and editing are rules on top of it.

Each rule has a ``require_*`` form, raising :class:`Forbidden` (wrong person) or
:class:`Conflict` (wrong moment) with the message the user sees, which the actions call; and a
boolean ``may_*`` form derived from it for views, templates and the API, so a disabled button
and the refused action give the same reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from brief.core.exceptions import Conflict, Forbidden, Refusal
from brief.core.roles import ALL_AREAS_ROLES, AREA_ROLES, PROVIDER_ROLES, Role

from .choices import (
    ACTIONS,
    APPROVABLE,
    APPROVAL_UPLOADERS,
    APPROVALS,
    AREA_CANCELLABLE,
    EDITABLE,
    EXCEPTIONAL_CLASSES,
    OPEN_CHANGE_STATES,
    PREPARATION_KINDS,
    PREPARATION_STATES,
    PROVIDER_KINDS,
    PROVIDER_UPLOAD_STATES,
    PROVIDER_VISIBLE,
    SCOPE_CHANGE_STATES,
    ActionSpec,
    ApprovalSpec,
    AttachmentKind,
    ChangeState,
    Status,
)
from .models import AdvisorAssignment, Brief

_Briefs = TypeVar("_Briefs", bound=QuerySet[Brief])
# Roles that see the OCM board.
BOARD_ROLES = (Role.ANALISTA_OCM, Role.LIDER_PROCESO, Role.AUDITOR)
# Who asks about a brief (the provider), in which states; who answers (OCM, the area).
ASK_ROLES = frozenset({Role.PROVEEDOR, Role.ASESOR})
ASK_STATES = PROVIDER_VISIBLE - {Status.ACCEPTED}
ANSWER_ROLES = frozenset({Role.ANALISTA_OCM, Role.SOLICITANTE, Role.JEFE})


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _passes(check: Callable[..., Any], *args: Any) -> bool:
    """The boolean form of a ``require_*`` check."""
    try:
        check(*args)
    except (Forbidden, Conflict):
        return False
    return True


# --- seeing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """The briefs a user may read: all of them, or those of one area and/or one provider
    (only the ones assigned to ``advisor_id`` for an advisor)."""

    everything: bool = False
    area_id: int | None = None
    provider_id: int | None = None
    advisor_id: int | None = None


def reach(user) -> Reach:
    """Staff roles reach every area; area roles their area; provider roles what was forwarded
    to their provider (the ``PROVIDER_VISIBLE`` states), an advisor only what they are
    assigned to; anyone else nothing."""
    if not _active(user):
        return Reach()
    if user.sees_all_areas:
        return Reach(everything=True)
    return Reach(
        area_id=user.area_id if user.roles & AREA_ROLES else None,
        provider_id=user.provider_id if user.roles & PROVIDER_ROLES else None,
        advisor_id=user.pk if _advisor_only(user.roles) else None,
    )


def _advisor_only(roles: frozenset[str]) -> bool:
    """An advisor without the channel director's role works only the briefs assigned to them."""
    return Role.ASESOR in roles and Role.PROVEEDOR not in roles


def _assigned(user, brief: Brief) -> bool:
    return AdvisorAssignment.objects.filter(brief_id=brief.pk, advisor_id=user.pk).exists()


def filter_visible(queryset: _Briefs, user) -> _Briefs:
    """``queryset`` narrowed to the briefs ``user`` may read (``Brief.objects.visible_to``)."""
    where = reach(user)
    if where.everything:
        return queryset
    condition = Q()
    if where.area_id:
        condition |= Q(area_id=where.area_id)
    if where.provider_id:
        provider = Q(provider_id=where.provider_id, status__in=PROVIDER_VISIBLE)
        if where.advisor_id:
            assigned = AdvisorAssignment.objects.filter(advisor_id=where.advisor_id)
            provider &= Q(pk__in=assigned.values("brief_id"))
        condition |= provider
    return queryset.filter(condition) if condition else queryset.none()


def may_view(user, brief: Brief) -> bool:
    """Whether ``user`` may read ``brief`` (the one-object form of ``visible_to``)."""
    where = reach(user)
    if where.everything:
        return True
    if where.area_id and brief.area_id == where.area_id:
        return True
    return bool(
        where.provider_id
        and brief.provider_id == where.provider_id
        and brief.status in PROVIDER_VISIBLE
        and (not where.advisor_id or _assigned(user, brief))
    )


def require_view(user, brief: Brief, message: str | None = None) -> None:
    """Raise :class:`Forbidden` (with ``message`` when given) unless ``user`` may read it."""
    if not may_view(user, brief):
        raise Forbidden(
            message
            or gettext("El brief %(code)s no pertenece a su área o proveedor.")
            % {"code": brief.code}
        )


def visible_brief(user, code: str, *related: str) -> Brief:
    """The brief ``code`` for ``user``: 404 when it does not exist, 403 when not theirs."""
    brief = get_object_or_404(Brief.objects.select_related(*related), code=code)
    require_view(user, brief)
    return brief


def require_board(user) -> None:
    """The OCM board is for OCM, the process leader and internal control."""
    if not (_active(user) and user.has_role(*BOARD_ROLES)):
        raise Forbidden(gettext("El tablero es para OCM, el líder de proceso y control interno."))


def may_see_board(user) -> bool:
    return _passes(require_board, user)


# --- acting ----------------------------------------------------------------------------


def _actor_refusal(user, brief: Brief, roles: Iterable[str]) -> str | None:
    """Why ``user`` may not act on ``brief`` with one of ``roles``: ``"role"`` (none held),
    ``"scope"`` (the role does not reach the brief) or ``None`` (it may). The rule of
    :func:`require_actor`, without building a refusal: the boolean checks (``may_*``) run it
    for every brief of a list."""
    if _active(user) and user.is_superuser:
        return None
    held = (user.roles if _active(user) else frozenset()) & frozenset(roles)
    if not held:
        return "role"
    if held & ALL_AREAS_ROLES:
        return None
    if held & AREA_ROLES and user.area_id == brief.area_id:
        return None
    if (
        held & PROVIDER_ROLES
        and brief.provider_id
        and user.provider_id == brief.provider_id
        and (not _advisor_only(held) or _assigned(user, brief))
    ):
        return None
    return "scope"


def require_actor(user, brief: Brief, roles: Iterable[str], what: str) -> None:
    """Raise :class:`Forbidden` unless ``user`` holds one of ``roles`` and that role reaches
    ``brief``: staff roles any brief, area roles their area's, provider roles their
    provider's (an advisor only on the briefs assigned to them). ``what`` completes the
    refusal "Su rol no permite …"."""
    refusal = _actor_refusal(user, brief, roles)
    if refusal == "role":
        raise Forbidden(gettext("Su rol no permite %(what)s.") % {"what": what})
    if refusal == "scope":
        raise Forbidden(
            gettext("El brief %(code)s no pertenece a su área o proveedor.") % {"code": brief.code}
        )


def may_act_as(user, brief: Brief, roles: Iterable[str]) -> bool:
    """Whether ``user`` may act on ``brief`` with one of ``roles`` (see :func:`require_actor`)."""
    return _actor_refusal(user, brief, roles) is None


def _late_cancel(user, brief: Brief, spec: ActionSpec) -> bool:
    """An area user cancelling after the brief was forwarded (only OCM may then)."""
    return (
        spec.name == "cancel"
        and brief.status in spec.sources
        and brief.status not in AREA_CANCELLABLE
        and not user.has_role(Role.ANALISTA_OCM)
    )


def require_action(user, brief: Brief, action: str) -> ActionSpec:
    """Raise :class:`Forbidden` unless ``user`` may run workflow ``action`` on ``brief``
    (its roles in the ``ActionSpec`` table; area users cancel only before forwarding). The
    state itself is checked by the action under its lock (a :class:`Conflict`)."""
    spec = ACTIONS[action]
    require_actor(user, brief, spec.roles, f"«{spec.label.lower()}»")
    if _late_cancel(user, brief, spec):
        raise Forbidden(
            gettext("Después de remitido al proveedor, solo OCM puede cancelar el brief.")
        )
    return spec


def may_act(user, brief: Brief, action: str) -> bool:
    """Whether ``user`` may run ``action`` on ``brief`` now (its state included)."""
    spec = ACTIONS.get(action)
    return (
        spec is not None
        and brief.status in spec.sources
        and _actor_refusal(user, brief, spec.roles) is None
        and not _late_cancel(user, brief, spec)
    )


def allowed_actions(brief: Brief, user) -> list[ActionSpec]:
    """The actions ``user`` may run on ``brief`` in its state (for buttons and the API); one
    may still be blocked until the brief is ready for it (:func:`blocked_actions`)."""
    return [spec for spec in ACTIONS.values() if may_act(user, brief, spec.name)]


def require_ready(brief: Brief, action: str) -> None:
    """Raise the :class:`Refusal` of the first ``ActionSpec.checks`` of ``action`` that
    ``brief`` does not meet (a ready base, a template per channel, a finished sweep…)."""
    for path in ACTIONS[action].checks:
        import_string(path)(brief)


def readiness_refusal(brief: Brief, action: str) -> Refusal | None:
    """Why ``brief`` is not ready for ``action`` (``None`` when it is): the same checks the
    action runs, so a disabled button and the refused action give the same reason."""
    try:
        require_ready(brief, action)
    except Refusal as exc:
        return exc
    return None


def blocked_actions(brief: Brief, user) -> dict[str, Refusal]:
    """Of the actions ``user`` may run on ``brief`` now (:func:`allowed_actions`), those the
    brief is not ready for, with the refusal to show next to the disabled button."""
    blocked = {}
    for spec in allowed_actions(brief, user):
        refusal = readiness_refusal(brief, spec.name)
        if refusal is not None:
            blocked[spec.name] = refusal
    return blocked


def require_create(user) -> None:
    """Only a user of a requesting area starts a brief (for that area)."""
    if not (_active(user) and user.has_role(Role.SOLICITANTE, Role.JEFE) and user.area_id):
        raise Forbidden(gettext("Solo un usuario de un área solicitante puede crear un brief."))


def may_create(user) -> bool:
    return _passes(require_create, user)


def require_edit(user, brief: Brief) -> None:
    """The requesting area edits the F559 while the brief is a draft or returned."""
    require_actor(user, brief, AREA_ROLES, gettext("editar el brief"))
    if brief.status not in EDITABLE:
        raise Conflict(
            gettext("El brief %(code)s está «%(status)s» y no se puede editar.")
            % {"code": brief.code, "status": brief.get_status_display()}
        )


def may_edit(user, brief: Brief) -> bool:
    return _passes(require_edit, user, brief)


def require_upload(user, brief: Brief, kind: str) -> None:
    """The area adds its files while the brief is editable (an approval's file also by the
    role that gives it); the provider adds reports and the managed base during execution."""
    if kind in PREPARATION_KINDS:
        require_actor(user, brief, {Role.PROVEEDOR}, gettext("registrar el inicio de la campaña"))
        if brief.status not in PREPARATION_STATES:
            raise Conflict(
                gettext(
                    "La reunión de inicio y las capacitaciones se registran con el brief en curso."
                )
            )
        return
    if kind in PROVIDER_KINDS:
        require_actor(user, brief, {Role.PROVEEDOR}, gettext("adjuntar resultados"))
        if brief.status not in PROVIDER_UPLOAD_STATES:
            raise Conflict(gettext("Los informes se adjuntan durante la ejecución."))
        return
    uploaders = set(AREA_ROLES)
    if kind in APPROVAL_UPLOADERS:
        uploaders.add(APPROVAL_UPLOADERS[kind])
    require_actor(user, brief, uploaders, gettext("adjuntar este documento"))
    if brief.status not in EDITABLE:
        raise Conflict(
            gettext("El brief está «%(status)s»: ya no admite cambios en sus adjuntos.")
            % {"status": brief.get_status_display()}
        )


def may_upload(user, brief: Brief, kind: str) -> bool:
    return kind in AttachmentKind.values and _passes(require_upload, user, brief, kind)


def upload_kinds(user, brief: Brief) -> list[str]:
    """The attachment kinds ``user`` may add to ``brief`` now, in display order (kick-off
    minutes and training material come with their records, not as loose files)."""
    return [
        kind
        for kind in AttachmentKind.values
        if kind not in PREPARATION_KINDS and may_upload(user, brief, kind)
    ]


def require_approval(user, brief: Brief, which: str) -> ApprovalSpec:
    """Each in-app approval is given once, by its role (the jefe of the brief's own area),
    while the brief is editable, submitted or in review."""
    spec = APPROVALS[which]
    require_actor(user, brief, {spec.role}, gettext("dar %(what)s") % {"what": spec.what})
    _require_open(brief, spec)
    return spec


def _require_open(brief: Brief, spec: ApprovalSpec) -> None:
    """The approval is still missing and the brief's state accepts approvals."""
    if getattr(brief, f"{spec.field}_by_id"):
        raise Conflict(gettext("El brief ya tiene %(what)s.") % {"what": spec.what})
    if brief.status not in APPROVABLE:
        raise Conflict(
            gettext("El brief está «%(status)s»: no admite avales.")
            % {"status": brief.get_status_display()}
        )


def _open(brief: Brief, spec: ApprovalSpec) -> bool:
    """The boolean of :func:`_require_open`."""
    return not getattr(brief, f"{spec.field}_by_id") and brief.status in APPROVABLE


def may_approve(user, brief: Brief, which: str) -> bool:
    """The boolean of :func:`require_approval`."""
    spec = APPROVALS.get(which)
    return (
        spec is not None and _actor_refusal(user, brief, {spec.role}) is None and _open(brief, spec)
    )


def approval_refused(brief: Brief, spec: ApprovalSpec) -> bool:
    """The approval was refused and the area has not asked for it again."""
    return bool(getattr(brief, f"{spec.refused}_at"))


def require_refuse_approval(user, brief: Brief, which: str) -> ApprovalSpec:
    """The role that gives an approval may refuse it instead, with a reason, when it could give
    it (see :func:`require_approval`) and has not refused it already since the area's last ask."""
    spec = require_approval(user, brief, which)
    if approval_refused(brief, spec):
        raise Conflict(
            gettext("%(what)s ya fue rechazado; espere a que el área lo pida de nuevo.")
            % {"what": str(spec.label)},
            code="already_refused",
        )
    return spec


def may_refuse_approval(user, brief: Brief, which: str) -> bool:
    return which in APPROVALS and _passes(require_refuse_approval, user, brief, which)


def require_request_approval(user, brief: Brief, which: str) -> ApprovalSpec:
    """The requesting area asks for an approval its brief still needs, while approvals are
    accepted (the rate limit is the action's: it claims the ask)."""
    spec = APPROVALS[which]
    require_actor(user, brief, AREA_ROLES, gettext("pedir %(what)s") % {"what": spec.what})
    _require_open(brief, spec)
    if not approval_applies(brief, spec):
        raise Conflict(
            gettext("Este brief no requiere %(what)s.") % {"what": spec.what},
            code="not_required",
        )
    return spec


def may_request_approval(user, brief: Brief, which: str) -> bool:
    return which in APPROVALS and _passes(require_request_approval, user, brief, which)


def approval_applies(brief: Brief, spec: ApprovalSpec) -> bool:
    """The leader's authorization is asked only of exceptional classes (or once given)."""
    return (
        spec.which != "leader"
        or brief.campaign_class in EXCEPTIONAL_CLASSES
        or bool(getattr(brief, f"{spec.field}_by_id"))
    )


def approvals_to_give(user, brief: Brief) -> list[ApprovalSpec]:
    """The approvals that ``brief`` still needs and ``user`` may give now (a refused one waits
    for the area to ask again: it is not the approver's task meanwhile)."""
    return [
        spec
        for spec in APPROVALS.values()
        if approval_applies(brief, spec)
        and not approval_refused(brief, spec)
        and may_approve(user, brief, spec.which)
    ]


def refused_approvals(brief: Brief) -> list[ApprovalSpec]:
    """The approvals of ``brief`` refused and not asked for again (the banner, the to-do)."""
    return [
        spec
        for spec in APPROVALS.values()
        if approval_refused(brief, spec) and not getattr(brief, f"{spec.field}_by_id")
    ]


def require_ask(user, brief: Brief) -> None:
    """The provider asks about a brief it is working on (forwarded and not yet accepted)."""
    require_actor(user, brief, {Role.PROVEEDOR, Role.ASESOR}, gettext("hacer preguntas"))
    if brief.status not in ASK_STATES:
        raise Conflict(
            gettext("Solo se pueden hacer preguntas sobre un brief en curso con el proveedor.")
        )


def may_ask(user, brief: Brief) -> bool:
    return _passes(require_ask, user, brief)


def require_answer(user, brief: Brief) -> None:
    """OCM or the requesting area answers the provider's questions."""
    require_actor(user, brief, ANSWER_ROLES, gettext("responder preguntas"))


def may_answer(user, brief: Brief) -> bool:
    return _passes(require_answer, user, brief)


# --- scope changes after forwarding ----------------------------------------------------

# Who files a scope change (the requesting area or OCM), who decides it, who acknowledges it.
CHANGE_FILERS = frozenset({Role.SOLICITANTE, Role.JEFE, Role.ANALISTA_OCM})
CHANGE_DECIDERS = frozenset({Role.ANALISTA_OCM})
CHANGE_ACKNOWLEDGERS = frozenset({Role.PROVEEDOR})


def require_file_change(user, brief: Brief) -> None:
    """The area or OCM files a scope change once the brief is with the provider and before the
    results are delivered, one open change at a time."""
    require_actor(user, brief, CHANGE_FILERS, gettext("solicitar cambios de alcance"))
    if brief.status not in SCOPE_CHANGE_STATES:
        raise Conflict(
            gettext(
                "El alcance se ajusta después de remitir el brief al proveedor y antes de "
                "entregar resultados; el brief está «%(status)s»."
            )
            % {"status": brief.get_status_display()}
        )
    if brief.change_requests.filter(state__in=OPEN_CHANGE_STATES).exists():
        raise Conflict(
            gettext("Ya hay un cambio de alcance en curso: espere su decisión y el acuse."),
            code="change_open",
        )


def may_file_change(user, brief: Brief) -> bool:
    return _passes(require_file_change, user, brief)


def require_decide_change(user, change) -> None:
    """OCM approves or rejects a filed scope change."""
    require_actor(user, change.brief, CHANGE_DECIDERS, gettext("decidir cambios de alcance"))
    if change.state != ChangeState.FILED:
        raise Conflict(
            gettext("El cambio de alcance ya está «%(state)s».")
            % {"state": change.get_state_display()}
        )


def may_decide_change(user, change) -> bool:
    return _passes(require_decide_change, user, change)


def require_acknowledge_change(user, change) -> None:
    """The provider of the brief acknowledges an approved scope change."""
    require_actor(
        user, change.brief, CHANGE_ACKNOWLEDGERS, gettext("acusar recibo de cambios de alcance")
    )
    if change.state != ChangeState.APPROVED:
        raise Conflict(
            gettext("Solo se acusa un cambio de alcance aprobado; este está «%(state)s».")
            % {"state": change.get_state_display()}
        )


def may_acknowledge_change(user, change) -> bool:
    return _passes(require_acknowledge_change, user, change)


# --- kick-off and training -------------------------------------------------------------


def require_record_start(user, brief: Brief) -> None:
    """The provider records the kick-off meeting and the advisors' trainings of a brief it has
    (forwarded until the results are delivered)."""
    require_upload(user, brief, AttachmentKind.KICKOFF_MINUTES)


def may_record_start(user, brief: Brief) -> bool:
    return _passes(require_record_start, user, brief)


# --- monthly reports, QC sample, dashboards ----------------------------------------------

# OCM, the process leader and internal control read every area's monthly report and the QC.
REPORT_READERS = frozenset({Role.ANALISTA_OCM, Role.LIDER_PROCESO, Role.AUDITOR})
# Who files an improvement recommendation; who reviews QC items; who draws a QC sample.
RECOMMENDATION_CREATORS = frozenset({Role.ANALISTA_OCM, Role.PROVEEDOR})
QC_REVIEWERS = frozenset({Role.ANALISTA_OCM, Role.AUDITOR})
QC_DRAWERS = frozenset({Role.ANALISTA_OCM})


def require_monthly_report(user, area_id: int | None = None) -> Reach:
    """What of the monthly report ``user`` reaches: OCM, the leader and the auditor every area;
    an area user only their area (another area is a 403); the provider's director the briefs
    of their provider; anyone else (advisors included) nothing."""
    if not _active(user):
        raise Forbidden(gettext("Inicie sesión para ver los informes."))
    if user.is_superuser or user.has_role(*REPORT_READERS):
        return Reach(everything=True)
    if user.roles & AREA_ROLES and user.area_id:
        if area_id and area_id != user.area_id:
            raise Forbidden(gettext("Solo puede ver el informe mensual de su área."))
        return Reach(area_id=user.area_id)
    if Role.PROVEEDOR in user.roles and user.provider_id:
        return Reach(provider_id=user.provider_id)
    raise Forbidden(
        gettext("El informe mensual es para OCM, control interno, las áreas y el proveedor.")
    )


def may_see_monthly_report(user) -> bool:
    return _passes(require_monthly_report, user)


def require_create_recommendation(user) -> None:
    if not (_active(user) and user.has_role(*RECOMMENDATION_CREATORS)):
        raise Forbidden(gettext("Solo OCM y el proveedor registran recomendaciones de mejora."))


def may_create_recommendation(user) -> bool:
    return _passes(require_create_recommendation, user)


def require_update_recommendation(user, recommendation) -> None:
    """The owner of a recommendation updates and closes it; OCM may too."""
    if not _active(user):
        raise Forbidden(gettext("Inicie sesión para actualizar la recomendación."))
    if user.pk == recommendation.owner_id or user.has_role(Role.ANALISTA_OCM):
        return
    raise Forbidden(gettext("Solo el responsable de la recomendación u OCM la actualizan."))


def may_update_recommendation(user, recommendation) -> bool:
    return _passes(require_update_recommendation, user, recommendation)


def require_qc(user) -> None:
    """The QC sample and its results: OCM, the process leader and internal control."""
    if not (_active(user) and (user.is_superuser or user.has_role(*REPORT_READERS))):
        raise Forbidden(gettext("El muestreo de calidad es para OCM y control interno."))


def may_see_qc(user) -> bool:
    return _passes(require_qc, user)


def require_qc_review(user) -> None:
    if not (_active(user) and (user.is_superuser or user.has_role(*QC_REVIEWERS))):
        raise Forbidden(gettext("Solo OCM y control interno diligencian la lista de chequeo."))


def may_review_qc(user) -> bool:
    return _passes(require_qc_review, user)


def require_qc_draw(user) -> None:
    if not (_active(user) and (user.is_superuser or user.has_role(*QC_DRAWERS))):
        raise Forbidden(gettext("Solo OCM sortea la muestra de calidad."))


def may_draw_qc(user) -> bool:
    return _passes(require_qc_draw, user)


# --- evidence: sending certificates and the contract file ------------------------------

# Who issues sending certificates of a brief they reach: OCM, the provider's channel
# director, internal control and the requesting area.
CERTIFY_ROLES = frozenset(
    {Role.ANALISTA_OCM, Role.PROVEEDOR, Role.AUDITOR, Role.SOLICITANTE, Role.JEFE}
)
# Who downloads a brief's whole file (expediente): OCM and internal control.
EXPEDIENTE_ROLES = frozenset({Role.ANALISTA_OCM, Role.AUDITOR})


def require_certify(user, brief: Brief) -> None:
    """Issue a sending certificate of ``brief`` (a role of ``CERTIFY_ROLES`` that reaches it)."""
    require_view(user, brief)
    require_actor(user, brief, CERTIFY_ROLES, gettext("certificar envíos"))


def may_certify(user, brief: Brief) -> bool:
    return _passes(require_certify, user, brief)


def require_expediente(user, brief: Brief) -> None:
    """Download the whole file of ``brief`` (OCM, internal control)."""
    require_view(user, brief)
    require_actor(user, brief, EXPEDIENTE_ROLES, gettext("descargar el expediente"))


def may_export_expediente(user, brief: Brief) -> bool:
    return _passes(require_expediente, user, brief)


# --- fortnightly SLA report ---

SLA_REPORT_READERS = frozenset({Role.ANALISTA_OCM, Role.AUDITOR})


def require_sla_report(user) -> None:
    """The fortnightly SLA report is for OCM and internal control."""
    if not (_active(user) and user.has_role(*SLA_REPORT_READERS)):
        raise Forbidden(gettext("El informe de ANS es para OCM y control interno."))


def may_see_sla_report(user) -> bool:
    return _passes(require_sla_report, user)


# --- campaign report ---------------------------------------------------------------------


def require_write_conclusions(user, brief: Brief) -> None:
    """OCM writes the conclusions of a brief's campaign report (the «Ficha Técnica de
    Resultados» summary)."""
    require_actor(
        user, brief, {Role.ANALISTA_OCM}, gettext("escribir las conclusiones del informe")
    )


def may_write_conclusions(user, brief: Brief) -> bool:
    return _passes(require_write_conclusions, user, brief)
