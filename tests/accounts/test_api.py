"""API tokens: obtained with username and password, required by the API, errors in shape."""


def test_token_obtained_with_username_and_password(api, solicitante):
    response = api.post("/api/v1/auth/token/", {"username": "solicitante", "password": "demo"})
    assert response.status_code == 200
    assert len(response.json()["token"]) == 40


def test_token_refused_with_bad_password_in_error_format(api, solicitante):
    response = api.post("/api/v1/auth/token/", {"username": "solicitante", "password": "x"})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0]["code"] == "authorization"
    assert "token" not in response.json()


def test_token_missing_fields_names_the_field(api, db):
    response = api.post("/api/v1/auth/token/", {"username": "x"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "password"


def test_api_requires_token(api, db):
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "not_authenticated"


def test_api_token_authenticates(api, analista):
    response = api.as_user(analista).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["roles"] == ["analista_ocm"]


def test_each_sign_in_rotates_the_token_and_revokes_the_previous(api, solicitante):
    from django.urls import reverse

    url = reverse("api:auth_token")
    credentials = {"username": "solicitante", "password": "demo"}
    first = api.post(url, credentials).json()
    second = api.post(url, credentials).json()
    assert first["token"] != second["token"]
    assert second["expires_at"] >= first["expires_at"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {first['token']}")
    assert api.get(reverse("api:me")).status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {second['token']}")
    assert api.get(reverse("api:me")).status_code == 200


def test_a_token_past_its_lifetime_is_refused(api, solicitante, settings):
    import datetime as dt

    from django.urls import reverse
    from rest_framework.authtoken.models import Token

    token = api.post(
        reverse("api:auth_token"), {"username": "solicitante", "password": "demo"}
    ).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get(reverse("api:me")).status_code == 200
    lifetime = dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS, seconds=1)
    Token.objects.filter(key=token).update(created=Token.objects.get(key=token).created - lifetime)
    response = api.get(reverse("api:me"))
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "token_expired"
