"""A WhatsApp Cloud API (Graph) stand-in on 127.0.0.1, for tests, the benchmark and the demo.

``GraphPeer`` is a real HTTP server (aiohttp, in its own thread): it checks the Bearer token,
answers template sends with wamids (or with the Graph error object of a code chosen per
recipient), lists message templates in pages (``paging.cursors.after``), and builds and POSTs
webhooks signed with the app secret exactly as Meta does (statuses, duplicated and shuffled,
and inbound messages).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import threading
import time
import urllib.request
from typing import Any

from aiohttp import web

from brief.dispatch.providers.whatsapp_cloud import sign

PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "15550783881"
WABA_ID = "102290129340398"

# Error answers of the Graph API, by code (HTTP status, title).
ERROR_TITLES: dict[int, tuple[int, str]] = {
    131026: (400, "Message undeliverable"),
    131047: (400, "Re-engagement message"),
    131049: (400, "This message was not delivered to maintain healthy ecosystem engagement."),
    131050: (400, "Unable to deliver the message. This recipient has chosen to stop receiving "
                  "marketing messages on WhatsApp from your business"),
    130429: (400, "Rate limit hit"),
    131056: (400, "(Business Account, Consumer Account) pair rate limit hit"),
    132000: (400, "Number of parameters does not match the expected number of params"),
    132001: (404, "Template name does not exist in the translation"),
    132015: (400, "Template is Paused"),
    190: (401, "Error validating access token: Session has expired"),
}  # fmt: skip


def error_body(code: int, details: str = "") -> tuple[int, dict[str, Any]]:
    """HTTP status and Graph error object for ``code``."""
    status, title = ERROR_TITLES.get(code, (400, "Generic user error"))
    return status, {
        "error": {
            "message": f"(#{code}) {title}",
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details or title},
            "fbtrace_id": "A1b2C3d4E5f6",
        }
    }


def envelope(value: dict[str, Any]) -> dict[str, Any]:
    """A webhook body around one ``value`` (``entry[].changes[]``)."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA_ID,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": DISPLAY_NUMBER,
                                "phone_number_id": PHONE_NUMBER_ID,
                            },
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def status_item(
    wamid: str, status: str, recipient: str, *, at: int | None = None, code: int | None = None
) -> dict[str, Any]:
    """One ``statuses[]`` element as Meta writes it."""
    item: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(at or int(time.time())),
        "recipient_id": recipient.lstrip("+"),
    }
    if status in {"sent", "delivered"}:
        item["conversation"] = {
            "id": "b7e6c0f1d2a34e5f9a8b7c6d5e4f3a2b",
            "origin": {"type": "marketing"},
        }
        item["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "marketing"}
    if status == "failed":
        _status, body = error_body(code or 131026)
        error = body["error"]
        item["errors"] = [
            {
                "code": code or 131026,
                "title": error["error_data"]["details"],
                "message": error["error_data"]["details"],
                "error_data": {"details": error["error_data"]["details"]},
            }
        ]
    return item


def inbound_item(
    sender: str, text: str, *, wamid: str, context_id: str = "", kind: str = "text"
) -> dict[str, Any]:
    """One ``messages[]`` element: a text, a template quick-reply button or an interactive reply."""
    item: dict[str, Any] = {
        "from": sender.lstrip("+"),
        "id": wamid,
        "timestamp": str(int(time.time())),
        "type": kind,
    }
    if kind == "text":
        item["text"] = {"body": text}
    elif kind == "button":
        item["button"] = {"text": text, "payload": text.upper()}
    else:
        item["interactive"] = {"type": "button_reply", "button_reply": {"id": "r1", "title": text}}
    if context_id:
        item["context"] = {"from": DISPLAY_NUMBER, "id": context_id}
    return item


def inbound_payload(items: list[dict[str, Any]], name: str = "Ana Pérez") -> dict[str, Any]:
    return envelope(
        {
            "contacts": [{"profile": {"name": name}, "wa_id": items[0]["from"]}] if items else [],
            "messages": items,
        }
    )


def status_payload(items: list[dict[str, Any]]) -> dict[str, Any]:
    return envelope({"statuses": items})


def signed(payload: dict[str, Any], app_secret: str) -> tuple[bytes, str]:
    """The raw body and its ``X-Hub-Signature-256`` header value."""
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return body, sign(body, app_secret)


def lifecycle(
    sent: dict[str, str], *, final: str = "read", duplicates: float = 0.1, seed: int = 7
) -> list[dict[str, Any]]:
    """Status items for wamid → recipient: sent, delivered (and read), with ``duplicates`` of
    them repeated and all shuffled (Meta's delivery order is not guaranteed)."""
    steps = {"sent": ["sent"], "delivered": ["sent", "delivered"]}.get(
        final, ["sent", "delivered", "read"]
    )
    now = int(time.time())
    items = [
        status_item(wamid, status, to, at=now + k)
        for wamid, to in sent.items()
        for k, status in enumerate(steps)
    ]
    rng = random.Random(seed)
    items += rng.sample(items, int(len(items) * duplicates))
    rng.shuffle(items)
    return items


class GraphPeer:
    """The stand-in server: ``with GraphPeer() as peer: … peer.base_url …``.

    ``fail[recipient] = code`` makes sends to that number answer that Graph error;
    ``templates`` is what ``message_templates`` lists; ``sent`` records every accepted send
    (wamid → request body).
    """

    def __init__(
        self,
        *,
        access_token: str = "peer-token",
        app_secret: str = "peer-secret",
        templates: list[dict[str, Any]] | None = None,
        page_size: int = 2,
    ):
        self.access_token = access_token
        self.app_secret = app_secret
        self.templates = templates or []
        self.page_size = page_size
        self.fail: dict[str, int] = {}
        self.sent: dict[str, dict[str, Any]] = {}
        self.unauthorized = 0
        self._ids = itertools.count(1)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def options(self, **extra: Any) -> dict[str, Any]:
        """Provider-account options pointing at this peer."""
        return {
            "base_url": self.base_url,
            "api_version": "v21.0",
            "phone_number_id": PHONE_NUMBER_ID,
            "waba_id": WABA_ID,
            "access_token": self.access_token,
            "app_secret": self.app_secret,
            "verify_token": "peer-verify",
            **extra,
        }

    # -- server ------------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> bool:
        if request.headers.get("Authorization") == f"Bearer {self.access_token}":
            return True
        self.unauthorized += 1
        return False

    async def _messages(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            status, body = error_body(190)
            return web.json_response(body, status=status)
        data = await request.json()
        template = data.get("template") or {}
        if (
            request.match_info["phone"] != PHONE_NUMBER_ID
            or data.get("messaging_product") != "whatsapp"
            or data.get("type") != "template"
            or not template.get("name")
            or not (template.get("language") or {}).get("code")
        ):
            status, body = error_body(100, "Invalid parameter")
            return web.json_response(body, status=status)
        to = str(data.get("to", ""))
        code = self.fail.get(to)
        if code:
            status, body = error_body(code)
            return web.json_response(body, status=status)
        wamid = f"wamid.HBgM{next(self._ids):012d}FQIAERgS"
        self.sent[wamid] = data
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": wamid, "message_status": "accepted"}],
            }
        )

    async def _templates(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            status, body = error_body(190)
            return web.json_response(body, status=status)
        start = int(request.query.get("after") or 0)
        limit = min(int(request.query.get("limit") or 25), self.page_size)
        page = self.templates[start : start + limit]
        paging: dict[str, Any] = {"cursors": {"before": str(start)}}
        if start + limit < len(self.templates):
            paging["cursors"]["after"] = str(start + limit)
            paging["next"] = f"{self.base_url}{request.path}?after={start + limit}"
        return web.json_response({"data": page, "paging": paging})

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/{version}/{phone}/messages", self._messages)
        app.router.add_get("/{version}/{waba}/message_templates", self._templates)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def __enter__(self) -> GraphPeer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    # -- webhooks ----------------------------------------------------------------------

    def signed(self, payload: dict[str, Any]) -> tuple[bytes, str]:
        return signed(payload, self.app_secret)

    def post_webhook(self, url: str, payload: dict[str, Any], *, signature: str | None = None):
        """POST a webhook to ``url`` as Meta does; returns (HTTP status, body text)."""
        body, good = self.signed(payload)
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": good if signature is None else signature,
                "User-Agent": "facebookexternalua",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
