"""The one callback path: authentication, caps, idempotent writes, evidence and its retention."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from brief.core import calendar, retention
from brief.dispatch import actions, engine, hooks
from brief.dispatch.models import (
    CallbackPayload,
    InboundMessage,
    Message,
    ProviderAccount,
    StatusEvent,
)
from brief.dispatch.providers.base import InboundMessage as Inbound
from brief.dispatch.providers.base import StatusUpdate, decode_json
from brief.dispatch.providers.simulated import sign

SECRET = "s3cret-compartido"


@pytest.fixture
def signed(accounts):
    """The simulated account with a callback secret."""
    account = accounts["simulado"]
    account.options = {**account.options, "callback_secret": SECRET, "failure_rate": 0}
    account.save()
    return account


@pytest.fixture
def sent(campaign, proveedor, signed):
    """One e-mail sent through the simulated account (status ``sent``)."""
    brief, _, templates = campaign(n=1, channels=("email",))
    sweep = actions.create_sweep(
        brief,
        actor=proveedor,
        channel="email",
        template=templates["email"],
        provider_account="simulado",
        ignore_windows=True,
        ignore_daily_cap=True,
        exception_reason="prueba",
    )
    engine.Runner(sweep).run()
    message = Message.objects.get(sweep=sweep)
    Message.objects.filter(pk=message.pk).update(status="sent", rank=3)  # before any report
    message.refresh_from_db()
    return message


def post(client, body, *, secret: str | None = SECRET, code="simulado"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"HTTP_X_BRIEF_SIGNATURE": sign(secret, data)} if secret is not None else {}
    url = reverse("provider_callback", args=[code])
    return client.post(url, data, content_type="application/json", **headers)


def nothing_stored() -> bool:
    return not (
        StatusEvent.objects.exists()
        or CallbackPayload.objects.exists()
        or InboundMessage.objects.exists()
    )


def test_a_wrong_or_missing_signature_is_refused_and_changes_nothing(client, sent):
    body = {"events": [{"id": sent.provider_message_id, "status": "delivered"}]}
    # given a forged signature, no signature, and a signature made with another secret
    for secret in ("otro-secreto", None, ""):
        # when they post
        response = post(client, body, secret=secret)
        # then 403 and nothing moved or was kept
        assert response.status_code == 403
        assert response.json()["errors"][0]["code"] == "bad_signature"
    sent.refresh_from_db()
    assert sent.status == "sent"
    assert nothing_stored()


def test_an_account_without_a_secret_takes_no_unsigned_callbacks(client, sent, signed):
    signed.options = {}
    signed.save()
    body = {"events": [{"id": sent.provider_message_id, "status": "delivered"}]}
    assert post(client, body, secret="").status_code == 403
    sent.refresh_from_db()
    assert sent.status == "sent"


def test_signed_callbacks_apply_and_a_replay_writes_nothing_new(client, sent):
    body = {
        "events": [
            {"id": sent.provider_message_id, "status": "read"},
            {"id": "sim-999999", "status": "delivered"},
        ]
    }
    # when the same signed callback arrives twice
    first = post(client, body)
    second = post(client, body)
    # then both answer 200, the unknown id is counted, and the second one adds nothing
    assert first.status_code == second.status_code == 200
    assert first.json() == {"ok": True, "applied": 1, "pending": 1, "inbound": 0}
    sent.refresh_from_db()
    assert sent.status == "read"
    assert list(StatusEvent.objects.values_list("provider_message_id", "status")) == [
        ("sim-999999", "delivered")
    ]
    assert CallbackPayload.objects.count() == 1
    kept = CallbackPayload.objects.get()
    assert json.loads(kept.body) == body
    assert timezone.localdate(kept.keep_until) >= retention.add_years(
        timezone.localdate(), retention.years()
    )


def test_secret_may_come_from_a_file_or_an_environment_variable(
    client, sent, signed, tmp_path, monkeypatch
):
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "\n")
    body = {"events": [{"id": sent.provider_message_id, "status": "delivered"}]}
    signed.options = {"callback_secret_file": str(path), "failure_rate": 0}
    signed.save()
    assert post(client, body).status_code == 200
    monkeypatch.setenv("SIM_CALLBACK_SECRET", "de-entorno")
    signed.options = {"callback_secret_env": "SIM_CALLBACK_SECRET", "failure_rate": 0}
    signed.save()
    assert post(client, body).status_code == 403
    assert post(client, body, secret="de-entorno").status_code == 200


def test_one_adapter_serves_an_account_until_its_row_changes(client, sent, signed):
    body = {"events": [{"id": sent.provider_message_id, "status": "delivered"}]}
    # given an account whose callbacks were taken once (its adapter is now reused)
    assert post(client, body).status_code == 200
    first = hooks.callback_adapter("simulado")
    assert first is not None
    assert hooks.callback_adapter("simulado")[1] is first[1]
    # when its secret is rotated by save() and then by an update that bypasses save()
    signed.options = {**signed.options, "callback_secret": "nuevo"}
    signed.save()
    # then the next callback already checks the new secret
    assert post(client, body).status_code == 403
    assert post(client, body, secret="nuevo").status_code == 200
    type(signed).objects.filter(pk=signed.pk).update(
        options={**signed.options, "callback_secret": "otro"}
    )
    assert post(client, body, secret="nuevo").status_code == 403
    assert post(client, body, secret="otro").status_code == 200
    assert hooks.callback_adapter("simulado")[1] is not first[1]


def test_a_deleted_account_stops_taking_callbacks(client, db):
    # given an account that took a callback (its adapter cached)
    account = ProviderAccount.objects.create(
        code="efimera",
        name="Efímera",
        kind="simulated",
        channels=["sms"],
        options={"callback_secret": SECRET},
    )
    assert post(client, {"events": []}, code="efimera").status_code == 200
    # when it is deleted
    account.delete()
    # then its URL answers 404 and nothing is kept
    response = post(client, {"events": []}, code="efimera")
    assert response.status_code == 404
    assert hooks.callback_adapter("efimera") is None
    assert nothing_stored()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{no es json", "bad_payload"),
        (b"[1, 2]", "bad_payload"),
        (b'"texto"', "bad_payload"),
        (b'{"events": {"id": "x"}}', "bad_payload"),
        (b'{"events": [{"id": 7, "status": "delivered"}]}', "bad_payload"),
        (b'{"events": [{"id": "x", "status": ["delivered"]}]}', "bad_payload"),
        (b'{"events": ["x"]}', "bad_payload"),
        (b'{"a": ' * 40 + b"1" + b"}" * 40, "bad_payload"),
        (b"[" * 100_000 + b"]" * 100_000, "bad_payload"),
        (b"\xff\xfe\x00", "bad_payload"),
    ],
)
def test_malformed_bodies_answer_400_and_store_nothing(client, signed, body, code):
    response = post(client, body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == code
    assert nothing_stored()


def test_caps_on_size_and_count(client, sent, settings):
    settings.BRIEF_CALLBACK_MAX_BYTES = 2_000
    settings.BRIEF_CALLBACK_MAX_EVENTS = 3
    # a body over the size cap → 413
    big = {"events": [{"id": "x" * 100, "status": "delivered"}] * 30}
    response = post(client, big)
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "too_large"
    # more events than the cap → 400
    many = {"events": [{"id": f"sim-{i}", "status": "delivered"} for i in range(4)]}
    response = post(client, many)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "too_many_events"
    assert nothing_stored()
    # at the cap → accepted
    assert post(client, {"events": many["events"][:3]}).status_code == 200


def test_smtp_account_answers_a_clear_4xx(client, db):
    from brief.dispatch.models import ProviderAccount

    ProviderAccount.objects.create(
        code="correo", name="Correo", kind="smtp", channels=["email"], options={"host": "x"}
    )
    url = reverse("provider_callback", args=["correo"])
    for method in (client.post, client.get):
        # bounces come signed with the account's callback_secret (none here): refused
        response = method(url)
        assert response.status_code == 403
        assert response.json()["errors"][0]["code"] == "bad_signature"
    assert client.post(reverse("provider_callback", args=["nadie"])).status_code == 404


def test_ingest_is_the_path_for_non_http_receipts(sent, signed):
    # given a receipt and a reply read from a provider connection (binary PDU as evidence)
    items = [
        StatusUpdate(sent.provider_message_id, "delivered"),
        Inbound("mo-1", sender=sent.to, text="Gracias", channel="email"),
    ]
    # when ingested twice
    for _ in range(2):
        result = hooks.ingest(signed, items, raw=b"\x00\x01pdu", content_type="smpp")
    # then applied once, the reply stored once, the evidence kept once (as hex)
    assert result == {"applied": 1, "pending": 0, "inbound": 0}
    sent.refresh_from_db()
    assert sent.status == "delivered"
    assert InboundMessage.objects.get().message == sent
    payload = CallbackPayload.objects.get()
    assert payload.body == b"\x00\x01pdu".hex()
    assert payload.content_type == "smpp;hex"


def test_early_receipt_is_kept_until_the_send_is_recorded(signed, db):
    hooks.ingest(signed, [StatusUpdate("sim-77", "delivered")])
    event = StatusEvent.objects.get()
    assert (event.provider_message_id, event.applied) == ("sim-77", False)


def test_purge_drops_expired_evidence_only(signed, settings):
    settings.BRIEF_CONTRACT_END = None
    now = timezone.now()
    hooks.keep_payload(signed, b"viejo")
    hooks.keep_payload(signed, b"nuevo")
    old = hashlib.sha256(b"viejo").hexdigest()  # bodies are encrypted: found by their digest
    CallbackPayload.objects.filter(digest=old).update(keep_until=now - dt.timedelta(days=1))
    years_ago = retention.add_years(timezone.localdate(now), -retention.years())
    for pk, day in (("a", years_ago - dt.timedelta(days=1)), ("b", years_ago)):
        StatusEvent.objects.create(
            provider="simulado",
            provider_message_id=pk,
            status="sent",
            received_at=calendar.end_of_day(day) - dt.timedelta(hours=1),
        )
    StatusEvent.objects.create(provider="simulado", provider_message_id="c", status="sent")
    from brief.dispatch.tasks import purge_callback_evidence

    # the legal retention counts from the day received: only «a» is past it
    assert purge_callback_evidence() == {"payloads": 1, "events": 1}
    assert list(CallbackPayload.objects.values_list("body", flat=True)) == ["nuevo"]
    assert sorted(StatusEvent.objects.values_list("provider_message_id", flat=True)) == ["b", "c"]


def test_with_a_contract_end_evidence_stays_until_its_retention(signed, settings):
    settings.BRIEF_CONTRACT_END = "2027-06-30"
    hooks.keep_payload(signed, b"cuerpo")
    kept = CallbackPayload.objects.get()
    assert timezone.localdate(kept.keep_until) == retention.add_years(
        dt.date(2027, 6, 30), retention.years()
    )
    old = timezone.now() - dt.timedelta(days=3000)
    StatusEvent.objects.create(provider="simulado", provider_message_id="a", status="sent")
    StatusEvent.objects.filter(provider_message_id="a").update(received_at=old)
    assert hooks.purge_evidence() == {"payloads": 0, "events": 0}
    after = kept.keep_until + dt.timedelta(days=1)
    assert hooks.purge_evidence(now=after) == {"payloads": 1, "events": 1}


def test_decode_json_bounds_depth():
    assert decode_json(b'{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}
    with pytest.raises(ValueError, match="deep"):
        decode_json(b'{"a": ' * 33 + b"1" + b"}" * 33)
    with pytest.raises(ValueError, match="object"):
        decode_json(b"[]")


@pytest.mark.parametrize(
    ("body", "deep"),
    [
        (b'{"a": ' * 32 + b"1" + b"}" * 32, False),  # exactly the bound
        (b'{"a": [' * 16 + b"1" + b"]}" * 16, False),
        (b'{"a": [' * 16 + b"[1]" + b"]}" * 16, True),  # arrays count as levels too
        # brackets and escaped quotes inside strings are not nesting
        (b'{"a": "' + b"[{" * 40 + b'", "b\\"[": "\\\\", "c": "\\"' + b"{" * 33 + b'"}', False),
        # many brackets side by side are not nesting either
        (b'{"s": [' + b", ".join([b'{"id": [1], "x": {}}'] * 30) + b"]}", False),
        (json.dumps({"a": [[[{"b": "]]]]"}]]] * 40}).encode("utf-16"), False),
        (json.dumps(functools.reduce(lambda v, _: {"a": v}, range(40), {})).encode("utf-16"), True),
    ],
)
def test_decode_json_bounds_depth_from_the_raw_bytes(body, deep):
    if deep:
        with pytest.raises(ValueError, match="deep"):
            decode_json(body)
    else:
        assert isinstance(decode_json(body), dict)


@pytest.mark.django_db(transaction=True)
def test_a_receipt_racing_the_record_of_its_send_is_applied_after_both_commit(sent, monkeypatch):
    # given a receipt whose transaction could not yet see its send being recorded (the runner
    # then applied the waiting receipts before this one was committed: it found none)
    real = engine._messages_of_account
    calls = []

    def racing(cursor, code, ids):
        calls.append(ids)
        return {} if len(calls) == 1 else real(cursor, code, ids)

    monkeypatch.setattr(engine, "_messages_of_account", racing)
    # when it is ingested
    result = hooks.ingest(sent.sweep.account, [StatusUpdate(sent.provider_message_id, "delivered")])
    # then the look after commit found the send and applied it: nothing left waiting
    assert result["pending"] == 0
    sent.refresh_from_db()
    assert sent.status == "delivered"
    assert StatusEvent.objects.get(provider_message_id=sent.provider_message_id).applied
