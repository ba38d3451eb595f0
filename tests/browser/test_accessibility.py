"""WCAG 2.1 AA with axe-core (vendored under ``vendor/axe-core``, no network): the main pages,
as the roles that see them, have no violation of impact "serious" or "critical"."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from brief.campaigns import workspace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
DESKTOP, PHONE = 1366, 390
ON_A_PHONE = [
    "lista",
    "tablero",
    "barrido",
    "informe",
    "brief, pestaña formato",
    "brief, pestaña ans",
]
# The rules of WCAG 2.0/2.1 levels A and AA, and axe's best practices (landmarks, headings).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
  }));
}"""


@pytest.fixture
def page(browser):
    """A page whose context ignores the CSP: axe-core is injected as an inline script, which
    Brief's policy (script-src 'self') refuses. Only this module's tests use it."""
    context = browser.new_context(locale="es-CO", timezone_id="America/Bogota", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it stands (after its htmx panels loaded)."""
    page.wait_for_load_state("networkidle")
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE, TAGS)


def described(found: dict[str, list[dict]]) -> list[str]:
    """One line per violation: where, impact, rule, and the first elements it names."""
    return [
        f"axe {v['impact']}: {where}: {v['id']} ({v['help']}) {v['nodes']}"
        for where, violations in found.items()
        for v in violations
    ]


def test_main_pages_have_no_serious_accessibility_violations(
    login, page, live_server, reported, auditor
):
    # given a campaign with two sweeps and a report
    brief, sms, _email = reported
    tabs = {
        f"brief, pestaña {tab}": reverse("campaigns:brief_detail", args=[brief.code])
        + f"?tab={tab}"
        for tab in workspace.TABS
    }
    analista = {
        "inicio": reverse("core:home"),
        "lista": reverse("campaigns:brief_list"),
        "tablero": reverse("campaigns:board"),
        **tabs,
        "barrido": reverse("dispatch:sweep_detail", args=[sms.pk]),
        "informe": reverse("reports:campaign", args=[brief.code]),
    }
    # (username, screen width): the pages it checks; on a phone, those with wide tables
    pages = {
        ("analista", DESKTOP): analista,
        ("analista", PHONE): {name: analista[name] for name in ON_A_PHONE},
        ("solicitante", DESKTOP): {
            "nuevo brief": reverse("campaigns:brief_create"),
            "brief": reverse("campaigns:brief_detail", args=[brief.code]),
        },
        ("proveedor", DESKTOP): {
            "brief, barridos": tabs["brief, pestaña barridos"],
            "nuevo barrido": reverse("dispatch:sweep_create", args=[brief.code]),
        },
        ("auditor", DESKTOP): {"auditoría": reverse("core:audit_list")},
    }
    # when axe-core checks each page as each role, on a desktop and (some) on a phone
    blocking, others = {}, {}
    for (username, width), urls in pages.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.context.clear_cookies()
        login(username)
        for name, url in urls.items():
            page.goto(live_server.url + url)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            assert page.url == live_server.url + url  # the page itself, not a redirect
            for violation in axe_violations(page):
                found = blocking if violation["impact"] in BLOCKING else others
                found.setdefault(f"{username} · {width} px · {name}", []).append(violation)
    # then none is serious or critical (the minor and moderate ones are shown as warnings)
    for line in described(others):
        warnings.warn(line, stacklevel=1)
    assert blocking == {}, "\n".join(described(blocking))
    # (and the check can fail: a button without a name is a critical violation)
    page.evaluate(
        "() => document.querySelector('main').insertAdjacentHTML('beforeend', '<button></button>')"
    )
    assert "button-name" in {v["id"] for v in axe_violations(page) if v["impact"] in BLOCKING}
