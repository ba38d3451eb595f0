"""The workbench's actions and readings: working a held contact (all or nothing), releasing it,
the day's contact, the campaign figures and why a claim found nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from brief.calls import actions, queue
from brief.calls.models import Interaction, QueueEntry, Recording
from brief.contacts.models import Contact, person_key
from brief.core.exceptions import Conflict, Invalid
from brief.dispatch import actions as dispatch_actions
from brief.dispatch.models import DailyContact
from tests.calls.conftest import recording
from tests.helpers import OPEN, upload

pytestmark = pytest.mark.django_db

# The script's required answers (an effective call must carry them).
ANSWERED = {"satisfecho": "sí", "canal": "SMS"}


def test_working_a_contact_records_the_call_settles_it_and_counts_the_day(
    workbench_campaign, asesor
):
    # given: the advisor holds a contact since three minutes ago
    brief, sweep, leaves = workbench_campaign
    claimed = timezone.now() - dt.timedelta(minutes=3)
    entry = actions.claim_next(asesor, brief, now=claimed)
    assert entry.claimed_at == claimed
    callback = timezone.now() + dt.timedelta(days=1)
    # when
    interaction = actions.work_contact(
        entry,
        actor=asesor,
        data={
            "typification": leaves["CD02"].pk,
            "observations": "Pide que la llamen mañana.",
            "answers": {"satisfecho": "sí"},
            "callback_at": callback,
        },
        audio=recording("audio"),
        screen=recording("screen"),
    )
    # then: the interaction, the contact's observations, the entry and the day's contact
    interaction.refresh_from_db()
    assert (interaction.channel, interaction.advisor, interaction.sweep_id) == (
        "call",
        asesor,
        sweep.pk,
    )
    assert interaction.typification == leaves["CD02"]
    assert interaction.started_at == claimed
    assert interaction.ended_at - claimed >= dt.timedelta(minutes=3)
    assert interaction.answers["satisfecho"] in ("sí", True)
    assert set(interaction.recordings.values_list("kind", flat=True)) == {"audio", "screen"}
    contact = Contact.objects.get(pk=entry.contact_id)
    assert contact.observations.endswith("Asesor: Pide que la llamen mañana.")
    entry.refresh_from_db()
    assert (entry.holder, entry.attempts, entry.closed) == (None, 1, False)
    assert entry.next_attempt_at == callback
    assert DailyContact.objects.filter(
        person=person_key(contact.doc_type, contact.doc_number),
        interaction_id=interaction.pk,
        message_id=None,
    ).exists()


def test_an_unanswered_call_is_not_the_days_contact(workbench_campaign, asesor):
    brief, _, leaves = workbench_campaign
    entry = actions.claim_next(asesor, brief)
    actions.work_contact(entry, actor=asesor, data={"typification": leaves["NC01"].pk})
    assert not DailyContact.objects.exists()


def test_a_bad_recording_writes_nothing(workbench_campaign, asesor):
    brief, _, leaves = workbench_campaign
    entry = actions.claim_next(asesor, brief)
    with pytest.raises(Invalid) as error:
        actions.work_contact(
            entry,
            actor=asesor,
            data={
                "typification": leaves["CD01"].pk,
                "observations": "Todo bien",
                "answers": ANSWERED,
            },
            audio=upload("llamada.exe", b"MZ" + b"\x00" * 64),
        )
    assert error.value.errors[0]["field"] == "file"
    assert not Interaction.objects.exists()
    assert not Recording.objects.exists()
    assert not DailyContact.objects.exists()
    entry.refresh_from_db()
    assert (entry.holder, entry.attempts) == (asesor, 0)
    assert Contact.objects.get(pk=entry.contact_id).observations == ""


def test_typification_is_required_and_a_callback_must_be_in_the_future(workbench_campaign, asesor):
    brief, _, _ = workbench_campaign
    entry = actions.claim_next(asesor, brief)
    with pytest.raises(Invalid) as error:
        actions.work_contact(
            entry,
            actor=asesor,
            data={"callback_at": timezone.now() - dt.timedelta(hours=1)},
        )
    fields = {e["field"] for e in error.value.errors}
    assert fields == {"typification", "callback_at"}
    assert not Interaction.objects.exists()


def test_only_the_holder_works_or_releases_a_contact(workbench_campaign, asesor, make_user):
    from brief.campaigns.models import AdvisorAssignment
    from brief.core.roles import Role

    brief, _, leaves = workbench_campaign
    luisa = make_user("luisa", Role.ASESOR, provider=asesor.provider)
    AdvisorAssignment.objects.create(brief=brief, advisor=luisa, assigned_by=asesor)
    entry = actions.claim_next(asesor, brief)
    with pytest.raises(Conflict):
        actions.work_contact(entry, actor=luisa, data={"typification": leaves["CD01"].pk})
    with pytest.raises(Conflict):
        actions.release_contact(entry, actor=luisa)
    # when the holder releases it, another advisor gets that very contact
    actions.release_contact(entry, actor=asesor)
    entry.refresh_from_db()
    assert (entry.holder, entry.attempts) == (None, 0)
    assert actions.claim_next(luisa, brief).pk == entry.pk


def test_the_queue_counts_move_after_each_call(workbench_campaign, asesor):
    brief, _, leaves = workbench_campaign
    assert queue.campaign_queue(brief) == {"pending": 3, "held": 0, "closed": 0}
    for code in ("CD01", "NC01"):
        entry = actions.claim_next(asesor, brief)
        data = {"typification": leaves[code].pk, "answers": ANSWERED}
        actions.work_contact(entry, actor=asesor, data=data)
    # the effective one is closed, the unanswered one waits for its retry
    assert queue.campaign_queue(brief) == {"pending": 2, "held": 0, "closed": 1}
    actions.claim_next(asesor, brief)
    assert queue.campaign_queue(brief) == {"pending": 1, "held": 1, "closed": 1}


def test_why_a_claim_found_nothing(workbench_campaign, asesor, proveedor, make_user):
    from brief.campaigns.models import AdvisorAssignment
    from brief.core.roles import Role

    brief, sweep, _leaves = workbench_campaign
    # all held by another advisor
    luisa = make_user("luisa", Role.ASESOR, provider=asesor.provider)
    AdvisorAssignment.objects.create(brief=brief, advisor=luisa, assigned_by=proveedor)
    QueueEntry.objects.update(holder=luisa, held_until=timezone.now() + dt.timedelta(minutes=5))
    assert actions.claim_next(asesor, brief) is None
    assert "otros asesores" in queue.why_nothing(brief)
    # not due yet
    later = timezone.now() + dt.timedelta(hours=3)
    QueueEntry.objects.update(holder=None, held_until=None, next_attempt_at=later)
    assert "próximo reintento" in queue.why_nothing(brief)
    # contacted today
    QueueEntry.objects.update(next_attempt_at=None)
    today = timezone.localdate()
    DailyContact.objects.bulk_create(
        DailyContact(person=p, day=today, message_id=1)
        for p in QueueEntry.objects.values_list("person", flat=True)
    )
    assert actions.claim_next(asesor, brief) is None
    assert "contactados hoy" in queue.why_nothing(brief)
    # paused sweep
    dispatch_actions.pause_sweep(sweep, actor=proveedor)
    assert "en pausa" in queue.why_nothing(brief)
    # outside the window (a sweep without the exception)
    QueueEntry.objects.update(sweep=None)
    sunday = dt.datetime(2026, 12, 13, 10, tzinfo=OPEN.tzinfo)
    assert "Fuera de la franja" in queue.why_nothing(brief, now=sunday)
    # all closed, then empty
    QueueEntry.objects.update(closed=True)
    assert "cerrados" in queue.why_nothing(brief)
    QueueEntry.objects.all().delete()
    assert "vacía" in queue.why_nothing(brief)
