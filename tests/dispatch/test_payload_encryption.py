"""Raw provider bodies encrypted at rest: callback bodies, status events' raw items and
inbound messages' raw items are ciphertext in the database and plaintext through the models;
key rotation; altered rows refused; the provider ids a body mentions indexed beside it (at
ingest and, for bodies kept before, by the data migration). The suite runs with a test key."""

from __future__ import annotations

import hashlib
import importlib
import json

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from brief.core import crypto
from brief.dispatch import hooks
from brief.dispatch.models import (
    CallbackPayload,
    CallbackReference,
    InboundMessage,
    StatusEvent,
)
from brief.dispatch.providers.base import InboundMessage as Inbound
from brief.dispatch.providers.base import StatusUpdate
from brief.dispatch.references import candidate_ids
from brief.evidence.models import Certificate

PHONE = "+573001234567"
SECRET_TEXT = "Hola, soy Ana Pérez, cédula 1020304050"
NEW_KEY, OLD_KEY = crypto.new_key(), crypto.new_key()


def stored(model, column: str, pk: int) -> str:
    """The value as the database holds it (raw SQL, no field decoding)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def write_stored(model, column: str, pk: int, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} SET {column} = %s WHERE id = %s", [value, pk]
        )


def receive(account, body: dict, *, status_id="SM-77", reply_id="MO-1"):
    """A callback with a status for an id not ours yet (kept pending) and a reply."""
    items = [
        StatusUpdate(status_id, "delivered", raw={"id": status_id, "to": PHONE}),
        Inbound(reply_id, sender=PHONE, text=SECRET_TEXT, channel="sms", raw={"body": SECRET_TEXT}),
    ]
    return hooks.ingest(
        account, items, raw=json.dumps(body).encode(), content_type="application/json"
    )


def test_raw_bodies_are_ciphertext_in_the_database_and_plain_through_the_models(accounts):
    # given a callback carrying a phone number and what a person wrote
    body = {"from": PHONE, "text": SECRET_TEXT}
    # when it is ingested
    receive(accounts["locmem"], body)
    # then none of the three raw columns holds the plaintext
    payload, event, reply = (
        CallbackPayload.objects.get(),
        StatusEvent.objects.get(),
        InboundMessage.objects.get(),
    )
    for model, column, pk in (
        (CallbackPayload, "body", payload.pk),
        (StatusEvent, "payload", event.pk),
        (InboundMessage, "raw", reply.pk),
    ):
        value = stored(model, column, pk)
        assert value.startswith(crypto.TEXT_MAGIC)
        assert PHONE not in value
        assert "Ana" not in value
    # and the models read the plaintext back
    assert json.loads(payload.body) == body
    assert payload.digest == hashlib.sha256(json.dumps(body).encode()).hexdigest()
    assert event.payload == {"id": "SM-77", "to": PHONE}
    assert reply.raw == {"body": SECRET_TEXT}
    # and the ids the body is about are indexed in plain beside it
    assert set(payload.references.values_list("provider_message_id", flat=True)) == {
        "SM-77",
        "MO-1",
    }


def test_text_round_trip_and_binding_to_its_column(settings):
    sealed = crypto.seal_text("ñandú ✓", b"dispatch.CallbackPayload.body")
    assert crypto.open_text(sealed, b"dispatch.CallbackPayload.body") == "ñandú ✓"
    # the same ciphertext moved to another column is refused
    with pytest.raises(crypto.AlteredValue):
        crypto.open_text(sealed, b"dispatch.StatusEvent.payload")
    # two seals of the same text differ (random nonce)
    assert crypto.seal_text("x", b"c") != crypto.seal_text("x", b"c")
    # without keys a value is stored and read as it is
    settings.BRIEF_ENCRYPTION_KEYS = ""
    assert crypto.seal_text("plano", b"c") == "plano"
    assert crypto.open_text("plano", b"c") == "plano"


def test_rotation_with_two_keys_re_encrypts_every_row(accounts, settings):
    # given rows sealed with the old key, and one kept before any key was set
    settings.BRIEF_ENCRYPTION_KEYS = ""
    hooks.keep_payload(accounts["locmem"], b'{"id": "plano"}', ids={"plano"})
    settings.BRIEF_ENCRYPTION_KEYS = OLD_KEY
    receive(accounts["locmem"], {"n": 1})
    old_id = crypto.keys()[0].id
    plain_row = CallbackPayload.objects.get(references__provider_message_id="plano")
    assert stored(CallbackPayload, "body", plain_row.pk) == '{"id": "plano"}'
    # when the new key goes first and the rotation runs
    settings.BRIEF_ENCRYPTION_KEYS = f"{NEW_KEY},{OLD_KEY}"
    new_id = crypto.keys()[0].id
    call_command("rotate_encryption")
    # then every encrypted value is under the new key, the plain one included
    values = [stored(CallbackPayload, "body", p.pk) for p in CallbackPayload.objects.all()]
    values += [stored(StatusEvent, "payload", e.pk) for e in StatusEvent.objects.all()]
    values += [stored(InboundMessage, "raw", r.pk) for r in InboundMessage.objects.all()]
    assert len(values) == 4
    assert {crypto.text_key_id(v) for v in values} == {new_id}
    assert old_id != new_id
    # and the old key can go: everything reads with the new one alone
    settings.BRIEF_ENCRYPTION_KEYS = NEW_KEY
    assert sorted(json.loads(p.body).get("n", 0) for p in CallbackPayload.objects.all()) == [0, 1]
    assert InboundMessage.objects.get().raw == {"body": SECRET_TEXT}
    # and a second rotation has nothing to do
    call_command("rotate_encryption")
    assert {crypto.text_key_id(stored(StatusEvent, "payload", StatusEvent.objects.get().pk))} == {
        new_id
    }


def test_an_altered_row_is_refused_and_the_rotation_leaves_it(accounts, settings):
    receive(accounts["locmem"], {"n": 1})
    event = StatusEvent.objects.get()
    value = stored(StatusEvent, "payload", event.pk)
    altered = value[:-6] + ("A" if value[-6] != "A" else "B") + value[-5:]
    write_stored(StatusEvent, "payload", event.pk, altered)
    # reading it refuses with the 409 error
    with pytest.raises(crypto.AlteredValue) as caught:
        StatusEvent.objects.get(pk=event.pk)
    assert (caught.value.status_code, caught.value.code) == (409, "payload_altered")
    # the rotation to a new key re-encrypts the rest, leaves it as it is and says so
    settings.BRIEF_ENCRYPTION_KEYS = f"{NEW_KEY},{settings.BRIEF_ENCRYPTION_KEYS}"
    with pytest.raises(CommandError, match="1 datos de la base no se pudieron descifrar"):
        call_command("rotate_encryption")
    body = stored(CallbackPayload, "body", CallbackPayload.objects.get().pk)
    assert crypto.text_key_id(body) == crypto.keys()[0].id
    assert stored(StatusEvent, "payload", event.pk) == altered


def test_certificate_of_a_message_whose_receipt_was_altered_answers_409(
    api, client, analista, sent_campaign
):
    # given the kept receipt of a delivered message, altered in the database
    _brief, _sweep, (first, _), _raw = sent_campaign
    payload = CallbackPayload.objects.get(references__provider_message_id=first.provider_message_id)
    value = stored(CallbackPayload, "body", payload.pk)
    write_stored(CallbackPayload, "body", payload.pk, crypto.seal_text('{"id": "otro"}', b"x"))
    # when OCM certifies the message
    response = api.as_user(analista).post(
        reverse("api:certificates"), {"message": first.pk}, format="json"
    )
    # then a 409 with the reason, and nothing issued
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "payload_altered"
    assert not Certificate.objects.exists()
    # and a body swapped for another one sealed for this column fails its digest the same way
    write_stored(
        CallbackPayload,
        "body",
        payload.pk,
        crypto.seal_text('{"id": "otro"}', b"dispatch.CallbackPayload.body"),
    )
    response = api.as_user(analista).post(
        reverse("api:certificates"), {"message": first.pk}, format="json"
    )
    assert response.status_code == 409
    # and the page says why, in Spanish, instead of an error page
    client.force_login(analista)
    refused = client.post(reverse("evidence:certificate_issue"), {"message": first.pk}, follow=True)
    assert refused.status_code == 200
    assert "fue alterado o no se puede descifrar" in refused.content.decode()
    assert not Certificate.objects.exists()
    # and once restored, the certificate is issued
    write_stored(CallbackPayload, "body", payload.pk, value)
    response = api.as_user(analista).post(
        reverse("api:certificates"), {"message": first.pk}, format="json"
    )
    assert response.status_code == 201


def test_certificate_lists_only_the_bodies_about_its_message(api, analista, sent_campaign):
    # given another body of the same account about another id, and a binary PDU about ours
    _brief, _sweep, (first, second), raw = sent_campaign
    account = first.sweep.provider_account
    hooks.keep_payload(account, b'{"id": "otro"}', ids={second.provider_message_id})
    pdu = b"\x00\x05" + f"id:{first.provider_message_id} stat:DELIVRD".encode() + b"\x00"
    hooks.ingest(account, [StatusUpdate(first.provider_message_id, "delivered")], raw=pdu)
    # when the first message is certified
    code = (
        api.as_user(analista)
        .post(reverse("api:certificates"), {"message": first.pk}, format="json")
        .json()["code"]
    )
    statement = api.get(reverse("api:certificate", args=[code])).json()["statement"]
    # then its two bodies are listed, the other one is not
    assert [c["sha256"] for c in statement["callbacks"]] == [
        hashlib.sha256(raw).hexdigest(),
        hashlib.sha256(pdu).hexdigest(),
    ]
    assert statement["callbacks"][1]["content_type"] == ";hex"


def test_the_data_migration_indexes_bodies_kept_before(sent_campaign):
    # given bodies kept before the index existed: JSON, a form, a PDU (hex) and a DSN
    _brief, _sweep, (first, second), _raw = sent_campaign
    account = first.sweep.provider_account
    ours, theirs = first.provider_message_id, second.provider_message_id
    bodies = {
        "json": (json.dumps({"statuses": [{"id": ours}]}).encode(), "application/json"),
        "form": (f"MessageSid={theirs}&To=%2B573001234567".encode(), "form"),
        "pdu": (b"\x00\x09" + f"id:{ours} stat:DELIVRD".encode() + b"\x00", "smpp"),
        "noise": (b'{"id": "nadie-123", "status": "sent"}', "application/json"),
    }
    for data, content_type in bodies.values():
        hooks.keep_payload(account, data, content_type=content_type)
    CallbackReference.objects.all().delete()
    # when the migration's step runs
    migration = importlib.import_module("brief.dispatch.migrations.0012_encrypted_payloads")
    migration.index_bodies(apps, None)
    # then each body is found by the provider ids it mentions, and by nothing else
    found = {
        (p.digest, r)
        for p in CallbackPayload.objects.all()
        for r in p.references.values_list("provider_message_id", flat=True)
    }

    def digest(name):
        return hashlib.sha256(bodies[name][0]).hexdigest()

    assert {(digest("json"), ours), (digest("form"), theirs), (digest("pdu"), ours)} <= found
    assert not {d for d, _ in found} & {digest("noise")}


def test_candidate_ids_of_bodies():
    assert "SM123" in candidate_ids("MessageSid=SM123&To=%2B57300")
    assert "wamid.HBg=" in candidate_ids('{"id":"wamid.HBg=","status":"read"}')
    assert "abc-1" in candidate_ids(b"\x00\x01id:abc-1 sub:001\x00".hex(), "smpp;hex")
    assert "<brief-7@example.org>" in candidate_ids("Message-ID: <brief-7@example.org>\r\n")
    assert candidate_ids("zz", "x;hex") == set()


def test_a_body_naming_many_ids_indexes_each_once(accounts):
    ids = {f"SM{n:05d}" for n in range(1000)}
    for _ in range(2):  # the same body twice: kept once, indexed once
        hooks.keep_payload(accounts["locmem"], b"lote", ids=ids)
    assert set(CallbackReference.objects.values_list("provider_message_id", flat=True)) == ids
    assert CallbackReference.objects.count() == 1000
