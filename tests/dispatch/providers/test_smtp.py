"""The SMTP adapter against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import datetime as dt

import pytest

from brief.core.calendar import BOGOTA
from brief.dispatch import actions, engine
from brief.dispatch.models import Message, ProviderAccount
from brief.dispatch.providers.base import OutgoingMessage
from brief.dispatch.providers.smtp import SMTPProvider, envelope_address, xtext
from tests.services import free_port, smtp_sink


def account(port: int, **options) -> ProviderAccount:
    return ProviderAccount(
        code="smtp",
        name="SMTP",
        channels=["email"],
        concurrency=4,
        backend="brief.dispatch.providers.smtp.SMTPProvider",
        options={"host": "127.0.0.1", "port": port, "start_tls": False, **options},
    )


def test_sends_batch_with_our_message_id_and_unsubscribe_headers():
    with smtp_sink() as (port, sink):
        provider = SMTPProvider(account(port, domain="brief.test"))
        batch = [
            OutgoingMessage(
                id=i,
                to=f"p{i}@correo.co",
                channel="email",
                subject="Aviso",
                text=f"Hola {i}",
                html=f"<p>Hola {i}</p>",
                headers={
                    "List-Unsubscribe": "<https://x.test/u/t>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            )
            for i in range(1, 31)
        ]
        results = provider.send(batch)
    assert sorted(r.id for r in results if r.accepted) == list(range(1, 31))
    assert {r.provider_message_id for r in results} == {
        f"<brief-{i}@brief.test>" for i in range(1, 31)
    }
    assert len(sink.messages) == 30
    first = next(m for m in sink.messages if m["To"] == "p1@correo.co")
    assert first["Message-ID"] == "<brief-1@brief.test>"
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert first.get_body(("plain",)).get_content().strip() == "Hola 1"
    assert first.get_body(("html",)).get_content().strip() == "<p>Hola 1</p>"


@pytest.mark.parametrize("dsn", [True, False])
def test_dsns_are_asked_for_when_the_server_offers_them(dsn):
    # given a server that offers the DSN extension (or one that does not)
    with smtp_sink(dsn=dsn) as (port, sink):
        provider = SMTPProvider(account(port, domain="brief.test"))
        # when
        [result] = provider.send(
            [OutgoingMessage(id=42, to="ana@correo.co", channel="email", subject="A", text="B")]
        )
    # then the envelope asks for failure/delay reports naming our message, only when offered
    assert result.accepted, result.detail
    mail_options, rcpt_options = sink.options[0]
    mail_options = [o for o in mail_options if not o.startswith("SIZE=")]  # aiosmtplib's own
    if dsn:
        assert mail_options == ["RET=HDRS", "ENVID=BRIEF-42@BRIEF.TEST"]  # aiosmtpd upper-cases
        assert rcpt_options == ["NOTIFY=FAILURE,DELAY"]
    else:
        assert (mail_options, rcpt_options) == ([], [])


def test_envelope_id_is_xtext():
    assert xtext("brief-7@brief.test") == "brief-7@brief.test"
    assert xtext("a+b=c d\u00f1") == "a+2Bb+3Dc+20d+C3+B1"


def test_envelope_addresses_are_quoted_as_aiosmtplib_quotes_them():
    assert envelope_address("p1@correo.co") == b"<p1@correo.co>"
    assert envelope_address("Ana <ana.p+x@correo.co>") == b"<ana.p+x@correo.co>"
    # what is not a plain address goes through aiosmtplib's parsing: nothing rides along
    assert envelope_address("a@b.co> NOTIFY=NEVER") == b"<a@b.co>"
    assert envelope_address("a@b.co\r\nRSET") == b"<a@b.co>"


def test_non_ascii_subject_sender_and_body_survive_the_wire():
    with smtp_sink() as (port, sink):
        provider = SMTPProvider(account(port, sender="Atención ICETEX <avisos@icetex.example>"))
        results = provider.send(
            [
                OutgoingMessage(
                    id=7,
                    to="nandu@correo.co",
                    channel="email",
                    subject="Información de su crédito",
                    text="Hola Íñigo, ¿cómo está?",
                )
            ]
        )
    assert results[0].accepted, results[0].detail
    message = sink.messages[0]
    assert message["Subject"] == "Información de su crédito"
    assert message["From"] == "Atención ICETEX <avisos@icetex.example>"
    assert message.get_content().strip() == "Hola Íñigo, ¿cómo está?"


def test_unreachable_server_is_a_temporary_failure_per_message():
    provider = SMTPProvider(account(free_port(), timeout=2))
    results = provider.send([OutgoingMessage(id=1, to="a@b.co", channel="email", text="x")])
    assert [(r.accepted, r.permanent, r.code, r.unavailable) for r in results] == [
        (False, False, "smtp_connection", True)
    ]


def test_recipient_refused_is_permanent():
    from aiosmtpd.smtp import SMTP as _SMTP  # noqa: F401  (server API)

    class Refusing:
        async def handle_RCPT(self, server, session, envelope, address, options):
            if address.startswith("no"):
                return "550 5.1.1 No existe"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        results = SMTPProvider(account(port)).send(
            [
                OutgoingMessage(id=1, to="no@b.co", channel="email", text="x"),
                OutgoingMessage(id=2, to="si@b.co", channel="email", text="x"),
            ]
        )
    finally:
        controller.stop()
    by_id = {r.id: r for r in results}
    assert by_id[1].accepted is False
    assert by_id[1].permanent is True
    assert by_id[1].code == "smtp_550"
    assert by_id[2].accepted is True


@pytest.mark.django_db
def test_email_sweep_through_smtp_end_to_end(campaign, proveedor, monkeypatch):
    monkeypatch.setattr(engine, "clock", lambda: dt.datetime(2026, 12, 9, 10, tzinfo=BOGOTA))
    brief, _, templates = campaign(n=25, channels=("email",))
    with smtp_sink() as (port, sink):
        acc = account(port)
        acc.save()
        sweep = actions.create_sweep(
            brief,
            actor=proveedor,
            channel="email",
            template=templates["email"],
            provider_account="smtp",
        )
        assert engine.Runner(sweep).run()["next"] == "done"
    assert Message.objects.filter(sweep=sweep, status="sent").count() == 25
    assert sorted(m["To"] for m in sink.messages) == sorted(
        Message.objects.filter(sweep=sweep).values_list("to", flat=True)
    )
    one = sink.messages[0]
    assert one["Subject"] == "Aviso ICETEX"
    assert one["List-Unsubscribe"].startswith("<http")


def test_connections_stay_open_between_batches_and_a_dropped_one_is_replaced():
    from aiosmtpd.controller import Controller

    class Counting:
        def __init__(self):
            self.connections = self.received = 0

        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            self.connections += 1
            session.host_name = hostname
            return responses

        async def handle_DATA(self, server, session, envelope):
            self.received += 1
            return "250 OK"

    def batch(first: int) -> list[OutgoingMessage]:
        return [
            OutgoingMessage(id=i, to=f"p{i}@correo.co", channel="email", text="x")
            for i in range(first, first + 4)
        ]

    # given an adapter with two connections that sent a batch
    port = free_port()
    first, second = Counting(), Counting()
    provider = SMTPProvider(account(port, pool_size=2))
    controller = Controller(first, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        provider.send(batch(1))
        # when it sends the next batch
        results = provider.send(batch(5))
    finally:
        controller.stop()
    # then it goes over the same two connections
    assert all(r.accepted for r in results)
    assert (first.connections, first.received) == (2, 8)
    # and when the server dropped them meanwhile (restarted), new ones take the next batch
    controller = Controller(second, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        results = provider.send(batch(9))
        provider.close()
    finally:
        controller.stop()
    assert [r.accepted for r in results] == [True] * 4
    assert (second.connections, second.received) == (2, 4)
    assert provider._pool == []
