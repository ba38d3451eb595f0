"""The adapter contract every channel provider implements.

``send(batch)`` hands a batch of rendered messages to the provider and returns one
:class:`SendResult` per message, in any order. It never retries by itself: a message it could
not hand over is a result with ``accepted=False`` and ``permanent`` saying whether trying again
could help; a failure of the whole batch raises :class:`ProviderError`. The dispatcher owns
retries, backoff, rate limits and bookkeeping. ``lookup(ids)`` lets the dispatcher reconcile
messages left in ``sending`` after a crash (``None`` when the provider cannot tell).
``verify_callback(request)`` says whether a callback really comes from the provider (its
signature, or the account's shared secret for providers that do not sign); an adapter that
takes callbacks must say how it authenticates them: the base class refuses every callback.
``parse_callback(request)`` turns an authenticated callback into :class:`StatusUpdate`s and
:class:`InboundMessage`s (replies, mobile-originated messages), raising ``ValueError`` for a
body it cannot read (:func:`decode_json` bounds JSON); an adapter that does not implement it
takes no HTTP callbacks and its ``/hooks/<code>/`` answers 404. ``verify_subscription(request)``
answers a provider's ``GET`` handshake (WhatsApp's ``hub.challenge``; ``None`` refuses).
``callback_response(items, result)`` is the answer to an accepted callback (JSON counts by
default; Twilio wants TwiML for an incoming message).
Receipts that arrive on a provider connection instead of HTTP (SMPP ``deliver_sm``) produce the
same objects and go through the same path: :func:`brief.dispatch.hooks.ingest`.
Secrets come from :meth:`BaseProvider.secret` (options, ``<name>_file`` or ``<name>_env``).

A refused message or a failed status may name an ``effect``: what the provider's answer asks
of the dispatcher, one :class:`~brief.dispatch.choices.ErrorEffect` (fail, retry, slow the
account down, throttle, retry tomorrow, pause the sweep, suppress the recipient, flag a fallback
candidate). Each adapter states its provider's error codes and their effects in one ``ERRORS``
table of :class:`~brief.dispatch.choices.ErrorRule`; the dispatcher carries the effects out in
one place (:func:`brief.dispatch.actions.apply_provider_effects`), for send results and
callbacks alike.
A refusal that is the provider's trouble and not the message's (it did not answer in time,
refused the connection, answered 5xx or 429) is ``unavailable``, with the provider's
``Retry-After`` in ``retry_after`` (seconds) when it gave one: the dispatcher puts the message
back in the queue without counting a try, waits as asked, and counts the failure toward the
account's circuit breaker (:mod:`brief.dispatch.circuit`).
A status update may carry ``evidence`` (call duration, answering party, recording URL and
SID…), kept on the message.
Providers that do not sign authenticate with the account's ``callback_secret``
(:func:`signed_with_secret`). ``after_ingest(items)`` runs inside :func:`ingest`'s transaction
for what a status alone cannot say (a bounce's suppression, a soft bounce's retry).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import operator
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpResponse, JsonResponse
from django.utils.module_loading import import_string

from .options import resolve_secret

#: Header carrying the HMAC of a callback signed with the account's ``callback_secret``.
SIGNATURE_HEADER = "X-Brief-Signature"
#: Deepest JSON nesting a callback body may have (real providers use fewer than 10 levels).
MAX_JSON_DEPTH = 32


class ProviderError(Exception):
    """The provider refused or failed a whole batch."""

    def __init__(self, message: str, *, permanent: bool = False, code: str = ""):
        super().__init__(message)
        self.permanent = permanent
        self.code = code


@dataclass
class OutgoingMessage:
    """A rendered message ready for the wire."""

    id: int
    to: str
    channel: str
    text: str = ""
    subject: str = ""
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    params: list[str] = field(default_factory=list)  # WhatsApp template parameters
    button_params: list[str] = field(default_factory=list)  # WhatsApp URL button suffix
    template_name: str = ""
    language: str = ""
    sender: str = ""
    reply_to: str = ""
    media_url: str = ""  # a public, signed, expiring URL of the audio a voice message plays


@dataclass
class SendResult:
    id: int
    accepted: bool
    provider_message_id: str = ""
    permanent: bool = False
    code: str = ""
    detail: str = ""
    effect: str = ""  # an ErrorEffect the dispatcher carries out ("" = none)
    unavailable: bool = False  # the provider did not take it: 5xx, 429, timeout, no connection
    retry_after: float | None = None  # seconds the provider asked us to wait (Retry-After)


def unavailable_status(status: int) -> bool:
    """Whether an HTTP answer says the provider cannot take messages now (429, 5xx)."""
    return status == 429 or status >= 500


def retry_after(value: str | None) -> float | None:
    """Seconds of a ``Retry-After`` header (delta-seconds or an HTTP date; ``None`` if absent
    or unreadable), never negative, at most an hour."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        from django.utils import timezone

        seconds = (when - timezone.now()).total_seconds()
    return min(max(seconds, 0.0), 3600.0)


@dataclass
class StatusUpdate:
    """A status the provider reports for one of its message ids."""

    provider_message_id: str
    status: str  # one of MessageStatus
    at: Any = None
    code: str = ""
    detail: str = ""
    raw: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)
    effect: str = ""  # an ErrorEffect the dispatcher carries out ("" = none)


