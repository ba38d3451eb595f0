"""The only write path of the contact center: typification trees, advisors, interactions.

Who edits a typification tree, and when: OCM, before it forwards the brief (draft, submitted,
in review, returned). At exit approval (``freeze_typification``, an ``approve_exit`` guard) a
call brief without a tree gets the default one, and the tree is frozen with its SHA-256.

Who works a brief: the provider's channel director (``proveedor``) assigns the provider's
advisors (``asesor``) to it while it is in the provider's hands; an advisor sees only the
briefs assigned to them (``AdvisorAssignment``, read by ``campaigns.permissions``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import os
import re
import secrets
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from brief.accounts.models import User
from brief.campaigns.choices import Channel
from brief.campaigns.models import AdvisorAssignment, Brief
from brief.campaigns.permissions import require_actor, require_view
from brief.campaigns.vocabulary import ABROAD_CHANNELS
from brief.contacts.choices import SuppressionChannel
from brief.contacts.models import (
    Contact,
    ContactBase,
    Suppression,
    channel_address,
    channel_address_expression,
    person_key,
    person_key_expression,
    suppressed_q,
)
from brief.contacts.reader import BaseFileError, read_csv_bytes, read_xlsx
from brief.content.actions import retention_date
from brief.content.render import compile_template, contact_fields
from brief.core import calendar, sla
from brief.core.audit import record
from brief.core.choices import DurationUnit, Responsible
from brief.core.exceptions import Conflict, DomainError, Forbidden, Invalid
from brief.core.models import SLARule
from brief.core.roles import Role
from brief.core.storage import local_copy
from brief.core.uploads import check_upload, extension
from brief.dispatch.actions import finish_sweep
from brief.dispatch.choices import RANK, MessageStatus, SweepState
from brief.dispatch.engine import recipients_queryset
from brief.dispatch.models import DailyContact, StatusEvent, Sweep
from brief.dispatch.providers.base import (
    OutgoingMessage,
    ProviderError,
    SendResult,
    StatusUpdate,
    get_provider,
)

from . import billing, claim_sql, conversations, exports, imports, typification
from .answers import clean_answers
from .choices import (
    ASSIGN_STATES,
    CASE_CLOSED,
    CASE_OPENED,
    CASE_ROLES,
    CASE_RULE,
    CHILD_LEVEL,
    EDIT_STATES,
    FLAGS,
    IMPORT_EXTENSIONS,
    INTERACTION_IMPORT_EXTENSIONS,
    INTERACTION_STATES,
    MAX_RETRY_HOURS,
    RECORDING_EXTENSIONS,
    RECORDINGS_ARCHIVE_EXTENSIONS,
    CaseStatus,
    ConversationStatus,
    Direction,
    ImportStatus,
    Level,
    RecordingKind,
)
from .models import (
    Case,
    CaseNote,
    Conversation,
    ConversationMessage,
    CrmExportLayout,
    Interaction,
    InteractionImport,
    QueueEntry,
    Recording,
    TypificationNode,
)

log = logging.getLogger(__name__)

# --- typification: who may edit ----------------------------------------------------------


def check_can_edit_typification(brief: Brief, actor) -> None:
    """Raise :class:`Forbidden` (not OCM) or :class:`Conflict` (forwarded or frozen)."""
    require_actor(actor, brief, {Role.ANALISTA_OCM}, gettext("editar la tipificación"))
    if TypificationNode.objects.filter(brief=brief, frozen_at__isnull=False).exists():
        raise Conflict(
            gettext("La tipificación quedó congelada con la aprobación de salida."),
            code="typification_frozen",
        )
    if brief.status not in EDIT_STATES:
        raise Conflict(
            gettext(
                "El brief está «%(status)s»: OCM edita la tipificación antes de "
                "remitirlo al proveedor."
            )
            % {"status": brief.get_status_display()},
            code="invalid_state",
        )


def refusal(check, brief: Brief, actor) -> str | None:
    """Why ``check(brief, actor)`` refuses (``None`` when it passes): the reason a page shows
    next to a disabled form is the one the action raises."""
    try:
        check(brief, actor)
    except (Forbidden, Conflict) as exc:
        return exc.message
    return None


def typification_refusal(brief: Brief, actor) -> str | None:
    return refusal(check_can_edit_typification, brief, actor)


def _locked(brief: Brief, actor) -> Brief:
    brief = Brief.objects.select_for_update().get(pk=brief.pk)
    check_can_edit_typification(brief, actor)
    return brief


# --- typification: writing -----------------------------------------------------------------


def _store(brief: Brief, roots: list[typification.Node], at=None) -> int:
    """Write a tree of plain nodes under ``brief`` (which has none); returns the node count."""
    count = 0

    def save(node: typification.Node, parent: TypificationNode | None, order: int) -> None:
        nonlocal count
        flags = {k: v for k, v in node.flags.items() if k in FLAGS or k == "retry_after_hours"}
        row = TypificationNode.objects.create(
            brief=brief,
            parent=parent,
            level=node.level,
            code=node.code,
            label=node.label,
            order=order,
            frozen_at=at,
            **flags,
        )
        count += 1
        for i, child in enumerate(node.children):
            save(child, row, i)

    for i, root in enumerate(roots):
        save(root, None, i)
    return count


@transaction.atomic
def apply_default_typification(brief: Brief, *, actor, request=None) -> int:
    """Give ``brief`` the default tree (it must have none yet); returns the node count."""
    brief = _locked(brief, actor)
    if TypificationNode.objects.filter(brief=brief).exists():
        raise Conflict(
            gettext("El brief ya tiene un árbol de tipificación."), code="typification_exists"
        )
    count = _store(brief, typification.default_tree())
    record(
        "TYPIFICATION_DEFAULT_APPLIED",
        actor=actor,
        target=brief,
        request=request,
        details={"nodes": count},
    )
    return count


def _err(message: str, field: str, code: str = "invalid") -> dict:
    return {"code": code, "message": message, "field": field}


def _clean_node(brief: Brief, data: dict[str, Any], node: TypificationNode | None) -> dict:
    """Check a node's fields; raises one :class:`Invalid` with every problem."""
    errors: list[dict] = []
    out: dict[str, Any] = {}
    label = str(data.get("label", node.label if node else "") or "").strip()
    if not label:
        errors.append(_err(gettext("Escriba el nombre."), "label", "required"))
    elif len(label) > 120:
        errors.append(_err(gettext("Máximo 120 caracteres."), "label", "too_long"))
    out["label"] = label
    code = str(data.get("code", node.code if node else "") or "").strip()
    if code and not typification.CODE.match(code):
        errors.append(
            _err(gettext("El código solo admite letras, números, punto y guiones."), "code")
        )
    elif (
        code
        and TypificationNode.objects.filter(brief=brief, code=code)
        .exclude(pk=node.pk if node else 0)
        .exists()
    ):
        errors.append(
            _err(
                gettext("El código «%(code)s» ya existe en este árbol.") % {"code": code},
                "code",
                "duplicate",
            )
        )
    out["code"] = code
    for name in FLAGS:
        out[name] = bool(data.get(name, getattr(node, name) if node else False))
    retry = data.get("retry_after_hours", node.retry_after_hours if node else None)
    if retry in ("", None):
        out["retry_after_hours"] = None
    else:
        try:
            out["retry_after_hours"] = int(str(retry))
            if not 1 <= out["retry_after_hours"] <= MAX_RETRY_HOURS:
                raise ValueError
        except (TypeError, ValueError):
            message = gettext("Las horas para reintentar van de 1 a %(max)s.") % {
                "max": MAX_RETRY_HOURS
            }
            errors.append(_err(message, "retry_after_hours"))
    if errors:
        raise Invalid(
            errors[0]["message"], code=errors[0]["code"], field=errors[0]["field"], errors=errors
        )
    return out


def _check_sibling_label(brief: Brief, parent, label: str, exclude: int = 0) -> None:
    taken = TypificationNode.objects.filter(brief=brief, parent=parent, label=label)
    if taken.exclude(pk=exclude).exists():
        raise Invalid(
            gettext("Ya existe «%(label)s» en ese nivel.") % {"label": label},
            code="duplicate",
            field="label",
        )


