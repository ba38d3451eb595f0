"""Provider callbacks: one URL per provider account, ``/hooks/<code>/``, and one ingestion path.

Every callback is authenticated by the account's adapter (``verify_callback``: the provider's
signature, or the account's shared secret for providers that do not sign; the base adapter
refuses) and bounded (``BRIEF_CALLBACK_MAX_BYTES`` → 413, ``BRIEF_CALLBACK_MAX_EVENTS`` → 400,
a body the adapter cannot read → 400), then handed to :func:`ingest`, the one path every
receipt and reply takes, over HTTP or not (SMPP ``deliver_sm``): statuses written in batches,
idempotent by (account, provider id, status) and forward only; unknown ids answer 200 and are
counted as ``pending`` (kept until the send is recorded); inbound messages stored once with
their opt-outs honoured; the raw body kept as evidence until its legal retention date
(``brief.core.retention``). The answer
is the adapter's (:meth:`~brief.dispatch.providers.base.BaseProvider.callback_response`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Collection, Sequence

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from brief.core import calendar, retention

from .engine import apply_status_updates
from .inbound import record_inbound
from .models import CallbackPayload, CallbackReference, ProviderAccount, StatusEvent
from .providers.base import (
    BaseProvider,
    InboundMessage,
    StatusUpdate,
    get_provider,
    takes_callbacks,
)

log = logging.getLogger(__name__)

#: Steps of higher layers (dotted paths; dispatch never imports them) for statuses whose
#: provider id is no sweep's message: each takes ``(account, updates)``, applies those that
#: are its own (the contact center's conversation replies), marks their pending events
#: applied and answers how many it applied. Run inside :func:`ingest`'s transaction, and only
#: when some statuses were left pending, so a sweep's callbacks never pay for it.
UNMATCHED_STATUS_STEPS: tuple[str, ...] = ("brief.calls.actions.apply_reply_statuses",)


def ingest(
    account: ProviderAccount,
    items: Sequence[StatusUpdate | InboundMessage],
    *,
    raw: bytes | str | None = None,
    content_type: str = "",
    provider: BaseProvider | None = None,
) -> dict[str, int]:
    """Write what a provider reported: statuses, inbound messages and the raw evidence.

    The one entry point for every adapter (HTTP callbacks, SMPP receipts, mailbox readers).
    Answers ``{"applied", "pending", "inbound"}``: statuses applied, statuses for ids not (yet)
    ours, and new inbound messages stored. Safe to call twice with the same items.
    """
    provider = provider or get_provider(account)
    updates = [i for i in items if isinstance(i, StatusUpdate)]
    inbound = [i for i in items if isinstance(i, InboundMessage)]
    with transaction.atomic():
        if raw is not None:
            keep_payload(
                account, raw, content_type=content_type, items=len(items), ids=mentioned(items)
            )
        result = apply_status_updates(account.code, updates, store=provider.store_events)
        if result["pending"]:
            for step in UNMATCHED_STATUS_STEPS:
                taken = import_string(step)(account, updates)
                result["applied"] += taken
                result["pending"] -= taken
        result["inbound"] = record_inbound(account, inbound)
        provider.after_ingest(list(items))
    if result["pending"] and not connection.in_atomic_block:
        # A runner records a batch's sends, then applies the receipts waiting for them; a
        # receipt stored while that batch was being recorded can miss that look. Now that both
        # are committed, look once more: one of the two looks always sees the other.
        from .engine import apply_pending_events

        ids = [u.provider_message_id for u in updates if u.provider_message_id]
        taken = apply_pending_events(account.code, ids)
        result["applied"] += taken
        result["pending"] -= taken
    return result


def mentioned(items: Sequence[StatusUpdate | InboundMessage]) -> set[str]:
    """The provider message ids a callback's items name (what its body is about)."""
    ids = {i.provider_message_id for i in items}
    ids.update(i.in_reply_to for i in items if isinstance(i, InboundMessage))
    return {i[:120] for i in ids if i}


def keep_payload(
    account: ProviderAccount,
    raw: bytes | str,
    *,
    content_type: str = "",
    items: int = 0,
    ids: Collection[str] = (),
) -> None:
    """Keep a raw body as evidence until its retention date (an identical body once),
    encrypted at rest, with the provider ids it mentions (``ids``) beside it in plain."""
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    try:
        if b"\x00" in data:  # PostgreSQL text cannot hold NUL
            raise UnicodeDecodeError("utf-8", data, 0, 1, "NUL byte")
        body = data.decode("utf-8")
    except UnicodeDecodeError:  # binary (a PDU): kept as hex
        body, content_type = data.hex(), f"{content_type};hex"
    now = timezone.now()
    keep_until = calendar.end_of_day(retention.keep_until(timezone.localdate(now)))
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:  # every callback passes here: no ORM compiling
        cursor.execute(
            _PAYLOAD_SQL,
            [
                account.pk,
                hashlib.sha256(data).hexdigest(),
                _BODY.get_db_prep_save(body, connection),
                content_type[:120],
                adapt(now),
                adapt(keep_until),
                items,
            ],
        )
        row = cursor.fetchone()  # none: an identical body is kept already, with its ids
        ordered = sorted(ids) if row is not None else []
        for start in range(0, len(ordered), 450):  # one statement per 450 (a callback names a few)
            part = ordered[start : start + 450]
            cursor.execute(
                _REFERENCE_SQL + ", ".join(["(%s, %s)"] * len(part)),
                [value for pmid in part for value in (row[0], pmid)],
            )


