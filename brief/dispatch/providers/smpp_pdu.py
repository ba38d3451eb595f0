"""SMPP 3.4 PDUs: framing, the PDUs Brief uses, TLVs, GSM-7 and UCS-2 short messages.

Pure functions (no Django; no I/O but :class:`Coalescer`): the SMPP adapter
(:mod:`brief.dispatch.providers.smpp`) and the loopback SMSC (:mod:`brief.dispatch.peers.smsc`)
both speak through these functions. A PDU is a 16-octet header (``command_length``,
``command_id``, ``command_status``, ``sequence_number``, big-endian uint32) and a body of
integers, C-octet strings (NUL-terminated) and optional TLVs. Long texts are split by
:func:`brief.content.sms.split` (the rule the editor counts with) and carry a concatenation UDH
(IEI 0x00, 8-bit reference).
"""

from __future__ import annotations

import asyncio
import re
import struct
from dataclasses import dataclass, field

from brief.content import sms

HEADER = struct.Struct(">IIII")
MAX_PDU = 64 * 1024  # larger command_length values are garbage, not PDUs

# command ids
GENERIC_NACK = 0x80000000
BIND_RECEIVER = 0x00000001
BIND_TRANSMITTER = 0x00000002
SUBMIT_SM = 0x00000004
DELIVER_SM = 0x00000005
UNBIND = 0x00000006
BIND_TRANSCEIVER = 0x00000009
ENQUIRE_LINK = 0x00000015
DATA_SM = 0x00000103
RESP = 0x80000000  # the response of command X is X | RESP

BINDS = frozenset({BIND_RECEIVER, BIND_TRANSMITTER, BIND_TRANSCEIVER})

# command_status values (SMPP 3.4 §5.1.3) that Brief names
ESME_ROK = 0x00
ESME_RINVMSGLEN = 0x01
ESME_RINVCMDLEN = 0x02
ESME_RINVCMDID = 0x03
ESME_RINVBNDSTS = 0x04
ESME_RALYBND = 0x05
ESME_RSYSERR = 0x08
ESME_RINVSRCADR = 0x0A
ESME_RINVDSTADR = 0x0B
ESME_RBINDFAIL = 0x0D
ESME_RINVPASWD = 0x0E
ESME_RINVSYSID = 0x0F
ESME_RMSGQFUL = 0x14
ESME_RINVESMCLASS = 0x43
ESME_RSUBMITFAIL = 0x45
ESME_RTHROTTLED = 0x58
ESME_RX_T_APPN = 0x64
ESME_RX_P_APPN = 0x65
ESME_RX_R_APPN = 0x66
ESME_RDELIVERYFAILURE = 0xFE
ESME_RUNKNOWNERR = 0xFF

STATUS_NAMES = {
    0x00: "ESME_ROK",
    0x01: "ESME_RINVMSGLEN",
    0x02: "ESME_RINVCMDLEN",
    0x03: "ESME_RINVCMDID",
    0x04: "ESME_RINVBNDSTS",
    0x05: "ESME_RALYBND",
    0x06: "ESME_RINVPRTFLG",
    0x07: "ESME_RINVREGDLVFLG",
    0x08: "ESME_RSYSERR",
    0x0A: "ESME_RINVSRCADR",
    0x0B: "ESME_RINVDSTADR",
    0x0C: "ESME_RINVMSGID",
    0x0D: "ESME_RBINDFAIL",
    0x0E: "ESME_RINVPASWD",
    0x0F: "ESME_RINVSYSID",
    0x14: "ESME_RMSGQFUL",
    0x15: "ESME_RINVSERTYP",
    0x43: "ESME_RINVESMCLASS",
    0x45: "ESME_RSUBMITFAIL",
    0x48: "ESME_RINVSRCTON",
    0x49: "ESME_RINVSRCNPI",
    0x50: "ESME_RINVDSTTON",
    0x51: "ESME_RINVDSTNPI",
    0x53: "ESME_RINVSYSTYP",
    0x58: "ESME_RTHROTTLED",
    0x61: "ESME_RINVSCHED",
    0x62: "ESME_RINVEXPIRY",
    0x64: "ESME_RX_T_APPN",
    0x65: "ESME_RX_P_APPN",
    0x66: "ESME_RX_R_APPN",
    0xC0: "ESME_RINVOPTPARSTREAM",
    0xC1: "ESME_ROPTPARNOTALLWD",
    0xC2: "ESME_RINVPARLEN",
    0xC3: "ESME_RMISSINGOPTPARAM",
    0xC4: "ESME_RINVOPTPARAMVAL",
    0xFE: "ESME_RDELIVERYFAILURE",
    0xFF: "ESME_RUNKNOWNERR",
}