@transaction.atomic
def add_typification_node(
    brief: Brief, *, actor, data: dict[str, Any], request=None
) -> TypificationNode:
    """Add a category (no ``parent``), a result or a detail to the brief's tree."""
    brief = _locked(brief, actor)
    parent = None
    if data.get("parent"):
        parent = TypificationNode.objects.filter(brief=brief, pk=data["parent"]).first()
        if parent is None:
            raise Invalid(
                gettext("El nodo padre no es de este brief."), code="invalid", field="parent"
            )
        if parent.level not in CHILD_LEVEL:
            raise Invalid(gettext("Un detalle no tiene hijos."), code="invalid", field="parent")
    fields = _clean_node(brief, data, None)
    _check_sibling_label(brief, parent, fields["label"])
    level = CHILD_LEVEL[Level(parent.level)] if parent else Level.CATEGORY
    order = TypificationNode.objects.filter(brief=brief, parent=parent).count()
    node = TypificationNode.objects.create(
        brief=brief, parent=parent, level=level, order=order, **fields
    )
    record(
        "TYPIFICATION_NODE_ADDED",
        actor=actor,
        target=brief,
        request=request,
        details={"node": node.pk, "label": node.label, "level": level},
    )
    return node


@transaction.atomic
def update_typification_node(
    node: TypificationNode, *, actor, data: dict[str, Any], request=None
) -> TypificationNode:
    """Change a node's name, code or flags."""
    brief = _locked(node.brief, actor)
    node = TypificationNode.objects.get(pk=node.pk)
    fields = _clean_node(brief, data, node)
    _check_sibling_label(brief, node.parent_id, fields["label"], exclude=node.pk)
    for name, value in fields.items():
        setattr(node, name, value)
    node.save(update_fields=list(fields))
    record(
        "TYPIFICATION_NODE_CHANGED",
        actor=actor,
        target=brief,
        request=request,
        details={"node": node.pk, **fields},
    )
    return node


@transaction.atomic
def delete_typification_node(node: TypificationNode, *, actor, request=None) -> None:
    """Remove a node and its children."""
    brief = _locked(node.brief, actor)
    record(
        "TYPIFICATION_NODE_DELETED",
        actor=actor,
        target=brief,
        request=request,
        details={"node": node.pk, "label": node.label},
    )
    TypificationNode.objects.filter(pk=node.pk).delete()


def read_import(upload) -> tuple[list[typification.Node], list[str]]:
    """Read a CSV/XLSX typification file into a tree; ``(roots, Spanish errors)``."""
    checked = check_upload(upload, allowed=IMPORT_EXTENSIONS)
    try:
        if checked.ext == "csv":
            result = read_csv_bytes(upload.read())
        else:
            with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            try:
                result = read_xlsx(handle.name)
            finally:
                os.unlink(handle.name)
    except BaseFileError as exc:
        raise Invalid(exc.message, code=exc.code, field="file") from exc
    headers = list(result.df.columns)
    rows = zip(result.row_numbers.to_list(), result.df.rows(), strict=True)
    return typification.parse_rows(headers, ((n, list(r)) for n, r in rows))


@transaction.atomic
def import_typification(brief: Brief, *, actor, upload, request=None) -> int:
    """Replace the brief's tree with the one in a CSV/XLSX file: all rows or none.

    Any bad row refuses the whole file with one Spanish message per row (field ``file``).
    """
    brief = _locked(brief, actor)
    roots, errors = read_import(upload)
    if errors:
        raise Invalid(
            gettext("El archivo tiene %(errors)s error(es); no se cambió la tipificación.")
            % {"errors": len(errors)},
            code="invalid_rows",
            field="file",
            errors=[{"code": "invalid_row", "message": e, "field": "file"} for e in errors],
        )
    TypificationNode.objects.filter(brief=brief).delete()
    count = _store(brief, roots)
    record(
        "TYPIFICATION_IMPORTED",
        actor=actor,
        target=brief,
        request=request,
        details={"nodes": count, "file": os.path.basename(getattr(upload, "name", "") or "")[:255]},
    )
    return count


def freeze_typification(brief: Brief, *, actor, at=None, **params) -> tuple[dict, dict]:
    """Freeze the brief's tree (the ``approve_exit`` guard, inside the workflow's transaction).

    A brief with the call channel and no tree gets the default one first. Returns
    ``(extra brief fields, transition details)`` with the tree's SHA-256.
    """
    at = at or timezone.now()
    nodes = TypificationNode.objects.select_for_update().filter(brief=brief)
    if not nodes.exists():
        if Channel.CALL not in (brief.channels or []):
            return {}, {}
        _store(brief, typification.default_tree())
    nodes.filter(frozen_at__isnull=True).update(frozen_at=at)
    roots = typification.stored_tree(brief)
    details = {
        "nodes": sum(1 for r in roots for _ in r.walk()),
        "sha256": typification.digest(roots),
    }
    record("TYPIFICATION_FROZEN", actor=actor, target=brief, details=details)
    return {}, {"typification_frozen": details}


# --- advisors ------------------------------------------------------------------------------


def check_can_assign(brief: Brief, actor) -> None:
    """The provider's channel director assigns advisors while the brief is in its hands."""
    require_actor(actor, brief, {Role.PROVEEDOR}, gettext("asignar asesores"))
    if brief.status not in ASSIGN_STATES:
        raise Conflict(
            gettext(
                "El brief está «%(status)s»: los asesores se asignan mientras el "
                "proveedor trabaja la campaña."
            )
            % {"status": brief.get_status_display()},
            code="invalid_state",
        )


def assignment_refusal(brief: Brief, actor) -> str | None:
    return refusal(check_can_assign, brief, actor)


def provider_advisors(brief: Brief):
    """The active advisors of the brief's provider (who may be assigned to it)."""
    if brief.provider_id is None:
        return User.objects.none()
    return User.objects.filter(
        provider_id=brief.provider_id, groups__name=Role.ASESOR, is_active=True
    ).order_by("first_name", "last_name", "username")


@transaction.atomic
def assign_advisor(brief: Brief, advisor: User, *, actor, request=None) -> AdvisorAssignment:
    """Assign one of the provider's advisors to ``brief``."""
    brief = Brief.objects.select_for_update().get(pk=brief.pk)
    check_can_assign(brief, actor)
    if not provider_advisors(brief).filter(pk=advisor.pk).exists():
        raise Invalid(
            gettext("«%(username)s» no es un asesor activo del proveedor del brief.")
            % {"username": advisor.username},
            code="not_an_advisor",
            field="advisor",
        )
    assignment, created = AdvisorAssignment.objects.get_or_create(
        brief=brief, advisor=advisor, defaults={"assigned_by": actor}
    )
    if not created:
        raise Conflict(
            gettext("«%(username)s» ya está asignado a %(code)s.")
            % {"username": advisor.username, "code": brief.code},
            code="already_assigned",
        )
    record(
        "ADVISOR_ASSIGNED",
        actor=actor,
        target=brief,
        request=request,
        details={"advisor": advisor.username},
    )
    return assignment


@transaction.atomic
def unassign_advisor(brief: Brief, advisor: User, *, actor, request=None) -> None:
    """Take an advisor off ``brief``; they stop seeing it."""
    brief = Brief.objects.select_for_update().get(pk=brief.pk)
    check_can_assign(brief, actor)
    deleted, _ = AdvisorAssignment.objects.filter(brief=brief, advisor=advisor).delete()
    if not deleted:
        raise Invalid(
            gettext("«%(username)s» no está asignado a %(code)s.")
            % {"username": advisor.username, "code": brief.code},
            code="not_assigned",
            field="advisor",
        )
    record(
        "ADVISOR_UNASSIGNED",
        actor=actor,
        target=brief,
        request=request,
        details={"advisor": advisor.username},
    )


# --- interactions --------------------------------------------------------------------------

INTERACTION_FIELDS = [
    "channel",
    "sweep",
    "contact",
    "advisor",
    "external_id",
    "provider_status",
    "started_at",
    "ended_at",
    "typification",
    "observations",
    "answers",
]


def check_can_record(brief: Brief, actor) -> None:
    """The provider's advisors (on their assigned briefs) and its director record interactions
    while the campaign runs or its results are in review."""
    require_actor(actor, brief, {Role.ASESOR, Role.PROVEEDOR}, gettext("registrar interacciones"))
    if brief.status not in INTERACTION_STATES:
        raise Conflict(
            gettext(
                "El brief está «%(status)s»: las interacciones se registran durante la ejecución."
            )
            % {"status": brief.get_status_display()},
            code="invalid_state",
        )


