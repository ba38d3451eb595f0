"""The only write path of contact bases, segments and suppression lists."""

from __future__ import annotations

import hashlib
import json
import operator
from functools import reduce
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTransform
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from brief.campaigns.choices import EDITABLE, AttachmentKind, Status
from brief.campaigns.models import Attachment, Brief
from brief.campaigns.permissions import may_view, require_actor
from brief.campaigns.vocabulary import CHANNELS
from brief.core.audit import record
from brief.core.exceptions import Conflict, Forbidden, Invalid
from brief.core.roles import Role
from brief.core.storage import local_copy

from .choices import OPEN_BASE_STATES, BaseStatus, SuppressionChannel, SuppressionSource
from .cleaning import parse_channels
from .models import (
    Contact,
    ContactBase,
    SavedMapping,
    Segment,
    Suppression,
    channel_address_expression,
    person_key,
    person_key_expression,
    suppressed_q,
)
from .reader import FIELDS, BaseFileError, propose_mapping, read_base

# Who may import a base, and when.
AREA_IMPORT_STATES = EDITABLE | {Status.SUBMITTED, Status.IN_REVIEW}
PROVIDER_IMPORT_STATES = frozenset({Status.RECEIVED, Status.BASE_LOADED})


def check_can_import(brief: Brief, actor) -> None:
    """Area users check their base before submitting; the provider loads it once received."""
    require_actor(
        actor,
        brief,
        frozenset({Role.SOLICITANTE, Role.JEFE, Role.PROVEEDOR, Role.ANALISTA_OCM}),
        "cargar bases",
    )
    if actor.has_role(Role.PROVEEDOR) and brief.status in PROVIDER_IMPORT_STATES:
        return
    if actor.has_role(Role.SOLICITANTE, Role.JEFE, Role.ANALISTA_OCM) and (
        brief.status in AREA_IMPORT_STATES | PROVIDER_IMPORT_STATES
    ):
        return
    raise Conflict(
        gettext("El brief está «%(status)s»: no admite cargar la base.")
        % {"status": brief.get_status_display()}
    )


def headers_key(headers: list[str]) -> str:
    return hashlib.sha256(json.dumps(sorted(headers)).encode()).hexdigest()


def inspect_attachment(
    attachment: Attachment, *, actor, sheet: str | None = None, request=None
) -> dict[str, Any]:
    """Headers, sheets, a preview and the proposed mapping (saved one first) of a base file."""
    check_can_import(attachment.brief, actor)
    if attachment.kind != AttachmentKind.BASE:
        raise Invalid(gettext("El adjunto no es una base de datos."), code="not_a_base")
    try:
        with local_copy(attachment.file) as plain:
            read = read_base(plain, sheet=sheet, max_bytes=settings.BRIEF_MAX_UPLOAD_BYTES)
    except BaseFileError as exc:
        raise Invalid(exc.message, code=exc.code, field="file") from exc
    headers = list(read.df.columns)
    mapping = propose_mapping(headers)
    saved = SavedMapping.objects.filter(
        area=attachment.brief.area_id, headers_key=headers_key(headers)
    ).first()
    if saved:
        mapping.update({h: f for h, f in saved.mapping.items() if h in mapping and f in FIELDS})
    record(
        "BASE_INSPECTED",
        actor=actor,
        target=attachment.brief,
        request=request,
        details={"attachment": attachment.pk},
    )
    return {
        "headers": headers,
        "mapping": mapping,
        "saved": saved is not None,
        "sheets": list(read.sheets),
        "sheet": read.sheet,
        "encoding": read.encoding,
        "delimiter": read.delimiter,
        "rows": read.df.height,
        "preview": read.df.head(5).rows(),
    }


