"""The one-click unsubscribe page ``/baja/<token>/``: the token names a message, the address is
looked up, and the suppression goes through ``contacts.actions.add_suppression``."""

from __future__ import annotations

import pytest
from django.urls import reverse

from brief.contacts.models import Suppression
from brief.content.links import unsubscribe_url
from brief.core.models import AuditEvent
from brief.dispatch import actions as dispatch_actions
from brief.dispatch.actions import unsubscribe_address
from brief.dispatch.models import Message

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


@pytest.fixture
def recipient(campaign, proveedor):
    """``recipient("ana@example.co")`` → the id of an e-mail message sent to that address."""

    def make(address: str) -> int:
        brief, _base, templates = campaign(n=1, channels=("email",))
        sweep = dispatch_actions.create_sweep(
            brief,
            actor=proveedor,
            channel="email",
            template=templates["email"],
            provider_account="locmem",
        )
        message = Message.objects.get(sweep=sweep)
        Message.objects.filter(pk=message.pk).update(to=address)
        return message.pk

    return make


def test_unsubscribe_token_does_not_carry_the_address(recipient):
    import base64
    import contextlib
    import zlib

    message_id = recipient("ana.perez@example.co")
    token = _path(unsubscribe_url(message_id)).split("/")[2]
    # django.core.signing only signs: its payload is readable base64 (zlib when compressed)
    payload = token.split(":")[0].lstrip(".")
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    with contextlib.suppress(zlib.error):
        raw = zlib.decompress(raw)
    assert b"ana.perez" not in raw
    assert b"example.co" not in raw
    assert unsubscribe_address(token) == (message_id, "ana.perez@example.co")


def test_get_shows_a_confirmation_and_never_unsubscribes(client, recipient):
    path = _path(unsubscribe_url(recipient("Ana@Example.co")))
    response = client.get(path)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Cancelar la suscripción" in body
    assert "a••@example.co" in body  # the address is masked
    assert "Sí, cancelar mi suscripción" in body
    assert not Suppression.objects.exists()


def test_post_from_the_page_suppresses_the_email_once(client, recipient):
    message_id = recipient("Ana@Example.co")
    path = _path(unsubscribe_url(message_id))
    response = client.post(path)
    assert response.status_code == 200
    assert "Suscripción cancelada" in response.content.decode()
    entry = Suppression.objects.get()
    assert (entry.channel, entry.value, entry.source) == ("email", "ana@example.co", "unsubscribe")
    event = AuditEvent.objects.get(type="EMAIL_UNSUBSCRIBED")
    assert event.details == {"message_id": message_id, "email": "a••@example.co"}
    # a second POST changes nothing
    client.post(path)
    assert Suppression.objects.count() == 1
    assert AuditEvent.objects.filter(type="EMAIL_UNSUBSCRIBED").count() == 1
    # the entry was written by add_suppression (its own audit event, once)
    assert AuditEvent.objects.filter(type="SUPPRESSION_ADDED").count() == 1
    assert "ya no recibe" in client.get(path).content.decode()


def test_one_click_post_from_the_mail_client_without_csrf(recipient):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    path = _path(unsubscribe_url(recipient("luis@example.co")))
    response = client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert Suppression.objects.filter(channel="email", value="luis@example.co").exists()


def test_bad_unsubscribe_token_is_404_and_suppresses_nothing(client, recipient):
    path = _path(unsubscribe_url(recipient("x@example.co")))
    tampered = path.replace("/baja/", "/baja/x")
    assert client.get(tampered).status_code == 404
    assert client.post(tampered).status_code == 404
    assert not Suppression.objects.exists()


def test_unsubscribe_token_of_a_message_that_does_not_exist_is_404(client):
    path = _path(unsubscribe_url(999_999))
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404
    assert not Suppression.objects.exists()


def test_the_url_name_is_the_path_of_the_mailed_link(recipient):
    url = unsubscribe_url(recipient("ana@example.co"))
    token = _path(url).split("/")[2]
    assert _path(url) == reverse("dispatch:unsubscribe", args=[token])
