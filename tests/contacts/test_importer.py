"""Importing a base through the API: stored contacts, summary, rejects, cancel, failure."""

from __future__ import annotations

import io
import json

import polars as pl
from django.core.management import call_command

from brief.campaigns.choices import Status
from brief.contacts import importer
from brief.contacts.bulk import ContactWriter
from brief.contacts.choices import BaseStatus
from brief.contacts.models import Contact, ContactBase, SavedMapping
from brief.contacts.synth import write_csv
from brief.core.models import AuditEvent
from tests.helpers import attach_base


def test_import_stores_usable_contacts_and_agrees_with_cli(
    api, received, proveedor, solicitante, tmp_path, capsys, django_capture_on_commit_callbacks
):
    # given a generated base of 3,000 rows attached to the brief
    path = write_csv(tmp_path / "base.csv", 3000, seed=7)
    attachment = attach_base(received, solicitante, "base.csv", path.read_bytes())
    # when the provider imports it through the API (the task runs on commit)
    with django_capture_on_commit_callbacks(execute=True):
        r = api.as_user(proveedor).post(
            "/api/v1/bases/", {"attachment": attachment.pk}, format="json"
        )
    assert r.status_code == 202, r.json()
    base = ContactBase.objects.get(pk=r.json()["id"])
    # then it is ready, every usable row is stored, and the summary equals the CLI's
    assert base.status == BaseStatus.READY, base.error_message
    call_command("base", "check", str(path), "--channels", ",".join(received.channels), "--json")
    cli = json.loads(capsys.readouterr().out)
    assert base.summary == cli
    assert Contact.objects.filter(base=base).count() == cli["rows_usable"]
    got = api.as_user(proveedor).get(f"/api/v1/bases/{base.pk}/").json()
    assert got["summary"]["rows_total"] == 3000
    # a stored contact is normalized
    contact = Contact.objects.filter(base=base).exclude(mobile="").first()
    assert contact.mobile.startswith("+")
    assert isinstance(contact.phones, list)
    assert contact.phones[0]["number"].startswith("+")


def test_rejects_download_csv_and_xlsx_are_logged(
    api, received, proveedor, solicitante, django_capture_on_commit_callbacks
):
    content = (
        "documento,nombres,celular,correo\n"
        "12345,Ana,3001234567,a@x.co\n"
        ",Sin Documento,3001234567,b@x.co\n"
        '45678,=HYPERLINK("x"),12,c@\n'
        "12345,Ana Dup,3011234567,\n"
    )
    attachment = attach_base(received, solicitante, "base.csv", content)
    with django_capture_on_commit_callbacks(execute=True):
        base_id = (
            api.as_user(proveedor)
            .post("/api/v1/bases/", {"attachment": attachment.pk}, format="json")
            .json()["id"]
        )
    r = api.as_user(proveedor).get(f"/api/v1/bases/{base_id}/rejects/")
    assert r.status_code == 200
    body = b"".join(r.streaming_content).decode()
    frame = pl.read_csv(io.StringIO(body), infer_schema=False)
    assert frame["codigo_motivo"].to_list() == ["missing_document", "no_valid_contact", "duplicate"]
    assert frame["nombres"].to_list()[1] == '\'=HYPERLINK("x")'  # never a live formula
    r = api.as_user(proveedor).get(f"/api/v1/bases/{base_id}/rejects/?format=xlsx")
    assert r.status_code == 200
    assert r.content[:2] == b"PK"
    assert AuditEvent.objects.filter(type="BASE_REJECTS_DOWNLOADED").count() == 2


def test_bad_file_fails_with_spanish_message_and_stores_nothing(
    api, received, proveedor, solicitante, django_capture_on_commit_callbacks
):
    attachment = attach_base(received, solicitante, "base.csv", "documento,nombres\n")
    with django_capture_on_commit_callbacks(execute=True):
        base_id = (
            api.as_user(proveedor)
            .post("/api/v1/bases/", {"attachment": attachment.pk}, format="json")
            .json()["id"]
        )
    base = ContactBase.objects.get(pk=base_id)
    assert base.status == BaseStatus.FAILED
    assert base.error_code == "header_only"
    assert "encabezado" in base.error_message.lower()
    assert not Contact.objects.exists()


def test_cancel_midway_removes_every_written_row(
    received, proveedor, solicitante, tmp_path, monkeypatch
):
    # given an import that is cancelled after its first chunk was stored
    path = write_csv(tmp_path / "base.csv", 2000, seed=3)
    attachment = attach_base(received, solicitante, "base.csv", path.read_bytes())
    monkeypatch.setattr(importer, "CHUNK_ROWS", 500)
    base = ContactBase.objects.create(
        brief=received, attachment=attachment, source_name="base.csv", created_by=proveedor
    )
    original = ContactWriter.add
    calls = []

    def insert_then_cancel(writer, frame):
        original(writer, frame)
        calls.append(frame.height)
        if len(calls) == 2:
            ContactBase.objects.filter(pk=base.pk).update(cancel_requested=True)

    monkeypatch.setattr(ContactWriter, "add", insert_then_cancel)
    # when it runs
    status = importer.run_import(base.pk)
    # then it is cancelled and nothing of it remains
    assert status == BaseStatus.CANCELLED
    assert len(calls) == 2
    assert not Contact.objects.filter(base=base).exists()
    base.refresh_from_db()
    assert base.summary is None
    assert not base.rejects_file