@dataclass
class InboundMessage:
    """A message a person sent us (reply, MO SMS, WhatsApp text or button reply)."""

    provider_message_id: str
    sender: str  # phone number (E.164 digits) or e-mail address
    text: str
    channel: str
    at: Any = None
    recipient: str = ""  # our number, short code or address it was sent to
    in_reply_to: str = ""  # the provider id of our message it answers, when known
    raw: dict[str, Any] = field(default_factory=dict)


class BaseProvider:
    """Base class of adapters; subclasses implement :meth:`send` (see module docstring)."""

    #: Whether raw callback payloads are stored as StatusEvent rows.
    store_events = True

    def __init__(self, account):
        self.account = account
        self.options: dict[str, Any] = dict(account.options or {})

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        raise NotImplementedError

    def lookup(self, ids: list[int]) -> dict[int, str | None]:
        """Status of our message ids as the provider knows it; ``None`` = cannot tell."""
        return dict.fromkeys(ids)

    def provider_id_for(self, message_id: int) -> str:
        """The provider's id of one of our messages when it can be derived ("" otherwise)."""
        return ""

    def secret(self, name: str) -> str:
        """A secret option, resolved at use time (see :mod:`brief.dispatch.providers.options`)."""
        return resolve_secret(self.options, name)

    def verify_callback(self, request) -> bool:
        """Whether an HTTP callback really comes from the provider; refused unless overridden."""
        return False

    def verify_subscription(self, request) -> str | None:
        """The answer to a provider's ``GET`` handshake on the callback URL (``None`` refuses)."""
        return None

    def parse_callback(self, request) -> list[StatusUpdate | InboundMessage]:
        raise NotImplementedError

    def parse_payload(self, payload: dict) -> list[StatusUpdate]:
        """Status updates of an already decoded payload (adapters that report from a task)."""
        raise NotImplementedError

    def callback_response(
        self, items: list[StatusUpdate | InboundMessage], result: dict[str, int]
    ) -> HttpResponse:
        """The answer to an accepted callback: what :func:`~brief.dispatch.hooks.ingest` did
        (``{"ok": true, "applied", "pending", "inbound"}``), as JSON."""
        return JsonResponse({"ok": True, **result})

    def after_ingest(self, items: list[StatusUpdate | InboundMessage]) -> None:
        """Writes beyond statuses for ``items`` just ingested (inside the same transaction)."""

    def close(self) -> None:
        """Release connections (called when a runner finishes)."""


def sign(secret: str, body: bytes) -> str:
    """The :data:`SIGNATURE_HEADER` value of ``body``: ``sha256=`` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed_with_secret(request, secret: str) -> bool:
    """Whether ``request`` carries the right :data:`SIGNATURE_HEADER` for ``secret`` (constant
    time; never without a secret) — how kinds whose provider does not sign authenticate."""
    if not secret:
        return False
    given = request.headers.get(SIGNATURE_HEADER, "")
    return hmac.compare_digest(given.encode(), sign(secret, request.body).encode())


def takes_callbacks(provider: BaseProvider) -> bool:
    """Whether the adapter reads HTTP callbacks at all (it implements ``parse_callback``)."""
    return type(provider).parse_callback is not BaseProvider.parse_callback


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level > MAX_JSON_DEPTH:
                break
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


# Deleting every byte but quotes and brackets; then brackets as +1 (opening) / -1 (closing),
# offset by one so that they fit in bytes (see :func:`_nesting`).
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_STEPS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")


def _nesting(body: bytes) -> int:
    """How deep the UTF-8 JSON text ``body`` nests, from its bytes (brackets inside strings do
    not count), with C loops only: escaped backslashes and quotes are dropped, so every
    remaining quote opens or closes a string, and the depth is the running sum of the steps."""
    text = body.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    steps = b"".join(text.split(b'"')[::2]).translate(_STEPS)
    return max(map(operator.sub, itertools.accumulate(steps), itertools.count(1)), default=0)


def _too_deep(body: bytes) -> bool:
    """Whether the JSON text ``body`` nests deeper than :data:`MAX_JSON_DEPTH`, read from the
    raw bytes before parsing."""
    if body.count(b"{") + body.count(b"[") <= MAX_JSON_DEPTH:
        return False  # fewer opening brackets than the bound (in any encoding): not deeper
    if json.detect_encoding(body) != "utf-8":
        return _depth(json.loads(body)) > MAX_JSON_DEPTH  # rare: walk the parsed value
    return _nesting(body) > MAX_JSON_DEPTH


def decode_json(body: bytes) -> dict[str, Any]:
    """A callback body as a JSON object; ``ValueError`` for anything else (not JSON, not an
    object, nested deeper than :data:`MAX_JSON_DEPTH`). The depth is bounded on the raw bytes
    before parsing, in C for the common case: a body with fewer opening brackets than the bound
    is not scanned at all."""
    body = body or b"{}"
    try:
        if _too_deep(body):
            raise ValueError("JSON nested too deep")
        payload = json.loads(body)
    except RecursionError as exc:
        raise ValueError("JSON nested too deep") from exc
    if not isinstance(payload, dict):
        raise ValueError("a JSON object was expected")
    return payload


def run_async(coroutine):
    """Run an adapter's asyncio work from the synchronous dispatcher (one loop per batch)."""
    import asyncio

    try:
        return asyncio.run(coroutine)
    except RuntimeError as exc:  # pragma: no cover - called from inside a running loop
        coroutine.close()
        raise ProviderError(str(exc)) from exc


def get_provider(account) -> BaseProvider:
    """Instantiate the adapter configured for ``account``."""
    return import_string(account.backend)(account)