# esm_class bits
ESM_UDHI = 0x40
ESM_RECEIPT = 0x04  # deliver_sm message type: SMSC delivery receipt

# data_coding
DC_DEFAULT = 0x00  # SMSC default alphabet (GSM 03.38 here)
DC_ASCII = 0x01
DC_LATIN1 = 0x03
DC_UCS2 = 0x08

# TLV tags
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_PAYLOAD = 0x0424
TLV_MESSAGE_STATE = 0x0427
TLV_NETWORK_ERROR_CODE = 0x0423

# message_state TLV values → receipt "stat" words
MESSAGE_STATES = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}


class PDUError(ValueError):
    """Bytes that are not a well-formed SMPP 3.4 PDU."""


def status_name(status: int) -> str:
    return STATUS_NAMES.get(status, f"0x{status:08X}")


# --- framing ---------------------------------------------------------------------------


def encode(command_id: int, sequence: int, body: bytes = b"", status: int = 0) -> bytes:
    """One PDU on the wire."""
    return HEADER.pack(16 + len(body), command_id, status, sequence) + body


def frames(buffer: bytearray) -> list[tuple[int, int, int, bytes]]:
    """Take every complete PDU off the front of ``buffer``: (command_id, status, sequence,
    body). An impossible length raises :class:`PDUError` (the connection must be dropped)."""
    out = []
    offset, size = 0, len(buffer)
    unpack = HEADER.unpack_from
    while size - offset >= 16:
        length, command_id, status, sequence = unpack(buffer, offset)
        if length < 16 or length > MAX_PDU:
            raise PDUError(f"command_length {length}")
        if size - offset < length:
            break
        out.append((command_id, status, sequence, bytes(buffer[offset + 16 : offset + length])))
        offset += length
    if offset:
        del buffer[:offset]
    return out


class Coalescer:
    """Writes PDUs to a stream so that everything queued in one loop turn leaves in one
    ``send`` (a system call per PDU costs more than building it)."""

    def __init__(self, writer: asyncio.StreamWriter):
        self.writer = writer
        self.loop = asyncio.get_running_loop()
        self.outgoing: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self.outgoing:
            self.loop.call_soon(self.flush)
        self.outgoing.append(data)

    def flush(self) -> None:
        if self.outgoing and not self.writer.is_closing():
            self.writer.write(b"".join(self.outgoing))
        self.outgoing.clear()


# --- fields ----------------------------------------------------------------------------


def cstr(value: str, max_octets: int) -> bytes:
    """A C-octet string (ASCII, NUL-terminated); ``max_octets`` counts the NUL."""
    raw = value.encode("ascii")
    if len(raw) >= max_octets:
        raise PDUError(f"{value!r} is longer than {max_octets - 1} octets")
    return raw + b"\x00"


def read_cstr(body: bytes, offset: int) -> tuple[str, int]:
    end = body.find(b"\x00", offset)
    if end < 0:
        raise PDUError("C-octet string without NUL")
    return body[offset:end].decode("latin-1"), end + 1


def encode_tlvs(tlvs: dict[int, bytes]) -> bytes:
    return b"".join(struct.pack(">HH", tag, len(v)) + v for tag, v in tlvs.items())


def decode_tlvs(body: bytes, offset: int) -> dict[int, bytes]:
    tlvs = {}
    while offset < len(body):
        if len(body) - offset < 4:
            raise PDUError("truncated TLV")
        tag, length = struct.unpack_from(">HH", body, offset)
        offset += 4
        if len(body) - offset < length:
            raise PDUError(f"TLV 0x{tag:04X} longer than the PDU")
        tlvs[tag] = body[offset : offset + length]
        offset += length
    return tlvs


