"""A provider that answers 5xx, 429 or nothing: back-off, the circuit breaker per account, the
pause shown with its reason and the sweep resuming by itself — against a Twilio-compatible
HTTP peer on loopback, counting what the peer accepted per recipient."""

from __future__ import annotations

import datetime as dt
import socket
from collections import Counter

import pytest
from django.urls import reverse

from brief.core.models import AuditEvent
from brief.dispatch import engine, tasks
from brief.dispatch.choices import CircuitState
from brief.dispatch.models import Attempt, Message, ProviderAccount, ProviderCircuit
from brief.dispatch.peers.smsc import SMSC
from brief.dispatch.peers.twilio import TwilioPeer
from brief.dispatch.providers import smpp
from brief.dispatch.providers import smpp_pdu as pdu
from brief.dispatch.providers.base import OutgoingMessage
from brief.dispatch.providers.options import option_errors
from tests.helpers import OPEN, drain, statuses, sweep_for
from tests.services import free_port, smtp_sink

SID = "AC" + "c4" * 16
TOKEN = "token-de-prueba"


@pytest.fixture
def peer():
    with TwilioPeer(SID, TOKEN) as running:
        yield running


@pytest.fixture
def waits(monkeypatch):
    """The account's rate-limit waits the runner asked for (recorded instead of slept)."""
    asked: list[float] = []
    monkeypatch.setattr(engine, "throttle", lambda bucket, n: asked.append(bucket.reserve(n)))
    return asked


def twilio_account(peer, code: str, **options) -> ProviderAccount:
    return ProviderAccount.objects.create(
        code=code,
        name="Twilio caído",
        kind="twilio_sms",
        channels=["sms"],
        rate_per_second=100_000,
        concurrency=4,
        chunk_size=20,
        options={
            "base_url": peer.base_url,
            "account_sid": SID,
            "auth_token": TOKEN,
            "from": "+15017122661",
            **options,
        },
    )


def accepted_per_recipient(peer) -> Counter:
    return Counter(entry["form"]["To"] for entry in peer.requests)


def test_503s_open_the_circuit_pause_the_sweep_and_it_resumes_by_itself(
    campaign, proveedor, client, at, waits, peer, django_capture_on_commit_callbacks
):
    # given a 200-message sweep through an account that opens after 5 failures, 30 s cool-down
    twilio_account(peer, "tw-caido", breaker_failures=5, breaker_cooldown_seconds=30)
    brief, _base, templates = campaign(n=200, channels=("sms",))
    sweep = sweep_for(brief, templates["sms"], proveedor, account="tw-caido")
    # and a provider whose next 9 requests answer 503
    peer.outage = ["503"] * 9
    # when the sweep runs
    assert drain(sweep) == {"next": "stop"}
    # then after two chunks (4 requests in flight each) the circuit opened and paused the sweep
    assert peer.failed == 8
    reason = (
        "Pausado: el proveedor Twilio caído no responde (8 fallos seguidos, 503). El barrido "
        "se reanuda solo cuando vuelva a responder; próxima prueba a las 10:00:30."
    )
    assert (sweep.state, sweep.held_by_circuit, sweep.pause_reason) == ("paused", True, reason)
    circuit = ProviderCircuit.objects.get(account__code="tw-caido")
    assert (circuit.state, circuit.failures, circuit.retry_at) == (
        CircuitState.OPEN,
        8,
        OPEN + dt.timedelta(seconds=30),
    )
    # and the sweep page says why
    client.force_login(proveedor)
    page = client.get(reverse("dispatch:sweep_detail", args=[sweep.pk]))
    assert reason in page.content.decode()
    # and nothing was lost or counted as a try: every message is queued, none accepted
    assert statuses(sweep)["queued"] == 200
    assert set(Message.objects.filter(sweep=sweep).values_list("attempts", flat=True)) == {0}
    assert peer.requests == []
    assert max(waits) > 0  # the account slowed down after the push-back

    # when the probe runs before the cool-down is over, nothing moves
    at(OPEN + dt.timedelta(seconds=29))
    assert tasks.probe_circuits() == 0
    sweep.refresh_from_db()
    assert sweep.state == "paused"

    # when it runs after the cool-down and the one probing message meets a 503 again
    at(OPEN + dt.timedelta(seconds=31))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.probe_circuits() == 1
    # then exactly one message probed and the circuit opened again for another cool-down
    assert peer.failed == 9
    sweep.refresh_from_db()
    assert (sweep.state, sweep.held_by_circuit) == ("paused", True)
    assert "(9 fallos seguidos, 503)" in sweep.pause_reason
    assert sweep.pause_reason.endswith("próxima prueba a las 10:01:01.")

    # when the provider is back and the next probe runs
    at(OPEN + dt.timedelta(seconds=62))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.probe_circuits() == 1
    # then the circuit closed, the sweep ran to the end by itself and its reason is gone
    sweep.refresh_from_db()
    assert (sweep.state, sweep.held_by_circuit, sweep.pause_reason) == ("done", False, "")
    circuit.refresh_from_db()
    assert (circuit.state, circuit.failures) == (CircuitState.CLOSED, 0)
    # and every recipient got the message exactly once, each counted as one try
    assert statuses(sweep)["sent"] == 200
    per_recipient = accepted_per_recipient(peer)
    assert len(per_recipient) == 200
    assert set(per_recipient.values()) == {1}
    assert set(Message.objects.filter(sweep=sweep).values_list("attempts", flat=True)) == {1}
    # and the audit log tells the story
    types = list(
        AuditEvent.objects.filter(type__endswith="_BY_CIRCUIT")
        .order_by("id")
        .values_list("type", flat=True)
    )
    assert types == ["SWEEP_PAUSED_BY_CIRCUIT", "SWEEP_RESUMED_BY_CIRCUIT"] * 2


