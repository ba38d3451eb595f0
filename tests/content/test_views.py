"""Content pages: index, editor (live counter through the preview endpoint), previews."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from brief.campaigns.choices import Status
from brief.content import actions
from brief.content.forms import format_script, parse_script
from brief.content.models import Creative, Template
from brief.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def frame_src(html: str) -> str:
    """The URL the e-mail preview's frame shows."""
    return html.split('<iframe class="mail" sandbox')[1].split('src="')[1].split('"')[0]


def test_brief_page_links_to_its_content(client, solicitante, make_brief):
    brief = make_brief(Status.DRAFT)
    client.force_login(solicitante)
    tab = reverse("campaigns:brief_detail", args=[brief.code]) + "?tab=contenido"
    body = client.get(tab).content.decode()
    assert f'href="/briefs/{brief.code}/contenido/"' in body
    assert "Contenido del mensaje" in body


def test_content_index_lists_channels_templates_and_creatives(client, solicitante, make_brief):
    brief = make_brief(Status.DRAFT)
    actions.create_template(brief, actor=solicitante, data={"channel": "sms", "body": "Hola"})
    client.force_login(solicitante)
    response = client.get(f"/briefs/{brief.code}/contenido/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nueva plantilla de SMS" in body
    assert "Nueva plantilla de Correo electrónico" in body
    assert "SMS 1" in body
    assert "Cargar pieza" in body


def test_other_area_cannot_open_the_content(client, outsider, make_brief):
    brief = make_brief(Status.DRAFT)
    client.force_login(outsider)
    assert client.get(f"/briefs/{brief.code}/contenido/").status_code == 403
    assert (
        client.get(f"/briefs/{brief.code}/contenido/plantillas/nueva/?canal=sms").status_code == 403
    )


def test_editor_shows_the_counter_and_creates_the_template(client, solicitante, make_brief):
    brief = make_brief(Status.DRAFT)
    client.force_login(solicitante)
    url = f"/briefs/{brief.code}/contenido/plantillas/nueva/?canal=sms"
    body = client.get(url).content.decode()
    assert 'hx-post="/api/v1/content/preview/"' in body
    assert 'hx-trigger="keyup changed delay:300ms' in body
    assert 'id="sms-encoding"' in body
    response = client.post(
        url,
        {
            "channel": "sms",
            "name": "Recordatorio",
            "body": "Hola {nombres}",
            "missing_policy": "skip",
        },
    )
    template = Template.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/briefs/{brief.code}/contenido/plantillas/{template.pk}/"
    assert (template.name, template.body) == ("Recordatorio", "Hola {nombres}")


def test_editor_shows_action_errors_on_the_field(client, solicitante, make_brief):
    brief = make_brief(Status.DRAFT)
    client.force_login(solicitante)
    response = client.post(
        f"/briefs/{brief.code}/contenido/plantillas/nueva/?canal=email",
        {"channel": "email", "html": "<p>x</p>", "missing_policy": "skip"},
    )
    assert response.status_code == 400
    assert "Escriba el asunto del correo." in response.content.decode()
    assert not Template.objects.exists()


def test_htmx_counter_comes_from_the_preview_endpoint(client, solicitante, make_brief, make_base):
    brief = make_brief(Status.DRAFT)
    make_base(brief)
    client.force_login(solicitante)
    response = client.post(
        "/api/v1/content/preview/",
        {"channel": "sms", "brief": brief.code, "body": "Información"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<dd id="sms-encoding" class="ucs2">UCS-2</dd>' in html
    assert '<dd id="sms-characters">11</dd>' in html
    assert '<dd id="sms-segments">1</dd>' in html
    assert 'data-text="Informacion"' in html
    assert "1 segmento × 2\xa0500 destinatarios utilizables = <strong>2\xa0500 segmentos" in html


def test_preview_with_a_real_contact(client, solicitante, make_brief, make_base):
    brief = make_brief(Status.DRAFT)
    make_base(brief)
    client.force_login(solicitante)
    url = f"/briefs/{brief.code}/contenido/vista-previa/"
    data = {"channel": "sms", "body": "Hola {nombres}, saldo {saldo}", "missing_policy": "skip"}
    html = client.post(url, data).content.decode()
    assert "Hola Ana María, saldo $1.250.000" in html
    html = client.post(url, {**data, "document": "79888777"}).content.decode()
    assert "Falta el dato «saldo»" in html
    html = client.post(
        url,
        {**data, "document": "79888777", "missing_policy": "fallback", "fallbacks": "saldo = 0"},
    ).content.decode()
    assert "Hola Luis, saldo 0" in html
    assert AuditEvent.objects.filter(type="CONTACT_PREVIEWED").count() == 3


def test_email_preview_is_a_framed_document_with_its_own_policy(
    client, solicitante, outsider, make_brief, make_base
):
    # given a requester previewing an e-mail whose HTML styles itself inline
    brief = make_brief(Status.DRAFT)
    make_base(brief)
    client.force_login(solicitante)
    data = {
        "channel": "email",
        "subject": "Hola",
        "html": '<p style="color: #b3261e">Hola {nombres}</p>',
        "missing_policy": "skip",
    }
    # when the preview is rendered
    html = client.post(reverse("content:template_preview", args=[brief.code]), data)
    # then the page fragment frames a URL (not srcdoc, which would inherit the page's policy)
    body = html.content.decode()
    assert "srcdoc" not in body
    src = frame_src(body)
    assert src.startswith(reverse("content:index", args=[brief.code]))
    # and that URL serves the e-mail, inline style kept, under a policy that allows only it
    frame = client.get(src)
    assert frame.status_code == 200
    assert '<p style="color:#b3261e">Hola Ana María</p>' in frame.content.decode()
    policy = dict(
        part.strip().split(" ", 1) if " " in part.strip() else (part.strip(), "")
        for part in frame["Content-Security-Policy"].split(";")
    )
    assert policy["style-src"] == "'unsafe-inline'"
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'self'"
    assert "sandbox" in policy
    assert frame["X-Frame-Options"] == "SAMEORIGIN"
    # and the page's own policy is untouched
    page = client.get(reverse("content:index", args=[brief.code]))
    assert "unsafe-inline" not in page["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    # and another token gets a 404, a user who may not see the brief a 403
    assert client.get(src[:-3] + "xx/").status_code == 404
    client.force_login(outsider)
    assert client.get(src).status_code == 403


def test_frozen_template_editor_is_read_only(client, solicitante, make_brief):
    brief = make_brief(Status.DRAFT)
    template = actions.create_template(
        brief, actor=solicitante, data={"channel": "sms", "body": "Hola"}
    )
    actions.freeze_for_exit(brief, actor=solicitante)
    client.force_login(solicitante)
    body = client.get(f"/briefs/{brief.code}/contenido/plantillas/{template.pk}/").content.decode()
    assert "Aprobada y congelada" in body
    assert "Guardar plantilla" not in body
    response = client.post(
        f"/briefs/{brief.code}/contenido/plantillas/{template.pk}/",
        {"body": "Otro", "missing_policy": "skip"},
    )
    template.refresh_from_db()
    assert template.body == "Hola"
    assert response.status_code == 409


def test_creative_upload_and_logged_download(client, solicitante, make_brief):
    brief = make_brief(Status.DRAFT)
    client.force_login(solicitante)
    png = b"\x89PNG\r\n\x1a\n" + b"1" * 10
    response = client.post(
        f"/briefs/{brief.code}/contenido/piezas/",
        {"channel": "email", "file": SimpleUploadedFile("pieza.png", png), "description": "Banner"},
    )
    assert response.status_code == 302
    creative = Creative.objects.get()
    download = client.get(f"/briefs/{brief.code}/contenido/piezas/{creative.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == png
    assert creative.name in download["Content-Disposition"]
    assert AuditEvent.objects.filter(type="CREATIVE_DOWNLOADED").count() == 1


def test_script_text_format_round_trips():
    source = (
        "# Saludo\nBuenos días, {nombres}.\n\n# Preguntas\n"
        "? actualizo (si_no): ¿Actualizó sus datos?\n"
        "? medio (opciones: SMS / Correo): ¿Por qué medio prefiere?"
    )
    sections = parse_script(source)
    assert sections == [
        {"title": "Saludo", "text": "Buenos días, {nombres}.", "questions": []},
        {
            "title": "Preguntas",
            "text": "",
            "questions": [
                {
                    "key": "actualizo",
                    "kind": "yes_no",
                    "text": "¿Actualizó sus datos?",
                    "options": [],
                },
                {
                    "key": "medio",
                    "kind": "choice",
                    "text": "¿Por qué medio prefiere?",
                    "options": ["SMS", "Correo"],
                },
            ],
        },
    ]
    assert parse_script(format_script(sections)) == sections


def test_email_editor_requires_a_sender_and_names_unsafe_html(client, solicitante, make_brief):
    # given a requester saving an e-mail without a sender and with a script in its body
    brief = make_brief(Status.DRAFT)
    client.force_login(solicitante)
    response = client.post(
        reverse("content:template_new", args=[brief.code]) + "?canal=email",
        {
            "channel": "email",
            "subject": "Aviso",
            "html": '<p>Hola {nombres}</p><script>alert("x")</script>',
            "missing_policy": "skip",
        },
    )
    # then the page says, in Spanish and on each field, what is wrong; nothing is saved
    body = response.content.decode()
    assert response.status_code == 400
    assert (
        "El cuerpo del correo tiene contenido que no se envía por seguridad y no se guardó: "
        "la etiqueta &lt;script&gt;. Quítelo y guarde de nuevo."
    ) in body
    assert "Indique el remitente del correo: nombre y dirección" in body
    assert not Template.objects.exists()


def test_email_editor_is_visual_unless_the_html_would_lose_something(
    client, solicitante, make_brief
):
    # given a new e-mail and a stored one whose HTML carries inline styles
    brief = make_brief(Status.DRAFT)
    client.force_login(solicitante)
    styled = actions.create_template(
        brief,
        actor=solicitante,
        data={
            "channel": "email",
            "subject": "Aviso",
            "sender": "ICETEX <campanas@icetex.gov.co>",
            "html": '<p style="color: #b3261e">Hola {nombres}</p>',
        },
    )
    # when the editor opens for a new e-mail
    new = client.get(reverse("content:template_new", args=[brief.code]) + "?canal=email")
    html = new.content.decode()
    # then the body is the visual editor's textarea, its module and styles are Brief's own
    assert 'name="html"' in html
    assert "data-mail-editor" in html
    assert 'type="module" src="/static/content/mail_editor.js"' in html
    assert 'href="/static/django_prose_editor/editor.css"' in html
    assert 'data-insert-tag="{nombres}"' in html
    assert 'data-insert-tag="{enlace_baja}"' in html
    # and the styled one opens as HTML code, saying why
    old = client.get(reverse("content:template_edit", args=[brief.code, styled.pk]))
    html = old.content.decode()
    assert "data-mail-editor" not in html
    assert "mail_editor.js" not in html
    assert "se edita como código para no perder nada" in html


def test_email_preview_offers_desktop_and_mobile_widths(client, solicitante, make_brief, make_base):
    brief = make_brief(Status.DRAFT)
    make_base(brief)
    client.force_login(solicitante)
    data = {
        "channel": "email",
        "subject": "Hola",
        "html": "<p>Hola {nombres}</p>",
        "missing_policy": "skip",
    }
    body = client.post(reverse("content:template_preview", args=[brief.code]), data)
    html = body.content.decode()
    assert '<button type="button" data-mail-width="600" aria-pressed="true">' in html
    assert '<button type="button" data-mail-width="375" aria-pressed="false">' in html
    src = frame_src(html)
    frame = client.get(src).content.decode()
    assert frame.startswith('<!DOCTYPE html><html lang="es">')
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in frame
    assert "<body><p>Hola Ana María</p></body>" in frame
