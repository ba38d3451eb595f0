"""WhatsApp Cloud API (Meta Graph API): template and text sends, signed webhooks, template
status.

Options: ``base_url`` (default ``https://graph.facebook.com``), ``api_version`` (``v21.0``),
``phone_number_id``, ``waba_id``, ``access_token``, ``app_secret``, ``verify_token``,
``timeout`` (seconds, default 30). Concurrent requests: the account's ``concurrency``.

Sends are ``POST {base_url}/{api_version}/{phone_number_id}/messages`` (template with the body
parameters ``{{n}}`` and, when the template has a URL button, the button's URL suffix: the
recipient's tracked-link token), or a session text message (an advisor's answer inside the
24-hour service window: an ``OutgoingMessage`` without ``template_name``); the answer's
``messages[0].id`` (the *wamid*) is the provider id. Webhooks come to
``/hooks/<account code>/``: the ``GET`` subscription check answers ``hub.challenge`` when
``hub.verify_token`` matches; a ``POST`` is genuine only when ``X-Hub-Signature-256`` is
``sha256=`` + HMAC-SHA256 of the raw body under ``app_secret``.
:data:`ERRORS` is the one table of Graph error codes and what they do to a message.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import aiohttp

from brief.dispatch.choices import ErrorEffect, ErrorRule

from .base import (
    BaseProvider,
    InboundMessage,
    OutgoingMessage,
    ProviderError,
    SendResult,
    StatusUpdate,
    decode_json,
    retry_after,
    run_async,
    unavailable_status,
)

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"
SIGNATURE_HEADER = "HTTP_X_HUB_SIGNATURE_256"


_TEMPLATE = ErrorRule(
    ErrorEffect.PAUSE_SWEEP, "Problema con la plantilla de WhatsApp (revísela en Meta)"
)

#: Graph error code → effect. Send answers and webhook ``errors[]`` both go through it.
ERRORS: dict[int, ErrorRule] = {
    131026: ErrorRule(
        ErrorEffect.FALLBACK,
        "Mensaje no entregable por WhatsApp (candidato a SMS)",
    ),
    131047: ErrorRule(
        ErrorEffect.FAIL,
        "Fuera de la ventana de 24 horas: solo se puede enviar una plantilla",
    ),
    131049: ErrorRule(
        ErrorEffect.RETRY_NEXT_DAY,
        "Límite de mensajes de marketing por persona: se reintenta mañana",
    ),
    131050: ErrorRule(
        ErrorEffect.SUPPRESS,
        "La persona dejó de recibir mensajes de marketing: excluida de WhatsApp",
    ),
    130429: ErrorRule(ErrorEffect.THROTTLE, "Límite de velocidad de la API de WhatsApp"),
    131056: ErrorRule(
        ErrorEffect.THROTTLE, "Demasiados mensajes seguidos al mismo número (límite por par)"
    ),
    190: ErrorRule(ErrorEffect.PAUSE_SWEEP, "Token de acceso de WhatsApp vencido o inválido"),
    **dict.fromkeys(range(132000, 132016), _TEMPLATE),
    132000: ErrorRule(
        ErrorEffect.PAUSE_SWEEP,
        "La plantilla de WhatsApp no tiene ese número de variables",
    ),
    132001: ErrorRule(
        ErrorEffect.PAUSE_SWEEP,
        "La plantilla de WhatsApp no existe en ese idioma o no está aprobada",
    ),
    132015: ErrorRule(ErrorEffect.PAUSE_SWEEP, "La plantilla de WhatsApp está en pausa (Meta)"),
    132016: ErrorRule(ErrorEffect.PAUSE_SWEEP, "La plantilla de WhatsApp está deshabilitada"),
}


def error_rule(code: int | str | None, *, http_status: int = 400) -> ErrorRule:
    """The rule of a Graph error code (unknown codes: 429 throttles, 5xx retry slower, others
    fail)."""
    try:
        number = int(code) if code is not None and code != "" else None
    except (TypeError, ValueError):
        number = None
    rule = ERRORS.get(number) if number is not None else None
    if rule is not None:
        return rule
    if http_status == 429:
        return ErrorRule(ErrorEffect.THROTTLE, "Límite de velocidad de la API de WhatsApp")
    if http_status >= 500:
        return ErrorRule(ErrorEffect.SLOW_DOWN, "Error temporal de la API de WhatsApp")
    return ErrorRule(ErrorEffect.FAIL, "WhatsApp rechazó el mensaje")


STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed"}


def sign(body: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` value of a body (what Meta sends, what the peer sends)."""
    digest = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _timestamp(value) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _inbound_text(message: dict[str, Any]) -> str:
    kind = message.get("type")
    if kind == "text":
        return str((message.get("text") or {}).get("body", ""))
    if kind == "button":
        button = message.get("button") or {}
        return str(button.get("text") or button.get("payload") or "")
    if kind == "interactive":
        interactive = message.get("interactive") or {}
        reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
        return str(reply.get("title") or reply.get("id") or "")
    media = message.get(kind) if isinstance(kind, str) else None
    caption = media.get("caption") if isinstance(media, dict) else None
    return str(caption or f"[{kind}]")


