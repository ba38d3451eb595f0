"""Twilio-compatible SMS and voice against a Twilio-compatible HTTP peer on loopback."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from brief.contacts.models import Contact, Suppression
from brief.content.models import Creative, Template
from brief.core.calendar import BOGOTA
from brief.dispatch import engine, report
from brief.dispatch.actions import THROTTLE_RETRY_SECONDS
from brief.dispatch.choices import ErrorEffect
from brief.dispatch.models import InboundMessage as InboundMessageRow
from brief.dispatch.models import Message, ProviderAccount, StatusEvent
from brief.dispatch.peers.twilio import TwilioPeer, sign
from brief.dispatch.providers.base import InboundMessage, OutgoingMessage, StatusUpdate
from brief.dispatch.providers.twilio import TwilioSMSProvider, TwilioVoiceProvider, signature
from brief.dispatch.ratelimit import bucket_for
from tests.helpers import callbacks_while_sending, drain, sweep_for

FIXTURES = Path(__file__).parents[1] / "fixtures" / "twilio"
SID = "AC" + "a1" * 16
TOKEN = "secreto-de-prueba"
SITE = "https://brief.icetex.example"
OPEN = dt.datetime(2026, 12, 9, 10, 0, tzinfo=BOGOTA)  # a Wednesday, inside the window


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def peer():
    with TwilioPeer(SID, TOKEN) as running:
        yield running


@pytest.fixture(autouse=True)
def _site(settings, monkeypatch):
    settings.SITE_URL = SITE
    monkeypatch.setattr(engine, "clock", lambda: OPEN)


def make_account(peer, kind: str = "sms", code: str = "twilio", **options) -> ProviderAccount:
    backend = {"sms": TwilioSMSProvider, "voice": TwilioVoiceProvider}[kind]
    return ProviderAccount.objects.create(
        code=code,
        name="Twilio",
        backend=f"{backend.__module__}.{backend.__name__}",
        channels=[kind],
        rate_per_second=100_000,
        concurrency=16,
        options={
            "base_url": peer.base_url,
            "account_sid": SID,
            "auth_token": TOKEN,
            "from": "+15017122661",
            **options,
        },
    )


def hook(code: str = "twilio") -> str:
    return reverse("provider_callback", args=[code])


def post_signed(client, path: str, form: dict, *, token: str = TOKEN, sig: str | None = None):
    """Post ``form`` to ``path`` as Twilio does: form-encoded, signed for the public URL."""
    sig = sign(token, f"{SITE}{path}", form) if sig is None else sig
    return client.post(path, form, HTTP_X_TWILIO_SIGNATURE=sig)


def relay(client, peer, sid: str, status: str, **extra) -> int:
    """The peer's signed callback for ``sid``, delivered through Django's test client."""
    url, form, sig = peer.callback(sid, status, **extra)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == SITE
    return post_signed(client, parts.path, form, sig=sig).status_code


# --- signature ---------------------------------------------------------------------------


def test_signature_matches_twilios_published_vectors():
    v = fixture("signature_vectors.json")
    params = [tuple(p) for p in v["params"]]
    assert signature(v["auth_token"], v["url"], params) == v["signature"]
    # order of the fields does not matter; a repeated name with equal values counts once
    assert signature(v["auth_token"], v["url"], reversed(params)) == v["signature"]
    repeated = [tuple(p) for p in v["repeated_params"]]
    assert signature(v["auth_token"], v["url"], repeated) == v["repeated_signature"]
    # the peer's own implementation agrees
    assert sign(v["auth_token"], v["url"], dict(params)) == v["signature"]
    # then a tampered value, another query string or another token give another signature
    tampered = [(k, "9999" if k == "Digits" else val) for k, val in params]
    assert signature(v["auth_token"], v["url"], tampered) != v["signature"]
    assert signature(v["auth_token"], v["url"] + "&x=1", params) != v["signature"]
    assert signature("54321", v["url"], params) != v["signature"]


# --- sending -----------------------------------------------------------------------------


def outgoing(i: int, to: str | None = None, **kw) -> OutgoingMessage:
    kw.setdefault("text", f"Hola {i}")
    return OutgoingMessage(id=i, to=to or f"+57300{i:07d}", channel="sms", **kw)


@pytest.mark.django_db
def test_sms_posts_twilio_form_with_basic_auth_and_returns_sids(peer):
    with contextlib.closing(TwilioSMSProvider(make_account(peer))) as provider:
        results = provider.send([outgoing(i) for i in range(1, 41)])
    assert sorted(r.id for r in results if r.accepted) == list(range(1, 41))
    assert len(peer.requests) == 40
    assert {r.provider_message_id for r in results} == {e["sid"] for e in peer.requests}
    first = next(e["form"] for e in peer.requests if e["form"]["To"] == "+573000000001")
    assert first == {
        "To": "+573000000001",
        "From": "+15017122661",
        "Body": "Hola 1",
        "StatusCallback": f"{SITE}/hooks/twilio/",
    }


@pytest.mark.django_db
def test_batches_share_one_session_until_close_and_the_form_survives_any_text(peer):
    # given: texts with the characters form encoding must escape
    texts = ["a&b=c+d %20", "Señor, ¿100% seguro? 😀", "línea 1\nlínea 2"]
    provider = TwilioSMSProvider(make_account(peer, **{"from": "+57 (1) 555&0"}))
    # when: two batches on one provider, then another after close()
    first = provider.send([outgoing(1, text=texts[0])])
    second = provider.send([outgoing(2, text=texts[1])])
    provider.close()
    third = provider.send([outgoing(3, text=texts[2])])
    provider.close()
    # then: every message went through, and the peer read each form exactly as sent
    assert [r.accepted for r in first + second + third] == [True, True, True]
    assert [(e["form"]["Body"], e["form"]["From"]) for e in peer.requests] == [
        (text, "+57 (1) 555&0") for text in texts
    ]
    assert {e["form"]["StatusCallback"] for e in peer.requests} == {f"{SITE}/hooks/twilio/"}


@pytest.mark.django_db
def test_wrong_credentials_stop_the_batch_and_pause_the_sweep(peer):
    with contextlib.closing(TwilioSMSProvider(make_account(peer, auth_token="otro"))) as provider:
        results = provider.send([outgoing(i) for i in range(1, 31)])
    assert {(r.code, r.effect) for r in results} == {("twilio_20003", ErrorEffect.PAUSE_SWEEP)}
    assert not any(r.accepted or r.permanent for r in results)
    assert peer.received < 30  # the rest of the batch was not tried
    assert peer.requests == []


@pytest.mark.django_db
def test_error_codes_are_mapped(peer):
    # given: a number Twilio rejects as invalid, one that replied STOP, and a server error
    errors = fixture("errors.json")
    peer.errors["+573000000002"] = (400, 21610, errors["21610"]["body"]["message"])
    peer.errors["+573000000003"] = (500, 20500, "Internal Server Error")
    # when
    with contextlib.closing(TwilioSMSProvider(make_account(peer))) as provider:
        batch = [outgoing(1, "12345"), outgoing(2), outgoing(3)]
        results = {r.id: r for r in provider.send(batch)}
    # then: invalid number → fails; unsubscribed → fails and suppresses; 5xx → retry, slower
    assert (results[1].permanent, results[1].code, results[1].effect) == (
        True,
        "twilio_21211",
        ErrorEffect.FAIL,
    )
    assert results[1].detail.startswith("Número de destino no válido")
    assert (results[2].permanent, results[2].code, results[2].effect) == (
        True,
        "twilio_21610",
        ErrorEffect.SUPPRESS,
    )
    assert (results[3].permanent, results[3].code, results[3].effect) == (
        False,
        "twilio_500",
        ErrorEffect.SLOW_DOWN,
    )


@pytest.mark.django_db
def test_429_throttles_and_the_rest_of_the_batch_goes_back_unsent(peer):
    peer.throttle = 1
    with contextlib.closing(TwilioSMSProvider(make_account(peer, concurrency=1))) as provider:
        results = provider.send([outgoing(i) for i in range(1, 11)])
    assert all(not r.accepted and not r.permanent for r in results)
    assert {(r.code, r.effect) for r in results} == {("twilio_429", ErrorEffect.THROTTLE)}
    assert peer.received == 1  # nothing after the push-back


# --- SMS end to end ----------------------------------------------------------------------


def test_sms_sweep_end_to_end_sids_callbacks_statuses_report(campaign, proveedor, client, peer):
    # given a sweep of 6 through the Twilio account; one number unsubscribed at Twilio
    make_account(peer)
    brief, _base, templates = campaign(n=6, channels=("sms",))
    sweep = sweep_for(brief, templates["sms"], proveedor, account="twilio")
    opted_out = Message.objects.filter(sweep=sweep).order_by("id").last()
    assert opted_out is not None
    peer.errors[opted_out.to] = (400, 21610, "Attempt to send to unsubscribed recipient")
    # when the sweep runs
    drain(sweep)
    # then every other message carries the SID Twilio answered
    sent = {m.provider_message_id: m for m in Message.objects.filter(sweep=sweep, status="sent")}
    assert set(sent) == {e["sid"] for e in peer.requests}
    assert len(sent) == 5
    assert peer.requests[0]["form"]["Body"].startswith("Hola Persona")
    opted_out.refresh_from_db()
    assert (opted_out.status, opted_out.error_code) == ("failed", "twilio_21610")
    assert Suppression.objects.filter(channel="sms", value=opted_out.to, source="stop").exists()
    # when Twilio reports: 3 delivered (one twice, one out of order), 1 undelivered, 1 only sent
    sids = sorted(sent)
    assert relay(client, peer, sids[0], "delivered") == 200
    assert relay(client, peer, sids[0], "sent") == 200  # late "sent" never goes back
    assert relay(client, peer, sids[1], "delivered") == 200
    assert relay(client, peer, sids[1], "delivered") == 200
    assert relay(client, peer, sids[2], "delivered") == 200
    assert relay(client, peer, sids[3], "undelivered", ErrorCode="30003") == 200
    assert relay(client, peer, sids[4], "sending") == 200
    # then statuses and the report's totals follow
    assert Message.objects.get(provider_message_id=sids[0]).status == "delivered"
    undelivered = Message.objects.get(provider_message_id=sids[3])
    assert (undelivered.status, undelivered.error_code) == ("failed", "twilio_30003")
    assert undelivered.error_detail == "Teléfono apagado o fuera de cobertura"
    totals = report.build(brief)["totals"]
    assert (totals["sent"], totals["delivered"], totals["failed"], totals["not_sent"]) == (
        4,
        3,
        2,
        2,
    )
    # the duplicated "delivered" is kept once (one event per provider id and status)
    assert StatusEvent.objects.filter(provider="twilio", status="delivered").count() == 3


def sms_sent(campaign, proveedor, peer, n: int):
    """A brief whose SMS sweep of ``n`` went through the Twilio account: (brief, template,
    its messages in id order)."""
    make_account(peer)
    brief, _base, templates = campaign(n=n, channels=("sms",))
    sweep = sweep_for(brief, templates["sms"], proveedor, account="twilio")
    drain(sweep)
    return brief, templates["sms"], list(Message.objects.filter(sweep=sweep).order_by("id"))


def test_a_429_in_a_sweep_slows_the_account_and_requeues_unblamed(campaign, proveedor, peer):
    # given a sweep of 3 through the Twilio account, one request at a time; Twilio answers 429
    account = make_account(peer, concurrency=1)
    brief, _base, templates = campaign(n=3, channels=("sms",))
    sweep = sweep_for(brief, templates["sms"], proveedor, account="twilio")
    bucket = bucket_for(account)
    assert bucket.reserve(0) == 0.0
    peer.throttle = 1
    # when the sweep runs
    outcome = drain(sweep)
    # then nothing was sent, every message is back in the queue for later, none failed
    assert peer.received == 1
    rows = list(Message.objects.filter(sweep=sweep).values_list("status", "error_code"))
    assert rows == [("queued", "twilio_429")] * 3
    assert outcome["next"] == "at"
    assert outcome["at"] == OPEN + dt.timedelta(seconds=THROTTLE_RETRY_SECONDS)
    # and the account is slowed down: its next sends wait seconds of its rate
    assert bucket.reserve(0) > 1.0  # THROTTLE_PAUSE_SECONDS of tokens, minus time passed


def test_an_unsubscribed_recipient_in_a_status_callback_is_suppressed(
    campaign, proveedor, client, peer
):
    # given an SMS handed to Twilio
    brief, template, [message] = sms_sent(campaign, proveedor, peer, 1)
    # when Twilio reports it failed because the person had replied STOP (21610)
    assert relay(client, peer, message.provider_message_id, "failed", ErrorCode="21610") == 200
    # then it failed and the number is suppressed for SMS, so the next sweep skips it
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", "twilio_21610")
    entry = Suppression.objects.get(channel="sms", value=message.to)
    assert entry.source == "stop"
    again = sweep_for(brief, template, proveedor, account="twilio")
    assert Message.objects.get(sweep=again).status == "suppressed"


@pytest.mark.django_db(transaction=True)
def test_peer_posts_signed_callbacks_over_http(campaign, proveedor, live_server, settings, peer):
    # given Brief served on a real port, its public URL being that address
    settings.SITE_URL = live_server.url
    make_account(peer)
    brief, _base, templates = campaign(n=3, channels=("sms",))
    sweep = sweep_for(brief, templates["sms"], proveedor, account="twilio")
    drain(sweep)
    sids = [e["sid"] for e in peer.requests]
    assert peer.requests[0]["form"]["StatusCallback"] == f"{live_server.url}/hooks/twilio/"
    # when the peer posts Twilio's signed callbacks to the StatusCallback URL
    codes = [peer.post_callback(sid, "delivered") for sid in sids]
    # then they are accepted and applied
    assert codes == [200, 200, 200]
    assert engine.counts(sweep)["delivered"] == 3
    # and a callback signed with another token is refused
    peer.auth_token = "otro"
    assert peer.post_callback(sids[0], "failed", ErrorCode="30008") == 403
    assert Message.objects.get(provider_message_id=sids[0]).status == "delivered"


# --- callback authentication -------------------------------------------------------------


@pytest.fixture
def delivered_message(campaign, proveedor, peer):
    make_account(peer)
    brief, _base, templates = campaign(n=1, channels=("sms",))
    sweep = sweep_for(brief, templates["sms"], proveedor, account="twilio")
    drain(sweep)
    message = Message.objects.get(sweep=sweep)
    form = {**fixture("sms_status_delivered.json"), "MessageSid": message.provider_message_id}
    form["SmsSid"] = message.provider_message_id
    return message, form


@pytest.mark.parametrize(
    "how", ["wrong_token", "missing", "tampered_param", "other_url", "garbage"]
)
def test_a_bad_signature_is_refused_and_changes_nothing(client, delivered_message, how):
    message, form = delivered_message
    path = hook()
    good = sign(TOKEN, f"{SITE}{path}", form)
    if how == "wrong_token":
        response = post_signed(client, path, form, token="otro")
    elif how == "missing":
        response = client.post(path, form)
    elif how == "tampered_param":
        response = post_signed(client, path, {**form, "MessageStatus": "failed"}, sig=good)
    elif how == "other_url":
        response = post_signed(client, path, form, sig=sign(TOKEN, f"http://x.test{path}", form))
    else:
        response = post_signed(client, path, form, sig="no es una firma ñ")
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == "sent"
    assert not StatusEvent.objects.exists()


def test_signature_covers_the_query_string(client, delivered_message):
    message, form = delivered_message
    path = f"{hook()}?cuenta=principal&v=2"
    # signed for the URL with its query string: accepted
    assert post_signed(client, path, form).status_code == 200
    message.refresh_from_db()
    assert message.status == "delivered"
    # the same signature without the query string does not pass
    sig = sign(TOKEN, f"{SITE}{path}", form)
    assert (
        post_signed(client, hook(), {**form, "MessageStatus": "read"}, sig=sig).status_code == 403
    )


def test_inbound_sms_becomes_an_inbound_message(client, delivered_message):
    message, _form = delivered_message
    account = ProviderAccount.objects.get(code="twilio")
    form = {**fixture("sms_inbound.json"), "From": message.to}
    items = TwilioSMSProvider(account).parse_form(form)
    assert items == [
        InboundMessage(
            provider_message_id="SM9b3c8d0c3e1b0a9b5b0a6e0c5c8e8f7a",
            sender=message.to,
            text=" Baja ",
            channel="sms",
            recipient="+15017122661",
            raw=form,
        )
    ]
    response = post_signed(client, hook(), form)
    assert response.status_code == 200
    assert InboundMessageRow.objects.filter(provider_message_id=form["MessageSid"]).count() == 1


def test_an_incoming_sms_is_answered_with_empty_twiml_and_a_status_with_json(
    client, delivered_message, peer
):
    # given the SMS Twilio posts when a person writes to our number (no MessageStatus)
    message, status_form = delivered_message
    form, _sig = peer.inbound(f"{SITE}{hook()}", message.to, "+15017122661", "Hola, gracias")
    del form["SmsStatus"]  # some gateways leave it out: MessageSid with Body is an inbound
    # when it is posted, signed
    response = post_signed(client, hook(), form, token=peer.auth_token)
    # then Twilio gets TwiML (an empty <Response>: no automatic reply) and the reply is stored
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert response.content.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    )
    assert InboundMessageRow.objects.filter(provider_message_id=form["MessageSid"]).exists()
    # while a status callback keeps the JSON answer
    response = post_signed(client, hook(), status_form)
    assert (response.status_code, response["Content-Type"]) == (200, "application/json")
    assert response.json()["applied"] == 1


def test_an_opt_out_reply_through_twilio_suppresses_the_next_sweep(
    campaign, proveedor, client, peer
):
    # given an SMS sweep through Twilio that reached a person
    brief, template, [first, second] = sms_sent(campaign, proveedor, peer, 2)
    # when that person answers " no más " to our number (the peer's signed inbound webhook)
    form, sig = peer.inbound(f"{SITE}{hook()}", first.to, "+15017122661", " no más ")
    assert post_signed(client, hook(), form, sig=sig).status_code == 200
    # then the next SMS sweep of the brief skips them and only them
    again = sweep_for(brief, template, proveedor, account="twilio")
    statuses = dict(Message.objects.filter(sweep=again).values_list("contact_id", "status"))
    assert statuses == {first.contact_id: "suppressed", second.contact_id: "queued"}


def test_unknown_sid_answers_200_and_is_kept_for_later(client, delivered_message):
    _message, form = delivered_message
    form = {**form, "MessageSid": "SM" + "0" * 32, "SmsSid": "SM" + "0" * 32}
    response = post_signed(client, hook(), form)
    assert response.status_code == 200
    assert response.json()["pending"] == 1


# --- voice -------------------------------------------------------------------------------


def voice_campaign(campaign, proveedor, n: int):
    """A brief in execution with a voice template (the brief fixture has no script to attach,
    so the voice channel is added once the brief is executing)."""
    brief, base, _templates = campaign(n=n, channels=("sms",))
    brief.channels = ["sms", "voice"]
    brief.save(update_fields=["channels"])
    Contact.objects.filter(base=base).update(can_voice=True)
    template = Template.objects.create(
        brief=brief, channel="voice", name="Voz", body="Hola {nombres}.", created_by=proveedor
    )
    return brief, template


def test_voice_sweep_end_to_end_statuses_evidence_report(campaign, proveedor, client, peer):
    # given a voice sweep of 5 with a text template that needs XML escaping
    make_account(peer, kind="voice", code="twilio-voz")
    brief, template = voice_campaign(campaign, proveedor, 5)
    template.body = "Hola {nombres}: <pague> su saldo & gracias."
    template.save()
    sweep = sweep_for(brief, template, proveedor, account="twilio-voz")
    # when it runs
    drain(sweep)
    # then each call carries TwiML <Say> in es-MX, machine detection and a completed callback
    assert len(peer.requests) == 5
    call = peer.requests[0]["form"]
    assert call["Twiml"].startswith('<Response><Say language="es-MX">Hola Persona')
    assert call["Twiml"].endswith(": &lt;pague&gt; su saldo &amp; gracias.</Say></Response>")
    assert (call["MachineDetection"], call["StatusCallbackEvent"], call["Record"]) == (
        "Enable",
        "completed",
        "true",
    )
    assert call["StatusCallback"] == f"{SITE}/hooks/twilio-voz/"
    sids = sorted(e["sid"] for e in peer.requests)
    assert set(
        Message.objects.filter(sweep=sweep).values_list("provider_message_id", flat=True)
    ) == set(sids)
    # when Twilio reports a person, an answering machine, no answer, busy and a failure
    human = fixture("call_completed_human.json")
    recording = {k: human[k] for k in ("RecordingUrl", "RecordingSid", "CallDuration")}
    assert relay(client, peer, sids[0], "completed", AnsweredBy="human", **recording) == 200
    assert relay(client, peer, sids[1], "completed", AnsweredBy="machine_start") == 200
    assert relay(client, peer, sids[2], "no-answer") == 200
    assert relay(client, peer, sids[3], "busy") == 200
    assert relay(client, peer, sids[4], "failed", ErrorCode="32009") == 200
    # then
    by_sid = {m.provider_message_id: m for m in Message.objects.filter(sweep=sweep)}
    assert [by_sid[s].status for s in sids] == [
        "delivered",
        "voicemail",
        "no_answer",
        "no_answer",
        "failed",
    ]
    assert by_sid[sids[0]].evidence == {
        "call_sid": sids[0],
        "call_status": "completed",
        "answered_by": "human",
        "duration_seconds": 23,
        "recording_url": human["RecordingUrl"],
        "recording_sid": human["RecordingSid"],
    }
    assert by_sid[sids[1]].error_code == "answered_machine_start"
    assert by_sid[sids[3]].error_code == "twilio_busy"
    data = report.build(brief)
    totals = data["totals"]
    assert (totals["sent"], totals["delivered"], totals["voicemail"]) == (4, 1, 1)
    assert (totals["not_answered"], totals["not_sent"]) == (2, 1)
    assert data["sweeps"][0]["counts"]["no_answer"] == 2


def test_an_early_call_callback_keeps_its_evidence(campaign, proveedor, client, peer, monkeypatch):
    # given a voice sweep whose completed-call callback arrives before the send is recorded
    make_account(peer, kind="voice", code="twilio-voz")
    brief, template = voice_campaign(campaign, proveedor, 1)
    sweep = sweep_for(brief, template, proveedor, account="twilio-voz")
    human = fixture("call_completed_human.json")
    recording = {k: human[k] for k in ("RecordingUrl", "RecordingSid", "CallDuration")}
    answers = []

    def completed_early(batch, results):
        for r in results:
            url, form, sig = peer.callback(r.provider_message_id, "completed",
                                           AnsweredBy="human", **recording)  # fmt: skip
            answers.append(post_signed(client, urlsplit(url).path, form, sig=sig).json())

    callbacks_while_sending(monkeypatch, TwilioVoiceProvider, completed_early)
    # when the sweep runs
    drain(sweep)
    # then the callback waited as pending and, applied later, brought its evidence along
    assert [a["pending"] for a in answers] == [1]
    message = Message.objects.get(sweep=sweep)
    assert message.status == "delivered"
    assert message.evidence == {
        "call_sid": message.provider_message_id,
        "call_status": "completed",
        "answered_by": "human",
        "duration_seconds": 23,
        "recording_url": human["RecordingUrl"],
        "recording_sid": human["RecordingSid"],
    }
    assert report.build(brief)["totals"]["delivered"] == 1


@pytest.mark.parametrize(
    ("status", "ours"),
    [
        ("queued", None),
        ("sending", None),
        ("sent", "sent"),
        ("delivered", "delivered"),
        ("read", "read"),
        ("undelivered", "failed"),
        ("failed", "failed"),
    ],
)
def test_every_twilio_message_status_maps_to_ours(status, ours):
    provider = TwilioSMSProvider(ProviderAccount(code="t", options={"auth_token": TOKEN}))
    form = {**fixture("sms_status_delivered.json"), "MessageStatus": status, "SmsStatus": status}
    assert [u.status for u in provider.parse_form(form)] == ([ours] if ours else [])


@pytest.mark.parametrize(
    ("call_status", "answered_by", "ours", "code"),
    [
        ("completed", "human", "delivered", ""),
        ("completed", "unknown", "delivered", "answered_unknown"),
        ("completed", "machine_end_beep", "voicemail", "answered_machine_end_beep"),
        ("completed", "fax", "failed", "answered_fax"),
        ("busy", "", "no_answer", "twilio_busy"),
        ("no-answer", "", "no_answer", "twilio_no-answer"),
        ("canceled", "", "no_answer", "twilio_canceled"),
        ("failed", "", "failed", "twilio_failed"),
    ],
)
def test_every_call_outcome_maps_to_ours(call_status, answered_by, ours, code):
    provider = TwilioVoiceProvider(ProviderAccount(code="v", options={"auth_token": TOKEN}))
    form = {**fixture("call_completed_human.json"), "CallStatus": call_status}
    form["AnsweredBy"] = answered_by
    [update] = provider.parse_form(form)
    assert (update.status, update.code) == (ours, code)
    assert update.evidence["call_status"] == call_status


def test_recorded_call_payloads_map_to_our_statuses():
    account = ProviderAccount(code="v", options={"auth_token": TOKEN})
    provider = TwilioVoiceProvider(account)
    human = provider.parse_form(fixture("call_completed_human.json"))
    machine = provider.parse_form(fixture("call_completed_machine.json"))
    unanswered = provider.parse_form(fixture("call_no_answer.json"))
    assert [u.status for u in human + machine + unanswered] == [
        "delivered",
        "voicemail",
        "no_answer",
    ]
    assert isinstance(human[0], StatusUpdate)
    assert human[0].at == dt.datetime(2026, 12, 9, 15, 1, 7, tzinfo=dt.UTC)
    assert machine[0].evidence["answered_by"] == "machine_end_beep"
    # intermediate call progress is not a status
    ringing = {**fixture("call_no_answer.json"), "CallStatus": "ringing"}
    assert provider.parse_form(ringing) == []
    with pytest.raises(ValueError, match="not a Twilio"):
        provider.parse_form({"foo": "bar"})


def test_voice_plays_the_audio_creative_from_a_signed_expiring_url(
    campaign, proveedor, client, peer, settings
):
    # given a voice template that plays an audio creative
    make_account(peer, kind="voice", code="twilio-voz")
    brief, template = voice_campaign(campaign, proveedor, 1)
    audio = b"ID3\x03\x00fake mp3 audio"
    creative = Creative.objects.create(
        brief=brief,
        channel="voice",
        version=1,
        name=f"{brief.code}_voice_v1_20261209.mp3",
        file=ContentFile(audio, name="audio.mp3"),
        original_name="audio.mp3",
        content_type="audio/mpeg",
        size=len(audio),
        sha256=hashlib.sha256(audio).hexdigest(),
        uploaded_by=proveedor,
    )
    template.voice_audio = creative
    template.save()
    sweep = sweep_for(brief, template, proveedor, account="twilio-voz")
    # when it runs
    drain(sweep)
    # then the call plays a signed URL of ours, which serves the audio without a session
    twiml = peer.requests[0]["form"]["Twiml"]
    assert twiml.startswith(f"<Response><Play>{SITE}/pieza/")
    assert "<Say" not in twiml
    url = twiml.removeprefix("<Response><Play>").removesuffix("</Play></Response>")
    path = urlsplit(url).path
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/mpeg"
    assert b"".join(response.streaming_content) == audio
    # a tampered token and an expired one are refused
    assert client.get(path.replace("/pieza/", "/pieza/x")).status_code == 404
    settings.CREATIVE_URL_SECONDS = -1
    assert client.get(path).status_code == 404
