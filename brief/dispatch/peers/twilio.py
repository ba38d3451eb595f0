"""A Twilio-compatible REST server on 127.0.0.1, for tests, the demo and ``brief bench``.

It speaks the part of Twilio's 2010-04-01 API Brief uses: ``POST …/Accounts/{sid}/Messages.json``
and ``…/Calls.json`` with HTTP Basic auth, answering ``201`` with a new ``SM…``/``CA…`` sid in
Twilio's JSON shape, or Twilio's JSON errors (``20003`` bad credentials, ``21211`` invalid
``To``, anything scripted in :attr:`TwilioPeer.errors`, ``429`` for the next
:attr:`TwilioPeer.throttle` requests), and an outage scripted in :attr:`TwilioPeer.outage`: one
entry per request, in order — ``"503"`` (or any 5xx), ``"429:S"`` (``Retry-After: S``) or
``"hang:S"`` (answer nothing for S seconds, then 503: past the client's timeout); a request
that meets the outage creates no message. It records the requests (with their arrival time), and
posts status callbacks to the ``StatusCallback`` of a recorded request, signed as Twilio signs
them (by itself for every ``deliver_every``-th message, when asked to).

Run standalone (the benchmark does): ``python -m brief.dispatch.peers.twilio PORT SID TOKEN``
prints ``ready`` and serves until its standard input closes; ``GET /_peer/stats`` answers the
number of requests received.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import sys
import threading
import time
import uuid
from email.utils import formatdate
from urllib.parse import urlencode

from aiohttp import ClientSession, web
from aiohttp import client_exceptions as aiohttp_errors

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
API = "/2010-04-01/Accounts/{sid}/{resource}.json"


def sign(auth_token: str, url: str, form: dict[str, str]) -> str:
    """``X-Twilio-Signature`` of a form posted to ``url`` (written apart from the adapter's
    check, so the tests compare two implementations of Twilio's rule)."""
    mac = hmac.new(auth_token.encode(), digestmod=hashlib.sha1)
    mac.update(url.encode())
    for name in sorted(form):
        mac.update(f"{name}{form[name]}".encode())
    return base64.b64encode(mac.digest()).decode()


class TwilioPeer:
    """The server; use as a context manager (``with TwilioPeer() as peer: peer.base_url``)."""

    def __init__(
        self,
        account_sid: str = "AC" + "0" * 32,
        auth_token: str = "peer-token",
        *,
        record: bool = True,
        port: int = 0,
        deliver_every: int = 0,
    ):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.record = record
        self.port = port
        self.received = 0
        self.requests: list[dict] = []  # {"resource", "sid", "form"}
        self.errors: dict[str, tuple[int, int, str]] = {}  # To → (HTTP status, code, message)
        self.throttle = 0
        self.outage: list[str] = []  # scripted failures, one per request (see module doc)
        self.failed = 0  # requests answered by the outage
        self.by_sid: dict[str, dict] = {}
        # every ``deliver_every``-th message gets a signed "delivered" callback, posted by the
        # peer itself a moment after it answered (0: none; tests post their own)
        self.deliver_every = deliver_every
        self.callbacks: dict[int, int] = {}  # HTTP status of the callbacks posted → count
        self._pending: set[asyncio.Task] = set()
        self._session: ClientSession | None = None
        self._expected_auth = "Basic " + base64.b64encode(
            f"{account_sid}:{auth_token}".encode()
        ).decode("ascii")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- HTTP -------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(API.format(sid="{sid}", resource="{resource}"), self._create)
        app.router.add_get("/_peer/stats", self._stats)
        return app

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response({"received": self.received})

    @staticmethod
    def _fail(status: int, code: int, message: str) -> web.Response:
        return web.json_response(
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
            status=status,
        )

    async def _outage(self, fault: str) -> web.Response:
        self.failed += 1
        kind, _, arg = fault.partition(":")
        if kind == "hang":
            await asyncio.sleep(float(arg or 60))
            return self._fail(503, 20503, "Service Unavailable")
        if kind == "429":
            response = self._fail(429, 20429, "Too Many Requests")
            if arg:
                response.headers["Retry-After"] = arg
            return response
        return self._fail(int(kind), 20500, "Service Unavailable")

    async def _create(self, request: web.Request) -> web.Response:
        self.received += 1
        if request.headers.get("Authorization") != self._expected_auth:
            return self._fail(401, 20003, "Authenticate")
        resource = request.match_info["resource"]
        if request.match_info["sid"] != self.account_sid or resource not in {"Messages", "Calls"}:
            return self._fail(404, 20404, "The requested resource was not found")
        form = dict(await request.post())
        if self.outage:
            return await self._outage(self.outage.pop(0))
        if self.throttle > 0:
            self.throttle -= 1
            return self._fail(429, 20429, "Too Many Requests")
        to = str(form.get("To", ""))
        if to in self.errors:
            return self._fail(*self.errors[to])
        if not E164.match(to):
            return self._fail(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not form.get("From"):
            return self._fail(400, 21603, "A 'From' phone number is required.")
        if resource == "Messages" and not form.get("Body"):
            return self._fail(400, 21602, "Message body is required.")
        if resource == "Calls" and not (form.get("Twiml") or form.get("Url")):
            return self._fail(400, 21205, "Url or Twiml is required.")
        sid = ("SM" if resource == "Messages" else "CA") + uuid.uuid4().hex
        if self.record:
            entry = {
                "resource": resource,
                "sid": sid,
                "form": {k: str(v) for k, v in form.items()},
                "at": time.time(),  # this machine's clock: tests compare with start times
            }
            self.requests.append(entry)
            self.by_sid[sid] = entry
        if self.deliver_every and self.received % self.deliver_every == 0 and self.record:
            task = asyncio.create_task(self._deliver(sid))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
        now = formatdate(usegmt=True)
        uri = API.format(sid=self.account_sid, resource=resource)
        common = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": form.get("From"),
            "status": "queued",
            "date_created": now,
            "date_updated": now,
            "api_version": "2010-04-01",
            "uri": uri.replace(".json", f"/{sid}.json"),
        }
        if resource == "Messages":
            body = str(form.get("Body", ""))
            extra = {
                "body": body,
                "direction": "outbound-api",
                "num_segments": "1",
                "num_media": "0",
                "error_code": None,
                "error_message": None,
                "price": None,
                "price_unit": "USD",
                "messaging_service_sid": None,
                "date_sent": None,
            }
        else:
            extra = {"direction": "outbound-api", "answered_by": None, "duration": None}
        return web.json_response({**common, **extra}, status=201)

    # -- callbacks --------------------------------------------------------------------------

    def callback(self, sid: str, status: str, **extra: str) -> tuple[str, dict[str, str], str]:
        """``(StatusCallback URL, form, signature)`` of a status callback for ``sid``, in the
        shape Twilio posts (SMS: ``MessageStatus``…; calls: ``CallStatus``, ``AnsweredBy``…)."""
        entry = self.by_sid[sid]
        sent = entry["form"]
        if entry["resource"] == "Messages":
            form = {
                "SmsSid": sid,
                "SmsStatus": status,
                "MessageStatus": status,
                "To": sent["To"],
                "MessageSid": sid,
                "AccountSid": self.account_sid,
                "From": sent["From"],
                "ApiVersion": "2010-04-01",
            }
        else:
            form = {
                "Called": sent["To"],
                "ToState": "",
                "CallerCountry": "CO",
                "Direction": "outbound-api",
                "Timestamp": formatdate(usegmt=True),
                "CallbackSource": "call-progress-events",
                "SequenceNumber": "0",
                "CallSid": sid,
                "To": sent["To"],
                "ToCountry": "CO",
                "ApiVersion": "2010-04-01",
                "CallStatus": status,
                "From": sent["From"],
                "AccountSid": self.account_sid,
                "Caller": sent["From"],
            }
        form.update(extra)
        url = sent["StatusCallback"]
        return url, form, sign(self.auth_token, url, form)

    def inbound(self, url: str, sender: str, to: str, body: str) -> tuple[dict[str, str], str]:
        """``(form, signature)`` of an SMS a person sends to our number, posted to ``url``."""
        sid = "SM" + uuid.uuid4().hex
        form = {
            "ToCountry": "CO",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "SmsSid": sid,
            "SmsStatus": "received",
            "Body": body,
            "FromCountry": "CO",
            "To": to,
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": self.account_sid,
            "From": sender,
            "ApiVersion": "2010-04-01",
        }
        return form, sign(self.auth_token, url, form)

    def post_callback(self, sid: str, status: str, **extra: str) -> int:
        """Post a signed status callback over HTTP, as Twilio does; returns the HTTP status."""
        url, form, signature = self.callback(sid, status, **extra)
        assert self._loop is not None, "the peer is not running"
        return asyncio.run_coroutine_threadsafe(
            self._post(url, form, signature), self._loop
        ).result(timeout=30)

    async def _deliver(self, sid: str) -> None:
        await asyncio.sleep(0.05)  # after the 201 has reached the adapter, as Twilio does
        if self._session is None:
            self._session = ClientSession()
        status = 0  # never reached Brief: counted as such
        # As providers do, a callback that did not get through (a refused connection, a kept-
        # alive one the server closed meanwhile) is retried, waiting longer each time.
        for attempt in range(6):
            try:
                status = await self._post(*self.callback(sid, "delivered"), session=self._session)
                break
            except (aiohttp_errors.ClientError, TimeoutError):
                await asyncio.sleep(0.5 * 2**attempt)
        self.callbacks[status] = self.callbacks.get(status, 0) + 1

    def callbacks_pending(self) -> int:
        return len(self._pending)

    @staticmethod
    async def _post(
        url: str, form: dict[str, str], signature: str, session: ClientSession | None = None
    ) -> int:
        if session is None:
            async with ClientSession() as own:
                return await TwilioPeer._post(url, form, signature, own)
        headers = {
            "X-Twilio-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "TwilioProxy/1.1",
        }
        async with session.post(url, data=urlencode(form), headers=headers) as response:
            await response.read()
            return response.status

    # -- life cycle -------------------------------------------------------------------------

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, backlog=1024)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def start(self) -> TwilioPeer:
        """Serve in a background thread with its own event loop."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._start())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            assert self._runner is not None
            loop.run_until_complete(self._runner.cleanup())
            if self._session is not None:
                loop.run_until_complete(self._session.close())
            loop.close()

        self._thread = threading.Thread(target=run, name="twilio-peer", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = None

    def __enter__(self) -> TwilioPeer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str]) -> None:
    """Serve on ``argv[0]`` with account ``argv[1]`` and token ``argv[2]`` until stdin closes."""
    peer = TwilioPeer(argv[1], argv[2], record=False, port=int(argv[0]))
    with peer:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        sys.stdin.read()


if __name__ == "__main__":
    main(sys.argv[1:])
