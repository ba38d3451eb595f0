"""The SMPP 3.4 codec, checked against an independent implementation (smpplib) and recorded
PDUs, and its segments against the content app's counter."""

from __future__ import annotations

from pathlib import Path

import pytest
import smpplib.gsm
import smpplib.smpp

from brief.content import sms
from brief.dispatch.providers import smpp_pdu as pdu

FIXTURES = Path(__file__).parent / "fixtures" / "smpp"


class _Client:
    sequence = 0

    def next_sequence(self):
        self.sequence += 1
        return self.sequence


def fixture(name: str) -> bytes:
    return bytes.fromhex((FIXTURES / name).read_text().strip())


def test_frames_take_whole_pdus_only_and_keep_the_rest():
    # given two PDUs and half of a third
    one = pdu.encode(pdu.ENQUIRE_LINK, 1)
    two = pdu.encode(pdu.SUBMIT_SM | pdu.RESP, 2, pdu.encode_message_id("abc"))
    three = pdu.encode(pdu.UNBIND, 3)
    buf = bytearray(one + two + three[:7])
    # when
    got = pdu.frames(buf)
    # then
    assert got == [(pdu.ENQUIRE_LINK, 0, 1, b""), (pdu.SUBMIT_SM | pdu.RESP, 0, 2, b"abc\x00")]
    assert bytes(buf) == three[:7]
    buf += three[7:]
    assert pdu.frames(buf) == [(pdu.UNBIND, 0, 3, b"")]
    assert buf == bytearray()


def test_an_impossible_command_length_is_an_error():
    with pytest.raises(pdu.PDUError):
        pdu.frames(bytearray(b"\x00\x00\x00\x03" + b"\x00" * 12))


def test_submit_sm_as_smpplib_reads_it():
    # given
    encoded = pdu.encode_text("Hola Ñoño, €5")
    body = pdu.encode_sm(
        pdu.ShortMessage(
            destination_addr="573001234567",
            short_message=encoded.parts[0],
            source_addr="ICETEX",
            source_addr_ton=5,
            registered_delivery=1,
            data_coding=encoded.data_coding,
        )
    )
    # when
    parsed = smpplib.smpp.parse_pdu(pdu.encode(pdu.SUBMIT_SM, 9, body), client=_Client())
    # then
    assert parsed.command == "submit_sm"
    assert parsed.sequence == 9
    assert parsed.destination_addr == b"573001234567"
    assert parsed.source_addr == b"ICETEX"
    assert parsed.source_addr_ton == 5
    assert parsed.dest_addr_ton == 1
    assert parsed.registered_delivery == 1
    assert parsed.data_coding == 0
    assert parsed.short_message == smpplib.gsm.gsm_encode("Hola Ñoño, €5")


def test_bind_transceiver_as_smpplib_reads_it():
    body = pdu.encode_bind(pdu.Bind("brief", "secreto", "VMA"))
    parsed = smpplib.smpp.parse_pdu(pdu.encode(pdu.BIND_TRANSCEIVER, 1, body), client=_Client())
    assert (parsed.system_id, parsed.password, parsed.system_type) == (b"brief", b"secreto", b"VMA")
    assert parsed.interface_version == 0x34
    assert pdu.decode_bind(body).password == "secreto"


def test_recorded_receipt_deliver_sm():
    # given a deliver_sm receipt as smpplib writes it (tests/dispatch/fixtures/smpp)
    frames = pdu.frames(bytearray(fixture("deliver_sm_receipt.hex")))
    [(command_id, status, seq, body)] = frames
    # when
    sm = pdu.decode_sm(body)
    fields = pdu.parse_receipt_text(pdu.decode_text(sm))
    # then
    assert (command_id, status, seq) == (pdu.DELIVER_SM, 0, 0x2A)
    assert sm.esm_class & pdu.ESM_RECEIPT
    assert sm.source_addr == "573001234567"
    assert sm.tlvs[pdu.TLV_RECEIPTED_MESSAGE_ID] == b"0a1b2c3d\x00"
    assert sm.tlvs[pdu.TLV_MESSAGE_STATE] == b"\x02"
    assert fields == {
        "id": "0a1b2c3d",
        "sub": "001",
        "dlvrd": "001",
        "submit date": "2612091005",
        "done date": "2612091006",
        "stat": "DELIVRD",
        "err": "000",
        "text": "Hola Ana, su saldo",
    }