def _new_code() -> str:
    while True:
        code = f"INT-{secrets.token_hex(5).upper()}"
        if not Interaction.objects.filter(code=code).exists():
            return code


def _clean_interaction(brief: Brief, data: dict[str, Any], actor, current: Interaction | None):
    """Resolve and check the fields of ``data``; raises one :class:`Invalid` with every problem."""
    errors: list[dict] = []
    out: dict[str, Any] = {}
    if "channel" in data or current is None:
        channel = str(data.get("channel") or "")
        if channel not in (brief.channels or []):
            errors.append(
                _err(
                    gettext("El brief no tiene el canal «%(channel)s».") % {"channel": channel},
                    "channel",
                )
            )
        out["channel"] = channel
    if data.get("contact") not in (None, ""):
        contact = Contact.objects.filter(pk=data["contact"], base__brief=brief).first()
        if contact is None:
            errors.append(_err(gettext("El contacto no está en la base de este brief."), "contact"))
        out["contact"] = contact
    if data.get("sweep") not in (None, ""):
        sweep = Sweep.objects.filter(pk=data["sweep"], brief=brief).first()
        if sweep is None:
            errors.append(_err(gettext("El barrido no es de este brief."), "sweep"))
        out["sweep"] = sweep
    if data.get("typification") not in (None, ""):
        node = TypificationNode.objects.filter(
            brief=brief, pk=data["typification"], children__isnull=True
        ).first()
        if node is None:
            errors.append(
                _err(gettext("Use una tipificación final del árbol de este brief."), "typification")
            )
        out["typification"] = node
    elif "typification" in data:
        out["typification"] = None
    if "advisor" in data and data["advisor"] not in (None, ""):
        advisor = provider_advisors(brief).filter(username=data["advisor"]).first()
        if advisor is None:
            errors.append(_err(gettext("El asesor no es del proveedor del brief."), "advisor"))
        out["advisor"] = advisor
    elif current is None and actor.has_role(Role.ASESOR):
        out["advisor"] = actor
    for name in ("external_id", "provider_status", "observations"):
        if name in data:
            out[name] = str(data[name] or "").strip()
    # --- survey answers ---
    if "answers" in data or "typification" in out:
        # Checked against the brief's call script; an effective typification needs every
        # required question answered (``answers`` module docstring).
        node = out.get("typification", getattr(current, "typification", None))
        given = data["answers"] if "answers" in data else getattr(current, "answers", {})
        clean, problems = clean_answers(brief, given, require=bool(node and node.effective))
        errors.extend(problems)
        if "answers" in data:
            out["answers"] = clean
    for name in ("started_at", "ended_at"):
        if data.get(name):
            out[name] = data[name]
    started = out.get("started_at") or getattr(current, "started_at", None)
    ended = out.get("ended_at") or getattr(current, "ended_at", None)
    if started and ended and ended < started:
        errors.append(_err(gettext("El fin es anterior al inicio."), "ended_at"))
    external_id = out.get("external_id", getattr(current, "external_id", ""))
    channel = out.get("channel", getattr(current, "channel", ""))
    if external_id and (
        Interaction.objects.filter(brief=brief, channel=channel, external_id=external_id)
        .exclude(pk=current.pk if current else 0)
        .exists()
    ):
        errors.append(
            _err(
                gettext("Ya hay una interacción con el ID «%(external_id)s».")
                % {"external_id": external_id},
                "external_id",
            )
        )
    if errors:
        raise Invalid(
            errors[0]["message"], code=errors[0]["code"], field=errors[0]["field"], errors=errors
        )
    return out


def save_interaction(interaction: Interaction, fields: list[str]) -> Interaction:
    """Save ``interaction`` with its billing fields derived by the one rule (:mod:`.billing`).

    Every write of an interaction (record, update, recordings) ends here, so ``billable``,
    ``completeness`` and the kept ``exclusions`` always follow what the interaction has.
    """
    kinds = set()
    if interaction.pk:
        kinds = set(interaction.recordings.values_list("kind", flat=True))
    missing = billing.exclusions(
        interaction.channel,
        typified=interaction.typification_id is not None,
        external_id=interaction.external_id,
        provider_status=interaction.provider_status,
        recordings=kinds,
    )
    interaction.exclusions = missing
    interaction.billable = not missing
    interaction.completeness = billing.completeness(interaction.channel, missing)
    # who and where, for the beneficiary history (``history.py``)
    contact = interaction.contact if interaction.contact_id else None
    interaction.person = person_key(contact.doc_type, contact.doc_number) if contact else ""
    interaction.address = channel_address(contact, interaction.channel) if contact else ""
    created = interaction.pk is None
    if created:
        interaction.save()
    else:
        derived = ["exclusions", "billable", "completeness", "person", "address", "updated_at"]
        interaction.save(update_fields=[*dict.fromkeys([*fields, *derived])])
    # A typification that creates a case opens it (once): when the interaction happened for a
    # new one, now for a later typification.
    moment = (interaction.ended_at or interaction.started_at) if created else None
    open_case(interaction, at=min(moment, timezone.now()) if moment else None)
    return interaction


@transaction.atomic
def record_interaction(brief: Brief, *, actor, data: dict[str, Any], request=None) -> Interaction:
    """Record an interaction of ``brief`` (an advisor's own, or the director's for anyone).

    The observations are written back to the contact (the base's observations column).
    """
    brief = Brief.objects.select_for_update().get(pk=brief.pk)
    check_can_record(brief, actor)
    fields = _clean_interaction(brief, data, actor, None)
    interaction = Interaction(
        code=_new_code(),
        brief=brief,
        created_by=actor,
        retention_until=retention_date(brief, today=calendar.local(timezone.now()).date()),
        **fields,
    )
    save_interaction(interaction, [])
    _write_back(interaction)
    settle_queue_entry(interaction, callback_at=data.get("callback_at"))
    count_daily_contact(interaction)
    record(
        "INTERACTION_RECORDED",
        actor=actor,
        target=brief,
        request=request,
        details={
            "interaction": interaction.code,
            "billable": interaction.billable,
            "exclusions": interaction.exclusions,
        },
    )
    return interaction


@transaction.atomic
def update_interaction(
    interaction: Interaction, *, actor, data: dict[str, Any], request=None
) -> Interaction:
    """Change an interaction (typification, observations, answers, IDs…)."""
    brief = Brief.objects.select_for_update().get(pk=interaction.brief_id)
    check_can_record(brief, actor)
    interaction = Interaction.objects.select_for_update().get(pk=interaction.pk)
    _require_own(interaction, actor)
    fields = _clean_interaction(
        brief, {k: v for k, v in data.items() if k != "channel"}, actor, interaction
    )
    for name, value in fields.items():
        setattr(interaction, name, value)
    save_interaction(interaction, list(fields))
    _write_back(interaction)
    record(
        "INTERACTION_CHANGED",
        actor=actor,
        target=brief,
        request=request,
        details={
            "interaction": interaction.code,
            "fields": sorted(fields),
            "billable": interaction.billable,
            "exclusions": interaction.exclusions,
        },
    )
    return interaction


def _require_own(interaction: Interaction, actor) -> None:
    """An advisor changes only their own interactions; the director any of the provider's."""
    if actor.has_role(Role.PROVEEDOR) or interaction.advisor_id == actor.pk:
        return
    raise Forbidden(gettext("Solo el asesor que la registró o el director de canal la modifican."))


# --- observations ---


def observations_log(contact_id: int) -> str:
    """The contact's observations column: one line per interaction with observations, oldest
    first, «DD/MM/AAAA HH:MM Asesor: texto» (Bogotá time). Rebuilt from the interactions, so
    an edited or repeated write changes its own line instead of adding another."""
    lines = []
    rows = (
        Interaction.objects.filter(contact_id=contact_id)
        .exclude(observations="")
        .select_related("advisor")
        .order_by("started_at", "id")
    )
    for row in rows:
        at = calendar.local(row.started_at).strftime("%d/%m/%Y %H:%M")
        who = row.advisor.display_name if row.advisor else ""
        text = " ".join(row.observations.split())
        lines.append(f"{at} {who}: {text}" if who else f"{at}: {text}")
    return "\n".join(lines)


