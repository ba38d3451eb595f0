import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_and_see_home_with_role_navigation(login, analista, live_server, tmp_path):
    # when the analyst logs in through the form
    page = login("analista")
    # then the home page greets them, shows the role and the audit link
    assert page.get_by_role("heading", name="Hola, Analista").is_visible()
    assert "Analista OCM" in page.content()
    nav = page.get_by_role("navigation", name="Navegación principal")
    assert nav.get_by_role("link", name="Auditoría").is_visible()
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)


def test_wrong_password_shows_spanish_error(login, solicitante):
    page = login("solicitante", "mala")
    assert page.get_by_role("alert").is_visible()
    assert "Ingresar a Brief" in page.content()
