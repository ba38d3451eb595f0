"""Pages render under the CSP without 'unsafe-inline' styles: the browser reports no policy
violation on the brief page, a sweep, the campaign report, the e-mail preview and the API
docs, and the bars sized by data-width get their widths."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from brief.campaigns.choices import Status
from brief.content import actions
from brief.content.models import Template

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Registered before any page script runs (Playwright's init scripts are not subject to the CSP).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`
  );
}, true);
"""


@pytest.fixture
def watched(page):
    """The page, recording CSP violations (events and console errors) of every document."""
    console: list[str] = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(RECORD_VIOLATIONS)

    def violations() -> list[str]:
        events = page.evaluate("() => window.__cspViolations")
        return [*events, *console]

    page.violations = violations
    return page


def test_brief_sweep_and_report_pages_raise_no_csp_violation(login, watched, live_server, reported):
    page = watched
    brief, sms, _email = reported
    login("proveedor")
    # the brief page, its sweeps tab (stacked bars of each sweep) and its report tab
    page.goto(live_server.url + reverse("campaigns:brief_detail", args=[brief.code]))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    nav = page.get_by_role("navigation", name="Secciones del brief")
    nav.get_by_role("link", name="Barridos", exact=True).click()
    expect(page.locator("#barridos")).to_contain_text("Barrido 1")
    # the page CSS still applies: the panel's head is a flex row
    assert page.locator("#barridos .head").evaluate("e => getComputedStyle(e).display") == "flex"
    assert page.violations() == []
    nav.get_by_role("link", name="Informe", exact=True).click()
    expect(page.get_by_role("link", name="Ficha Técnica de Resultados")).to_be_visible()
    assert page.violations() == []
    # the sweep page: each segment of the status bar is as wide as its data-width says
    page.goto(live_server.url + reverse("dispatch:sweep_detail", args=[sms.pk]))
    expect(page.locator("#total")).to_have_text("12")
    segments = page.locator(".stack > span[data-width]")
    expect(segments.first).to_be_attached()
    for width, style in segments.evaluate_all(
        "spans => spans.map(s => [s.dataset.width, s.style.width])"
    ):
        assert style == f"{float(width):g}%"
    stack = page.locator(".stack").evaluate("e => e.getBoundingClientRect().width")
    filled = segments.evaluate_all(
        "spans => spans.reduce((sum, s) => sum + s.getBoundingClientRect().width, 0)"
    )
    assert filled == pytest.approx(stack, abs=2)
    assert page.violations() == []
    # the campaign report, as the requester
    page.context.clear_cookies()
    login("solicitante")
    page.goto(live_server.url + reverse("reports:campaign", args=[brief.code]))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ficha Técnica de Resultados")
    assert page.violations() == []
    # (and the check can fail: a style attribute added now is refused and recorded)
    page.evaluate(
        """() => document.body.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>')"""
    )
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert page.violations()[0].startswith("style-src")


def test_email_preview_and_api_docs_raise_no_csp_violation(
    login, watched, live_server, make_brief, make_base, solicitante, superuser
):
    page = watched
    brief = make_brief(Status.DRAFT)
    make_base(brief)
    # the e-mail preview: its inline styles apply inside the frame (its own policy); a body
    # with inline styles opens as HTML code (the visual editor would drop them)
    login("solicitante")
    page.goto(live_server.url + reverse("content:template_new", args=[brief.code]) + "?canal=email")
    expect(page.get_by_role("textbox", name="Cuerpo del correo")).to_be_visible()
    assert page.violations() == []
    template = actions.create_template(
        brief,
        actor=solicitante,
        data={
            "channel": "email",
            "subject": "Hola",
            "sender": "ICETEX <campanas@icetex.gov.co>",
            "html": '<h1 style="color: #b3261e">Hola {nombres}</h1>',
        },
    )
    page.goto(live_server.url + reverse("content:template_edit", args=[brief.code, template.pk]))
    expect(page.get_by_label("Cuerpo del correo (HTML)")).to_have_value(
        '<h1 style="color:#b3261e">Hola {nombres}</h1>'
    )
    page.get_by_role("button", name="Ver vista previa").click()
    heading = page.frame_locator("iframe[title='Vista previa del correo']").get_by_role(
        "heading", name="Hola Ana María"
    )
    expect(heading).to_have_css("color", "rgb(179, 38, 30)")
    assert page.violations() == []
    assert Template.objects.get().version == 1
    # the API docs (Swagger UI) as an administrator
    page.context.clear_cookies()
    login("admin")
    page.goto(live_server.url + reverse("api_docs"))
    # (the schema is generated on the first request: slow on a busy machine)
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Brief", timeout=30_000)
    page.locator(".opblock-summary").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert page.violations() == []