def _write_back(interaction: Interaction) -> None:
    """Write the contact's observations (the managed base's column) from its interactions: a
    contact center keeps every note of every advisor, dated, not only the last one."""
    if interaction.contact_id:
        Contact.objects.filter(pk=interaction.contact_id).update(
            observations=observations_log(interaction.contact_id)
        )


@transaction.atomic
def attach_recording(
    interaction: Interaction,
    *,
    actor,
    kind: str,
    upload=None,
    url: str = "",
    sha256: str = "",
    request=None,
) -> Recording:
    """Store the audio or screen recording of ``interaction``: an uploaded file (checked by the
    one upload validator, kept outside the web root with its SHA-256) or the provider's URL.
    A new recording of the same kind replaces the old one (the audit event keeps both digests).
    """
    brief = Brief.objects.select_for_update().get(pk=interaction.brief_id)
    check_can_record(brief, actor)
    interaction = Interaction.objects.select_for_update().get(pk=interaction.pk)
    _require_own(interaction, actor)
    if kind not in RecordingKind.values:
        raise Invalid(gettext("Tipo de grabación no válido: use audio o screen."), field="kind")
    if (upload is None) == (not url):
        raise Invalid(
            gettext("Envíe el archivo o la URL del proveedor (uno de los dos)."), field="file"
        )
    previous = Recording.objects.filter(interaction=interaction, kind=kind).first()
    recording = Recording(interaction=interaction, kind=kind, uploaded_by=actor)
    if upload is not None:
        checked = check_upload(upload, allowed=RECORDING_EXTENSIONS[kind])
        recording.original_name = checked.name[:255]
        recording.content_type = getattr(upload, "content_type", "") or ""
        recording.size = checked.size
        recording.sha256 = checked.sha256
        recording.file.save(checked.name, upload, save=False)
    else:
        try:
            URLValidator(schemes=["https", "http"])(url)
        except ValidationError as exc:
            raise Invalid(gettext("La URL de la grabación no es válida."), field="url") from exc
        if sha256 and not re.fullmatch(r"[0-9a-f]{64}", sha256.lower()):
            raise Invalid(
                gettext("El SHA-256 debe tener 64 caracteres hexadecimales."), field="sha256"
            )
        recording.url, recording.sha256 = url, sha256.lower()
    if previous is not None:
        previous.delete()
    recording.save()
    save_interaction(interaction, [])
    record(
        "RECORDING_ADDED",
        actor=actor,
        target=brief,
        request=request,
        details={
            "interaction": interaction.code,
            "kind": kind,
            "sha256": recording.sha256,
            "url": recording.url,
            "replaced": previous.sha256 if previous else None,
        },
    )
    return recording


def open_recording(recording: Recording, *, actor, request=None):
    """Open a stored recording for streaming after the permission check; every access is
    audit-logged."""
    interaction = recording.interaction
    require_view(actor, interaction.brief, gettext("No tiene acceso a esta grabación."))
    if not recording.file:
        raise FileNotFoundError(recording)
    handle = recording.file.open("rb")
    record(
        "RECORDING_DOWNLOADED",
        actor=actor,
        target=interaction.brief,
        request=request,
        details={"interaction": interaction.code, "kind": recording.kind},
    )
    return handle


# --- the call queue ------------------------------------------------------------------------

CLAIM_HOLD = dt.timedelta(minutes=10)
ANALYZE_AFTER = 1000  # entries added at once: refresh the planner's statistics (PostgreSQL)
# A sweep in one of these states keeps its queue entries (a new call sweep does not take them).
OPEN_SWEEP_STATES = frozenset({SweepState.SCHEDULED, SweepState.RUNNING, SweepState.PAUSED})


def _callable(brief: Brief, sweep: Sweep | None):
    """The contacts a queue takes: the sweep's recipients (segment, ``can_call``, include rule)
    or the current base's callable contacts, minus the suppression lists and, as calls do not
    reach abroad, the people abroad — what a message sweep marks suppressed."""
    if sweep is not None:
        qs = recipients_queryset(sweep)
    else:
        base = ContactBase.objects.current(brief)
        if base is None:
            return Contact.objects.none()
        qs = base.contacts.filter(can_call=True)
    qs = qs.alias(_person=person_key_expression(), _address=channel_address_expression("call"))
    qs = qs.exclude(suppressed_q(Channel.CALL, address="_address", person="_person"))
    if Channel.CALL not in ABROAD_CHANNELS:
        qs = qs.exclude(abroad=True)
    return qs


def fill_queue(brief: Brief, *, sweep: Sweep | None = None) -> int:
    """Put the callable contacts of the brief's current base (or of a call ``sweep``) in its
    call queue (idempotent); returns how many entries were added.

    With a sweep, the open entries of its recipients that no active sweep holds move to it
    (closed ones stay closed: effective, do not contact, invalid number).
    """
    contacts = list(_callable(brief, sweep).values_list("pk", "doc_type", "doc_number"))
    entries = [
        QueueEntry(brief=brief, contact_id=pk, sweep=sweep, person=person_key(doc_type, number))
        for pk, doc_type, number in contacts
    ]
    before = QueueEntry.objects.filter(brief=brief).count()
    QueueEntry.objects.bulk_create(entries, ignore_conflicts=True, batch_size=1000)
    if sweep is not None:
        ids = [pk for pk, _t, _n in contacts]
        free = QueueEntry.objects.filter(brief=brief, closed=False).exclude(sweep=sweep)
        free = free.filter(Q(sweep__isnull=True) | ~Q(sweep__state__in=OPEN_SWEEP_STATES))
        for start in range(0, len(ids), 900):
            free.filter(contact_id__in=ids[start : start + 900]).update(sweep=sweep)
    added = QueueEntry.objects.filter(brief=brief).count() - before
    if added >= ANALYZE_AFTER and connection.vendor == "postgresql":
        # Fresh statistics after a bulk load, or the planner takes the new queue for a few
        # rows and sorts all of it on every claim instead of walking ``queue_claim_order``.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(QueueEntry._meta.db_table)}")
    return added


def fill_sweep_queue(sweep: Sweep) -> int:
    """A call sweep's step (``dispatch.choices.QUEUE_CHANNELS``): fill the brief's queue with
    the sweep's recipients; returns the sweep's total (its entries)."""
    fill_queue(sweep.brief, sweep=sweep)
    return QueueEntry.objects.filter(sweep=sweep).count()


# The claim's rules are written once, as SQL, in :mod:`.claim_sql` (``CLAIM``).
_QUEUE_COLUMNS = ("id", "brief_id", "contact_id", "sweep_id", "person", "holder_id",
                  "held_until", "claimed_at", "next_attempt_at", "attempts", "closed")  # fmt: skip


@functools.cache
def _queue_sql(template: str, vendor: str, *, in_window: bool = True) -> str:
    """``template`` with the queue's tables and this database's dialect (cached)."""
    postgres = vendor == "postgresql"
    quote = connection.ops.quote_name
    return template.format(
        queue=quote(QueueEntry._meta.db_table),
        contact=quote(Contact._meta.db_table),
        sweep=quote(Sweep._meta.db_table),
        daily=quote(DailyContact._meta.db_table),
        suppression=quote(Suppression._meta.db_table),
        columns=", ".join(_QUEUE_COLUMNS),
        windows="" if in_window else "AND s.ignore_windows",
        nulls_first="NULLS FIRST" if postgres else "",  # SQLite sorts NULLs first already
        lock=claim_sql.PG_LOCK if postgres else "",
    )


@functools.cache
def _queue_converters(vendor: str) -> list[tuple[Any, list]]:
    """Per column of ``_QUEUE_COLUMNS``, its field and the database's converters (as the ORM
    applies them when it reads a row)."""
    out = []
    for name in _QUEUE_COLUMNS:
        field = QueueEntry._meta.get_field(name.removesuffix("_id"))
        col = field.get_col(QueueEntry._meta.db_table)  # type: ignore[union-attr]
        out.append(
            (field, connection.ops.get_db_converters(col) + col.get_db_converters(connection))
        )
    return out