_BODY = CallbackPayload._meta.get_field("body")  # encrypts as the model does
# One row per (account, digest): an identical body is kept once.
_PAYLOAD_SQL = (
    f"INSERT INTO {CallbackPayload._meta.db_table} "
    "(account_id, digest, body, content_type, received_at, keep_until, items) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id"
)
_REFERENCE_SQL = (
    f"INSERT INTO {CallbackReference._meta.db_table} (payload_id, provider_message_id) VALUES "
)


def purge_evidence(now: dt.datetime | None = None) -> dict[str, int]:
    """Delete raw payloads and status events past the legal retention (``core.retention``:
    the contract end plus the retention years, else the day received plus those years)."""
    now = now or timezone.now()
    payloads = CallbackPayload.objects.filter(keep_until__lt=now).delete()[0]
    today = timezone.localdate(now)
    if retention.contract_end_setting() is not None:
        cutoff = now if retention.keep_until() < today else None
    else:
        cutoff = calendar.end_of_day(retention.add_years(today, -retention.years()))
        cutoff -= dt.timedelta(days=1)
    events = StatusEvent.objects.filter(received_at__lt=cutoff).delete()[0] if cutoff else 0
    return {"payloads": payloads, "events": events}


def handle_payload(account_code: str, payload: dict) -> dict:
    """Apply a decoded payload of ``account_code`` in process (the simulated provider's task)."""
    account = ProviderAccount.objects.get(code=account_code)
    provider = get_provider(account)
    return ingest(account, provider.parse_payload(payload), provider=provider)


#: code → (the account's row as last read, the account, its adapter): the callbacks of an
#: account reuse one adapter per process for as long as its row stays the same.
_adapters: dict[str, tuple[tuple, ProviderAccount, BaseProvider]] = {}
_ACCOUNT_SQL = (
    f"SELECT {', '.join(f.column for f in ProviderAccount._meta.concrete_fields)} "
    f"FROM {ProviderAccount._meta.db_table} WHERE code = %s"
)


def callback_adapter(code: str) -> tuple[ProviderAccount, BaseProvider] | None:
    """The account ``code`` and its adapter (``None`` for an unknown code), built once per
    process and rebuilt as soon as any column of the account's row changed (a new secret,
    other options, another adapter). One indexed read per callback instead of building the
    account and the adapter each time. ``ImportError`` when the adapter is not installed.

    Adapters keep no state between callbacks (verify and parse read only the request and
    their options), so one instance serves every callback of its account.
    """
    with connection.cursor() as cursor:
        cursor.execute(_ACCOUNT_SQL, [code])
        row = cursor.fetchone()
    cached = _adapters.get(code)
    if row is not None and cached is not None and cached[0] == row:
        return cached[1], cached[2]
    _adapters.pop(code, None)
    account = ProviderAccount.objects.filter(code=code).first() if row is not None else None
    if account is None:
        return None
    provider = get_provider(account)
    _adapters[code] = (tuple(row), account, provider)
    return account, provider


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"errors": [{"code": code, "message": message, "field": None}]}, status=status
    )


def _too_big(request) -> bool:
    limit = settings.BRIEF_CALLBACK_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return True
    try:
        return len(request.body) > limit
    except RequestDataTooBig:
        return True


@csrf_exempt
@require_http_methods(["GET", "POST"])
def provider_callback(request, code: str):
    """``/hooks/<code>/``: authenticate, bound, parse, then :func:`ingest`."""
    try:
        found = callback_adapter(code)
    except ImportError:
        return _error(
            503, "adapter_missing", gettext("El adaptador de esta cuenta no está instalado.")
        )
    if found is None:
        return _error(404, "not_found", gettext("Proveedor desconocido."))
    account, provider = found
    if not takes_callbacks(provider):
        return _error(
            404,
            "no_callbacks",
            gettext("La cuenta «%(code)s» no recibe notificaciones por HTTP.")
            % {"code": account.code},
        )
    if request.method == "GET":
        answer = provider.verify_subscription(request)
        if answer is None:
            return _error(403, "bad_signature", gettext("Verificación rechazada."))
        return HttpResponse(answer, content_type="text/plain")
    if _too_big(request):
        return _error(413, "too_large", gettext("El contenido supera el tamaño máximo admitido."))
    if not provider.verify_callback(request):
        return _error(403, "bad_signature", gettext("Firma inválida."))
    try:
        items = provider.parse_callback(request)
    except NotImplementedError:
        return _error(
            404, "no_callbacks", gettext("Esta cuenta no recibe notificaciones por HTTP.")
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.info("unparseable callback for %s: %s", code, exc)
        return _error(400, "bad_payload", gettext("Contenido no válido."))
    if len(items) > settings.BRIEF_CALLBACK_MAX_EVENTS:
        return _error(
            400,
            "too_many_events",
            gettext("Demasiados eventos en una notificación (máximo %(max)s).")
            % {"max": settings.BRIEF_CALLBACK_MAX_EVENTS},
        )
    result = ingest(
        account, items, raw=request.body, content_type=request.content_type, provider=provider
    )
    return provider.callback_response(items, result)