def test_failure_in_the_middle_removes_written_rows(
    received, proveedor, solicitante, tmp_path, monkeypatch
):
    path = write_csv(tmp_path / "base.csv", 1500, seed=5)
    attachment = attach_base(received, solicitante, "base.csv", path.read_bytes())
    monkeypatch.setattr(importer, "CHUNK_ROWS", 400)
    base = ContactBase.objects.create(
        brief=received, attachment=attachment, source_name="base.csv", created_by=proveedor
    )
    original, calls = ContactWriter.add, []

    def insert_then_fail(writer, frame):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        original(writer, frame)

    monkeypatch.setattr(ContactWriter, "add", insert_then_fail)
    assert importer.run_import(base.pk) == BaseStatus.FAILED
    assert not Contact.objects.filter(base=base).exists()
    base.refresh_from_db()
    assert base.error_code == "internal"


def test_running_twice_imports_once(received, proveedor, solicitante):
    attachment = attach_base(
        received, solicitante, "b.csv", "documento,nombres,celular\n1234,Ana,3001234567\n"
    )
    base = ContactBase.objects.create(
        brief=received, attachment=attachment, source_name="b.csv", created_by=proveedor
    )
    assert importer.run_import(base.pk) == BaseStatus.READY
    assert importer.run_import(base.pk) == BaseStatus.READY
    assert Contact.objects.filter(base=base).count() == 1


def test_stale_import_is_reaped(received, proveedor, solicitante):
    from django.utils import timezone

    base = ContactBase.objects.create(
        brief=received,
        source_name="x.csv",
        created_by=proveedor,
        status=BaseStatus.IMPORTING,
        heartbeat_at=timezone.now() - timezone.timedelta(hours=1),
    )
    Contact.objects.create(base=base, row=2, doc_type="CC", doc_number="1", full_name="A")
    assert importer.reap_stale() == 1
    base.refresh_from_db()
    assert base.status == BaseStatus.FAILED
    assert not Contact.objects.exists()


def test_mapping_is_saved_per_area_and_proposed_again(api, received, proveedor, solicitante):
    content = "col_a,col_b,col_c\n1234,Ana,3001234567\n"
    attachment = attach_base(received, solicitante, "b.csv", content)
    r = api.as_user(proveedor).post(
        "/api/v1/bases/inspect/", {"attachment": attachment.pk}, format="json"
    )
    assert r.status_code == 200
    assert r.json()["mapping"] == {"col_a": "custom", "col_b": "custom", "col_c": "custom"}
    mapping = {"col_a": "doc_number", "col_b": "full_name", "col_c": "mobile"}
    r = api.as_user(proveedor).post(
        "/api/v1/bases/", {"attachment": attachment.pk, "mapping": mapping}, format="json"
    )
    assert r.status_code == 202
    assert SavedMapping.objects.get(area=received.area).mapping == mapping
    again = (
        api.as_user(proveedor)
        .post("/api/v1/bases/inspect/", {"attachment": attachment.pk}, format="json")
        .json()
    )
    assert again["mapping"] == mapping
    assert again["saved"] is True


def test_import_refused_for_other_area_and_wrong_state(api, make_brief, outsider, proveedor):
    brief = make_brief(Status.EXECUTING)
    before = ContactBase.objects.count()  # the ready base load_base required
    attachment = brief.attachments.get(kind="base")
    r = api.as_user(proveedor).post("/api/v1/bases/", {"attachment": attachment.pk}, format="json")
    assert r.status_code == 409
    r = api.as_user(outsider).post("/api/v1/bases/", {"attachment": attachment.pk}, format="json")
    assert r.status_code == 403
    assert ContactBase.objects.count() == before


def test_load_base_action_carries_the_summary_to_the_area(
    api, received, proveedor, django_capture_on_commit_callbacks
):
    attachment = received.attachments.get(kind="base")
    with django_capture_on_commit_callbacks(execute=True):
        api.as_user(proveedor).post("/api/v1/bases/", {"attachment": attachment.pk}, format="json")
    r = api.as_user(proveedor).post(f"/api/v1/briefs/{received.code}/load_base/", {}, format="json")
    assert r.status_code == 200
    assert r.json()["transition"]["details"]["base_summary"]["rows_total"] == 1
