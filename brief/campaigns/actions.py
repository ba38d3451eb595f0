"""The only write path of briefs: one function per business action (DESIGN §2).

Each action checks role, area/provider and current state, claims the state change with a
conditional update (so two concurrent moves give exactly one transition), writes the
:class:`BriefTransition` and the audit event, moves the SLA clocks in the same transaction,
and sends notifications on commit.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Field, Max, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from brief.accounts.models import Provider, User
from brief.core import calendar, sla
from brief.core.audit import record
from brief.core.choices import ClockState, Responsible
from brief.core.crypto import DecryptionError
from brief.core.exceptions import Conflict, Forbidden, Invalid
from brief.core.models import SLAClock
from brief.core.roles import Role
from brief.core.uploads import check_upload

from . import permissions
from .choices import (
    ACTIONS,
    ALLOWED_EXTENSIONS,
    APPROVABLE,
    APPROVAL_REQUEST_INTERVAL_SECONDS,
    CHANGE_FILE_KINDS,
    CHANGEABLE_FIELDS,
    CONTENT_FIELDS,
    EXCEPTIONAL_CLASSES,
    PREPARATION_KINDS,
    RESTART_FIELDS,
    SCOPE_CHANGE_STATES,
    SCOPE_CHANGE_STEPS,
    SCRIPT_CHANNELS,
    ActionSpec,
    ApprovalDecision,
    AttachmentKind,
    ChangeState,
    Channel,
    ChecklistItem,
    NoticeKind,
    Status,
)
from .models import (
    FORM_FIELDS,
    ApprovalEvent,
    Attachment,
    Brief,
    BriefSequence,
    BriefTransition,
    BriefVersion,
    ChangeRequest,
    KickOff,
    Notification,
    Question,
    Training,
)
from .vocabulary import ABROAD_CHANNELS

LEAD_TIME_BUSINESS_DAYS = 3


# --- drafting --------------------------------------------------------------------------


def _next_code(year: int) -> str:
    BriefSequence.objects.get_or_create(year=year)
    BriefSequence.objects.filter(year=year).update(last=F("last") + 1)
    last = BriefSequence.objects.get(year=year).last
    return f"BRF-{year}-{last:04d}"


def _clean_data(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(FORM_FIELDS)
    if unknown:
        raise Invalid(
            gettext("Campos desconocidos: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            code="unknown_field",
        )
    _require_dates_in_order(data.get("start_date"), data.get("end_date"))
    return data


def _require_dates_in_order(start, end) -> None:
    """The end date is not before the start date (a draft's data and a scope change)."""
    if start and end and end < start:
        raise Invalid(
            gettext("La fecha de fin no puede ser anterior a la de inicio."),
            code="invalid_dates",
            field="end_date",
        )


@transaction.atomic
def create_brief(*, actor, data: dict[str, Any], request=None) -> Brief:
    """Start a draft F559 for the actor's area."""
    permissions.require_create(actor)
    data = _clean_data(dict(data))
    year = calendar.local(timezone.now()).year
    brief = Brief.objects.create(
        code=_next_code(year), area_id=actor.area_id, requester=actor, **data
    )
    record("BRIEF_CREATED", actor=actor, target=brief, request=request)
    return brief


@transaction.atomic
def update_brief(brief: Brief, *, actor, data: dict[str, Any], request=None) -> Brief:
    """Edit the F559 fields of a draft or returned brief."""
    permissions.require_edit(actor, brief)
    data = _clean_data(dict(data))
    locked = Brief.objects.select_for_update().get(pk=brief.pk)
    permissions.require_edit(actor, locked)
    changed = [name for name, value in data.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, data[name])
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
        record(
            "BRIEF_UPDATED",
            actor=actor,
            target=locked,
            request=request,
            details={"fields": changed},
        )
    return locked


# --- attachments -----------------------------------------------------------------------


def _next_version(brief: Brief, kind: str) -> int:
    """The next number of ``kind`` in ``brief`` (call with the brief's row locked)."""
    last = brief.attachments.filter(kind=kind).aggregate(last=Max("version"))["last"]
    return (last or 0) + 1


def _store(brief: Brief, *, actor, kind: str, upload, series: Attachment | None = None):
    """Validate ``upload`` and store it as the next version of ``kind`` (current)."""
    checked = check_upload(upload, allowed=ALLOWED_EXTENSIONS[kind])
    attachment = Attachment(
        brief=brief,
        kind=kind,
        original_name=checked.name[:255],
        content_type=getattr(upload, "content_type", "") or "",
        size=checked.size,
        sha256=checked.sha256,
        version=_next_version(brief, kind),
        brief_version=brief.version,
        series=series,
        uploaded_by=actor,
    )
    attachment.file.save(checked.name, upload, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def add_attachment(brief: Brief, *, actor, kind: str, upload, request=None) -> Attachment:
    """Store a file of ``brief`` outside the web root with its SHA-256 (validated first), as
    the next version of its kind."""
    if kind not in AttachmentKind.values:
        raise Invalid(gettext("Tipo de adjunto desconocido."), code="invalid_kind", field="kind")
    permissions.require_upload(actor, brief, kind)
    brief = Brief.objects.select_for_update().get(pk=brief.pk)
    attachment = _store(brief, actor=actor, kind=kind, upload=upload)
    record(
        "ATTACHMENT_ADDED",
        actor=actor,
        target=brief,
        request=request,
        details={
            "kind": kind,
            "name": attachment.original_name,
            "sha256": attachment.sha256,
            "size": attachment.size,
            "version": attachment.version,
        },
    )
    return attachment


def _managed(brief: Brief, pk, *, actor, kind: str | None = None) -> tuple[Brief, Attachment]:
    """The brief locked and its file ``pk`` locked, after the checks shared by replace, mark
    current and withdraw: the file is the brief's, of ``kind`` when given, not one that comes
    with a kick-off or training record, and the actor may upload files of its kind now."""
    brief = Brief.objects.select_for_update().get(pk=brief.pk)
    try:
        attachment = Attachment.objects.select_for_update().get(pk=int(pk), brief=brief)
    except (Attachment.DoesNotExist, TypeError, ValueError):
        raise Invalid(
            gettext("El archivo no existe o no pertenece a este brief."), code="not_found"
        ) from None
    if kind is not None and kind != attachment.kind:
        raise Invalid(
            gettext("El archivo es de otro tipo («%(kind)s»).")
            % {"kind": attachment.get_kind_display()},
            code="invalid_kind",
            field="kind",
        )
    if attachment.kind in PREPARATION_KINDS:
        raise Invalid(
            gettext(
                "Este archivo va con el registro de la reunión de inicio o de la capacitación; "
                "cámbielo registrándolo de nuevo."
            ),
            code="invalid_kind",
        )
    permissions.require_upload(actor, brief, attachment.kind)
    return brief, attachment


def _series(attachment: Attachment):
    root = attachment.series_root_id
    return Attachment.objects.filter(Q(pk=root) | Q(series_id=root))


def _file_details(attachment: Attachment, **more) -> dict[str, Any]:
    return {
        "attachment": attachment.pk,
        "kind": attachment.kind,
        "name": attachment.original_name,
        "version": attachment.version,
    } | more


@transaction.atomic
def replace_attachment(
    brief: Brief, pk, *, actor, upload, kind: str | None = None, request=None
) -> Attachment:
    """Store ``upload`` as a new version of file ``pk``'s series: it becomes the current one,
    the one it replaces stays in the history."""
    brief, previous = _managed(brief, pk, actor=actor, kind=kind)
    root = Attachment.objects.get(pk=previous.series_root_id)
    _series(previous).filter(is_current=True).update(is_current=False)
    attachment = _store(brief, actor=actor, kind=previous.kind, upload=upload, series=root)
    record(
        "ATTACHMENT_REPLACED",
        actor=actor,
        target=brief,
        request=request,
        details=_file_details(
            attachment,
            replaces=previous.pk,
            replaces_version=previous.version,
            sha256=attachment.sha256,
            size=attachment.size,
        ),
    )
    return attachment


@transaction.atomic
def mark_attachment_current(brief: Brief, pk, *, actor, request=None) -> Attachment:
    """Make an earlier version of a series current again (the one that was current goes to
    the history); a withdrawn file cannot be."""
    brief, attachment = _managed(brief, pk, actor=actor)
    if attachment.withdrawn_at:
        raise Conflict(
            gettext("El archivo «%(name)s» fue retirado; suba una versión nueva con «Reemplazar».")
            % {"name": attachment.original_name},
            code="attachment_withdrawn",
        )
    if attachment.is_current:
        raise Conflict(
            gettext("El archivo «%(name)s» ya es el vigente.") % {"name": attachment.original_name},
            code="already_current",
        )
    before = list(_series(attachment).filter(is_current=True).values_list("pk", flat=True))
    _series(attachment).filter(is_current=True).update(is_current=False)
    attachment.is_current = True
    attachment.save(update_fields=["is_current"])
    record(
        "ATTACHMENT_MARKED_CURRENT",
        actor=actor,
        target=brief,
        request=request,
        details=_file_details(attachment, previous_current=before),
    )
    return attachment


@transaction.atomic
def withdraw_attachment(brief: Brief, pk, *, actor, reason: str, request=None) -> Attachment:
    """Withdraw a file with a reason: no longer current, kept in the history with who, when
    and why, still downloadable by whoever sees the brief; never deleted."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(
            gettext("Indique el motivo del retiro."), code="reason_required", field="reason"
        )
    brief, attachment = _managed(brief, pk, actor=actor)
    if attachment.withdrawn_at:
        raise Conflict(
            gettext("El archivo «%(name)s» ya fue retirado.") % {"name": attachment.original_name},
            code="already_withdrawn",
        )
    was_current = attachment.is_current
    attachment.is_current = False
    attachment.withdrawn_at = timezone.now()
    attachment.withdrawn_by = actor
    attachment.withdrawn_reason = reason[:2000]
    attachment.save(
        update_fields=["is_current", "withdrawn_at", "withdrawn_by", "withdrawn_reason"]
    )
    record(
        "ATTACHMENT_WITHDRAWN",
        actor=actor,
        target=brief,
        request=request,
        details=_file_details(
            attachment, reason=attachment.withdrawn_reason, was_current=was_current
        ),
    )
    return attachment


@transaction.atomic
def verify_attachment(attachment: Attachment, *, actor, request=None) -> tuple[bool, str]:
    """Recompute the SHA-256 of the stored file (read through the store, which decrypts it)
    and compare it with the one taken at upload: ``(matches, Spanish message)``; logged."""
    permissions.require_view(actor, attachment.brief, gettext("No tiene acceso a este adjunto."))
    name = attachment.original_name
    digest = hashlib.sha256()
    try:
        with attachment.file.open("rb") as handle:
            for chunk in handle.chunks():
                digest.update(chunk)
    except DecryptionError as exc:
        result, message = (
            "altered",
            gettext("Integridad de «%(name)s»: %(reason)s") % {"name": name, "reason": exc.message},
        )
    except FileNotFoundError:
        result, message = (
            "missing",
            gettext("El archivo «%(name)s» ya no está en el almacenamiento. Avise a soporte.")
            % {"name": name},
        )
    else:
        if digest.hexdigest() == attachment.sha256:
            result, message = (
                "match",
                gettext("Integridad verificada: «%(name)s» es idéntico al archivo que se subió.")
                % {"name": name},
            )
        else:
            result, message = (
                "mismatch",
                gettext(
                    "El archivo «%(name)s» no coincide con el que se subió: pudo ser alterado. "
                    "Avise a soporte."
                )
                % {"name": name},
            )
    record(
        "ATTACHMENT_VERIFIED",
        actor=actor,
        target=attachment.brief,
        request=request,
        details=_file_details(attachment, result=result),
    )
    return result == "match", message


def open_attachment(attachment: Attachment, *, actor, request=None):
    """Open a file for download after the permission check; every access is logged."""
    permissions.require_view(actor, attachment.brief, gettext("No tiene acceso a este adjunto."))
    record(
        "BASE_DOWNLOADED" if attachment.kind == AttachmentKind.BASE else "ATTACHMENT_DOWNLOADED",
        actor=actor,
        target=attachment.brief,
        request=request,
        details={
            "attachment": attachment.pk,
            "kind": attachment.kind,
            "name": attachment.original_name,
        },
    )
    return attachment.file.open("rb")


def open_version_pdf(version: BriefVersion, *, actor, request=None):
    """Open the F559 PDF of a submitted version after the permission check; logged."""
    permissions.require_view(actor, version.brief)
    if not version.pdf:
        raise FileNotFoundError(version)
    handle = version.pdf.open("rb")
    record(
        "F559_DOWNLOADED",
        actor=actor,
        target=version.brief,
        request=request,
        details={"version": version.number, "sha256": version.pdf_sha256},
    )
    return handle


# --- in-app approvals ------------------------------------------------------------------


def _approval_event(brief: Brief, spec, decision: str, *, actor, at, note: str = "") -> None:
    ApprovalEvent.objects.create(
        brief=brief, which=spec.which, decision=decision, actor=actor, at=at, note=note
    )


def _approval_moved(brief: Brief, check: Callable[..., Any], actor, which: str) -> Conflict:
    """A conditional update on an approval claimed nothing: the check's own refusal when the
    brief moved out of reach, else the "changed meanwhile" conflict."""
    brief.refresh_from_db()
    check(actor, brief, which)
    return Conflict(
        gettext("El brief %(code)s cambió mientras tanto; recargue.") % {"code": brief.code}
    )


def _clean_note(note: str) -> str:
    return (note or "").strip()[:2000]


@transaction.atomic
def give_approval(brief: Brief, which: str, *, actor, note: str = "", request=None) -> Brief:
    """Record an in-app approval: ``boss`` (jefe of the area), ``comms`` or ``leader``, with an
    optional comment (the Historial shows it); an earlier refusal of it is settled."""
    spec = permissions.require_approval(actor, brief, which)
    note, now = _clean_note(note), timezone.now()
    # The conditional update claims it: a concurrent approval or move makes it a Conflict.
    updated = Brief.objects.filter(
        pk=brief.pk, status__in=APPROVABLE, **{f"{spec.field}_by__isnull": True}
    ).update(
        **{f"{spec.field}_by": actor, f"{spec.field}_at": now},
        **_refusal_cleared(spec),
    )
    if not updated:
        raise _approval_moved(brief, permissions.require_approval, actor, which)
    _approval_event(brief, spec, ApprovalDecision.GIVEN, actor=actor, at=now, note=note)
    record(spec.audit, actor=actor, target=brief, request=request, details={"note": note})
    brief.refresh_from_db()
    return brief


def _refusal_cleared(spec) -> dict[str, Any]:
    return {f"{spec.refused}_by": None, f"{spec.refused}_at": None, f"{spec.which}_refusal": ""}


@transaction.atomic
def refuse_approval(brief: Brief, which: str, *, actor, reason: str, request=None) -> Brief:
    """The approver refuses an in-app approval with the reason: recorded on the brief until the
    area asks again (who, when, why), in the Historial and the audit log; the requester is
    told. The brief does not move: it cannot be submitted without the approval (or its file)."""
    spec = permissions.require_refuse_approval(actor, brief, which)
    reason = _clean_note(reason)
    if not reason:
        raise Invalid(
            gettext("Escriba el motivo del rechazo del aval."),
            code="reasons_required",
            field="reason",
        )
    now = timezone.now()
    updated = Brief.objects.filter(
        pk=brief.pk,
        status__in=APPROVABLE,
        **{f"{spec.field}_by__isnull": True, f"{spec.refused}_at__isnull": True},
    ).update(
        **{f"{spec.refused}_by": actor, f"{spec.refused}_at": now, f"{spec.which}_refusal": reason}
    )
    if not updated:
        raise _approval_moved(brief, permissions.require_refuse_approval, actor, which)
    _approval_event(brief, spec, ApprovalDecision.REFUSED, actor=actor, at=now, note=reason)
    record(
        spec.refused_audit, actor=actor, target=brief, request=request, details={"reason": reason}
    )
    _notify_parties(
        brief,
        ("requester",),
        gettext("%(label)s rechazado") % {"label": spec.label},
        [
            gettext("%(name)s rechazó %(what)s del brief %(code)s.")
            % {"name": actor.display_name, "what": spec.what, "code": brief.code},
            gettext("Motivo: %(reason)s") % {"reason": reason},
            gettext("Corrija lo indicado y pida el aval de nuevo desde el brief."),
        ],
        actor=actor,
        anchor="avales",
        kind=NoticeKind.APPROVAL,
    )
    brief.refresh_from_db()
    return brief


@transaction.atomic
def request_approval(brief: Brief, which: str, *, actor, note: str = "", request=None) -> Brief:
    """The requesting area asks for an approval (again, after fixing a refusal): the users who
    give it are told (the jefe of the area, or every user of the comms or leader role). At
    most once a minute per approval: the conditional update claims the ask."""
    spec = permissions.require_request_approval(actor, brief, which)
    note, now = _clean_note(note), timezone.now()
    since = now - dt.timedelta(seconds=APPROVAL_REQUEST_INTERVAL_SECONDS)
    asked = f"{spec.which}_requested_at"
    updated = (
        Brief.objects.filter(
            pk=brief.pk, status__in=APPROVABLE, **{f"{spec.field}_by__isnull": True}
        )
        .filter(Q(**{f"{asked}__isnull": True}) | Q(**{f"{asked}__lte": since}))
        .update(**{asked: now}, **_refusal_cleared(spec))
    )
    if not updated:
        brief.refresh_from_db()
        permissions.require_request_approval(actor, brief, which)
        last = getattr(brief, asked)
        if last is not None and last > since:
            raise Conflict(
                gettext(
                    "%(label)s ya se pidió hace menos de un minuto; espere antes de pedirlo de "
                    "nuevo."
                )
                % {"label": spec.label},
                code="too_soon",
            )
        raise _approval_moved(brief, permissions.require_request_approval, actor, which)
    _approval_event(brief, spec, ApprovalDecision.REQUESTED, actor=actor, at=now, note=note)
    record(spec.requested_audit, actor=actor, target=brief, request=request, details={"note": note})
    lines = [
        gettext("%(name)s pide %(what)s para el brief %(code)s «%(brief)s».")
        % {"name": actor.display_name, "what": spec.what, "code": brief.code, "brief": brief.name}
    ]
    if note:
        lines.append(gettext("Comentario: %(note)s") % {"note": note})
    _notify_parties(
        brief,
        (f"role:{spec.role}",),
        gettext("%(label)s solicitado") % {"label": spec.label},
        lines,
        actor=actor,
        anchor="avales",
        kind=NoticeKind.APPROVAL,
    )
    brief.refresh_from_db()
    return brief


# --- submission rules ------------------------------------------------------------------


def _has(brief: Brief, kind: str) -> bool:
    return brief.attachments.filter(kind=kind, is_current=True).exists()


def _with_refusal(brief: Brief, which: str, message: str) -> str:
    """A missing approval's message, with the reason when it was refused."""
    reason = getattr(brief, f"{which}_refusal")
    if not getattr(brief, f"{which}_refused_at") or not reason:
        return message
    return gettext(
        "%(message)s Motivo del rechazo: «%(reason)s». Corrija y use «Pedir aval de nuevo»."
    ) % {
        "message": message,
        "reason": reason,
    }


def abroad_problem(includes_abroad: bool, channels) -> str | None:
    """Beneficiaries abroad are contacted by WhatsApp and e-mail only (DESIGN §3): a brief that
    includes them must offer one of those channels. The Spanish reason, or ``None``."""
    if not includes_abroad or not channels or set(channels) & ABROAD_CHANNELS:
        return None
    return gettext(
        "La campaña incluye beneficiarios en el exterior, que solo se contactan por WhatsApp o "
        "correo electrónico: elija al menos uno de esos canales."
    )


def submission_problems(brief: Brief, *, today: dt.date) -> list[dict]:
    """Everything that keeps ``brief`` from being submitted today (empty when ready)."""
    problems: list[dict] = []

    def add(code, message, field=None):
        problems.append({"code": code, "message": message, "field": field})

    required = {
        "name": gettext("Falta el nombre de la campaña."),
        "objective": gettext("Falta el objetivo."),
        "description": gettext("Falta la descripción."),
        "audience": gettext("Falta el público objetivo."),
        "start_date": gettext("Falta la fecha de inicio."),
        "end_date": gettext("Falta la fecha de fin."),
    }
    for field, message in required.items():
        if not getattr(brief, field):
            add("required", message, field)
    if not brief.channels:
        add("required", gettext("Elija al menos un canal."), "channels")
    if abroad := abroad_problem(brief.includes_abroad, brief.channels):
        add("abroad_channels", abroad, "channels")
    if brief.start_date and brief.end_date and brief.end_date < brief.start_date:
        add("invalid_dates", gettext("La fecha de fin es anterior a la de inicio."), "end_date")
    if brief.start_date:
        earliest = calendar.add_business_days(today, LEAD_TIME_BUSINESS_DAYS)
        if brief.start_date < earliest:
            add(
                "lead_time",
                gettext(
                    "La campaña debe radicarse con al menos %(days)s días "
                    "hábiles de antelación: radicando hoy (%(today)s), la fecha de inicio "
                    "más cercana posible es el %(earliest)s."
                )
                % {
                    "days": LEAD_TIME_BUSINESS_DAYS,
                    "today": format(today, "%d/%m/%Y"),
                    "earliest": format(earliest, "%d/%m/%Y"),
                },
                "start_date",
            )
    if not _has(brief, AttachmentKind.BASE):
        add("missing_base", gettext("Adjunte la base de datos de contactos."), "attachments")
    needs_script = set(brief.channels) & SCRIPT_CHANNELS
    if needs_script and not _has(brief, AttachmentKind.SCRIPT):
        add(
            "missing_script",
            gettext("Adjunte el guion: los canales de voz y llamada lo requieren."),
            "attachments",
        )
    if not brief.comms_approved_by_id and not _has(brief, AttachmentKind.COMMS_APPROVAL):
        add(
            "missing_comms_approval",
            _with_refusal(brief, "comms", gettext("Falta el aval de comunicaciones.")),
            "attachments",
        )
    if not brief.boss_approved_by_id and not _has(brief, AttachmentKind.BOSS_APPROVAL):
        add(
            "missing_boss_approval",
            _with_refusal(brief, "boss", gettext("Falta el aval del jefe inmediato.")),
            "attachments",
        )
    if brief.campaign_class in EXCEPTIONAL_CLASSES and not (
        brief.leader_authorized_by_id or _has(brief, AttachmentKind.LEADER_AUTHORIZATION)
    ):
        add(
            "missing_leader_authorization",
            _with_refusal(
                brief,
                "leader",
                gettext(
                    "Las campañas comerciales y de comunidad requieren la autorización del líder "
                    "de proceso."
                ),
            ),
            "attachments",
        )
    return problems


# --- the transition --------------------------------------------------------------------


def _claim(brief: Brief, spec: ActionSpec, at, extra: dict[str, Any]) -> str:
    """Move the state of the checked ``brief`` with a conditional update; returns the state it
    left. Anything but one row claimed means someone moved it first."""
    claimed = Brief.objects.filter(pk=brief.pk, status=brief.status).update(
        status=spec.target, last_transition_at=at, **extra
    )
    if claimed != 1:
        raise Conflict(
            gettext("El brief %(code)s cambió de estado mientras tanto; recargue.")
            % {"code": brief.code}
        )
    return brief.status


def _notify_on_commit(transition: BriefTransition) -> None:
    from .tasks import notify_transition

    transaction.on_commit(lambda: notify_transition.delay(transition.pk))


def _notify_parties(
    brief: Brief,
    who,
    subject: str,
    lines: list[str],
    *,
    actor,
    anchor: str = "cambios",
    kind: str = NoticeKind.CHANGE,
) -> None:
    """Tell the parties ``who`` of ``brief`` (not ``actor``) on commit: bell and e-mail."""
    from .tasks import notify_brief

    parties = list(who)
    transaction.on_commit(
        lambda: notify_brief.delay(brief.pk, parties, subject, lines, anchor, actor.pk, kind)
    )


def perform(
    brief: Brief, action: str, *, actor, note: str = "", at=None, request=None, **params
) -> BriefTransition:
    """Run workflow ``action`` on ``brief`` (DESIGN §2); see the module docstring."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise Invalid(
            gettext("Acción desconocida: %(action)s.") % {"action": action}, code="unknown_action"
        )
    at = at or timezone.now()
    permissions.require_action(actor, brief, action)
    handler = _PRECHECKS.get(action)
    with transaction.atomic():
        brief = Brief.objects.select_for_update().get(pk=brief.pk)
        if brief.status not in spec.sources:
            raise Conflict(
                gettext("No se puede «%(label)s» un brief en estado «%(status)s».")
                % {"label": spec.label.lower(), "status": brief.get_status_display()}
            )
        permissions.require_ready(brief, action)
        extra, details = (
            handler(brief, actor=actor, note=note, at=at, **params) if handler else ({}, {})
        )
        for path in spec.guards:
            more_extra, more_details = import_string(path)(
                brief, actor=actor, note=note, at=at, **params
            )
            extra, details = {**extra, **more_extra}, {**details, **more_details}
        from_status = _claim(brief, spec, at, extra)
        brief.refresh_from_db()
        transition = BriefTransition.objects.create(
            brief=brief,
            action=action,
            from_status=from_status,
            to_status=spec.target,
            actor=actor,
            at=at,
            note=note,
            version=brief.version,
            details=details,
        )
        record(
            spec.audit,
            actor=actor,
            target=brief,
            request=request,
            details={"from": from_status, "to": spec.target, "note": note, **details},
        )
        if action == "submit":
            _write_version(brief, actor=actor, at=at)
        _move_clocks(brief, spec, actor=actor, at=at)
        _notify_on_commit(transition)
    return transition


def _move_clocks(brief: Brief, spec: ActionSpec, *, actor, at) -> None:
    if spec.name == "cancel":
        sla.cancel_open_clocks(brief, at=at)
        for question in brief.questions.filter(answered_at__isnull=True):
            sla.cancel_open_clocks(question, at=at)
        return
    events = [spec.event]
    if spec.name in {"return", "forward"}:
        events.insert(0, "brief.verified")
    if spec.name in {"send_results", "return_results"}:
        events.insert(0, sla.RESULTS_REVIEWED)
    if spec.name in {"approve_exit", "refuse_exit"}:
        events.insert(0, sla.EXIT_DECIDED)
    for event in events:
        sla.on_event(event, brief, at=at, channels=brief.channels, kind=brief.kind, actor=actor)


def _write_version(brief: Brief, *, actor, at) -> BriefVersion:
    from .pdf import render_f559

    version = BriefVersion.objects.create(
        brief=brief, number=brief.version, data=brief.snapshot(), created_by=actor, created_at=at
    )
    content = render_f559(brief, version)
    version.pdf_sha256 = hashlib.sha256(content).hexdigest()
    version.pdf.save(f"{brief.code}-v{brief.version}.pdf", ContentFile(content), save=False)
    version.save(update_fields=["pdf", "pdf_sha256"])
    return version


def _pre_submit(brief: Brief, *, actor, note, at, **params):
    today = calendar.local(at).date()
    problems = submission_problems(brief, today=today)
    if problems:
        raise Invalid(gettext("El brief no se puede radicar todavía."), errors=problems)
    extra: dict[str, Any] = {"submitted_at": at}
    if brief.status == Status.RETURNED:
        extra["version"] = brief.version + 1
    return extra, {}


def _pre_return(brief: Brief, *, actor, note, at, checklist=None, **params):
    checklist = checklist or {}
    unknown = set(checklist) - set(ChecklistItem.values)
    if unknown:
        raise Invalid(
            gettext("Ítems de verificación desconocidos: %(items)s.")
            % {"items": ", ".join(sorted(unknown))},
            code="invalid_checklist",
            field="checklist",
        )
    failed = [item for item in ChecklistItem.values if checklist.get(item) is False]
    if not failed:
        raise Invalid(
            gettext("Marque al menos un ítem de la verificación que no se cumple."),
            code="checklist_required",
            field="checklist",
        )
    _require_reasons(note, gettext("Escriba los motivos de la devolución."))
    full = {item: bool(checklist.get(item, True)) for item in ChecklistItem.values}
    return {}, {"checklist": full, "failed": failed}


def _require_reasons(note: str, message: str) -> None:
    """An action whose note is its reasons (``ActionSpec.reasons``) refuses an empty one."""
    if not note.strip():
        raise Invalid(message, code="reasons_required", field="note")


def _pre_return_results(brief: Brief, *, actor, note, at, **params):
    _require_reasons(note, gettext("Escriba los motivos de la devolución de los resultados."))
    return {}, {}


def _pre_reject_results(brief: Brief, *, actor, note, at, **params):
    _require_reasons(note, gettext("Escriba los motivos del rechazo de los resultados."))
    return {}, {}


def _pre_refuse_exit(brief: Brief, *, actor, note, at, **params):
    _require_reasons(note, gettext("Escriba los motivos del rechazo de la salida."))
    return {}, {}


def _pre_forward(brief: Brief, *, actor, note, at, provider=None, **params):
    if provider:
        chosen = Provider.objects.filter(code=provider, active=True).first()
        if chosen is None:
            raise Invalid(
                gettext("El proveedor indicado no existe o está inactivo."),
                code="invalid_provider",
                field="provider",
            )
    else:
        actives = list(Provider.objects.filter(active=True)[:2])
        if len(actives) != 1:
            raise Invalid(
                gettext("Indique a qué proveedor se remite el brief."),
                code="provider_required",
                field="provider",
            )
        chosen = actives[0]
    return {"provider": chosen}, {"provider": chosen.code}


# A precheck returns (extra brief fields, transition details); higher layers add theirs as
# ``ActionSpec.guards``.
_Precheck = Callable[..., tuple[dict[str, Any], dict[str, Any]]]
_PRECHECKS: dict[str, _Precheck] = {
    "submit": _pre_submit,
    "return": _pre_return,
    "forward": _pre_forward,
    "return_results": _pre_return_results,
    "reject_results": _pre_reject_results,
    "refuse_exit": _pre_refuse_exit,
}


# --- questions -------------------------------------------------------------------------


@transaction.atomic
def ask_question(brief: Brief, *, actor, text: str, request=None) -> Question:
    """The provider asks OCM/the area about a brief; starts a 1-business-day clock."""
    permissions.require_ask(actor, brief)
    if not text.strip():
        raise Invalid(gettext("Escriba la pregunta."), code="required", field="text")
    question = Question.objects.create(brief=brief, text=text.strip(), asked_by=actor)
    window = question_window_start(brief)
    judged = (
        sla.record_window(
            sla.QUESTION_WINDOW_RULE, question, started_at=window, at=question.asked_at
        )
        if window
        else None
    )
    late = bool(judged and judged.state == ClockState.LATE)
    record(
        "QUESTION_ASKED",
        actor=actor,
        target=brief,
        request=request,
        details={"question": question.pk, "late": late},
    )
    sla.on_event("question.asked", question, at=question.asked_at)
    lines = [
        gettext("%(name)s preguntó sobre el brief %(code)s:")
        % {"name": actor.display_name, "code": brief.code},
        question.text,
        gettext("Debe responderse en 1 día hábil."),
    ]
    if late:
        lines.append(gettext("La pregunta llegó fuera del plazo del proveedor."))
    _notify_parties(
        brief,
        ("ocm", "area"),
        gettext("Pregunta del proveedor"),
        lines,
        actor=actor,
        anchor="preguntas",
        kind=NoticeKind.QUESTION,
    )
    return question


def question_window_start(brief: Brief) -> dt.datetime | None:
    """When the provider's window to ask opened: its receipt of the brief, the start of the
    base's management (None before it)."""
    received = brief.transitions.filter(action="receive").order_by("-at").first()
    return received.at if received else None


@transaction.atomic
def answer_question(question: Question, *, actor, answer: str, request=None) -> Question:
    """OCM or the requesting area answers; stops the question's clock."""
    permissions.require_answer(actor, question.brief)
    if not answer.strip():
        raise Invalid(gettext("Escriba la respuesta."), code="required", field="answer")
    now = timezone.now()
    updated = Question.objects.filter(pk=question.pk, answered_at__isnull=True).update(
        answer=answer.strip(), answered_by=actor, answered_at=now
    )
    if not updated:
        raise Conflict(gettext("La pregunta ya fue respondida."))
    question.refresh_from_db()
    record(
        "QUESTION_ANSWERED",
        actor=actor,
        target=question.brief,
        request=request,
        details={"question": question.pk},
    )
    sla.on_event("question.answered", question, at=now, actor=actor)
    _notify_parties(
        question.brief,
        ("provider",),
        gettext("Pregunta respondida"),
        [
            gettext("%(name)s respondió su pregunta:") % {"name": actor.display_name},
            question.text,
            gettext("Respuesta: %(answer)s") % {"answer": question.answer},
        ],
        actor=actor,
        anchor="preguntas",
        kind=NoticeKind.ANSWER,
    )
    return question


def version_changes(brief: Brief) -> list[dict]:
    """Field-by-field changes between consecutive submitted versions, newest first."""
    versions = list(brief.versions.order_by("number"))
    out = []
    for older, newer in itertools.pairwise(versions):
        fields = [
            {"field": name, "before": older.data.get(name), "after": newer.data.get(name)}
            for name in FORM_FIELDS
            if older.data.get(name) != newer.data.get(name)
        ]
        out.append({"from": older.number, "to": newer.number, "changes": fields})
    return list(reversed(out))


# --- scope changes after forwarding ("el alcance puede ajustarse") ----------------------


def _form_field(name: str) -> Field:
    return cast(Field, Brief._meta.get_field(name))


def _clean_value(brief: Brief, name: str, value: Any) -> Any:
    field = _form_field(name)
    try:
        value = field.clean(value, brief)
    except ValidationError as exc:
        raise Invalid(
            gettext("%(field)s: %(errors)s")
            % {"field": field.verbose_name, "errors": " ".join(exc.messages)},
            code="invalid",
            field=name,
        ) from exc
    if isinstance(value, Decimal):
        value = value.quantize(Decimal(10) ** -getattr(field, "decimal_places", 2))
    if name == "channels" and (
        not isinstance(value, list) or not value or not set(value) <= set(Channel.values)
    ):
        raise Invalid(gettext("Elija al menos un canal válido."), code="invalid", field=name)
    if name == "content" and not (
        isinstance(value, dict)
        and all(k in Channel.values and isinstance(v, str) for k, v in value.items())
    ):
        raise Invalid(
            gettext("Use un objeto {canal: texto} con canales válidos."), code="invalid", field=name
        )
    return value


def _clean_changes(brief: Brief, changes: dict[str, Any]) -> dict[str, Any]:
    """The new values of ``changes`` that differ from the brief, as JSON (as a version
    snapshot keeps them); unknown fields and bad values are refused."""
    unknown = set(changes) - set(CHANGEABLE_FIELDS)
    if unknown:
        raise Invalid(
            gettext("Estos campos no cambian con un cambio de alcance: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))},
            code="unknown_field",
            field="changes",
        )
    after = copy.copy(brief)
    for name, value in changes.items():
        setattr(after, name, _clean_value(brief, name, value))
    _require_dates_in_order(after.start_date, after.end_date)
    if "channels" in changes and (abroad := abroad_problem(after.includes_abroad, after.channels)):
        raise Invalid(abroad, code="abroad_channels", field="channels")
    before, new = brief.snapshot(), after.snapshot()
    return {name: new[name] for name in changes if new[name] != before[name]}


@transaction.atomic
def file_change(
    brief: Brief,
    *,
    actor,
    reason: str,
    changes: dict[str, Any] | None = None,
    file_kind: str = "",
    upload=None,
    request=None,
) -> ChangeRequest:
    """The area or OCM asks to change the scope of a forwarded brief: new values of F559
    fields (dates, channels, messages, targets) and/or a new base or script, with the reason.
    OCM is told; nothing changes until OCM approves."""
    permissions.require_file_change(actor, brief)
    brief = Brief.objects.select_for_update().get(pk=brief.pk)
    permissions.require_file_change(actor, brief)
    if not reason.strip():
        raise Invalid(gettext("Explique el motivo del cambio."), code="required", field="reason")
    new = _clean_changes(brief, dict(changes or {}))
    if file_kind and file_kind not in CHANGE_FILE_KINDS:
        raise Invalid(
            gettext("Un cambio de alcance solo reemplaza la base o el guion."),
            code="invalid_kind",
            field="file_kind",
        )
    if bool(file_kind) != bool(upload):
        raise Invalid(
            gettext("Indique el tipo de archivo y el archivo."), code="required", field="file"
        )
    if not new and not upload:
        raise Invalid(
            gettext("Indique qué cambia: un campo con un valor nuevo, la base o el guion."),
            code="no_change",
            field="changes",
        )
    last = brief.change_requests.aggregate(last=Max("number"))["last"] or 0
    change = ChangeRequest(
        brief=brief, number=last + 1, changes=new, reason=reason.strip(), filed_by=actor
    )
    if upload is not None:
        checked = check_upload(upload, allowed=ALLOWED_EXTENSIONS[file_kind])
        change.file_kind, change.file_name = file_kind, checked.name[:255]
        change.file_size, change.file_sha256 = checked.size, checked.sha256
        change.file.save(checked.name, upload, save=False)
    change.save()
    record(
        "CHANGE_REQUEST_FILED",
        actor=actor,
        target=brief,
        request=request,
        details={"change": change.number, "fields": sorted(new), "file": file_kind},
    )
    _notify_parties(
        brief,
        ("ocm",),
        gettext("Cambio de alcance %(n)s por aprobar") % {"n": change.number},
        [
            gettext("%(name)s pidió un cambio de alcance del brief %(code)s.")
            % {"name": actor.display_name, "code": brief.code},
            gettext("Motivo: %(reason)s") % {"reason": change.reason},
        ],
        actor=actor,
    )
    return change


def _apply_change(brief: Brief, change: ChangeRequest, *, at) -> list[dict[str, Any]]:
    """Write the change's values and file onto ``brief`` as its next version; the diff."""
    before = brief.snapshot()
    for name, value in change.changes.items():
        setattr(brief, name, _form_field(name).to_python(value))
    brief.version += 1
    brief.save(update_fields=[*change.changes, "version", "updated_at"])
    after = brief.snapshot()
    diff = [
        {"field": name, "before": before[name], "after": after[name]}
        for name in FORM_FIELDS
        if before[name] != after[name]
    ]
    if change.file_kind:
        # The approved file replaces the current files of its kind (they stay in the history)
        # and continues the series of the latest of them.
        current = brief.attachments.filter(kind=change.file_kind, is_current=True)
        latest = current.order_by("-version").first()
        current.update(is_current=False)
        Attachment.objects.create(
            brief=brief,
            kind=change.file_kind,
            file=change.file.name,
            original_name=change.file_name,
            size=change.file_size,
            sha256=change.file_sha256,
            version=_next_version(brief, change.file_kind),
            brief_version=brief.version,
            series_id=latest.series_root_id if latest else None,
            uploaded_by=change.filed_by,
            uploaded_at=at,
        )
        diff.append({"field": change.file_kind, "before": None, "after": change.file_name})
    return diff


@transaction.atomic
def approve_change(
    change: ChangeRequest, *, actor, note: str = "", at=None, request=None
) -> ChangeRequest:
    """OCM approves a scope change: the brief gets a new version (F559 PDF, field diff), the
    provider's open clocks pause and, when content changes, its running sweeps pause, until
    the provider acknowledges. The provider and the area are told."""
    at = at or timezone.now()
    permissions.require_decide_change(actor, change)
    brief = Brief.objects.select_for_update().get(pk=change.brief_id)
    if brief.status not in SCOPE_CHANGE_STATES:
        raise Conflict(
            gettext("El brief está «%(status)s»: ya no admite cambios de alcance.")
            % {"status": brief.get_status_display()}
        )
    claimed = ChangeRequest.objects.filter(pk=change.pk, state=ChangeState.FILED).update(
        state=ChangeState.APPROVED, decided_by=actor, decided_at=at, decision_note=note.strip()
    )
    if not claimed:
        raise Conflict(gettext("El cambio de alcance ya fue decidido; recargue."))
    diff = _apply_change(brief, change, at=at)
    _write_version(brief, actor=actor, at=at)
    open_clocks = sla.clocks_for(brief).filter(
        stopped_at__isnull=True, responsible=Responsible.PROVIDER
    )
    paused_clocks = [c.pk for c in open_clocks if sla.pause_clock(c, at=at)]
    paused_sweeps: list[int] = []
    if change.touched & CONTENT_FIELDS:
        reason = gettext("Cambio de alcance %(n)s: espera el acuse del proveedor.") % {
            "n": change.number
        }
        paused_sweeps = import_string(SCOPE_CHANGE_STEPS["pause"])(brief, reason=reason)
    clock_rule = "restart" if change.touched & RESTART_FIELDS else "extend"
    ChangeRequest.objects.filter(pk=change.pk).update(
        version=brief.version,
        diff=diff,
        clock_rule=clock_rule,
        paused_clocks=paused_clocks,
        paused_sweeps=paused_sweeps,
    )
    record(
        "CHANGE_REQUEST_APPROVED",
        actor=actor,
        target=brief,
        request=request,
        details={
            "change": change.number,
            "version": brief.version,
            "diff": diff,
            "paused_sweeps": paused_sweeps,
        },
    )
    _notify_parties(
        brief,
        ("provider", "area"),
        gettext("Cambio de alcance %(n)s aprobado") % {"n": change.number},
        [
            gettext(
                "OCM aprobó el cambio de alcance %(n)s: el brief %(code)s pasa a la versión "
                "%(version)s."
            )
            % {"n": change.number, "code": brief.code, "version": brief.version},
            gettext("Motivo: %(reason)s") % {"reason": change.reason},
            gettext("El proveedor debe acusar recibo en el brief."),
        ],
        actor=actor,
    )
    change.refresh_from_db()
    return change


@transaction.atomic
def reject_change(change: ChangeRequest, *, actor, note: str, request=None) -> ChangeRequest:
    """OCM rejects a scope change, with the reason; the brief does not change."""
    permissions.require_decide_change(actor, change)
    if not note.strip():
        raise Invalid(gettext("Escriba el motivo del rechazo."), code="required", field="note")
    claimed = ChangeRequest.objects.filter(pk=change.pk, state=ChangeState.FILED).update(
        state=ChangeState.REJECTED,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_note=note.strip(),
    )
    if not claimed:
        raise Conflict(gettext("El cambio de alcance ya fue decidido; recargue."))
    record(
        "CHANGE_REQUEST_REJECTED",
        actor=actor,
        target=change.brief,
        request=request,
        details={"change": change.number, "note": note.strip()},
    )
    _notify_parties(
        change.brief,
        ("area", "ocm"),
        gettext("Cambio de alcance %(n)s rechazado") % {"n": change.number},
        [gettext("Motivo del rechazo: %(note)s") % {"note": note.strip()}],
        actor=actor,
    )
    change.refresh_from_db()
    return change


@transaction.atomic
def acknowledge_change(change: ChangeRequest, *, actor, at=None, request=None) -> ChangeRequest:
    """The provider acknowledges an approved scope change: its paused clocks restart from now
    (dates, channels or base changed) or resume extended by the business days the change
    waited since it was filed (at least one); the sweeps it paused resume."""
    at = at or timezone.now()
    permissions.require_acknowledge_change(actor, change)
    claimed = ChangeRequest.objects.filter(pk=change.pk, state=ChangeState.APPROVED).update(
        state=ChangeState.ACKNOWLEDGED, acknowledged_by=actor, acknowledged_at=at
    )
    if not claimed:
        raise Conflict(gettext("El cambio de alcance ya fue acusado; recargue."))
    waited = max(
        1,
        calendar.business_days_between(
            calendar.local(change.filed_at).date(), calendar.local(at).date()
        ),
    )
    for clock in SLAClock.objects.filter(pk__in=change.paused_clocks).select_related("rule"):
        if change.clock_rule == "restart":
            sla.restart_clock(clock, at=at)
        else:
            sla.extend_clock(clock, business_days=waited, at=at)
    resumed = (
        import_string(SCOPE_CHANGE_STEPS["resume"])(change.paused_sweeps, actor=actor)
        if change.paused_sweeps
        else []
    )
    record(
        "CHANGE_REQUEST_ACKNOWLEDGED",
        actor=actor,
        target=change.brief,
        request=request,
        details={
            "change": change.number,
            "clock_rule": change.clock_rule,
            "business_days": waited if change.clock_rule == "extend" else 0,
            "resumed_sweeps": resumed,
        },
    )
    _notify_parties(
        change.brief,
        ("ocm", "area"),
        gettext("Cambio de alcance %(n)s acusado por el proveedor") % {"n": change.number},
        [
            gettext("%(name)s acusó recibo del cambio de alcance %(n)s.")
            % {"name": actor.display_name, "n": change.number}
        ],
        actor=actor,
    )
    change.refresh_from_db()
    return change


# --- in-app notifications --------------------------------------------------------------


def mark_read(notification: Notification, *, actor) -> bool:
    """Mark one of the actor's own notices read (someone else's is a 403)."""
    if notification.user_id != actor.pk:
        raise Forbidden(gettext("Ese aviso no es suyo."))
    return bool(
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    )


def mark_all_read(*, actor) -> int:
    """Mark every unread notice of the actor read; returns how many."""
    return Notification.objects.filter(user=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- kick-off meeting and training ------------------------------------------------------


@transaction.atomic
def record_kickoff(
    brief: Brief, *, actor, held_on: dt.date, attendees: str, minutes=None, request=None
) -> KickOff:
    """The provider records the campaign's kick-off meeting (date, attendees, minutes file
    stored as an attachment of the brief); recording it again replaces the record."""
    permissions.require_record_start(actor, brief)
    if not attendees.strip():
        raise Invalid(gettext("Indique quiénes asistieron."), code="required", field="attendees")
    if minutes is not None:
        minutes = add_attachment(
            brief, actor=actor, kind=AttachmentKind.KICKOFF_MINUTES, upload=minutes, request=request
        )
    previous = KickOff.objects.filter(brief=brief).first()
    kickoff, _ = KickOff.objects.update_or_create(
        brief=brief,
        defaults={
            "held_on": held_on,
            "attendees": attendees.strip(),
            "minutes": minutes or (previous.minutes if previous else None),
            "recorded_by": actor,
            "recorded_at": timezone.now(),
        },
    )
    record(
        "KICKOFF_RECORDED",
        actor=actor,
        target=brief,
        request=request,
        details={"held_on": held_on.isoformat(), "minutes": minutes.pk if minutes else None},
    )
    return kickoff


@transaction.atomic
def record_training(
    brief: Brief,
    *,
    actor,
    held_on: dt.date,
    topic: str,
    advisors: list[str],
    material=None,
    request=None,
) -> Training:
    """The provider records a training of its advisors for the campaign: date, topic, the
    advisors (usernames of its own users with the ``asesor`` role) and the material file."""
    permissions.require_record_start(actor, brief)
    if not topic.strip():
        raise Invalid(gettext("Indique el tema."), code="required", field="topic")
    names = sorted(set(advisors))
    people = list(
        User.objects.filter(
            username__in=names,
            groups__name=Role.ASESOR,
            provider_id=brief.provider_id or 0,
            is_active=True,
        ).distinct()
    )
    unknown = sorted(set(names) - {u.username for u in people})
    if not names or unknown:
        raise Invalid(
            gettext("Elija asesores activos del proveedor: %(names)s no lo son.")
            % {"names": ", ".join(unknown)}
            if unknown
            else gettext("Elija al menos un asesor."),
            code="invalid_advisors",
            field="advisors",
        )
    if material is not None:
        material = add_attachment(
            brief,
            actor=actor,
            kind=AttachmentKind.TRAINING_MATERIAL,
            upload=material,
            request=request,
        )
    training = Training.objects.create(
        brief=brief, held_on=held_on, topic=topic.strip(), material=material, recorded_by=actor
    )
    training.advisors.set(people)
    record(
        "TRAINING_RECORDED",
        actor=actor,
        target=brief,
        request=request,
        details={"training": training.pk, "advisors": names, "topic": training.topic},
    )
    return training


def advisor_trained(user, brief: Brief) -> bool:
    """Whether ``user`` took part in a training recorded for ``brief``: the contact-center
    workbench warns an advisor who did not before they work the campaign's contacts."""
    return Training.objects.filter(brief=brief, advisors=user).exists()
