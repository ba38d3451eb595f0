"""Error answers: Spanish pages for people, the structured JSON error under /api/."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_csrf_failure_is_a_spanish_page(solicitante):
    client = Client(enforce_csrf_checks=True)
    client.force_login(solicitante)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "El formulario venció" in page
    assert "CSRF verification failed" not in page


def test_csrf_failure_under_the_api_is_structured(solicitante):
    client = Client(enforce_csrf_checks=True)
    client.force_login(solicitante)  # a session, no CSRF token: DRF refuses the write
    response = client.post(reverse("api:brief-list"), {}, content_type="application/json")
    assert response.status_code == 403
    [error] = response.json()["errors"]
    assert error["code"] == "csrf_failed"
    assert error["message"].startswith("Falta el token CSRF")


def test_unknown_api_path_is_a_json_404(api, analista):
    response = api.as_user(analista).get("/api/v1/no-existe/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


@pytest.mark.parametrize(
    "query", ["limit=9223372036854775808", "offset=9223372036854775808", "limit=100000"]
)
def test_huge_limits_and_offsets_are_bounded(api, analista, make_brief, query, settings):
    from brief.campaigns.choices import Status
    from brief.core.api import Pagination

    make_brief(Status.SUBMITTED)
    response = api.as_user(analista).get(reverse("api:brief-list") + "?" + query)
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1
    assert len(data["results"]) == (0 if query.startswith("offset") else 1)
    assert Pagination.max_limit == 1000
