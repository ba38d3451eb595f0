"""Playwright with Debian's chromium; run in their own pytest process (see Makefile)."""

from __future__ import annotations

import os

import pytest

from tests.helpers import require_binary

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    executable = require_binary("/usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="es-CO", timezone_id="America/Bogota")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def login(page, live_server):
    """``login("solicitante")`` signs in through the real login form."""

    def do(username: str, password: str = "demo"):
        page.goto(f"{live_server.url}/cuenta/ingresar/")
        page.get_by_label("Usuario").fill(username)
        page.get_by_label("Contraseña").fill(password)
        page.get_by_role("button", name="Ingresar").click()
        page.wait_for_load_state()
        return page

    return do
