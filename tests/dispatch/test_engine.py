"""The dispatch engine: outbox, statuses, contact rules, control, callbacks, second sweeps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from brief.contacts import actions as contact_actions
from brief.contacts.models import Suppression, person_key
from brief.core.calendar import BOGOTA
from brief.core.exceptions import Conflict
from brief.dispatch import actions, engine
from brief.dispatch.choices import Include, SweepState
from brief.dispatch.models import Attempt, DailyContact, Message, StatusEvent
from brief.dispatch.providers import locmem
from brief.dispatch.providers.base import StatusUpdate
from tests.helpers import OPEN, drain, statuses, sweep_for
from tests.services import run_script_on_postgres


def test_outbox_written_before_sending_then_sent(campaign, proveedor, at):
    brief, _base, templates = campaign(n=12)
    # when a sweep is created
    sweep = sweep_for(brief, templates["sms"], proveedor)
    # then every usable recipient has a queued message and nothing went out yet
    assert sweep.total == 12
    assert Message.objects.filter(sweep=sweep, status="queued").count() == 12
    assert locmem.outbox == []
    # when the runner drains it
    assert drain(sweep)["next"] == "done"
    # then each message was rendered, sent once, with an attempt row
    assert statuses(sweep)["sent"] == 12
    assert len(locmem.outbox) == 12
    assert sorted(m.to for m in locmem.outbox) == sorted(
        Message.objects.filter(sweep=sweep).values_list("to", flat=True)
    )
    first = min(locmem.outbox, key=lambda m: m.id)
    assert first.text == "Hola Persona1, su saldo es 1000."
    assert Attempt.objects.filter(outcome="accepted").count() == 12


def test_status_moves_forward_only_idempotent_and_out_of_order(campaign, proveedor, at):
    brief, _, templates = campaign(n=2)
    sweep = sweep_for(brief, templates["email"], proveedor)
    drain(sweep)
    m1, m2 = Message.objects.filter(sweep=sweep).order_by("id")
    # read arrives before delivered, and delivered twice
    engine.apply_status_updates("locmem", [StatusUpdate(m1.provider_message_id, "read")])
    engine.apply_status_updates("locmem", [StatusUpdate(m1.provider_message_id, "delivered")] * 2)
    engine.apply_status_updates(
        "locmem",
        [
            StatusUpdate(m2.provider_message_id, "delivered"),
            StatusUpdate("not-ours-123", "delivered"),
        ],
    )
    m1.refresh_from_db()
    m2.refresh_from_db()
    assert m1.status == "read"
    assert m1.read_at is not None
    assert m2.status == "delivered"
    # unknown ids are kept as pending events, never an error
    assert (
        StatusEvent.objects.filter(provider_message_id="not-ours-123", applied=False).count() == 1
    )


def test_bounce_and_permanent_and_temporary_failures(campaign, proveedor, at, accounts):
    content = (
        "documento,nombres,celular,correo\n"
        "10000001,Ana,3000000001,ok@correo.co\n"
        "10000002,Beto,3000000002,rechazo@correo.co\n"
    )
    brief, _, templates = campaign(content=content, channels=("email",))
    accounts["locmem"].options = {"fail_to": ["rechazo@correo.co"]}
    accounts["locmem"].save()
    sweep = sweep_for(brief, templates["email"], proveedor)
    drain(sweep)
    ok = Message.objects.get(sweep=sweep, to="ok@correo.co")
    bad = Message.objects.get(sweep=sweep, to="rechazo@correo.co")
    assert (ok.status, bad.status) == ("sent", "failed")
    assert bad.permanent is True
    assert bad.error_code == "rejected"
    engine.apply_status_updates("locmem", [StatusUpdate(ok.provider_message_id, "bounced")])
    ok.refresh_from_db()
    assert ok.status == "bounced"


def test_temporary_failure_is_retried_later_then_fails_after_max(
    campaign, proveedor, at, monkeypatch
):
    from brief.dispatch.providers.base import SendResult
    from brief.dispatch.providers.locmem import LocmemProvider

    brief, _, templates = campaign(n=1, channels=("sms",))
    monkeypatch.setattr(
        LocmemProvider,
        "send",
        lambda self, batch: [SendResult(m.id, False, permanent=False, code="busy") for m in batch],
    )
    sweep = sweep_for(
        brief,
        templates["sms"],
        proveedor,
        ignore_daily_cap=True,
        exception_reason="prueba de reintentos",
    )
    outcome = drain(sweep)
    message = Message.objects.get(sweep=sweep)
    assert message.status == "queued"
    assert message.attempts == 1
    assert outcome["next"] == "at"
    assert outcome["at"] == message.not_before
    for step in (1, 2):
        at(message.not_before + dt.timedelta(seconds=1))
        drain(sweep)
        message.refresh_from_db()
        assert message.attempts == step + 1
    assert message.status == "failed"
    assert Attempt.objects.filter(message=message, outcome="temporary").count() == 3


def test_outside_window_defers_across_weekend_and_holiday(campaign, proveedor, at):
    brief, _, templates = campaign(n=3, channels=("sms",))
    sweep = sweep_for(brief, templates["sms"], proveedor)
    # Saturday 5 Dec 2026 at 16:00: the window is closed until Monday 7 Dec 07:00... for SMS 08:00
    at(dt.datetime(2026, 12, 5, 16, 0, tzinfo=BOGOTA))
    outcome = drain(sweep)
    assert outcome == {"next": "at", "at": dt.datetime(2026, 12, 7, 8, 0, tzinfo=BOGOTA)}
    assert locmem.outbox == []
    # Monday 7 Dec at 20:00 → Tuesday 8 is a holiday → Wednesday 9 at 08:00
    at(dt.datetime(2026, 12, 7, 20, 0, tzinfo=BOGOTA))
    assert drain(sweep)["at"] == dt.datetime(2026, 12, 9, 8, 0, tzinfo=BOGOTA)
    at(dt.datetime(2026, 12, 9, 8, 0, tzinfo=BOGOTA))
    assert drain(sweep)["next"] == "done"
    assert len(locmem.outbox) == 3


def test_daily_cap_across_two_channels(campaign, proveedor, at):
    brief, _, templates = campaign(n=4, channels=("sms", "email"))
    sms = sweep_for(brief, templates["sms"], proveedor)
    drain(sms)
    assert statuses(sms)["sent"] == 4
    # the same people by e-mail on the same day are deferred to the next day's window
    email = sweep_for(brief, templates["email"], proveedor)
    outcome = drain(email)
    assert statuses(email)["deferred"] == 4
    deferred = Message.objects.filter(sweep=email).first()
    assert deferred.error_code == "daily_cap"
    assert deferred.not_before == dt.datetime(2026, 12, 10, 7, 0, tzinfo=BOGOTA)
    assert outcome["next"] == "at"
    # the next day they go out
    at(dt.datetime(2026, 12, 10, 7, 0, tzinfo=BOGOTA))
    drain(email)
    assert statuses(email)["sent"] == 4


def test_a_day_taken_by_a_call_defers_the_message(campaign, proveedor, at):
    """A call that counted as the person's contact (a row naming an interaction, no message)
    caps the day for every message to them."""
    brief, base, templates = campaign(n=2, channels=("sms",))
    first = base.contacts.order_by("pk").first()
    DailyContact.objects.create(
        person=person_key(first.doc_type, first.doc_number),
        day=OPEN.astimezone(BOGOTA).date(),
        interaction_id=1,
    )
    sms = sweep_for(brief, templates["sms"], proveedor)
    drain(sms)
    assert statuses(sms)["sent"] == 1
    deferred = Message.objects.get(sweep=sms, status="deferred")
    assert deferred.contact_id == first.pk
    assert deferred.error_code == "daily_cap"


def test_suppression_lists_and_abroad_rule(campaign, proveedor, at):
    content = (
        "documento,nombres,celular,correo,pais\n"
        "10000001,Ana,3000000001,ana@correo.co,\n"
        "10000002,Beto,3000000002,beto@correo.co,\n"
        "10000003,Carla,+34600111222,carla@correo.es,España\n"
    )
    brief, _, templates = campaign(content=content, channels=("sms", "email"))
    Suppression.objects.create(channel="sms", value="+573000000002", source="stop")
    sweep = sweep_for(brief, templates["sms"], proveedor)
    by_to = dict(Message.objects.filter(sweep=sweep).values_list("to", "status"))
    assert by_to["+573000000002"] == "suppressed"
    assert "+34600111222" not in by_to  # abroad: not eligible for SMS at all
    # an opt-out that arrives after the outbox was written is applied at send time
    Suppression.objects.create(
        channel="all", value="+573000000001", source="manual", reason="pidió no ser contactado"
    )
    drain(sweep)
    assert statuses(sweep)["suppressed"] == 2
    assert locmem.outbox == []
    # the e-mail sweep reaches the person abroad
    email = sweep_for(
        brief, templates["email"], proveedor, ignore_daily_cap=True, exception_reason="prueba"
    )
    drain(email)
    assert "carla@correo.es" in {m.to for m in locmem.outbox}


def test_pause_resume_cancel_running_sweep(campaign, proveedor, at, accounts):
    brief, _, templates = campaign(n=120, channels=("sms",))
    sweep = sweep_for(brief, templates["sms"], proveedor)
    runner = engine.Runner(sweep)
    # one chunk, then pause: the runner stops before the next chunk
    ids = engine.claim(sweep.pk, 50, engine.clock())
    runner.process(ids, engine.clock())
    actions.pause_sweep(sweep, actor=proveedor)
    assert runner.run()["next"] == "stop"
    assert statuses(sweep)["sent"] == 50
    # resume: it continues where it stopped
    actions.resume_sweep(sweep, actor=proveedor)
    ids = engine.claim(sweep.pk, 50, engine.clock())
    runner.process(ids, engine.clock())
    assert statuses(sweep)["sent"] == 100
    # cancel: nothing more is sent
    actions.cancel_sweep(sweep, actor=proveedor)
    assert engine.Runner(sweep).run()["next"] == "stop"
    sweep.refresh_from_db()
    assert sweep.state == SweepState.CANCELLED
    assert statuses(sweep)["sent"] == 100
    assert statuses(sweep)["queued"] == 20
    with pytest.raises(Conflict, match=r"reanudar"):
        actions.resume_sweep(sweep, actor=proveedor)


def test_second_sweep_targets_only_the_undelivered(campaign, proveedor, at):
    brief, _, templates = campaign(n=5, channels=("sms",))
    first = sweep_for(brief, templates["sms"], proveedor)
    drain(first)
    messages = list(Message.objects.filter(sweep=first).order_by("id"))
    engine.apply_status_updates(
        "locmem", [StatusUpdate(m.provider_message_id, "delivered") for m in messages[:3]]
    )
    at(dt.datetime(2026, 12, 10, 10, 0, tzinfo=BOGOTA))
    second = sweep_for(brief, templates["sms"], proveedor, include=Include.NOT_DELIVERED)
    assert second.number == 2
    assert sorted(Message.objects.filter(sweep=second).values_list("person", flat=True)) == sorted(
        m.person for m in messages[3:]
    )
    drain(second)
    assert statuses(second)["sent"] == 2


def test_crash_leftovers_are_reconciled_never_resent(campaign, proveedor, at):
    brief, _, templates = campaign(n=6, channels=("sms",))
    sweep = sweep_for(brief, templates["sms"], proveedor)
    # a worker claimed 4 messages and died before recording anything
    claimed = engine.claim(sweep.pk, 4, engine.clock() - dt.timedelta(hours=1))
    Message.objects.filter(id__in=claimed).update(claimed_at=engine.clock() - dt.timedelta(hours=1))
    result = engine.reconcile_stuck(older_than=60)
    assert result == {"sent": 0, "failed": 0, "unknown": 4}  # locmem cannot tell
    drain(sweep)
    counts = statuses(sweep)
    assert counts["unknown"] == 4
    assert counts["sent"] == 2
    assert len(locmem.outbox) == 2  # the 4 unknown were never resent
    assert actions.decide_unknown(sweep, actor=proveedor, decision="sent") == 4
    assert statuses(sweep)["sent"] == 6


def test_simulated_provider_reports_through_the_callback_path(campaign, proveedor, at):
    brief, _, templates = campaign(n=200, channels=("email",))
    sweep = sweep_for(brief, templates["email"], proveedor, account="simulado")
    drain(sweep)
    counts = statuses(sweep)
    assert sum(counts.values()) == 200
    assert counts["sent"] == 0  # every accepted message got its final status reported
    assert counts["delivered"] + counts["read"] > 150
    assert counts["failed"] + counts["bounced"] > 0
    undelivered = Message.objects.filter(sweep=sweep, status="failed", sent_at__isnull=False)
    assert undelivered.exists()
    assert {m.error_code for m in undelivered} == {"sim_undelivered"}
    # deterministic by seed: the same ids give the same outcome
    again = {m.id: m.status for m in Message.objects.filter(sweep=sweep)}
    from brief.dispatch.providers.simulated import SimulatedProvider

    provider = SimulatedProvider(sweep.provider_account)
    for mid, status in list(again.items())[:20]:
        if status in {"delivered", "read", "bounced"}:
            assert provider.outcome(mid, "email")[-1] == status


def test_sweep_refused_before_exit_approval_and_for_other_roles(
    make_brief, accounts, proveedor, solicitante
):
    from brief.campaigns.choices import Status
    from brief.content.models import Template
    from brief.core.exceptions import Conflict, Forbidden

    brief = make_brief(Status.RECEIVED)
    template = Template.objects.create(
        brief=brief, channel="sms", name="t", body="Hola", created_by=proveedor
    )
    with pytest.raises(Conflict):
        actions.create_sweep(
            brief, actor=proveedor, channel="sms", template=template, provider_account="locmem"
        )
    with pytest.raises(Forbidden):
        actions.create_sweep(
            brief, actor=solicitante, channel="sms", template=template, provider_account="locmem"
        )


def test_segment_on_earlier_sweep_results(campaign, proveedor, at):
    from brief.contacts import actions as contact_actions

    brief, base, templates = campaign(n=5, channels=("sms",))
    first = sweep_for(brief, templates["sms"], proveedor)
    drain(first)
    messages = list(Message.objects.filter(sweep=first).order_by("id"))
    engine.apply_status_updates(
        "locmem", [StatusUpdate(m.provider_message_id, "delivered") for m in messages[:2]]
    )
    assert contact_actions.segment_counts(base, {"sweeps": "delivered"})["total"] == 2
    assert contact_actions.segment_counts(base, {"sweeps": "not_delivered"})["total"] == 3
    assert contact_actions.segment_counts(base, {"sweeps": "not_contacted"})["total"] == 0
    segment = contact_actions.save_segment(
        base, actor=proveedor, name="Pendientes", filters={"sweeps": "not_delivered"}
    )
    at(dt.datetime(2026, 12, 10, 10, 0, tzinfo=BOGOTA))
    second = actions.create_sweep(
        brief,
        actor=proveedor,
        channel="sms",
        template=templates["sms"],
        provider_account="locmem",
        segment=segment,
    )
    assert second.total == 3


@pytest.mark.django_db(transaction=True)
def test_pause_takes_effect_within_two_seconds(campaign, proveedor, at, monkeypatch):
    import threading
    import time

    from django.db import connection

    from brief.dispatch.providers.locmem import LocmemProvider

    brief, _, templates = campaign(n=300, channels=("sms",))
    original = LocmemProvider.send
    batch_sent = threading.Event()
    paused = threading.Event()

    def busy_send(self, batch):
        """A provider that sends one batch, then is busy until the pause was asked for."""
        results = original(self, batch)
        batch_sent.set()
        assert paused.wait(timeout=10)
        return results

    monkeypatch.setattr(LocmemProvider, "send", busy_send)
    monkeypatch.setattr(actions, "_enqueue", lambda sweep, eta=None: None)  # we drive it
    sweep = sweep_for(brief, templates["sms"], proveedor)
    outcome = {}

    def work():
        try:
            outcome.update(engine.Runner(sweep).run())
        finally:
            connection.close()

    runner = threading.Thread(target=work)
    runner.start()
    # when the first batch went out, the operator pauses
    assert batch_sent.wait(timeout=10)
    paused_at = time.monotonic()
    actions.pause_sweep(sweep, actor=proveedor)
    paused.set()
    runner.join(timeout=5)
    # then the runner stops after the batch on the wire, and nothing more went out
    assert not runner.is_alive()
    assert time.monotonic() - paused_at < 2.0
    assert outcome == {"next": "stop"}
    assert statuses(sweep)["sent"] == 50
    assert len(locmem.outbox) == 50


def test_per_recipient_pacing_when_the_provider_demands_it(campaign, proveedor, at, accounts):
    accounts["locmem"].options = {"per_recipient_seconds": 3600}
    accounts["locmem"].save()
    brief, _, templates = campaign(n=3, channels=("sms",))
    first = sweep_for(brief, templates["sms"], proveedor)
    drain(first)
    # a second message to the same people an hour is not up waits for the gap
    at(OPEN + dt.timedelta(minutes=10))
    second = sweep_for(
        brief,
        templates["sms"],
        proveedor,
        ignore_daily_cap=True,
        exception_reason="recordatorio pedido por el área",
    )
    outcome = drain(second)
    assert statuses(second)["deferred"] == 3
    message = Message.objects.filter(sweep=second).first()
    assert message.error_code == "pacing"
    assert message.not_before == OPEN + dt.timedelta(hours=1)
    assert outcome == {"next": "at", "at": OPEN + dt.timedelta(hours=1)}
    at(OPEN + dt.timedelta(hours=1, seconds=1))
    drain(second)
    assert statuses(second)["sent"] == 3


def test_a_callback_only_moves_messages_of_its_own_provider_account(
    campaign, proveedor, at, accounts
):
    from brief.dispatch.models import ProviderAccount

    other = ProviderAccount.objects.create(
        code="otro",
        name="Otro",
        backend="brief.dispatch.providers.locmem.LocmemProvider",
        channels=["sms", "email"],
    )
    brief, _, templates = campaign(n=1)
    sweep = sweep_for(brief, templates["sms"], proveedor)
    drain(sweep)
    message = Message.objects.get(sweep=sweep)
    assert message.status == "sent"
    # another account (its own /hooks/otro/ URL) reports a status for the same id
    result = engine.apply_status_updates(
        other.code, [StatusUpdate(message.provider_message_id, "delivered")]
    )
    message.refresh_from_db()
    assert message.status == "sent"
    assert result == {"applied": 0, "pending": 1}
    # the account that sent it does move it
    engine.apply_status_updates("locmem", [StatusUpdate(message.provider_message_id, "delivered")])
    message.refresh_from_db()
    assert message.status == "delivered"


def test_a_chunk_never_holds_more_than_a_second_of_the_rate(
    campaign, proveedor, at, accounts, monkeypatch
):
    # a slow account (100/s) with big chunks: a whole chunk claimed at once would wait 4 s for
    # its tokens with the messages in "sending", and a pause could not act within 2 seconds
    accounts["locmem"].rate_per_second = 100
    accounts["locmem"].chunk_size = 500
    accounts["locmem"].save()
    waited: list[int] = []
    monkeypatch.setattr(engine, "throttle", lambda bucket, n: waited.append(n) or 0.0)
    brief, _, templates = campaign(n=250, channels=("sms",))
    sweep = sweep_for(brief, templates["sms"], proveedor)
    drain(sweep)
    assert statuses(sweep)["sent"] == 250
    assert waited
    assert max(waited) <= 100


def test_reconciled_as_sent_keeps_provider_id_and_sent_time(campaign, proveedor, at):
    brief, _, templates = campaign(n=3, channels=("sms",))
    sweep = sweep_for(brief, templates["sms"], proveedor, account="simulado")
    claimed_at = engine.clock() - dt.timedelta(hours=1)
    claimed = engine.claim(sweep.pk, 3, claimed_at)
    result = engine.reconcile_stuck(older_than=60)
    assert result["unknown"] == 0
    assert result["sent"] >= 1
    accepted = Message.objects.filter(id__in=claimed, status="sent")
    assert accepted.count() == result["sent"]
    for message in accepted:
        assert message.provider_message_id == f"sim-{message.id}"
        assert message.sent_at == claimed_at
    # a later callback for it is applied
    first = accepted.first()
    if first is not None:
        engine.apply_status_updates(
            "simulado", [StatusUpdate(first.provider_message_id, "delivered")]
        )
        first.refresh_from_db()
        assert first.status == "delivered"


@pytest.mark.slow
def test_sweeps_run_on_postgresql(tmp_path):
    script = Path(__file__).with_name("pg_sweep.py")
    result = run_script_on_postgres(script, tmp_path, str(tmp_path))
    assert result["vendor"] == "postgresql"
    assert result["import"] == "ready"
    # 300 people: one suppressed by STOP, the rest sent; 100 then delivered
    assert result["first"]["suppressed"] == 1
    assert result["first"]["sent"] + result["first"]["delivered"] == 299
    assert result["first"]["delivered"] == 100
    # the callback path's raw SQL on PostgreSQL: evidence and events kept once, JSON intact
    assert result["evidence"]["payloads"] == 1
    assert result["evidence"]["events"] == 100
    assert set(result["evidence"]["payload"]) == {"id"}
    # the same people by e-mail the same day wait for tomorrow (daily cap, ON CONFLICT)
    assert result["second"]["deferred"] == 299
    assert result["second_next"] == "at"
    # three runners at once on one sweep: every message sent exactly once
    assert result["parallel_runners"] == 4
    assert result["parallel_sent"] == result["parallel_unique"] == 299
    assert result["parallel_counts"]["sent"] == 299


def test_segment_screen_counts_what_the_engine_suppresses(campaign, proveedor, analista, at):
    # given five people and lists that block by phone, document, e-mail and another channel
    content = (
        "documento,nombres,celular,correo\n"
        "10000001,Ana,3000000001,ana@correo.co\n"
        "10000002,Beto,3000000002,beto@correo.co\n"
        "10000003,Carla,3000000003,carla@correo.co\n"
        "10000004,Dora,3000000004,dora@correo.co\n"
        "10000005,Eva,3000000005,eva@correo.co\n"
    )
    brief, base, templates = campaign(content=content, channels=("sms", "email"))
    beto = base.contacts.get(doc_number="10000002")
    for channel, value in [
        ("sms", "+573000000001"),
        ("all", f"{beto.doc_type}:10000002"),
        ("email", "carla@correo.co"),
        ("whatsapp", "+573000000004"),
    ]:
        contact_actions.add_suppression(
            actor=analista, channel=channel, value=value, reason="prueba"
        )
    # when the segment screen counts the whole base and sweeps write their outboxes
    counts = contact_actions.segment_counts(base, {})
    sms = sweep_for(brief, templates["sms"], proveedor)
    email = sweep_for(
        brief, templates["email"], proveedor, ignore_daily_cap=True, exception_reason="prueba"
    )

    def suppressed(sweep):
        return Message.objects.filter(sweep=sweep, error_code="suppressed").count()

    # then the screen's numbers are the engine's
    assert counts["suppressed_by_channel"]["sms"] == suppressed(sms) == 2
    assert counts["suppressed_by_channel"]["email"] == suppressed(email) == 2
    assert contact_actions.segment_counts(base, {"channel": "sms"})["suppressed"] == 2
    assert counts["suppressed"] == 3  # Ana (SMS), Beto (both), Carla (e-mail)
    # and a listing made after the outbox was written is applied at send time the same way
    contact_actions.add_suppression(actor=analista, channel="all", value="3000000005", reason="x")
    drain(sms)
    assert (
        suppressed(sms)
        == contact_actions.segment_counts(base, {})["suppressed_by_channel"]["sms"]
        == 3
    )
