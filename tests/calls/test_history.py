"""The beneficiary history: built from what was sent and worked, scoped per role, logged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from brief.calls import actions, history
from brief.core.exceptions import Invalid
from brief.core.models import AuditEvent
from brief.dispatch.models import InboundMessage
from brief.dispatch.providers import locmem
from tests.helpers import DISPATCH_HEADER, OPEN, drain, sweep_for

ANA = "1020304050,Ana María,Pérez Gómez,3001234567,ana@example.co,,1000\n"
LUIS = "79888777,Luis,Rodríguez,3109876543,,,2000\n"


@pytest.fixture
def worked(campaign, call_campaign, proveedor, asesor, at):
    """Ana (CC 1020304050) got an SMS and an e-mail from one campaign, a typified call from
    the call campaign, and sits in a third campaign's base that sent nothing."""
    sent, _base, templates = campaign(content=DISPATCH_HEADER + ANA + LUIS)
    for day, channel in enumerate(("sms", "email")):
        at(OPEN + dt.timedelta(days=day))  # one contact per person per day
        drain(sweep_for(sent, templates[channel], proveedor))
    silent, _base, _templates = campaign(content=DISPATCH_HEADER + ANA)
    calls, contacts, leaf = call_campaign
    call = actions.record_interaction(
        calls,
        actor=asesor,
        data={
            "channel": "call",
            "contact": contacts[0].pk,
            "typification": leaf.pk,
            "observations": "Pide el extracto por correo.",
            "external_id": "DIAL-1",
        },
    )
    return sent, silent, calls, call


def test_history_lists_what_was_sent_and_worked_and_omits_silent_briefs(worked, analista):
    sent, silent, calls, call = worked
    # when OCM looks Ana up by her document
    result = history.beneficiary_history(analista, "document", "1.020.304.050", via="ui")
    # then the two messages and the call are there, newest first, and the silent brief is not
    assert result.persons == ["CC:1020304050"]
    assert sorted((e.brief.code, e.channel, e.kind) for e in result.entries) == sorted(
        [
            (sent.code, "sms", "message"),
            (sent.code, "email", "message"),
            (calls.code, "call", "interaction"),
        ]
    )
    assert silent.code not in {e.brief.code for e in result.entries}
    assert [e.at for e in result.entries] == sorted((e.at for e in result.entries), reverse=True)
    # the content is exactly what the provider received
    outbox = {m.id: m for m in locmem.outbox if m.to in ("+573001234567", "ana@example.co")}
    for entry in result.entries:
        if entry.kind == "message":
            sent_message = outbox[int(entry.reference)]
            assert (entry.subject, entry.content) == (sent_message.subject, sent_message.text)
            assert entry.status_label == "Aceptado por el proveedor"
    sms = next(e for e in result.entries if e.channel == "sms")
    assert sms.content == "Hola Ana María, su saldo es 1000."
    # the call carries its typification path, observations and a Spanish status
    [worked_call] = [e for e in result.entries if e.kind == "interaction"]
    assert worked_call.reference == call.code
    assert (
        worked_call.typification
        == "CD Contacto directo › CD01 Efectivo › CD0101 Información entregada"
    )
    assert worked_call.observations == "Pide el extracto por correo."
    assert worked_call.status_label == "Contactado"


def test_phone_and_email_find_the_same_person(worked, analista):
    by_document = history.beneficiary_history(analista, "document", "1020304050", via="ui")
    by_phone = history.beneficiary_history(analista, "phone", "300 123 4567", via="ui")
    by_email = history.beneficiary_history(analista, "email", " ANA@Example.co ", via="api")
    assert (by_phone.value, by_email.value) == ("+573001234567", "ana@example.co")
    assert by_phone.persons == by_email.persons == ["CC:1020304050"]
    refs = [e.reference for e in by_document.entries]
    assert [e.reference for e in by_phone.entries] == refs
    assert [e.reference for e in by_email.entries] == refs