def parse_webhook(payload: dict[str, Any]) -> list[StatusUpdate | InboundMessage]:
    """Status updates and inbound messages of a decoded webhook body (``entry[].changes[]``)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise ValueError("not a WhatsApp webhook")
    out: list[StatusUpdate | InboundMessage] = []
    for entry in payload["entry"]:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            for status in value.get("statuses") or []:
                ours = STATUSES.get(status.get("status"))
                if ours is None or not status.get("id"):
                    continue  # "deleted", "warning"…: nothing for us
                code = detail = effect = ""
                if ours == "failed":
                    error = (status.get("errors") or [{}])[0]
                    rule = error_rule(error.get("code"))
                    code = str(error.get("code", ""))
                    details = (error.get("error_data") or {}).get("details") or error.get(
                        "message", error.get("title", "")
                    )
                    detail = f"{rule.label}. {details}".strip(". ")
                    effect = rule.effect
                out.append(
                    StatusUpdate(
                        provider_message_id=str(status["id"]),
                        status=ours,
                        at=_timestamp(status.get("timestamp")),
                        code=code,
                        detail=detail,
                        raw=status,
                        effect=effect,
                    )
                )
            metadata = value.get("metadata") or {}
            for message in value.get("messages") or []:
                if not message.get("id") or not message.get("from"):
                    continue
                out.append(
                    InboundMessage(
                        provider_message_id=str(message["id"]),
                        sender=str(message["from"]),
                        text=_inbound_text(message),
                        channel="whatsapp",
                        at=_timestamp(message.get("timestamp")),
                        recipient=str(
                            metadata.get("display_phone_number")
                            or metadata.get("phone_number_id")
                            or ""
                        ),
                        in_reply_to=str((message.get("context") or {}).get("id", "")),
                        raw={"message": message, "contacts": value.get("contacts") or []},
                    )
                )
    return out


class WhatsAppCloudProvider(BaseProvider):
    """Template (and session text) messages through the Cloud API over aiohttp; webhooks
    signed by Meta."""

    #: A sweep through this adapter needs a template Meta approved (see template sync).
    requires_approved_templates = True

    def __init__(self, account):
        super().__init__(account)
        o = self.options
        self.base_url = str(o.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        self.api_version = str(o.get("api_version") or DEFAULT_API_VERSION)
        self.phone_number_id = str(o.get("phone_number_id", ""))
        self.waba_id = str(o.get("waba_id", ""))
        self.timeout = float(o.get("timeout", 30))
        self.concurrency = max(1, int(account.concurrency or 8))

    # -- sending -----------------------------------------------------------------------

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}/{self.api_version}/{self.phone_number_id}/messages"

    def body(self, message: OutgoingMessage) -> dict[str, Any]:
        """The Graph request body of one message: a template, or a session text message
        (``"type": "text"``) when ``template_name`` is empty — only allowed by Meta inside the
        24-hour service window that the person's last message opened (else error 131047)."""
        if not message.template_name:
            return {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": message.to.lstrip("+"),
                "type": "text",
                "text": {"preview_url": False, "body": message.text},
            }
        components: list[dict[str, Any]] = []
        if message.params:
            components.append(
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": p} for p in message.params],
                }
            )
        if message.button_params:
            components.append(
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": "0",
                    "parameters": [{"type": "text", "text": p} for p in message.button_params],
                }
            )
        template: dict[str, Any] = {
            "name": message.template_name,
            "language": {"code": message.language or "es"},
        }
        if components:
            template["components"] = components
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.to.lstrip("+"),
            "type": "template",
            "template": template,
        }

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret('access_token')}"}

    async def _send_one(
        self, session: aiohttp.ClientSession, message: OutgoingMessage
    ) -> SendResult:
        try:
            async with session.post(self.messages_url, json=self.body(message)) as response:
                text = await response.text()
                status = response.status
                wait = retry_after(response.headers.get("Retry-After"))
        except (aiohttp.ClientError, TimeoutError) as exc:
            return SendResult(
                message.id,
                False,
                code="wa_connection",
                detail=str(exc)[:300] or "timeout",
                unavailable=True,
            )
        try:
            data = json.loads(text) if text else {}
        except ValueError:
            data = {}
        if status < 300:
            try:
                wamid = str(data["messages"][0]["id"])
            except (KeyError, IndexError, TypeError):
                return SendResult(
                    message.id, False, code="wa_bad_answer", detail=text[:300] or str(status)
                )
            return SendResult(message.id, True, provider_message_id=wamid)
        error = data.get("error") if isinstance(data, dict) else None
        error = error if isinstance(error, dict) else {}
        code = error.get("code")
        rule = error_rule(code, http_status=status)
        details = (error.get("error_data") or {}).get("details") or error.get("message") or text
        return SendResult(
            message.id,
            False,
            permanent=rule.permanent,
            code=str(code if code is not None else f"http_{status}"),
            detail=f"{rule.label}. {details}"[:300],
            effect=rule.effect,
            unavailable=unavailable_status(status),
            retry_after=wait,
        )

    async def _send_all(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        connector = aiohttp.TCPConnector(limit=self.concurrency)
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(
            connector=connector, timeout=timeout, headers=self._headers()
        ) as session:
            gate = asyncio.Semaphore(self.concurrency)

            async def one(message: OutgoingMessage) -> SendResult:
                async with gate:
                    return await self._send_one(session, message)

            return list(await asyncio.gather(*(one(m) for m in batch)))

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        if not batch:
            return []
        return run_async(self._send_all(batch))

    # -- template status ---------------------------------------------------------------

    async def _fetch_templates(self) -> list[dict[str, Any]]:
        url = f"{self.base_url}/{self.api_version}/{self.waba_id}/message_templates"
        params = {"limit": "100", "fields": "name,language,status,category,rejected_reason"}
        found: list[dict[str, Any]] = []
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(timeout=timeout, headers=self._headers()) as session:
            while True:
                async with session.get(url, params=params) as response:
                    data = await response.json(content_type=None)
                    if response.status >= 300:
                        error = (data or {}).get("error") or {}
                        raise ProviderError(
                            f"Graph {response.status}: {error.get('message', '')}"[:300],
                            code=str(error.get("code", response.status)),
                            permanent=response.status < 500,
                        )
                found.extend(data.get("data") or [])
                after = ((data.get("paging") or {}).get("cursors") or {}).get("after")
                if not after or not data.get("data"):
                    return found
                params = {**params, "after": after}

    def fetch_templates(self) -> list[dict[str, Any]]:
        """Every message template of the WhatsApp Business Account: ``name``, ``language``,
        ``status`` (``APPROVED``, ``REJECTED``, ``PAUSED``…) and ``rejected_reason``."""
        try:
            return run_async(self._fetch_templates())
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise ProviderError(f"No se pudo leer las plantillas: {exc}"[:300]) from exc

    # -- callbacks ---------------------------------------------------------------------

    def verify_callback(self, request) -> bool:
        """Meta's ``X-Hub-Signature-256`` of the raw body under ``app_secret``."""
        secret = self.secret("app_secret")
        given = request.META.get(SIGNATURE_HEADER, "")
        if not secret or not given:
            return False
        return hmac.compare_digest(given.encode(), sign(request.body, secret).encode())

    def verify_subscription(self, request) -> str | None:
        """Meta's ``GET`` check: ``hub.challenge`` back when ``hub.verify_token`` matches."""
        expected = self.secret("verify_token")
        token = request.GET.get("hub.verify_token", "")
        if (
            request.GET.get("hub.mode") != "subscribe"
            or not expected
            or not hmac.compare_digest(token.encode(), expected.encode())
        ):
            return None
        return request.GET.get("hub.challenge", "")

    def parse_payload(self, payload: dict) -> list[StatusUpdate | InboundMessage]:  # type: ignore[override]
        return parse_webhook(payload)

    def parse_callback(self, request) -> list[StatusUpdate | InboundMessage]:
        return parse_webhook(decode_json(request.body))
