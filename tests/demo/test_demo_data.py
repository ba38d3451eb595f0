"""``brief demo_data``: the top-layer command that loads the demo through every app's actions."""

import pytest
from django.core.management import call_command

from brief.accounts.models import User
from brief.calls.models import QueueEntry
from brief.campaigns.models import Brief
from brief.contacts.models import ContactBase
from brief.content.choices import WaStatus
from brief.demo import channels
from brief.dispatch.models import ProviderAccount, Sweep

pytestmark = pytest.mark.django_db


def test_demo_data_creates_briefs_accounts_and_a_sweep_once():
    # when the demo is loaded twice
    call_command("demo_data", quiet_logins=True)
    call_command("demo_data", quiet_logins=True)
    # then each state has its brief, and accounts and the sweep exist once
    states = sorted(Brief.objects.values_list("status", flat=True))
    assert states == sorted(
        ["draft", "submitted", "in_review", "forwarded"] + ["executing"] * 3 + ["accepted"]
    )
    assert sorted(ProviderAccount.objects.values_list("code", flat=True)) == [
        "simulado",
        "smpp-demo",
        "smtp-local",
        "wa-demo",
    ]
    real = Brief.objects.get(name=channels.CHANNELS_BRIEF["name"])
    assert (real.status, real.channels) == ("executing", ["sms", "whatsapp"])
    wa_template = real.templates.get(channel="whatsapp")
    assert wa_template.wa_status == WaStatus.APPROVED
    assert ContactBase.objects.current(real).rows_usable == 30
    # the executing brief's sweep, and the finished one the accepted brief delivered from
    sweeps = {
        s.brief.status: s for s in Sweep.objects.exclude(channel="call").select_related("brief")
    }
    assert sorted(sweeps) == ["accepted", "executing"]
    assert sweeps["executing"].channel == "email"
    assert (sweeps["accepted"].state, sweeps["accepted"].total) == ("done", 2)
    # the accepted brief was delivered from messages sent, its report frozen at delivery
    accepted = sweeps["accepted"].brief
    assert accepted.sweeps.get().messages.filter(sent_at__isnull=False).count() == 2
    assert list(accepted.delivered_reports.values_list("version", flat=True)) == [1]


def test_demo_asesor_works_the_demo_call_campaign():
    # when the demo is loaded
    call_command("demo_data", quiet_logins=True)
    # then the call campaign is executing with its frozen typification, and the demo advisor
    # is assigned to it and sees no other campaign
    calls = Brief.objects.get(channels=["call"])
    assert calls.status == "executing"
    assert calls.typification.filter(frozen_at__isnull=False).exists()
    asesor = User.objects.get(username="asesor")
    assert list(Brief.objects.visible_to(asesor)) == [calls]
    # and its queue is filled by a call sweep, so the workbench has contacts to call
    sweep = Sweep.objects.get(brief=calls)
    assert (sweep.channel, sweep.state, sweep.total) == ("call", "running", 3)
    assert QueueEntry.objects.filter(brief=calls, sweep=sweep).count() == 3
