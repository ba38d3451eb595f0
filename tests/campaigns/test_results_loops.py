"""The results loops: OCM returns delivered results to the provider (procedure 5.2.14) and the
area rejects the results OCM sent; each needs reasons and restarts the right SLA clock."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from brief.campaigns import actions
from brief.campaigns.choices import Status
from brief.campaigns.models import Notification
from brief.core import sla
from brief.core.choices import ClockState
from brief.core.models import AuditEvent, SLAClock
from tests.helpers import meet_checks

pytestmark = pytest.mark.django_db


def post_action(api, user, code: str, action: str, **payload):
    return api.as_user(user).post(f"/api/v1/briefs/{code}/{action}/", payload, format="json")


def clocks(brief, code: str) -> list[SLAClock]:
    return list(sla.clocks_for(brief).filter(rule__code=code).order_by("started_at", "id"))


def open_codes(brief) -> set[str]:
    return set(
        sla.clocks_for(brief).filter(stopped_at__isnull=True).values_list("rule__code", flat=True)
    )


# --- who may, in which state, with what ------------------------------------------------


@pytest.mark.parametrize(
    ("action", "state", "allowed", "denied"),
    [
        ("return_results", Status.RESULTS_REVIEW, "analista", ["solicitante", "proveedor"]),
        ("reject_results", Status.RESULTS_SENT, "solicitante", ["analista", "proveedor"]),
    ],
)
def test_only_the_right_role_runs_the_loop(
    api, make_brief, request, action, state, allowed, denied
):
    brief = make_brief(state)
    for username in denied:
        # when someone else tries
        r = post_action(api, request.getfixturevalue(username), brief.code, action, note="No.")
        # then 403, nothing moved
        assert r.status_code == 403, username
        brief.refresh_from_db()
        assert brief.status == state
    assert not brief.transitions.filter(action=action).exists()
    r = post_action(api, request.getfixturevalue(allowed), brief.code, action, note="Motivo.")
    assert r.status_code == 200, r.json()


def test_the_area_boss_may_reject_too(api, make_brief, jefe):
    brief = make_brief(Status.RESULTS_SENT)
    r = post_action(api, jefe, brief.code, "reject_results", note="Faltan las respuestas.")
    assert r.status_code == 200
    assert r.json()["status"] == Status.RESULTS_REVIEW


@pytest.mark.parametrize(
    ("action", "user", "wrong_state"),
    [
        ("return_results", "analista", Status.EXECUTING),
        ("return_results", "analista", Status.RESULTS_SENT),
        ("reject_results", "solicitante", Status.RESULTS_REVIEW),
        ("reject_results", "solicitante", Status.ACCEPTED),
    ],
)
def test_wrong_state_is_409(api, make_brief, request, action, user, wrong_state):
    brief = make_brief(wrong_state)
    r = post_action(api, request.getfixturevalue(user), brief.code, action, note="Motivo.")
    assert r.status_code == 409
    assert r.json()["errors"][0]["code"] == "invalid_state"
    brief.refresh_from_db()
    assert brief.status == wrong_state


@pytest.mark.parametrize(
    ("action", "user", "state", "message"),
    [
        (
            "return_results",
            "analista",
            Status.RESULTS_REVIEW,
            "Escriba los motivos de la devolución de los resultados.",
        ),
        (
            "reject_results",
            "solicitante",
            Status.RESULTS_SENT,
            "Escriba los motivos del rechazo de los resultados.",
        ),
    ],
)
def test_empty_reasons_are_400(api, make_brief, request, action, user, state, message):
    brief = make_brief(state)
    before = SLAClock.objects.count()
    for payload in ({}, {"note": ""}, {"note": "   "}):
        r = post_action(api, request.getfixturevalue(user), brief.code, action, **payload)
        assert r.status_code == 400
        assert r.json()["errors"] == [
            {"code": "reasons_required", "message": message, "field": "note"}
        ]
    brief.refresh_from_db()
    assert brief.status == state
    assert not brief.transitions.filter(action=action).exists()
    assert SLAClock.objects.count() == before


# --- clocks ----------------------------------------------------------------------------


def test_returning_results_stops_the_review_and_starts_the_redelivery_clock(
    api, make_brief, analista, proveedor
):
    # given results delivered (the review clock runs; the phase clock stopped on delivery)
    brief = make_brief(Status.RESULTS_REVIEW)
    [review] = clocks(brief, "revision-resultados-ocm")
    [phase] = clocks(brief, "sms-email-ejecucion")
    assert review.stopped_at is None
    phase_stopped = (phase.stopped_at, phase.state)
    assert phase_stopped[0] is not None
    # when OCM returns them
    r = post_action(api, analista, brief.code, "return_results", note="Faltan los leídos.")
    assert r.status_code == 200
    assert r.json()["status"] == Status.EXECUTING
    transition = brief.transitions.get(action="return_results")
    # then the review clock stopped at the return (met: within its day), the provider's
    # re-delivery clock runs from that moment, due at the end of the next business day
    review.refresh_from_db()
    assert review.stopped_at == transition.at
    assert review.state == ClockState.MET
    [redelivery] = clocks(brief, "reentrega-resultados-proveedor")
    assert redelivery.started_at == transition.at
    assert redelivery.responsible == "provider"
    assert redelivery.due_at == sla.compute_due(transition.at, 1, "business_days")
    assert redelivery.stopped_at is None
    # and the phase clock stopped at the first delivery is not reopened
    phase.refresh_from_db()
    assert (phase.stopped_at, phase.state) == phase_stopped
    assert open_codes(brief) == {"reentrega-resultados-proveedor"}

    # when the provider delivers again
    brief.refresh_from_db()
    actions.perform(brief, "deliver_results", actor=proveedor)
    delivered = brief.transitions.filter(action="deliver_results").latest("at")
    # then the re-delivery clock stops and a new review clock starts; the first one stays
    redelivery.refresh_from_db()
    assert redelivery.stopped_at == delivered.at
    assert redelivery.state == ClockState.MET
    first, second = clocks(brief, "revision-resultados-ocm")
    assert first.pk == review.pk
    assert first.stopped_at == transition.at
    assert second.started_at == delivered.at
    assert second.stopped_at is None
    phase.refresh_from_db()
    assert (phase.stopped_at, phase.state) == phase_stopped
    assert len(clocks(brief, "sms-email-ejecucion")) == 1
    assert open_codes(brief) == {"revision-resultados-ocm"}

    # when OCM sends them now, the second review clock stops
    brief.refresh_from_db()
    actions.perform(brief, "send_results", actor=analista)
    second.refresh_from_db()
    assert second.state == ClockState.MET
    assert open_codes(brief) == set()


def test_a_late_redelivery_is_judged_late(make_brief, analista, proveedor):
    brief = make_brief(Status.RESULTS_REVIEW)
    returned_at = dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC)  # a Friday
    actions.perform(brief, "return_results", actor=analista, note="Incompleto.", at=returned_at)
    [redelivery] = clocks(brief, "reentrega-resultados-proveedor")
    # due at the close of Monday 7 December (Bogota)
    assert redelivery.due_at == dt.datetime(2026, 12, 8, 4, 59, 59, 999999, tzinfo=dt.UTC)
    # the scan marks it breached once it is overdue
    assert sla.scan_breaches(now=redelivery.due_at + dt.timedelta(minutes=1)) >= 1
    redelivery.refresh_from_db()
    assert redelivery.breached_at is not None
    # delivered on Wednesday: late
    brief.refresh_from_db()
    meet_checks(brief, "deliver_results", proveedor)
    actions.perform(
        brief, "deliver_results", actor=proveedor, at=dt.datetime(2026, 12, 9, 15, tzinfo=dt.UTC)
    )
    redelivery.refresh_from_db()
    assert redelivery.state == ClockState.LATE


def test_rejecting_results_starts_ocm_review_again(api, make_brief, solicitante, analista):
    # given results sent to the area: every review clock is stopped
    brief = make_brief(Status.RESULTS_SENT)
    [review] = clocks(brief, "revision-resultados-ocm")
    review_closed = (review.stopped_at, review.state)
    assert open_codes(brief) == set()
    # when the area rejects them
    r = post_action(api, solicitante, brief.code, "reject_results", note="No trae el guion.")
    assert r.status_code == 200
    assert r.json()["status"] == Status.RESULTS_REVIEW
    rejected = brief.transitions.get(action="reject_results")
    # then OCM's review of the rejection runs (ICETEX), the old review clock is untouched
    [again] = clocks(brief, "revision-rechazo-ocm")
    assert (again.started_at, again.responsible, again.stopped_at) == (
        rejected.at,
        "icetex",
        None,
    )
    assert again.due_at == sla.compute_due(rejected.at, 1, "business_days")
    review.refresh_from_db()
    assert (review.stopped_at, review.state) == review_closed
    assert open_codes(brief) == {"revision-rechazo-ocm"}

    # when OCM returns them to the provider, that review stops and the provider's clock starts
    brief.refresh_from_db()
    actions.perform(brief, "return_results", actor=analista, note="Corrijan el guion.")
    returned = brief.transitions.get(action="return_results")
    again.refresh_from_db()
    assert again.stopped_at == returned.at
    assert again.state == ClockState.MET
    assert open_codes(brief) == {"reentrega-resultados-proveedor"}


def test_ocm_may_send_rejected_results_again(make_brief, solicitante, analista):
    brief = make_brief(Status.RESULTS_SENT)
    actions.perform(brief, "reject_results", actor=solicitante, note="Dudas sobre el total.")
    brief.refresh_from_db()
    actions.perform(brief, "send_results", actor=analista, note="El total es correcto: …")
    [again] = clocks(brief, "revision-rechazo-ocm")
    assert again.state == ClockState.MET
    brief.refresh_from_db()
    assert brief.status == Status.RESULTS_SENT
    actions.perform(brief, "accept", actor=solicitante)
    assert open_codes(brief) == set()


# --- reasons reach the other side --------------------------------------------------------


def test_returning_results_tells_the_provider_with_the_reasons(
    make_brief, analista, proveedor, django_capture_on_commit_callbacks
):
    brief = make_brief(Status.RESULTS_REVIEW)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.perform(brief, "return_results", actor=analista, note="Faltan los leídos.")
    assert [m.to for m in mail.outbox] == [[proveedor.email]]
    body = mail.outbox[0].body
    assert "Acción: Devolver resultados al proveedor" in body
    assert "Motivos: Faltan los leídos." in body
    notice = Notification.objects.get(user=proveedor, brief=brief)
    assert notice.text == f"{brief.code} · En ejecución"
    event = AuditEvent.objects.get(type="BRIEF_RESULTS_RETURNED")
    assert event.details["note"] == "Faltan los leídos."


def test_rejecting_results_tells_ocm_with_the_reasons(
    make_brief, solicitante, analista, django_capture_on_commit_callbacks
):
    brief = make_brief(Status.RESULTS_SENT)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.perform(brief, "reject_results", actor=solicitante, note="No cuadra el total.")
    assert [m.to for m in mail.outbox] == [[analista.email]]
    assert "Motivos: No cuadra el total." in mail.outbox[0].body
    assert Notification.objects.filter(user=analista, brief=brief).count() == 1
    assert AuditEvent.objects.filter(type="BRIEF_RESULTS_REJECTED").count() == 1


# --- the brief page ----------------------------------------------------------------------


def action_url(brief, action: str) -> str:
    return reverse("campaigns:action", args=[brief.code, action])


def detail_url(brief) -> str:
    return reverse("campaigns:brief_detail", args=[brief.code])


def test_page_shows_the_return_form_to_ocm_only(client, make_brief, analista, proveedor):
    brief = make_brief(Status.RESULTS_REVIEW)
    client.force_login(analista)
    body = client.get(detail_url(brief)).content.decode()
    assert 'aria-label="Devolver resultados al proveedor"' in body
    assert "Motivos de la devolución de los resultados" in body
    client.force_login(proveedor)
    body = client.get(detail_url(brief)).content.decode()
    assert "Devolver resultados al proveedor" not in body


def test_page_refuses_empty_reasons_then_returns_and_shows_them(client, make_brief, analista):
    brief = make_brief(Status.RESULTS_REVIEW)
    client.force_login(analista)
    # empty reasons: 400 with the Spanish message, nothing changes
    response = client.post(action_url(brief, "return_results"), {"note": "  "})
    assert response.status_code == 400
    assert "Escriba los motivos de la devolución de los resultados." in response.content.decode()
    brief.refresh_from_db()
    assert brief.status == Status.RESULTS_REVIEW
    # with reasons: returned; the timeline shows them
    response = client.post(
        action_url(brief, "return_results"), {"note": "Faltan los leídos."}, follow=True
    )
    brief.refresh_from_db()
    assert brief.status == Status.EXECUTING
    body = response.content.decode()
    assert "«Devolver resultados al proveedor» registrado" in body
    assert "<strong>Motivos:</strong> Faltan los leídos." in body  # the banner at the top
    body = client.get(reverse("campaigns:brief_tab", args=[brief.code, "historial"])).content
    assert "Inicia ANS «Reentrega de resultados devueltos por OCM»" in body.decode()


def test_page_rejection_by_the_area(client, make_brief, solicitante, outsider):
    brief = make_brief(Status.RESULTS_SENT)
    client.force_login(outsider)
    assert client.post(action_url(brief, "reject_results"), {"note": "x"}).status_code == 403
    client.force_login(solicitante)
    body = client.get(detail_url(brief)).content.decode()
    assert 'aria-label="Rechazar resultados"' in body
    assert "Motivos del rechazo" in body
    response = client.post(action_url(brief, "reject_results"), {"note": ""})
    assert response.status_code == 400
    assert "Escriba los motivos del rechazo de los resultados." in response.content.decode()
    response = client.post(
        action_url(brief, "reject_results"), {"note": "No trae observaciones."}, follow=True
    )
    brief.refresh_from_db()
    assert brief.status == Status.RESULTS_REVIEW
    assert "<strong>Motivos:</strong> No trae observaciones." in response.content.decode()