def test_429_retry_after_is_honoured_and_timeouts_are_retried_once(
    campaign, proveedor, at, waits, peer
):
    # given a 60-message sweep, two requests in flight, a 0.5 s client timeout
    twilio_account(peer, "tw-lento", timeout=0.5, concurrency=2)
    ProviderAccount.objects.filter(code="tw-lento").update(concurrency=2)
    brief, _base, templates = campaign(n=60, channels=("sms",))
    sweep = sweep_for(brief, templates["sms"], proveedor, account="tw-lento")
    # and a provider that answers 429 "Retry-After: 2", then hangs twice past the timeout
    peer.outage = ["429:2", "hang:1.5", "hang:1.5"]
    # when the sweep runs
    outcome = drain(sweep)
    # then the throttled messages wait what the provider asked, not the default 30 s
    assert outcome == {"next": "at", "at": OPEN + dt.timedelta(seconds=2)}
    assert Message.objects.filter(error_code="twilio_429", status="queued").exists()
    assert max(waits) > 1.0  # and the account waits as long before its next sends
    timed_out = set(
        Attempt.objects.filter(code="twilio_timeout").values_list("message_id", flat=True)
    )
    assert len(timed_out) == 2
    assert ProviderCircuit.objects.get(account__code="tw-lento").state == CircuitState.CLOSED
    # when the sweep runs again later
    at(OPEN + dt.timedelta(seconds=31))
    assert drain(sweep)["next"] == "done"
    # then all 60 arrived once: the timed-out requests created nothing at the peer
    per_recipient = accepted_per_recipient(peer)
    assert (len(per_recipient), set(per_recipient.values())) == (60, {1})
    assert statuses(sweep)["sent"] == 60
    # and neither a timeout nor a 429 counted as one of the message's tries
    assert set(Message.objects.filter(pk__in=timed_out).values_list("attempts", flat=True)) == {1}


def test_breaker_options_must_be_positive_numbers():
    assert option_errors("simulated", {"breaker_failures": 3, "breaker_cooldown_seconds": 45}) == []
    errors = option_errors("simulated", {"breaker_failures": "cinco"})
    assert errors == ["La opción «breaker_failures» debe ser un número positivo."]
    assert option_errors("simulated", {"breaker_cooldown_seconds": 0}) == [
        "La opción «breaker_cooldown_seconds» debe ser un número positivo."
    ]


# --- SMTP and SMPP: the failures that count for the breaker ----------------------------------


def smtp_account(port: int, code: str, **options) -> ProviderAccount:
    return ProviderAccount.objects.create(
        code=code,
        name="Correo caído",
        channels=["email"],
        backend="brief.dispatch.providers.smtp.SMTPProvider",
        rate_per_second=100_000,
        concurrency=2,
        chunk_size=10,
        options={"host": "127.0.0.1", "start_tls": False, "port": port, "timeout": 1, **options},
    )


