"""Tracked links end to end (rewrite → open → redirect → counted)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from brief.campaigns.choices import Status
from brief.content import actions
from brief.content.links import (
    make_token,
    opens_by_message,
    opens_count,
    parse_token,
)
from brief.content.models import LinkOpen
from brief.content.render import compile_template

SITE = "https://brief.icetex.gov.co"
pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_template(make_brief, solicitante):
    brief = make_brief(Status.DRAFT)
    return actions.create_template(
        brief,
        actor=solicitante,
        data={
            "channel": "sms",
            "body": "ICETEX: {nombres}, actualice sus datos en https://www.icetex.gov.co/datos?c=1.",
        },
    )


@override_settings(SITE_URL=SITE)
def test_link_is_rewritten_opened_redirected_and_counted(client, sms_template):
    # given the template's link, rendered for two recipients (messages 501 and 502)
    link = sms_template.links.get()
    assert link.url == "https://www.icetex.gov.co/datos?c=1"
    renderer = compile_template(sms_template)
    first = renderer.render({"nombres": "Ana"}, message_id=501)
    second = renderer.render({"nombres": "Luis"}, message_id=502)
    url = first.text.split(" en ")[1].rstrip(".")
    assert url.startswith(f"{SITE}/l/")
    token = url.rsplit("/", 1)[1]
    assert len(token) <= 24
    assert first.links == [link.pk]
    assert first.text != second.text  # one link per recipient
    # when the first recipient opens it twice and the second once
    for _ in range(2):
        response = client.get(f"/l/{token}", HTTP_USER_AGENT="Mozilla/5.0 (Android)")
        # then each opening redirects to the destination
        assert response.status_code == 302
        assert response["Location"] == "https://www.icetex.gov.co/datos?c=1"
    client.get("/l/" + second.text.split("/l/")[1].rstrip("."))
    # and is counted per recipient, a repeat within the window once (a replay adds nothing)
    assert opens_by_message([501, 502, 503]) == {501: 1, 502: 1}
    assert opens_count(sms_template.brief) == 2
    # and an opening after the window is a new one
    LinkOpen.objects.filter(message_id=501).update(
        at=timezone.now() - dt.timedelta(seconds=settings.BRIEF_LINK_OPEN_WINDOW_SECONDS + 1)
    )
    assert client.get(f"/l/{token}").status_code == 302
    assert opens_by_message([501]) == {501: 2}
    opened = LinkOpen.objects.filter(message_id=501).order_by("at").first()
    assert (opened.link_id, opened.ip, opened.user_agent) == (
        link.pk,
        "127.0.0.1",
        "Mozilla/5.0 (Android)",
    )


def test_forged_or_damaged_tokens_are_404_in_spanish(client, sms_template):
    link = sms_template.links.get()
    good = make_token(link.pk, 77)
    forged_mac = good[:-2] + ("AA" if good[-2:] != "AA" else "BB")
    with override_settings(SECRET_KEY="another-secret-key-" * 3):
        other_key = make_token(link.pk, 77)
    for token in [forged_mac, other_key, "abc", "%%%", good[:5], "A" * 80]:
        response = client.get(f"/l/{token}")
        assert response.status_code == 404, token
        assert "Enlace no válido" in response.content.decode()
    assert LinkOpen.objects.count() == 0


def test_token_of_a_deleted_link_is_404(client):
    assert client.get(f"/l/{make_token(999999, 1)}").status_code == 404


def test_tokens_round_trip_large_ids():
    token = make_token(2**40, 2**62)
    assert parse_token(token) == (2**40, 2**62)
    assert len(make_token(123, 4_567_890)) <= 20


def test_old_tokens_still_open_after_a_key_rotation(client, sms_template, settings):
    link = sms_template.links.get()
    token = make_token(link.pk, 5)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "rotated-secret-key-" * 3
    assert client.get(f"/l/{token}").status_code == 302