# --- bind ------------------------------------------------------------------------------


@dataclass
class Bind:
    system_id: str
    password: str = ""
    system_type: str = ""
    interface_version: int = 0x34
    addr_ton: int = 0
    addr_npi: int = 0
    address_range: str = ""


def encode_bind(bind: Bind) -> bytes:
    return (
        cstr(bind.system_id, 16)
        + cstr(bind.password, 9)
        + cstr(bind.system_type, 13)
        + bytes((bind.interface_version, bind.addr_ton, bind.addr_npi))
        + cstr(bind.address_range, 41)
    )


def decode_bind(body: bytes) -> Bind:
    system_id, o = read_cstr(body, 0)
    password, o = read_cstr(body, o)
    system_type, o = read_cstr(body, o)
    if len(body) < o + 3:
        raise PDUError("truncated bind")
    version, ton, npi = body[o : o + 3]
    address_range, _ = read_cstr(body, o + 3)
    return Bind(system_id, password, system_type, version, ton, npi, address_range)


def encode_message_id(message_id: str) -> bytes:
    """Body of ``submit_sm_resp`` (and ``bind_*_resp``: the SMSC's system_id)."""
    return cstr(message_id, 65)


def decode_message_id(body: bytes) -> str:
    """``message_id`` of a ``submit_sm_resp``; "" for an error response without body."""
    if not body:
        return ""
    return read_cstr(body, 0)[0]


# --- submit_sm / deliver_sm ------------------------------------------------------------


@dataclass
class ShortMessage:
    """The body of ``submit_sm`` and ``deliver_sm`` (same layout, SMPP 3.4 §4.4.1 / §4.6.1)."""

    destination_addr: str
    short_message: bytes = b""
    source_addr: str = ""
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    dest_addr_ton: int = 1
    dest_addr_npi: int = 1
    service_type: str = ""
    esm_class: int = 0
    protocol_id: int = 0
    priority_flag: int = 0
    schedule_delivery_time: str = ""
    validity_period: str = ""
    registered_delivery: int = 0
    replace_if_present_flag: int = 0
    data_coding: int = 0
    sm_default_msg_id: int = 0
    tlvs: dict[int, bytes] = field(default_factory=dict)

    @property
    def udh(self) -> bytes:
        """The user data header (empty when ``esm_class`` has no UDHI)."""
        if not self.esm_class & ESM_UDHI or not self.short_message:
            return b""
        return self.short_message[: 1 + self.short_message[0]]

    @property
    def payload(self) -> bytes:
        """The user data without its header (``message_payload`` TLV when sm_length is 0)."""
        data = self.short_message or self.tlvs.get(TLV_MESSAGE_PAYLOAD, b"")
        if self.esm_class & ESM_UDHI and data:
            return data[1 + data[0] :]
        return data

    def concatenation(self) -> tuple[int, int, int] | None:
        """(reference, total, sequence) from a concatenation UDH (IEI 0x00 or 0x08)."""
        udh = self.udh
        o = 1
        while o + 1 < len(udh):
            iei, length = udh[o], udh[o + 1]
            value = udh[o + 2 : o + 2 + length]
            if iei == 0x00 and length == 3:
                return value[0], value[1], value[2]
            if iei == 0x08 and length == 4:
                return (value[0] << 8) | value[1], value[2], value[3]
            o += 2 + length
        return None


_SM_FLAGS = struct.Struct(">BBBBB")


def encode_sm(m: ShortMessage) -> bytes:
    if len(m.short_message) > 254:
        raise PDUError("short_message longer than 254 octets (use message_payload)")
    return b"".join(
        (
            cstr(m.service_type, 6),
            bytes((m.source_addr_ton, m.source_addr_npi)),
            cstr(m.source_addr, 21),
            bytes((m.dest_addr_ton, m.dest_addr_npi)),
            cstr(m.destination_addr, 21),
            bytes((m.esm_class, m.protocol_id, m.priority_flag)),
            cstr(m.schedule_delivery_time, 17),
            cstr(m.validity_period, 17),
            _SM_FLAGS.pack(
                m.registered_delivery,
                m.replace_if_present_flag,
                m.data_coding,
                m.sm_default_msg_id,
                len(m.short_message),
            ),
            m.short_message,
            encode_tlvs(m.tlvs),
        )
    )


