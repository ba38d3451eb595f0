"""MachinePaths: provider callbacks skip the middleware a person's request needs."""

from __future__ import annotations

from django.urls import reverse


def test_a_callback_gets_no_session_csrf_or_locale_work(client, db):
    # when a provider posts to an account that does not exist
    response = client.post(
        reverse("provider_callback", args=["nadie"]), b"{}", content_type="application/json"
    )
    # then the view answered, and none of the skipped middleware left a trace
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"
    assert "Content-Language" not in response.headers
    assert "X-Frame-Options" not in response.headers
    assert not response.cookies
    # while a page for people still goes through them
    page = client.get(reverse("accounts:login"))
    assert page.headers["Content-Language"].startswith("es")
    assert page.headers["X-Frame-Options"] == "DENY"


def test_a_callback_to_a_host_not_allowed_is_refused(client, db):
    response = client.post(
        reverse("provider_callback", args=["simulado"]),
        b"{}",
        content_type="application/json",
        HTTP_HOST="atacante.example",
    )
    assert response.status_code == 400


def test_an_unknown_callback_path_answers_404(client, db):
    response = client.post("/hooks/a/b/c/", b"{}", content_type="application/json")
    assert response.status_code == 404
