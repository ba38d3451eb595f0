"""Rendering for every channel, with missing values (skip and fallback)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from brief.campaigns.choices import Status
from brief.content import actions
from brief.content.links import parse_token
from brief.content.models import Template
from brief.content.render import (
    Renderer,
    compile_template,
    contact_fields,
    email_headers,
    normalize_field,
)

WA_VARS = ["nombres", "saldo"]
ANA = {"nombres": "Ana", "apellidos": "Pérez", "saldo": "$1.000", "correo": "ana@example.co"}


def test_field_names_match_without_case_or_accents():
    assert normalize_field("Saldo") == "saldo"
    assert normalize_field("Fecha límite") == "fecha_limite"
    assert normalize_field("PAÍS") == "pais"
    assert normalize_field("Nombre") == "nombres"  # alias


def test_contact_fields_from_a_stored_contact(make_brief, make_base):
    base = make_base(make_brief(Status.DRAFT))
    contact = base.contacts.get(row=2)
    fields = contact_fields(contact)
    assert fields["nombres"] == "Ana María"
    assert fields["nombre_completo"] == "Ana María Pérez Gómez"
    assert fields["documento"] == "1020304050"
    assert fields["tipo_documento"] == "CC"
    assert fields["celular"] == "+573001234567"
    assert fields["correo"] == "ana@example.co"
    assert fields["ciudad"] == "Bogotá"
    assert fields["pais"] == "Colombia"
    assert fields["saldo"] == "$1.250.000"
    assert fields["fecha_limite"] == "15/12/2026"


def test_sms_placeholders_case_and_accent_insensitive():
    template = Template(channel="sms", body="Hola {NOMBRES}, su {Saldo} vence el {fecha limite}.")
    rendered = Renderer(template).render({"nombres": "Ana", "Saldo": "$9", "Fecha Límite": "1/2"})
    assert rendered.skip_reason is None
    assert rendered.text == "Hola Ana, su $9 vence el 1/2."


@pytest.mark.parametrize(
    ("template", "field"),
    [
        (Template(channel="sms", body="Hola {nombres}, saldo {saldo}"), "saldo"),
        (
            Template(channel="email", subject="Su saldo", html="<p>{saldo}</p>"),
            "saldo",
        ),
        (
            Template(
                channel="whatsapp", body="Hola {{1}}: {{2}}", wa_variables=["nombres", "saldo"]
            ),
            "saldo",
        ),
        (Template(channel="voice", body="Buenos días {nombres}. Su saldo es {saldo}."), "saldo"),
        (
            Template(
                channel="call",
                script_sections=[
                    {"title": "Saludo", "text": "Hola {nombres}, saldo {saldo}", "questions": []}
                ],
            ),
            "saldo",
        ),
    ],
    ids=["sms", "email", "whatsapp", "voice", "call"],
)
def test_every_channel_skips_a_recipient_without_the_value(template, field):
    # given the skip policy (the default) and a recipient without saldo
    template.missing_policy = "skip"
    # when rendering
    rendered = Renderer(template).render({"nombres": "Ana", "saldo": "  "})
    # then the recipient is skipped with a Spanish reason and no text
    assert rendered.skip_reason == f"Falta el dato «{field}»"
    assert (rendered.text, rendered.html, rendered.wa_params) == ("", "", [])


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (
            Template(channel="sms", body="Hola {nombres}, saldo {saldo}"),
            "Hola Ana, saldo por definir",
        ),
        (
            Template(
                channel="whatsapp", body="Hola {{1}}: {{2}}", wa_variables=["nombres", "saldo"]
            ),
            "Hola Ana: por definir",
        ),
        (Template(channel="voice", body="{nombres}: saldo {saldo}."), "Ana: saldo por definir."),
        (
            Template(
                channel="call",
                script_sections=[
                    {
                        "title": "Saludo",
                        "text": "Hola {nombres}, saldo {saldo}",
                        "questions": [{"key": "ok", "text": "¿Lo pagará?", "kind": "yes_no"}],
                    }
                ],
            ),
            "Saludo\nHola Ana, saldo por definir\n- ¿Lo pagará?",
        ),
    ],
    ids=["sms", "whatsapp", "voice", "call"],
)
def test_every_channel_uses_the_fallback(template, expected):
    template.missing_policy = "fallback"
    template.fallbacks = {"Saldo": "por definir"}
    rendered = Renderer(template).render({"nombres": "Ana"})
    assert rendered.skip_reason is None
    assert rendered.text == expected


def test_whatsapp_params_follow_the_variables():
    template = Template(
        channel="whatsapp",
        body="Hola {{1}}, su saldo es {{2}}. Visite https://icetex.gov.co",
        wa_variables=["nombres", "Saldo"],
        missing_policy="fallback",
        fallbacks={"nombres": "beneficiario"},
    )
    rendered = Renderer(template, link_ids={"https://icetex.gov.co": 1}).render(
        {"saldo": "$5"}, message_id=9
    )
    assert rendered.wa_params == ["beneficiario", "$5"]
    # the approved WhatsApp body is not rewritten: Meta sends it as approved
    assert rendered.text == "Hola beneficiario, su saldo es $5. Visite https://icetex.gov.co"
    assert rendered.links == []


def test_email_fallback_escapes_values_in_html_and_derives_the_text_part():
    template = Template(
        channel="email",
        subject="{nombres}, su estado de cuenta",
        html='<p>Hola {nombres} &amp; familia</p><p><a href="https://icetex.gov.co/a?x=1&amp;y=2">Pagar</a></p>',
        missing_policy="fallback",
        fallbacks={"nombres": "Beneficiario"},
    )
    renderer = Renderer(template)
    rendered = renderer.render({"nombres": "<b>Ana</b>"})
    assert rendered.subject == "<b>Ana</b>, su estado de cuenta"
    assert rendered.html == (
        "<p>Hola &lt;b&gt;Ana&lt;/b&gt; &amp; familia</p>"
        '<p><a href="https://icetex.gov.co/a?x=1&amp;y=2">Pagar</a></p>'
    )
    assert rendered.text == "Hola <b>Ana</b> & familia\nPagar (https://icetex.gov.co/a?x=1&y=2)"
    missing = renderer.render({})
    assert missing.subject == "Beneficiario, su estado de cuenta"


def test_fallback_policy_without_a_value_for_the_field_skips():
    template = Template(channel="sms", body="{nombres} {saldo}", missing_policy="fallback")
    template.fallbacks = {"nombres": "Hola"}
    assert Renderer(template).render({}).skip_reason == (
        "Falta el dato «saldo» y la plantilla no tiene valor alternativo"
    )


def test_voice_with_recorded_audio_and_no_text_renders_empty():
    template = Template(channel="voice", body="")
    rendered = Renderer(template).render(ANA)
    assert (rendered.skip_reason, rendered.text) == (None, "")


@override_settings(SITE_URL="https://brief.icetex.gov.co")
def test_email_links_and_unsubscribe_placeholder_with_a_message_id(make_brief, solicitante):
    brief = make_brief(Status.DRAFT)
    template = actions.create_template(
        brief,
        actor=solicitante,
        data={
            "channel": "email",
            "subject": "Hola {nombres}",
            "sender": "ICETEX <campanas@icetex.gov.co>",
            "html": '<p><a href="https://icetex.gov.co/pagos">Pagar</a> · '
            '<a href="{enlace_baja}">Cancelar suscripción</a></p>',
        },
    )
    renderer = compile_template(template)
    rendered = renderer.render(ANA, message_id=4242)
    link = template.links.get()
    token = rendered.html.split("/l/")[1].split('"')[0]
    assert parse_token(token) == (link.pk, 4242)
    assert "https://brief.icetex.gov.co/baja/" in rendered.html
    assert rendered.links == [link.pk]
    assert f"Pagar (https://brief.icetex.gov.co/l/{token})" in rendered.text
    assert email_headers("https://brief.icetex.gov.co/baja/x/") == {
        "List-Unsubscribe": "<https://brief.icetex.gov.co/baja/x/>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_links_with_placeholders_are_personalized_not_tracked():
    template = Template(channel="sms", body="Pague en https://icetex.gov.co/p?doc={documento}.")
    renderer = Renderer(template)
    assert renderer.render({"documento": "123"}, message_id=1).text == (
        "Pague en https://icetex.gov.co/p?doc=123."
    )


@override_settings(SITE_URL="https://brief.icetex.gov.co")
def test_tags_in_the_visual_editors_html_render_per_recipient(make_brief, solicitante):
    # given a body as the visual editor writes it: a tag in bold, a tag inserted at the end
    # of a link's text, a tracked link with target/rel and the unsubscribe link
    brief = make_brief(Status.DRAFT)
    template = actions.create_template(
        brief,
        actor=solicitante,
        data={
            "channel": "email",
            "subject": "{Nombres}, su saldo",
            "sender": "ICETEX <campanas@icetex.gov.co>",
            "html": "<h2>Hola <strong>{nombres}</strong></h2><p>Saldo: {saldo}</p>"
            '<p><a target="_blank" rel="noopener noreferrer nofollow" '
            'href="https://icetex.gov.co/pagos">Pagar</a></p>'
            '<p><a target="_blank" rel="noopener noreferrer nofollow" '
            'href="{enlace_baja}">Cancelar suscripción</a></p>',
        },
    )
    # when it is rendered for a recipient with a message id
    rendered = compile_template(template).render({**ANA, "nombres": "Ana <b>"}, message_id=7)
    # then each tag is the recipient's value (escaped in the HTML), links are tracked
    assert rendered.subject == "Ana <b>, su saldo"
    assert rendered.html.startswith("<h2>Hola <strong>Ana &lt;b&gt;</strong></h2><p>Saldo: $1.000")
    token = rendered.html.split("/l/")[1].split('"')[0]
    assert parse_token(token) == (template.links.get().pk, 7)
    assert '<a href="https://brief.icetex.gov.co/baja/' in rendered.html
    assert "target=" not in rendered.html
    assert "Hola Ana <b>\nSaldo: $1.000" in rendered.text
