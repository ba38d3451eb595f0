"""Data-subject requests (Ley 1581): find, export, erase except what retention keeps."""

from __future__ import annotations

import json

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from brief.calls.models import Interaction, Recording
from brief.campaigns.choices import Status
from brief.contacts.models import Contact, Suppression
from brief.core.models import AuditEvent
from brief.dispatch.models import DailyContact, Message
from brief.privacy import subject as subjects
from brief.privacy.models import SubjectRequest


@pytest.fixture
def person(sent_campaign):
    """The first recipient of a sent SMS campaign (its message is evidence), also listed in a
    second brief's base that never sent them anything."""
    brief, _sweep, (first, _second), _raw = sent_campaign
    return brief, first, first.contact


def _other_base(make_brief, make_base, contact):
    other = make_brief(Status.RECEIVED)
    base = make_base(
        other,
        contacts=[
            {
                "doc_number": contact.doc_number,
                "first_names": "Otra",
                "last_names": "Copia",
                "mobile": "+573005550000",
                "email": "copia@correo.co",
                "city": "Pasto",
                "custom": {"Saldo": "9"},
            }
        ],
    )
    return base.contacts.get()


def _kinds(subject, action):
    return sorted(i.kind for i in subject.items if i.action == action)


def test_find_plans_each_item_by_retention(person, make_brief, make_base):
    # given a person with a sent message (within retention) and a copy in another base
    brief, message, contact = person
    copy = _other_base(make_brief, make_base, contact)
    # when
    subject = subjects.find(contact.doc_number)
    # then the evidence is kept with its date and reason; the unused copy is anonymised
    kept = {(i.kind, i.pk) for i in subject.items if i.action == subjects.KEEP}
    assert ("message", message.pk) in kept
    assert ("contact", contact.pk) in kept
    copy_item = next(i for i in subject.items if i.kind == "contact" and i.pk == copy.pk)
    assert copy_item.action == subjects.ANONYMISE
    evidence = next(i for i in subject.items if i.kind == "message")
    assert evidence.keep_until is not None
    assert brief.code in evidence.reason
    assert "retención" in evidence.reason
    assert subject.persons == [f"CC:{contact.doc_number}"]


def test_search_page_lists_items_and_logs(client, analista, person):
    _brief, _message, contact = person
    client.force_login(analista)
    response = client.get(reverse("privacy:search"), {"doc_number": contact.doc_number})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Se conserva" in body
    assert contact.mobile in body
    event = AuditEvent.objects.get(type="DATA_SUBJECT_SEARCHED")
    assert event.actor == analista
    assert event.details["documento"] == contact.doc_number
    assert "no-store" in response["Cache-Control"]


def test_bad_document_is_a_spanish_400(client, analista):
    client.force_login(analista)
    response = client.get(reverse("privacy:search"), {"doc_number": "<script>"})
    assert response.status_code == 400
    assert "número de documento válido" in response.content.decode()
    assert not AuditEvent.objects.filter(type="DATA_SUBJECT_SEARCHED").exists()


def test_erase_keeps_evidence_anonymises_the_rest_and_blocks_contact(
    client, analista, person, make_brief, make_base
):
    # given
    _brief, message, contact = person
    copy = _other_base(make_brief, make_base, contact)
    client.force_login(analista)
    # when
    response = client.post(
        reverse("privacy:erase"),
        {"doc_number": contact.doc_number, "reference": "2026-ER-000123", "confirm": "on"},
    )
    # then
    handled = SubjectRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("privacy:request_detail", args=[handled.code])
    message.refresh_from_db()
    contact.refresh_from_db()
    copy.refresh_from_db()
    assert message.to  # evidence within retention is untouched
    assert contact.mobile
    assert contact.full_name != subjects.ERASED_NAME
    assert copy.full_name == subjects.ERASED_NAME
    assert (copy.mobile, copy.email, copy.custom, copy.can_sms) == ("", "", {}, False)
    assert copy.doc_number == f"SUP{copy.pk}"
    assert not DailyContact.objects.filter(person=f"CC:{contact.doc_number}").exists()
    blocked = Suppression.objects.get(value=f"CC:{contact.doc_number}")
    assert (blocked.channel, blocked.source) == ("all", "data_subject")
    # the stored outcome does not keep what was erased
    assert "+573005550000" not in json.dumps(handled.outcome)
    assert handled.code.startswith("TIT-")
    event = AuditEvent.objects.get(type="DATA_SUBJECT_ERASED")
    assert event.details["radicado"] == "2026-ER-000123"
    assert event.details["anonimizados"] >= 1
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Se conserva" in page.content.decode()
    assert "Se anonimiza" in page.content.decode()


