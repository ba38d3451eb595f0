"""A WhatsApp Cloud API (Graph) stand-in on 127.0.0.1, for tests, the benchmark and the demo.

``GraphPeer`` is a real HTTP server (aiohttp, in its own thread): it checks the Bearer token,
answers template and session text sends with wamids (or with the Graph error object of a code
chosen per recipient), lists message templates in pages (``paging.cursors.after``), and
builds and POSTs webhooks signed with the app secret exactly as Meta does (statuses,
duplicated and shuffled, and inbound messages).

With ``reporting`` (the demo, :meth:`GraphPeer.demo`) it also reports on every send it accepts,
on its own, as Meta does: signed webhooks to ``Reporting.url`` with ``sent``, ``delivered`` and
``read`` a few seconds apart (or ``failed`` with a Graph error code), and now and then the
recipient's reply as an inbound ``messages[]`` webhook.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
import threading
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from brief.dispatch.providers.whatsapp_cloud import sign

PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "15550783881"
WABA_ID = "102290129340398"

log = logging.getLogger(__name__)

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


#: The demo's outcomes of accepted sends, in turn: 7 of 10 read, 2 delivered, 1 failed.
DEMO_OUTCOMES = ("read", "read", "delivered", "read", "failed", "read", "read", "delivered",
                 "read", "read")  # fmt: skip
DEMO_REPLIES = ("BAJA", "Gracias, ¿dónde veo los requisitos?", "Me interesa")


@dataclass
class Reporting:
    """What the stand-in reports on each accepted send, as signed webhooks POSTed to ``url``.

    The n-th send ends as ``outcomes[n % len]`` (``read``, ``delivered``, ``sent`` or
    ``failed`` with ``failed_code``); ``sent`` comes ``delays[0]`` seconds after the send,
    ``delivered`` ``delays[1]``, ``read`` ``delays[2]`` (each plus up to ``jitter`` seconds at
    random). Every ``reply_every``-th send that was not failed gets a reply from ``replies`` (in
    turn) ``reply_delay`` seconds after its last status. Statuses due together leave in one
    webhook, as Meta batches them.
    """

    url: str
    outcomes: tuple[str, ...] = DEMO_OUTCOMES
    failed_code: int = 131026
    delays: tuple[float, float, float] = (1.0, 3.0, 6.0)
    jitter: float = 2.0
    reply_every: int = 4
    replies: tuple[str, ...] = DEMO_REPLIES
    reply_delay: float = 2.0
    tick: float = 0.5  # seconds between webhook batches
    seed: int = 7


class GraphPeer:
    """The stand-in server: ``with GraphPeer() as peer: … peer.base_url …``.

    ``fail[recipient] = code`` makes sends to that number answer that Graph error;
    ``templates`` is what ``message_templates`` lists; ``sent`` records every accepted send
    (wamid → request body); ``reporting`` makes it post the sends' statuses and replies back
    (``posted`` counts the webhooks Brief answered 200, ``refused`` the others).
    """

    def __init__(
        self,
        *,
        access_token: str = "peer-token",
        app_secret: str = "peer-secret",
        templates: list[dict[str, Any]] | None = None,
        page_size: int = 2,
        port: int = 0,
        reporting: Reporting | None = None,
    ):
        self.access_token = access_token
        self.app_secret = app_secret
        self.templates = templates or []
        self.page_size = page_size
        self.reporting = reporting
        self.fail: dict[str, int] = {}
        self.sent: dict[str, dict[str, Any]] = {}
        self.unauthorized = 0
        self.posted = 0
        self.refused = 0
        self._ids = itertools.count(1)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._due: list[tuple[float, str, dict[str, Any]]] = []  # (when, kind, item)
        self._rng = random.Random(reporting.seed if reporting else 0)
        self._reporter: asyncio.Task | None = None
        self.port = port

    @classmethod
    def demo(
        cls, url: str, *, pace: float = 1.0, templates: list[dict[str, Any]] | None = None, **kw
    ) -> GraphPeer:
        """The stand-in of ``brief demo_peers``: reports to ``url`` (Brief's ``/hooks/<code>/``)
        with the demo's mix and delays (times ``pace``)."""
        reporting = Reporting(
            url=url,
            delays=(1.0 * pace, 3.0 * pace, 6.0 * pace),
            jitter=2.0 * pace,
            reply_delay=2.0 * pace,
            tick=min(0.5, max(0.05, 0.5 * pace)),
        )
        return cls(templates=templates, page_size=25, reporting=reporting, **kw)

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
        if data.get("type") == "text":  # a session message: a non-empty text body
            valid = bool(str((data.get("text") or {}).get("body") or "").strip())
        else:
            valid = (
                data.get("type") == "template"
                and bool(template.get("name"))
                and bool((template.get("language") or {}).get("code"))
            )
        if (
            request.match_info["phone"] != PHONE_NUMBER_ID
            or data.get("messaging_product") != "whatsapp"
            or not valid
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
        if self.reporting is not None:
            self._plan(len(self.sent) - 1, wamid, to)
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
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        if self.reporting is not None:
            self._reporter = asyncio.ensure_future(self._report(self.reporting))

    def __enter__(self) -> GraphPeer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc) -> None:
        if self._reporter is not None:
            self._loop.call_soon_threadsafe(self._reporter.cancel)
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    # -- reporting (the demo) ----------------------------------------------------------

    def _plan(self, n: int, wamid: str, to: str) -> None:
        """Schedule the statuses (and maybe a reply) of the ``n``-th accepted send."""
        assert self.reporting is not None
        report = self.reporting
        outcome = report.outcomes[n % len(report.outcomes)]
        steps = {"failed": ["failed"], "sent": ["sent"], "delivered": ["sent", "delivered"]}.get(
            outcome, ["sent", "delivered", "read"]
        )
        now = time.monotonic()
        when = now
        for status, delay in zip(steps, report.delays, strict=False):
            when = max(when, now + delay + report.jitter * self._rng.random())
            item = status_item(
                wamid, status, to, code=report.failed_code if status == "failed" else None
            )
            self._due.append((when, "status", item))
        if outcome != "failed" and report.reply_every and n % report.reply_every == 0:
            text = report.replies[(n // report.reply_every) % len(report.replies)]
            reply = inbound_item(to, text, wamid=f"wamid.R{wamid[6:]}", context_id=wamid)
            self._due.append((when + report.reply_delay, "reply", reply))

    async def _report(self, report: Reporting) -> None:
        """Post what is due every ``tick``: one webhook for the statuses, one per reply."""
        async with aiohttp.ClientSession() as session:
            while True:
                await asyncio.sleep(report.tick)
                now = time.monotonic()
                due = [d for d in self._due if d[0] <= now]
                if not due:
                    continue
                self._due = [d for d in self._due if d[0] > now]
                due.sort(key=lambda d: d[0])
                statuses = [item for _, kind, item in due if kind == "status"]
                payloads = [status_payload(statuses)] if statuses else []
                payloads += [
                    inbound_payload([item], name="") for _, kind, item in due if kind == "reply"
                ]
                for payload in payloads:
                    await self._post(session, report.url, payload)

    async def _post(self, session: aiohttp.ClientSession, url: str, payload: dict) -> None:
        body, signature = self.signed(payload)
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": signature,
            "User-Agent": "facebookexternalua",
        }
        try:
            async with session.post(url, data=body, headers=headers) as answer:
                ok = answer.status == 200
        except (aiohttp.ClientError, OSError) as exc:  # Brief not up yet: Meta would retry
            log.warning("graph stand-in: webhook to %s failed: %s", url, exc)
            ok = False
        if ok:
            self.posted += 1
        else:
            self.refused += 1

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
