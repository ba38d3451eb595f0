import datetime as dt

import pytest
from django.core import mail

from brief.campaigns import actions
from brief.campaigns.choices import Status
from brief.campaigns.notifications import recipients
from brief.core import sla
from brief.core.exceptions import Conflict
from brief.core.models import AuditEvent, SLAClock


def test_whatsapp_transactional_clocks_and_breach_recorded_once(make_brief, proveedor):
    # given a transactional WhatsApp brief forwarded to the provider
    brief = make_brief(Status.FORWARDED, channels=["whatsapp"], kind="transaccional")
    clocks = {c.rule.code: c for c in sla.clocks_for(brief)}
    # then the 8-day total clock runs (and not the informative one), plus reception
    assert "whatsapp-total-transaccional" in clocks
    assert "whatsapp-total-informativa" not in clocks
    assert clocks["recepcion-proveedor"].responsible == "icetex"
    total = clocks["whatsapp-total-transaccional"]
    assert total.responsible == "provider"
    # when the periodic scan runs twice long after the due time
    later = total.due_at + dt.timedelta(days=3)
    first = sla.scan_breaches(now=later)
    second = sla.scan_breaches(now=later + dt.timedelta(minutes=1))
    # then each open clock is breached once, and recorded once
    assert first == SLAClock.objects.filter(subject_id=brief.pk, breached_at__isnull=False).count()
    assert first >= 2
    assert second == 0
    breached = AuditEvent.objects.filter(type="SLA_BREACHED", details__rule=total.rule.code)
    assert breached.count() == 1


def test_late_delivery_is_marked_late(make_brief, proveedor, solicitante):
    brief = make_brief(Status.EXECUTING)
    clock = SLAClock.objects.get(subject_id=brief.pk, rule__code="sms-email-ejecucion")
    from tests.campaigns.conftest import upload

    actions.add_attachment(brief, actor=proveedor, kind="report", upload=upload("i.csv", "a\n"))
    actions.perform(
        brief, "deliver_results", actor=proveedor, at=clock.due_at + dt.timedelta(hours=1)
    )
    clock.refresh_from_db()
    assert clock.state == "late"
    assert clock.stopped_by == proveedor


def test_recipients_are_the_next_actors(
    make_brief, analista, proveedor, solicitante, jefe, outsider
):
    brief = make_brief(Status.FORWARDED)
    assert {u.username for u in recipients(brief, Status.SUBMITTED)} == {"analista"}
    assert {u.username for u in recipients(brief, Status.FORWARDED)} == {"proveedor"}
    assert {u.username for u in recipients(brief, Status.RETURNED)} == {"solicitante", "jefe"}


def test_transition_email_sent_on_commit_with_link(
    make_brief, analista, django_capture_on_commit_callbacks
):
    brief = make_brief(Status.SUBMITTED)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.perform(brief, "start_review", actor=analista)
    assert len(mail.outbox) == 2  # solicitante and jefe of the area
    message = mail.outbox[0]
    assert message.subject == f"[Brief] {brief.code} · En verificación OCM"
    assert f"/briefs/{brief.code}/" in message.body


def test_no_email_when_the_action_fails(
    make_brief, solicitante, django_capture_on_commit_callbacks
):
    brief = make_brief(Status.SUBMITTED)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Conflict):
        actions.perform(brief, "accept", actor=solicitante)
    assert callbacks == []
    assert mail.outbox == []
