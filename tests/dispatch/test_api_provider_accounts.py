"""Provider accounts over the API: admin only, options checked per kind, secrets write-only,
callback URL, delete refused while sweeps exist, and the test send against an SMTP sink."""

from __future__ import annotations

import pytest
from django.urls import reverse

from brief.core.models import AuditEvent
from brief.dispatch.models import ProviderAccount
from brief.dispatch.providers.options import resolve_secret
from tests.services import smtp_sink

SMPP = {
    "code": "smpp-claro",
    "kind": "smpp",
    "channels": ["sms"],
    "rate_per_second": 80,
    "options": {
        "host": "10.0.0.5",
        "port": 2775,
        "system_id": "icetex",
        "password": "muy-secreto",
        "window": 10,
    },
}


@pytest.fixture
def admin(make_user):
    user = make_user("root")
    user.is_superuser = user.is_staff = True
    user.save()
    return user


def url(code: str | None = None, action: str = "") -> str:
    if code is None:
        return reverse("api:provider_account-list")
    if action:
        return reverse(f"api:provider_account-{action}", args=[code])
    return reverse("api:provider_account-detail", args=[code])


def test_only_administrators_reach_provider_accounts(api, analista, proveedor, auditor, admin):
    api.as_user(admin).post(url(), SMPP, format="json")
    for user in (analista, proveedor, auditor):
        client = api.as_user(user)
        for response in (
            client.get(url()),
            client.post(url(), {**SMPP, "code": "otra"}, format="json"),
            client.get(url("smpp-claro")),
            client.patch(url("smpp-claro"), {"rate_per_second": 1}, format="json"),
            client.delete(url("smpp-claro")),
            client.post(url("smpp-claro", "test"), {"to": "+573001234567"}, format="json"),
        ):
            assert response.status_code == 403
            assert response.json()["errors"][0]["code"] == "permission_denied"
    account = ProviderAccount.objects.get()
    assert (account.code, account.rate_per_second) == ("smpp-claro", 80)


def test_create_maps_kind_to_adapter_and_never_echoes_secrets(api, admin, settings):
    settings.SITE_URL = "https://brief.example"
    client = api.as_user(admin)
    # when an SMPP account is created with its password
    response = client.post(url(), SMPP, format="json")
    # then the answer shows the adapter and the callback URL, and hides the password
    assert response.status_code == 201
    body = response.json()
    assert body["backend"] == "brief.dispatch.providers.smpp.SMPPProvider"
    assert body["callback_url"] == "https://brief.example/hooks/smpp-claro/"
    assert body["options"]["password"] == "***"
    assert body["options"]["system_id"] == "icetex"
    assert "muy-secreto" not in response.content.decode()
    assert "muy-secreto" not in client.get(url()).content.decode()
    assert "muy-secreto" not in client.get(url("smpp-claro")).content.decode()
    # and stored as given, with an audit event that names options, not values
    account = ProviderAccount.objects.get(code="smpp-claro")
    assert account.options["password"] == "muy-secreto"
    event = AuditEvent.objects.get(type="PROVIDER_ACCOUNT_CREATED")
    assert "muy-secreto" not in str(event.details)


