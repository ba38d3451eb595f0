"""Content API: preview (DESIGN §6) and templates of a brief."""

from __future__ import annotations

import pytest

from brief.campaigns import actions as brief_actions
from brief.campaigns.choices import Status
from brief.content.models import Template
from brief.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_preview_returns_the_sms_analysis(api, solicitante):
    r = api.as_user(solicitante).post(
        "/api/v1/content/preview/", {"channel": "sms", "text": "Información"}, format="json"
    )
    assert r.status_code == 200
    data = r.json()
    assert {k: data[k] for k in ("encoding", "characters", "segments")} == {
        "encoding": "UCS-2",
        "characters": 11,
        "segments": 1,
    }
    assert data["non_gsm_characters"] == ["ó"]
    assert data["transliterated"] == "Informacion"


def test_preview_keeps_trailing_spaces_and_counts_the_euro(api, solicitante):
    r = api.as_user(solicitante).post(
        "/api/v1/content/preview/", {"channel": "sms", "text": "€  "}, format="json"
    )
    assert (r.json()["encoding"], r.json()["characters"]) == ("GSM-7", 4)


def test_preview_rejects_a_bad_channel_in_spanish(api, solicitante):
    r = api.as_user(solicitante).post(
        "/api/v1/content/preview/", {"channel": "fax", "text": "Hola"}, format="json"
    )
    assert r.status_code == 400
    assert r.json() == {
        "errors": [
            {
                "code": "invalid_channel",
                "message": "Canal no válido: «fax». Use sms, email, whatsapp, voice o call.",
                "field": "channel",
            }
        ]
    }


def test_preview_with_a_brief_estimates_the_cost(api, solicitante, make_brief, make_base):
    brief = make_brief(Status.DRAFT)
    make_base(brief)
    r = api.as_user(solicitante).post(
        "/api/v1/content/preview/",
        {"channel": "sms", "text": "a" * 161, "brief": brief.code},
        format="json",
    )
    assert (r.json()["segments"], r.json()["recipients"], r.json()["estimated_units"]) == (
        2,
        2500,
        5000,
    )


def test_preview_needs_authentication(api):
    r = api.post("/api/v1/content/preview/", {"channel": "sms", "text": "x"}, format="json")
    assert r.status_code in (401, 403)


