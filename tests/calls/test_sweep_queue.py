"""A call sweep fills the brief's call queue (no provider, no outbox), with the recipients a
message sweep would have: segment, callable, not suppressed, not abroad; its progress is its
queue, and the voice blaster still goes through its provider."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from brief.calls import actions
from brief.calls.models import QueueEntry, TypificationNode
from brief.campaigns.models import AdvisorAssignment
from brief.contacts import actions as contact_actions
from brief.contacts.models import Contact
from brief.core.exceptions import Invalid
from brief.dispatch import actions as dispatch_actions
from brief.dispatch import engine
from brief.dispatch.models import Message
from brief.dispatch.providers import locmem
from brief.dispatch.tasks import run_sweep
from tests.helpers import OPEN, drain, sweep_for

pytestmark = pytest.mark.django_db

SUNDAY = dt.datetime(2026, 12, 13, 10, tzinfo=OPEN.tzinfo)


@pytest.fixture
def call_sweep_campaign(campaign, proveedor, asesor):
    """An executing call brief with a base of five callable people, ``asesor`` assigned and an
    effective leaf: ``(brief, base, template, leaf)``."""
    brief, base, templates = campaign(n=5, channels=("call",))
    AdvisorAssignment.objects.create(brief=brief, advisor=asesor, assigned_by=proveedor)
    leaf = TypificationNode.objects.create(
        brief=brief, level="category", code="OK", label="Efectivo", effective=True
    )
    return brief, base, templates["call"], leaf


def test_a_call_sweep_fills_the_queue_without_suppressed_or_abroad_people(
    call_sweep_campaign, proveedor
):
    # given: one person suppressed for calls, one abroad
    brief, base, template, _ = call_sweep_campaign
    people = list(base.contacts.order_by("row"))
    assert all(c.can_call for c in people)
    contact_actions.add_suppression(
        actor=proveedor, channel="call", value=people[0].mobile, reason="Pidió no llamar"
    )
    Contact.objects.filter(pk=people[1].pk).update(abroad=True)
    # when
    sweep = sweep_for(brief, template, proveedor)
    # then: the other three are queued for advisors, nothing went to the provider
    queued = set(QueueEntry.objects.filter(sweep=sweep).values_list("contact_id", flat=True))
    assert queued == {c.pk for c in people[2:]}
    assert sweep.total == 3
    assert not Message.objects.filter(sweep=sweep).exists()
    assert locmem.outbox == []
    counts = engine.counts(sweep)
    assert (counts["pending"], counts["in_progress"], counts["worked"], counts["closed"]) == (
        3,
        0,
        0,
        0,
    )
    assert sweep.state == "running"


def test_a_call_sweep_takes_only_its_segment(call_sweep_campaign, proveedor):
    brief, base, template, _ = call_sweep_campaign
    segment = contact_actions.save_segment(
        base, actor=proveedor, name="Saldo 2000", filters={"custom": {"saldo": "2000"}}
    )
    sweep = sweep_for(brief, template, proveedor, segment=segment)
    contact = QueueEntry.objects.get(sweep=sweep).contact
    assert contact.custom["saldo"] == "2000"
    assert sweep.total == 1


def test_the_sweep_progress_is_its_queue_and_it_finishes_with_the_last_closed_entry(
    call_sweep_campaign, proveedor, asesor
):
    brief, _, template, leaf = call_sweep_campaign
    sweep = sweep_for(brief, template, proveedor)
    entry = actions.claim_next(asesor, brief, now=OPEN)
    assert engine.counts(sweep)["in_progress"] == 1
    for _ in range(5):
        actions.record_interaction(
            brief,
            actor=asesor,
            data={
                "channel": "call",
                "contact": entry.contact_id,
                "typification": leaf.pk,
                "started_at": OPEN,
            },
        )
        entry = actions.claim_next(asesor, brief, now=OPEN + dt.timedelta(minutes=1))
        if entry is None:
            break
    sweep.refresh_from_db()
    assert engine.counts(sweep)["closed"] == 5
    assert sweep.state == "done"


def test_a_paused_call_sweep_gives_nothing_and_resuming_starts_no_runner(
    call_sweep_campaign, proveedor, asesor
):
    brief, _, template, _ = call_sweep_campaign
    sweep = sweep_for(brief, template, proveedor)
    dispatch_actions.pause_sweep(sweep, actor=proveedor)
    assert actions.claim_next(asesor, brief, now=OPEN) is None
    dispatch_actions.resume_sweep(sweep, actor=proveedor)
    assert actions.claim_next(asesor, brief, now=OPEN) is not None
    assert run_sweep(sweep.pk) == "stopped"  # a (re)started worker runs nothing for it
    sweep.refresh_from_db()
    assert sweep.state == "running"  # the queue, not a runner, ends a call sweep


def test_a_call_sweep_granted_the_windows_exception_is_worked_on_sunday(
    call_sweep_campaign, proveedor, asesor
):
    brief, _, template, _ = call_sweep_campaign
    sweep_for(brief, template, proveedor)
    assert actions.claim_next(asesor, brief, now=SUNDAY) is None
    excepted = sweep_for(
        brief, template, proveedor, ignore_windows=True, exception_reason="Pidió información"
    )
    assert QueueEntry.objects.filter(sweep=excepted).count() == 0  # the first sweep keeps them
    dispatch_actions.cancel_sweep(brief.sweeps.get(number=1), actor=proveedor)
    third = sweep_for(
        brief, template, proveedor, ignore_windows=True, exception_reason="Pidió información"
    )
    assert QueueEntry.objects.filter(sweep=third).count() == 5  # open entries move to it
    assert actions.claim_next(asesor, brief, now=SUNDAY).sweep_id == third.pk


def test_suppressed_after_filling_is_not_claimed(call_sweep_campaign, proveedor, asesor):
    brief, base, template, _ = call_sweep_campaign
    sweep_for(brief, template, proveedor)
    for contact in base.contacts.all():
        contact_actions.add_suppression(
            actor=proveedor, channel="all", value=contact.mobile, reason="Baja"
        )
    assert actions.claim_next(asesor, brief, now=OPEN) is None


def test_a_voice_sweep_still_goes_through_its_provider(campaign, proveedor, at):
    brief, _, templates = campaign(n=3, channels=("voice",))
    sweep = sweep_for(brief, templates["voice"], proveedor)
    drain(sweep)
    assert Message.objects.filter(sweep=sweep).count() == 3
    assert not QueueEntry.objects.filter(brief=brief).exists()
    assert len(locmem.outbox) == 3


# --- a call sweep needs no provider account ---


def test_a_call_sweep_is_created_without_a_provider_account(call_sweep_campaign, proveedor):
    brief, _base, template, _ = call_sweep_campaign
    sweep = dispatch_actions.create_sweep(brief, actor=proveedor, channel="call", template=template)
    assert sweep.provider_account is None
    assert QueueEntry.objects.filter(sweep=sweep).count() == 5
    # pausing and resuming it asks no provider either
    dispatch_actions.pause_sweep(sweep, actor=proveedor)
    sweep = dispatch_actions.resume_sweep(sweep, actor=proveedor)
    assert sweep.state == "running"


def test_a_voice_sweep_still_needs_its_account(campaign, proveedor):
    brief, _, templates = campaign(n=3, channels=("voice",))
    with pytest.raises(Invalid) as refused:
        dispatch_actions.create_sweep(
            brief, actor=proveedor, channel="voice", template=templates["voice"]
        )
    assert refused.value.field == "provider_account"
    assert not brief.sweeps.exists()


def test_the_api_creates_a_call_sweep_without_an_account_and_refuses_voice(
    api, call_sweep_campaign, campaign, proveedor
):
    brief, _base, template, _ = call_sweep_campaign
    url = reverse("api:brief_sweeps", args=[brief.code])
    r = api.as_user(proveedor).post(
        url, {"channel": "call", "template": template.pk}, format="json"
    )
    assert r.status_code == 201, r.json()
    assert r.json()["counts"]["pending"] == 5
    voice, _, templates = campaign(n=2, channels=("voice",))
    r = api.post(
        reverse("api:brief_sweeps", args=[voice.code]),
        {"channel": "voice", "template": templates["voice"].pk},
        format="json",
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "provider_account"


def test_the_sweep_form_hides_the_account_for_calls_and_asks_it_for_voice(
    client, call_sweep_campaign, campaign, proveedor
):
    brief, _base, template, _ = call_sweep_campaign
    client.force_login(proveedor)
    url = reverse("dispatch:sweep_create", args=[brief.code])
    page = client.get(url).content.decode()
    assert 'name="provider_account"' not in page
    assert 'id="sin-cuenta"' in page
    data = {"channel": "call", "template": str(template.pk), "include": "all",
            "start_at": "2026-12-09T10:00", "exception_reason": ""}  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302
    assert brief.sweeps.get().provider_account is None
    voice, _, templates = campaign(n=2, channels=("voice",))
    url = reverse("dispatch:sweep_create", args=[voice.code])
    assert 'name="provider_account"' in client.get(url).content.decode()
    data.update(channel="voice", template=str(templates["voice"].pk))
    response = client.post(url, data)
    assert response.status_code == 400
    assert response.context["form"].errors["provider_account"] == ["Este campo es requerido."]
    assert not voice.sweeps.exists()