def test_patch_keeps_masked_secrets_and_takes_file_or_env_sources(api, admin, tmp_path):
    client = api.as_user(admin)
    client.post(url(), SMPP, format="json")
    current = client.get(url("smpp-claro")).json()
    # a masked secret sent back unchanged keeps the stored one
    response = client.patch(
        url("smpp-claro"), {"options": {**current["options"], "window": 50}}, format="json"
    )
    assert response.status_code == 200
    account = ProviderAccount.objects.get()
    assert account.options["password"] == "muy-secreto"
    assert account.options["window"] == 50
    # the password may move to a file read at use time
    secret = tmp_path / "smpp.pass"
    secret.write_text("de-archivo\n")
    response = client.patch(
        url("smpp-claro"),
        {"options": {"password": None, "password_file": str(secret)}},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["options"]["password_file"] == str(secret)
    account.refresh_from_db()
    assert "password" not in account.options
    assert resolve_secret(account.options, "password") == "de-archivo"
    # the code is the callback URL: it cannot change
    response = client.patch(url("smpp-claro"), {"code": "otra"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "code"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "fax"}, "kind"),
        ({"channels": ["email"]}, "channels"),
        ({"options": {"host": "x"}}, "options"),  # port, system_id and password missing
        ({"options": {**SMPP["options"], "pasword": "x"}}, "options"),  # a typo
        ({"options": {**SMPP["options"], "password": 7}}, "options"),
        ({"options": ["no", "dict"]}, "options"),
        ({"rate_per_second": -1}, "rate_per_second"),
        ({"code": "con espacios"}, "code"),
    ],
)
def test_bad_bodies_answer_400_with_the_field(api, admin, change, field):
    response = api.as_user(admin).post(url(), {**SMPP, **change}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert not ProviderAccount.objects.exists()


def test_delete_refused_while_the_account_has_sweeps(api, admin, campaign, proveedor):
    from brief.dispatch import actions

    client = api.as_user(admin)
    client.post(url(), {"code": "libre", "kind": "simulated"}, format="json")
    assert client.delete(url("libre")).status_code == 204
    assert not ProviderAccount.objects.filter(code="libre").exists()
    brief, _, templates = campaign(n=1, channels=("sms",))
    actions.create_sweep(
        brief, actor=proveedor, channel="sms", template=templates["sms"], provider_account="locmem"
    )
    response = client.delete(url("locmem"))
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "has_sweeps"
    assert "desactívela" in response.json()["errors"][0]["message"]
    assert ProviderAccount.objects.filter(code="locmem").exists()


def test_test_send_goes_through_the_adapter_to_a_real_smtp_sink(api, admin):
    client = api.as_user(admin)
    with smtp_sink() as (port, sink):
        created = client.post(
            url(),
            {
                "code": "correo",
                "kind": "smtp",
                "options": {"host": "127.0.0.1", "port": port, "start_tls": False},
            },
            format="json",
        )
        assert created.status_code == 201
        assert created.json()["channels"] == ["email"]
        response = client.post(
            url("correo", "test"),
            {"to": "prueba@correo.co", "text": "Hola desde Brief"},
            format="json",
        )
    assert response.status_code == 200
    answer = response.json()
    assert answer["accepted"] is True
    assert answer["provider_message_id"].startswith("<brief-0@")
    assert len(sink.messages) == 1
    assert sink.messages[0]["To"] == "prueba@correo.co"
    assert sink.messages[0].get_body(("plain",)).get_content().strip() == "Hola desde Brief"


def test_test_send_reports_a_refusal(api, admin):
    from tests.services import free_port

    client = api.as_user(admin)
    port = free_port()  # nobody listens there
    client.post(
        url(),
        {
            "code": "caido",
            "kind": "smtp",
            "options": {"host": "127.0.0.1", "port": port, "timeout": 2},
        },
        format="json",
    )
    response = client.post(url("caido", "test"), {"to": "a@b.co"}, format="json")
    assert response.status_code == 200
    assert response.json()["accepted"] is False
    assert response.json()["detail"]
    bad = client.post(url("caido", "test"), {"to": "a@b.co", "channel": "sms"}, format="json")
    assert bad.status_code == 400
    assert client.post(url("caido", "test"), ["x"], format="json").status_code == 400


def test_admin_masks_secrets_and_keeps_them_when_sent_back(client, admin):
    import json

    from brief.dispatch.admin import ProviderAccountForm

    account = ProviderAccount.objects.create(
        code="smpp-claro", name="Claro", kind="smpp", channels=["sms"], options=SMPP["options"]
    )
    client.force_login(admin)
    page = client.get(reverse("admin:dispatch_provideraccount_change", args=[account.pk]))
    assert page.status_code == 200
    assert "muy-secreto" not in page.content.decode()
    # the form posted back with the masked value keeps the stored password
    form = ProviderAccountForm(
        data={
            "code": "smpp-claro",
            "name": "Claro",
            "kind": "smpp",
            "channels": json.dumps(["sms"]),
            "options": json.dumps({**SMPP["options"], "password": "***", "window": 20}),
            "rate_per_second": 80,
            "concurrency": 8,
            "chunk_size": 500,
            "active": "on",
        },
        instance=account,
    )
    assert form.is_valid(), form.errors
    form.save()
    account.refresh_from_db()
    assert account.options["password"] == "muy-secreto"
    assert account.options["window"] == 20
    assert account.backend == "brief.dispatch.providers.smpp.SMPPProvider"
