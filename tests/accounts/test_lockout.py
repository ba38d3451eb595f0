"""Brute-force lockout (django-axes) on the login page (the admin signs in there) and the API
token."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _fail(client, url, username, times):
    """``times`` wrong passwords: the form's error until the limit, then 429."""
    for _ in range(times - 1):
        response = client.post(url, {"username": username, "password": "equivocada"})
        assert response.status_code in (200, 400)  # not yet locked
    return client.post(url, {"username": username, "password": "equivocada"})


def test_right_password_after_the_limit_is_refused_on_the_login_page(client, solicitante, settings):
    url = reverse("accounts:login")
    assert _fail(client, url, solicitante.username, settings.AXES_FAILURE_LIMIT).status_code == 429
    response = client.post(url, {"username": solicitante.username, "password": "demo"})
    assert response.status_code == 429
    assert "bloqueada" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_token_endpoint_locks_with_a_structured_error(client, solicitante, settings):
    url = reverse("api:auth_token")
    _fail(client, url, solicitante.username, settings.AXES_FAILURE_LIMIT)
    response = client.post(url, {"username": solicitante.username, "password": "demo"})
    assert response.status_code == 429
    error = response.json()["errors"][0]
    assert error["code"] == "locked_out"
    assert "bloqueada" in error["message"]
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()


def test_admin_login_goes_through_brief_login(client, superuser):
    # The admin's own form is gone: it sends people to Brief's login (lockout and two-step
    # sign-in apply there), and a password posted to it signs nobody in.
    url = reverse("admin:login")
    response = client.get(url, {"next": reverse("admin:index")})
    assert response.status_code == 302
    assert response["Location"] == (
        f"{reverse('accounts:login')}?next={reverse('admin:index').replace('/', '%2F')}"
    )
    posted = client.post(url, {"username": superuser.username, "password": "demo"})
    assert posted.status_code == 302
    assert SESSION_KEY not in client.session


def test_a_success_resets_the_count_and_other_users_are_not_locked(
    client, solicitante, jefe, settings
):
    url = reverse("accounts:login")
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(2):
        assert _fail(client, url, solicitante.username, limit - 1).status_code == 200
        response = client.post(url, {"username": solicitante.username, "password": "demo"})
        assert response.status_code == 302
        client.logout()
    _fail(client, url, solicitante.username, limit)
    response = client.post(url, {"username": jefe.username, "password": "demo"})
    assert response.status_code == 302


def test_the_lock_ends_after_the_cool_off(client, solicitante, settings):
    url = reverse("accounts:login")
    _fail(client, url, solicitante.username, settings.AXES_FAILURE_LIMIT)
    locked = client.post(url, {"username": solicitante.username, "password": "demo"})
    assert locked.status_code == 429
    past = settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=1)
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= past
        attempt.save()
    response = client.post(url, {"username": solicitante.username, "password": "demo"})
    assert response.status_code == 302
    assert SESSION_KEY in client.session