def _queue_row(sql: str, params: list) -> tuple | None:
    """Run one statement of the queue and return its first row. On PostgreSQL it is a
    prepared statement (server-side binding, planned once per connection): planning the claim
    costs several times more than running it."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    import psycopg  # the PostgreSQL driver (only installed where PostgreSQL is used)

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        return cursor.execute(sql, params, prepare=True).fetchone()


def _queue_entry(row) -> QueueEntry:
    """A ``QueueEntry`` from a row of ``_QUEUE_COLUMNS``, read as the ORM reads it."""
    values = []
    for value, (field, converters) in zip(row, _queue_converters(connection.vendor), strict=True):
        for converter in converters:
            value = converter(value, field, connection)
        values.append(value)
    return QueueEntry.from_db(connection.alias, list(_QUEUE_COLUMNS), values)


def claim_next(
    advisor, brief: Brief, *, now: dt.datetime | None = None, hold: dt.timedelta = CLAIM_HOLD
) -> QueueEntry | None:
    """The next contact of the brief's call queue for ``advisor``, held for ``hold``.

    Never one another advisor holds: one ``UPDATE … WHERE id = (SELECT … LIMIT 1) RETURNING``
    picks and takes it (``claim_sql.CLAIM``: on PostgreSQL the candidate is locked with
    ``FOR UPDATE SKIP LOCKED``, so concurrent claimers skip each other's rows; SQLite runs one
    writer at a time). Outside the call contact window there is nothing to claim (but from a
    sweep granted that exception). An advisor who still holds a contact gets it back. The
    entry's ``contact`` is read when first used.
    """
    now = now or timezone.now()
    check_can_record(brief, advisor)
    adapt = connection.ops.adapt_datetimefield_value
    vendor = connection.vendor
    row = _queue_row(_queue_sql(claim_sql.HELD, vendor), [brief.pk, advisor.pk, adapt(now)])
    if row is None:
        in_window = calendar.next_contact_window(now, Channel.CALL) == now
        row = _queue_row(
            _queue_sql(claim_sql.CLAIM, vendor, in_window=in_window),
            [
                advisor.pk,
                adapt(now + hold),
                adapt(now),
                brief.pk,
                SweepState.RUNNING.value,
                adapt(now),
                adapt(now),
                adapt(now),
                connection.ops.adapt_datefield_value(calendar.local(now).date()),
                Channel.CALL.value,
                SuppressionChannel.ALL.value,
            ],
        )
    return None if row is None else _queue_entry(row)


def settle_queue_entry(interaction: Interaction, *, callback_at=None) -> None:
    """After a call: free the contact's queue entry, count the attempt, schedule the retry
    (the typification's hours, or the callback the person asked for) or close it."""
    if interaction.contact_id is None or interaction.channel != Channel.CALL:
        return
    node = interaction.typification
    closes = node is not None and (node.effective or node.do_not_contact or node.invalidates_number)
    retry = None
    if callback_at:
        retry = callback_at
    elif node is not None and node.retry_after_hours:
        retry = interaction.started_at + dt.timedelta(hours=node.retry_after_hours)
    adapt = connection.ops.adapt_datetimefield_value
    row = _queue_row(  # one statement: the entry is unique per contact
        _queue_sql(
            claim_sql.SETTLE,
            connection.vendor,
        ),
        [closes, adapt(retry), interaction.brief_id, interaction.contact_id],
    )
    if row is None:
        return
    sweep_id = row[0]
    if closes and sweep_id and not QueueEntry.objects.filter(sweep=sweep_id, closed=False).exists():
        finish_sweep(sweep_id)  # the sweep's last open entry: the sweep is done


# --- conversations and cases ---------------------------------------------------------------


def open_conversations(inbound_ids: list[int]) -> int:
    """Open or extend the WhatsApp conversations of inbound messages just stored (dispatch's
    ``AFTER_INBOUND`` step, on commit). A message of a brief opens a conversation with its
    sender, or extends the open one (the 24-hour window restarts from it); an opt-out reply
    («BAJA», STOP), which dispatch already turned into a suppression, opens none but is shown
    in an open one. Idempotent: a message already in a conversation is skipped. Returns how
    many conversations were opened."""
    opened = 0
    for row in conversations.inbound_rows(inbound_ids):
        with transaction.atomic():
            if ConversationMessage.objects.filter(inbound=row).exists():
                continue
            address = conversations.address_of(row.sender)
            conversation = (
                Conversation.objects.select_for_update()
                .filter(
                    brief_id=row.brief_id,
                    account_id=row.account_id,
                    address=address,
                    status=ConversationStatus.OPEN,
                )
                .first()
            )
            if conversation is None:
                if row.opt_out:
                    continue
                conversation = Conversation.objects.create(
                    brief_id=row.brief_id,
                    contact_id=row.contact_id,
                    address=address,
                    account_id=row.account_id,
                    first_wamid=row.provider_message_id,
                    opened_at=row.at,
                    last_inbound_at=row.at,
                    window_closes_at=conversations.window_closes(row.at),
                )
                opened += 1
                record(
                    "CONVERSATION_OPENED",
                    target=row.brief,
                    details={"conversation": conversation.pk, "inbound": row.pk},
                )
            elif row.at > conversation.last_inbound_at:
                conversation.last_inbound_at = row.at
                conversation.window_closes_at = conversations.window_closes(row.at)
                if conversation.contact_id is None:
                    conversation.contact_id = row.contact_id
                conversation.save(update_fields=["last_inbound_at", "window_closes_at", "contact"])
            ConversationMessage.objects.create(
                conversation=conversation,
                direction=Direction.INBOUND,
                inbound=row,
                text=row.text,
                at=row.at,
                provider_message_id=row.provider_message_id,
                status="received",
            )
    return opened


def check_can_answer(conversation: Conversation, actor) -> None:
    """The brief's assigned advisors and the provider's director answer and close open
    conversations while the campaign runs or its results are in review."""
    check_can_record(conversation.brief, actor)
    if conversation.status != ConversationStatus.OPEN:
        raise Conflict(gettext("La conversación ya está cerrada."), code="conversation_closed")


def answer_refusal(conversation: Conversation, actor) -> str | None:
    return refusal(lambda _b, user: check_can_answer(conversation, user), conversation.brief, actor)


def _reply_content(conversation: Conversation, text: str, template, now) -> OutgoingMessage:
    """What goes on the wire: free text inside the service window, else an approved template
    of the brief (with the contact's data as its parameters)."""
    if template is None:
        text = (text or "").strip()
        if not text:
            raise Invalid(gettext("Escriba la respuesta."), code="required", field="text")
        if len(text) > conversations.MAX_TEXT:
            raise Invalid(
                gettext("WhatsApp admite hasta %(max)s caracteres.")
                % {"max": conversations.MAX_TEXT},
                code="too_long",
                field="text",
            )
        reason = conversations.window_reason(conversation, now)
        if reason:
            raise Conflict(reason, code="window_closed", field="text")
        return OutgoingMessage(id=0, to=f"+{conversation.address}", channel="whatsapp", text=text)
    if not conversations.approved_templates(conversation.brief).filter(pk=template.pk).exists():
        raise Invalid(
            gettext("Use una plantilla de WhatsApp de este brief aprobada por Meta."),
            code="template_not_approved",
            field="template",
        )
    fields = contact_fields(conversation.contact) if conversation.contact else {}
    rendered = compile_template(template).render(fields)
    if rendered.skip_reason:
        raise Invalid(rendered.skip_reason, code="missing_data", field="template")
    return OutgoingMessage(
        id=0,
        to=f"+{conversation.address}",
        channel="whatsapp",
        text=rendered.text or template.body,
        params=list(rendered.wa_params),
        button_params=list(rendered.wa_button),
        template_name=template.wa_name,
        language=template.wa_language or "es",
    )


def reply_conversation(
    conversation: Conversation, *, actor, text: str = "", template=None, request=None
) -> ConversationMessage:
    """Answer a conversation through its WhatsApp account: free text only inside the 24-hour
    service window (else 409 ``window_closed``), a template of the brief Meta approved at any
    time. The answer is stored before it goes on the wire, then marked ``sent`` with the
    provider's id (or ``failed`` with the provider's reason); callbacks move it on
    (:func:`apply_reply_statuses`)."""
    now = timezone.now()
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update()
            .select_related("brief", "account", "contact")
            .get(pk=conversation.pk)
        )
        check_can_answer(conversation, actor)
        outgoing = _reply_content(conversation, text, template, now)
        row = ConversationMessage.objects.create(
            conversation=conversation,
            direction=Direction.OUTBOUND,
            text=outgoing.text,
            template=template,
            at=now,
            sent_by=actor,
            status=MessageStatus.SENDING,
            rank=RANK[MessageStatus.SENDING],
        )
        if conversation.advisor_id is None and actor.has_role(Role.ASESOR):
            conversation.advisor = actor
            conversation.save(update_fields=["advisor"])
        record(
            "CONVERSATION_REPLIED",
            actor=actor,
            target=conversation.brief,
            request=request,
            details={
                "conversation": conversation.pk,
                "message": row.pk,
                "template": template.wa_name if template else None,
            },
        )
    outgoing.id = row.pk
    provider = get_provider(conversation.account)
    try:
        [result] = provider.send([outgoing])
    except ProviderError as exc:
        result = SendResult(row.pk, False, code=exc.code or "provider_error", detail=str(exc))
    finally:
        provider.close()
    with transaction.atomic():
        if result.accepted:
            ConversationMessage.objects.filter(pk=row.pk, rank__lte=RANK["sent"]).update(
                status=MessageStatus.SENT,
                rank=RANK[MessageStatus.SENT],
                provider_message_id=result.provider_message_id[:120],
            )
            row.refresh_from_db()
            early = StatusEvent.objects.filter(
                provider=conversation.account.code,
                applied=False,
                provider_message_id=row.provider_message_id,
            )
            if row.provider_message_id and early.exists():  # callbacks faster than the answer
                apply_reply_statuses(
                    conversation.account,
                    [
                        StatusUpdate(e.provider_message_id, e.status, code=e.code, detail=e.detail)
                        for e in early.defer("payload")  # the raw item: encrypted, not needed
                    ],
                )
        else:
            ConversationMessage.objects.filter(pk=row.pk).update(
                status=MessageStatus.FAILED,
                rank=RANK[MessageStatus.FAILED],
                error_code=result.code[:60],
                error_detail=result.detail[:300],
            )
    row.refresh_from_db()
    return row


