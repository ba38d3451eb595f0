"""The favicon, the admin's Brief branding, its link in the top navigation, and the home page
of an administrator without roles."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.urls import reverse

from brief.accounts.models import User
from brief.core.roles import Role

ICO_MAGIC = b"\x00\x00\x01\x00"


def test_favicon_ico_answers_an_icon_to_anyone(client, db):
    # when a browser asks for /favicon.ico without signing in
    response = client.get("/favicon.ico")
    # then an icon, not a 404 or a redirect to the login
    assert reverse("core:favicon") == "/favicon.ico"
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content).startswith(ICO_MAGIC)


def test_pages_link_the_svg_favicon(client, auditor):
    client.force_login(auditor)
    body = client.get(reverse("core:home")).content.decode()
    assert '<link rel="icon" href="/static/core/favicon.svg" type="image/svg+xml">' in body
    assert 'href="/favicon.ico"' in body
    svg = finders.find("core/favicon.svg")
    assert svg is not None
    with open(svg, encoding="utf-8") as handle:
        assert handle.read().startswith("<svg")


def test_admin_is_branded_brief_in_spanish(client, superuser):
    client.force_login(superuser)
    body = client.get(reverse("admin:index")).content.decode()
    assert "<title>Administración de Brief | Brief</title>" in body
    assert "Brief · Administración" in body
    assert "Django administration" not in body
    assert "Django site admin" not in body


def test_admin_link_in_the_top_navigation_for_staff_only(client, make_user, analista):
    # given a staff member without roles and an analyst who is not staff
    staff = make_user("soporte")
    User.objects.filter(pk=staff.pk).update(is_staff=True)
    admin_link = f'<a href="{reverse("admin:index")}">Administración</a>'
    # then only the staff member sees the link to the admin
    client.force_login(User.objects.get(pk=staff.pk))
    assert admin_link in client.get(reverse("core:home")).content.decode()
    client.force_login(analista)
    assert admin_link not in client.get(reverse("core:home")).content.decode()


def test_home_says_administrador_for_a_superuser_without_roles(client, superuser):
    client.force_login(superuser)
    body = client.get(reverse("core:home")).content.decode()
    assert "Su rol: <strong>Administrador</strong>" in body
    assert "sin rol asignado" not in body


def test_home_says_administrador_for_staff_without_roles(client, make_user):
    staff = make_user("soporte")
    User.objects.filter(pk=staff.pk).update(is_staff=True)
    client.force_login(User.objects.get(pk=staff.pk))
    assert "Su rol: <strong>Administrador</strong>" in client.get("/").content.decode()


def test_home_keeps_roles_and_the_no_role_notice(client, make_user, auditor):
    client.force_login(make_user("nadie"))
    assert "Su rol: <strong>sin rol asignado</strong>" in client.get("/").content.decode()
    client.force_login(auditor)
    body = client.get("/").content.decode()
    assert f"Su rol: <strong>{Role.AUDITOR.label}</strong>" in body
