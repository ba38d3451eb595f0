"""Files of a brief through the API: versions listed, replace, mark current, withdraw, verify."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from brief.campaigns import actions
from brief.core.models import AuditEvent
from tests.helpers import BASE_CSV, brief_data, upload

pytestmark = pytest.mark.django_db

OTHER_CSV = b"documento,nombres,apellidos,celular,correo\n79888777,Luis,Rodriguez,3109876543,\n"


@pytest.fixture
def draft(solicitante):
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    actions.add_attachment(brief, actor=solicitante, kind="base", upload=upload("a.csv", BASE_CSV))
    return brief


def files_url(brief, *rest) -> str:
    # the API's own paths (DESIGN §6), as the OpenAPI schema publishes them
    return "/".join([f"/api/v1/briefs/{brief.code}/attachments", *map(str, rest)]) + "/"


def listed(api, brief) -> list[dict]:
    response = api.get(files_url(brief))
    assert response.status_code == 200
    return sorted(response.json(), key=lambda row: row["version"])


def test_the_area_replaces_a_file_and_both_versions_are_listed(api, draft, solicitante):
    first = draft.attachments.get()
    api.as_user(solicitante)
    # when the area sends a new version of its base
    response = api.post(
        files_url(draft, first.pk, "replace"),
        {"file": SimpleUploadedFile("b.csv", OTHER_CSV)},
        format="multipart",
    )
    # then it is v2 of the same series, current, and v1 stays listed, no longer current
    assert response.status_code == 201, response.content
    new = response.json()
    assert (new["version"], new["series"], new["is_current"]) == (2, first.pk, True)
    rows = listed(api, draft)
    assert [(r["original_name"], r["version"], r["is_current"]) for r in rows] == [
        ("a.csv", 1, False),
        ("b.csv", 2, True),
    ]
    assert AuditEvent.objects.filter(type="ATTACHMENT_REPLACED").count() == 1


def test_mark_current_then_withdraw_with_its_reason(api, draft, solicitante):
    first = draft.attachments.get()
    second = actions.replace_attachment(
        draft, first.pk, actor=solicitante, upload=upload("b.csv", OTHER_CSV.decode())
    )
    api.as_user(solicitante)
    # v1 made current again
    response = api.post(files_url(draft, first.pk, "mark-current"))
    assert response.status_code == 200, response.content
    assert response.json()["is_current"] is True
    # a withdrawal without a reason is refused, naming the field, and changes nothing
    refused = api.post(files_url(draft, second.pk, "withdraw"), {"reason": " "}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "reason"
    second.refresh_from_db()
    assert second.withdrawn_at is None
    # with a reason it is withdrawn, kept, and says by whom and why
    response = api.post(
        files_url(draft, second.pk, "withdraw"), {"reason": "Base equivocada"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["withdrawn_reason"], body["withdrawn_by"], body["is_current"]) == (
        "Base equivocada",
        solicitante.username,
        False,
    )
    assert body["withdrawn_at"]
    # a withdrawn file cannot become current again: a conflict with its code
    again = api.post(files_url(draft, second.pk, "mark-current"))
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "attachment_withdrawn"


def test_verify_answers_whether_the_stored_file_is_the_uploaded_one(api, draft, analista):
    attachment = draft.attachments.get()
    api.as_user(analista)
    response = api.post(files_url(draft, attachment.pk, "verify"))
    assert response.status_code == 200
    assert response.json()["matches"] is True
    # when the stored bytes change behind Brief's back
    path = attachment.file.path
    with open(path, "r+b") as handle:
        handle.seek(8)
        handle.write(b"\xff\xff")
    response = api.post(files_url(draft, attachment.pk, "verify"))
    assert response.status_code == 200
    assert response.json()["matches"] is False
    assert AuditEvent.objects.filter(type="ATTACHMENT_VERIFIED").count() == 2


def test_the_provider_cannot_replace_the_areas_file_nor_touch_another_briefs(
    api, draft, solicitante, proveedor
):
    first = draft.attachments.get()
    other = actions.create_brief(actor=solicitante, data=brief_data())
    api.as_user(proveedor)
    # the provider does not even see a draft
    response = api.post(
        files_url(draft, first.pk, "replace"),
        {"file": SimpleUploadedFile("b.csv", OTHER_CSV)},
        format="multipart",
    )
    assert response.status_code in (403, 404)
    # the area cannot reach a file through another brief's path
    api.as_user(solicitante)
    response = api.post(files_url(other, first.pk, "withdraw"), {"reason": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "not_found"
    first.refresh_from_db()
    assert (first.is_current, first.withdrawn_at, draft.attachments.count()) == (True, None, 1)
