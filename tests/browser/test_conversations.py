"""An advisor answers a WhatsApp conversation and closes it with a typification."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from brief.calls.models import Conversation, TypificationNode
from brief.campaigns.models import AdvisorAssignment
from brief.content.choices import WaStatus
from brief.dispatch.hooks import ingest
from brief.dispatch.models import Message, ProviderAccount
from brief.dispatch.peers.graph import GraphPeer
from brief.dispatch.providers.base import InboundMessage
from tests.helpers import sweep_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_advisor_answers_and_closes_a_conversation(login, campaign, proveedor, asesor, tmp_path):
    with GraphPeer() as peer:
        # given a WhatsApp sweep sent through the stand-in and the person's reply
        brief, _base, templates = campaign(n=1, channels=("whatsapp", "sms"))
        template = templates["whatsapp"]
        template.wa_name, template.wa_status = "aviso_saldo", WaStatus.APPROVED
        template.save()
        account = ProviderAccount.objects.create(
            code="wa-icetex",
            name="WhatsApp",
            backend="brief.dispatch.providers.whatsapp_cloud.WhatsAppCloudProvider",
            channels=["whatsapp"],
            options=peer.options(),
        )
        sweep = sweep_for(brief, template, proveedor, account="wa-icetex")
        # (the sweep's own sending is tested elsewhere: here the message is simply out)
        Message.objects.filter(sweep=sweep).update(
            status="sent", sent_at=timezone.now(), provider_message_id="wamid.out-b1"
        )
        AdvisorAssignment.objects.create(brief=brief, advisor=asesor, assigned_by=proveedor)
        category = TypificationNode.objects.create(brief=brief, level="category", label="Contacto")
        TypificationNode.objects.create(
            brief=brief, parent=category, level="result", code="R1", label="Resuelto"
        )
        sent = Message.objects.get()
        reply = InboundMessage("wamid.in-b1", sent.to.lstrip("+"), "¿Cuánto debo?", "whatsapp")
        ingest(account, [reply])
        conversation = Conversation.objects.get()
        # when the advisor opens it from the inbox and answers
        page = login("asesor")
        page.get_by_role("navigation", name="Navegación principal").get_by_role(
            "link", name="Conversaciones"
        ).click()
        page.locator("#conversaciones a").first.click()
        expect(page.locator("#hilo")).to_contain_text("¿Cuánto debo?")
        page.get_by_label("Respuesta").fill("Su saldo es $1.250.000.")
        page.get_by_role("button", name="Enviar").click()
        expect(page.locator("#hilo")).to_contain_text("Su saldo es $1.250.000.")
        # and closes it with a typification
        page.get_by_label("Tipificación").select_option(label="Contacto › Resuelto")
        page.get_by_role("button", name="Cerrar conversación").click()
        expect(page.get_by_role("link", name="INT-", exact=False)).to_be_visible()
        page.screenshot(path=str(tmp_path / "conversacion.png"), full_page=True)
    conversation.refresh_from_db()
    assert conversation.status == "closed"
    assert conversation.interaction.billable
    assert any(body.get("type") == "text" for body in peer.sent.values())