def apply_reply_statuses(account, updates: list) -> int:
    """Apply the provider's statuses to the conversations' answers sent through ``account``
    (dispatch's ``UNMATCHED_STATUS_STEPS``): forward only, as a sweep's messages; their
    pending events are marked applied, and a closed conversation's interaction takes the new
    provider status. Returns how many updates were its own."""
    ids = {u.provider_message_id for u in updates if u.status in RANK}
    answers = ConversationMessage.objects.filter(
        provider_message_id__in=ids, direction=Direction.OUTBOUND, conversation__account=account
    )
    rows: dict[str, int] = dict(answers.values_list("provider_message_id", "pk"))
    if not rows:
        return 0
    applied = 0
    for u in updates:
        pk = rows.get(u.provider_message_id)
        if pk is None or u.status not in RANK:
            continue
        applied += 1
        ConversationMessage.objects.filter(pk=pk, rank__lt=RANK[u.status]).update(
            status=u.status,
            rank=RANK[u.status],
            error_code=u.code[:60],
            error_detail=u.detail[:300],
        )
    StatusEvent.objects.filter(
        provider=account.code, applied=False, provider_message_id__in=list(rows)
    ).update(applied=True)
    closed = Conversation.objects.filter(
        messages__pk__in=rows.values(), interaction__isnull=False
    ).select_related("interaction")
    for conversation in closed.distinct():
        interaction = conversation.interaction
        status = conversations.last_outbound_status(conversation)
        if interaction is not None and interaction.provider_status != status:
            interaction.provider_status = status
            save_interaction(interaction, ["provider_status"])
    return applied


@transaction.atomic
def close_conversation(
    conversation: Conversation,
    *,
    actor,
    typification: int | None,
    observations: str = "",
    request=None,
) -> Interaction:
    """Typify a conversation and close it: it becomes a WhatsApp :class:`Interaction`
    (``external_id`` its first message's wamid, ``provider_status`` the provider's last status
    of the answers) through :func:`record_interaction`, so the billing rule applies and a
    typification that creates a case opens one."""
    conversation = (
        Conversation.objects.select_for_update()
        .select_related("brief", "advisor")
        .get(pk=conversation.pk)
    )
    check_can_answer(conversation, actor)
    if typification in (None, ""):
        raise Invalid(
            gettext("Elija la tipificación para cerrar la conversación."),
            code="required",
            field="typification",
        )
    data: dict[str, Any] = {
        "channel": Channel.WHATSAPP,
        "contact": conversation.contact_id,
        "external_id": conversation.first_wamid,
        "provider_status": conversations.last_outbound_status(conversation),
        "started_at": conversation.opened_at,
        "ended_at": timezone.now(),
        "typification": typification,
        "observations": observations,
    }
    if not actor.has_role(Role.ASESOR) and conversation.advisor is not None:
        data["advisor"] = conversation.advisor.username
    interaction = record_interaction(conversation.brief, actor=actor, data=data, request=request)
    conversation.status = ConversationStatus.CLOSED
    conversation.closed_at = interaction.ended_at
    conversation.interaction = interaction
    if conversation.advisor_id is None:
        conversation.advisor_id = interaction.advisor_id
    conversation.save(update_fields=["status", "closed_at", "interaction", "advisor"])
    record(
        "CONVERSATION_CLOSED",
        actor=actor,
        target=conversation.brief,
        request=request,
        details={"conversation": conversation.pk, "interaction": interaction.code},
    )
    return interaction


def _new_case_code() -> str:
    while True:
        code = f"CASO-{secrets.token_hex(4).upper()}"
        if not Case.objects.filter(code=code).exists():
            return code


def open_case(interaction: Interaction, *, at: dt.datetime | None = None) -> Case | None:
    """Open the case of an interaction typified with a node that creates one (once per
    interaction; ``save_interaction`` calls it). It falls due one business day later by the
    SLA rule «creación de casos», whose clock starts on commit (the SLA scan marks it breached
    and the alerts tell the responsible party)."""
    node = interaction.typification
    if (
        node is None
        or not node.creates_case
        or Case.objects.filter(interaction=interaction).exists()
    ):
        return None
    opened = at or timezone.now()
    rule = SLARule.objects.filter(code=CASE_RULE, active=True).first()
    due = (
        sla.compute_due(opened, rule.duration, rule.unit)
        if rule
        else sla.compute_due(opened, 1, DurationUnit.BUSINESS_DAYS)
    )
    contact = interaction.contact
    case = Case.objects.create(
        code=_new_case_code(),
        brief_id=interaction.brief_id,
        interaction=interaction,
        contact=contact,
        person=person_key(contact.doc_type, contact.doc_number) if contact else "",
        summary=interaction.observations or str(node),
        responsible=rule.responsible if rule else Responsible.PROVIDER,
        opened_at=opened,
        due_at=due,
    )
    record(
        "CASE_OPENED",
        target=interaction.brief,
        details={"case": case.code, "interaction": interaction.code, "due_at": due.isoformat()},
    )
    transaction.on_commit(lambda: sla.on_event(CASE_OPENED, case, at=opened))
    return case


def check_can_manage_case(case: Case, actor) -> None:
    """OCM and the provider's people (advisors on their assigned briefs) manage open cases."""
    require_actor(actor, case.brief, CASE_ROLES, gettext("gestionar casos"))
    if case.status == CaseStatus.CLOSED:
        raise Conflict(gettext("El caso ya está cerrado."), code="case_closed")


def case_refusal(case: Case, actor) -> str | None:
    return refusal(lambda _b, user: check_can_manage_case(case, user), case.brief, actor)


def _note(case: Case, actor, text: str) -> CaseNote | None:
    text = (text or "").strip()
    return CaseNote.objects.create(case=case, author=actor, text=text) if text else None


@transaction.atomic
def annotate_case(case: Case, *, actor, text: str, request=None) -> CaseNote:
    """Add a note to an open case; the first one puts it «en gestión»."""
    case = Case.objects.select_for_update().select_related("brief").get(pk=case.pk)
    check_can_manage_case(case, actor)
    note = _note(case, actor, text)
    if note is None:
        raise Invalid(gettext("Escriba la nota."), code="required", field="text")
    if case.status == CaseStatus.OPEN:
        case.status = CaseStatus.IN_PROGRESS
        case.save(update_fields=["status"])
    record(
        "CASE_ANNOTATED",
        actor=actor,
        target=case.brief,
        request=request,
        details={"case": case.code, "note": note.pk},
    )
    return note


