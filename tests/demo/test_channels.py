"""The demo's real channels: the peers ``brief demo_peers`` runs, the accounts ``demo_data``
creates, and SMS and WhatsApp sweeps whose receipts, webhooks and replies come back for real."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter

import pytest
from django.urls import reverse

from brief.contacts.models import Suppression
from brief.content.actions import record_wa_statuses
from brief.content.choices import WaStatus
from brief.content.models import Template
from brief.core.management.commands.serve import commands_for
from brief.demo import briefs, channels
from brief.dispatch.models import InboundMessage, Message, ProviderAccount
from brief.dispatch.peers.graph import WABA_ID
from brief.dispatch.providers import smpp
from tests.helpers import drain, sweep_for
from tests.services import free_port

DEADLINE = 30  # seconds for the receipts and webhooks of a sweep to come back


@pytest.fixture
def peers(live_server):
    """The demo's SMSC and Graph stand-in on free ports, reporting to the live server; fast."""
    addresses = channels.PeerAddresses(
        smsc_port=free_port(),
        graph_port=free_port(),
        hooks_url=live_server.url + reverse("provider_callback", args=[channels.WA_ACCOUNT]),
    )
    with channels.running_peers(addresses, pace=0.05) as running:
        yield addresses, *running
    smpp.shutdown()


def wait_until(check, what: str):
    """Poll ``check()`` (applying the SMPP binds' receipts each time) until true or deadline."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        smpp.hub().flush()
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"no llegó a tiempo: {what}")


def counts(sweep) -> Counter:
    return Counter(Message.objects.filter(sweep=sweep).values_list("status", flat=True))


@pytest.mark.django_db(transaction=True)
def test_sms_and_whatsapp_sweeps_on_the_demo_accounts_come_back(
    peers, campaign, proveedor, superuser, at
):
    # given the demo's accounts on the running peers and a brief with the demo's WA template
    addresses, smsc, graph = peers
    channels.ensure_accounts(superuser, addresses)
    brief, _base, templates = campaign(n=10, channels=("sms", "whatsapp"))
    Template.objects.filter(pk=templates["whatsapp"].pk).update(**briefs.DEMO_TEMPLATES["whatsapp"])
    record_wa_statuses(channels.WA_TEMPLATES)
    templates["whatsapp"].refresh_from_db()
    assert templates["whatsapp"].wa_status == WaStatus.APPROVED
    exception = {"ignore_daily_cap": True, "exception_reason": "Demostración"}
    # when the provider sends both sweeps through the real dispatcher (the runner task runs
    # on commit, eagerly in tests; drain finishes whatever it left)
    sms = sweep_for(brief, templates["sms"], proveedor, account=channels.SMPP_ACCOUNT)
    drain(sms)
    wa = sweep_for(
        brief, templates["whatsapp"], proveedor, account=channels.WA_ACCOUNT, **exception
    )
    drain(wa)
    assert (sms.state, wa.state) == ("done", "done")
    # then the SMSC's receipts move the SMS: 1 in 10 undeliverable (the mix), the rest delivered
    wait_until(lambda: counts(sms) == {"delivered": 9, "failed": 1}, "recibos SMPP")
    assert Message.objects.get(sweep=sms, status="failed").error_code == "smpp_UNDELIV"
    # and the replies of the 1st and 8th delivered people are stored; the first one's «BAJA»
    # suppresses that person for SMS
    wait_until(lambda: InboundMessage.objects.filter(channel="sms").count() == 2, "respuestas SMS")
    texts = sorted(InboundMessage.objects.filter(channel="sms").values_list("text", flat=True))
    assert texts == ["BAJA", "Gracias, ya pagué"]
    reply = InboundMessage.objects.get(channel="sms", text="BAJA")
    assert reply.message is not None
    assert reply.message.sweep_id == sms.pk
    assert Suppression.objects.filter(channel="sms").count() == 1
    assert Suppression.objects.filter(channel="sms", value=reply.message.person).exists()
    # and the stand-in's signed webhooks move the WhatsApp messages to read / delivered / failed
    wait_until(
        lambda: counts(wa) == {"read": 7, "delivered": 2, "failed": 1}, "webhooks de WhatsApp"
    )
    assert Message.objects.get(sweep=wa, status="failed").error_code == "131026"
    wait_until(
        lambda: InboundMessage.objects.filter(channel="whatsapp").count() == 2,
        "respuestas de WhatsApp",
    )
    texts = sorted(InboundMessage.objects.filter(channel="whatsapp").values_list("text", flat=True))
    assert texts == ["BAJA", "Me interesa"]
    assert graph.refused == 0
    assert smsc.binds == ["brief"]


@pytest.mark.django_db
def test_demo_accounts_are_made_through_the_actions_once(superuser):
    addresses = channels.PeerAddresses(smsc_port=2775, graph_port=8775, hooks_url="")
    channels.ensure_accounts(superuser, addresses)
    channels.ensure_accounts(superuser, addresses)
    smpp_account = ProviderAccount.objects.get(code=channels.SMPP_ACCOUNT)
    wa_account = ProviderAccount.objects.get(code=channels.WA_ACCOUNT)
    assert (smpp_account.kind, smpp_account.options["port"], smpp_account.options["window"]) == (
        "smpp",
        2775,
        10,
    )
    assert (wa_account.kind, wa_account.options["base_url"]) == (
        "whatsapp_cloud",
        "http://127.0.0.1:8775",
    )
    assert wa_account.options["app_secret"] == channels.WA_APP_SECRET


def test_serve_with_demo_peers_starts_the_peers_command_first():
    opts = {"bind": "127.0.0.1:8000", "workers": 2, "threads": 4}
    with_peers = commands_for({**opts, "demo_peers": True})
    without = commands_for(opts)
    assert with_peers[0][-1] == "demo_peers"
    assert with_peers[1:] == without
    assert not any("demo_peers" in cmd for cmd in without)
    assert [cmd[-2] for cmd in without[1:]] == ["worker", "beat"]


def test_demo_peers_command_listens_on_the_configured_ports(tmp_path):
    # given the ports of the environment variables
    smsc_port, graph_port = free_port(), free_port()
    env = {
        **os.environ,
        "BRIEF_DEMO_SMSC_PORT": str(smsc_port),
        "BRIEF_DEMO_GRAPH_PORT": str(graph_port),
        "DJANGO_SETTINGS_MODULE": "brief.test_settings",
    }
    # when the command runs as ``brief serve --demo-peers`` starts it
    proc = subprocess.Popen(
        [sys.executable, "-m", "brief.cli", "demo_peers"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        # then both peers listen there: the SMSC takes connections, the stand-in lists the
        # demo's approved template to the demo's token
        assert f"127.0.0.1:{smsc_port}" in line
        assert f"127.0.0.1:{graph_port}" in line
        socket.create_connection(("127.0.0.1", smsc_port), timeout=10).close()
        request = urllib.request.Request(
            f"http://127.0.0.1:{graph_port}/v21.0/{WABA_ID}/message_templates",
            headers={"Authorization": f"Bearer {channels.WA_ACCESS_TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            listed = json.load(answer)["data"]
        assert [(t["name"], t["status"]) for t in listed] == [("convocatoria_becas", "APPROVED")]
    finally:
        proc.terminate()
        proc.wait(10)
    assert proc.returncode == 0