@transaction.atomic
def start_import(
    attachment: Attachment,
    *,
    actor,
    mapping: dict[str, str] | None = None,
    channels: list[str] | None = None,
    sheet: str = "",
    request=None,
) -> ContactBase:
    """Queue the import of ``attachment``; the mapping is remembered for the area."""
    # Lock the brief: two simultaneous starts must not both pass the "none running" check.
    brief = Brief.objects.select_for_update().get(pk=attachment.brief_id)
    check_can_import(brief, actor)
    if attachment.kind != AttachmentKind.BASE:
        raise Invalid(gettext("El adjunto no es una base de datos."), code="not_a_base")
    if ContactBase.objects.filter(
        brief=brief, status__in=[BaseStatus.PENDING, BaseStatus.IMPORTING]
    ).exists():
        raise Conflict(gettext("Ya hay una importación en curso para este brief."))
    mapping = dict(mapping or {})
    bad = {h: f for h, f in mapping.items() if f not in FIELDS}
    if bad:
        raise Invalid(
            gettext("Campo no válido para la columna «%(field)s».") % {"field": next(iter(bad))},
            code="bad_mapping",
            field="mapping",
        )
    try:
        wanted = list(parse_channels(channels if channels is not None else brief.channels))
    except BaseFileError as exc:
        raise Invalid(exc.message, code=exc.code, field="channels") from exc
    base = ContactBase.objects.create(
        brief=brief,
        attachment=attachment,
        source_name=attachment.original_name,
        sheet=sheet or "",
        mapping=mapping,
        channels=wanted,
        created_by=actor,
    )
    if mapping:
        headers = list(mapping)
        SavedMapping.objects.update_or_create(
            area=brief.area,
            headers_key=headers_key(headers),
            defaults={"headers": headers, "mapping": mapping},
        )
    record(
        "BASE_IMPORT_STARTED",
        actor=actor,
        target=brief,
        request=request,
        details={"base": base.pk, "attachment": attachment.pk, "channels": wanted},
    )
    from .tasks import import_base

    transaction.on_commit(lambda: import_base.delay(base.pk))
    return base


def cancel_import(base: ContactBase, *, actor, request=None) -> ContactBase:
    """Ask a running import to stop; a pending one is cancelled at once."""
    check_can_import(base.brief, actor)
    if not base.is_open:
        raise Conflict(gettext("La importación ya terminó."))
    ContactBase.objects.filter(pk=base.pk).update(cancel_requested=True)
    ContactBase.objects.filter(pk=base.pk, status=BaseStatus.PENDING).update(
        status=BaseStatus.CANCELLED, stage=str(BaseStatus.CANCELLED.label)
    )
    record(
        "BASE_IMPORT_CANCEL_REQUESTED",
        actor=actor,
        target=base.brief,
        request=request,
        details={"base": base.pk},
    )
    base.refresh_from_db()
    return base


def stop_open_imports(brief: Brief, *, actor, at, **params) -> tuple[dict, dict]:
    """The ``cancel`` guard (campaigns ``ActionSpec.guards``): a cancelled brief's imports
    still open are asked to stop (a pending one is cancelled at once), as ``cancel_import``
    does; the files stay."""
    open_ids = list(
        ContactBase.objects.filter(brief=brief, status__in=OPEN_BASE_STATES).values_list(
            "pk", flat=True
        )
    )
    if not open_ids:
        return {}, {}
    ContactBase.objects.filter(pk__in=open_ids).update(cancel_requested=True)
    ContactBase.objects.filter(pk__in=open_ids, status=BaseStatus.PENDING).update(
        status=BaseStatus.CANCELLED, stage=str(BaseStatus.CANCELLED.label)
    )
    for pk in open_ids:
        record("BASE_IMPORT_CANCEL_REQUESTED", actor=actor, target=brief, details={"base": pk})
    return {}, {"imports_stopped": open_ids}


def check_base_access(base: ContactBase, actor, *, request=None, what: str = "") -> None:
    """Permission to read a base's personal data; every access is logged."""
    if not may_view(actor, base.brief):
        raise Forbidden(gettext("No tiene acceso a esta base."))
    if what:
        record(what, actor=actor, target=base.brief, request=request, details={"base": base.pk})


def base_summary(brief: Brief) -> dict | None:
    """The quality summary of the brief's current ready base (``None`` before any import)."""
    base = ContactBase.objects.current(brief)
    return base.summary if base is not None else None


