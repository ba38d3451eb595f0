"""A small SMSC on loopback, for tests, the benchmark and the demo (SMPP 3.4, asyncio).

It checks binds against ``accounts`` (system_id → password), answers every ``submit_sm`` with a
``submit_sm_resp`` carrying a fresh message id, and sends a ``deliver_sm`` delivery receipt for
each (``stat`` per destination, ``DELIVRD`` otherwise) after ``receipt_delay`` seconds — or before
the ``submit_sm_resp`` with ``receipt_first``. It can answer ``ESME_RTHROTTLED`` to the first
``throttle_first`` submits, send mobile-originated messages (:meth:`SMSC.send_mo`) and drop every
connection (:meth:`SMSC.drop`). It runs its own loop in a thread (:meth:`SMSC.start`) or as a
process (``python -m brief.dispatch.peers.smsc PORT``, prints ``ready`` and, when stdin closes,
its counters as JSON).

For the demo (:meth:`SMSC.demo`) it behaves like an operator's SMSC seen from a phone: receipts
come a few seconds later (``receipt_delay`` plus up to ``receipt_jitter``), their ``stat`` follows
the repeating ``mix`` per recipient (mostly ``DELIVRD``, some ``UNDELIV`` / ``EXPIRED``; every
part of a long message alike), and every ``reply_every``-th delivered recipient answers once
with a mobile-originated SMS from ``replies``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
import random
import sys
import threading
from dataclasses import dataclass, field

from brief.dispatch.providers import smpp_pdu as pdu


@dataclass
class Submitted:
    """A ``submit_sm`` as the SMSC received it."""

    message_id: str
    system_id: str
    sm: pdu.ShortMessage


#: The demo's receipt stats, in turn: 17 DELIVRD, 2 UNDELIV, 1 EXPIRED of every 20.
DEMO_MIX = (
    ("DELIVRD",) * 3 + ("UNDELIV",) + ("DELIVRD",) * 7 + ("EXPIRED",) + ("DELIVRD",) * 4
    + ("UNDELIV",) + ("DELIVRD",) * 3
)  # fmt: skip


@dataclass
class SMSC:
    accounts: dict[str, str] = field(default_factory=lambda: {"brief": "secreto"})
    stat_for: dict[str, str] = field(default_factory=dict)  # destination → receipt stat
    receipt_delay: float = 0.0
    receipt_first: bool = False
    receipts: bool = True
    receipt_tlv: bool = True  # add receipted_message_id (0x001E)
    receipt_id_format: str = "same"  # "decimal": ids hex in submit_sm_resp, decimal in receipts
    id_format: str = "hex"  # "hex" or "decimal" message ids in submit_sm_resp
    throttle_first: int = 0
    throttle_at: set[int] = field(default_factory=set)  # 1-based submit counts to throttle
    throttle_status: int = pdu.ESME_RTHROTTLED
    reject: dict[str, int] = field(default_factory=dict)  # destination → command_status
    keep: bool = True  # keep every submit (off in the benchmark)
    receipt_jitter: float = 0.0  # up to this many seconds more than receipt_delay (random)
    mix: tuple[str, ...] = ()  # receipt stats in turn for destinations not in stat_for
    reply_every: int = 0  # every n-th delivered recipient answers with an MO (0: never)
    replies: tuple[str, ...] = ("BAJA",)  # the MO texts, in turn
    reply_to: str = "85432"  # the short code replies are addressed to
    reply_delay: float = 2.0  # seconds after the receipt
    seed: int = 7  # of the jitter

    @classmethod
    def demo(cls, *, pace: float = 1.0, **options) -> SMSC:
        """The SMSC of ``brief demo_peers``: receipts 2–6 s after the submit (times ``pace``),
        17 of 20 recipients delivered, 2 undeliverable, 1 expired; one delivered recipient in 7
        replies (the first reply is an opt-out, «BAJA»)."""
        return cls(
            keep=False,
            receipt_delay=2.0 * pace,
            receipt_jitter=4.0 * pace,
            mix=DEMO_MIX,
            reply_every=7,
            replies=("BAJA", "Gracias, ya pagué", "¿Cuál es el valor de la cuota?"),
            reply_delay=3.0 * pace,
            **options,
        )

    def __post_init__(self) -> None:
        self.port = 0
        self.submitted: list[Submitted] = []
        self.submits = 0
        self.throttled = 0
        self.receipts_sent = 0
        self.receipts_answered = 0
        self.mo_answered = 0
        self.mo_sent = 0
        self.delivered = 0  # destinations given DELIVRD (reply_every counts these)
        self.fates: dict[str, tuple[str, bool]] = {}  # destination → (stat, replies)
        self.replied: set[str] = set()
        self.rng = random.Random(self.seed)
        self.enquire_links = 0
        self.binds: list[str] = []
        self.refused_binds = 0
        self.ids = itertools.count(0x10000)
        self.references = itertools.cycle(range(7, 256))
        self.sessions: set[_Peer] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.server: asyncio.base_events.Server | None = None
        self.thread: threading.Thread | None = None
        self.changed = threading.Condition()

    # --- running -----------------------------------------------------------------------

    async def serve(self, port: int = 0) -> int:
        self.loop = asyncio.get_running_loop()
        self.server = await asyncio.start_server(self._client, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    def start(self, port: int = 0) -> SMSC:
        """Serve from a thread with its own loop; returns once listening."""
        started = threading.Event()
        loop = asyncio.new_event_loop()

        failed: list[OSError] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.serve(port))
            except OSError as exc:  # the port is taken
                failed.append(exc)
                started.set()
                return
            started.set()
            loop.run_forever()

        self.thread = threading.Thread(target=run, name="smsc", daemon=True)
        self.thread.start()
        started.wait(10)
        if failed:
            raise failed[0]
        return self

    def stop(self) -> None:
        loop = self.loop
        if loop is None or self.thread is None:
            return

        async def close() -> None:
            assert self.server is not None
            self.server.close()
            for peer in list(self.sessions):
                peer.writer.close()

        asyncio.run_coroutine_threadsafe(close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        self.thread.join(10)

    def __enter__(self) -> SMSC:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _notify(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, predicate, timeout: float = 10.0) -> bool:
        """Block until ``predicate(self)`` holds (counters change under the condition)."""
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout)

    # --- actions from tests ------------------------------------------------------------

    def fate(self, destination: str) -> tuple[str, bool]:
        """The receipt stat of a destination and whether it replies: ``stat_for``, else
        ``mix`` in turn per new destination (every part of a long message, and a later message
        to the same number, share it), else ``DELIVRD``."""
        if destination in self.stat_for:
            return self.stat_for[destination], False
        if not (self.mix or self.reply_every):
            return "DELIVRD", False
        known = self.fates.get(destination)
        if known is None:
            stat = self.mix[len(self.fates) % len(self.mix)] if self.mix else "DELIVRD"
            replies = False
            if stat == "DELIVRD" and self.reply_every:
                self.delivered += 1
                replies = self.delivered % self.reply_every == 1 % self.reply_every
            known = self.fates[destination] = (stat, replies)
        return known

    def drop(self) -> None:
        """Close every connection at once (no unbind), as a crashing SMSC would."""
        assert self.loop is not None

        async def close() -> None:
            for peer in list(self.sessions):
                peer.writer.transport.abort()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)

    def send_mo(self, source: str, destination: str, text: str, *, ton: int = 1) -> None:
        """A mobile-originated SMS to the first bound session (split and concatenated)."""
        assert self.loop is not None

        async def send() -> None:
            peer = next(p for p in self.sessions if p.bound)
            peer.mo(source, destination, text, ton=ton)

        asyncio.run_coroutine_threadsafe(send(), self.loop).result(10)

    # --- protocol ----------------------------------------------------------------------

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = _Peer(self, reader, writer)
        self.sessions.add(peer)
        try:
            await peer.run()
        finally:
            self.sessions.discard(peer)
            writer.close()
            self._notify()


class _Peer:
    def __init__(self, smsc: SMSC, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.smsc = smsc
        self.reader = reader
        self.writer = writer
        self.bound = False
        self.system_id = ""
        self.sequence = itertools.count(1)
        self.kinds: dict[int, str] = {}
        self.out = pdu.Coalescer(writer)
        self.write, self.flush = self.out.write, self.out.flush

    def request(self, command_id: int, body: bytes, *, kind: str) -> None:
        seq = next(self.sequence)
        self.kinds[seq] = kind
        self.write(pdu.encode(command_id, seq, body))

    async def run(self) -> None:
        buf = bytearray()
        while True:
            try:
                data = await self.reader.read(262144)
            except OSError:
                return
            if not data:
                return
            buf += data
            try:
                frames = pdu.frames(buf)
            except pdu.PDUError:
                return
            for command_id, status, seq, body in frames:
                if not self.handle(command_id, status, seq, body):
                    self.flush()
                    await self.writer.drain()
                    return
            if self.writer.transport.get_write_buffer_size() > 1 << 20:
                await self.writer.drain()

    def handle(self, command_id: int, status: int, seq: int, body: bytes) -> bool:
        smsc, write = self.smsc, self.write
        if command_id in pdu.BINDS:
            bind = pdu.decode_bind(body)
            if smsc.accounts.get(bind.system_id) != bind.password:
                smsc.refused_binds += 1
                code = pdu.ESME_RINVSYSID if bind.system_id not in smsc.accounts else None
                write(pdu.encode(command_id | pdu.RESP, seq, b"",
                                 code or pdu.ESME_RINVPASWD))  # fmt: skip
                smsc._notify()
                return False
            self.bound, self.system_id = True, bind.system_id
            smsc.binds.append(bind.system_id)
            write(pdu.encode(command_id | pdu.RESP, seq, pdu.encode_message_id("smsc")))
            smsc._notify()
            return True
        if command_id == pdu.ENQUIRE_LINK:
            smsc.enquire_links += 1
            write(pdu.encode(pdu.ENQUIRE_LINK | pdu.RESP, seq))
            smsc._notify()
            return True
        if command_id == pdu.UNBIND:
            write(pdu.encode(pdu.UNBIND | pdu.RESP, seq))
            return False
        if command_id & pdu.RESP:
            kind = self.kinds.pop(seq, "")
            if kind == "receipt":
                smsc.receipts_answered += 1
            elif kind == "mo":
                smsc.mo_answered += 1
            smsc._notify()
            return True
        if not self.bound:
            write(pdu.encode(command_id | pdu.RESP, seq, b"", pdu.ESME_RINVBNDSTS))
            return True
        if command_id == pdu.SUBMIT_SM:
            self.submit(seq, body)
            return True
        write(pdu.encode(pdu.GENERIC_NACK, seq, b"", pdu.ESME_RINVCMDID))
        return True

    def submit(self, seq: int, body: bytes) -> None:
        smsc, write = self.smsc, self.write
        sm = pdu.decode_sm(body)
        smsc.submits += 1
        if smsc.throttled < smsc.throttle_first or smsc.submits in smsc.throttle_at:
            smsc.throttled += 1
            write(pdu.encode(pdu.SUBMIT_SM | pdu.RESP, seq, b"", smsc.throttle_status))
            smsc._notify()
            return
        rejected = smsc.reject.get(sm.destination_addr)
        if rejected:
            write(pdu.encode(pdu.SUBMIT_SM | pdu.RESP, seq, b"", rejected))
            smsc._notify()
            return
        number = next(smsc.ids)
        message_id = format(number, "x") if smsc.id_format == "hex" else str(number)
        if smsc.keep:
            smsc.submitted.append(Submitted(message_id, self.system_id, sm))
        resp = pdu.encode(pdu.SUBMIT_SM | pdu.RESP, seq, pdu.encode_message_id(message_id))
        if smsc.receipts and sm.registered_delivery & 0x03:
            receipt_id = str(number) if smsc.receipt_id_format == "decimal" else message_id
            stat = smsc.fate(sm.destination_addr)[0]
            if smsc.receipt_first:
                self.receipt(sm, message_id, receipt_id, stat)
                write(resp)
            else:
                write(resp)
                delay = smsc.receipt_delay
                if smsc.receipt_jitter:
                    delay += smsc.receipt_jitter * smsc.rng.random()
                if delay:
                    assert smsc.loop is not None
                    smsc.loop.call_later(delay, self.receipt, sm, message_id, receipt_id, stat)
                else:
                    self.receipt(sm, message_id, receipt_id, stat)
        else:
            write(resp)
        smsc._notify()

    def receipt(self, sm: pdu.ShortMessage, message_id: str, receipt_id: str, stat: str) -> None:
        if self.writer.is_closing():
            return
        now = dt.datetime.now().strftime("%y%m%d%H%M")  # noqa: DTZ005  (SMSC local time)
        text = pdu.receipt_text(
            receipt_id,
            stat,
            submit_date=now,
            done_date=now,
            err="000" if stat == "DELIVRD" else "001",
        )
        tlvs = {}
        if self.smsc.receipt_tlv:
            tlvs[pdu.TLV_RECEIPTED_MESSAGE_ID] = message_id.encode() + b"\x00"
            state = {v: k for k, v in pdu.MESSAGE_STATES.items()}.get(stat, 7)
            tlvs[pdu.TLV_MESSAGE_STATE] = bytes((state,))
        deliver = pdu.ShortMessage(
            destination_addr=sm.source_addr,
            dest_addr_ton=sm.source_addr_ton,
            dest_addr_npi=sm.source_addr_npi,
            source_addr=sm.destination_addr,
            source_addr_ton=sm.dest_addr_ton,
            source_addr_npi=sm.dest_addr_npi,
            esm_class=pdu.ESM_RECEIPT,
            short_message=text.encode("ascii"),
            tlvs=tlvs,
        )
        self.request(pdu.DELIVER_SM, pdu.encode_sm(deliver), kind="receipt")
        smsc = self.smsc
        smsc.receipts_sent += 1
        destination = sm.destination_addr
        if smsc.fates.get(destination, ("", False))[1] and destination not in smsc.replied:
            smsc.replied.add(destination)
            text = smsc.replies[smsc.mo_sent % len(smsc.replies)]
            smsc.mo_sent += 1
            assert smsc.loop is not None
            smsc.loop.call_later(smsc.reply_delay, self.reply, destination, text)

    def reply(self, sender: str, text: str) -> None:
        """A mobile-originated SMS from ``sender`` on this session (the demo's replies)."""
        if self.writer.is_closing():
            return
        self.mo(sender, self.smsc.reply_to, text)

    def mo(self, source: str, destination: str, text: str, *, ton: int = 1) -> None:
        encoded = pdu.encode_text(text, reference=next(self.smsc.references))
        for part in encoded.parts:
            sm = pdu.ShortMessage(
                destination_addr=destination,
                source_addr=source,
                source_addr_ton=ton,
                source_addr_npi=1,
                esm_class=encoded.esm_class,
                data_coding=encoded.data_coding,
                short_message=part,
            )
            self.request(pdu.DELIVER_SM, pdu.encode_sm(sm), kind="mo")


def main() -> None:  # pragma: no cover - used by the benchmark as a process
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    smsc = SMSC(keep=False)
    smsc.start(port)
    print("ready", smsc.port, flush=True)  # noqa: T201  (the parent reads the port)
    sys.stdin.read()
    counters = {
        "submits": smsc.submits,
        "receipts_sent": smsc.receipts_sent,
        "receipts_answered": smsc.receipts_answered,
        "binds": len(smsc.binds),
    }
    with contextlib.suppress(Exception):
        smsc.stop()
    print(json.dumps(counters), flush=True)  # noqa: T201


if __name__ == "__main__":  # pragma: no cover
    main()
