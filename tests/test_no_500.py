"""Bad input never gets a 500: every API endpoint and main page answers garbage with a 4xx.

Every probed path is built with ``reverse()`` from real objects (or ids that do not exist where
the route takes one), and each probe proves first that it resolves to the view it names, so a
probe can never pass by hitting a path that has no route.
"""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, resolve, reverse

from brief.campaigns import actions as brief_actions
from brief.dispatch.models import ProviderAccount, Sweep

GARBAGE = [
    {},
    {
        "channel": 7,
        "template": "x",
        "text": None,
        "name": ["a"],
        "start_date": "31/02/2026",
        "attachment": "nope",
        "mapping": "x",
        "filters": [1],
        "kind": {"a": 1},
        "checklist": "x",
        "provider": 5,
        "format": "zzz",
        "value": "",
        "decision": "maybe",
        "reason": ["a", "b"],
        "note": {"a": 1},
    },
]
MISSING = 999_999


@pytest.fixture
def world(campaign, proveedor, accounts):
    """A brief with a ready base, templates, a question, a sweep and a stored F559 version."""
    brief, base, templates = campaign(n=5)
    question = brief_actions.ask_question(brief, actor=proveedor, text="¿Fecha de corte?")
    sweep = Sweep.objects.create(
        brief=brief,
        number=1,
        channel="sms",
        template=templates["sms"],
        base=base,
        provider_account=accounts["locmem"],
        created_by=proveedor,
    )
    ProviderAccount.objects.create(
        code="correo", name="Correo", kind="smtp", options={"host": "127.0.0.1"}
    )
    return {
        "brief": brief,
        "base": base,
        "template": templates["sms"],
        "question": question,
        "sweep": sweep,
        "attachment": brief.attachments.first(),
        "version": brief.versions.first(),
    }


def _probe(name: str, query: str = "", **kwargs) -> str:
    """The path of view ``name``; fails unless the path resolves back to that same view."""
    path = reverse(name, kwargs=kwargs)
    assert resolve(path).view_name == name, (name, path)
    return f"{path}?{query}" if query else path


def _api_paths(w) -> list[str]:
    code, base, sweep = w["brief"].code, w["base"].pk, w["sweep"].pk
    return [
        _probe("api:brief-list"),
        _probe("api:brief-detail", code=code),
        _probe("api:brief-detail", code="NOPE"),
        *(
            _probe(f"api:brief-action-{action}", code=code)
            for action in ("submit", "return", "forward", "load_base", "deliver_results")
        ),
        _probe("api:brief-action-submit", code="NOPE"),
        _probe("api:brief-attachments", code=code),
        _probe("api:brief-questions", code=code),
        _probe("api:brief-answer", code=code, qid=w["question"].pk),
        _probe("api:brief-answer", code=code, qid=MISSING),
        _probe("api:brief-approve", code=code, which="boss"),
        _probe("api:brief-refuse-approval", code=code, which="comms"),
        _probe("api:brief-request-approval", code=code, which="boss"),
        _probe("api:brief-action-refuse_exit", code=code),
        _probe("api:brief-timeline", code=code),
        _probe("api:brief_sweeps", code=code),
        _probe("api:brief_report", "format=zzz", code=code),
        _probe("api:brief_templates", code=code),
        _probe("api:brief_creatives", code=code),
        _probe("api:template_detail", pk=w["template"].pk),
        _probe("api:brief_inbound", "limit=zz&offset=-1", code=code),
        _probe("api:content_preview"),
        _probe("api:base-list"),
        _probe("api:base-inspect"),
        _probe("api:base-detail", pk=base),
        _probe("api:base-cancel", pk=base),
        _probe("api:base-cancel", pk=MISSING),
        _probe("api:base-segments", pk=base),
        _probe("api:base-count", pk=base),
        _probe("api:base-rejects", pk=base),
        _probe("api:suppression-list"),
        _probe("api:suppression-rne"),
        _probe("api:sweep_detail", pk=sweep),
        _probe("api:sweep_detail", pk=MISSING),
        _probe("api:sweep_control", pk=sweep, command="pause"),
        _probe("api:sweep_control", pk=sweep, command="zzz"),
        _probe("api:lookup", "document=%00%00"),
        _probe("api:lookup", "phone=%00&email=x"),
        _probe("api:lookup", "email=a@b.co&page=zz"),
        _probe("provider_callback", code="simulado"),
        _probe("provider_callback", code="correo"),
        _probe("provider_callback", code="nadie"),
        _probe("api:provider_account-list"),
        _probe("api:provider_account-detail", code="simulado"),
        _probe("api:provider_account-test", code="simulado"),
    ]