def decode_sm(body: bytes) -> ShortMessage:
    try:
        service_type, o = read_cstr(body, 0)
        src_ton, src_npi = body[o], body[o + 1]
        source_addr, o = read_cstr(body, o + 2)
        dst_ton, dst_npi = body[o], body[o + 1]
        destination_addr, o = read_cstr(body, o + 2)
        esm_class, protocol_id, priority = body[o], body[o + 1], body[o + 2]
        schedule, o = read_cstr(body, o + 3)
        validity, o = read_cstr(body, o)
        registered, replace, coding, default_id, length = body[o : o + 5]
    except (IndexError, ValueError) as exc:
        raise PDUError(f"truncated short message PDU: {exc}") from exc
    o += 5
    if len(body) < o + length:
        raise PDUError("sm_length beyond the PDU")
    return ShortMessage(
        service_type=service_type,
        source_addr_ton=src_ton,
        source_addr_npi=src_npi,
        source_addr=source_addr,
        dest_addr_ton=dst_ton,
        dest_addr_npi=dst_npi,
        destination_addr=destination_addr,
        esm_class=esm_class,
        protocol_id=protocol_id,
        priority_flag=priority,
        schedule_delivery_time=schedule,
        validity_period=validity,
        registered_delivery=registered,
        replace_if_present_flag=replace,
        data_coding=coding,
        sm_default_msg_id=default_id,
        short_message=body[o : o + length],
        tlvs=decode_tlvs(body, o + length),
    )


# --- GSM 03.38 -------------------------------------------------------------------------

# The default alphabet in code order (0x1B, the escape, is a placeholder here).
GSM_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXT_TABLE = {"\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C,
                 "~": 0x3D, "]": 0x3E, "|": 0x40, "€": 0x65}  # fmt: skip
_GSM_CODE = {ch: i for i, ch in enumerate(GSM_TABLE) if i != 0x1B}
_GSM_EXT_CHAR = {code: ch for ch, code in GSM_EXT_TABLE.items()}


_GSM_ENCODE = {ord(ch): chr(code) for ch, code in _GSM_CODE.items()} | {
    ord(ch): "\x1b" + chr(code) for ch, code in GSM_EXT_TABLE.items()
}
_GSM_DECODE = {code: ch for code, ch in enumerate(GSM_TABLE) if code != 0x1B}
_GSM_ALL = frozenset(_GSM_CODE) | frozenset(GSM_EXT_TABLE)
_MASK7 = bytes(b & 0x7F for b in range(256))


def gsm7_septets(text: str) -> bytes:
    """``text`` as GSM-7 septet values, one per octet (extension characters take two)."""
    if not _GSM_ALL.issuperset(text):
        bad = next(ch for ch in text if ch not in _GSM_ALL)
        raise PDUError(f"{bad!r} is not in the GSM 03.38 alphabet")
    return text.translate(_GSM_ENCODE).encode("latin-1")


def gsm7_text(septets: bytes) -> str:
    """Septet values (one per octet) back to text; an unknown escape reads as a space."""
    if 0x1B not in septets:
        return septets.translate(_MASK7).decode("latin-1").translate(_GSM_DECODE)
    out, escape = [], False
    for code in septets:
        code &= 0x7F
        if escape:
            out.append(_GSM_EXT_CHAR.get(code, " "))
            escape = False
        elif code == 0x1B:
            escape = True
        else:
            out.append(GSM_TABLE[code])
    return "".join(out)


