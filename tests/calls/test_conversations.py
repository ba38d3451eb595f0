"""WhatsApp conversations: inbound messages open them, advisors answer inside the 24-hour
window (templates outside it) through the Cloud API stand-in, closing makes an interaction."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from brief.calls import actions, conversations
from brief.calls.models import Case, Conversation, ConversationMessage, TypificationNode
from brief.campaigns.models import AdvisorAssignment
from brief.contacts.models import Contact
from brief.content.choices import WaStatus
from brief.core.exceptions import Conflict, Forbidden, Invalid
from brief.dispatch.models import InboundMessage, Message, ProviderAccount, StatusEvent
from brief.dispatch.peers.graph import (
    GraphPeer,
    inbound_item,
    inbound_payload,
    status_item,
    status_payload,
)
from brief.dispatch.providers.whatsapp_cloud import sign
from tests.helpers import drain, sweep_for

ACCOUNT = "wa-icetex"


@pytest.fixture
def peer():
    with GraphPeer() as running:
        yield running


def hook(client, payload: dict):
    body = json.dumps(payload).encode()
    return client.post(
        reverse("provider_callback", args=[ACCOUNT]),
        data=body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=sign(body, "peer-secret"),
    )


def leaf(brief, code: str, *, creates_case: bool = False) -> TypificationNode:
    """A category › result › detail chain of ``brief``; the detail (a leaf) is returned."""
    category, _ = TypificationNode.objects.get_or_create(
        brief=brief, parent=None, label="Contacto directo", defaults={"level": "category"}
    )
    result, _ = TypificationNode.objects.get_or_create(
        brief=brief, parent=category, label="Resultado", defaults={"level": "result"}
    )
    return TypificationNode.objects.create(
        brief=brief,
        parent=result,
        level="detail",
        code=code,
        label=f"Detalle {code}",
        counts_as_contact=True,
        creates_case=creates_case,
    )


@pytest.fixture
def wa_sent(campaign, peer, proveedor, asesor, at):
    """An executing WhatsApp brief whose sweep of 2 went out through the Graph stand-in, with
    ``asesor`` assigned: ``(brief, template, [messages])``."""
    brief, _base, templates = campaign(n=2, channels=("whatsapp", "sms"))
    template = templates["whatsapp"]
    template.wa_name, template.wa_language = "aviso_saldo", "es"
    template.body, template.wa_variables = "Hola {{1}}.", ["nombres"]
    template.wa_status = WaStatus.APPROVED
    template.save()
    ProviderAccount.objects.create(
        code=ACCOUNT,
        name="WhatsApp ICETEX",
        backend="brief.dispatch.providers.whatsapp_cloud.WhatsAppCloudProvider",
        channels=["whatsapp"],
        rate_per_second=1_000_000,
        options=peer.options(),
    )
    sweep = sweep_for(brief, template, proveedor, account=ACCOUNT)
    drain(sweep)
    AdvisorAssignment.objects.create(brief=brief, advisor=asesor, assigned_by=proveedor)
    messages = list(Message.objects.filter(sweep=sweep).order_by("id"))
    assert all(m.provider_message_id for m in messages)
    return brief, template, messages


def write_in(client, message, text: str, wamid: str, *, hours_ago: float = 0):
    """The person answers ``message`` in the chat (a signed inbound webhook)."""
    item = inbound_item(message.to, text, wamid=wamid, context_id=message.provider_message_id)
    item["timestamp"] = str(int(time.time() - hours_ago * 3600))
    return hook(client, inbound_payload([item]))


def opened(client, django_capture_on_commit_callbacks, message, **kw) -> Conversation:
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            write_in(client, message, "Hola, tengo una duda", "wamid.in-1", **kw).status_code == 200
        )
    return Conversation.objects.get()


# --- opening --------------------------------------------------------------------------------


def test_an_inbound_message_opens_a_conversation_with_a_24_hour_window(
    client, wa_sent, django_capture_on_commit_callbacks
):
    brief, _template, [first, _second] = wa_sent
    conversation = opened(client, django_capture_on_commit_callbacks, first)
    inbound = InboundMessage.objects.get(provider_message_id="wamid.in-1")
    assert (conversation.brief, conversation.contact_id) == (brief, first.contact_id)
    assert (conversation.address, conversation.first_wamid) == ("573000000001", "wamid.in-1")
    assert conversation.account.code == ACCOUNT
    assert conversation.status == "open"
    assert conversation.opened_at == conversation.last_inbound_at == inbound.at
    assert conversation.window_closes_at == inbound.at + dt.timedelta(hours=24)
    assert conversation.window_open()
    [row] = conversation.messages.all()
    assert (row.direction, row.inbound, row.text) == ("in", inbound, "Hola, tengo una duda")


def test_a_second_inbound_message_extends_the_window_of_the_same_conversation(
    client, wa_sent, django_capture_on_commit_callbacks
):
    _brief, _template, [first, _] = wa_sent
    conversation = opened(client, django_capture_on_commit_callbacks, first, hours_ago=30)
    assert not conversation.window_open()
    with django_capture_on_commit_callbacks(execute=True):
        write_in(client, first, "¿Sigue ahí?", "wamid.in-2", hours_ago=1)
    conversation.refresh_from_db()
    later = InboundMessage.objects.get(provider_message_id="wamid.in-2").at
    assert Conversation.objects.count() == 1
    assert conversation.last_inbound_at == later
    assert conversation.window_closes_at == later + dt.timedelta(hours=24)
    assert conversation.window_open()
    assert conversation.messages.count() == 2


def test_a_replayed_inbound_webhook_adds_nothing(
    client, wa_sent, django_capture_on_commit_callbacks
):
    _brief, _template, [first, _] = wa_sent
    opened(client, django_capture_on_commit_callbacks, first)
    with django_capture_on_commit_callbacks(execute=True):
        write_in(client, first, "Hola, tengo una duda", "wamid.in-1")
    assert ConversationMessage.objects.count() == 1
    assert (
        actions.open_conversations(list(InboundMessage.objects.values_list("pk", flat=True))) == 0
    )


def test_an_opt_out_reply_is_suppressed_and_opens_no_conversation(
    client, wa_sent, django_capture_on_commit_callbacks
):
    _brief, _template, [first, _] = wa_sent
    with django_capture_on_commit_callbacks(execute=True):
        write_in(client, first, "BAJA", "wamid.in-baja")
    assert InboundMessage.objects.get().opt_out
    assert not Conversation.objects.exists()


# --- answering --------------------------------------------------------------------------------


def test_free_text_inside_the_window_goes_through_the_cloud_api(
    client, wa_sent, asesor, peer, django_capture_on_commit_callbacks
):
    _brief, _template, [first, _] = wa_sent
    conversation = opened(client, django_capture_on_commit_callbacks, first)
    # when the advisor answers
    row = actions.reply_conversation(conversation, actor=asesor, text="Con gusto le ayudo.")
    # then the stand-in got a session text message and the answer carries its wamid
    assert (row.status, row.direction, row.sent_by) == ("sent", "out", asesor)
    assert peer.sent[row.provider_message_id]["text"] == {
        "preview_url": False,
        "body": "Con gusto le ayudo.",
    }
    conversation.refresh_from_db()
    assert conversation.advisor == asesor
    # and the provider's statuses move it forward, never back
    items = [status_item(row.provider_message_id, s, first.to) for s in ("read", "delivered")]
    answer = hook(client, status_payload(items)).json()
    assert (answer["applied"], answer["pending"]) == (2, 0)
    row.refresh_from_db()
    assert row.status == "read"
    assert not StatusEvent.objects.filter(applied=False).exists()


def test_free_text_outside_the_window_is_refused_and_nothing_is_sent(
    client, wa_sent, asesor, peer, django_capture_on_commit_callbacks
):
    _brief, _template, [first, _] = wa_sent
    conversation = opened(client, django_capture_on_commit_callbacks, first, hours_ago=25)
    sent_before = len(peer.sent)
    with pytest.raises(Conflict) as refused:
        actions.reply_conversation(conversation, actor=asesor, text="Hola")
    assert refused.value.code == "window_closed"
    assert "24 horas" in refused.value.message
    assert len(peer.sent) == sent_before
    assert not ConversationMessage.objects.filter(direction="out").exists()


def test_an_approved_template_may_be_sent_outside_the_window(
    client, wa_sent, asesor, peer, django_capture_on_commit_callbacks
):
    _brief, template, [first, _] = wa_sent
    conversation = opened(client, django_capture_on_commit_callbacks, first, hours_ago=25)
    row = actions.reply_conversation(conversation, actor=asesor, template=template)
    body = peer.sent[row.provider_message_id]
    assert body["type"] == "template"
    assert body["template"]["name"] == "aviso_saldo"
    assert body["template"]["components"][0]["parameters"][0]["text"] == first.contact.first_names
    assert (row.status, row.template) == ("sent", template)


def test_a_template_not_approved_is_refused(
    client, wa_sent, asesor, django_capture_on_commit_callbacks
):
    _brief, template, [first, _] = wa_sent
    conversation = opened(client, django_capture_on_commit_callbacks, first, hours_ago=25)
    template.wa_status = WaStatus.PAUSED
    template.save(update_fields=["wa_status"])
    with pytest.raises(Invalid) as refused:
        actions.reply_conversation(conversation, actor=asesor, template=template)
    assert refused.value.code == "template_not_approved"


def test_an_advisor_not_assigned_cannot_answer(
    client, wa_sent, make_user, provider_org, django_capture_on_commit_callbacks
):
    _brief, _template, [first, _] = wa_sent
    conversation = opened(client, django_capture_on_commit_callbacks, first)
    other = make_user("asesor2", "asesor", provider=provider_org)
    with pytest.raises(Forbidden):
        actions.reply_conversation(conversation, actor=other, text="Hola")
    assert not ConversationMessage.objects.filter(direction="out").exists()
    assert not conversations.inbox(other).exists()


def test_a_refused_send_is_kept_as_failed_with_the_reason(
    client, wa_sent, asesor, peer, django_capture_on_commit_callbacks
):
    _brief, _template, [first, _] = wa_sent
    conversation = opened(client, django_capture_on_commit_callbacks, first)
    peer.fail["573000000001"] = 131047
    row = actions.reply_conversation(conversation, actor=asesor, text="Hola")
    assert (row.status, row.error_code) == ("failed", "131047")
    assert "24 horas" in row.error_detail


# --- closing --------------------------------------------------------------------------------


def test_closing_makes_a_billable_whatsapp_interaction(
    client, wa_sent, asesor, django_capture_on_commit_callbacks
):
    brief, _template, [first, _] = wa_sent
    conversation = opened(client, django_capture_on_commit_callbacks, first)
    row = actions.reply_conversation(conversation, actor=asesor, text="Listo.")
    node = leaf(brief, "WA01")
    interaction = actions.close_conversation(
        conversation, actor=asesor, typification=node.pk, observations="Pidió el saldo."
    )
    conversation.refresh_from_db()
    assert (conversation.status, conversation.interaction) == ("closed", interaction)
    assert (interaction.channel, interaction.external_id) == ("whatsapp", "wamid.in-1")
    assert (interaction.provider_status, interaction.advisor) == ("sent", asesor)
    assert (interaction.typification, interaction.billable) == (node, True)
    assert Contact.objects.get(pk=first.contact_id).observations.endswith(": Pidió el saldo.")
    # a later status of the answer reaches the interaction
    hook(client, status_payload([status_item(row.provider_message_id, "read", first.to)]))
    interaction.refresh_from_db()
    assert (interaction.provider_status, interaction.billable) == ("read", True)


def test_a_conversation_nobody_answered_is_excluded_for_lack_of_provider_status(
    client, wa_sent, asesor, django_capture_on_commit_callbacks
):
    brief, _template, [first, _] = wa_sent
    conversation = opened(client, django_capture_on_commit_callbacks, first)
    interaction = actions.close_conversation(
        conversation, actor=asesor, typification=leaf(brief, "WA02").pk
    )
    assert (interaction.billable, interaction.exclusions) == (False, ["no_provider_status"])


def test_closing_needs_a_leaf_of_the_brief_and_closes_once(
    client, wa_sent, asesor, django_capture_on_commit_callbacks
):
    brief, _template, [first, _] = wa_sent
    conversation = opened(client, django_capture_on_commit_callbacks, first)
    node = leaf(brief, "WA03")
    with pytest.raises(Invalid):
        actions.close_conversation(conversation, actor=asesor, typification=None)
    with pytest.raises(Invalid):
        actions.close_conversation(conversation, actor=asesor, typification=node.parent_id)
    assert Conversation.objects.get().status == "open"
    actions.close_conversation(conversation, actor=asesor, typification=node.pk)
    with pytest.raises(Conflict):
        actions.close_conversation(conversation, actor=asesor, typification=node.pk)
    with pytest.raises(Conflict):
        actions.reply_conversation(conversation, actor=asesor, text="Hola")


def test_closing_with_a_case_typification_opens_one_case(
    client, wa_sent, asesor, django_capture_on_commit_callbacks
):
    brief, _template, [first, _] = wa_sent
    conversation = opened(client, django_capture_on_commit_callbacks, first)
    node = leaf(brief, "WA04", creates_case=True)
    with django_capture_on_commit_callbacks(execute=True):
        interaction = actions.close_conversation(
            conversation, actor=asesor, typification=node.pk, observations="Reclamo por cobro."
        )
    case = Case.objects.get()
    assert (case.interaction, case.summary, case.brief) == (
        interaction,
        "Reclamo por cobro.",
        brief,
    )
    assert case.opened_at <= timezone.now()


# --- API ---------------------------------------------------------------------------------


def test_api_lists_retrieves_replies_and_closes(
    api, client, wa_sent, asesor, django_capture_on_commit_callbacks
):
    brief, _template, [first, _] = wa_sent
    conversation = opened(client, django_capture_on_commit_callbacks, first)
    node = leaf(brief, "WA05")
    as_advisor = api.as_user(asesor)
    listed = as_advisor.get(reverse("api:conversations"), {"brief": brief.code}).json()
    assert [c["id"] for c in listed["results"]] == [conversation.pk]
    assert listed["results"][0]["window_open"] is True
    detail_url = reverse("api:conversation_detail", args=[conversation.pk])
    replied = as_advisor.post(f"{detail_url}reply/", {"text": "Hola"}, format="json")
    assert replied.status_code == 201
    assert replied.json()["status"] == "sent"
    thread = as_advisor.get(detail_url).json()["messages"]
    assert [(m["direction"], m["text"]) for m in thread] == [
        ("in", "Hola, tengo una duda"),
        ("out", "Hola"),
    ]
    closed = as_advisor.post(f"{detail_url}close/", {"typification": node.pk}, format="json")
    assert closed.status_code == 201
    assert (closed.json()["channel"], closed.json()["billable"]) == ("whatsapp", True)


def test_api_refuses_free_text_outside_the_window_with_a_structured_409(
    api, client, wa_sent, asesor, django_capture_on_commit_callbacks
):
    _brief, _template, [first, _] = wa_sent
    conversation = opened(client, django_capture_on_commit_callbacks, first, hours_ago=26)
    url = reverse("api:conversation_detail", args=[conversation.pk]) + "reply/"
    answer = api.as_user(asesor).post(url, {"text": "Hola"}, format="json")
    assert answer.status_code == 409
    [error] = answer.json()["errors"]
    assert (error["code"], error["field"]) == ("window_closed", "text")
    assert "plantilla aprobada" in error["message"]
    assert not ConversationMessage.objects.filter(direction="out").exists()


def test_api_scoping_per_role(
    api, client, wa_sent, analista, solicitante, other_provider_user,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    _brief, _template, [first, _] = wa_sent
    conversation = opened(client, django_capture_on_commit_callbacks, first)
    url = reverse("api:conversations")
    assert len(api.as_user(analista).get(url).json()["results"]) == 1
    assert api.as_user(other_provider_user).get(url).json()["results"] == []
    assert api.as_user(solicitante).get(url).status_code == 403
    detail = reverse("api:conversation_detail", args=[conversation.pk])
    assert api.as_user(other_provider_user).get(detail).status_code == 403
    # OCM reads but does not answer
    answer = api.as_user(analista).post(f"{detail}reply/", {"text": "Hola"}, format="json")
    assert answer.status_code == 403


# --- pages -------------------------------------------------------------------------------


def test_inbox_and_thread_pages_for_the_assigned_advisor(
    client, wa_sent, asesor, django_capture_on_commit_callbacks
):
    _brief, _template, [first, _] = wa_sent
    conversation = opened(client, django_capture_on_commit_callbacks, first)
    client.force_login(asesor)
    inbox = client.get(reverse("calls:conversations"))
    assert inbox.status_code == 200
    assert reverse("calls:conversation_detail", args=[conversation.pk]) in inbox.text
    page = client.get(reverse("calls:conversation_detail", args=[conversation.pk]))
    assert "Hola, tengo una duda" in page.text
    assert "texto libre" in page.text
    assert "Aceptado por el proveedor" in page.text  # the campaign's message, in Spanish
    sent = client.post(
        reverse("calls:conversation_reply", args=[conversation.pk]), {"text": "Buenos días"}
    )
    assert sent.status_code == 302
    assert ConversationMessage.objects.filter(direction="out", text="Buenos días").exists()


def test_thread_page_outside_the_window_says_why_and_offers_templates_only(
    client, wa_sent, asesor, django_capture_on_commit_callbacks
):
    _brief, template, [first, _] = wa_sent
    conversation = opened(client, django_capture_on_commit_callbacks, first, hours_ago=30)
    client.force_login(asesor)
    page = client.get(reverse("calls:conversation_detail", args=[conversation.pk]))
    assert "solo admite una plantilla aprobada" in page.text
    assert 'name="text"' not in page.text
    assert template.wa_name in page.text
    refused = client.post(
        reverse("calls:conversation_reply", args=[conversation.pk]), {"text": "Hola"}
    )
    assert refused.status_code == 409
    assert "24 horas" in refused.text
    assert not ConversationMessage.objects.filter(direction="out").exists()
