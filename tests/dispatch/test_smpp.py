"""The SMPP adapter against the loopback SMSC (brief.dispatch.peers.smsc): binds, windowed
submits, throttling, reconnect, long messages, receipts, MO, and a sweep end to end."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from brief.content import sms
from brief.core.calendar import BOGOTA
from brief.dispatch import actions, engine
from brief.dispatch.choices import ErrorEffect
from brief.dispatch.models import Message, ProviderAccount
from brief.dispatch.peers.smsc import SMSC
from brief.dispatch.providers import smpp
from brief.dispatch.providers import smpp_pdu as pdu
from brief.dispatch.providers.base import (
    InboundMessage,
    OutgoingMessage,
    ProviderError,
    StatusUpdate,
)
from tests.services import free_port


@pytest.fixture(autouse=True)
def _fresh_binds(request, monkeypatch):
    """Every test starts without binds; tests without a database keep what binds read."""
    if request.node.get_closest_marker("django_db") is None and "db" not in request.fixturenames:
        monkeypatch.setattr(smpp, "deliver", lambda code, items: None)
    yield
    smpp.shutdown()


@pytest.fixture
def smsc():
    server = SMSC().start()
    yield server
    server.stop()


def account(port: int, code: str = "smpp", **options) -> ProviderAccount:
    return ProviderAccount(
        code=code,
        name="SMSC",
        channels=["sms"],
        backend=smpp.BACKEND,
        rate_per_second=1_000_000,
        options={
            "host": "127.0.0.1",
            "port": port,
            "system_id": "brief",
            "password": "secreto",
            "source_addr": "ICETEX",
            "window": 5,
            **options,
        },
    )


def sms_batch(n: int, text: str = "Hola Ana, su saldo es 1000.", start: int = 1):
    return [
        OutgoingMessage(id=i, to=f"+5730000{i:05d}", channel="sms", text=text)
        for i in range(start, start + n)
    ]


def session(code: str = "smpp") -> smpp.Session:
    return smpp.hub().sessions[code][1]


def test_binds_as_transceiver_and_submits_with_registered_delivery(smsc):
    # when
    results = smpp.SMPPProvider(account(smsc.port)).send(sms_batch(30))
    # then
    assert [r.accepted for r in results] == [True] * 30
    assert len({r.provider_message_id for r in results}) == 30
    assert smsc.binds == ["brief"]
    assert len(smsc.submitted) == 30
    first = smsc.submitted[0].sm
    assert (first.source_addr, first.source_addr_ton, first.source_addr_npi) == ("ICETEX", 5, 0)
    assert (first.dest_addr_ton, first.dest_addr_npi) == (1, 1)
    assert first.destination_addr == "573000000001"
    assert first.registered_delivery == 1
    assert first.data_coding == 0
    assert {r.provider_message_id for r in results} == {s.message_id for s in smsc.submitted}


def test_window_bounds_outstanding_submits(smsc):
    smsc.receipt_delay = 0.05
    provider = smpp.SMPPProvider(account(smsc.port, window=3))
    seen = []
    original = smpp.Session._acquire

    async def spy(self):
        await original(self)
        seen.append(self.outstanding)

    smpp.Session._acquire = spy  # type: ignore[method-assign]
    try:
        results = provider.send(sms_batch(40))
    finally:
        smpp.Session._acquire = original  # type: ignore[method-assign]
    assert all(r.accepted for r in results)
    assert max(seen) == 3  # never more than the window in flight, and the window is used


def test_wrong_password_is_a_temporary_batch_failure(smsc):
    provider = smpp.SMPPProvider(account(smsc.port, password="malo"))
    with pytest.raises(ProviderError) as caught:
        provider.send(sms_batch(2))
    assert caught.value.code == "smpp_bind_ESME_RINVPASWD"
    assert caught.value.permanent is False
    assert smsc.submitted == []


def test_unreachable_smsc_is_a_temporary_batch_failure():
    provider = smpp.SMPPProvider(account(free_port(), connect_timeout=1))
    with pytest.raises(ProviderError) as caught:
        provider.send(sms_batch(1))
    assert caught.value.code == "smpp_unavailable"
    assert caught.value.permanent is False


@pytest.mark.parametrize("status", [pdu.ESME_RTHROTTLED, pdu.ESME_RMSGQFUL])
def test_throttling_is_retryable_and_slows_the_bind(smsc, status):
    # given an SMSC that throttles the first 3 submits
    smsc.throttle_first, smsc.throttle_status = 3, status
    provider = smpp.SMPPProvider(account(smsc.port, window=8, throttle_pause_seconds=0.2))
    # when
    results = provider.send(sms_batch(12))
    # then the throttled messages come back retryable, the rest went through
    refused = [r for r in results if not r.accepted]
    assert len(refused) == 3
    assert {(r.permanent, r.code, r.effect) for r in refused} == {
        (False, f"smpp_{pdu.status_name(status)}", ErrorEffect.THROTTLE)
    }
    assert sum(r.accepted for r in results) == 9
    bind = session()
    assert bind.throttled == 3
    assert bind.limit < 8  # the window shrank and grows back slowly
    assert bind.throttle_pause == pytest.approx(0.2)  # reset by the later acceptances


def test_throttling_a_later_part_finishes_the_message_after_the_pause(smsc):
    # given a two-part message whose second part is throttled once
    smsc.throttle_at = {2}
    provider = smpp.SMPPProvider(account(smsc.port, throttle_pause_seconds=0.1))
    # when
    [result] = provider.send(sms_batch(1, text="a" * 200))
    # then the first part is not sent again: the second one follows after the pause
    assert (result.accepted, result.detail) == (True, "2 partes")
    assert [s.sm.concatenation()[2] for s in smsc.submitted] == [1, 2]
    assert smsc.submits == 3
    assert session().throttled == 1


def test_other_errors_are_permanent_or_temporary(smsc):
    smsc.reject = {"573000000001": pdu.ESME_RINVDSTADR, "573000000002": pdu.ESME_RSYSERR}
    results = {r.id: r for r in smpp.SMPPProvider(account(smsc.port)).send(sms_batch(3))}
    assert (results[1].accepted, results[1].permanent, results[1].code) == (
        False,
        True,
        "smpp_ESME_RINVDSTADR",
    )
    assert (results[2].accepted, results[2].permanent, results[2].code) == (
        False,
        False,
        "smpp_ESME_RSYSERR",
    )
    assert results[3].accepted
    # the SMSC's own error counts for the breaker; a bad address does not
    assert (results[1].unavailable, results[2].unavailable) == (False, True)


def test_reconnects_after_the_smsc_drops_the_connection(smsc):
    provider = smpp.SMPPProvider(account(smsc.port, reconnect_min_seconds=0.05))
    assert all(r.accepted for r in provider.send(sms_batch(3)))
    # when the SMSC drops every connection
    smsc.drop()
    # then the bind comes back by itself and the next batch goes out on it
    assert smsc.wait_for(lambda s: len(s.binds) == 2)
    assert all(r.accepted for r in provider.send(sms_batch(3, start=10)))
    assert smsc.binds == ["brief", "brief"]


def test_enquire_link_keeps_the_bind_alive(smsc):
    smpp.SMPPProvider(account(smsc.port, enquire_link_seconds=0.1)).send(sms_batch(1))
    assert smsc.wait_for(lambda s: s.enquire_links >= 2, timeout=5)


def test_long_ucs2_message_as_the_smsc_received_it(smsc):
    # given a text with an emoji, longer than one UCS-2 SMS
    text = "Hola Ana 😀, " + "su crédito está al día. " * 8
    analysis = sms.analyze(text)
    assert analysis["encoding"] == "UCS-2"
    assert analysis["segments"] == 4
    # when
    [result] = smpp.SMPPProvider(account(smsc.port)).send(sms_batch(1, text=text))
    # then one submit_sm per segment, UCS-2, with the concatenation UDH
    assert result.accepted
    parts = [s.sm for s in smsc.submitted]
    assert len(parts) == analysis["segments"]
    assert {p.data_coding for p in parts} == {pdu.DC_UCS2}
    assert {p.esm_class & pdu.ESM_UDHI for p in parts} == {pdu.ESM_UDHI}
    concat = [p.concatenation() for p in parts]
    assert [c[1:] for c in concat] == [(4, 1), (4, 2), (4, 3), (4, 4)]
    assert len({c[0] for c in concat}) == 1
    assert "".join(pdu.decode_text(p) for p in parts) == text
    # the first part's id is the provider id; every part's id leads to it
    ids = [s.message_id for s in smsc.submitted]
    assert result.provider_message_id == ids[0]
    assert {session().aliases[i] for i in ids} == {ids[0]}


def test_packed_gsm7_option(smsc):
    text = "Señor Nuñez: su saldo es €1.000 [ICETEX]. " * 5
    provider = smpp.SMPPProvider(account(smsc.port, gsm7_packing="packed"))
    [result] = provider.send(sms_batch(1, text=text))
    assert result.accepted
    parts = [s.sm for s in smsc.submitted]
    assert len(parts) == sms.analyze(text)["segments"] == 2
    assert all(len(p.short_message) <= 140 for p in parts)
    assert "".join(pdu.decode_text(p, packed=True) for p in parts) == text


def test_receipts_and_mo_are_read_on_the_bind_and_answered(smsc):
    smsc.stat_for = {"573000000002": "UNDELIV"}
    provider = smpp.SMPPProvider(account(smsc.port))
    delivered = []
    original = smpp.deliver
    smpp.deliver = lambda code, items: delivered.extend(items)  # type: ignore[assignment]
    try:
        results = provider.send(sms_batch(2))
        smsc.send_mo("573001112233", "85432", "  No Más ")
        assert smsc.wait_for(lambda s: s.receipts_answered == 2 and s.mo_answered == 1)
        smpp.hub().flush()
    finally:
        smpp.deliver = original  # type: ignore[assignment]
    by_id = {r.provider_message_id: r.id for r in results}
    updates = [u for u in delivered if isinstance(u, StatusUpdate)]
    statuses = {by_id.get(u.provider_message_id): u.status for u in updates}
    assert statuses == {1: "delivered", 2: "failed"}
    failed = next(u for u in updates if u.status == "failed")
    assert failed.code == "smpp_UNDELIV"
    assert "err:001" in failed.detail
    [mo] = [i for i in delivered if isinstance(i, InboundMessage)]
    assert (mo.sender, mo.recipient, mo.text, mo.channel) == (
        "+573001112233",
        "85432",
        "  No Más ",
        "sms",
    )


def test_http_callbacks_are_refused_for_smpp_accounts(client, db, smsc):
    account(smsc.port).save()
    response = client.post(
        reverse("provider_callback", args=["smpp"]),
        {"events": [{"id": "1", "status": "delivered"}]},
        content_type="application/json",
    )
    assert response.status_code == 403


# --- end to end ------------------------------------------------------------------------


def _sweep(campaign, proveedor, monkeypatch, smsc, n, **options):
    monkeypatch.setattr(engine, "clock", lambda: dt.datetime(2026, 12, 9, 10, tzinfo=BOGOTA))
    brief, _, templates = campaign(n=n, channels=("sms",))
    account(smsc.port, window=10, **options).save()
    sweep = actions.create_sweep(
        brief, actor=proveedor, channel="sms", template=templates["sms"], provider_account="smpp"
    )
    return brief, sweep


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("smsc_setup", "options"),
    [
        ({}, {}),
        ({"receipt_first": True}, {}),  # receipts read before their submit_sm_resp
        ({"receipt_tlv": False, "receipt_id_format": "decimal"}, {"receipt_id_format": "decimal"}),
        ({"receipt_tlv": False, "receipt_id_format": "decimal"}, {}),  # recognised by the bind
    ],
    ids=["in-order", "receipt-first", "hex-submit-decimal-receipt", "auto-twin"],
)
def test_sms_sweep_through_smpp_end_to_end(
    campaign, proveedor, solicitante, api, monkeypatch, smsc, smsc_setup, options
):
    # given an SMSC that reports two numbers undelivered
    for name, value in smsc_setup.items():
        setattr(smsc, name, value)
    smsc.stat_for = {"573000000003": "UNDELIV", "573000000007": "EXPIRED"}
    brief, sweep = _sweep(campaign, proveedor, monkeypatch, smsc, 12, **options)
    # when the sweep runs and the receipts come back
    assert engine.Runner(sweep).run()["next"] == "done"
    assert smsc.wait_for(lambda s: s.receipts_answered == 12)
    smpp.hub().flush()
    # then
    statuses = dict(Message.objects.filter(sweep=sweep).values_list("to", "status"))
    assert statuses.pop("+573000000003") == "failed"
    assert statuses.pop("+573000000007") == "failed"
    assert set(statuses.values()) == {"delivered"}
    failed = Message.objects.get(sweep=sweep, to="+573000000007")
    assert failed.error_code == "smpp_EXPIRED"
    report = api.as_user(solicitante).get(reverse("api:brief_report", args=[brief.code])).json()
    assert report["totals"]["delivered"] == 10
    assert report["totals"]["sent"] == 10  # accepted and not reported failed
    assert report["totals"]["not_sent"] == 2
    assert {m.sm.destination_addr for m in smsc.submitted} == {
        f"5730000000{i:02d}" for i in range(1, 13)
    }


@pytest.mark.django_db
def test_every_receipt_stat_moves_the_message_and_the_report(
    campaign, proveedor, solicitante, api, monkeypatch, smsc
):
    # given an SMSC that answers each number with another receipt stat
    stats = ["DELIVRD", "UNDELIV", "EXPIRED", "REJECTD", "DELETED", "UNKNOWN"]
    smsc.stat_for = {f"5730000000{i:02d}": stat for i, stat in enumerate(stats, 1)}
    brief, sweep = _sweep(campaign, proveedor, monkeypatch, smsc, len(stats))
    # when the sweep runs and the receipts come back
    assert engine.Runner(sweep).run()["next"] == "done"
    assert smsc.wait_for(lambda s: s.receipts_answered == len(stats))
    smpp.hub().flush()
    # then each stat gives its status and code; UNKNOWN leaves the message sent
    rows = dict(Message.objects.filter(sweep=sweep).values_list("to", "status"))
    codes = dict(Message.objects.filter(sweep=sweep).values_list("to", "error_code"))
    expected = ["delivered", "failed", "failed", "failed", "failed", "sent"]
    assert [rows[f"+5730000000{i:02d}"] for i in range(1, 7)] == expected
    assert [codes[f"+5730000000{i:02d}"] for i in range(2, 6)] == [
        f"smpp_{stat}" for stat in stats[1:5]
    ]
    totals = api.as_user(solicitante).get(reverse("api:brief_report", args=[brief.code]))
    totals = totals.json()["totals"]
    assert (totals["delivered"], totals["sent"], totals["not_sent"]) == (1, 2, 4)


@pytest.mark.django_db
def test_late_receipts_move_statuses_after_the_sweep(campaign, proveedor, monkeypatch, smsc):
    # given receipts that come a while after the submits
    smsc.receipt_delay = 0.3
    _, sweep = _sweep(campaign, proveedor, monkeypatch, smsc, 5)
    assert engine.Runner(sweep).run()["next"] == "done"
    assert set(Message.objects.filter(sweep=sweep).values_list("status", flat=True)) == {"sent"}
    # when they arrive on the bind that is still open
    assert smsc.wait_for(lambda s: s.receipts_answered == 5)
    smpp.hub().flush()
    # then
    assert set(Message.objects.filter(sweep=sweep).values_list("status", flat=True)) == {
        "delivered"
    }


@pytest.mark.django_db
def test_mo_opt_out_over_the_bind_is_stored_and_suppresses(campaign, proveedor, monkeypatch, smsc):
    from brief.contacts.models import Suppression
    from brief.dispatch.models import InboundMessage as InboundRow

    # given a sweep sent to a person
    _, sweep = _sweep(campaign, proveedor, monkeypatch, smsc, 2)
    assert engine.Runner(sweep).run()["next"] == "done"
    # when that person answers "BAJA" by SMS
    smsc.send_mo("573000000001", "85432", " Baja ")
    assert smsc.wait_for(lambda s: s.mo_answered == 1)
    smpp.hub().flush()
    # then the reply is stored, matched to our message, and the person is suppressed for SMS
    row = InboundRow.objects.get()
    assert (row.sender, row.recipient, row.text, row.channel) == (
        "+573000000001",
        "85432",
        " Baja ",
        "sms",
    )
    assert row.message is not None
    assert row.message.sweep_id == sweep.pk
    assert Suppression.objects.filter(channel="sms", value=row.message.person).exists()