@transaction.atomic
def close_case(case: Case, *, actor, text: str = "", request=None) -> Case:
    """Close a case (with an optional closing note); on time when by its due time. Its SLA
    clock stops on commit (met or late)."""
    case = Case.objects.select_for_update().select_related("brief").get(pk=case.pk)
    check_can_manage_case(case, actor)
    _note(case, actor, text)
    now = timezone.now()
    case.status, case.closed_at, case.closed_by = CaseStatus.CLOSED, now, actor
    case.save(update_fields=["status", "closed_at", "closed_by"])
    record(
        "CASE_CLOSED",
        actor=actor,
        target=case.brief,
        request=request,
        details={"case": case.code, "on_time": case.on_time},
    )
    transaction.on_commit(lambda: sla.on_event(CASE_CLOSED, case, at=now, actor=actor))
    return case


# --- workbench -----------------------------------------------------------------------------


def count_daily_contact(interaction: Interaction) -> None:
    """A call whose typification counts as a contact is the person's contact of that day (the
    one-contact-per-day rule, ``dispatch.DailyContact``, read by the dispatch engine and by
    :func:`claim_next`): no message or other call reaches them again that day. An unanswered
    call is not a contact, so the tree's same-day retries (busy: 1 h) stay possible. The row
    names the interaction (``interaction_id``)."""
    node = interaction.typification
    if interaction.channel != Channel.CALL or interaction.contact_id is None:
        return
    if node is None or not node.counts_as_contact:
        return
    contact = Contact.objects.only("doc_type", "doc_number").get(pk=interaction.contact_id)
    day = calendar.local(interaction.started_at).date()
    DailyContact.objects.bulk_create(
        [
            DailyContact(
                person=person_key(contact.doc_type, contact.doc_number),
                day=day,
                interaction_id=interaction.pk,
            )
        ],
        ignore_conflicts=True,
    )


def _held_entry(entry: QueueEntry, actor) -> QueueEntry:
    """The entry locked, if ``actor`` still holds it (an expired hold nobody took still is)."""
    entry = QueueEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.holder_id != actor.pk or entry.closed:
        raise Conflict(
            gettext("Este contacto ya no está a su nombre: pida el siguiente."), code="not_held"
        )
    return entry


@transaction.atomic
def work_contact(
    entry: QueueEntry,
    *,
    actor,
    data: dict[str, Any],
    audio=None,
    screen=None,
    now: dt.datetime | None = None,
    request=None,
) -> Interaction:
    """The advisor's call to the contact they hold, all or nothing: the interaction (channel
    call, from the claim to now, the typification, observations written back to the contact,
    answers), its audio and screen recordings when given, the queue entry settled (retry,
    callback or closed) and the day's contact counted. ``data``: ``typification`` (a leaf's
    id), ``observations``, ``answers`` ({key: value}), ``callback_at`` (optional, future)."""
    now = now or timezone.now()
    entry = _held_entry(entry, actor)
    errors = []
    if data.get("typification") in (None, ""):
        errors.append(_err(gettext("Elija la tipificación de la llamada."), "typification"))
    callback = data.get("callback_at")
    if callback and callback <= now:
        errors.append(_err(gettext("La rellamada debe quedar en el futuro."), "callback_at"))
    if errors:
        raise Invalid(errors[0]["message"], field=errors[0]["field"], errors=errors)
    interaction = record_interaction(
        entry.brief,
        actor=actor,
        data={
            "channel": Channel.CALL,
            "contact": entry.contact_id,
            "sweep": entry.sweep_id,
            "typification": data["typification"],
            "observations": data.get("observations") or "",
            "answers": data.get("answers") or {},
            "started_at": min(entry.claimed_at or now, now),
            "ended_at": now,
            "callback_at": callback,
        },
        request=request,
    )
    for kind, upload in ((RecordingKind.AUDIO, audio), (RecordingKind.SCREEN, screen)):
        if upload is not None:
            attach_recording(interaction, actor=actor, kind=kind, upload=upload, request=request)
    return interaction


@transaction.atomic
def release_contact(entry: QueueEntry, *, actor, request=None) -> None:
    """Give back the contact the advisor holds without calling it (another advisor may take
    it at once); no attempt is counted."""
    entry = _held_entry(entry, actor)
    QueueEntry.objects.filter(pk=entry.pk).update(holder=None, held_until=None, claimed_at=None)
    record(
        "QUEUE_CONTACT_RELEASED",
        actor=actor,
        target=entry.brief,
        request=request,
        details={"contact": entry.contact_id},
    )


# --- CRM export, bulk import -------------------------------------------------------------

MAX_REPORTED_ERRORS = 1_000


def check_can_edit_layouts(actor) -> None:
    """OCM (and admins) keep the CRM export layouts."""
    if not (actor.is_superuser or actor.has_role(Role.ANALISTA_OCM)):
        raise Forbidden(gettext("Solo OCM edita los formatos de exportación al CRM."))


def _clean_layout(name: str, columns: Any) -> tuple[str, list[dict]]:
    errors: list[dict] = []
    name = str(name or "").strip()
    if not name:
        errors.append(_err(gettext("Escriba el nombre."), "name", "required"))
    elif len(name) > 120:
        errors.append(_err(gettext("Máximo 120 caracteres."), "name", "too_long"))
    out: list[dict] = []
    if not isinstance(columns, list) or not columns:
        errors.append(_err(gettext("Elija al menos una columna."), "columns", "required"))
        columns = []
    elif len(columns) > exports.MAX_COLUMNS:
        errors.append(
            _err(
                gettext("Máximo %(max)s columnas.") % {"max": exports.MAX_COLUMNS},
                "columns",
                "too_many",
            )
        )
    for column in columns:
        if not isinstance(column, dict):
            column = {"field": str(column)}
        field = str(column.get("field") or "").strip()
        header = str(column.get("header") or "").strip() or exports.default_header(field)
        problem = exports.column_problem(field)
        if problem:
            errors.append(_err(problem, "columns"))
        elif len(header) > 120:
            errors.append(_err(gettext("Un encabezado pasa de 120 caracteres."), "columns"))
        out.append({"field": field, "header": header})
    if errors:
        raise Invalid(
            errors[0]["message"], code=errors[0]["code"], field=errors[0]["field"], errors=errors
        )
    return name, out


@transaction.atomic
def save_export_layout(
    layout: CrmExportLayout | None,
    *,
    actor,
    name: str,
    columns: Any,
    area=None,
    request=None,
) -> CrmExportLayout:
    """Create (``layout=None``) or change a CRM export layout: its name, owner (an area, or
    none for a global layout) and ordered columns with their headers."""
    check_can_edit_layouts(actor)
    name, columns = _clean_layout(name, columns)
    if layout is None:
        layout = CrmExportLayout(created_by=actor)
    layout.name, layout.area, layout.columns = name, area, columns
    layout.save()
    record(
        "CRM_LAYOUT_SAVED",
        actor=actor,
        request=request,
        details={"layout": layout.pk, "name": name, "columns": [c["field"] for c in columns]},
    )
    return layout


@transaction.atomic
def delete_export_layout(layout: CrmExportLayout, *, actor, request=None) -> None:
    check_can_edit_layouts(actor)
    record(
        "CRM_LAYOUT_DELETED",
        actor=actor,
        request=request,
        details={"layout": layout.pk, "name": layout.name},
    )
    layout.delete()


def log_interaction_export(
    *, actor, fmt: str, layout: CrmExportLayout | None, filters: dict, request=None
) -> None:
    """Every export of interactions (personal data) leaves an audit event with its filters."""
    record(
        "INTERACTIONS_EXPORTED",
        actor=actor,
        request=request,
        details={
            "format": fmt,
            "layout": layout.pk if layout else None,
            "filters": {k: str(v) for k, v in filters.items() if v not in (None, "")},
        },
    )


def check_can_import(actor, brief: Brief | None = None) -> None:
    """The provider's channel director imports its dialer's interactions (into a brief of
    the provider, when one is chosen)."""
    if not actor.has_role(Role.PROVEEDOR) or actor.provider_id is None:
        raise Forbidden(gettext("Solo el director de canal del proveedor importa interacciones."))
    if brief is not None:
        require_actor(actor, brief, {Role.PROVEEDOR}, gettext("importar interacciones"))


