"""Who edits content and when; creatives (naming, versions, SHA-256, retention); freezing."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.test import override_settings

from brief.campaigns import actions as brief_actions
from brief.campaigns.choices import Status
from brief.content import actions
from brief.content.models import Creative, Template
from brief.content.render import compile_template
from brief.core.exceptions import Conflict, Forbidden, Invalid
from brief.core.models import AuditEvent
from tests.helpers import upload

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MP3 = b"ID3\x03\x00" + b"\x00" * 64
SMS = {"channel": "sms", "body": "Hola {nombres}"}


@pytest.mark.parametrize(
    ("status", "who", "outcome"),
    [
        (Status.DRAFT, "solicitante", None),
        (Status.RETURNED, "jefe", None),
        (Status.SUBMITTED, "solicitante", Conflict),
        (Status.RECEIVED, "solicitante", Conflict),
        (Status.DRAFT, "proveedor", Forbidden),  # not forwarded: the provider cannot see it
        (Status.RECEIVED, "proveedor", None),
        (Status.BASE_LOADED, "proveedor", None),
        (Status.AWAITING_EXIT_APPROVAL, "proveedor", Conflict),
        (Status.BASE_LOADED, "asesor", Forbidden),
        (Status.IN_REVIEW, "analista", None),
        (Status.AWAITING_EXIT_APPROVAL, "analista", None),
        (Status.EXECUTING, "analista", Conflict),
        (Status.DRAFT, "auditor", Forbidden),
        (Status.DRAFT, "outsider", Forbidden),
    ],
)
def test_who_edits_content_and_when(make_brief, request, status, who, outcome):
    if status == Status.RETURNED:
        brief = make_brief(Status.IN_REVIEW)
        analista = request.getfixturevalue("analista")
        brief_actions.perform(
            brief, "return", actor=analista, note="Falta", checklist={"base_quality": False}
        )
        brief.refresh_from_db()
    else:
        brief = make_brief(status)
    actor = request.getfixturevalue(who)
    before = Template.objects.count()  # past request_exit the brief has one per channel
    if outcome is None:
        template = actions.create_template(brief, actor=actor, data=SMS)
        assert template.created_by == actor
    else:
        with pytest.raises(outcome):
            actions.create_template(brief, actor=actor, data=SMS)
        assert Template.objects.count() == before


def test_creatives_are_named_versioned_and_hashed(make_brief, solicitante):
    brief = make_brief(Status.DRAFT)
    first = actions.add_creative(
        brief, actor=solicitante, channel="email", upload=upload("Banner final.PNG", PNG)
    )
    second = actions.add_creative(
        brief, actor=solicitante, channel="email", upload=upload("banner2.png", PNG + b"2")
    )
    audio = actions.add_creative(
        brief, actor=solicitante, channel="sms", upload=upload("x.mp3", MP3)
    )
    today = dt.date.today()
    assert first.name == f"{brief.code}_email_v1_{today:%Y%m%d}.png"
    assert second.name == f"{brief.code}_email_v2_{today:%Y%m%d}.png"
    assert audio.name == f"{brief.code}_sms_v1_{today:%Y%m%d}.mp3"
    assert first.sha256 == hashlib.sha256(PNG).hexdigest()
    assert first.original_name == "Banner final.PNG"
    assert first.file.read() == PNG
    # retention: the brief's end date (contract end by default) plus 5 years
    assert first.retention_until == brief.end_date.replace(year=brief.end_date.year + 5)
    assert AuditEvent.objects.filter(type="CREATIVE_ADDED").count() == 3


@override_settings(BRIEF_RETENTION_YEARS=10, BRIEF_CONTRACT_END="2030-06-30")
def test_retention_uses_the_configured_contract_end_and_period(make_brief, solicitante):
    brief = make_brief(Status.DRAFT)
    creative = actions.add_creative(
        brief, actor=solicitante, channel="email", upload=upload("a.png", PNG)
    )
    assert creative.retention_until == dt.date(2040, 6, 30)


def test_creative_content_must_match_its_extension(make_brief, solicitante):
    brief = make_brief(Status.DRAFT)
    with pytest.raises(Invalid, match="no corresponde"):
        actions.add_creative(
            brief, actor=solicitante, channel="email", upload=upload("a.png", b"%PDF-1.4")
        )
    refused = r"^Extensión \.exe no admitida para este archivo\. Use: gif, jpeg"
    with pytest.raises(Invalid, match=refused):
        actions.add_creative(
            brief, actor=solicitante, channel="email", upload=upload("a.exe", b"MZ")
        )
    assert not Creative.objects.exists()


def test_exit_approval_freezes_templates_and_latest_creatives(make_brief, solicitante, analista):
    # given content prepared before the exit approval, with two versions of the e-mail banner
    brief = make_brief(Status.AWAITING_EXIT_APPROVAL)
    old = actions.add_creative(brief, actor=analista, channel="email", upload=upload("a.png", PNG))
    new = actions.add_creative(
        brief, actor=analista, channel="email", upload=upload("b.png", PNG + b"v2")
    )
    template = actions.create_template(brief, actor=analista, data=SMS)
    # when the area approves the exit
    transition = brief_actions.perform(brief, "approve_exit", actor=solicitante)
    # then the template and the latest creative are frozen with their SHA-256
    template.refresh_from_db()
    new.refresh_from_db()
    old.refresh_from_db()
    assert template.frozen_at == transition.at
    assert template.frozen_sha256 == template.content_digest()
    assert new.frozen_sha256 == hashlib.sha256(PNG + b"v2").hexdigest()
    assert old.frozen_at is None
    assert transition.details["content_frozen"]["creatives"] == [
        {"id": new.pk, "name": new.name, "sha256": new.frozen_sha256}
    ]
    assert AuditEvent.objects.filter(type="CONTENT_FROZEN").count() == 1
    # and nobody edits the content any more
    with pytest.raises(Conflict):
        actions.update_template(template, actor=analista, data={"body": "otro"})
    with pytest.raises(Conflict):
        actions.add_creative(brief, actor=analista, channel="email", upload=upload("c.png", PNG))


def test_voice_audio_used_by_a_template_is_frozen_too(make_brief, solicitante):
    brief = make_brief(Status.DRAFT, channels=["voice"])
    audio = actions.add_creative(
        brief, actor=solicitante, channel="voice", upload=upload("m.mp3", MP3)
    )
    actions.add_creative(brief, actor=solicitante, channel="voice", upload=upload("n.mp3", MP3))
    template = actions.create_template(
        brief, actor=solicitante, data={"channel": "voice", "voice_audio": audio.pk}
    )
    actions.freeze_for_exit(brief, actor=solicitante)
    audio.refresh_from_db()
    template.refresh_from_db()
    assert audio.frozen_sha256 == hashlib.sha256(MP3).hexdigest()
    assert template.frozen_sha256 == template.content_digest()


def test_a_changed_file_blocks_the_exit_approval(make_brief, solicitante, analista):
    brief = make_brief(Status.AWAITING_EXIT_APPROVAL)
    creative = actions.add_creative(
        brief, actor=analista, channel="email", upload=upload("a.png", PNG)
    )
    with open(creative.file.path, "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(Conflict, match="cambió"):
        brief_actions.perform(brief, "approve_exit", actor=solicitante)
    brief.refresh_from_db()
    assert brief.status == Status.AWAITING_EXIT_APPROVAL


def test_a_frozen_template_changed_behind_our_back_is_not_sent(make_brief, solicitante):
    brief = make_brief(Status.DRAFT)
    template = actions.create_template(brief, actor=solicitante, data=SMS)
    actions.freeze_for_exit(brief, actor=solicitante)
    Template.objects.filter(pk=template.pk).update(body="Otro texto")
    template.refresh_from_db()
    with pytest.raises(Conflict, match="no coincide"):
        compile_template(template)


def test_preview_contact_is_logged(make_brief, make_base, solicitante):
    brief = make_brief(Status.DRAFT)
    make_base(brief)
    contact = actions.preview_contact(brief, actor=solicitante, channel="email")
    assert contact.first_names == "Ana María"
    by_document = actions.preview_contact(
        brief, actor=solicitante, channel="sms", document="79888777"
    )
    assert by_document.first_names == "Luis"
    assert AuditEvent.objects.filter(type="CONTACT_PREVIEWED").count() == 2
    assert actions.usable_recipients(brief, "sms") == 2500


def test_call_script_sections_are_validated(make_brief, analista):
    brief = make_brief(Status.DRAFT, channels=["call"])
    with pytest.raises(Invalid) as caught:
        actions.create_template(
            brief,
            actor=analista,
            data={
                "channel": "call",
                "script_sections": [
                    {
                        "title": "Preguntas",
                        "questions": [
                            {"key": "medio", "text": "¿Medio?", "kind": "choice", "options": ["A"]}
                        ],
                    }
                ],
            },
        )
    assert (
        caught.value.errors[0]["message"] == "La pregunta «medio» necesita al menos dos opciones."
    )
    template = actions.create_template(
        brief,
        actor=analista,
        data={
            "channel": "call",
            "script_sections": [
                {"title": "Saludo", "text": "Buenos días, {nombres}."},
                {
                    "title": "Preguntas",
                    "questions": [
                        {
                            "key": "Actualizó datos",
                            "text": "¿Actualizó sus datos?",
                            "kind": "yes_no",
                        }
                    ],
                },
            ],
        },
    )
    assert template.script_sections[1]["questions"] == [
        {
            "key": "actualizo_datos",
            "text": "¿Actualizó sus datos?",
            "kind": "yes_no",
            "options": [],
            "required": True,
        }
    ]


# --- creative retention -----------------------------------------------------------------


def test_creatives_refuse_deletion_before_retention(
    make_brief, solicitante, analista, django_capture_on_commit_callbacks
):
    from django.db.models import ProtectedError

    brief = make_brief(Status.DRAFT)
    creative = actions.add_creative(
        brief, actor=solicitante, channel="sms", upload=upload("x.png", PNG)
    )
    path = creative.file.name
    # before its retention date: refused with the date, nothing deleted
    with pytest.raises(Conflict) as refused:
        actions.delete_creative(creative, actor=analista)
    until = creative.retention_until.strftime("%d/%m/%Y")
    assert refused.value.code == "retention"
    assert until in refused.value.message
    assert Creative.objects.filter(pk=creative.pk).exists()
    # the area may never delete it
    with pytest.raises(Forbidden):
        actions.delete_creative(creative, actor=solicitante, today=dt.date(2099, 1, 1))
    # the brief cannot be deleted with its creatives either
    with pytest.raises(ProtectedError):
        brief.delete()
    # after it: OCM deletes it, with its file, audited
    with django_capture_on_commit_callbacks(execute=True):
        actions.delete_creative(creative, actor=analista, today=dt.date(2099, 1, 1))
    assert not Creative.objects.filter(pk=creative.pk).exists()
    assert not creative.file.storage.exists(path)
    event = AuditEvent.objects.get(type="CREATIVE_DELETED")
    assert event.details["path"] == path
