"""Interactions: recorded through the one write path, billable or excluded with the reasons
kept, recordings stored with their SHA-256 or as provider URLs, downloads audit-logged."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from brief.calls import actions
from brief.calls.models import Interaction
from brief.contacts.models import Contact
from brief.core.calendar import BOGOTA
from brief.core.exceptions import Conflict, Forbidden, Invalid
from brief.core.models import AuditEvent
from tests.calls.conftest import recording


def _call(brief, asesor, contact, leaf, **data):
    return actions.record_interaction(
        brief,
        actor=asesor,
        data={"channel": "call", "contact": contact.pk, "typification": leaf.pk, **data},
    )


def test_a_call_becomes_billable_piece_by_piece(call_campaign, asesor):
    # given an advisor's typified call with its dialer ID but no recordings
    brief, contacts, leaf = call_campaign
    interaction = _call(brief, asesor, contacts[0], leaf, external_id="DIAL-77")
    # then it is excluded for each missing recording, and its advisor is the actor
    assert interaction.advisor == asesor
    assert (interaction.billable, interaction.exclusions) == (False, ["no_audio", "no_screen"])
    assert interaction.completeness == 50
    assert interaction.retention_until is not None
    # when the audio file and the screen recording's provider URL arrive
    audio = actions.attach_recording(
        interaction, actor=asesor, kind="audio", upload=recording("audio")
    )
    actions.attach_recording(
        interaction, actor=asesor, kind="screen", url="https://grabador.example/v/77.webm"
    )
    # then it is billable, and the audio is kept with its SHA-256
    interaction.refresh_from_db()
    assert (interaction.billable, interaction.exclusions, interaction.completeness) == (
        True,
        [],
        100,
    )
    with audio.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == audio.sha256


@pytest.mark.parametrize(
    ("leave_out", "exclusion"),
    [("typification", "untypified"), ("external_id", "no_id")],
)
def test_a_missing_tag_or_id_keeps_its_reason(call_campaign, asesor, leave_out, exclusion):
    brief, contacts, leaf = call_campaign
    data = {"external_id": "DIAL-1"}
    interaction = _call(brief, asesor, contacts[0], leaf, **data)
    for kind in ("audio", "screen"):
        actions.attach_recording(interaction, actor=asesor, kind=kind, upload=recording(kind))
    interaction = actions.update_interaction(interaction, actor=asesor, data={leave_out: None})
    assert (interaction.billable, interaction.exclusions) == (False, [exclusion])
    stored = Interaction.objects.get(pk=interaction.pk)
    assert (stored.billable, stored.exclusions) == (False, [exclusion])


def test_a_whatsapp_conversation_needs_the_provider_id_and_status(call_campaign, asesor):
    brief, _, _ = call_campaign
    interaction = actions.record_interaction(
        brief, actor=asesor, data={"channel": "whatsapp", "external_id": "wamid.X"}
    )
    assert interaction.exclusions == ["no_provider_status"]
    interaction = actions.update_interaction(
        interaction, actor=asesor, data={"provider_status": "read"}
    )
    assert interaction.billable is True


def test_observations_go_back_to_the_contact_dated_and_signed(
    call_campaign, asesor, proveedor, client
):
    # given two calls to Luis with notes, by the advisor and by the director for the advisor
    brief, contacts, leaf = call_campaign
    at = dt.datetime(2026, 12, 2, 9, 5, tzinfo=BOGOTA)
    first = _call(
        brief,
        asesor,
        contacts[1],
        leaf,
        observations="Pide que lo llamen\nen la tarde.",
        started_at=at,
    )
    _call(
        brief,
        proveedor,
        contacts[1],
        leaf,
        observations="Confirma el pago.",
        started_at=at + dt.timedelta(days=1, hours=6),
        advisor="asesor",
    )
    _call(brief, asesor, contacts[0], leaf)
    # then the contact keeps both notes, oldest first, with date, time and advisor
    who = asesor.display_name
    assert Contact.objects.get(pk=contacts[1].pk).observations == (
        f"02/12/2026 09:05 {who}: Pide que lo llamen en la tarde.\n"
        f"03/12/2026 15:05 {who}: Confirma el pago."
    )
    # when the first note is corrected, its own line changes (no third line)
    actions.update_interaction(first, actor=asesor, data={"observations": "Llamar a las 3 p. m."})
    lines = Contact.objects.get(pk=contacts[1].pk).observations.splitlines()
    assert lines == [
        f"02/12/2026 09:05 {who}: Llamar a las 3 p. m.",
        f"03/12/2026 15:05 {who}: Confirma el pago.",
    ]
    assert Contact.objects.get(pk=contacts[0].pk).observations == ""
    # and the managed base export carries them in its «observaciones» column (logged)
    client.force_login(proveedor)
    base = contacts[1].base
    answer = client.get(reverse("contacts:base_managed", args=[brief.code, base.pk, "csv"]))
    assert answer.status_code == 200
    text = b"".join(answer.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][-1] == "observaciones"
    by_doc = {row[2]: row for row in rows[1:]}
    assert by_doc[contacts[1].doc_number][-1].splitlines() == lines
    assert by_doc[contacts[0].doc_number][-1] == ""
    assert by_doc[contacts[0].doc_number][6] == "'+573001234567"  # formula-safe
    assert AuditEvent.objects.filter(type="MANAGED_BASE_DOWNLOADED").count() == 1
    xlsx = client.get(reverse("contacts:base_managed", args=[brief.code, base.pk, "xlsx"]))
    book = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content))
    cells = book.get_sheet_by_index(0).to_python()
    assert cells[0][-1] == "observaciones"
    assert {r[2]: r[-1] for r in cells[1:]}[contacts[1].doc_number].splitlines() == lines


def test_the_managed_base_is_for_those_who_see_the_brief(call_campaign, outsider, client):
    brief, contacts, _ = call_campaign
    client.force_login(outsider)
    url = reverse("contacts:base_managed", args=[brief.code, contacts[0].base_id, "csv"])
    assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(type="MANAGED_BASE_DOWNLOADED").exists()


def test_bad_input_is_refused_and_nothing_is_written(call_campaign, asesor, make_brief):
    brief, contacts, leaf = call_campaign
    with pytest.raises(Invalid) as refused:
        actions.record_interaction(
            brief,
            actor=asesor,
            data={
                "channel": "sms",
                "typification": leaf.parent_id,
                "contact": 999_999,
                "answers": ["no"],
            },
        )
    assert [e["field"] for e in refused.value.errors] == [
        "channel",
        "contact",
        "typification",
        "answers",
    ]
    _call(brief, asesor, contacts[0], leaf, external_id="D1")
    with pytest.raises(Invalid, match="Ya hay una interacción"):
        _call(brief, asesor, contacts[1], leaf, external_id="D1")
    assert Interaction.objects.count() == 1


def test_who_records(call_campaign, asesor, proveedor, analista, make_user, provider_org):
    brief, contacts, leaf = call_campaign
    with pytest.raises(Forbidden):
        _call(brief, analista, contacts[0], leaf)
    unassigned = make_user("asesor2", "asesor", provider=provider_org)
    with pytest.raises(Forbidden):
        _call(brief, unassigned, contacts[0], leaf)
    mine = _call(brief, asesor, contacts[0], leaf)
    brief.assignments.create(advisor=unassigned, assigned_by=proveedor)
    with pytest.raises(Forbidden, match="Solo el asesor que la registró"):
        actions.update_interaction(mine, actor=unassigned, data={"observations": "x"})
    # the director records for an advisor of the provider
    by_director = _call(brief, proveedor, contacts[1], leaf, advisor="asesor2")
    assert by_director.advisor == unassigned
    brief.status = "accepted"
    brief.save(update_fields=["status"])
    with pytest.raises(Conflict):
        _call(brief, proveedor, contacts[1], leaf)


def test_recording_refusals(call_campaign, asesor):
    brief, contacts, leaf = call_campaign
    interaction = _call(brief, asesor, contacts[0], leaf)
    with pytest.raises(Invalid, match=r"Extensión \.pdf"):
        actions.attach_recording(
            interaction,
            actor=asesor,
            kind="audio",
            upload=recording("audio").__class__("x.pdf", b"%PDF-1.4", "application/pdf"),
        )
    with pytest.raises(Invalid, match="uno de los dos"):
        actions.attach_recording(interaction, actor=asesor, kind="audio")
    with pytest.raises(Invalid, match="URL"):
        actions.attach_recording(interaction, actor=asesor, kind="audio", url="ftp:/x")
    assert not interaction.recordings.exists()


def test_downloads_are_streamed_and_audit_logged(client, call_campaign, asesor, outsider):
    brief, contacts, leaf = call_campaign
    interaction = _call(brief, asesor, contacts[0], leaf)
    actions.attach_recording(interaction, actor=asesor, kind="audio", upload=recording("audio"))
    url = reverse("calls:recording_download", args=[interaction.code, "audio"])
    client.force_login(asesor)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"ID3")
    assert (
        AuditEvent.objects.filter(
            type="RECORDING_DOWNLOADED", details__interaction=interaction.code
        ).count()
        == 1
    )
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    assert AuditEvent.objects.filter(type="RECORDING_DOWNLOADED").count() == 1


def test_pages_show_completeness_and_reasons(client, call_campaign, asesor):
    brief, contacts, leaf = call_campaign
    interaction = _call(brief, asesor, contacts[0], leaf)
    client.force_login(asesor)
    page = client.get(reverse("calls:interactions", args=[brief.code])).content.decode()
    assert interaction.code in page
    assert "Sin ID de la interacción; Sin grabación de audio; Sin grabación de pantalla" in page
    detail = client.get(reverse("calls:interaction_detail", args=[interaction.code]))
    assert "Completitud 25 %" in detail.content.decode()
    posted = client.post(
        reverse("calls:interaction_detail", args=[interaction.code]),
        {"kind": "audio", "file": recording("audio")},
    )
    assert posted.status_code == 302
    assert interaction.recordings.get().kind == "audio"