@transaction.atomic
def start_interaction_import(
    *, actor, upload, recordings=None, brief: Brief | None = None, request=None
) -> InteractionImport:
    """Keep the interactions file (CSV/XLSX) and the recordings ZIP and queue their import
    (``run_interaction_import``, a Celery task); nothing is written to interactions yet."""
    check_can_import(actor, brief)
    checked = check_upload(upload, allowed=INTERACTION_IMPORT_EXTENSIONS)
    job = InteractionImport(
        provider_id=actor.provider_id,
        brief=brief,
        source_name=checked.name[:255],
        created_by=actor,
    )
    if recordings is not None:
        try:
            archive = check_upload(recordings, allowed=RECORDINGS_ARCHIVE_EXTENSIONS)
        except Invalid as exc:
            raise Invalid(exc.message, code=exc.code, field="recordings") from exc
        job.recordings_name = archive.name[:255]
        job.recordings.save(archive.name, recordings, save=False)
    job.file.save(checked.name, upload, save=False)
    job.save()
    record(
        "INTERACTION_IMPORT_STARTED",
        actor=actor,
        target=brief,
        request=request,
        details={
            "import": job.pk,
            "file": job.source_name,
            "sha256": checked.sha256,
            "recordings": job.recordings_name,
        },
    )
    from .tasks import import_interactions

    transaction.on_commit(lambda: import_interactions.delay(job.pk))
    return job


def _finish_import(job: InteractionImport, status: str, **fields) -> str:
    errors = fields.pop("errors", [])
    if len(errors) > MAX_REPORTED_ERRORS:
        more = len(errors) - MAX_REPORTED_ERRORS
        errors = [
            *errors[:MAX_REPORTED_ERRORS],
            imports.error(None, "", gettext("… y %(n)s errores más.") % {"n": more}),
        ]
    InteractionImport.objects.filter(pk=job.pk).update(
        status=status, errors=errors, finished_at=timezone.now(), stage="", **fields
    )
    if status == ImportStatus.FAILED:
        record(
            "INTERACTION_IMPORT_REFUSED",
            actor=job.created_by,
            target=job.brief,
            details={"import": job.pk, "errors": len(errors)},
        )
    return status


def _row_errors(number: int, exc: DomainError, answers: Collection[str] = ()) -> list[dict]:
    """A refusal of the write path as the rows' errors (an answer's field is its question)."""

    def column(field: str) -> str:
        if field in answers:
            return f"{imports.ANSWER_PREFIX}{field}"
        return imports.COLUMN_NAMES.get(field, field)

    return [imports.error(number, column(e.get("field") or ""), e["message"]) for e in exc.errors]


def run_interaction_import(import_id: int) -> str:
    """Validate the whole file and archive, then write every row or none (Celery task).

    A row whose ``(brief, channel, ID)`` is already stored updates that interaction with the
    file's non-empty cells (a re-import is idempotent); a recording whose SHA-256 (or URL) is
    the stored one is skipped, another one replaces it through ``attach_recording``.
    """
    claimed = InteractionImport.objects.filter(pk=import_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING, started_at=timezone.now(), stage=gettext("Validando")
    )
    if not claimed:
        return InteractionImport.objects.get(pk=import_id).status
    job = InteractionImport.objects.select_related("created_by", "brief").get(pk=import_id)
    actor = job.created_by
    try:
        with tempfile.TemporaryDirectory(prefix="brief-import-") as folder:
            return _run_import(job, actor, Path(folder))
    except imports.ImportProblem as exc:
        return _finish_import(job, ImportStatus.FAILED, errors=exc.errors)
    except Exception:
        log.exception("interaction import %s failed", import_id)
        message = gettext("La importación falló por un error interno; ya quedó registrado.")
        return _finish_import(job, ImportStatus.FAILED, errors=[imports.error(None, "", message)])


def _run_import(job: InteractionImport, actor, folder: Path) -> str:
    with contextlib.ExitStack() as stack:
        return _run_import_files(job, actor, folder, stack)


def _run_import_files(
    job: InteractionImport, actor, folder: Path, stack: contextlib.ExitStack
) -> str:
    archive = None
    if job.recordings:
        archive = imports.RecordingArchive(stack.enter_context(local_copy(job.recordings)), folder)
    try:
        sheet = stack.enter_context(local_copy(job.file))
        headers, rows = imports.read_rows(sheet, extension(job.source_name))
        briefs = Brief.objects.visible_to(actor).filter(provider_id=job.provider_id)
        chosen = briefs.filter(pk=job.brief_id).first() if job.brief_id else None
        plans, errors = imports.plan_rows(
            headers, rows, resolver=imports.Resolver(briefs), chosen=chosen, archive=archive
        )
        refused: dict[int, DomainError | None] = {}
        for plan in plans:
            if plan.brief.pk not in refused:
                try:
                    check_can_record(plan.brief, actor)
                    refused[plan.brief.pk] = None
                except DomainError as exc:
                    refused[plan.brief.pk] = exc
            if refused[plan.brief.pk] is not None:
                errors += _row_errors(plan.row, refused[plan.brief.pk])  # type: ignore[arg-type]
                continue
            try:
                _clean_interaction(plan.brief, plan.data, actor, plan.existing)
            except DomainError as exc:
                errors += _row_errors(plan.row, exc, plan.data.get("answers", {}))
        total = len(rows)
        if errors:
            errors.sort(key=lambda e: (e["row"] or 0, e["column"]))
            return _finish_import(job, ImportStatus.FAILED, errors=errors, rows_total=total)
        InteractionImport.objects.filter(pk=job.pk).update(stage=gettext("Guardando"))
        current = None
        try:
            with transaction.atomic():
                counts = {"created": 0, "updated": 0, "recordings_stored": 0}
                for current in plans:
                    counts["recordings_stored"] += _apply_row(current, actor, archive)
                    counts["updated" if current.existing else "created"] += 1
                InteractionImport.objects.filter(pk=job.pk).update(rows_total=total, **counts)
                record(
                    "INTERACTIONS_IMPORTED",
                    actor=actor,
                    target=job.brief,
                    details={"import": job.pk, "rows": total, **counts},
                )
        except DomainError as exc:  # changed between validation and writing: nothing was kept
            return _finish_import(
                job,
                ImportStatus.FAILED,
                errors=_row_errors(current.row if current else 0, exc),
                rows_total=total,
            )
        return _finish_import(job, ImportStatus.DONE, rows_total=total, **counts)
    finally:
        if archive is not None:
            archive.close()


def _apply_row(plan: imports.RowPlan, actor, archive) -> int:
    """Write one validated row and its recordings; returns the recordings stored."""
    if plan.existing is not None:
        data = {k: v for k, v in plan.data.items() if k != "channel"}
        interaction = update_interaction(plan.existing, actor=actor, data=data)
    else:
        interaction = record_interaction(plan.brief, actor=actor, data=plan.data)
    stored = 0
    for kind, (source, value) in plan.recordings.items():
        current = Recording.objects.filter(interaction=interaction, kind=kind).first()
        if source == "url":
            if current is None or current.url != value:
                attach_recording(interaction, actor=actor, kind=kind, url=value)
                stored += 1
            continue
        path, sha256 = archive.extract(value)
        if current is not None and current.sha256 == sha256:
            continue
        with path.open("rb") as handle:
            attach_recording(interaction, actor=actor, kind=kind, upload=File(handle, name=value))
        stored += 1
    return stored


STALE_IMPORT = dt.timedelta(hours=6)


def reap_stale_imports(*, now: dt.datetime | None = None) -> int:
    """Fail imports whose worker died while running (beat task). Their rows were written in
    one transaction that never committed, so nothing of them is stored."""
    limit = (now or timezone.now()) - STALE_IMPORT
    stale = list(
        InteractionImport.objects.filter(status=ImportStatus.RUNNING, started_at__lt=limit)
    )
    message = gettext("La importación se interrumpió (el proceso se detuvo); súbala de nuevo.")
    for job in stale:
        _finish_import(job, ImportStatus.FAILED, errors=[imports.error(None, "", message)])
    return len(stale)