def test_a_reply_to_a_message_is_in_the_history(worked, analista, accounts):
    sent, *_ = worked
    message = sent.sweeps.get(channel="sms").messages.get(to="+573001234567")
    InboundMessage.objects.create(
        account=accounts["locmem"],
        channel="sms",
        sender="+573001234567",
        text="Ya pagué",
        provider_message_id="MO-1",
        message=message,
        brief=sent,
    )
    result = history.beneficiary_history(analista, "document", "1020304050", via="ui")
    [reply] = [e for e in result.entries if e.kind == "reply"]
    assert (reply.brief, reply.content, reply.status_label) == (
        sent,
        "Ya pagué",
        "Respuesta recibida",
    )


def _seen(user) -> dict[str, set[bool]]:
    result = history.beneficiary_history(user, "document", "1020304050", via="ui")
    out: dict[str, set[bool]] = {}
    for e in result.entries:
        out.setdefault(e.brief.code, set()).add(e.detail)
        if not e.detail:
            assert (e.content, e.subject, e.typification, e.observations, e.to) == ("",) * 5
            assert e.status_label
            assert e.channel
    return out


def test_who_sees_what(
    worked, analista, auditor, proveedor, asesor, other_provider_user, solicitante, outsider
):
    sent, _silent, calls, _call = worked
    everything = {sent.code: {True}, calls.code: {True}}
    # OCM and the auditor see every row in full
    assert _seen(analista) == everything
    assert _seen(auditor) == everything
    # the provider's director sees its provider's briefs in full
    assert _seen(proveedor) == everything
    # the advisor: in full the brief it works, only "it contacted her" for the other one
    assert _seen(asesor) == {sent.code: {False}, calls.code: {True}}
    # another provider's people see that both campaigns contacted her, nothing more
    assert _seen(other_provider_user) == {sent.code: {False}, calls.code: {False}}
    # the requesting area sees its own campaigns in full; another area sees nothing
    assert _seen(solicitante) == everything
    assert _seen(outsider) == {}


def test_every_lookup_is_logged(worked, asesor):
    sent, _silent, calls, _call = worked
    history.beneficiary_history(asesor, "email", "ana@example.co", via="api")
    event = AuditEvent.objects.get(type="BENEFICIARY_LOOKED_UP")
    assert event.actor == asesor
    briefs = event.details.pop("briefs")
    assert event.details == {"email": "ana@example.co", "via": "api", "page": 1, "rows": 3}
    assert sorted(briefs) == sorted([sent.code, calls.code])


def test_pages(worked, analista, monkeypatch):
    monkeypatch.setattr(history, "PAGE_SIZE", 2)
    first = history.beneficiary_history(analista, "document", "1020304050", via="ui")
    second = history.beneficiary_history(analista, "document", "1020304050", page=2, via="ui")
    assert (len(first.entries), first.has_more) == (2, True)
    assert (len(second.entries), second.has_more) == (1, False)
    assert {e.reference for e in first.entries}.isdisjoint(e.reference for e in second.entries)


def test_unknown_person_has_an_empty_history_and_is_logged(worked, analista):
    result = history.beneficiary_history(analista, "phone", "3209998877", via="ui")
    assert (result.persons, result.entries) == ([], [])
    assert AuditEvent.objects.get(type="BENEFICIARY_LOOKED_UP").details["rows"] == 0


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("document", "12", "El documento debe tener entre 4 y 15 letras o dígitos."),
        ("phone", "12345", "El teléfono no es un número válido."),
        ("email", "ana@", "El correo no es una dirección válida."),
        ("email", "", "Escriba el dato que busca."),
        ("name", "Ana", "Busque por documento, teléfono o correo."),
    ],
)
def test_bad_keys_are_refused_and_not_logged(db, analista, key, value, message):
    with pytest.raises(Invalid) as refused:
        history.beneficiary_history(analista, key, value, via="ui")
    assert refused.value.errors[0]["message"] == message
    assert not AuditEvent.objects.filter(type="BENEFICIARY_LOOKED_UP").exists()


# --- the page and the API ------------------------------------------------------------------


