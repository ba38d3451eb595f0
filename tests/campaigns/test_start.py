"""Kick-off meeting and advisors' training of a campaign; ``advisor_trained``."""

import datetime as dt

import pytest
from django.urls import reverse

from brief.campaigns import actions
from brief.campaigns.choices import Status
from brief.campaigns.models import KickOff, Training
from brief.core.exceptions import Conflict, Forbidden, Invalid
from brief.core.roles import Role
from tests.helpers import upload

DAY = dt.date(2026, 12, 14)


def test_kickoff_with_minutes_stored_as_an_attachment(make_brief, proveedor):
    brief = make_brief(Status.RECEIVED)
    kickoff = actions.record_kickoff(
        brief,
        actor=proveedor,
        held_on=DAY,
        attendees="Ana (OCM)\nLuis (BPO)",
        minutes=upload("acta.txt", "Acta de inicio"),
    )
    assert kickoff.minutes.kind == "kickoff_minutes"
    assert kickoff.minutes.original_name == "acta.txt"
    assert len(kickoff.minutes.sha256) == 64
    # recorded again: the same record, minutes kept
    again = actions.record_kickoff(brief, actor=proveedor, held_on=DAY, attendees="Ana")
    assert again.pk == kickoff.pk
    assert again.minutes_id == kickoff.minutes_id


def test_bad_minutes_file_is_refused_and_nothing_written(make_brief, proveedor):
    brief = make_brief(Status.RECEIVED)
    with pytest.raises(Invalid):
        actions.record_kickoff(
            brief, actor=proveedor, held_on=DAY, attendees="Ana", minutes=upload("acta.exe", "MZ")
        )
    assert not KickOff.objects.exists()
    assert not brief.attachments.filter(kind="kickoff_minutes").exists()


def test_training_and_advisor_trained(make_brief, proveedor, asesor, make_user, provider_org):
    brief = make_brief(Status.BASE_LOADED)
    untrained = make_user("asesor2", Role.ASESOR, provider=provider_org)
    assert actions.advisor_trained(asesor, brief) is False
    training = actions.record_training(
        brief,
        actor=proveedor,
        held_on=DAY,
        topic="Guion y tipificaciones",
        advisors=["asesor"],
        material=upload("material.pdf", b"%PDF-1.4 material"),
    )
    assert [u.username for u in training.advisors.all()] == ["asesor"]
    assert training.material.kind == "training_material"
    assert actions.advisor_trained(asesor, brief) is True
    assert actions.advisor_trained(untrained, brief) is False
    assert actions.advisor_trained(asesor, make_brief(Status.RECEIVED)) is False


def test_training_refuses_people_who_are_not_the_providers_advisors(
    make_brief, proveedor, solicitante, request
):
    brief = make_brief(Status.RECEIVED)
    other_provider_user = request.getfixturevalue("other_provider_user")
    for advisors in ([], ["solicitante"], ["nadie"], [other_provider_user.username]):
        with pytest.raises(Invalid) as caught:
            actions.record_training(
                brief, actor=proveedor, held_on=DAY, topic="Guion", advisors=advisors
            )
        assert caught.value.code == "invalid_advisors"
    assert not Training.objects.exists()


def test_who_and_when(make_brief, proveedor, analista, asesor, solicitante):
    brief = make_brief(Status.RECEIVED)
    for actor in (analista, asesor, solicitante):
        with pytest.raises(Forbidden):
            actions.record_kickoff(brief, actor=actor, held_on=DAY, attendees="x")
    with pytest.raises(Conflict):
        actions.record_kickoff(
            make_brief(Status.RESULTS_REVIEW), actor=proveedor, held_on=DAY, attendees="x"
        )


def test_api(api, make_brief, proveedor, solicitante):
    brief = make_brief(Status.RECEIVED)
    url = reverse("api:brief-kickoff", args=[brief.code])
    response = api.as_user(proveedor).post(
        url,
        {"held_on": "2026-12-14", "attendees": "Ana", "minutes": upload("acta.txt", "acta")},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["minutes"]["kind"] == "kickoff_minutes"
    assert api.as_user(solicitante).get(url).json()["attendees"] == "Ana"
    trainings = reverse("api:brief-trainings", args=[brief.code])
    response = api.as_user(proveedor).post(
        trainings,
        {"held_on": "2026-12-14", "topic": "Guion", "advisors": ["asesor"]},
        format="json",
    )
    assert response.status_code == 400  # the fixture «asesor» is not created here
    assert response.json()["errors"][0]["code"] == "invalid_advisors"
    response = api.as_user(solicitante).post(
        trainings, {"held_on": "2026-12-14", "topic": "Guion", "advisors": []}, format="json"
    )
    assert response.status_code == 403


def test_brief_page_section_for_the_provider(client, make_brief, proveedor, asesor, solicitante):
    brief = make_brief(Status.RECEIVED)
    client.force_login(proveedor)
    page = reverse("campaigns:brief_tab", args=[brief.code, "barridos"])
    html = client.get(page).content.decode()
    assert "Registrar la reunión de inicio" in html
    assert "Registrar una capacitación" in html
    response = client.post(
        reverse("campaigns:training_record", args=[brief.code]),
        {"held_on": "2026-12-14", "topic": "Guion", "advisors": ["asesor"]},
    )
    assert response.status_code == 302
    detail = reverse("campaigns:brief_detail", args=[brief.code])
    assert response["Location"] == f"{detail}?tab=barridos#inicio"
    client.force_login(solicitante)
    html = client.get(page).content.decode()
    assert "14/12/2026 · Guion" in html
    assert "Registrar una capacitación" not in html
