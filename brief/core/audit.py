"""The audit log: :func:`record` is the one way to write an :class:`AuditEvent`; :func:`search`
and :func:`export` are how auditors read it."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from typing import Any

import polars as pl
from django.db import transaction
from django.db.models import Max, Model, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit_labels import codes_matching, keys_matching, labels
from .models import AuditEvent


def client_ip(request) -> str | None:
    """The client's address as the web server saw it (no proxy headers trusted)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    type: str,
    *,
    actor=None,
    target: Model | None = None,
    details: dict[str, Any] | None = None,
    request=None,
    ip: str | None = None,
) -> AuditEvent:
    """Write one audit event. ``type`` is past tense and upper case (``BRIEF_FORWARDED``).

    Call it inside the transaction of the change it describes, so both land or neither does.
    """
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    actor_obj = actor if actor is not None and getattr(actor, "pk", None) else None
    return AuditEvent.objects.create(
        actor=actor_obj,
        actor_label=getattr(actor, "username", "") or ("sistema" if actor is None else ""),
        type=type,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        details=details or {},
        ip=ip or client_ip(request),
    )


# --- reading the log: word search and export -----------------------------------------------

EXPORT_FORMATS = ("csv", "xlsx")
EXPORT_CHUNK = 2_000
MAX_WORDS = 8


def _word_matches(word: str) -> Q:
    """Events where ``word`` appears in the code, its Spanish label, the actor, the object, or
    the details (values and the Spanish names of their keys), case-insensitively."""
    # JSON stores accented letters escaped on SQLite ("Bogot\u00e1"): match that form too.
    escaped = json.dumps(word)[1:-1]
    found = (
        Q(type__icontains=word)
        | Q(actor_label__icontains=word)
        | Q(target_repr__icontains=word)
        | Q(details_text__icontains=word)
        | Q(details_text__icontains=escaped)
    )
    if codes := codes_matching(word):
        found |= Q(type__in=codes)
    for key in keys_matching(word):
        found |= Q(details_text__contains=json.dumps(key) + ":")
    return found


def search(
    *,
    words: str = "",
    type: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """The events matching every word of ``words``, of code ``type``, between the local dates
    ``since`` and ``until`` (both included), newest first."""
    events = AuditEvent.objects.annotate(details_text=Cast("details", TextField()))
    for word in words.split()[:MAX_WORDS]:
        events = events.filter(_word_matches(word))
    if type:
        events = events.filter(type=type)
    if since:
        events = events.filter(at__date__gte=since)
    if until:
        events = events.filter(at__date__lte=until)
    return events.order_by("-at", "-id")


def export_header() -> list[str]:
    return [
        _("Fecha"),
        _("Usuario"),
        _("Evento"),
        _("Código"),
        _("Objeto"),
        _("Tipo de objeto"),
        _("Id del objeto"),
        _("IP"),
        _("Detalles"),
    ]


_EXPORT_FIELDS = ("at", "actor_label", "type", "target_repr", "target_type", "target_id", "ip")


def export_frames(events: QuerySet[AuditEvent]) -> Iterator[pl.DataFrame]:
    """``events`` as frames of text in :func:`export_header`'s order, :data:`EXPORT_CHUNK`
    rows at a time (read with a database iterator: memory stays flat at any size)."""
    names = [f"c{n}" for n in range(len(export_header()))]
    spanish, zone = labels(), timezone.get_current_timezone()
    rows = events.values_list(*_EXPORT_FIELDS, "details").iterator(chunk_size=EXPORT_CHUNK)
    while chunk := list(itertools.islice(rows, EXPORT_CHUNK)):
        yield pl.DataFrame(
            [
                [
                    at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                    actor,
                    spanish.event(code),
                    code,
                    target,
                    target_type,
                    target_id,
                    ip or "",
                    spanish.text(details),
                ]
                for at, actor, code, target, target_type, target_id, ip, details in chunk
            ],
            schema=dict.fromkeys(names, pl.String),
            orient="row",
        )


def export(
    events: QuerySet[AuditEvent], *, actor, fmt: str, filters: dict[str, str], request=None
) -> tuple[QuerySet[AuditEvent], int]:
    """Fix the rows of an export of ``events`` and audit it as ``AUDIT_EXPORTED`` (format,
    filters, row count). Returns the fixed rows (those that existed when it was asked: later
    events, this one included, stay out) and their count."""
    with transaction.atomic():
        top = AuditEvent.objects.aggregate(top=Max("pk"))["top"] or 0
        rows = events.filter(pk__lte=top)
        count = rows.count()
        record(
            "AUDIT_EXPORTED",
            actor=actor,
            request=request,
            details={"format": fmt, "rows": count, "filters": filters},
        )
    return rows, count
