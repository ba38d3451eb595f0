"""Bad input never gets a 500: every API endpoint and main page answers garbage with a 4xx."""

from __future__ import annotations

import pytest

from brief.campaigns.choices import Status

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
    },
]


@pytest.fixture
def brief(make_brief):
    return make_brief(Status.RECEIVED)


def _paths(code: str) -> list[str]:
    return [
        "/api/v1/briefs/",
        f"/api/v1/briefs/{code}/",
        f"/api/v1/briefs/{code}/submit/",
        f"/api/v1/briefs/{code}/return/",
        f"/api/v1/briefs/{code}/forward/",
        f"/api/v1/briefs/{code}/attachments/",
        f"/api/v1/briefs/{code}/questions/",
        f"/api/v1/briefs/{code}/questions/999/answer/",
        f"/api/v1/briefs/{code}/approvals/boss/",
        f"/api/v1/briefs/{code}/sweeps/",
        f"/api/v1/briefs/{code}/report/?format=zzz",
        f"/api/v1/briefs/{code}/templates/",
        "/api/v1/content/preview/",
        "/api/v1/bases/",
        "/api/v1/bases/inspect/",
        "/api/v1/bases/999/cancel/",
        "/api/v1/suppressions/",
        "/api/v1/suppressions/rne/",
        "/api/v1/sweeps/999/",
        "/api/v1/sweeps/999/pause/",
        "/api/v1/lookup/?document=%00%00",
        "/api/v1/briefs/NOPE/submit/",
        "/hooks/simulado/",
        "/hooks/correo/",
        f"/api/v1/briefs/{code}/inbound/?limit=zz&offset=-1",
        "/api/v1/provider-accounts/",
        "/api/v1/provider-accounts/simulado/",
        "/api/v1/provider-accounts/simulado/test/",
    ]


@pytest.mark.parametrize("payload", GARBAGE)
@pytest.mark.parametrize("who", ["analista", "proveedor", "solicitante", "outsider"])
def test_api_never_answers_500(api, brief, request, who, payload):
    from brief.dispatch.models import ProviderAccount

    ProviderAccount.objects.get_or_create(
        code="simulado",
        defaults={
            "name": "S",
            "channels": ["sms"],
            "backend": "brief.dispatch.providers.simulated.SimulatedProvider",
        },
    )
    ProviderAccount.objects.get_or_create(
        code="correo", defaults={"name": "C", "kind": "smtp", "options": {"host": "x"}}
    )
    client = api.as_user(request.getfixturevalue(who))
    for path in _paths(brief.code):
        for method in ("get", "post", "patch"):
            data = payload if method != "get" else None
            response = getattr(client, method)(path, data, format="json")
            assert response.status_code < 500, (method, path, response.status_code)


@pytest.mark.parametrize("who", ["analista", "proveedor", "solicitante", "outsider", "auditor"])
def test_pages_never_answer_500(client, brief, request, who):
    client.force_login(request.getfixturevalue(who))
    code = brief.code
    pages = [
        "/",
        "/briefs/",
        "/briefs/tablero/?area=zz&desde=xx",
        "/briefs/nuevo/",
        f"/briefs/{code}/",
        f"/briefs/{code}/editar/",
        f"/briefs/{code}/bases/",
        "/bases/nueva/?adjunto=abc",
        "/bases/999999/",
        "/exclusiones/?channel=zz",
        "/consulta/?document=%3Cscript%3E",
        "/auditoria/?desde=ayer",
        "/l/garbage",
        "/baja/garbage/",
        f"/briefs/{code}/contenido/",
        f"/briefs/{code}/barridos/nuevo/",
        f"/briefs/{code}/respuestas/?page=zz",
        "/barridos/999999/",
        f"/briefs/{code}/f559/9.pdf",
        f"/briefs/{code}/adjuntos/999/",
    ]
    for page in pages:
        for method in ("get", "post"):
            response = getattr(client, method)(page, {"x": "y", "channel": "zz"})
            assert response.status_code < 500, (method, page, response.status_code)


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
def test_provider_accounts_never_answer_500_to_an_administrator(api, make_user, payload):
    from brief.dispatch.models import ProviderAccount

    admin = make_user("root")
    admin.is_superuser = True
    admin.save()
    ProviderAccount.objects.create(code="simulado", name="S", kind="simulated", channels=["sms"])
    client = api.as_user(admin)
    for path in (
        "/api/v1/provider-accounts/",
        "/api/v1/provider-accounts/simulado/",
        "/api/v1/provider-accounts/simulado/test/",
        "/api/v1/provider-accounts/nadie/",
    ):
        for method in ("get", "post", "patch"):
            data = payload if method != "get" else None
            response = getattr(client, method)(path, data, format="json")
            assert response.status_code < 500, (method, path, response.status_code)
