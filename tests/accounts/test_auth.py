from django.urls import reverse

from brief.accounts.models import User
from brief.accounts.scoping import scope


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


def test_login_page_in_spanish_and_login_works(client, solicitante):
    page = client.get(reverse("accounts:login"))
    assert "Ingresar a Brief" in page.content.decode()
    response = client.post(
        reverse("accounts:login"), {"username": "solicitante", "password": "demo"}
    )
    assert response.status_code == 302
    home = client.get("/")
    assert "Hola, Solicitante" in home.content.decode()


def test_login_wrong_password_shows_spanish_error(client, solicitante):
    response = client.post(
        reverse("accounts:login"), {"username": "solicitante", "password": "mal"}
    )
    assert response.status_code == 200
    assert "correcto" in response.content.decode()  # "…usuario y clave correctos…"


def test_home_requires_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_logout_is_post_and_ends_session(client, solicitante):
    client.force_login(solicitante)
    client.post(reverse("accounts:logout"))
    assert client.get("/").status_code == 302


def test_password_change(client, solicitante):
    client.force_login(solicitante)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "demo",
            "new_password1": "Otra-clave-larga-2026",
            "new_password2": "Otra-clave-larga-2026",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(pk=solicitante.pk).check_password("Otra-clave-larga-2026")


def test_scope_area_user_sees_own_area_only(solicitante, outsider, area, other_area):
    # given users of two areas
    qs = User.objects.all()
    # when scoped by area for each requester
    mine = set(scope(qs, solicitante).values_list("username", flat=True))
    theirs = set(scope(qs, outsider).values_list("username", flat=True))
    # then neither sees the other's area
    assert mine == {"solicitante"}
    assert theirs == {"outsider"}


def test_scope_staff_sees_all_and_anonymous_nothing(analista, auditor, solicitante, outsider):
    from django.contrib.auth.models import AnonymousUser

    qs = User.objects.filter(area__isnull=False)
    assert scope(qs, analista).count() == 2
    assert scope(qs, auditor).count() == 2
    assert scope(qs, AnonymousUser()).count() == 0


def test_scope_provider_sees_only_its_provider(proveedor, asesor, solicitante, make_user):
    from brief.accounts.models import Provider
    from brief.core.roles import Role

    other = Provider.objects.create(code="otro", name="Otro BPO")
    make_user("otro_asesor", Role.ASESOR, provider=other)
    qs = User.objects.all()
    seen = set(
        scope(qs, proveedor, area_field=None, provider_field="provider").values_list(
            "username", flat=True
        )
    )
    assert seen == {"proveedor", "asesor"}
    assert scope(qs, solicitante, area_field=None, provider_field="provider").count() == 0


def test_inactive_user_has_no_roles(solicitante):
    solicitante.is_active = False
    solicitante.save()
    user = User.objects.get(pk=solicitante.pk)
    assert user.roles == frozenset()
    assert not user.has_role("solicitante")
