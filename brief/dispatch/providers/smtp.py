"""E-mail over SMTP with aiosmtplib: a pool of connections, TLS and auth, our Message-ID.

Options: ``host``, ``port``, ``username``, ``password``, ``use_tls`` (implicit TLS),
``start_tls``, ``timeout``, ``pool_size``, ``sender`` (default From), ``domain`` (for Message-ID).
``verp_domain`` sets the envelope sender (Return-Path) to ``bounces+<message id>@<verp_domain>``
so a bounce names its message even when the returned headers are cut. The password may also
come from ``password_file`` or ``password_env``. When the server offers the DSN extension
(RFC 3461), every message asks for failure and delay reports the standard way: ``MAIL FROM …
RET=HDRS ENVID=brief-<id>@<domain>`` (our Message-ID, which the report returns as
``Original-Envelope-Id``) and ``RCPT TO … NOTIFY=FAILURE,DELAY``.

What comes back (:mod:`brief.dispatch.mailbox`): bounces and complaints read from the mailbox
``imap_host``/``imap_port``/``imap_user``/``imap_password``/``imap_folder`` (``imap_ssl``) by a
beat task, or POSTed raw (RFC 822, as received) to ``/hooks/<code>/`` signed with the
account's ``callback_secret`` (``X-Brief-Signature``; the MTA's pipe does not sign).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import secrets
import time
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr

import aiosmtplib
from aiosmtplib.email import quote_address
from aiosmtplib.protocol import normalize_message_line_endings

from .. import mailreports
from .base import (
    BaseProvider,
    InboundMessage,
    OutgoingMessage,
    SendResult,
    StatusUpdate,
    run_async,
    signed_with_secret,
)

_PART_HEAD = "Content-Type: text/{}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n"
# An RFC 5322 dot-atom address (``local@domain``, nothing else): ``email.utils.parseaddr``, which
# aiosmtplib runs on every address, returns it unchanged, so it is quoted without parsing.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


def envelope_address(address: str) -> bytes:
    """``<address>`` for ``MAIL FROM`` / ``RCPT TO``: a plain address as it is, any other form
    through aiosmtplib's own parsing and checks (``ValueError`` for what could smuggle
    parameters or commands onto the line)."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>".encode("ascii")
    return quote_address(address).encode("ascii")


def xtext(value: str) -> str:
    """RFC 3461 xtext: ``+`` and ``=``, controls, spaces and non-ASCII as ``+XX`` (hex)."""
    return "".join(
        f"+{byte:02X}" if byte < 33 or byte > 126 or byte in (43, 61) else chr(byte)
        for byte in value.encode("utf-8")
    )


def _b64(text: str) -> str:
    return base64.encodebytes(text.encode("utf-8")).decode("ascii").replace("\n", "\r\n")


