"""Files of a brief: versions per kind, replace, mark current, withdraw, integrity check."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from brief.campaigns import actions
from brief.campaigns.models import Attachment
from brief.core.models import AuditEvent
from tests.helpers import BASE_CSV, brief_data, upload

pytestmark = pytest.mark.django_db

OTHER_CSV = "documento,nombres,apellidos,celular,correo\n79888777,Luis,Rodríguez,3109876543,\n"


def url(name: str, attachment: Attachment, brief=None) -> str:
    return reverse(f"campaigns:{name}", args=[(brief or attachment.brief).code, attachment.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def draft(solicitante):
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    actions.add_attachment(brief, actor=solicitante, kind="base", upload=upload("a.csv", BASE_CSV))
    return brief


def current(brief, kind="base") -> list[tuple[str, int]]:
    rows = brief.attachments.filter(kind=kind, is_current=True)
    return [(a.original_name, a.version) for a in rows]


def test_versions_are_numbered_per_kind(draft, solicitante):
    actions.add_attachment(draft, actor=solicitante, kind="base", upload=upload("b.csv", BASE_CSV))
    actions.add_attachment(
        draft, actor=solicitante, kind="script", upload=upload("guion.txt", "Hola.\n")
    )
    rows = {(a.kind, a.original_name): a.version for a in draft.attachments.all()}
    assert rows == {("base", "a.csv"): 1, ("base", "b.csv"): 2, ("script", "guion.txt"): 1}
    assert AuditEvent.objects.filter(type="ATTACHMENT_ADDED").last().details["version"] == 1


def test_the_data_migration_numbers_existing_rows_by_upload_order(draft, solicitante):
    first = draft.attachments.get()
    second = actions.add_attachment(
        draft, actor=solicitante, kind="base", upload=upload("b.csv", BASE_CSV)
    )
    script = actions.add_attachment(
        draft, actor=solicitante, kind="script", upload=upload("g.txt", "Hola.\n")
    )
    # as before: ``version`` held the brief's version at upload
    for row, old in ((first, 7), (second, 9), (script, 4)):
        Attachment.objects.filter(pk=row.pk).update(version=old, brief_version=1)
    module = importlib.import_module("brief.campaigns.migrations.0008_number_attachment_versions")
    module.number(apps, None)
    got = {a.original_name: (a.version, a.brief_version) for a in draft.attachments.all()}
    assert got == {"a.csv": (1, 7), "b.csv": (2, 9), "g.txt": (1, 4)}


def test_replace_mark_current_and_withdraw_keep_the_history(client, draft, solicitante):
    client.force_login(solicitante)
    first = draft.attachments.get()
    # replace: the new file is v2 and current, v1 stays as an earlier version
    response = client.post(
        url("attachment_replace", first),
        {"kind": "base", "file": upload("b.csv", OTHER_CSV)},
        follow=True,
    )
    assert "«b.csv» es ahora la versión vigente (Base de datos, v2)." in messages_of(response)
    assert current(draft) == [("b.csv", 2)]
    second = draft.attachments.get(version=2)
    assert second.series_id == first.pk
    page = response.content.decode()
    assert "Versión anterior" in page
    assert "Vigente" in page
    assert second.sha256 not in "".join(messages_of(response))
    # mark v1 current again
    response = client.post(url("attachment_mark_current", first), follow=True)
    assert "«a.csv» (v1) quedó como versión vigente." in messages_of(response)
    assert current(draft) == [("a.csv", 1)]
    # again: a Spanish conflict, nothing changes
    response = client.post(url("attachment_mark_current", first), follow=True)
    assert "El archivo «a.csv» ya es el vigente." in messages_of(response)
    # withdraw needs a reason
    response = client.post(url("attachment_withdraw", first), {"reason": "  "}, follow=True)
    assert "Indique el motivo del retiro." in messages_of(response)
    first.refresh_from_db()
    assert first.is_current
    assert first.withdrawn_at is None
    response = client.post(
        url("attachment_withdraw", first), {"reason": "Base con cédulas erradas"}, follow=True
    )
    assert "«a.csv» (v1) fue retirado; queda en el historial." in messages_of(response)
    first.refresh_from_db()
    assert (first.is_current, first.withdrawn_by, first.withdrawn_reason) == (
        False,
        solicitante,
        "Base con cédulas erradas",
    )
    assert current(draft) == []
    page = response.content.decode()
    assert "Retirado" in page
    assert "Base con cédulas erradas" in page
    # a withdrawn file cannot be marked current, is never deleted and can still be downloaded
    response = client.post(url("attachment_mark_current", first), follow=True)
    assert any("fue retirado" in m for m in messages_of(response))
    assert draft.attachments.count() == 2
    download = client.get(url("attachment_download", first))
    assert b"".join(download.streaming_content).decode() == BASE_CSV
    # the submission check no longer finds a current base
    problems = actions.submission_problems(draft, today=draft.start_date)
    assert "missing_base" in {p["code"] for p in problems}
    # every step is in the audit log
    types = list(
        AuditEvent.objects.filter(type__startswith="ATTACHMENT_")
        .exclude(type__in=["ATTACHMENT_ADDED", "ATTACHMENT_DOWNLOADED"])
        .values_list("type", flat=True)
        .order_by("pk")
    )
    assert types == ["ATTACHMENT_REPLACED", "ATTACHMENT_MARKED_CURRENT", "ATTACHMENT_WITHDRAWN"]
    withdrawn = AuditEvent.objects.get(type="ATTACHMENT_WITHDRAWN")
    assert withdrawn.actor_label == "solicitante"
    assert withdrawn.details["reason"] == "Base con cédulas erradas"
    replaced = AuditEvent.objects.get(type="ATTACHMENT_REPLACED")
    assert (replaced.details["replaces"], replaced.details["version"]) == (first.pk, 2)


def test_bad_input_is_a_spanish_error_and_writes_nothing(client, draft, solicitante):
    client.force_login(solicitante)
    first = draft.attachments.get()
    other = actions.create_brief(actor=solicitante, data=brief_data())
    foreign = actions.add_attachment(
        other, actor=solicitante, kind="base", upload=upload("x.csv", BASE_CSV)
    )
    before = (Attachment.objects.count(), AuditEvent.objects.count())
    cases = [
        # the kind sent does not match the file's
        (
            url("attachment_replace", first),
            {"kind": "script", "file": upload("b.csv", OTHER_CSV)},
            "El archivo es de otro tipo",
        ),
        # an extension the kind does not take
        (
            url("attachment_replace", first),
            {"kind": "base", "file": upload("b.pdf", b"%PDF-1.4\n")},
            "",
        ),
        # no file
        (url("attachment_replace", first), {"kind": "base"}, "Elija el archivo de la nueva"),
        # a file of another brief through this brief's address
        (
            url("attachment_replace", foreign, brief=draft),
            {"kind": "base", "file": upload("b.csv", OTHER_CSV)},
            "no pertenece a este brief",
        ),
        (url("attachment_withdraw", foreign, brief=draft), {"reason": "x"}, "no pertenece"),
        (url("attachment_mark_current", foreign, brief=draft), {}, "no pertenece"),
    ]
    for address, data, expected in cases:
        response = client.post(address, data, follow=True)
        assert response.status_code == 200, address
        errors = [m.message for m in response.context["messages"] if m.level_tag == "error"]
        assert errors, (address, data)
        assert expected in " ".join(errors)
    assert (Attachment.objects.count(), AuditEvent.objects.count()) == before
    assert current(draft) == [("a.csv", 1)]
    assert current(other) == [("x.csv", 1)]


@pytest.mark.parametrize("who", ["analista", "proveedor", "auditor", "outsider"])
def test_roles_that_may_not_upload_change_nothing(client, request, draft, who):
    first = draft.attachments.get()
    client.force_login(request.getfixturevalue(who))
    before = AuditEvent.objects.count()
    posts = [
        (url("attachment_replace", first), {"kind": "base", "file": upload("b.csv", OTHER_CSV)}),
        (url("attachment_withdraw", first), {"reason": "No"}),
        (url("attachment_mark_current", first), {}),
    ]
    for address, data in posts:
        assert client.post(address, data).status_code in (403, 404)
    first.refresh_from_db()
    assert first.is_current
    assert not first.withdrawn_at
    assert draft.attachments.count() == 1
    assert AuditEvent.objects.count() == before


def test_the_page_shows_no_hash_outside_the_integrity_details(client, draft, solicitante):
    client.force_login(solicitante)
    first = draft.attachments.get()
    response = client.get(reverse("campaigns:brief_tab", args=[draft.code, "formato"]))
    page = response.content.decode()
    assert page.count(first.sha256[:12]) == 1
    before, after = page.split(first.sha256[:12])
    assert "Verificar integridad" in before[before.rindex("<details") :]
    assert "</details>" in after
    assert "style=" not in page.split('id="adjuntos"')[1].split("</section>")[0]


def test_integrity_check_matches_and_detects_tampering(client, draft, solicitante, outsider):
    first = draft.attachments.get()
    address = url("attachment_verify", first)
    assert client.post(address).status_code == 302  # to the login
    client.force_login(outsider)
    assert client.post(address).status_code == 403
    client.force_login(solicitante)
    response = client.post(address, follow=True)
    assert "Integridad verificada: «a.csv» es idéntico al archivo que se subió." in messages_of(
        response
    )
    # the recorded hash no longer matches the stored file
    Attachment.objects.filter(pk=first.pk).update(sha256="0" * 64)
    response = client.post(address, follow=True)
    assert (
        "El archivo «a.csv» no coincide con el que se subió: pudo ser alterado. Avise a soporte."
        in messages_of(response)
    )
    # one byte of the encrypted file on disk changed: the store refuses it (file_altered)
    path = first.file.path
    with open(path, "r+b") as handle:
        data = bytearray(handle.read())
        data[-20] ^= 0xFF
        handle.seek(0)
        handle.write(data)
    response = client.post(address, follow=True)
    assert response.status_code == 200
    assert any(
        "Integridad de «a.csv»: El archivo guardado fue alterado" in m
        for m in messages_of(response)
    )
    results = [
        e.details["result"]
        for e in AuditEvent.objects.filter(type="ATTACHMENT_VERIFIED").order_by("pk")
    ]
    assert results == ["match", "mismatch", "altered"]
