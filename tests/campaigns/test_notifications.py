"""Notification e-mails: who is told of a transition, sent on commit, never on failure."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from brief.campaigns import actions, notifications
from brief.campaigns.choices import NoticeKind, Status
from brief.campaigns.notifications import recipients
from brief.core import calendar, sla
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


# --- in-app notifications, alerts and the digest ---------------------------------------


def _unread(user):
    return user.notifications.filter(read_at__isnull=True)


def test_every_emailed_event_also_rings_the_bell(
    make_brief, analista, solicitante, jefe, django_capture_on_commit_callbacks
):
    brief = make_brief(Status.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        actions.perform(brief, "start_review", actor=analista)
    note = _unread(solicitante).get()
    assert note.kind == NoticeKind.TRANSITION
    assert note.text == f"{brief.code} · En verificación OCM"
    assert note.url == reverse("campaigns:brief_detail", args=[brief.code])
    assert _unread(jefe).count() == 1
    assert not _unread(analista).exists()  # the actor is not told of their own move


def test_bell_counts_and_clears(
    client, make_brief, analista, solicitante, django_capture_on_commit_callbacks
):
    brief = make_brief(Status.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        actions.perform(brief, "start_review", actor=analista)
        actions.perform(brief, "return", actor=analista, note="Falta", checklist={"script": False})
    client.force_login(solicitante)
    home = client.get(reverse("core:home")).content.decode()
    assert 'id="avisos-sin-leer">2<' in home
    first = _unread(solicitante).last()
    response = client.post(reverse("campaigns:notification_read", args=[first.pk]), {"ir": "1"})
    assert response.status_code == 302
    assert response["Location"] == first.url
    assert (
        'id="avisos-sin-leer">1<' in client.get(reverse("campaigns:notifications")).content.decode()
    )
    client.post(reverse("campaigns:notifications_read_all"))
    assert 'id="avisos-sin-leer">0<' in client.get(reverse("core:home")).content.decode()


def test_someone_elses_notice_is_not_found(
    client, make_brief, analista, solicitante, jefe, django_capture_on_commit_callbacks
):
    brief = make_brief(Status.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        actions.perform(brief, "start_review", actor=analista)
    note = _unread(solicitante).get()
    client.force_login(jefe)
    assert client.post(reverse("campaigns:notification_read", args=[note.pk])).status_code == 404
    assert _unread(solicitante).count() == 1


def test_api_lists_and_marks_read(
    api, make_brief, analista, solicitante, django_capture_on_commit_callbacks
):
    brief = make_brief(Status.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        actions.perform(brief, "start_review", actor=analista)
    client = api.as_user(solicitante)
    data = client.get(reverse("api:notification-list"), {"unread": "1"}).json()
    items = data["results"] if isinstance(data, dict) else data
    assert [(n["kind"], n["brief"]) for n in items] == [("transition", brief.code)]
    response = client.post(reverse("api:notification-read", args=[items[0]["id"]]))
    assert response.status_code == 200
    assert response.json()["read_at"]
    assert client.post(reverse("api:notification-read-all")).json() == {"marked": 0}


def test_sla_alerts_once_per_clock_and_kind(make_brief, analista, proveedor):
    # given a forwarded brief: OCM's reception clock (ICETEX) and the provider's clocks run
    brief = make_brief(Status.FORWARDED)
    clock = sla.clocks_for(brief).get(rule__code="recepcion-proveedor")
    soon = clock.due_at - dt.timedelta(hours=2)
    # when the scan runs twice 2 hours before it falls due
    assert notifications.alert_clocks(soon) >= 1
    assert notifications.alert_clocks(soon) == 0
    # then OCM has one "por vencer" alert for it
    alert = analista.notifications.get(kind=NoticeKind.SLA_DUE_SOON)
    assert alert.key == f"sla_due_soon:{clock.pk}"
    assert "Recepción de la base" in alert.text
    assert not proveedor.notifications.filter(key=alert.key).exists()
    # and once breached, one "vencido" alert, also once
    late = clock.due_at + dt.timedelta(hours=1)
    notifications.alert_clocks(late)
    notifications.alert_clocks(late)
    assert analista.notifications.filter(key=f"sla_breached:{clock.pk}").count() == 1


def test_not_due_soon_across_a_weekend(make_brief, analista):
    brief = make_brief(Status.FORWARDED)
    clock = sla.clocks_for(brief).get(rule__code="recepcion-proveedor")
    # 30 wall-clock hours before, but only on business days does time count
    assert calendar.business_hours_between(clock.due_at - dt.timedelta(hours=30), clock.due_at) > 4
    notifications.alert_clocks(clock.due_at - dt.timedelta(hours=30))
    assert not analista.notifications.filter(kind=NoticeKind.SLA_DUE_SOON).exists()


def test_digest_goes_only_to_those_who_opted_in(
    client, make_brief, analista, solicitante, jefe, django_capture_on_commit_callbacks
):
    brief = make_brief(Status.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        actions.perform(brief, "start_review", actor=analista)
    client.force_login(solicitante)
    client.post(reverse("campaigns:notification_digest"), {"daily_digest": "on"})
    mail.outbox.clear()
    # when the digest runs twice the same day
    assert notifications.send_digests() == 1
    assert notifications.send_digests() == 0
    # then only the user who chose it got one e-mail listing the notice
    assert [m.to for m in mail.outbox] == [["solicitante@brief.example"]]
    assert "En verificación OCM" in mail.outbox[0].body
    assert mail.outbox[0].subject == "[Brief] Resumen diario: 1 avisos"