def test_past_retention_evidence_and_recordings_are_erased(
    client, analista, person, settings, django_capture_on_commit_callbacks
):
    # given a contract that ended long ago
    settings.BRIEF_CONTRACT_END = "2010-01-31"
    settings.BRIEF_RETENTION_YEARS = 5
    brief, message, contact = person
    interaction = Interaction.objects.create(
        code="INT-T-1",
        channel="call",
        brief=brief,
        contact=contact,
        person=f"CC:{contact.doc_number}",
        address=contact.mobile,
        observations="Dice que pagará el lunes",
        answers={"p1": "sí"},
        created_by=analista,
    )
    recording = Recording(interaction=interaction, kind="audio", uploaded_by=analista, sha256="x")
    recording.file.save("llamada.mp3", ContentFile(b"ID3 audio"), save=True)
    stored = recording.file.name
    storage = recording.file.storage
    assert storage.exists(stored)
    client.force_login(analista)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("privacy:erase"),
            {"doc_number": contact.doc_number, "reference": "R-1", "confirm": "on"},
        )
    # then
    assert response.status_code == 302
    message.refresh_from_db()
    interaction.refresh_from_db()
    recording.refresh_from_db()
    contact.refresh_from_db()
    assert (message.to, message.person) == ("", "")
    assert (interaction.observations, interaction.answers, interaction.address) == ("", {}, "")
    assert recording.file.name == ""
    assert not storage.exists(stored)
    assert contact.full_name == subjects.ERASED_NAME


def test_pending_message_is_withdrawn(client, analista, person):
    _brief, message, contact = person
    Message.objects.filter(pk=message.pk).update(status="queued", attempts=0)
    client.force_login(analista)
    client.post(
        reverse("privacy:erase"),
        {"doc_number": contact.doc_number, "reference": "R-2", "confirm": "on"},
    )
    message.refresh_from_db()
    assert (message.status, message.error_code, message.to) == ("suppressed", "data_subject", "")


def test_erase_without_confirmation_changes_nothing(client, analista, person):
    _brief, _message, contact = person
    client.force_login(analista)
    response = client.post(
        reverse("privacy:erase"), {"doc_number": contact.doc_number, "reference": "R-3"}
    )
    assert response.status_code == 400
    assert "Marque la confirmación" in response.content.decode()
    assert not SubjectRequest.objects.exists()
    assert not Suppression.objects.filter(value=f"CC:{contact.doc_number}").exists()


def test_export_downloads_json_and_is_logged(client, analista, person):
    _brief, _message, contact = person
    client.force_login(analista)
    response = client.post(
        reverse("privacy:export"), {"doc_number": contact.doc_number, "reference": "R-4"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    handled = SubjectRequest.objects.get(kind="export")
    assert data["solicitud"] == handled.code
    contacts = [e for e in data["elementos"] if e["kind"] == "contact"]
    assert contacts[0]["data"]["celular"] == contact.mobile
    assert AuditEvent.objects.filter(type="DATA_SUBJECT_EXPORTED").count() == 1
    # an export erases nothing
    assert Contact.objects.get(pk=contact.pk).mobile == contact.mobile


@pytest.mark.parametrize("persona", ["solicitante", "proveedor", "asesor", "auditor", "jefe"])
def test_other_roles_are_denied_and_nothing_changes(request, client, persona, person):
    _brief, _message, contact = person
    client.force_login(request.getfixturevalue(persona))
    assert (
        client.get(reverse("privacy:search"), {"doc_number": contact.doc_number}).status_code == 403
    )
    response = client.post(
        reverse("privacy:erase"),
        {"doc_number": contact.doc_number, "reference": "R", "confirm": "on"},
    )
    assert response.status_code == 403
    assert client.get(reverse("privacy:request_list")).status_code == 403
    assert not SubjectRequest.objects.exists()
    assert not AuditEvent.objects.filter(type__startswith="DATA_SUBJECT").exists()
    assert Contact.objects.get(pk=contact.pk).mobile == contact.mobile


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("privacy:search"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_api_search_and_erase(api, analista, person):
    _brief, _message, contact = person
    api.as_user(analista)
    found = api.get(reverse("api:data_subjects"), {"doc_number": contact.doc_number})
    assert found.status_code == 200
    assert found.json()["kept"] >= 2
    assert {i["kind"] for i in found.json()["items"]} >= {"contact", "message"}
    refused = api.post(
        reverse("api:data_subject_erase"),
        {"doc_number": contact.doc_number, "reference": "R"},
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "confirm"
    erased = api.post(
        reverse("api:data_subject_erase"),
        {"doc_number": contact.doc_number, "reference": "R", "confirm": True},
        format="json",
    )
    assert erased.status_code == 201
    assert erased.json()["code"] == SubjectRequest.objects.get().code
    assert "data" not in erased.json()["items"][0]


def test_api_denies_the_provider_and_rejects_an_array(api, proveedor, analista, person):
    _brief, _message, contact = person
    response = api.as_user(proveedor).get(
        reverse("api:data_subjects"), {"doc_number": contact.doc_number}
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"]
    bad = api.as_user(analista).post(reverse("api:data_subject_export"), [1, 2], format="json")
    assert bad.status_code == 400
    assert not SubjectRequest.objects.exists()
