"""Core views: /health/ reports the database and the broker."""

import pytest


@pytest.mark.django_db
def test_health_reports_database_and_broker_ok(client):
    response = client.get("/health/")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ok"
    assert data["database"]["status"] == "ok"
    assert data["broker"]["status"] == "ok"


@pytest.mark.django_db
def test_health_reports_broker_down_with_503(client, settings):
    from brief.celery import app

    # given a broker URL pointing at a closed loopback port
    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/health/")
    finally:
        app.conf.broker_url = old
    assert response.status_code == 503
    assert response.json()["broker"]["status"] == "error"
    assert response.json()["database"]["status"] == "ok"


def test_every_navigation_link_opens_for_each_role_it_is_shown_to(
    client, make_user, area, provider_org
):
    """A menu entry never leads a role it is shown to onto a refusal."""
    from django.urls import reverse

    from brief.core.context_processors import NAVIGATION
    from brief.core.roles import Role

    homes = {Role.SOLICITANTE: {"area": area}, Role.JEFE: {"area": area}}
    homes |= {Role.PROVEEDOR: {"provider": provider_org}, Role.ASESOR: {"provider": provider_org}}
    checked = 0
    for label, url_name, roles in NAVIGATION:
        for role in sorted(roles) or [Role.ANALISTA_OCM]:
            user = make_user(f"u{checked}", role, **homes.get(role, {}))
            client.force_login(user)
            response = client.get(reverse(url_name))
            assert response.status_code == 200, (label, role, response.status_code)
            assert any(item["name"] == url_name for item in response.context["nav_items"])
            checked += 1
    assert checked > len(NAVIGATION)