def test_smtp_server_down_opens_the_circuit_without_spending_tries(campaign, proveedor, at, waits):
    # given an e-mail sweep through an SMTP server that accepts connections and never answers
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        smtp_account(silent.getsockname()[1], "smtp-caido", breaker_failures=3)
        brief, _base, templates = campaign(n=30, channels=("email",))
        sweep = sweep_for(brief, templates["email"], proveedor, account="smtp-caido")
        # when the sweep runs
        assert drain(sweep) == {"next": "stop"}
    # then the circuit opened and paused the sweep, saying the server did not answer in time
    assert (sweep.state, sweep.held_by_circuit) == ("paused", True)
    assert "no responde" in sweep.pause_reason
    assert "sin respuesta a tiempo" in sweep.pause_reason
    # and no message spent a try: the first of each connection timed out, the rest were not tried
    assert statuses(sweep)["queued"] == 30
    assert set(Message.objects.filter(sweep=sweep).values_list("attempts", flat=True)) == {0}
    tried = Attempt.objects.filter(message__sweep=sweep)
    assert set(tried.values_list("code", flat=True)) <= {"smtp_timeout", "smtp_connection"}
    assert tried.filter(code="smtp_timeout").count() <= 2 * 2  # two chunks, two connections each


def test_smtp_421_counts_for_the_breaker_and_the_message_is_sent_later(
    campaign, proveedor, at, waits
):
    # given an SMTP server that answers 421 to the first two messages
    with smtp_sink() as (port, sink):
        sink.busy = 2
        smtp_account(port, "smtp-lleno", breaker_failures=5)
        brief, _base, templates = campaign(n=10, channels=("email",))
        sweep = sweep_for(brief, templates["email"], proveedor, account="smtp-lleno")
        # when the sweep runs, then those two wait (no try counted), the rest are sent
        assert drain(sweep)["next"] == "at"
        busy = Message.objects.filter(sweep=sweep, error_code="smtp_421")
        assert (busy.count(), set(busy.values_list("attempts", flat=True))) == (2, {0})
        circuit = ProviderCircuit.objects.get(account__code="smtp-lleno")
        assert (circuit.state, circuit.failures) == (CircuitState.CLOSED, 2)  # counted, < 5
        # when it runs again after the wait
        at(OPEN + dt.timedelta(seconds=31))
        assert drain(sweep)["next"] == "done"
    # then each recipient got it once, and the accepted ones reset the count
    assert statuses(sweep)["sent"] == 10
    circuit.refresh_from_db()
    assert circuit.failures == 0
    assert Counter(str(m["To"]) for m in sink.messages).most_common(1)[0][1] == 1
    assert len(sink.messages) == 10


@pytest.mark.parametrize("status", [pdu.ESME_RSYSERR, pdu.ESME_RTHROTTLED])
def test_smsc_trouble_counts_for_the_breaker(status):
    # given an SMSC answering a system error (or throttling) to every submit
    server = SMSC().start()
    try:
        server.reject = {f"57300000000{i}": status for i in range(1, 4)}
        provider = smpp.SMPPProvider(smpp_account(server.port))
        results = provider.send(
            [
                OutgoingMessage(id=i, to=f"+57300000000{i}", channel="sms", text="Hola")
                for i in (1, 2, 3)
            ]
        )
    finally:
        smpp.shutdown()
        server.stop()
    # then every refusal is the SMSC's trouble: retried without a try, counted by the breaker
    assert {(r.accepted, r.permanent, r.unavailable) for r in results} == {(False, False, True)}


def smpp_account(port: int) -> ProviderAccount:
    return ProviderAccount(
        code="smpp-caido",
        name="SMSC",
        channels=["sms"],
        backend=smpp.BACKEND,
        rate_per_second=1_000_000,
        options={"host": "127.0.0.1", "port": port, "system_id": "brief", "password": "secreto",
                 "source_addr": "ICETEX", "window": 5, "throttle_pause_seconds": 0.05},
    )  # fmt: skip


def test_smsc_unreachable_opens_the_circuit_with_the_reason(campaign, proveedor, at, waits):
    # given an SMS sweep through an SMPP account whose SMSC refuses connections
    account = smpp_account(free_port())
    account.options["breaker_failures"] = 2
    account.chunk_size = 5
    account.save()
    brief, _base, templates = campaign(n=20, channels=("sms",))
    sweep = sweep_for(brief, templates["sms"], proveedor, account="smpp-caido")
    # when the sweep runs
    try:
        assert drain(sweep) == {"next": "stop"}
    finally:
        smpp.shutdown()
    # then two refused batches opened the circuit: paused, «sin conexión», nothing tried
    assert (sweep.state, sweep.held_by_circuit) == ("paused", True)
    assert "(2 fallos seguidos, sin conexión)" in sweep.pause_reason
    assert statuses(sweep)["queued"] == 20
    assert set(Message.objects.filter(sweep=sweep).values_list("attempts", flat=True)) == {0}