def pack7(septets: bytes, fill_bits: int = 0) -> bytes:
    """Pack septets into octets (3GPP TS 23.038 §6.1.2.1), after ``fill_bits`` zero bits.

    When 7 bits would be left over, they carry a CR (§6.1.2.3.1), so that the receiver does not
    read an ``@`` there; :func:`unpack7` drops it."""
    value = 0
    for i, s in enumerate(septets):
        value |= (s & 0x7F) << (fill_bits + 7 * i)
    bits = fill_bits + 7 * len(septets)
    if bits % 8 == 1:
        value |= 0x0D << bits
    return value.to_bytes((bits + 7) // 8, "little")


def unpack7(data: bytes, fill_bits: int = 0, count: int | None = None) -> bytes:
    """The inverse of :func:`pack7` (``count`` septets; default: all whole septets but a CR
    that only fills the last octet)."""
    value = int.from_bytes(data, "little") >> fill_bits
    bits = len(data) * 8 - fill_bits
    n = bits // 7 if count is None else count
    out = bytes((value >> (7 * i)) & 0x7F for i in range(n))
    if count is None and n and bits % 7 == 0 and out[-1] == 0x0D:
        out = out[:-1]
    return out


# --- splitting a text into PDUs ---------------------------------------------------------


@dataclass
class Encoded:
    """A text ready for ``submit_sm``: one short_message per segment."""

    data_coding: int
    esm_class: int
    parts: list[bytes]
    encoding: str


def encode_text(text: str, *, reference: int = 0, packed: bool = False) -> Encoded:
    """``text`` as ``short_message`` octets: GSM-7 (``data_coding`` 0, unpacked — one septet per
    octet, what SMSCs expect unless told otherwise — or ``packed``) when every character is in
    GSM 03.38, else UCS-2 (``data_coding`` 8, UTF-16BE). Texts longer than one SMS get a
    concatenation UDH (IEI 0x00, 8-bit ``reference``) in each part, with the parts cut exactly as
    :func:`brief.content.sms.split` (and so ``analyze``) counts them."""
    encoding = sms.encoding_of(text)
    chunks = sms.split(text, encoding) or [""]
    total = len(chunks)
    if total > 255:
        raise PDUError("more than 255 segments")
    parts = []
    for seq, chunk in enumerate(chunks, start=1):
        udh = bytes((5, 0x00, 3, reference & 0xFF, total, seq)) if total > 1 else b""
        if encoding == "UCS-2":
            body = chunk.encode("utf-16-be")
        elif packed:
            fill = (7 - (len(udh) * 8) % 7) % 7
            body = pack7(gsm7_septets(chunk), fill)
        else:
            body = gsm7_septets(chunk)
        parts.append(udh + body)
    return Encoded(
        data_coding=DC_UCS2 if encoding == "UCS-2" else DC_DEFAULT,
        esm_class=ESM_UDHI if total > 1 else 0,
        parts=parts,
        encoding=encoding,
    )


def decode_text(m: ShortMessage, *, packed: bool = False) -> str:
    """The text of a received short message (its UDH left out)."""
    data = m.payload
    coding = m.data_coding
    if coding == DC_UCS2:
        return data.decode("utf-16-be", errors="replace")
    if coding == DC_ASCII:
        return data.decode("ascii", errors="replace")
    if coding == DC_DEFAULT:
        if packed:
            udh_bits = len(m.udh) * 8
            fill = (7 - udh_bits % 7) % 7
            return gsm7_text(unpack7(data, fill))
        return gsm7_text(data)
    return data.decode("latin-1")


# --- delivery receipts ------------------------------------------------------------------

_RECEIPT_FIELD = re.compile(
    r"(id|sub|dlvrd|submit date|done date|stat|err|text):\s*(.*?)(?=\s+(?:id|sub|dlvrd|submit date|"
    r"done date|stat|err|text):|$)",
    re.IGNORECASE | re.DOTALL,
)


def parse_receipt_text(text: str) -> dict[str, str]:
    """Fields of a receipt text (SMPP 3.4 Appendix B): ``id``, ``sub``, ``dlvrd``,
    ``submit date``, ``done date``, ``stat``, ``err``, ``text`` (keys in lower case)."""
    return {k.lower(): v.strip() for k, v in _RECEIPT_FIELD.findall(text)}


def receipt_text(
    message_id: str,
    stat: str,
    *,
    submit_date: str = "",
    done_date: str = "",
    err: str = "000",
    text: str = "",
) -> str:
    """The receipt text an SMSC sends (for the loopback SMSC and fixtures)."""
    delivered = "001" if stat == "DELIVRD" else "000"
    return (
        f"id:{message_id} sub:001 dlvrd:{delivered} submit date:{submit_date} "
        f"done date:{done_date} stat:{stat} err:{err} text:{text[:20]}"
    )