def test_history_page(client, worked, asesor):
    sent, silent, _calls, call = worked
    client.force_login(asesor)
    r = client.get(reverse("calls:history"), {"phone": "+57 300 123 4567"})
    assert r.status_code == 200
    body = r.content.decode()
    # the call it worked in full, the other campaign only as "it contacted her"
    assert call.code not in body  # references are not shown, the typification is
    assert "CD0101 Información entregada" in body
    assert "Pide el extracto por correo." in body
    assert "solo consta que contactó a la persona" in body
    assert "Hola Ana María" not in body
    assert silent.code not in body
    assert [e.brief for e in r.context["result"].entries].count(sent) == 2
    event = AuditEvent.objects.get(type="BENEFICIARY_LOOKED_UP")
    assert (event.actor, event.details["via"], event.details["phone"]) == (
        asesor,
        "ui",
        "+573001234567",
    )


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({}, "__all__", "Escriba el documento, el teléfono o el correo."),
        (
            {"document": "1020304050", "email": "ana@example.co"},
            "__all__",
            "Busque por un solo dato: documento, teléfono o correo.",
        ),
        ({"document": "12"}, "document", "El documento debe tener entre 4 y 15 letras o dígitos."),
        ({"phone": "abc"}, "phone", "El teléfono no es un número válido."),
    ],
)
def test_history_page_refuses_bad_input_in_spanish(client, analista, query, field, message):
    client.force_login(analista)
    r = client.get(reverse("calls:history"), {"page": "1", **query})
    assert r.status_code == 400
    assert r.context["form"].errors[field] == [message]
    assert message in r.content.decode()
    assert not AuditEvent.objects.filter(type="BENEFICIARY_LOOKED_UP").exists()


def test_history_api(api, worked, other_provider_user, analista):
    sent, _silent, calls, _call = worked
    url = reverse("api:lookup")
    r = api.as_user(analista).get(url, {"document": "1020304050"})
    assert r.status_code == 200
    data = r.json()
    assert (data["key"], data["value"], data["persons"], data["count"]) == (
        "document",
        "1020304050",
        ["CC:1020304050"],
        3,
    )
    row = next(x for x in data["results"] if x["kind"] == "interaction")
    assert {k: row[k] for k in ("brief", "channel", "status", "observations", "detail")} == {
        "brief": calls.code,
        "channel": "call",
        "status": "contact",
        "observations": "Pide el extracto por correo.",
        "detail": True,
    }
    sms = next(x for x in data["results"] if x["channel"] == "sms")
    assert sms["content"] == "Hola Ana María, su saldo es 1000."
    # another provider: that both campaigns contacted her, nothing of what was said
    r = api.as_user(other_provider_user).get(url, {"email": "ana@example.co"})
    rows = r.json()["results"]
    assert {(x["brief"], x["detail"], x["content"], x["observations"]) for x in rows} == {
        (sent.code, False, "", ""),
        (calls.code, False, "", ""),
    }
    assert AuditEvent.objects.filter(type="BENEFICIARY_LOOKED_UP", details__via="api").count() == 2


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({}, None, "Escriba el documento, el teléfono o el correo."),
        (
            {"phone": "3001234567", "email": "a@b.co"},
            None,
            "Busque por un solo dato: documento, teléfono o correo.",
        ),
        ({"email": "nadie"}, "email", "El correo no es una dirección válida."),
        ({"document": "1020304050", "page": "x"}, "page", "Introduzca un número entero."),
    ],
)
def test_history_api_refuses_bad_input_with_the_error_shape(api, analista, query, field, message):
    r = api.as_user(analista).get(reverse("api:lookup"), query)
    assert r.status_code == 400
    [error] = r.json()["errors"]
    assert (error["field"], error["message"]) == (field, message)


def test_history_api_is_in_the_schema():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/lookup/"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"document", "phone", "email", "page"}
    response = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert response["$ref"] == "#/components/schemas/History"
    entry = schema["components"]["schemas"]["HistoryEntry"]["properties"]
    assert {"brief", "channel", "at", "content", "status", "typification", "observations"} <= set(
        entry
    )