def require_ready_base(brief: Brief) -> None:
    """The ``load_base`` check (campaigns ``ActionSpec.checks``): the brief has a ready
    imported base. The provider imports it first (page «Bases de contactos»); registering the
    load does not start an import, it records the one that finished."""
    if ContactBase.objects.current(brief) is not None:
        return
    if ContactBase.objects.filter(brief=brief, status__in=OPEN_BASE_STATES).exists():
        raise Conflict(
            gettext("La importación de la base sigue en curso: registre el cargue cuando termine."),
            code="base_not_ready",
        )
    raise Conflict(
        gettext(
            "Importe y depure la base de contactos del brief antes de registrar el cargue "
            "(Bases de contactos)."
        ),
        code="base_not_ready",
    )


def summarize_loaded_base(brief: Brief, *, actor, at, **params) -> tuple[dict, dict]:
    """The ``load_base`` guard (campaigns ``ActionSpec``): the transition keeps the summary."""
    summary = base_summary(brief)
    return {}, ({"base_summary": summary} if summary else {})


# --- segments --------------------------------------------------------------------------

SEGMENT_FILTERS = {"city", "department", "country", "abroad", "channel", "custom", "sweeps"}
# The "sweeps" filter reads dispatch's messages, a higher layer: named here, never imported
# (README "Layers"); it takes ``(brief_id, result)`` and returns a ``Contact`` filter.
SWEEP_FILTER = "brief.dispatch.segments.earlier_sweeps_filter"


def segment_queryset(base: ContactBase, filters: dict[str, Any]) -> QuerySet[Contact]:
    """The contacts of ``base`` matching ``filters`` (validated, Spanish errors)."""
    unknown = set(filters) - SEGMENT_FILTERS
    if unknown:
        raise Invalid(
            gettext("Filtro desconocido: %(filters)s.") % {"filters": ", ".join(sorted(unknown))},
            code="bad_filter",
            field="filters",
        )
    _check_filter_types(filters)
    qs = Contact.objects.filter(base=base)
    for key in ("city", "department", "country"):
        values = filters.get(key)
        if values:
            values = [values] if isinstance(values, str) else list(values)
            condition = Q()
            for value in values:
                condition |= Q(**{f"{key}__iexact": str(value).strip()})
            qs = qs.filter(condition)
    if filters.get("abroad") is not None and filters.get("abroad") != "":
        qs = qs.filter(abroad=bool(filters["abroad"]) and filters["abroad"] not in ("0", "false"))
    channel = filters.get("channel")
    if channel:
        if channel not in CHANNELS:
            raise Invalid(gettext("Canal no válido."), code="bad_filter", field="channel")
        qs = qs.filter(**{f"can_{channel}": True})
    result = filters.get("sweeps")
    if result:
        qs = qs.filter(import_string(SWEEP_FILTER)(base.brief_id, result))
    for i, (name, value) in enumerate((filters.get("custom") or {}).items()):
        # KeyTransform takes the header as one JSON key: a name holding "__" must not turn
        # into a nested path or a lookup of the caller's choosing.
        alias = f"_custom_{i}"
        qs = qs.alias(**{alias: KeyTransform(name, "custom")}).filter(**{alias: value})
    return qs


_SCALAR = (str, int, float, bool)


def _check_filter_types(filters: dict[str, Any]) -> None:
    """Refuse filters of the wrong JSON type with a 400 (they come from the API as is)."""

    def bad(field: str, message: str) -> Invalid:
        return Invalid(message, code="bad_filter", field=field)

    for key in ("city", "department", "country"):
        values = filters.get(key)
        if values in (None, ""):
            continue
        items = [values] if isinstance(values, str) else values
        if not isinstance(items, list) or not all(isinstance(v, _SCALAR) for v in items):
            raise bad(key, gettext("Use un texto o una lista de textos."))
    for key in ("channel", "sweeps"):
        if filters.get(key) not in (None, "") and not isinstance(filters[key], str):
            raise bad(key, gettext("Use un texto."))
    if filters.get("abroad") not in (None, "") and not isinstance(filters["abroad"], _SCALAR):
        raise bad("abroad", gettext("Use verdadero o falso."))
    custom = filters.get("custom")
    if custom in (None, ""):
        return
    if not isinstance(custom, dict) or not all(
        isinstance(k, str) and k and isinstance(v, _SCALAR) for k, v in custom.items()
    ):
        raise bad("custom", gettext("Use un objeto {campo: valor} con valores de texto o número."))


