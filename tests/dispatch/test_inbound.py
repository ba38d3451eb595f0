"""Inbound messages: matched to our message, stored once, opt-out words suppress the next sweep,
and the per-brief list (page and API) scoped like the brief."""

from __future__ import annotations

import pytest
from django.urls import reverse

from brief.contacts.models import Suppression
from brief.core.models import AuditEvent
from brief.dispatch import actions, engine, hooks
from brief.dispatch.inbound import is_opt_out, normalize_reply
from brief.dispatch.models import InboundMessage, Message
from brief.dispatch.providers.base import InboundMessage as Inbound


@pytest.mark.parametrize(
    "text",
    ["STOP", "stop", " Baja ", "¡BAJA!", "no mas", "No más.", "NO  MÁS", "cancelar", "Stop."],
)
def test_opt_out_words_in_any_case_accent_and_punctuation(text):
    assert is_opt_out(text)


@pytest.mark.parametrize("text", ["", "Gracias", "STOP por favor", "no más tarde", "bajar"])
def test_other_replies_are_not_opt_outs(text):
    assert not is_opt_out(text)


def test_normalize_reply():
    assert normalize_reply("  ¿No  más? ") == "NO MAS"


def sweep(brief, template, proveedor):
    return actions.create_sweep(
        brief,
        actor=proveedor,
        channel=template.channel,
        template=template,
        provider_account="locmem",
        ignore_windows=True,
        ignore_daily_cap=True,
        exception_reason="prueba",
    )


@pytest.fixture
def replied(campaign, proveedor, accounts):
    """A brief whose first SMS sweep was sent; returns (brief, templates, first message)."""
    brief, _, templates = campaign(n=2, channels=("sms",))
    first = sweep(brief, templates["sms"], proveedor)
    engine.Runner(first).run()
    message = Message.objects.filter(sweep=first).order_by("id").first()
    assert message is not None
    assert message.status == "sent"
    return brief, templates, message


def test_an_opt_out_reply_suppresses_the_next_sweep(replied, proveedor, accounts):
    brief, templates, message = replied
    # when the person answers "No más." from their phone (digits only, as SMSCs send them)
    result = hooks.ingest(
        accounts["locmem"],
        [Inbound("mo-1", sender=message.to.lstrip("+"), text=" No más. ", channel="sms")],
    )
    assert result["inbound"] == 1
    # then the reply is stored, matched to the message and the contact
    row = InboundMessage.objects.get()
    assert (row.message_id, row.contact_id, row.brief_id) == (
        message.pk,
        message.contact_id,
        brief.pk,
    )
    assert row.opt_out
    # and the person's document is suppressed for SMS, logged with the reply that carried it
    entry = Suppression.objects.get()
    assert (entry.channel, entry.value, entry.source) == ("sms", message.person, "stop")
    event = AuditEvent.objects.get(type="SUPPRESSION_ADDED")
    assert event.details["inbound_message"] == row.pk
    # when a new sweep is created after it
    second = sweep(brief, templates["sms"], proveedor)
    # then that recipient is suppressed and the other one is not
    statuses = dict(Message.objects.filter(sweep=second).values_list("person", "status"))
    assert statuses[message.person] == "suppressed"
    assert sorted(statuses.values()) == ["queued", "suppressed"]


def test_a_replayed_reply_is_stored_once_and_a_plain_reply_suppresses_nothing(replied, accounts):
    _, _, message = replied
    items = [Inbound("mo-2", sender=message.to, text="Gracias", channel="sms")]
    assert hooks.ingest(accounts["locmem"], items)["inbound"] == 1
    assert hooks.ingest(accounts["locmem"], items)["inbound"] == 0
    assert InboundMessage.objects.count() == 1
    assert not Suppression.objects.exists()


def test_a_reply_by_reference_matches_that_message(replied, accounts):
    _, _, message = replied
    other = Message.objects.exclude(pk=message.pk).get(sweep=message.sweep)
    hooks.ingest(
        accounts["locmem"],
        [
            Inbound(
                "mo-3",
                sender="+570000000",
                text="ok",
                channel="sms",
                in_reply_to=other.provider_message_id,
            )
        ],
    )
    assert InboundMessage.objects.get().message_id == other.pk


def test_inbound_list_shows_the_contact_name_to_those_who_see_the_brief(
    replied, accounts, api, client, solicitante, outsider
):
    brief, _, message = replied
    reply = Inbound("mo-4", sender=message.to, text="Hola", channel="sms")
    hooks.ingest(accounts["locmem"], [reply])
    name = message.contact.full_name
    # the API
    url = reverse("api:brief_inbound", args=[brief.code])
    body = api.as_user(solicitante).get(url).json()
    assert body["count"] == 1
    assert body["results"][0]["contact"] == name
    assert body["results"][0]["text"] == "Hola"
    assert api.as_user(outsider).get(url).status_code == 403
    # the page
    client.force_login(solicitante)
    page = client.get(reverse("dispatch:brief_inbound", args=[brief.code]))
    assert page.status_code == 200
    assert name in page.content.decode()
    client.force_login(outsider)
    denied = client.get(reverse("dispatch:brief_inbound", args=[brief.code]))
    assert denied.status_code == 403
    assert name not in denied.content.decode()


def test_inbound_list_filters_by_channel_and_opt_out_on_page_and_api(
    replied, accounts, api, client, solicitante
):
    # given a plain reply and an opt-out reply to the brief's SMS
    brief, _, message = replied
    hooks.ingest(
        accounts["locmem"],
        [
            Inbound("mo-5", sender=message.to, text="Gracias", channel="sms"),
            Inbound("mo-6", sender=message.to, text="STOP", channel="sms"),
        ],
    )
    url = reverse("api:brief_inbound", args=[brief.code])
    caller = api.as_user(solicitante)
    # when the API list is filtered, then only the matching replies come back
    assert [r["text"] for r in caller.get(url, {"opt_out": "true"}).json()["results"]] == ["STOP"]
    assert [r["text"] for r in caller.get(url, {"opt_out": "false"}).json()["results"]] == [
        "Gracias"
    ]
    assert caller.get(url, {"channel": "email"}).json()["count"] == 0
    assert caller.get(url, {"channel": "fax"}).status_code == 400
    # and the page applies the same filter set
    client.force_login(solicitante)
    page = client.get(reverse("dispatch:brief_inbound", args=[brief.code]), {"opt_out": "true"})
    rows = page.context["page"].object_list
    assert [r.text for r in rows] == ["STOP"]
