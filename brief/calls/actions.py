"""The only write path of the contact center: typification trees (and, later, advisors and
interactions).

Who edits a typification tree, and when: OCM, before it forwards the brief (draft, submitted,
in review, returned). At exit approval (``freeze_typification``, an ``approve_exit`` guard) a
call brief without a tree gets the default one, and the tree is frozen with its SHA-256.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from brief.campaigns.choices import Channel
from brief.campaigns.models import Brief
from brief.campaigns.permissions import require_actor
from brief.contacts.reader import BaseFileError, read_csv_bytes, read_xlsx
from brief.core.audit import record
from brief.core.exceptions import Conflict, Forbidden, Invalid
from brief.core.roles import Role
from brief.core.uploads import check_upload

from . import typification
from .choices import CHILD_LEVEL, EDIT_STATES, FLAGS, IMPORT_EXTENSIONS, MAX_RETRY_HOURS, Level
from .models import TypificationNode

# --- typification: who may edit ----------------------------------------------------------


def check_can_edit_typification(brief: Brief, actor) -> None:
    """Raise :class:`Forbidden` (not OCM) or :class:`Conflict` (forwarded or frozen)."""
    require_actor(actor, brief, {Role.ANALISTA_OCM}, gettext("editar la tipificación"))
    if TypificationNode.objects.filter(brief=brief, frozen_at__isnull=False).exists():
        raise Conflict(
            "La tipificación quedó congelada con la aprobación de salida.",
            code="typification_frozen",
        )
    if brief.status not in EDIT_STATES:
        raise Conflict(
            f"El brief está «{brief.get_status_display()}»: OCM edita la tipificación antes "
            "de remitirlo al proveedor.",
            code="invalid_state",
        )


def typification_refusal(brief: Brief, actor) -> str | None:
    """Why ``actor`` cannot edit the tree now (``None`` when they can)."""
    try:
        check_can_edit_typification(brief, actor)
    except (Forbidden, Conflict) as exc:
        return exc.message
    return None


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
        raise Conflict("El brief ya tiene un árbol de tipificación.", code="typification_exists")
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
        errors.append(_err("Escriba el nombre.", "label", "required"))
    elif len(label) > 120:
        errors.append(_err("Máximo 120 caracteres.", "label", "too_long"))
    out["label"] = label
    code = str(data.get("code", node.code if node else "") or "").strip()
    if code and not typification.CODE.match(code):
        errors.append(_err("El código solo admite letras, números, punto y guiones.", "code"))
    elif (
        code
        and TypificationNode.objects.filter(brief=brief, code=code)
        .exclude(pk=node.pk if node else 0)
        .exists()
    ):
        errors.append(_err(f"El código «{code}» ya existe en este árbol.", "code", "duplicate"))
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
            message = f"Las horas para reintentar van de 1 a {MAX_RETRY_HOURS}."
            errors.append(_err(message, "retry_after_hours"))
    if errors:
        raise Invalid(
            errors[0]["message"], code=errors[0]["code"], field=errors[0]["field"], errors=errors
        )
    return out


def _check_sibling_label(brief: Brief, parent, label: str, exclude: int = 0) -> None:
    taken = TypificationNode.objects.filter(brief=brief, parent=parent, label=label)
    if taken.exclude(pk=exclude).exists():
        raise Invalid(f"Ya existe «{label}» en ese nivel.", code="duplicate", field="label")


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
            raise Invalid("El nodo padre no es de este brief.", code="invalid", field="parent")
        if parent.level not in CHILD_LEVEL:
            raise Invalid("Un detalle no tiene hijos.", code="invalid", field="parent")
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
            f"El archivo tiene {len(errors)} error(es); no se cambió la tipificación.",
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