class SMTPProvider(BaseProvider):
    """Sends a batch over ``pool_size`` concurrent SMTP connections; never retries."""

    def __init__(self, account):
        super().__init__(account)
        o = self.options
        self.host = o.get("host", "127.0.0.1")
        self.port = int(o.get("port", 25))
        self.username = o.get("username") or None
        self.password = self.secret("password") or None
        self.use_tls = bool(o.get("use_tls", False))
        self.start_tls = o.get("start_tls")  # None = opportunistic, as aiosmtplib does
        self.timeout = float(o.get("timeout", 30))
        self.pool_size = max(1, int(o.get("pool_size", account.concurrency or 8)))
        self.sender = o.get("sender", "Brief ICETEX <no-responder@icetex.example>")
        self.domain = o.get("domain", "brief.icetex.example")
        self.verp_domain = str(o.get("verp_domain") or "")
        self.boundary_seed = secrets.token_hex(6)
        self._cache: dict[tuple[str, str], str] = {}
        self._date_at: tuple[int, str] = (0, "")
        self._envelopes: dict[str, bytes] = {}
        # Connections stay open from one batch to the next on one event loop, until close()
        # (the runner's end): no connect, EHLO and QUIT per batch per connection.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pool: list[aiosmtplib.SMTP] = []

    def message_id(self, message: OutgoingMessage) -> str:
        return self.provider_id_for(message.id)

    def provider_id_for(self, message_id: int) -> str:
        return f"<brief-{message_id}@{self.domain}>"

    def build(self, message: OutgoingMessage) -> bytes:
        """The message as RFC 5322 bytes: text and HTML parts in base64 UTF-8.

        Built by hand rather than with ``email.message`` (about 2 ms a message here), which
        would cap a worker below 1,000 e-mails per second.
        """
        headers = [
            ("From", self._address(message.sender or self.sender)),
            ("To", message.to),
            ("Subject", self._encode_header(message.subject)),
            ("Date", self._date()),
            ("Message-ID", self.message_id(message)),
            ("MIME-Version", "1.0"),
        ]
        if message.reply_to:
            headers.append(("Reply-To", self._address(message.reply_to)))
        headers.extend(
            (name, self._encode_header(value)) for name, value in message.headers.items()
        )
        text_part = _b64(message.text or "")
        if message.html:
            boundary = f"=_brief_{message.id}_{self.boundary_seed}"
            headers.append(("Content-Type", f'multipart/alternative; boundary="{boundary}"'))
            body = (
                f"--{boundary}\r\n{_PART_HEAD.format('plain')}\r\n{text_part}"
                f"--{boundary}\r\n{_PART_HEAD.format('html')}\r\n{_b64(message.html)}"
                f"--{boundary}--\r\n"
            )
        else:
            headers.append(("Content-Type", "text/plain; charset=utf-8"))
            headers.append(("Content-Transfer-Encoding", "base64"))
            body = text_part
        head = "".join(f"{name}: {value}\r\n" for name, value in headers)
        return (head + "\r\n" + body).encode("utf-8")

    def _date(self) -> str:
        """``formatdate`` once a second rather than once a message."""
        now = int(time.time())
        if self._date_at[0] != now:
            self._date_at = (now, formatdate(now, localtime=True))
        return self._date_at[1]

    def _address(self, value: str) -> str:
        cached = self._cache.get(("addr", value))
        if cached is None:
            name, addr = parseaddr(value)
            cached = formataddr((name, addr), charset="utf-8") if name else addr
            self._cache[("addr", value)] = cached
        return cached

    def _encode_header(self, value: str) -> str:
        if value.isascii():
            return value
        cached = self._cache.get(("hdr", value))
        if cached is None:
            cached = Header(value, "utf-8").encode()
            self._cache[("hdr", value)] = cached
        return cached

    def dsn_options(self, message: OutgoingMessage) -> tuple[list[str], list[str]]:
        """``MAIL FROM`` and ``RCPT TO`` parameters asking for failure/delay DSNs that return
        the headers only and name our message by its envelope id."""
        envid = self.message_id(message).strip("<>")
        return ["RET=HDRS", f"ENVID={xtext(envid)}"], ["NOTIFY=FAILURE,DELAY"]

    def envelope_sender(self, message: OutgoingMessage) -> str:
        if self.verp_domain:
            return f"bounces+{message.id}@{self.verp_domain}"
        sender = message.sender or self.sender
        cached = self._cache.get(("from", sender))
        if cached is None:
            cached = self._cache[("from", sender)] = parseaddr(sender)[1]
        return cached

    async def _transmit(self, client: aiosmtplib.SMTP, message: OutgoingMessage) -> None:
        """One message on an open connection: what aiosmtplib's ``sendmail`` does for one
        recipient (``SIZE`` when offered, ``MAIL``, ``RCPT``, ``DATA``, ``RSET`` after a
        refusal, the same exceptions), without parsing each address twice and the sender
        on every message, and normalising the message once: about a fifth less CPU a
        message on the client (docs/perf/2026-12-02-smtp.md)."""
        mail_options, rcpt_options = (
            self.dsn_options(message) if client.supports_extension("dsn") else ([], [])
        )
        data = normalize_message_line_endings(self.build(message))
        if client.supports_extension("size"):
            mail_options.insert(0, f"SIZE={len(data)}")
        sender = self.envelope_sender(message)
        # both addresses checked before anything is sent, as sendmail does
        from_, to = self._envelope(sender), envelope_address(message.to)
        try:
            answer = await client.execute_command(
                b"MAIL", b"FROM:" + from_, *(option.encode("ascii") for option in mail_options)
            )
            if answer.code != 250:
                raise aiosmtplib.SMTPSenderRefused(answer.code, answer.message, sender)
            answer = await client.execute_command(
                b"RCPT", b"TO:" + to, *(option.encode("ascii") for option in rcpt_options)
            )
            if answer.code not in (250, 251):
                raise aiosmtplib.SMTPRecipientsRefused(
                    [aiosmtplib.SMTPRecipientRefused(answer.code, answer.message, message.to)]
                )
            await client.data(data)
        except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused):
            with contextlib.suppress(ConnectionError, aiosmtplib.SMTPResponseException):
                await client.rset()
            raise

    def _envelope(self, sender: str) -> bytes:
        if self.verp_domain:  # one address per message: nothing worth keeping
            return envelope_address(sender)
        cached = self._envelopes.get(sender)
        if cached is None:
            cached = self._envelopes[sender] = envelope_address(sender)
        return cached

    # -- what comes back ----------------------------------------------------------------

    def verify_callback(self, request) -> bool:
        """Inbound mail POSTed by our MTA, signed with the account's ``callback_secret``."""
        return signed_with_secret(request, self.secret("callback_secret"))

    def parse_callback(self, request) -> list[StatusUpdate | InboundMessage]:
        """A raw DSN or ARF report (RFC 822 bytes); ``ValueError`` for any other mail."""
        from ..mailbox import report_items

        raw = request.body
        if not raw or not mailreports.is_report(raw):
            raise ValueError("not a delivery status or feedback report")
        verp = (self.verp_domain,) if self.verp_domain else ()
        return [*report_items(self, mailreports.parse(raw, verp_domains=verp))]

    def after_ingest(self, items: list[StatusUpdate | InboundMessage]) -> None:
        from ..mailbox import settle

        settle(self.account, items)

    async def _connect(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            timeout=self.timeout,
        )
        await client.connect()
        if self.username:
            await client.login(self.username, self.password or "")
        if client.is_ehlo_or_helo_needed:
            await client.ehlo()
        return client

    async def _checkout(self) -> aiosmtplib.SMTP:
        """A pooled connection that still answers (``NOOP``), else a new one."""
        while self._pool:
            client = self._pool.pop()
            if not client.is_connected:
                continue
            try:
                await client.noop(timeout=self.timeout)
            except (aiosmtplib.SMTPException, OSError):
                client.close()  # the server dropped it while idle: not the message's trouble
                continue
            return client
        return await self._connect()

    @staticmethod
    async def _quit(client: aiosmtplib.SMTP) -> None:
        with contextlib.suppress(aiosmtplib.SMTPException, OSError):
            await client.quit()

    async def _worker(
        self, queue: asyncio.Queue, results: list[SendResult], down: asyncio.Event, keep: bool
    ) -> None:
        client: aiosmtplib.SMTP | None = None
        try:
            while True:
                try:
                    message = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                if down.is_set():  # the server stopped answering: the rest wait, untried
                    results.append(
                        SendResult(message.id, False, code="smtp_connection", unavailable=True,
                                   detail="No se intentó: el servidor SMTP no respondía")
                    )  # fmt: skip
                    continue
                try:
                    if client is None:
                        client = await self._checkout()
                    await self._transmit(client, message)
                    results.append(
                        SendResult(message.id, True, provider_message_id=self.message_id(message))
                    )
                except aiosmtplib.SMTPRecipientsRefused as exc:
                    code = next(iter(exc.recipients)).code if exc.recipients else 550
                    results.append(
                        SendResult(
                            message.id,
                            False,
                            permanent=code >= 500,
                            code=f"smtp_{code}",
                            detail=str(exc)[:300],
                        )
                    )
                except aiosmtplib.SMTPResponseException as exc:
                    # 421: the server is closing the channel (overloaded, shutting down) — its
                    # trouble, not the message's: no try counted, and it counts for the breaker
                    results.append(
                        SendResult(
                            message.id,
                            False,
                            permanent=exc.code >= 500,
                            code=f"smtp_{exc.code}",
                            detail=exc.message[:300],
                            unavailable=exc.code == 421,
                        )
                    )
                    if exc.code in (421, 451):
                        client = None
                except (aiosmtplib.SMTPException, OSError) as exc:
                    # Connection-level trouble (refused, dropped, no answer in time): the
                    # message was not accepted; it goes back to the queue without a try, the
                    # rest of the batch is not tried, and the account's breaker counts it.
                    timeout = isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError)
                    results.append(
                        SendResult(
                            message.id,
                            False,
                            permanent=False,
                            code="smtp_timeout" if timeout else "smtp_connection",
                            detail=str(exc)[:300],
                            unavailable=True,
                        )
                    )
                    client = None
                    down.set()
        finally:
            if client is not None and keep and client.is_connected and not down.is_set():
                self._pool.append(client)
            elif client is not None:
                await self._quit(client)

    async def _send_all(self, batch: list[OutgoingMessage], keep: bool = False) -> list[SendResult]:
        queue: asyncio.Queue = asyncio.Queue()
        for message in batch:
            queue.put_nowait(message)
        results: list[SendResult] = []
        workers = min(self.pool_size, len(batch)) or 1
        down = asyncio.Event()
        await asyncio.gather(*(self._worker(queue, results, down, keep) for _ in range(workers)))
        return results

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        if not batch:
            return []
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:  # pragma: no cover - called from inside a running loop: no pool
            return run_async(self._send_all(batch))
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(self._send_all(batch, keep=True))

    def close(self) -> None:
        """Quit the pooled connections and close their loop (the runner calls it when it
        stops; the next send opens new ones)."""
        loop, self._loop = self._loop, None
        pool, self._pool = self._pool, []
        if loop is None:
            return

        async def quit_all() -> None:
            await asyncio.gather(*(self._quit(client) for client in pool))

        try:
            loop.run_until_complete(quit_all())
        finally:
            loop.close()
