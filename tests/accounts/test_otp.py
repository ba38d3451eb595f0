"""Optional two-step sign-in (TOTP): set-up, the code step of the login, the API token."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from brief.accounts import otp
from brief.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def code(device, offset: int = 0) -> str:
    """The device's code now (``offset`` steps away), as an authenticator app shows it."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset * device.step
    return f"{totp.token():0{device.digits}d}"


def unthrottle(device) -> None:
    """Forget the failures counted so far (django-otp delays the next try after one)."""
    device.refresh_from_db()
    device.throttle_reset()


@pytest.fixture
def enrolled(analista):
    device = TOTPDevice.objects.create(user=analista, name="Brief", confirmed=True)
    return analista, device


def test_setup_shows_a_qr_and_confirms_with_the_first_code(client, analista):
    client.force_login(analista)
    page = client.get(reverse("accounts:otp_setup"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body
    pending = TOTPDevice.objects.get(user=analista, confirmed=False)
    assert otp.key_text(pending).replace(" ", "") in body.replace(" ", "")
    # a wrong code is refused and nothing is turned on
    wrong = client.post(reverse("accounts:otp_setup"), {"action": "confirm", "otp": "000000"})
    assert wrong.status_code == 400
    assert "Código incorrecto" in wrong.content.decode()
    assert otp.device_of(analista) is None
    unthrottle(pending)
    # the right one turns it on
    right = client.post(reverse("accounts:otp_setup"), {"action": "confirm", "otp": code(pending)})
    assert right.status_code == 302
    assert otp.device_of(analista) == pending
    assert AuditEvent.objects.filter(type="OTP_ENABLED", actor=analista).count() == 1


def test_login_asks_for_the_code_and_signs_in_only_with_it(client, enrolled):
    user, device = enrolled
    home = reverse("core:home")
    response = client.post(
        f"{reverse('accounts:login')}?next={home}", {"username": user.username, "password": "demo"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:otp_verify")
    assert SESSION_KEY not in client.session  # the password alone signs nobody in
    assert client.get(home).status_code == 302
    wrong = client.post(reverse("accounts:otp_verify"), {"otp": "123"})
    assert wrong.status_code == 400
    assert SESSION_KEY not in client.session
    assert AuditEvent.objects.filter(type="OTP_REFUSED").count() == 1
    unthrottle(device)
    right = client.post(reverse("accounts:otp_verify"), {"otp": code(device)})
    assert right.status_code == 302
    assert right["Location"] == home
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.get(home).status_code == 200


def test_a_used_code_is_refused_the_second_time(client, enrolled):
    user, device = enrolled
    token = code(device)
    otp.check(device, token)
    client.post(reverse("accounts:login"), {"username": user.username, "password": "demo"})
    response = client.post(reverse("accounts:otp_verify"), {"otp": token})
    assert response.status_code == 400
    assert SESSION_KEY not in client.session


def test_the_code_step_expires(client, enrolled, monkeypatch):
    user, device = enrolled
    client.post(reverse("accounts:login"), {"username": user.username, "password": "demo"})
    later = time.time() + otp.PENDING_SECONDS + 1
    monkeypatch.setattr("brief.accounts.views.time.time", lambda: later)
    response = client.post(reverse("accounts:otp_verify"), {"otp": code(device)})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert SESSION_KEY not in client.session


def test_code_step_without_a_password_step_goes_back_to_login(client):
    response = client.get(reverse("accounts:otp_verify"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")


def test_users_without_a_device_sign_in_with_the_password(client, solicitante):
    response = client.post(
        reverse("accounts:login"), {"username": solicitante.username, "password": "demo"}
    )
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(solicitante.pk)


def test_turning_it_off_needs_a_current_code(client, enrolled):
    user, device = enrolled
    client.force_login(user)
    refused = client.post(reverse("accounts:otp_setup"), {"action": "disable", "otp": "999999"})
    assert refused.status_code == 400
    assert otp.device_of(user) is not None
    unthrottle(device)
    done = client.post(reverse("accounts:otp_setup"), {"action": "disable", "otp": code(device)})
    assert done.status_code == 302
    assert otp.device_of(user) is None
    assert AuditEvent.objects.filter(type="OTP_DISABLED").count() == 1


def test_api_token_requires_the_code(client, enrolled):
    user, device = enrolled
    url = reverse("api:auth_token")
    missing = client.post(url, {"username": user.username, "password": "demo"})
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["code"] == "otp_required"
    wrong = client.post(url, {"username": user.username, "password": "demo", "otp": "000000"})
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["code"] == "otp_invalid"
    unthrottle(device)
    ok = client.post(url, {"username": user.username, "password": "demo", "otp": code(device)})
    assert ok.status_code == 200
    assert ok.json()["token"]


def test_repeated_wrong_codes_are_throttled(client, enrolled):
    user, device = enrolled
    client.post(reverse("accounts:login"), {"username": user.username, "password": "demo"})
    client.post(reverse("accounts:otp_verify"), {"otp": "000000"})
    # right after a failure the device is throttled: even the right code must wait
    response = client.post(reverse("accounts:otp_verify"), {"otp": code(device)})
    assert response.status_code == 400
    assert "espere" in response.content.decode()
    assert SESSION_KEY not in client.session
