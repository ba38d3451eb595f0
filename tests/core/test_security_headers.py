"""No caching of personal data; the API's schema and docs for signed-in users, served locally."""

import json

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_signed_in_pages_and_api_answers_are_not_stored(client, api, analista):
    client.force_login(analista)
    assert _no_store(client.get(reverse("campaigns:board")))
    response = api.as_user(analista).get(reverse("api:brief-list"))
    assert response.status_code == 200
    assert _no_store(response)


def test_api_errors_are_not_stored_either(client):
    response = client.get(reverse("api:brief-list"))
    assert response.status_code in (401, 403)
    assert _no_store(response)


def test_docs_need_a_session_and_load_nothing_from_a_cdn(client, analista):
    response = client.get(reverse("api_docs"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    client.force_login(analista)
    page = client.get(reverse("api_docs")).content.decode()
    assert "cdn." not in page
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page


def test_schema_needs_a_user_and_answers_json_when_asked(client, analista):
    assert client.get(reverse("schema")).status_code in (401, 403)
    client.force_login(analista)
    default = client.get(reverse("schema"))
    assert default.content.startswith(b"openapi:")
    response = client.get(reverse("schema") + "?format=json")
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert json.loads(response.content)["info"]["title"] == "Brief API"


def test_pages_carry_a_csp_that_allows_no_inline_or_foreign_script(client, analista):
    client.force_login(analista)
    for url in (reverse("campaigns:board"), reverse("api_docs")):
        policy = client.get(url)["Content-Security-Policy"]
        directives = {}
        for part in policy.split(";"):
            name, _, value = part.strip().partition(" ")
            directives[name] = value
        assert directives["script-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert directives["object-src"] == "'none'"


def test_the_docs_start_up_script_is_a_file_not_inline(client, analista):
    client.force_login(analista)
    page = client.get(reverse("api_docs")).content.decode()
    assert "<script>" not in page
    script = client.get(reverse("api_docs") + "?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content
