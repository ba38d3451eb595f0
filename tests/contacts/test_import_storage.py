"""A full or read-only disk during a base import: the import fails with the reason in
Spanish and leaves no contacts and no rejects file, whole or partial."""

from __future__ import annotations

from brief.contacts import importer
from brief.contacts.choices import BaseStatus
from brief.contacts.models import Contact, ContactBase
from tests.helpers import DISPATCH_HEADER
from tests.services import files_in


def test_import_fails_cleanly_when_the_rejects_file_cannot_be_written(
    make_brief, solicitante, broken_media, tmp_path
):
    # given a base file (outside the broken disk) with good rows and rejected ones
    brief = make_brief("received", channels=["sms", "email"])
    rows = [DISPATCH_HEADER]
    rows += [
        f"{10_000_000 + i},Persona{i},Prueba,300{i:07d},p{i}@correo.co,,1\n" for i in range(40)
    ]
    rows += ["abc,Sin,Documento,123,no-es-correo,,1\n"] * 5
    source = tmp_path / "base.csv"
    source.write_text("".join(rows), encoding="utf-8")
    base = ContactBase.objects.create(
        brief=brief, source_name="base.csv", created_by=solicitante, channels=["sms", "email"]
    )
    folder, code, before = broken_media()
    # when it is imported
    status = importer.run_import(base.pk, path=source)
    # then it failed with the reason, and nothing of it is left behind
    base.refresh_from_db()
    assert status == BaseStatus.FAILED
    assert base.status == BaseStatus.FAILED
    assert base.error_code == code
    assert "no se guardó nada" in base.error_message
    assert not Contact.objects.filter(base=base).exists()
    assert base.rejects_file.name in ("", None)
    assert files_in(folder) == before
