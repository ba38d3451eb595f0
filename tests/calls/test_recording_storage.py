"""A full or read-only disk during a recording upload: 507 with the reason in Spanish, no
recording row, no partial file (``brief.core.storage``)."""

from __future__ import annotations

from django.urls import reverse

from brief.calls import actions
from brief.calls.models import Recording
from tests.calls.conftest import recording
from tests.services import files_in


def _call(call_campaign, asesor, index: int):
    brief, contacts, leaf = call_campaign
    data = {"channel": "call", "contact": contacts[index].pk, "typification": leaf.pk}
    return actions.record_interaction(brief, actor=asesor, data=data)


def test_recording_upload_answers_507_and_stores_nothing(api, call_campaign, asesor, broken_media):
    # given an interaction and a disk that cannot take the file
    interaction = _call(call_campaign, asesor, 0)
    folder, code, before = broken_media()
    # when the advisor uploads the audio through the API
    url = reverse("api:interaction_detail", args=[interaction.code])
    response = api.as_user(asesor).post(
        f"{url}recordings/", {"kind": "audio", "file": recording("audio")}, format="multipart"
    )
    # then a structured error in Spanish, no recording row, no partial file
    assert response.status_code == 507
    error = response.json()["errors"][0]
    assert error["code"] == code
    assert "no se guardó nada" in error["message"]
    assert not Recording.objects.filter(interaction=interaction).exists()
    assert files_in(folder) == before
    interaction.refresh_from_db()
    assert "no_audio" in interaction.exclusions  # still missing: nothing was attached


def test_recording_page_shows_the_reason(client, call_campaign, asesor, broken_media):
    interaction = _call(call_campaign, asesor, 1)
    folder, _code, before = broken_media()
    client.force_login(asesor)
    response = client.post(
        reverse("calls:interaction_detail", args=[interaction.code]),
        {"kind": "audio", "file": recording("audio")},
    )
    assert response.status_code == 507
    assert "no se guardó nada" in response.content.decode()
    assert not Recording.objects.filter(interaction=interaction).exists()
    assert files_in(folder) == before
