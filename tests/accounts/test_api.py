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
