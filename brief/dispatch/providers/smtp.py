"""E-mail over SMTP with aiosmtplib: a pool of connections, TLS and auth, our Message-ID.

Options: ``host``, ``port``, ``username``, ``password``, ``use_tls`` (implicit TLS),
``start_tls``, ``timeout``, ``pool_size``, ``sender`` (default From), ``domain`` (for Message-ID).
"""

from __future__ import annotations

import asyncio
import contextlib
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate

import aiosmtplib

from .base import BaseProvider, OutgoingMessage, ProviderError, SendResult


class SMTPProvider(BaseProvider):
    """Sends a batch over ``pool_size`` concurrent SMTP connections; never retries."""

    def __init__(self, account):
        super().__init__(account)
        o = self.options
        self.host = o.get("host", "127.0.0.1")
        self.port = int(o.get("port", 25))
        self.username = o.get("username") or None
        self.password = o.get("password") or None
        self.use_tls = bool(o.get("use_tls", False))
        self.start_tls = o.get("start_tls")  # None = opportunistic, as aiosmtplib does
        self.timeout = float(o.get("timeout", 30))
        self.pool_size = max(1, int(o.get("pool_size", account.concurrency or 8)))
        self.sender = o.get("sender", "Brief ICETEX <no-responder@icetex.example>")
        self.domain = o.get("domain", "brief.icetex.example")

    def message_id(self, message: OutgoingMessage) -> str:
        return f"<brief-{message.id}@{self.domain}>"

    def build(self, message: OutgoingMessage) -> EmailMessage:
        mail = EmailMessage(policy=SMTP_POLICY)
        mail["From"] = message.sender or self.sender
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=True)
        mail["Message-ID"] = self.message_id(message)
        if message.reply_to:
            mail["Reply-To"] = message.reply_to
        for name, value in message.headers.items():
            mail[name] = value
        mail.set_content(message.text or "")
        if message.html:
            mail.add_alternative(message.html, subtype="html")
        return mail

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
        return client

    async def _worker(self, queue: asyncio.Queue, results: list[SendResult]) -> None:
        client: aiosmtplib.SMTP | None = None
        try:
            while True:
                try:
                    message = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                try:
                    if client is None:
                        client = await self._connect()
                    await client.send_message(self.build(message))
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
                    results.append(
                        SendResult(
                            message.id,
                            False,
                            permanent=exc.code >= 500,
                            code=f"smtp_{exc.code}",
                            detail=exc.message[:300],
                        )
                    )
                    if exc.code in (421, 451):
                        client = None
                except (aiosmtplib.SMTPException, OSError) as exc:
                    # Connection-level trouble: the message was not accepted; try again later.
                    results.append(
                        SendResult(
                            message.id,
                            False,
                            permanent=False,
                            code="smtp_connection",
                            detail=str(exc)[:300],
                        )
                    )
                    client = None
        finally:
            if client is not None:
                with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                    await client.quit()

    async def _send_all(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        queue: asyncio.Queue = asyncio.Queue()
        for message in batch:
            queue.put_nowait(message)
        results: list[SendResult] = []
        workers = min(self.pool_size, len(batch)) or 1
        await asyncio.gather(*(self._worker(queue, results) for _ in range(workers)))
        return results

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        if not batch:
            return []
        try:
            return asyncio.run(self._send_all(batch))
        except RuntimeError as exc:  # pragma: no cover - called from inside a running loop
            raise ProviderError(str(exc)) from exc