def test_recorded_mobile_originated_ucs2():
    [(_, _, _, body)] = pdu.frames(bytearray(fixture("deliver_sm_mo_ucs2.hex")))
    sm = pdu.decode_sm(body)
    assert sm.data_coding == pdu.DC_UCS2
    assert pdu.decode_text(sm) == " No más "
    assert not sm.esm_class & pdu.ESM_RECEIPT


def test_gsm7_table_is_the_content_apps_and_smpplibs():
    # the content app's character sets are exactly the codec's tables
    assert set(pdu.GSM_TABLE) - {"\x1b"} == sms.GSM_BASIC
    assert set(pdu.GSM_EXT_TABLE) == sms.GSM_EXTENSION
    # smpplib has "`" where 03.38 has "§" (0x5F) and lacks the form feed; the rest agrees
    for ch in sorted(sms.GSM_ALL - {"§", "\f"}):
        assert pdu.gsm7_septets(ch) == smpplib.gsm.gsm_encode(ch), ch
    assert pdu.gsm7_text(pdu.gsm7_septets("".join(sorted(sms.GSM_ALL)))) == "".join(
        sorted(sms.GSM_ALL)
    )


def test_pack7_known_vector_and_fill_bits():
    # "hellohello" packed is the classic vector of 3GPP TS 23.038 examples
    assert pdu.pack7(pdu.gsm7_septets("hellohello")).hex() == "e8329bfd4697d9ec37"
    septets = pdu.gsm7_septets("Señor, su crédito €")
    for fill in range(7):
        packed = pdu.pack7(septets, fill)
        assert pdu.unpack7(packed, fill, len(septets)) == septets


TEXTS = [
    "",
    "Hola",
    "a" * 160,
    "a" * 161,
    "a" * 306,
    "a" * 307,
    "€" * 80,
    "€" * 81,
    "a" * 152 + "€" + "b" * 10,  # the escape pair never straddles two parts
    "ñÑüÜéÉ¿¡" * 25,
    "Hola 😀" + "x" * 64,
    "😀" * 35,
    "😀" * 36,
    "á" * 70,
    "á" * 71,
    "á" * 134,
    "á" * 135,
    "b" * 66 + "😀" + "c" * 10,  # the surrogate pair never straddles two parts
    "{nombres}, [ICETEX] ~ su crédito | saldo \\ ^ " * 9,
]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("packed", [False, True])
def test_parts_on_the_wire_are_the_content_apps_segments(text, packed):
    # given the content app's count
    analysis = sms.analyze(text)
    # when the codec encodes it
    encoded = pdu.encode_text(text, reference=200, packed=packed)
    # then same number of parts (an empty text still is one empty submit)
    assert len(encoded.parts) == max(1, analysis["segments"])
    assert encoded.data_coding == (8 if analysis["encoding"] == "UCS-2" else 0)
    decoded = []
    for seq, part in enumerate(encoded.parts, start=1):
        sm = pdu.ShortMessage("1", short_message=part, esm_class=encoded.esm_class,
                              data_coding=encoded.data_coding)  # fmt: skip
        if len(encoded.parts) > 1:
            assert sm.concatenation() == (200, len(encoded.parts), seq)
            assert encoded.esm_class == pdu.ESM_UDHI
            assert len(part) <= (140 if packed or encoded.data_coding == 8 else 159)
        else:
            assert encoded.esm_class == 0
        decoded.append(pdu.decode_text(sm, packed=packed))
    assert "".join(decoded) == text


def test_non_gsm_text_cannot_be_encoded_as_gsm7():
    with pytest.raises(pdu.PDUError):
        pdu.gsm7_septets("á")
