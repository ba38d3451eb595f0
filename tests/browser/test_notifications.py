import pytest
from playwright.sync_api import expect

from brief.campaigns import actions
from brief.campaigns.choices import Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_bell_counts_and_clears(login, make_brief, analista, tmp_path):
    # given two moves of a brief that the area must hear about
    brief = make_brief(Status.SUBMITTED)
    actions.perform(brief, "start_review", actor=analista)
    actions.perform(
        brief, "return", actor=analista, note="Falta el guion", checklist={"script": False}
    )
    # when the requester signs in, the bell shows 2
    page = login("solicitante")
    expect(page.locator("#avisos-sin-leer")).to_have_text("2")
    # opening one takes them to the brief and leaves 1
    page.locator("#campana").click()
    page.get_by_role("button", name="Abrir").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(brief.code)
    expect(page.locator("#avisos-sin-leer")).to_have_text("1")
    # marking all read clears it
    page.locator("#campana").click()
    page.get_by_role("button", name="Marcar todos como leídos").click()
    expect(page.locator("#avisos-sin-leer")).to_have_text("0")
    page.screenshot(path=str(tmp_path / "avisos.png"), full_page=True)
