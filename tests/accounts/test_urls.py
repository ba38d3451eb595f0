"""Login, logout and password change pages (Django's auth views, Spanish templates)."""

from django.urls import reverse

from brief.accounts.models import User


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
