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
