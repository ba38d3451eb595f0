"""Twilio-compatible SMS (kind ``twilio_sms``) and voice blaster (kind ``twilio_voice``).

Options of both kinds (``auth_token`` may also come from ``auth_token_file`` or
``auth_token_env``): ``base_url`` (default ``https://api.twilio.com``; any gateway that speaks
Twilio's 2010-04-01 REST API), ``account_sid``, ``auth_token``, ``from`` (our number, E.164).
Optional: ``timeout`` (seconds per request, default 30) and ``concurrency`` (requests in flight,
default the account's ``concurrency``). Voice only: ``language`` (of ``<Say>``, default
``es-MX``), ``voice`` (a ``<Say>`` voice name), ``machine_detection`` (default ``Enable``),
``record`` (default true: the recording is the contact's evidence).

Sending is one ``POST {base_url}/2010-04-01/Accounts/{sid}/Messages.json`` (or ``Calls.json``)
per message with HTTP Basic ``sid:token``, hundreds in flight on one aiohttp session (httpx
degrades badly at that concurrency). The session, its connections and its event loop live as
long as the provider instance (one runner: every batch of a sweep's run reuses them) and are
released by :meth:`~TwilioProvider.close`; the form is encoded once per message from parts
encoded once per provider (``From``, ``StatusCallback``). The answer's ``sid`` is the provider
id. Twilio's JSON errors (``code``, ``message``, ``status``) and the ``ErrorCode`` of status
callbacks go through one table, :data:`ERRORS` (then :data:`HTTP_ERRORS`): invalid or unroutable
numbers fail for good, 21610 (the recipient replied STOP to the sender) fails and suppresses the
number, refused credentials pause the sweep, 429/503 throttle the account (the message goes back
to the queue) and other 5xx are retried while the account slows down. A throttling or
refused-account answer stops the rest of the batch, which goes back to the queue unsent.

Callbacks reach ``/hooks/<account code>/`` (the ``StatusCallback`` we send, absolute from
``SITE_URL``) and are authenticated by ``X-Twilio-Signature``: base64 HMAC-SHA1, keyed with the
auth token, of the public URL followed by every POST parameter's name and value, sorted by name.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
from collections.abc import Iterable
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote_plus, urlencode
from xml.sax.saxutils import escape, quoteattr

import aiohttp
from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from yarl import URL

from brief.dispatch.choices import ErrorEffect, ErrorRule, MessageStatus

from .base import (
    BaseProvider,
    InboundMessage,
    OutgoingMessage,
    SendResult,
    StatusUpdate,
    retry_after,
    unavailable_status,
)

API_VERSION = "2010-04-01"
DEFAULT_BASE_URL = "https://api.twilio.com"
SIGNATURE_HEADER = "X-Twilio-Signature"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

_TEMPORARY = ErrorRule(ErrorEffect.SLOW_DOWN, "Error temporal del proveedor")
_CREDENTIALS = ErrorRule(
    ErrorEffect.PAUSE_SWEEP, "Credenciales rechazadas por el proveedor (revise la cuenta)"
)

#: Twilio error code → effect. Send answers (``code`` of the JSON error) and status callbacks
#: (``ErrorCode``) both go through it.
ERRORS: dict[int, ErrorRule] = {
    # the number or the content is wrong: no retry can fix it
    21211: ErrorRule(ErrorEffect.FAIL, "Número de destino no válido"),
    21214: ErrorRule(ErrorEffect.FAIL, "El número de destino no puede recibir llamadas"),
    21217: ErrorRule(ErrorEffect.FAIL, "Número de destino no válido"),
    21401: ErrorRule(ErrorEffect.FAIL, "Número de destino no válido"),
    21408: ErrorRule(ErrorEffect.FAIL, "Destino no habilitado en la cuenta del proveedor"),
    21612: ErrorRule(ErrorEffect.FAIL, "El proveedor no puede enrutar a este número"),
    21614: ErrorRule(ErrorEffect.FAIL, "El número de destino no es un celular"),
    21617: ErrorRule(ErrorEffect.FAIL, "El mensaje supera la longitud máxima"),
    13224: ErrorRule(ErrorEffect.FAIL, "Número de destino no válido"),
    # the recipient replied STOP to our sender: suppressed for the channel
    21610: ErrorRule(ErrorEffect.SUPPRESS, "El destinatario se dio de baja (respondió STOP)"),
    # the account itself is refused: the rest of the batch would fail the same way
    20003: _CREDENTIALS,
    20005: ErrorRule(ErrorEffect.PAUSE_SWEEP, "Cuenta del proveedor suspendida o inactiva"),
    20429: ErrorRule(ErrorEffect.THROTTLE, "El proveedor pidió bajar el ritmo"),
    # delivery errors carried by status callbacks
    30003: ErrorRule(ErrorEffect.FAIL, "Teléfono apagado o fuera de cobertura"),
    30004: ErrorRule(ErrorEffect.FAIL, "Mensaje bloqueado por el destinatario"),
    30005: ErrorRule(ErrorEffect.FAIL, "Número desconocido o inexistente"),
    30006: ErrorRule(ErrorEffect.FAIL, "Número fijo o operador que no recibe SMS"),
    30007: ErrorRule(ErrorEffect.FAIL, "Filtrado por el operador"),
    30008: ErrorRule(ErrorEffect.FAIL, "Error desconocido del operador"),
}
#: HTTP status → effect, for answers whose Twilio code is not in :data:`ERRORS`.
HTTP_ERRORS: dict[int, ErrorRule] = {
    401: _CREDENTIALS,
    403: _CREDENTIALS,
    429: ErrorRule(ErrorEffect.THROTTLE, "El proveedor pidió bajar el ritmo"),
    503: ErrorRule(ErrorEffect.THROTTLE, "El proveedor está sobrecargado"),
}
# Effects after which the rest of a batch is not sent (it goes back to the queue unsent).
_STOPPING = frozenset({ErrorEffect.THROTTLE, ErrorEffect.PAUSE_SWEEP})


def error_rule(code: int | str | None, *, http_status: int = 400) -> ErrorRule:
    """The rule of a Twilio error code or, failing that, of the HTTP status (other 5xx retry
    slower; other 4xx fail)."""
    try:
        number = int(code) if code is not None and code != "" else 0
    except (TypeError, ValueError):
        number = 0
    rule = ERRORS.get(number) or HTTP_ERRORS.get(http_status)
    if rule is not None:
        return rule
    return _TEMPORARY if http_status >= 500 else ErrorRule(ErrorEffect.FAIL, "")


SMS_STATUSES = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.READ,
    "undelivered": MessageStatus.FAILED,
    "failed": MessageStatus.FAILED,
}
UNANSWERED_CALLS = {
    "busy": "Ocupado",
    "no-answer": "No contestó",
    "canceled": "Llamada cancelada",
}


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """Twilio's request signature: HMAC-SHA1 of the URL plus sorted ``name + value`` pairs
    (a repeated name with the same value counts once, as Twilio's own libraries do)."""
    data = url + "".join(name + value for name, value in sorted(set(params)))
    digest = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _error(status: int, body: bytes) -> tuple[int, str]:
    """``(Twilio error code, message)`` of an error answer (code 0 when it has none)."""
    try:
        data = json.loads(body)
    except ValueError:
        return 0, body[:200].decode("utf-8", "replace")
    if not isinstance(data, dict):
        return 0, str(data)[:200]
    try:
        code = int(data.get("code") or 0)
    except (TypeError, ValueError):
        code = 0
    return code, str(data.get("message") or f"HTTP {status}")


def _at(value: str | None):
    """A callback's RFC 2822 ``Timestamp`` as an aware datetime (``None`` if absent/bad)."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


class TwilioProvider(BaseProvider):
    """What the SMS and voice adapters share: the REST client, errors, signed callbacks."""

    resource = ""  # "Messages" or "Calls"

    def __init__(self, account):
        super().__init__(account)
        o = self.options
        self.base_url = str(o.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        self.account_sid = str(o.get("account_sid") or "")
        self.auth_token = self.secret("auth_token")
        self.sender = str(o.get("from") or "")
        self.timeout = float(o.get("timeout", 30))
        self.concurrency = max(1, int(o.get("concurrency") or account.concurrency or 8))
        self.endpoint = (
            f"{self.base_url}/{API_VERSION}/Accounts/{self.account_sid}/{self.resource}.json"
        )
        self._callback = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: aiohttp.ClientSession | None = None

    # -- sending ----------------------------------------------------------------------------

    def callback_url(self) -> str:
        return f"{settings.SITE_URL}{reverse('provider_callback', args=[self.account.code])}"

    def form(self, message: OutgoingMessage) -> dict[str, str]:
        raise NotImplementedError

    def body(self, message: OutgoingMessage) -> bytes:
        """The form of ``message`` as the request body (``application/x-www-form-urlencoded``,
        UTF-8, fields in :meth:`form`'s order)."""
        return urlencode(self.form(message)).encode("ascii")

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        if not batch:
            return []
        if not self._callback:
            self._callback = self.callback_url()
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(self._send_all(batch))

    def close(self) -> None:
        """Close the session (its connections) and the loop it runs on."""
        loop, session = self._loop, self._session
        self._loop = self._session = None
        if loop is None or loop.is_closed():
            return
        try:
            if session is not None and not session.closed:
                loop.run_until_complete(session.close())
        finally:
            loop.close()

    def _open_session(self) -> aiohttp.ClientSession:
        """The provider's session (made on first use, inside the provider's loop): Basic auth
        and the form content type computed once, connections kept between batches."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.concurrency, limit_per_host=self.concurrency
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                headers={
                    "Accept": "application/json",
                    "Authorization": aiohttp.encode_basic_auth(self.account_sid, self.auth_token),
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
        return self._session

    async def _send_all(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        queue: asyncio.Queue[OutgoingMessage] = asyncio.Queue()
        for message in batch:
            queue.put_nowait(message)
        results: list[SendResult] = []
        stop: list[SendResult] = []  # the answer that stopped the batch, if any
        session = self._open_session()
        url = URL(self.endpoint)
        workers = min(self.concurrency, len(batch))
        await asyncio.gather(
            *(self._worker(session, url, queue, results, stop) for _ in range(workers))
        )
        return results

    async def _worker(self, session, url: URL, queue, results: list[SendResult], stop) -> None:
        while not queue.empty():
            message = queue.get_nowait()
            if stop:  # the provider pushed back or refused the account: not sent
                first = stop[0]
                results.append(
                    SendResult(
                        message.id,
                        False,
                        code=first.code,
                        detail=f"No enviado: {first.detail}"[:300],
                        effect=first.effect,
                        retry_after=first.retry_after,
                    )
                )
                continue
            result = await self._post(session, url, message)
            if result.effect in _STOPPING:
                stop.append(result)
            results.append(result)

    async def _post(
        self, session: aiohttp.ClientSession, url: URL, message: OutgoingMessage
    ) -> SendResult:
        try:
            async with session.post(url, data=self.body(message)) as response:
                body = await response.read()
                status = response.status
                wait = retry_after(response.headers.get("Retry-After"))
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            timeout = isinstance(exc, TimeoutError)
            return SendResult(
                message.id,
                False,
                code="twilio_timeout" if timeout else "twilio_connection",
                detail=(str(exc) or exc.__class__.__name__)[:300],
                unavailable=True,
            )
        if status in (200, 201):
            try:
                sid = str(json.loads(body)["sid"])
            except (ValueError, KeyError, TypeError):
                detail = body[:300].decode("utf-8", "replace")
                return SendResult(message.id, False, code="twilio_bad_answer", detail=detail)
            return SendResult(message.id, True, provider_message_id=sid)
        return self.result_for_error(message.id, status, body, wait=wait)

    def result_for_error(
        self, message_id: int, status: int, body: bytes, *, wait: float | None = None
    ) -> SendResult:
        """Map an HTTP error answer to a result through :data:`ERRORS` (``wait``: the
        answer's ``Retry-After``)."""
        code, text = _error(status, body)
        rule = error_rule(code, http_status=status)
        return SendResult(
            message_id,
            False,
            permanent=rule.permanent,
            # push-back and server trouble are named by their HTTP status (429, 503…)
            code=f"twilio_{status if status == 429 or status >= 500 else code or status}",
            detail=f"{rule.label} ({text})"[:300] if rule.label else text[:300],
            effect=rule.effect,
            unavailable=unavailable_status(status),
            retry_after=wait,
        )

    # -- callbacks --------------------------------------------------------------------------

    def callback_response(
        self, items: list[StatusUpdate | InboundMessage], result: dict[str, int]
    ) -> HttpResponse:
        """Twilio reads the answer to an incoming message as TwiML: an empty ``<Response>``
        (no automatic reply). Status callbacks keep the JSON counts."""
        if any(isinstance(item, InboundMessage) for item in items):
            return HttpResponse(EMPTY_TWIML, content_type="text/xml")
        return super().callback_response(items, result)

    def public_url(self, request) -> str:
        """The URL Twilio signed: ours as the world sees it (``SITE_URL``), query included."""
        return f"{settings.SITE_URL}{request.get_full_path()}"

    def verify_callback(self, request) -> bool:
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not given or not self.auth_token:
            return False
        params = [(name, value) for name, values in request.POST.lists() for value in values]
        expected = signature(self.auth_token, self.public_url(request), params)
        return hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", "replace"))

    def parse_callback(self, request) -> list[StatusUpdate | InboundMessage]:
        return self.parse_form(request.POST.dict())

    def parse_payload(self, payload: dict) -> list[StatusUpdate]:
        return [u for u in self.parse_form(payload) if isinstance(u, StatusUpdate)]

    def parse_form(self, form: dict[str, str]) -> list[StatusUpdate | InboundMessage]:
        """Statuses of our messages or calls, and inbound SMS, from one callback's form."""
        if form.get("CallSid") and form.get("CallStatus"):
            update = _call_update(form)
            return [update] if update else []
        sid = form.get("MessageSid") or form.get("SmsSid")
        if not sid:
            raise ValueError("not a Twilio message or call callback")
        status = form.get("MessageStatus") or form.get("SmsStatus") or ""
        if status == "received" or (not status and "Body" in form):
            return [_inbound(sid, form)]
        if status not in SMS_STATUSES:
            return []  # queued, accepted, sending…: nothing we record
        error = str(form.get("ErrorCode") or "")
        rule = error_rule(error) if error else None
        return [
            StatusUpdate(
                provider_message_id=sid,
                status=SMS_STATUSES[status],
                code=f"twilio_{error}" if error else "",
                detail=(rule.label or f"Twilio: {status} ({error})") if rule else "",
                raw=dict(form),
                effect=rule.effect if rule else "",
            )
        ]


def _inbound(sid: str, form: dict[str, str]) -> InboundMessage:
    sender = form.get("From", "")
    channel = "whatsapp" if sender.startswith("whatsapp:") else "sms"
    return InboundMessage(
        provider_message_id=sid,
        sender=sender.removeprefix("whatsapp:"),
        text=form.get("Body", ""),
        channel=channel,
        recipient=form.get("To", "").removeprefix("whatsapp:"),
        raw=dict(form),
    )


def _call_update(form: dict[str, str]) -> StatusUpdate | None:
    """A call's final status: a person, an answering machine, no answer, or failure."""
    status = form["CallStatus"]
    answered_by = form.get("AnsweredBy", "")
    code = detail = ""
    if status == "completed":
        if answered_by.startswith("machine"):
            ours = MessageStatus.VOICEMAIL
            code, detail = f"answered_{answered_by}", "Contestó un buzón de voz"
        elif answered_by == "fax":
            ours = MessageStatus.FAILED
            code, detail = "answered_fax", "Contestó un fax"
        else:  # "human", or "unknown" / absent when detection could not tell
            ours = MessageStatus.DELIVERED
            if answered_by != "human":
                code, detail = "answered_unknown", "Contestada; no se pudo saber si fue una persona"
    elif status in UNANSWERED_CALLS:
        ours = MessageStatus.NO_ANSWER
        code, detail = f"twilio_{status}", UNANSWERED_CALLS[status]
    elif status == "failed":
        ours = MessageStatus.FAILED
        error = form.get("ErrorCode") or "failed"
        code, detail = f"twilio_{error}", "La llamada no se pudo hacer"
    else:
        return None  # queued, initiated, ringing, in-progress
    evidence: dict[str, Any] = {"call_sid": form["CallSid"], "call_status": status}
    if answered_by:
        evidence["answered_by"] = answered_by
    duration = form.get("CallDuration") or form.get("Duration")
    if duration:
        with contextlib.suppress(ValueError):
            evidence["duration_seconds"] = int(duration)
    for name, key in (("RecordingUrl", "recording_url"), ("RecordingSid", "recording_sid")):
        if form.get(name):
            evidence[key] = form[name]
    return StatusUpdate(
        provider_message_id=form["CallSid"],
        status=ours,
        at=_at(form.get("Timestamp")),
        code=code,
        detail=detail,
        raw=dict(form),
        evidence=evidence,
    )


class TwilioSMSProvider(TwilioProvider):
    """SMS through Twilio's Messages API (or any Twilio-compatible gateway)."""

    resource = "Messages"
    _encoded: tuple[str, str, str] | None = None  # (callback URL, "&From=…&Body=", "&Status…")

    def form(self, message: OutgoingMessage) -> dict[str, str]:
        return {
            "To": message.to,
            "From": self.sender,
            "Body": message.text,
            "StatusCallback": self._callback,
        }

    def body(self, message: OutgoingMessage) -> bytes:
        # what urlencode(self.form(message)) gives, with the per-account fields encoded once
        if self._encoded is None or self._encoded[0] != self._callback:
            sender = f"&From={quote_plus(self.sender)}&Body="
            callback = f"&StatusCallback={quote_plus(self._callback)}"
            self._encoded = (self._callback, sender, callback)
        _, sender, callback = self._encoded
        return f"To={quote_plus(message.to)}{sender}{quote_plus(message.text)}{callback}".encode()


class TwilioVoiceProvider(TwilioProvider):
    """Recorded-voice calls ("blaster") through Twilio's Calls API: TwiML ``<Say>`` of the
    template's text, or ``<Play>`` of its audio creative (a signed, expiring URL)."""

    resource = "Calls"

    def __init__(self, account):
        super().__init__(account)
        o = self.options
        self.language = str(o.get("language") or "es-MX")
        self.voice = str(o.get("voice") or "")
        self.machine_detection = str(o.get("machine_detection") or "Enable")
        self.record = o.get("record", True) not in (False, "false", "0", 0)

    def twiml(self, message: OutgoingMessage) -> str:
        if message.media_url:
            return f"<Response><Play>{escape(message.media_url)}</Play></Response>"
        voice = f" voice={quoteattr(self.voice)}" if self.voice else ""
        return (
            f"<Response><Say language={quoteattr(self.language)}{voice}>"
            f"{escape(message.text)}</Say></Response>"
        )

    def form(self, message: OutgoingMessage) -> dict[str, str]:
        form = {
            "To": message.to,
            "From": self.sender,
            "Twiml": self.twiml(message),
            "MachineDetection": self.machine_detection,
            "StatusCallback": self._callback,
            "StatusCallbackEvent": "completed",
            "StatusCallbackMethod": "POST",
        }
        if self.record:
            form["Record"] = "true"
        return form
