"""DSN and ARF parsing on recorded-format reports (Postfix, Exchange/Office 365, Gmail, ARF)."""

from __future__ import annotations

from pathlib import Path

import pytest

from brief.dispatch import mailreports
from brief.dispatch.mailreports import COMPLAINT, DELAY, HARD, SOFT

FIXTURES = Path(__file__).parent / "fixtures" / "email"


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "kind", "message_id", "recipient", "status"),
    [
        ("postfix_hard_5.1.1.eml", HARD, 101, "nadie@correo.co", "5.1.1"),
        ("postfix_delayed_4.4.1.eml", DELAY, 102, "lento@correo.co", "4.4.1"),
        ("exchange_soft_4.2.2.eml", SOFT, 103, "lleno@contoso.example", "4.2.2"),
        (
            "office365_hard_5.1.10.eml",
            HARD,
            104,
            "inexistente@icetex-estudiantes.example",
            "5.1.10",
        ),
        ("gmail_hard_5.1.1.eml", HARD, 105, "noexiste.estudiante@gmail.com", "5.1.1"),
        ("arf_abuse.eml", COMPLAINT, 106, "molesto@correo.co", "abuse"),
    ],
)
def test_each_report_style_names_our_message_and_its_outcome(
    name, kind, message_id, recipient, status
):
    # when
    reports = mailreports.parse(raw(name), verp_domains=("brief.test",))
    # then
    assert len(reports) == 1
    report = reports[0]
    assert (report.kind, report.message_ids, report.recipient, report.status) == (
        kind,
        [message_id],
        recipient,
        status,
    )
    assert mailreports.is_report(raw(name)) is True


def test_codes_and_diagnostics_are_kept():
    hard = mailreports.parse(raw("postfix_hard_5.1.1.eml"))[0]
    assert hard.code == "dsn_5.1.1"
    assert hard.diagnostic.startswith("smtp; 550 5.1.1 <nadie@correo.co>: Recipient address")
    assert mailreports.parse(raw("arf_abuse.eml"))[0].code == "arf_abuse"


def test_verp_alone_is_enough_when_the_returned_headers_are_cut():
    # given a Postfix DSN whose returned headers part is gone
    text = raw("postfix_hard_5.1.1.eml").decode()
    head, _sep, _rest = text.partition("Content-Description: Undelivered Message Headers")
    cut = head + "--\r\n"
    # when / then: the VERP address (envelope and X-Postfix-Sender) names message 101
    assert mailreports.parse(cut.encode(), verp_domains=("brief.test",))[0].message_ids == [101]
    # a VERP address of another domain is not ours
    assert mailreports.parse(cut.encode(), verp_domains=("otro.example",))[0].message_ids == []


@pytest.mark.parametrize("envid", ["brief-101@brief.test", "brief-101@brief+2Etest"])
def test_the_original_envelope_id_alone_names_our_message(envid):
    # given a DSN with no returned headers, no VERP and no Message-ID: only the ENVID we sent
    text = raw("postfix_hard_5.1.1.eml").decode()
    head, _sep, _rest = text.partition("Content-Description: Undelivered Message Headers")
    head = head.replace("bounces+101@brief.test", "no-responder@icetex.example")
    head = head.replace(
        "Reporting-MTA: dns; mx1.brief.test",
        f"Reporting-MTA: dns; mx1.brief.test\nOriginal-Envelope-Id: {envid}",
    )
    assert "101" not in head.replace(envid, "")
    # when / then
    [report] = mailreports.parse((head + "--\r\n").encode())
    assert (report.kind, report.message_ids, report.status) == (HARD, [101], "5.1.1")


def test_ordinary_mail_is_not_a_report():
    mail = b"From: ana@correo.co\r\nTo: bounces+1@brief.test\r\nSubject: Hola\r\n\r\nGracias\r\n"
    assert mailreports.is_report(mail) is False
    assert mailreports.parse(mail) == []
    assert mailreports.parse(b"") == []
    assert mailreports.parse(b"\x00\xff garbage") == []
