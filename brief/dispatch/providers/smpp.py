"""SMS over SMPP 3.4: one long-lived transceiver bind per account, windowed ``submit_sm``,
delivery receipts and mobile-originated messages read on the same bind.

Options (``kind: smpp``): ``host``, ``port`` (2775), ``system_id``, ``password``,
``system_type`` (""), ``source_addr`` (our short code or number), ``source_addr_ton`` (5,
alphanumeric when ``source_addr`` has letters, else 1), ``source_addr_npi`` (0 / 1),
``dest_addr_ton`` (1), ``dest_addr_npi`` (1), ``window`` (outstanding submits, 10),
``enquire_link_seconds`` (30), ``gsm7_packing`` (``"unpacked"``: one septet per octet, what most
SMSCs expect for ``data_coding`` 0; ``"packed"``: 8 septets in 7 octets), ``receipt_id_format``
(``"as_sent"``; ``"decimal"`` when the SMSC answers ``submit_sm_resp`` with a hex id and puts its
decimal value in receipts; ``"hex"`` for the reverse — with either, provider ids are kept in
decimal), ``connect_timeout`` (10 s), ``response_timeout`` (30 s), ``reconnect_min_seconds``
(0.5), ``reconnect_max_seconds`` (30), ``throttle_pause_seconds`` (1, doubling to 30).

How the bind lives: a process-wide :class:`Hub` runs one asyncio loop in a daemon thread and
holds one :class:`Session` (bind) per account. ``send(batch)`` is called synchronously by the
dispatcher's runner threads and hands the batch to that loop; the bind stays open after it
returns (``enquire_link`` every ``enquire_link_seconds``, reconnect with back-off) and keeps
reading receipts and MO messages. The Celery worker opens the binds of every active SMPP account
when it starts (``brief serve`` and ``make run`` start one), and applies what they read every
half second (:func:`start_listening`); ``send`` also applies them before it returns. Every
``deliver_sm`` is answered with ``deliver_sm_resp``.

Long texts: parts and ``data_coding`` exactly as :mod:`brief.content.sms` counts them (GSM-7 →
0, UCS-2 → 8), each part with a concatenation UDH and its own ``submit_sm``. The provider id of a
message is the ``message_id`` of its first part; the bind remembers the ids of the other parts,
so a receipt of any part moves the message. Statuses only move forward, so the most advanced
receipt among the parts wins (one part delivered → delivered; failed only when no part was
reported delivered).

Errors: :data:`ERRORS` maps ``submit_sm_resp`` statuses to effects. ``ESME_RTHROTTLED`` /
``ESME_RMSGQFUL`` throttle: they pause the bind (``throttle_pause_seconds``, doubling) and halve
its window (it grows back by one per window of accepted submits), and the message goes back to
the queue while the account slows down (a later part of a message already partly accepted is
re-submitted after the pause instead, so the person never gets the first part twice).
``ESME_RSYSERR``, ``ESME_RX_T_APPN``, ``ESME_RDELIVERYFAILURE``, ``ESME_RUNKNOWNERR`` and
connection trouble are retried; every other status fails the message. A bind refused (wrong
password) fails the batch as a temporary :class:`ProviderError` (``smpp_bind_ESME_RINVPASWD``):
the account is wrong, not the messages.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import hashlib
import itertools
import logging
import threading
import time
import zoneinfo
from dataclasses import dataclass
from typing import Any

from brief.dispatch.choices import ErrorEffect, ErrorRule

from . import smpp_pdu as pdu
from .base import (
    BaseProvider,
    InboundMessage,
    OutgoingMessage,
    ProviderError,
    SendResult,
    StatusUpdate,
)
from .options import resolve_secret

log = logging.getLogger(__name__)

BACKEND = "brief.dispatch.providers.smpp.SMPPProvider"

# Receipt "stat" → our MessageStatus. ACCEPTD/ENROUTE/UNKNOWN are not final: the message stays
# "sent" (the update is kept as evidence and moves nothing).
RECEIPT_STATUS = {
    "DELIVRD": "delivered",
    "UNDELIV": "failed",
    "EXPIRED": "failed",
    "REJECTD": "failed",
    "DELETED": "failed",
    "UNKNOWN": "sent",
    "ACCEPTD": "sent",
    "ENROUTE": "sent",
}
#: ``submit_sm_resp`` command_status → effect; every status not listed fails the message.
ERRORS: dict[int, ErrorRule] = {
    # flow control: the SMSC is busy, the message itself is fine
    pdu.ESME_RTHROTTLED: ErrorRule(ErrorEffect.THROTTLE, "El SMSC pidió bajar el ritmo"),
    pdu.ESME_RMSGQFUL: ErrorRule(ErrorEffect.THROTTLE, "La cola de mensajes del SMSC está llena"),
    # system trouble: worth trying again later
    pdu.ESME_RSYSERR: ErrorRule(ErrorEffect.RETRY, "Error de sistema del SMSC"),
    pdu.ESME_RX_T_APPN: ErrorRule(ErrorEffect.RETRY, "Error temporal del destino"),
    pdu.ESME_RDELIVERYFAILURE: ErrorRule(ErrorEffect.RETRY, "Fallo temporal de entrega"),
    pdu.ESME_RUNKNOWNERR: ErrorRule(ErrorEffect.RETRY, "Error desconocido del SMSC"),
}

#: ``submit_sm_resp`` statuses that say the SMSC cannot take messages now (not this message's
#: fault): no try is counted and the account's circuit breaker counts them.
SMSC_TROUBLE = frozenset({pdu.ESME_RTHROTTLED, pdu.ESME_RMSGQFUL, pdu.ESME_RSYSERR})
_REFUSED = ErrorRule(ErrorEffect.FAIL, "El SMSC rechazó el mensaje")
HOLD_SECONDS = 2.0  # an early receipt waits this long for its submit_sm_resp to be read
ALIASES_KEPT = 200_000  # part ids remembered per bind


class BindRefused(Exception):
    def __init__(self, status: int):
        super().__init__(pdu.status_name(status))
        self.status = status


class ConnectionLost(Exception):
    """The bind went away; ``written`` says whether the PDU had reached the wire."""

    def __init__(self, message: str = "connection lost", *, written: bool = False):
        super().__init__(message)
        self.written = written


@dataclass
class Received:
    """A receipt or MO read on a bind, waiting to be applied."""

    at: float
    item: StatusUpdate | InboundMessage
    ids: tuple[str, ...] = ()  # candidate provider ids of a receipt (before alias lookup)


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, buf: bytearray):
        self.reader = reader
        self.writer = writer
        self.buffer = buf
        self.closed = asyncio.get_running_loop().create_future()
        self.out = pdu.Coalescer(writer)
        self.write = self.out.write

    def close(self) -> None:
        self.out.flush()
        if not self.closed.done():
            self.closed.set_result(None)
        self.writer.close()


def _option_int(options: dict, name: str, default: int) -> int:
    value = options.get(name)
    return default if value is None or value == "" else int(value)


class Session:
    """One bind (``bind_transceiver``) of one account, living on the hub's loop."""

    def __init__(self, code: str, options: dict[str, Any], loop: asyncio.AbstractEventLoop):
        o = options
        self.code = code
        self.loop = loop
        self.host = o.get("host", "127.0.0.1")
        self.port = _option_int(o, "port", 2775)
        source = str(o.get("source_addr", ""))
        self.bind_fields = pdu.Bind(
            system_id=str(o.get("system_id", "")),
            password=resolve_secret(o, "password"),
            system_type=str(o.get("system_type", "")),
        )
        alphanumeric = any(ch.isalpha() for ch in source)
        self.source_addr = source
        self.source_ton = _option_int(o, "source_addr_ton", 5 if alphanumeric else 1)
        self.source_npi = _option_int(o, "source_addr_npi", 0 if alphanumeric else 1)
        self.dest_ton = _option_int(o, "dest_addr_ton", 1)
        self.dest_npi = _option_int(o, "dest_addr_npi", 1)
        self.window = max(1, _option_int(o, "window", 10))
        self.enquire_link_seconds = float(o.get("enquire_link_seconds") or 30)
        self.packed = str(o.get("gsm7_packing", "unpacked")) == "packed"
        self.receipt_id_format = str(o.get("receipt_id_format", "as_sent"))
        self.timezone = zoneinfo.ZoneInfo(str(o.get("timezone", "America/Bogota")))
        self.connect_timeout = float(o.get("connect_timeout") or 10)
        self.response_timeout = float(o.get("response_timeout") or 30)
        self.reconnect_min = float(o.get("reconnect_min_seconds") or 0.5)
        self.reconnect_max = float(o.get("reconnect_max_seconds") or 30)
        self.throttle_min = float(o.get("throttle_pause_seconds") or 1.0)
        self.throttle_max = 30.0

        self.conn: _Connection | None = None
        self.closing = False
        self.last_error: BaseException | None = None
        self.sequence = itertools.count(1)
        self.references = itertools.count(1)
        self.pending: dict[int, asyncio.Future] = {}
        self.deadlines: collections.deque[tuple[float, int]] = collections.deque()
        # window: a resizable semaphore handing slots to waiters in order
        self.limit = self.window
        self.outstanding = 0
        self.waiters: collections.deque[asyncio.Future] = collections.deque()
        self.paused_until = 0.0
        self.throttle_pause = self.throttle_min
        self.ok_streak = 0
        self.throttled = 0
        # what the bind read (appended on the loop, taken by Hub.flush on any thread)
        self.received: collections.deque[Received] = collections.deque()
        self.aliases: dict[str, str] = {}
        self._alias_order: collections.deque[str] = collections.deque()
        self._mo_parts: dict[tuple, dict[int, str]] = {}
        self._ready_waiters: list[asyncio.Future] = []
        self._wakeup = asyncio.Event()
        self.keeper = loop.create_task(self._keep())

    # --- connection --------------------------------------------------------------------

    async def _keep(self) -> None:
        """Keep the bind up: connect, bind, wait for the loss, back off, again."""
        delay = self.reconnect_min
        while not self.closing:
            try:
                conn = await self._connect()
            except (OSError, TimeoutError, BindRefused, pdu.PDUError, ConnectionLost) as exc:
                self.last_error = exc
                self._settle_waiters(exc)
                log.warning("smpp %s: bind failed: %s", self.code, exc)
            else:
                delay = self.reconnect_min
                self.last_error = None
                self.conn = conn
                self._settle_waiters(None)
                tasks = [
                    asyncio.ensure_future(self._read(conn)),
                    asyncio.ensure_future(self._enquire_links(conn)),
                    asyncio.ensure_future(self._expire(conn)),
                ]
                await asyncio.wait([conn.closed])
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                self.conn = None
                self._fail_pending(ConnectionLost(written=True))
                if self.closing:
                    return
                log.warning("smpp %s: connection lost; reconnecting", self.code)
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), delay)
            delay = min(delay * 2, self.reconnect_max)

    async def _connect(self) -> _Connection:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port), self.connect_timeout
        )
        try:
            seq = next(self.sequence)
            writer.write(pdu.encode(pdu.BIND_TRANSCEIVER, seq, pdu.encode_bind(self.bind_fields)))
            buf = bytearray()
            deadline = self.loop.time() + self.connect_timeout
            while True:
                data = await asyncio.wait_for(reader.read(65536), deadline - self.loop.time())
                if not data:
                    raise ConnectionLost("closed during bind")
                buf += data
                frames = pdu.frames(buf)
                if frames:
                    break
            command_id, status, _, _ = frames[0]
            if command_id != pdu.BIND_TRANSCEIVER | pdu.RESP or status != pdu.ESME_ROK:
                raise BindRefused(status or pdu.ESME_RBINDFAIL)
        except BaseException:
            writer.close()
            raise
        conn = _Connection(reader, writer, buf)
        for frame in frames[1:]:
            self._dispatch(conn, *frame)
        return conn

    def _settle_waiters(self, error: BaseException | None) -> None:
        for fut in self._ready_waiters:
            if not fut.done():
                if error is None:
                    fut.set_result(None)
                else:
                    fut.set_exception(error)
        self._ready_waiters.clear()

    async def ready(self) -> None:
        """Wait until bound (trying at once if the keeper is backing off)."""
        if self.conn is not None:
            return
        fut = self.loop.create_future()
        self._ready_waiters.append(fut)
        self._wakeup.set()
        try:
            await asyncio.wait_for(fut, self.connect_timeout)
        except TimeoutError as exc:
            raise self.last_error or exc from None

    def _fail_pending(self, error: Exception) -> None:
        for fut in self.pending.values():
            if not fut.done():
                fut.set_exception(error)
        self.pending.clear()

    async def _read(self, conn: _Connection) -> None:
        try:
            for frame in pdu.frames(conn.buffer):
                self._dispatch(conn, *frame)
            while True:
                data = await conn.reader.read(262144)
                if not data:
                    break
                conn.buffer += data
                for frame in pdu.frames(conn.buffer):
                    self._dispatch(conn, *frame)
        except (OSError, pdu.PDUError) as exc:
            log.warning("smpp %s: read failed: %s", self.code, exc)
        finally:
            conn.close()

    async def _enquire_links(self, conn: _Connection) -> None:
        while not conn.closed.done():
            await asyncio.sleep(self.enquire_link_seconds)
            try:
                await self._request(pdu.ENQUIRE_LINK, b"", windowed=False)
            except (ConnectionLost, TimeoutError, OSError):
                conn.close()
                return

    async def _expire(self, conn: _Connection) -> None:
        """Fail requests unanswered after ``response_timeout`` (one timer, not one per PDU)."""
        while not conn.closed.done():
            await asyncio.sleep(min(1.0, self.response_timeout / 4))
            now = self.loop.time()
            while self.deadlines and self.deadlines[0][0] <= now:
                _, seq = self.deadlines.popleft()
                fut = self.pending.pop(seq, None)
                if fut is not None and not fut.done():
                    fut.set_exception(TimeoutError())

    async def close(self) -> None:
        """Unbind politely and stop reconnecting."""
        self.closing = True
        self._wakeup.set()
        conn = self.conn
        if conn is not None:
            with contextlib.suppress(ConnectionLost, TimeoutError, OSError):
                await asyncio.wait_for(self._request(pdu.UNBIND, b"", windowed=False), 2)
            conn.close()
        self.keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.keeper

    # --- incoming PDUs -----------------------------------------------------------------

    def _dispatch(self, conn: _Connection, command_id: int, status: int, seq: int, body: bytes):
        if command_id & pdu.RESP:
            fut = self.pending.pop(seq, None)
            if fut is not None and not fut.done():
                fut.set_result((status, body))
            return
        write = conn.write
        if command_id == pdu.DELIVER_SM:
            try:
                self._on_deliver(pdu.decode_sm(body))
            except (pdu.PDUError, ValueError) as exc:
                log.warning("smpp %s: unreadable deliver_sm (%s): %s", self.code, exc, body.hex())
            # Always answered, or the SMSC sends it again and again.
            write(pdu.encode(pdu.DELIVER_SM | pdu.RESP, seq, b"\x00"))
        elif command_id == pdu.ENQUIRE_LINK:
            write(pdu.encode(pdu.ENQUIRE_LINK | pdu.RESP, seq))
        elif command_id == pdu.UNBIND:
            write(pdu.encode(pdu.UNBIND | pdu.RESP, seq))
            conn.close()
        else:
            write(pdu.encode(pdu.GENERIC_NACK, seq, status=pdu.ESME_RINVCMDID))

    def _on_deliver(self, m: pdu.ShortMessage) -> None:
        now = time.monotonic()
        text = pdu.decode_text(m, packed=self.packed)
        if m.esm_class & 0x3C == pdu.ESM_RECEIPT:
            self.received.append(self._receipt(m, text, now))
            return
        concat = m.concatenation()
        if concat is not None:
            ref, total, part = concat
            key = (m.source_addr, ref, total)
            parts = self._mo_parts.setdefault(key, {})
            parts[part] = text
            if len(parts) < total:
                return
            del self._mo_parts[key]
            text = "".join(parts[i] for i in sorted(parts))
        sender = m.source_addr
        if m.source_addr_ton == 1 and sender.isdigit():
            sender = f"+{sender}"
        stamp = dt.datetime.now(dt.UTC)
        digest = hashlib.blake2b(
            f"{m.source_addr}|{m.destination_addr}|{text}|{stamp:%Y%m%d%H%M}".encode(),
            digest_size=10,
        ).hexdigest()
        self.received.append(
            Received(
                now,
                InboundMessage(
                    provider_message_id=f"mo-{digest}",
                    sender=sender,
                    text=text,
                    channel="sms",
                    at=stamp,
                    recipient=m.destination_addr,
                    raw={
                        "source_addr": m.source_addr,
                        "destination_addr": m.destination_addr,
                        "data_coding": m.data_coding,
                        "text": text,
                    },
                ),
            )
        )

    def _receipt(self, m: pdu.ShortMessage, text: str, now: float) -> Received:
        fields = pdu.parse_receipt_text(text)
        stat = fields.get("stat", "").upper()
        if not stat and pdu.TLV_MESSAGE_STATE in m.tlvs:
            stat = pdu.MESSAGE_STATES.get(m.tlvs[pdu.TLV_MESSAGE_STATE][0], "UNKNOWN")
        tlv_id = m.tlvs.get(pdu.TLV_RECEIPTED_MESSAGE_ID, b"").rstrip(b"\x00").decode("latin-1")
        ids = self._receipt_ids(tlv_id, fields.get("id", ""))
        err = fields.get("err", "")
        status = RECEIPT_STATUS.get(stat, "sent")
        update = StatusUpdate(
            provider_message_id=ids[0] if ids else "",
            status=status,
            at=self._done_date(fields.get("done date", "")),
            code=f"smpp_{stat}" if status == "failed" else "",
            detail=f"stat:{stat} err:{err}" if status == "failed" else "",
            raw={
                "receipt": text,
                "receipted_message_id": tlv_id,
                "source_addr": m.source_addr,
                "code": f"smpp_{stat}" if status == "failed" else "",
                "detail": f"stat:{stat} err:{err}" if status == "failed" else "",
            },
        )
        return Received(now, update, ids)

    def _receipt_ids(self, tlv_id: str, text_id: str) -> tuple[str, ...]:
        """Candidate provider ids, the most trusted first: the ``receipted_message_id`` TLV, then
        the receipt text's ``id`` (converted per ``receipt_id_format``), then, with
        ``as_sent``, its hex/decimal twin (matched only if this bind submitted it)."""
        out: list[str] = []
        with contextlib.suppress(ValueError):
            if tlv_id:
                out.append(self.canonical_submit_id(tlv_id))
            if text_id:
                if self.receipt_id_format == "hex":
                    out.append(str(int(text_id, 16)))
                elif self.receipt_id_format == "decimal":
                    out.append(str(int(text_id, 10)))
                else:
                    out.append(text_id)
                    if text_id.isdigit():
                        out += [format(int(text_id), "x"), format(int(text_id), "X")]
                    out.append(str(int(text_id, 16)))
        return tuple(dict.fromkeys(out))

    def canonical_submit_id(self, message_id: str) -> str:
        """The id as Brief keeps it (decimal when the SMSC mixes hex and decimal)."""
        if self.receipt_id_format == "decimal":
            return str(int(message_id, 16))
        return message_id

    def _done_date(self, value: str) -> dt.datetime | None:
        """``done date`` (YYMMDDhhmm[ss], the SMSC's local time in option ``timezone``)."""
        if len(value) not in (10, 12) or not value.isdigit():
            return None
        year, month, day, hour, minute, *rest = (
            int(value[i : i + 2]) for i in range(0, len(value), 2)
        )
        with contextlib.suppress(ValueError):
            return dt.datetime(
                2000 + year, month, day, hour, minute, rest[0] if rest else 0, tzinfo=self.timezone
            )
        return None

    # --- window ------------------------------------------------------------------------

    async def _acquire(self) -> None:
        await self._respect_pause()
        if self.outstanding < self.limit and not self.waiters:
            self.outstanding += 1
            return
        fut = self.loop.create_future()
        self.waiters.append(fut)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._release()
            raise
        await self._respect_pause()

    async def _respect_pause(self) -> None:
        while (wait := self.paused_until - self.loop.time()) > 0:
            await asyncio.sleep(wait)

    def _release(self) -> None:
        self.outstanding -= 1
        self._hand_out()

    def _hand_out(self) -> None:
        """Give free window slots to the waiters, first come first served."""
        while self.waiters and self.outstanding < self.limit:
            fut = self.waiters.popleft()
            if not fut.done():
                self.outstanding += 1
                fut.set_result(None)

    def _on_throttled(self) -> None:
        self.throttled += 1
        self.limit = max(1, self.limit // 2)
        self.ok_streak = 0
        self.paused_until = max(self.paused_until, self.loop.time() + self.throttle_pause)
        self.throttle_pause = min(self.throttle_pause * 2, self.throttle_max)

    def _on_accepted(self) -> None:
        self.throttle_pause = self.throttle_min
        if self.limit < self.window:
            self.ok_streak += 1
            if self.ok_streak >= self.limit:
                self.limit += 1
                self.ok_streak = 0
                self._hand_out()

    # --- requests ----------------------------------------------------------------------

    async def _request(self, command_id: int, body: bytes, *, windowed: bool = True):
        if windowed:
            await self._acquire()
        try:
            conn = self.conn
            if conn is None:
                raise ConnectionLost("not bound")
            seq = next(self.sequence) & 0x7FFFFFFF or next(self.sequence)
            fut = self.loop.create_future()
            self.pending[seq] = fut
            conn.write(pdu.encode(command_id, seq, body))
            transport = conn.writer.transport
            if transport.get_write_buffer_size() > 262144:
                await conn.writer.drain()
            self.deadlines.append((self.loop.time() + self.response_timeout, seq))
            try:
                return await fut
            finally:
                self.pending.pop(seq, None)
        finally:
            if windowed:
                self._release()

    def _short_message(self, to: str, part: bytes, encoded: pdu.Encoded) -> bytes:
        return pdu.encode_sm(
            pdu.ShortMessage(
                destination_addr=to.lstrip("+"),
                short_message=part,
                source_addr=self.source_addr,
                source_addr_ton=self.source_ton,
                source_addr_npi=self.source_npi,
                dest_addr_ton=self.dest_ton,
                dest_addr_npi=self.dest_npi,
                esm_class=encoded.esm_class,
                registered_delivery=1,
                data_coding=encoded.data_coding,
            )
        )

    async def send_batch(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        try:
            await self.ready()
        except BindRefused as exc:
            raise ProviderError(
                f"SMSC refused the bind: {exc}", code=f"smpp_bind_{pdu.status_name(exc.status)}"
            ) from exc
        except (OSError, TimeoutError, ConnectionLost, pdu.PDUError) as exc:
            raise ProviderError(
                f"SMSC unreachable: {exc or type(exc).__name__}", code="smpp_unavailable"
            ) from exc
        return list(await asyncio.gather(*(self._send_one(m) for m in batch)))

    async def _send_one(self, message: OutgoingMessage) -> SendResult:
        try:
            encoded = pdu.encode_text(
                message.text, reference=next(self.references), packed=self.packed
            )
            bodies = [self._short_message(message.to, p, encoded) for p in encoded.parts]
        except pdu.PDUError as exc:
            return SendResult(message.id, False, permanent=True, code="smpp_encoding",
                              detail=str(exc)[:300])  # fmt: skip
        ids: list[str] = []
        for index, body in enumerate(bodies):
            retries = 0
            while True:
                try:
                    status, resp = await self._request(pdu.SUBMIT_SM, body)
                except ConnectionLost as exc:
                    code = "smpp_no_response" if exc.written else "smpp_connection"
                    return SendResult(message.id, False, code=code, detail=str(exc)[:300],
                                      unavailable=True)  # fmt: skip
                except TimeoutError:
                    return SendResult(message.id, False, code="smpp_timeout",
                                      detail="Sin submit_sm_resp a tiempo",
                                      unavailable=True)  # fmt: skip
                if status == pdu.ESME_ROK:
                    self._on_accepted()
                    break
                name = pdu.status_name(status)
                rule = ERRORS.get(status, _REFUSED)
                if rule.effect == ErrorEffect.THROTTLE:
                    self._on_throttled()
                    if index > 0 and retries < 5:
                        retries += 1  # part of the message is out: finish it after the pause
                        continue
                return SendResult(
                    message.id,
                    False,
                    permanent=rule.permanent,
                    code=f"smpp_{name}"[:60],
                    detail=f"{rule.label}: {name} en la parte {index + 1} de {len(bodies)}",
                    effect=rule.effect,
                    # the SMSC's own trouble (throttled, queue full, system error) counts for
                    # the account's breaker, like an HTTP 429 or 5xx
                    unavailable=status in SMSC_TROUBLE,
                )
            try:
                ids.append(self.canonical_submit_id(pdu.decode_message_id(resp)))
            except (pdu.PDUError, ValueError):
                ids.append("")
        first = ids[0]
        for part_id in ids:
            if part_id:
                self._remember(part_id, first)
        return SendResult(message.id, True, provider_message_id=first,
                          detail=f"{len(ids)} partes" if len(ids) > 1 else "")  # fmt: skip

    def _remember(self, part_id: str, first: str) -> None:
        if part_id not in self.aliases:
            self._alias_order.append(part_id)
            if len(self._alias_order) > ALIASES_KEPT:
                self.aliases.pop(self._alias_order.popleft(), None)
        self.aliases[part_id] = first

    # --- handing over what was read ----------------------------------------------------

    def take(self, now: float, held: list[Received]) -> list[StatusUpdate | InboundMessage]:
        """Receipts and MO ready to apply, receipt ids resolved to the message's provider id.

        A receipt whose id this bind has not seen yet waits up to ``HOLD_SECONDS`` while
        submits are outstanding (the receipt may be read before its ``submit_sm_resp``)."""
        ready: list[StatusUpdate | InboundMessage] = []
        pending = [*held]
        held.clear()
        while self.received:
            pending.append(self.received.popleft())
        for r in pending:
            if isinstance(r.item, StatusUpdate):
                match = next((self.aliases[i] for i in r.ids if i in self.aliases), None)
                if match is None and self.pending and now - r.at < HOLD_SECONDS:
                    held.append(r)
                    continue
                if match is not None:
                    r.item.provider_message_id = match
            ready.append(r.item)
        return ready


class Hub:
    """The process's SMPP binds: one asyncio loop thread, one :class:`Session` per account."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="smpp-hub", daemon=True)
        self.thread.start()
        self.sessions: dict[str, tuple[tuple, Session]] = {}
        self.lock = threading.Lock()
        self.flush_lock = threading.Lock()
        self.held: dict[str, list[Received]] = collections.defaultdict(list)
        self.flusher: threading.Thread | None = None
        self.stopping = threading.Event()

    def call(self, coro, timeout: float | None = None):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def session(self, code: str, options: dict[str, Any]) -> Session:
        """The bind of an account (a new one when its options changed)."""
        key = tuple(sorted((k, str(v)) for k, v in options.items()))
        with self.lock:
            known = self.sessions.get(code)
            if known is not None and known[0] == key:
                return known[1]
            if known is not None:
                self.call(known[1].close(), 10)

            async def make() -> Session:
                return Session(code, options, self.loop)

            session = self.call(make(), 10)
            self.sessions[code] = (key, session)
            return session

    def forget(self, code: str) -> None:
        with self.lock:
            known = self.sessions.pop(code, None)
        if known is not None:
            self.call(known[1].close(), 10)

    def flush(self) -> dict[str, int]:
        """Apply every receipt and MO the binds have read (runs on the calling thread)."""
        applied = 0
        with self.flush_lock:
            now = time.monotonic()
            for code, (_, session) in list(self.sessions.items()):
                items = session.take(now, self.held[code])
                if items:
                    deliver(code, items)
                    applied += len(items)
        return {"applied": applied}

    def start_flusher(self, interval: float = 0.5, refresh_seconds: float = 60.0) -> None:
        """A thread that applies what the binds read every ``interval`` seconds and opens the
        binds of new SMPP accounts every ``refresh_seconds`` (worker processes)."""
        if self.flusher is not None:
            return

        def run() -> None:
            from django.db import close_old_connections

            next_refresh = 0.0
            while not self.stopping.wait(interval):
                try:
                    if time.monotonic() >= next_refresh:
                        open_binds()
                        next_refresh = time.monotonic() + refresh_seconds
                    self.flush()
                except Exception:  # keep reading receipts whatever one flush did
                    log.exception("smpp: applying receipts failed")
                finally:
                    close_old_connections()

        self.flusher = threading.Thread(target=run, name="smpp-flusher", daemon=True)
        self.flusher.start()

    def shutdown(self) -> None:
        """Unbind every account and stop the loop (worker shutdown, tests)."""
        self.stopping.set()
        for code in list(self.sessions):
            with contextlib.suppress(Exception):
                self.forget(code)
        if self.flusher is not None:
            self.flusher.join(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


_hub: Hub | None = None
_hub_lock = threading.Lock()


def hub() -> Hub:
    """The process's hub (started on first use)."""
    global _hub
    with _hub_lock:
        if _hub is None:
            _hub = Hub()
        return _hub


def shutdown() -> None:
    """Close every bind of this process (a later :func:`hub` starts afresh)."""
    global _hub
    with _hub_lock:
        current, _hub = _hub, None
    if current is not None:
        current.shutdown()


def deliver(code: str, items: list[StatusUpdate | InboundMessage]) -> None:
    """Receipts and MO of account ``code`` into the one callback path (:func:`hooks.ingest`)."""
    from brief.dispatch import engine, hooks
    from brief.dispatch.models import ProviderAccount

    account = ProviderAccount.objects.filter(code=code).first()
    if account is None:
        return
    result = hooks.ingest(account, items)
    if result.get("pending"):
        # The send may have been recorded between the look-up and the write of the pending
        # events: look once more so none waits forever.
        engine.apply_pending_events(
            code, [i.provider_message_id for i in items if isinstance(i, StatusUpdate)]
        )


def open_binds() -> int:
    """Open (or keep) the bind of every active SMPP account; close those no longer active."""
    from django.db.models import Q

    from brief.dispatch.models import ProviderAccount

    accounts = list(
        ProviderAccount.objects.filter(active=True).filter(Q(kind="smpp") | Q(backend=BACKEND))
    )
    h = hub()
    for account in accounts:
        h.session(account.code, dict(account.options or {}))
    wanted = {a.code for a in accounts}
    for code in list(h.sessions):
        if code not in wanted:
            h.forget(code)
    return len(accounts)


def start_listening() -> None:
    """Open the binds and apply their receipts in the background (called at worker start)."""
    open_binds()
    hub().start_flusher()


class SMPPProvider(BaseProvider):
    """SMS through an SMSC over SMPP 3.4 (see the module docstring for options and behaviour)."""

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        if not batch:
            return []
        h = hub()
        session = h.session(self.account.code, self.options)
        # Every submit answered or timed out, plus the wait for a bind, bounds the call.
        timeout = session.connect_timeout + session.response_timeout * (1 + len(batch)) + 30
        results = h.call(session.send_batch(batch), timeout)
        h.flush()
        return results

    def verify_callback(self, request) -> bool:
        """SMPP receipts come on the bind, never over HTTP: an HTTP callback is refused."""
        return False

    def parse_callback(self, request) -> list[StatusUpdate | InboundMessage]:
        raise ValueError("SMPP accounts take no HTTP callbacks")