def test_create_sms_template_201(api, solicitante, make_brief):
    brief = make_brief(Status.DRAFT)
    r = api.as_user(solicitante).post(
        f"/api/v1/briefs/{brief.code}/templates/",
        {"channel": "sms", "body": "Hola {nombres}, actualice sus datos: https://icetex.gov.co/d"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    template = Template.objects.get(pk=r.json()["id"])
    assert (template.brief, template.channel, template.name) == (brief, "sms", "SMS 1")
    assert r.json()["links"] == [{"id": template.links.get().pk, "url": "https://icetex.gov.co/d"}]
    assert AuditEvent.objects.filter(type="TEMPLATE_CREATED", target_id=str(brief.pk)).exists()
    listed = api.get(f"/api/v1/briefs/{brief.code}/templates/").json()
    assert [t["id"] for t in listed] == [template.pk]


def test_email_html_with_unsafe_parts_is_refused_with_what_would_be_removed(
    api, solicitante, make_brief
):
    # given an e-mail body with a script, an event handler and a javascript: link
    brief = make_brief(Status.DRAFT)
    r = api.as_user(solicitante).post(
        f"/api/v1/briefs/{brief.code}/templates/",
        {
            "channel": "email",
            "subject": "Actualice sus datos",
            "html": '<p onclick="x()">Hola {nombres}<script>alert(1)</script>'
            '<a href="javascript:alert(1)">x</a><script>alert(2)</script></p>',
            "sender": "ICETEX <campanas@icetex.gov.co>",
        },
        format="json",
    )
    # then it is refused with a structured 400 naming each removed part, and nothing is saved
    assert r.status_code == 400
    assert r.json()["errors"] == [
        {
            "code": "unsafe_html",
            "message": "El cuerpo del correo tiene contenido que no se envía por seguridad y no "
            "se guardó: el atributo «onclick» de <p>; la etiqueta <script> (2 veces); el enlace "
            "«javascript:» de <a>. Quítelo y guarde de nuevo.",
            "field": "html",
        }
    ]
    assert not Template.objects.exists()


def test_editor_html_is_saved_sanitized_without_a_warning(api, solicitante, make_brief):
    # given the HTML the visual editor produces (a link with target and rel)
    brief = make_brief(Status.DRAFT)
    r = api.as_user(solicitante).post(
        f"/api/v1/briefs/{brief.code}/templates/",
        {
            "channel": "email",
            "subject": "Actualice sus datos",
            "html": '<p>Hola <strong>{nombres}</strong>, <a target="_blank" '
            'rel="noopener noreferrer nofollow" href="https://icetex.gov.co/d">actualice</a></p>',
            "sender": "ICETEX <campanas@icetex.gov.co>",
        },
        format="json",
    )
    # then it is saved; harmless clean-ups (target, rel) happen without a word
    assert r.status_code == 201, r.json()
    assert r.json()["html"] == (
        '<p>Hola <strong>{nombres}</strong>, <a href="https://icetex.gov.co/d" '
        'rel="noopener noreferrer">actualice</a></p>'
    )


def test_email_template_needs_a_sender(api, solicitante, make_brief):
    brief = make_brief(Status.DRAFT)
    r = api.as_user(solicitante).post(
        f"/api/v1/briefs/{brief.code}/templates/",
        {"channel": "email", "subject": "Aviso", "html": "<p>Hola</p>", "sender": " "},
        format="json",
    )
    assert r.status_code == 400
    assert r.json()["errors"] == [
        {
            "code": "required",
            "message": "Indique el remitente del correo: nombre y dirección, p. ej. "
            "«ICETEX <notificaciones@icetex.gov.co>».",
            "field": "sender",
        }
    ]
    assert not Template.objects.exists()


def test_email_template_needs_a_subject(api, solicitante, make_brief):
    brief = make_brief(Status.DRAFT)
    r = api.as_user(solicitante).post(
        f"/api/v1/briefs/{brief.code}/templates/",
        {"channel": "email", "html": "<p>Hola</p>", "sender": "no es correo"},
        format="json",
    )
    assert r.status_code == 400
    assert r.json()["errors"] == [
        {"code": "required", "message": "Escriba el asunto del correo.", "field": "subject"},
        {
            "code": "invalid",
            "message": "«no es correo» no es una dirección de correo válida.",
            "field": "sender",
        },
    ]
    assert not Template.objects.exists()


def test_whatsapp_template_variables_must_match(api, solicitante, make_brief):
    brief = make_brief(Status.DRAFT, channels=["whatsapp"])
    payload = {
        "channel": "whatsapp",
        "wa_name": "actualizacion_datos",
        "wa_language": "es_CO",
        "wa_category": "utility",
        "body": "Hola {{1}}, su saldo es {{2}}.",
        "wa_variables": ["nombres"],
    }
    client = api.as_user(solicitante)
    r = client.post(f"/api/v1/briefs/{brief.code}/templates/", payload, format="json")
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "wa_variables"
    payload["wa_variables"] = ["nombres", "saldo"]
    r = client.post(f"/api/v1/briefs/{brief.code}/templates/", payload, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["wa_variables"] == ["nombres", "saldo"]


def test_channel_outside_the_brief_is_refused(api, solicitante, make_brief):
    brief = make_brief(Status.DRAFT)  # sms + email
    r = api.as_user(solicitante).post(
        f"/api/v1/briefs/{brief.code}/templates/",
        {"channel": "voice", "body": "Hola"},
        format="json",
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["code"] == "channel_not_in_brief"


def test_bad_channel_in_template_is_400(api, solicitante, make_brief):
    brief = make_brief(Status.DRAFT)
    r = api.as_user(solicitante).post(
        f"/api/v1/briefs/{brief.code}/templates/", {"channel": "fax"}, format="json"
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "channel"


def test_other_area_gets_403_and_nothing_is_written(api, outsider, make_brief):
    brief = make_brief(Status.DRAFT)
    r = api.as_user(outsider).post(
        f"/api/v1/briefs/{brief.code}/templates/", {"channel": "sms", "body": "x"}, format="json"
    )
    assert r.status_code == 403
    assert r.json()["errors"][0]["code"] == "permission_denied"
    assert api.get(f"/api/v1/briefs/{brief.code}/templates/").status_code == 403
    assert not Template.objects.exists()


def test_frozen_content_gives_409(api, make_brief, solicitante, analista, proveedor):
    # given a template that the exit approval froze
    brief = make_brief(Status.AWAITING_EXIT_APPROVAL)
    before = Template.objects.count()  # one per channel, asked for by request_exit
    client = api.as_user(analista)
    r = client.post(
        f"/api/v1/briefs/{brief.code}/templates/",
        {"channel": "sms", "body": "Hola {nombres}"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    template_id = r.json()["id"]
    brief_actions.perform(brief, "approve_exit", actor=solicitante)
    template = Template.objects.get(pk=template_id)
    assert template.frozen_sha256 == template.content_digest()
    # when OCM tries to add or change content
    added = client.post(
        f"/api/v1/briefs/{brief.code}/templates/", {"channel": "sms", "body": "x"}, format="json"
    )
    changed = client.patch(f"/api/v1/templates/{template_id}/", {"body": "x"}, format="json")
    # then both are refused with 409, and nothing changed
    assert added.status_code == 409
    assert changed.status_code == 409
    assert changed.json()["errors"][0]["code"] == "template_frozen"
    template.refresh_from_db()
    assert (template.body, template.version) == ("Hola {nombres}", 1)
    assert Template.objects.count() == before + 1


def test_patch_bumps_the_version(api, solicitante, make_brief):
    brief = make_brief(Status.DRAFT)
    client = api.as_user(solicitante)
    created = client.post(
        f"/api/v1/briefs/{brief.code}/templates/", {"channel": "sms", "body": "A"}, format="json"
    ).json()
    r = client.patch(f"/api/v1/templates/{created['id']}/", {"body": "B"}, format="json")
    assert r.status_code == 200
    assert (r.json()["body"], r.json()["version"]) == ("B", 2)


@pytest.mark.parametrize("payload", [["sms", "hola"], "hola", 7])
def test_preview_with_a_body_that_is_not_an_object_is_400(api, solicitante, payload):
    r = api.as_user(solicitante).post("/api/v1/content/preview/", payload, format="json")
    assert r.status_code == 400
    assert r.json()["errors"][0]["code"] == "invalid"


def test_create_email_template_with_the_contract_fields(api, solicitante, make_brief):
    # DESIGN §6: {"channel", "body"}; e-mail adds "subject"
    brief = make_brief(Status.DRAFT)
    r = api.as_user(solicitante).post(
        f"/api/v1/briefs/{brief.code}/templates/",
        {
            "channel": "email",
            "subject": "Aviso",
            "sender": "ICETEX <campanas@icetex.gov.co>",
            "body": "Hola {nombres}, https://icetex.gov.co/d",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    template = Template.objects.get(pk=r.json()["id"])
    assert template.text == "Hola {nombres}, https://icetex.gov.co/d"
    assert template.links.get().url == "https://icetex.gov.co/d"


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"script_sections": 123}, "script_sections", "invalid"),
        ({"script_sections": [{"title": "Saludo"}]}, "script_sections", "invalid"),
        ({"body": "x" * 10_001}, "body", "max_length"),
    ],
)
def test_patch_with_a_wrong_type_or_size_is_400_and_stores_nothing(
    api, solicitante, make_brief, client, payload, field, code
):
    from django.urls import reverse

    brief = make_brief(Status.DRAFT)
    user_api = api.as_user(solicitante)
    created = user_api.post(
        reverse("api:brief_templates", kwargs={"code": brief.code}),
        {"channel": "sms", "body": "Hola {nombres}"},
        format="json",
    ).json()
    url = reverse("api:template_detail", kwargs={"pk": created["id"]})
    response = user_api.patch(url, payload, format="json")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == (field, code)
    template = Template.objects.get(pk=created["id"])
    assert (template.body, template.script_sections, template.version) == ("Hola {nombres}", [], 1)
    client.force_login(solicitante)
    page = client.get(reverse("content:index", kwargs={"code": brief.code}))
    assert page.status_code == 200
