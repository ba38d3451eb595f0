"""Notification e-mails: who is told of a transition, sent on commit, never on failure."""

import pytest
from django.core import mail

from brief.campaigns import actions
from brief.campaigns.choices import Status
from brief.campaigns.notifications import recipients
from brief.core.exceptions import Conflict


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
