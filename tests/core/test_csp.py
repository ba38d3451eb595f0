"""The Content-Security-Policy allows no inline style: pages carry no ``style`` attribute and
no ``<style>`` element (their CSS is in static files), and the header says so."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from brief.campaigns.workspace import TABS
from brief.contacts.models import ContactBase
from brief.content.models import Template

pytestmark = pytest.mark.django_db


class InlineStyles(HTMLParser):
    """Collects ``style`` attributes and ``<style>`` elements without a nonce."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _value in attrs}
        if "style" in names:
            self.found.append(self.get_starttag_text() or tag)
        if tag == "style" and "nonce" not in names:
            self.found.append("<style> without nonce")

    handle_startendtag = handle_starttag


def inline_styles(html: str) -> list[str]:
    parser = InlineStyles()
    parser.feed(html)
    parser.close()
    return parser.found


def style_src(response) -> list[str]:
    for directive in response["Content-Security-Policy"].split(";"):
        name, *sources = directive.split()
        if name == "style-src":
            return sources
    return []


def test_the_parser_finds_inline_styles():
    # the check can fail: attributes on HTML and SVG elements, and <style> without a nonce
    assert len(inline_styles('<p style="color:red">x</p><svg><path style="fill:#fff"/></svg>')) == 2
    assert inline_styles("<style>p{}</style>") == ["<style> without nonce"]
    assert inline_styles('<style nonce="abc">p{}</style><p class="m-0">x</p>') == []


def test_main_pages_have_no_inline_style(
    client, reported, solicitante, analista, proveedor, superuser, make_brief
):
    # given a campaign with a base, templates, two finished sweeps and results
    brief, sms, _email = reported
    code = brief.code
    base = ContactBase.objects.filter(brief=brief).latest("pk")
    template = Template.objects.filter(brief=brief, channel="email").first()
    draft = make_brief()
    pages = {
        solicitante: [
            reverse("core:home"),
            reverse("campaigns:brief_list"),
            reverse("campaigns:brief_create"),
            reverse("campaigns:notifications"),
            reverse("campaigns:brief_edit", args=[draft.code]),
            reverse("content:template_new", args=[draft.code]) + "?canal=email",
            reverse("campaigns:brief_detail", args=[code]),
            *(reverse("campaigns:brief_tab", args=[code, tab]) for tab in TABS),
            reverse("reports:campaign", args=[code]),
            reverse("accounts:password_change"),
            reverse("accounts:otp_setup"),
        ],
        analista: [
            reverse("core:home"),
            reverse("campaigns:board"),
            reverse("core:audit_list"),
            reverse("reports:dashboard"),
            reverse("reports:sla_report"),
            reverse("reports:monthly"),
            reverse("reports:qc_list"),
            reverse("reports:recommendation_list"),
            reverse("privacy:request_list"),
            reverse("privacy:search"),
            reverse("calls:history"),
            reverse("calls:cases"),
            reverse("calls:conversations"),
            reverse("contacts:suppressions"),
        ],
        proveedor: [
            reverse("core:home"),
            reverse("contacts:base_list", args=[code]),
            reverse("contacts:base_detail", args=[code, base.pk]),
            reverse("contacts:segments", args=[code, base.pk]),
            reverse("content:index", args=[code]),
            reverse("content:template_edit", args=[code, template.pk]),
            reverse("dispatch:brief_sweeps", args=[code]),
            reverse("dispatch:sweep_detail", args=[sms.pk]),
            reverse("dispatch:sweep_create", args=[code]),
            reverse("dispatch:brief_inbound", args=[code]),
            reverse("calls:brief_panel", args=[code]),
            reverse("calls:results", args=[code]),
            reverse("calls:interactions", args=[code]),
            reverse("calls:typification", args=[code]),
            reverse("calls:import"),
            reverse("calls:export"),
            reverse("calls:statement"),
            reverse("calls:workbench_home"),
            reverse("reports:daily_list", args=[code]),
        ],
        superuser: [reverse("api_docs")],
    }
    # the fragments htmx swaps into those pages (progress bars, panels)
    fragments = {
        solicitante: [reverse("campaigns:home_panels")],
        proveedor: [
            reverse("dispatch:sweep_progress", args=[sms.pk]),
            reverse("contacts:base_progress", args=[code, base.pk]),
        ],
    }
    failures = {}
    charted = []
    for user, url, htmx in [
        *((user, url, False) for user, urls in pages.items() for url in urls),
        *((user, url, True) for user, urls in fragments.items() for url in urls),
    ]:
        client.force_login(user)
        # when the page is rendered for someone who may see it
        response = client.get(url, headers={"HX-Request": "true"} if htmx else {})
        # then it answers, with no inline style, under a policy that forbids them
        if response.status_code != 200:
            failures[url] = f"status {response.status_code}"
            continue
        sources = style_src(response)
        if "'unsafe-inline'" in sources or "'self'" not in sources:
            failures[url] = f"style-src {sources}"
        body = response.content.decode()
        found = inline_styles(body)
        if found:
            failures[url] = found[:3]
        if "<svg" in body and "fill=" in body:
            charted.append(url)
    client.logout()
    login = client.get(reverse("accounts:login"))
    assert inline_styles(login.content.decode()) == []
    assert style_src(login) == ["'self'"]
    assert failures == {}
    # and matplotlib's charts were among them (drawn with presentation attributes)
    assert reverse("reports:dashboard") in charted
    assert reverse("contacts:base_detail", args=[code, base.pk]) in charted