def segment_counts(base: ContactBase, filters: dict[str, Any]) -> dict[str, Any]:
    """Live counts of a segment: total, eligible per channel, and who the suppression lists
    hold back, per channel exactly as a sweep on that channel would (``suppressed_by_channel``).
    ``suppressed`` is that count for the segment's channel filter, or without one the contacts
    held back on at least one of the base's channels they are eligible for."""
    qs = segment_queryset(base, filters).alias(_person=person_key_expression())
    counts: dict[str, Any] = {"total": qs.count()}
    for channel in CHANNELS:
        counts[channel] = qs.filter(**{f"can_{channel}": True}).count()
    held_back = {
        channel: Q(**{f"can_{channel}": True})
        & suppressed_q(channel, address=f"_address_{channel}", person="_person")
        for channel in CHANNELS
    }
    qs = qs.alias(**{f"_address_{c}": channel_address_expression(c) for c in CHANNELS})
    by_channel = {c: qs.filter(q).count() for c, q in held_back.items()}
    if filters.get("channel"):
        counts["suppressed"] = by_channel[filters["channel"]]
    else:
        wanted = [held_back[c] for c in CHANNELS if c in (base.channels or CHANNELS)]
        counts["suppressed"] = qs.filter(reduce(operator.or_, wanted)).count()
    counts["suppressed_by_channel"] = by_channel
    return counts


def save_segment(
    base: ContactBase, *, actor, name: str, filters: dict[str, Any], request=None
) -> Segment:
    check_base_access(base, actor)
    if not actor.has_role(Role.SOLICITANTE, Role.JEFE, Role.PROVEEDOR, Role.ANALISTA_OCM):
        raise Forbidden(gettext("Su rol no permite guardar segmentos."))
    if base.status != BaseStatus.READY:
        raise Conflict(gettext("La base todavía no está lista."))
    if not name.strip():
        raise Invalid(gettext("Ponga un nombre al segmento."), code="required", field="name")
    limit = Segment._meta.get_field("name").max_length or 0
    if len(name.strip()) > limit:
        raise Invalid(
            gettext("El nombre del segmento admite hasta %(limit)s caracteres.") % {"limit": limit},
            code="max_length",
            field="name",
        )
    segment_queryset(base, filters)  # validates
    try:
        with transaction.atomic():
            segment = Segment.objects.create(
                base=base, name=name.strip(), filters=filters, created_by=actor
            )
    except IntegrityError as exc:
        raise Conflict(gettext("Ya existe un segmento con ese nombre en esta base.")) from exc
    record(
        "SEGMENT_SAVED",
        actor=actor,
        target=base.brief,
        request=request,
        details={"segment": segment.pk, "filters": filters},
    )
    return segment


# --- suppression lists -----------------------------------------------------------------

SUPPRESSION_READERS = (Role.ANALISTA_OCM, Role.PROVEEDOR, Role.AUDITOR)


def may_read_suppressions(user) -> bool:
    """OCM, the provider and internal control see the suppression lists."""
    return bool(user.is_authenticated and user.has_role(*SUPPRESSION_READERS))


def log_suppressions_read(actor, *, details: dict[str, Any], request=None) -> None:
    """Suppressed phones and e-mails are personal data: every read (page or API) is logged."""
    if not may_read_suppressions(actor):
        raise Forbidden(gettext("Solo OCM, el proveedor y control interno ven las exclusiones."))
    record("SUPPRESSIONS_VIEWED", actor=actor, request=request, details=details)