def _pages(w) -> list[str]:
    code, base, sweep = w["brief"].code, w["base"].pk, w["sweep"].pk
    return [
        _probe("core:home"),
        _probe("campaigns:brief_list"),
        _probe("campaigns:board", "area=zz&desde=xx"),
        _probe("campaigns:brief_create"),
        _probe("campaigns:home_panels"),
        _probe("campaigns:brief_detail", code=code),
        _probe("campaigns:brief_detail", code="NOPE"),
        _probe("campaigns:brief_edit", code=code),
        _probe("campaigns:attachment_upload", code=code),
        _probe("campaigns:attachment_download", code=code, pk=w["attachment"].pk),
        _probe("campaigns:attachment_download", code=code, pk=MISSING),
        *(
            _probe(f"campaigns:attachment_{name}", code=code, pk=pk)
            for name in ("replace", "mark_current", "withdraw", "verify")
            for pk in (w["attachment"].pk, MISSING)
        ),
        _probe("campaigns:f559_pdf", code=code, number=w["version"].number),
        _probe("campaigns:f559_pdf", code=code, number=9),
        _probe("campaigns:approve", code=code, which="nadie"),
        _probe("campaigns:approval_refuse", code=code, which="comms"),
        _probe("campaigns:approval_request", code=code, which="boss"),
        _probe("campaigns:action", code=code, action="zzz"),
        _probe("campaigns:question_ask", code=code),
        _probe("campaigns:question_answer", code=code, pk=w["question"].pk),
        _probe("contacts:base_list", code=code),
        _probe("contacts:base_map", "adjunto=abc", code=code),
        _probe("contacts:base_detail", code=code, pk=base),
        _probe("contacts:base_detail", code=code, pk=MISSING),
        _probe("contacts:base_progress", code=code, pk=base),
        _probe("contacts:base_cancel", code=code, pk=base),
        _probe("contacts:base_rejects", code=code, pk=base, fmt="zip"),
        _probe("contacts:segments", code=code, pk=base),
        _probe("contacts:segment_count", code=code, pk=base),
        _probe("contacts:suppressions", "channel=zz"),
        _probe("contacts:suppression_add"),
        _probe("contacts:suppression_rne"),
        _probe("calls:history", "document=%3Cscript%3E"),
        _probe("calls:history", "phone=%3Cscript%3E&page=99999"),
        _probe("core:audit_list", "desde=ayer"),
        _probe("core:audit_export", "formato=zip&desde=2026-13-01&page=zz"),
        _probe("core:audit_list", "tipo=NOPE&hasta=2026-02-30&page=-1"),
        _probe("content:index", code=code),
        _probe("content:template_new", code=code),
        _probe("content:template_edit", code=code, pk=w["template"].pk),
        _probe("content:template_preview", code=code),
        _probe("content:mail_preview", code=code, token="garbage"),
        _probe("content:creative_upload", code=code),
        _probe("content:creative_download", code=code, pk=MISSING),
        _probe("content:link_open", token="garbage"),
        _probe("dispatch:unsubscribe", token="garbage"),
        _probe("dispatch:brief_sweeps", code=code),
        _probe("dispatch:sweep_create", code=code),
        _probe("dispatch:brief_inbound", "page=zz", code=code),
        _probe("dispatch:sweep_detail", pk=sweep),
        _probe("dispatch:sweep_detail", pk=MISSING),
        _probe("dispatch:sweep_progress", pk=sweep),
        _probe("dispatch:sweep_decide", pk=sweep),
        _probe("dispatch:sweep_control", pk=sweep, command="zzz"),
    ]


def test_a_probe_for_a_path_without_a_route_fails():
    # given a name that does not exist, the probe helper refuses before any request is made
    with pytest.raises(NoReverseMatch):
        _probe("contacts:base_new")


@pytest.mark.parametrize("payload", GARBAGE)
@pytest.mark.parametrize("who", ["analista", "proveedor", "solicitante", "outsider"])
def test_api_never_answers_500(api, world, request, who, payload):
    client = api.as_user(request.getfixturevalue(who))
    for path in _api_paths(world):
        for method in ("get", "post", "patch"):
            data = payload if method != "get" else None
            response = getattr(client, method)(path, data, format="json")
            assert response.status_code < 500, (method, path, response.status_code)


@pytest.mark.parametrize("who", ["analista", "proveedor", "solicitante", "outsider", "auditor"])
def test_pages_never_answer_500(client, world, request, who):
    client.force_login(request.getfixturevalue(who))
    for page in _pages(world):
        for method in ("get", "post"):
            response = getattr(client, method)(page, {"x": "y", "channel": "zz"})
            assert response.status_code < 500, (method, page, response.status_code)


def test_probes_reach_their_views_for_a_user_who_may_see_them(client, world, analista):
    # given OCM, who may read every brief, base and sweep
    client.force_login(analista)
    code, base, sweep = world["brief"].code, world["base"].pk, world["sweep"].pk
    # when the pages of existing objects are read, then each answers 200 (not a 404 of no route)
    for page in (
        _probe("campaigns:brief_detail", code=code),
        _probe("contacts:base_detail", code=code, pk=base),
        _probe("dispatch:sweep_detail", pk=sweep),
        _probe("content:index", code=code),
    ):
        assert client.get(page).status_code == 200, page
    # and the ones for ids that do not exist answer 404
    for page in (
        _probe("contacts:base_detail", code=code, pk=MISSING),
        _probe("dispatch:sweep_detail", pk=MISSING),
        _probe("campaigns:brief_detail", code="NOPE"),
    ):
        assert client.get(page).status_code == 404, page


@pytest.mark.parametrize(
    "payload",
    [
        *GARBAGE,
        ["x"],
        "texto",
        {"code": "x", "kind": "smpp", "options": {"password": {"a": 1}}, "channels": "sms"},
        {"code": "x", "kind": "simulated", "options": "x", "rate_per_second": "rápido"},
        {"to": 7, "text": ["x"], "channel": None},
    ],
)
def test_provider_accounts_never_answer_500_to_an_administrator(api, superuser, payload):
    ProviderAccount.objects.create(code="simulado", name="S", kind="simulated", channels=["sms"])
    client = api.as_user(superuser)
    for code in (None, "simulado", "nadie"):
        paths = (
            [_probe("api:provider_account-list")]
            if code is None
            else [
                _probe("api:provider_account-detail", code=code),
                _probe("api:provider_account-test", code=code),
            ]
        )
        for path in paths:
            for method in ("get", "post", "patch"):
                data = payload if method != "get" else None
                response = getattr(client, method)(path, data, format="json")
                assert response.status_code < 500, (method, path, response.status_code)
