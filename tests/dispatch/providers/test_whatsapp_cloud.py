"""The WhatsApp Cloud API adapter against the Graph stand-in (a real HTTP server on loopback)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.urls import reverse

from brief.contacts.actions import segment_queryset
from brief.contacts.models import Suppression
from brief.content.choices import WaStatus
from brief.dispatch import actions, report
from brief.dispatch.choices import ErrorEffect, SweepState
from brief.dispatch.models import Message, ProviderAccount, StatusEvent
from brief.dispatch.peers.graph import (
    GraphPeer,
    inbound_item,
    inbound_payload,
    lifecycle,
    status_item,
    status_payload,
)
from brief.dispatch.providers.base import InboundMessage, OutgoingMessage, StatusUpdate
from brief.dispatch.providers.whatsapp_cloud import WhatsAppCloudProvider, parse_webhook, sign
from tests.helpers import callbacks_while_sending, drain, statuses, sweep_for

FIXTURES = Path(__file__).parents[1] / "fixtures" / "whatsapp"
WAMID = "wamid.HBgMNTczMDAxMjM0NTY3FQIAERgSQzVCMkQ1RjM0QkFFRjRBQUIzAA=="


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def peer():
    with GraphPeer(
        templates=[
            {"name": "aviso_saldo", "language": "es", "status": "APPROVED"},
            {
                "name": "promo_feria",
                "language": "es",
                "status": "REJECTED",
                "rejected_reason": "PROMOTIONAL",
            },
            {"name": "recordatorio", "language": "es_CO", "status": "PAUSED"},
        ],
    ) as running:
        yield running


def wa_account(peer, db=None, **options) -> ProviderAccount:
    return ProviderAccount.objects.create(
        code="wa-icetex",
        name="WhatsApp ICETEX",
        backend="brief.dispatch.providers.whatsapp_cloud.WhatsAppCloudProvider",
        channels=["whatsapp"],
        rate_per_second=1_000_000,
        chunk_size=50,
        options=peer.options(**options),
    )


@pytest.fixture
def wa_campaign(campaign, peer):
    """A brief in execution with an approved WhatsApp template and an account on the peer."""

    def make(n: int = 5, *, wa_status=WaStatus.APPROVED, button: str = ""):
        brief, base, templates = campaign(n=n, channels=("whatsapp", "sms"))
        template = templates["whatsapp"]
        template.wa_name = "aviso_saldo"
        template.wa_language = "es"
        template.wa_category = "utility"
        template.body = "Hola {{1}}, su saldo es {{2}}."
        template.wa_variables = ["nombres", "saldo"]
        template.wa_button_url = button
        template.wa_status = wa_status
        template.save()
        return brief, base, template, wa_account(peer)

    return make


def post_hook(client, payload: dict | bytes, secret: str = "peer-secret", signature=None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(
        reverse("provider_callback", args=["wa-icetex"]),
        data=body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=sign(body, secret) if signature is None else signature,
    )


# --- sending ---------------------------------------------------------------------------


def test_template_send_carries_body_parameters_and_url_button(peer, db):
    # given
    provider = WhatsAppCloudProvider(wa_account(peer))
    batch = [
        OutgoingMessage(
            id=i,
            to=f"+57300000000{i}",
            channel="whatsapp",
            params=[f"Ana {i}", "1.000"],
            button_params=[f"tok{i}"],
            template_name="aviso_saldo",
            language="es",
        )
        for i in range(1, 4)
    ]
    # when
    results = provider.send(batch)
    # then
    assert all(r.accepted for r in results)
    assert {r.provider_message_id for r in results} == set(peer.sent)
    body = next(b for b in peer.sent.values() if b["to"] == "573000000001")
    assert body["messaging_product"] == "whatsapp"
    assert body["template"] == {
        "name": "aviso_saldo",
        "language": {"code": "es"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Ana 1"},
                    {"type": "text", "text": "1.000"},
                ],
            },
            {
                "type": "button",
                "sub_type": "url",
                "index": "0",
                "parameters": [{"type": "text", "text": "tok1"}],
            },
        ],
    }


def test_session_text_message_is_sent_as_type_text(peer, db):
    # given an advisor's free-text answer (no template name)
    provider = WhatsAppCloudProvider(wa_account(peer))
    answer = OutgoingMessage(id=7, to="+573001234567", channel="whatsapp", text="Hola, Ana.")
    # when
    [result] = provider.send([answer])
    # then the peer accepted a Graph "text" message and answered its wamid
    assert result.accepted
    assert peer.sent[result.provider_message_id] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "573001234567",
        "type": "text",
        "text": {"preview_url": False, "body": "Hola, Ana."},
    }


def test_empty_session_text_is_refused_by_the_peer(peer, db):
    provider = WhatsAppCloudProvider(wa_account(peer))
    [result] = provider.send([OutgoingMessage(id=1, to="+573001", channel="whatsapp", text=" ")])
    assert (result.accepted, result.code) == (False, "100")
    assert peer.sent == {}


def test_wrong_token_is_refused_by_the_peer_and_pauses(peer, db):
    provider = WhatsAppCloudProvider(wa_account(peer, access_token="wrong"))
    [result] = provider.send([OutgoingMessage(id=1, to="+573001", channel="whatsapp",
                                              template_name="aviso_saldo")])  # fmt: skip
    assert not result.accepted
    assert (result.code, result.effect) == ("190", ErrorEffect.PAUSE_SWEEP)
    assert peer.unauthorized == 1
    assert peer.sent == {}


@pytest.mark.parametrize(
    ("code", "effect", "permanent"),
    [
        (131026, ErrorEffect.FALLBACK, True),
        (131047, ErrorEffect.FAIL, True),
        (131049, ErrorEffect.RETRY_NEXT_DAY, False),
        (131050, ErrorEffect.SUPPRESS, True),
        (130429, ErrorEffect.THROTTLE, False),
        (131056, ErrorEffect.THROTTLE, False),
        (132000, ErrorEffect.PAUSE_SWEEP, False),
        (132001, ErrorEffect.PAUSE_SWEEP, False),
        (132007, ErrorEffect.PAUSE_SWEEP, False),
        (132015, ErrorEffect.PAUSE_SWEEP, False),
    ],
)
def test_graph_error_answers_are_mapped(peer, db, code, effect, permanent):
    peer.fail["573001112233"] = code
    provider = WhatsAppCloudProvider(wa_account(peer))
    [result] = provider.send([OutgoingMessage(id=9, to="+573001112233", channel="whatsapp",
                                              template_name="aviso_saldo")])  # fmt: skip
    assert not result.accepted
    assert (result.code, result.effect, result.permanent) == (str(code), effect, permanent)


# --- webhooks: authentication ----------------------------------------------------------


def test_subscription_check_echoes_the_challenge_only_with_the_verify_token(client, peer, db):
    wa_account(peer)
    url = reverse("provider_callback", args=["wa-icetex"])
    ok = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "peer-verify",
                          "hub.challenge": "1158201444"})  # fmt: skip
    bad = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "nope",
                           "hub.challenge": "1158201444"})  # fmt: skip
    assert (ok.status_code, ok.content, ok["Content-Type"]) == (
        200,
        b"1158201444",
        "text/plain",
    )
    assert bad.status_code == 403


@pytest.mark.parametrize("signature", ["", "sha256=00", "sha1=abc", None])
def test_wrong_or_missing_signature_is_refused_and_changes_nothing(
    client,
    wa_campaign,
    proveedor,
    at,
    signature,
):
    brief, _base, template, _account = wa_campaign(n=1)
    sweep = sweep_for(brief, template, proveedor, account="wa-icetex")
    drain(sweep)
    message = Message.objects.get(sweep=sweep)
    body = json.dumps(status_payload([status_item(message.provider_message_id, "read",
                                                  message.to)])).encode()  # fmt: skip
    # None: a genuine signature of another secret
    given = sign(body, "other-secret") if signature is None else signature
    response = post_hook(client, body, signature=given)
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == "sent"
    assert not StatusEvent.objects.exists()


# --- webhooks: statuses end to end -----------------------------------------------------


def test_sweep_to_read_through_signed_duplicated_shuffled_webhooks(
    client,
    wa_campaign,
    proveedor,
    at,
    peer,
):
    # given: a sweep of 10 sent through the peer
    brief, _base, template, _account = wa_campaign(n=10)
    sweep = sweep_for(brief, template, proveedor, account="wa-icetex")
    drain(sweep)
    sent = dict(Message.objects.filter(sweep=sweep).values_list("provider_message_id", "to"))
    assert set(sent) == set(peer.sent)
    # when: read for 6, delivered only for 4; 30 % duplicates, shuffled, one status a call
    wamids = sorted(sent)
    items = lifecycle({w: sent[w] for w in wamids[:6]}, final="read", duplicates=0.3)
    items += lifecycle({w: sent[w] for w in wamids[6:]}, final="delivered", duplicates=0.3)
    items.sort(key=lambda i: hash(i["id"] + i["status"]))
    for item in items:
        assert post_hook(client, status_payload([item])).status_code == 200
    # then
    assert statuses(sweep)["read"] == 6
    assert statuses(sweep)["delivered"] == 4
    totals = report.build(brief)["totals"]
    assert (totals["sent"], totals["delivered"], totals["read"]) == (10, 10, 6)


def test_read_never_goes_back_to_delivered(client, wa_campaign, proveedor, at):
    brief, _base, template, _account = wa_campaign(n=1)
    sweep = sweep_for(brief, template, proveedor, account="wa-icetex")
    drain(sweep)
    message = Message.objects.get(sweep=sweep)
    Message.objects.filter(pk=message.pk).update(provider_message_id=WAMID)
    assert post_hook(client, fixture("status_read.json")).status_code == 200
    assert post_hook(client, fixture("status_delivered.json")).status_code == 200
    message.refresh_from_db()
    assert message.status == "read"
    assert message.read_at == dt.datetime(2025, 11, 30, 22, 0, tzinfo=dt.UTC)


def test_webhook_from_the_peer_over_http(live_server, wa_campaign, proveedor, at, peer):
    brief, _base, template, _account = wa_campaign(n=2)
    sweep = sweep_for(brief, template, proveedor, account="wa-icetex")
    drain(sweep)
    sent = dict(Message.objects.filter(sweep=sweep).values_list("provider_message_id", "to"))
    url = live_server.url + reverse("provider_callback", args=["wa-icetex"])
    status, _body = peer.post_webhook(url, status_payload(lifecycle(sent, duplicates=0.5)))
    refused, _ = peer.post_webhook(url, status_payload([]), signature="sha256=bad")
    assert (status, refused) == (200, 403)
    assert statuses(sweep)["read"] == 2


# --- webhooks: failed statuses and their effects ---------------------------------------


def failed_hook(client, message, code: int):
    item = status_item(message.provider_message_id, "failed", message.to, code=code)
    return post_hook(client, status_payload([item]))


def sent_one(wa_campaign, proveedor, n=1):
    brief, base, template, _account = wa_campaign(n=n)
    sweep = sweep_for(brief, template, proveedor, account="wa-icetex")
    drain(sweep)
    return brief, base, sweep, Message.objects.filter(sweep=sweep).order_by("id").first()


def test_131026_undeliverable_fails_and_is_a_fallback_candidate(
    client,
    wa_campaign,
    proveedor,
    at,
):
    _brief, base, _sweep, message = sent_one(wa_campaign, proveedor, n=2)
    assert failed_hook(client, message, 131026).status_code == 200
    message.refresh_from_db()
    assert (message.status, message.error_code, message.fallback) == ("failed", "131026", True)
    assert "candidato a SMS" in message.error_detail
    fallback = segment_queryset(base, {"sweeps": "fallback"})
    assert [c.pk for c in fallback] == [message.contact_id]


def test_131047_outside_the_window_fails(client, wa_campaign, proveedor, at):
    _brief, _base, _sweep, message = sent_one(wa_campaign, proveedor)
    failed_hook(client, message, 131047)
    message.refresh_from_db()
    assert (message.status, message.error_code, message.fallback) == ("failed", "131047", False)
    assert "24 horas" in message.error_detail


def test_131049_marketing_limit_is_retried_the_next_day(
    client,
    wa_campaign,
    proveedor,
    at,
):
    _brief, _base, sweep, message = sent_one(wa_campaign, proveedor)
    old = message.provider_message_id
    failed_hook(client, message, 131049)
    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == ("deferred", "")
    assert message.not_before is not None
    assert message.not_before.date() > dt.date.today()
    assert message.attempt_rows.filter(code="131049", detail__contains=old).exists()
    # a late duplicate of the old wamid changes nothing
    post_hook(client, status_payload([status_item(old, "sent", message.to)]))
    message.refresh_from_db()
    assert message.status == "deferred"
    sweep.refresh_from_db()
    assert sweep.state == SweepState.RUNNING


def test_131050_stopped_marketing_suppresses_whatsapp(
    client,
    wa_campaign,
    proveedor,
    at,
):
    _brief, _base, _sweep, message = sent_one(wa_campaign, proveedor)
    Message.objects.filter(pk=message.pk).update(provider_message_id=WAMID)
    assert post_hook(client, fixture("status_failed_131050.json")).status_code == 200
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", "131050")
    entry = Suppression.objects.get(channel="whatsapp")
    assert (entry.value, entry.source) == (message.to, "whatsapp_optout")


def test_an_early_131050_failure_still_suppresses_when_the_send_is_recorded(
    client, wa_campaign, proveedor, at, monkeypatch
):
    # given a sweep whose failed webhook (131050) arrives before the send is recorded
    brief, _base, template, _account = wa_campaign(n=1)
    sweep = sweep_for(brief, template, proveedor, account="wa-icetex")
    answers = []

    def failed_early(batch, results):
        to = {m.id: m.to for m in batch}
        for r in results:
            item = status_item(r.provider_message_id, "failed", to[r.id], code=131050)
            answers.append(post_hook(client, status_payload([item])).json())

    callbacks_while_sending(monkeypatch, WhatsAppCloudProvider, failed_early)
    # when the sweep runs
    drain(sweep)
    # then the webhook was kept as pending, and applied in full once the send was recorded
    assert [a["pending"] for a in answers] == [1]
    message = Message.objects.get(sweep=sweep)
    assert (message.status, message.error_code) == ("failed", "131050")
    assert message.error_detail.startswith("La persona dejó de recibir mensajes de marketing")
    entry = Suppression.objects.get(channel="whatsapp")
    assert (entry.value, entry.source) == (message.to, "whatsapp_optout")
    assert StatusEvent.objects.get(status="failed").applied


@pytest.mark.parametrize("code", [130429, 131056])
def test_throughput_errors_back_off_and_retry(client, wa_campaign, proveedor, at, code):
    _brief, _base, _sweep, message = sent_one(wa_campaign, proveedor)
    failed_hook(client, message, code)
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("queued", str(code))
    assert message.not_before is not None


@pytest.mark.parametrize("code", [132000, 132001, 132012, 132015])
def test_template_problems_pause_the_sweep_with_the_reason_on_screen(
    client,
    wa_campaign,
    proveedor,
    at,
    code,
):
    _brief, _base, sweep, message = sent_one(wa_campaign, proveedor, n=2)
    failed_hook(client, message, code)
    sweep.refresh_from_db()
    message.refresh_from_db()
    assert sweep.state == SweepState.PAUSED
    assert "plantilla" in sweep.pause_reason.lower()
    assert message.status == "queued"  # sent again once the sweep is resumed
    client.force_login(proveedor)
    page = client.get(reverse("dispatch:sweep_detail", args=[sweep.pk]))
    assert sweep.pause_reason in page.content.decode()


def test_send_answer_with_a_template_error_pauses_the_sweep(
    wa_campaign,
    proveedor,
    at,
    peer,
):
    brief, _base, template, _account = wa_campaign(n=3)
    peer.fail.update({f"57300000000{i}": 132001 for i in range(1, 4)})
    sweep = sweep_for(brief, template, proveedor, account="wa-icetex")
    assert drain(sweep)["next"] == "stop"
    assert sweep.state == SweepState.PAUSED
    assert "no existe" in sweep.pause_reason
    assert statuses(sweep)["queued"] == 3


def test_send_answer_131049_defers_to_the_next_day(wa_campaign, proveedor, at, peer):
    brief, _base, template, _account = wa_campaign(n=1)
    peer.fail["573000000001"] = 131049
    sweep = sweep_for(brief, template, proveedor, account="wa-icetex")
    drain(sweep)
    message = Message.objects.get(sweep=sweep)
    assert (message.status, message.error_code, message.attempts) == ("deferred", "131049", 1)


# --- inbound ---------------------------------------------------------------------------


def test_inbound_text_button_and_interactive_replies_are_parsed():
    found = [
        item
        for name in (
            "inbound_text_reply.json",
            "inbound_button_reply.json",
            "inbound_interactive_reply.json",
        )
        for item in parse_webhook(json.loads(fixture(name)))
    ]
    assert all(isinstance(i, InboundMessage) for i in found)
    assert [(i.sender, i.text, i.in_reply_to, i.channel) for i in found] == [
        ("573001234567", "Baja", WAMID, "whatsapp"),
        ("573001234567", "Quiero actualizar", WAMID, "whatsapp"),
        ("573001234567", "Sí, gracias", WAMID, "whatsapp"),
    ]
    assert found[0].recipient == "15550783881"
    assert found[0].at == dt.datetime(2025, 11, 30, 22, 1, 40, tzinfo=dt.UTC)


def test_inbound_webhook_is_accepted_and_counted(client, peer, db):
    wa_account(peer)
    payload = inbound_payload([inbound_item("573001234567", "hola", wamid="wamid.in1")])
    response = post_hook(client, payload)
    assert response.status_code == 200
    assert response.json()["inbound"] == 1


def test_an_opt_out_text_reply_suppresses_the_next_whatsapp_sweep(
    client, wa_campaign, proveedor, at
):
    # given a WhatsApp sweep of 2 sent through the peer
    brief, _base, sweep, message = sent_one(wa_campaign, proveedor, n=2)
    # when the first person answers "STOP" in the chat (a signed inbound webhook)
    payload = inbound_payload([inbound_item(message.to, "  stop ", wamid="wamid.in-stop")])
    assert post_hook(client, payload).status_code == 200
    # then the next WhatsApp sweep of the brief skips them and only them
    template = sweep.template
    again = sweep_for(brief, template, proveedor, account="wa-icetex")
    result = dict(Message.objects.filter(sweep=again).values_list("contact_id", "status"))
    assert result[message.contact_id] == "suppressed"
    assert sorted(result.values()) == ["queued", "suppressed"]
    assert Suppression.objects.filter(channel="whatsapp").count() == 1


def test_failed_status_parse_keeps_code_and_effect():
    [update] = parse_webhook(json.loads(fixture("status_failed_131050.json")))
    assert isinstance(update, StatusUpdate)
    assert (update.status, update.code, update.effect) == ("failed", "131050", "suppress")


# --- template status sync --------------------------------------------------------------


def test_template_sync_reads_every_page_and_marks_our_templates(wa_campaign, peer, analista):
    brief, _base, template, account = wa_campaign(wa_status="")
    from brief.content.models import Template

    def wa(name, language="es"):
        return Template.objects.create(
            brief=brief, channel="whatsapp", name=name, body="Hola", wa_name=name,
            wa_language=language, created_by=template.created_by,
        )  # fmt: skip

    rejected, paused, missing = wa("promo_feria"), wa("recordatorio"), wa("no_esta")
    result = actions.sync_whatsapp_templates(account, actor=analista)
    assert result["listed"] == 3  # two pages of two
    for t in (template, rejected, paused, missing):
        t.refresh_from_db()
    assert [t.wa_status for t in (template, rejected, paused, missing)] == [
        "approved",
        "rejected",
        "paused",
        "missing",
    ]
    assert rejected.wa_status_reason == "PROMOTIONAL"


def test_sweep_refuses_a_whatsapp_template_not_approved(
    client,
    wa_campaign,
    proveedor,
    at,
):
    brief, _base, template, _account = wa_campaign(wa_status=WaStatus.REJECTED)
    client.force_login(proveedor)
    response = client.post(
        reverse("api:brief_sweeps", args=[brief.code]),
        {"channel": "whatsapp", "template": template.pk, "provider_account": "wa-icetex"},
        content_type="application/json",
    )
    assert response.status_code == 409
    [error] = response.json()["errors"]
    assert error["code"] == "template_not_approved"
    assert "no está aprobada" in error["message"]
    assert not brief.sweeps.exists()


def test_sync_api_for_administrators(client, wa_campaign, proveedor, superuser, at):
    _brief, _base, template, _account = wa_campaign(wa_status="")
    url = reverse("api:provider_account-sync-templates", args=["wa-icetex"])
    client.force_login(proveedor)
    assert client.post(url, content_type="application/json").status_code == 403
    template.refresh_from_db()
    assert template.wa_status == ""
    client.force_login(superuser)
    response = client.post(url, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["listed"] == 3
    template.refresh_from_db()
    assert template.wa_status == "approved"


def test_sync_button_on_the_sweep_page_for_operators(client, wa_campaign, proveedor, at):
    brief, _base, template, _account = wa_campaign()
    sweep = sweep_for(brief, template, proveedor, account="wa-icetex")
    type(template).objects.filter(pk=template.pk).update(wa_status="")
    client.force_login(proveedor)
    response = client.post(reverse("dispatch:sweep_sync_templates", args=[sweep.pk]))
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.wa_status == "approved"


def test_url_button_parameter_is_the_tracked_link_token(wa_campaign, proveedor, at, peer):
    from brief.content.links import parse_token
    from brief.content.models import TrackedLink

    brief, _base, template, _account = wa_campaign(n=1, button="https://www.icetex.gov.co/x")
    sweep = sweep_for(brief, template, proveedor, account="wa-icetex")
    drain(sweep)
    [body] = peer.sent.values()
    [button] = [c for c in body["template"]["components"] if c["type"] == "button"]
    token = button["parameters"][0]["text"]
    link = TrackedLink.objects.get(template=template)
    assert parse_token(token) == (link.pk, Message.objects.get(sweep=sweep).pk)