def normalize_suppression_value(value: str) -> str:
    """Phones to E.164 (Colombia by default), e-mails lower-cased, documents ``TYPE:NUMBER``."""
    from .cleaning import classify_phone_exact, phone_candidate

    raw = (value or "").strip()
    if not raw:
        raise Invalid(
            gettext("Escriba el teléfono, correo o documento."), code="required", field="value"
        )
    if "@" in raw:
        return raw.lower()
    if ":" in raw:
        kind, number = raw.split(":", 1)
        return person_key(kind.strip().upper(), number.strip().replace(".", "").replace(" ", ""))
    candidate = phone_candidate(raw)
    phone = classify_phone_exact(candidate)[0] if candidate else None
    if not phone:
        raise Invalid(
            gettext("«%(value)s» no es un teléfono válido.") % {"value": raw},
            code="invalid_phone",
            field="value",
        )
    return phone


def add_suppression(
    *,
    actor,
    channel: str,
    value: str,
    source: str = SuppressionSource.MANUAL,
    reason: str = "",
    request=None,
    evidence: dict | None = None,
) -> Suppression:
    """Exclude a phone, e-mail or document from a channel (or all).

    ``evidence`` names what carried the request (e.g. the inbound message of an opt-out reply)
    in the audit event; ``actor`` is ``None`` when the person asked for it themselves.
    """
    if actor is not None and not actor.has_role(Role.ANALISTA_OCM, Role.PROVEEDOR):
        raise Forbidden(gettext("Solo OCM o el proveedor administran las listas de exclusión."))
    if channel not in SuppressionChannel.values:
        raise Invalid(gettext("Canal no válido."), code="bad_channel", field="channel")
    if source not in SuppressionSource.values:
        raise Invalid(
            gettext("Origen de la exclusión no válido."), code="bad_source", field="source"
        )
    if source == SuppressionSource.MANUAL and not reason.strip():
        raise Invalid(
            gettext("Indique el motivo de la exclusión."), code="required", field="reason"
        )
    normalized = normalize_suppression_value(value)
    entry, created = Suppression.objects.get_or_create(
        channel=channel,
        value=normalized,
        defaults={"source": source, "reason": reason.strip(), "created_by": actor},
    )
    if created:
        record(
            "SUPPRESSION_ADDED",
            actor=actor,
            request=request,
            details={"channel": channel, "source": source, **(evidence or {})},
        )
    return entry


def load_rne(path: Path, *, actor, request=None) -> dict[str, int]:
    """Load the CRC's Registro de Números Excluidos (one number per line or a CSV column)."""
    from .cleaning import classify_candidates, phone_candidates

    if actor is not None and not actor.has_role(Role.ANALISTA_OCM, Role.PROVEEDOR):
        raise Forbidden(gettext("Solo OCM o el proveedor cargan el RNE."))
    try:
        read = read_base(path, max_bytes=settings.BRIEF_MAX_UPLOAD_BYTES)
    except BaseFileError as exc:
        raise Invalid(exc.message, code=exc.code, field="file") from exc
    column = next(
        (c for c in read.df.columns if propose_mapping([c])[c] in {"mobile", "landline"}),
        read.df.columns[0],
    )
    values = read.df[column]
    classified = classify_candidates(phone_candidates(values))
    numbers = [n for n in classified["e164"].to_list() if n]
    existing = set(
        Suppression.objects.filter(channel=SuppressionChannel.ALL, value__in=numbers).values_list(
            "value", flat=True
        )
    )
    fresh = sorted(set(numbers) - existing)
    with transaction.atomic():
        Suppression.objects.bulk_create(
            [
                Suppression(
                    channel=SuppressionChannel.ALL,
                    value=n,
                    source=SuppressionSource.RNE,
                    reason="RNE (CRC)",
                    created_by=actor,
                )
                for n in fresh
            ],
            batch_size=5000,
            ignore_conflicts=True,
        )
        record(
            "RNE_LOADED",
            actor=actor,
            request=request,
            details={"rows": len(values), "added": len(fresh)},
        )
    return {"rows": len(values), "valid": len(numbers), "added": len(fresh)}
