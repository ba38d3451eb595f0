"""Approvals that can say no: refusing an aval with its reason, asking for it again (once a
minute), comments on giving it, refusing the exit to campaign; actions, views and API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from brief.campaigns import actions, workspace
from brief.campaigns.choices import ApprovalDecision, Status
from brief.campaigns.models import ApprovalEvent, Brief, BriefTransition, Notification
from brief.core.exceptions import Conflict, Forbidden, Invalid
from brief.core.models import AuditEvent, SLAClock
from tests.helpers import brief_data

pytestmark = pytest.mark.django_db


def _refuse(brief, user, reason="La pieza no usa el logo vigente."):
    return actions.refuse_approval(brief, "comms", actor=user, reason=reason)


# --- actions ---------------------------------------------------------------------------


def test_refusing_an_approval_records_audits_and_tells_the_requester(
    solicitante, jefe, comunicaciones, django_capture_on_commit_callbacks
):
    # given a draft without the comms approval
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    # when comms refuses it
    with django_capture_on_commit_callbacks(execute=True):
        brief = _refuse(brief, comunicaciones)
    # then who, when and why are on the brief, in the Historial and the audit log
    assert brief.comms_refused_by == comunicaciones
    assert brief.comms_refused_at is not None
    assert brief.comms_refusal == "La pieza no usa el logo vigente."
    assert brief.comms_approved_by is None
    event = ApprovalEvent.objects.get(brief=brief)
    assert (event.which, event.decision, event.actor, event.note) == (
        "comms",
        ApprovalDecision.REFUSED,
        comunicaciones,
        "La pieza no usa el logo vigente.",
    )
    audit = AuditEvent.objects.get(type="BRIEF_COMMS_APPROVAL_REFUSED")
    assert audit.details == {"reason": "La pieza no usa el logo vigente."}
    # the requester (only) is told, in the bell and by e-mail
    assert [m.to for m in mail.outbox] == [[solicitante.email]]
    assert "La pieza no usa el logo vigente." in mail.outbox[0].body
    notice = Notification.objects.get(user=solicitante)
    assert notice.kind == "approval"
    assert "rechazado" in notice.text
    # the banner and the next step say it
    [refused] = workspace.refused_approvals(brief)
    assert (refused.by, refused.reason) == (comunicaciones, "La pieza no usa el logo vigente.")
    problems = actions.submission_problems(brief, today=timezone.localdate())
    assert {p["code"]: p["message"] for p in problems}["missing_comms_approval"] == (
        "Falta el aval de comunicaciones. Motivo del rechazo: «La pieza no usa el logo vigente.». "
        "Corrija y use «Pedir aval de nuevo»."
    )
    sentences = [str(s) for s in workspace.next_steps(brief)]
    assert any("corregir y pedir de nuevo el aval de comunicaciones" in s for s in sentences)


def test_a_refusal_needs_a_reason_and_the_approver_role(solicitante, jefe, comunicaciones):
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    with pytest.raises(Invalid) as blank:
        _refuse(brief, comunicaciones, reason="   ")
    assert blank.value.field == "reason"
    # the boss may not refuse the comms approval, nor the requester
    for user in (jefe, solicitante):
        with pytest.raises(Forbidden):
            _refuse(brief, user)
    brief.refresh_from_db()
    assert brief.comms_refused_at is None
    assert not ApprovalEvent.objects.exists()
    assert not AuditEvent.objects.filter(type="BRIEF_COMMS_APPROVAL_REFUSED").exists()


def test_a_given_approval_cannot_be_refused_and_a_refusal_is_not_repeated(
    solicitante, jefe, comunicaciones
):
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    actions.give_approval(brief, "boss", actor=jefe)
    with pytest.raises(Conflict):
        actions.refuse_approval(brief, "boss", actor=jefe, reason="No")
    _refuse(brief, comunicaciones)
    with pytest.raises(Conflict) as again:
        _refuse(brief, comunicaciones, reason="Otra vez")
    assert again.value.code == "already_refused"
    assert ApprovalEvent.objects.filter(decision=ApprovalDecision.REFUSED).count() == 1


def test_two_approvers_refusing_at_once_give_one_refusal(solicitante, comunicaciones, make_user):
    # given two comms users who both loaded the brief before either refused
    other = make_user("comunicaciones2", "comunicaciones")
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    stale = Brief.objects.get(pk=brief.pk)
    _refuse(brief, comunicaciones, reason="Primero")
    # when the second refuses from the stale copy, the conditional update claims nothing
    with pytest.raises(Conflict):
        actions.refuse_approval(stale, "comms", actor=other, reason="Segundo")
    brief.refresh_from_db()
    assert (brief.comms_refused_by, brief.comms_refusal) == (comunicaciones, "Primero")
    assert ApprovalEvent.objects.count() == 1


def test_a_refusal_after_a_concurrent_approval_is_a_conflict(solicitante, comunicaciones):
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    stale = Brief.objects.get(pk=brief.pk)
    actions.give_approval(brief, "comms", actor=comunicaciones, note="Bien")
    with pytest.raises(Conflict):
        _refuse(stale, comunicaciones)
    brief.refresh_from_db()
    assert brief.comms_refused_at is None
    assert brief.comms_approved_by == comunicaciones


def test_asking_again_settles_the_refusal_and_tells_the_approvers(
    solicitante, jefe, comunicaciones, lider, django_capture_on_commit_callbacks
):
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    _refuse(brief, comunicaciones)
    mail.outbox.clear()
    # when the requester asks again with a comment
    with django_capture_on_commit_callbacks(execute=True):
        brief = actions.request_approval(
            brief, "comms", actor=solicitante, note="Cambiamos el logo."
        )
    # then the refusal is settled, the ask recorded and the comms users told
    assert (brief.comms_refused_at, brief.comms_refusal) == (None, "")
    assert brief.comms_requested_at is not None
    assert workspace.refused_approvals(brief) == []
    decisions = list(ApprovalEvent.objects.values_list("decision", "note"))
    assert decisions == [
        (ApprovalDecision.REFUSED, "La pieza no usa el logo vigente."),
        (ApprovalDecision.REQUESTED, "Cambiamos el logo."),
    ]
    assert AuditEvent.objects.filter(type="BRIEF_COMMS_APPROVAL_REQUESTED").count() == 1
    assert [m.to for m in mail.outbox] == [[comunicaciones.email]]
    assert "Cambiamos el logo." in mail.outbox[0].body
    # and comms may refuse again
    _refuse(brief, comunicaciones, reason="Sigue mal")


def test_the_boss_approval_is_asked_of_the_jefe_of_the_area_only(
    solicitante, jefe, make_user, other_area, django_capture_on_commit_callbacks
):
    make_user("jefe_b", "jefe", area=other_area)
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    with django_capture_on_commit_callbacks(execute=True):
        actions.request_approval(brief, "boss", actor=solicitante)
    assert [m.to for m in mail.outbox] == [[jefe.email]]


def test_asking_twice_within_a_minute_is_refused(solicitante, comunicaciones, monkeypatch):
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    actions.request_approval(brief, "comms", actor=solicitante)
    with pytest.raises(Conflict) as soon:
        actions.request_approval(brief, "comms", actor=solicitante)
    assert soon.value.code == "too_soon"
    assert ApprovalEvent.objects.count() == 1
    # a minute later it may ask again
    later = timezone.now() + dt.timedelta(seconds=61)
    monkeypatch.setattr(timezone, "now", lambda: later)
    actions.request_approval(brief, "comms", actor=solicitante)
    assert ApprovalEvent.objects.count() == 2


def test_only_the_area_asks_and_only_for_what_the_brief_needs(
    solicitante, comunicaciones, outsider, lider
):
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    for user in (comunicaciones, outsider):
        with pytest.raises(Forbidden):
            actions.request_approval(brief, "comms", actor=user)
    # a servicio campaign does not need the leader's authorization
    with pytest.raises(Conflict):
        actions.request_approval(brief, "leader", actor=solicitante)
    actions.give_approval(brief, "comms", actor=comunicaciones)
    with pytest.raises(Conflict):
        actions.request_approval(brief, "comms", actor=solicitante)
    assert not ApprovalEvent.objects.filter(decision=ApprovalDecision.REQUESTED).exists()


def test_giving_after_a_refusal_settles_it_and_keeps_the_comment(solicitante, comunicaciones):
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    _refuse(brief, comunicaciones)
    brief = actions.give_approval(brief, "comms", actor=comunicaciones, note="  Ya quedó bien. ")
    assert brief.comms_approved_by == comunicaciones
    assert (brief.comms_refused_by, brief.comms_refusal) == (None, "")
    given = ApprovalEvent.objects.get(decision=ApprovalDecision.GIVEN)
    assert given.note == "Ya quedó bien."
    audit = AuditEvent.objects.get(type="BRIEF_COMMS_APPROVED")
    assert audit.details == {"note": "Ya quedó bien."}


def test_the_requester_home_lists_the_refusal_and_the_approver_no_longer_does(
    solicitante, comunicaciones
):
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    _refuse(brief, comunicaciones)
    annotated = [Brief.objects.get(pk=brief.pk)]
    for b in annotated:
        # what ``board_queryset`` annotates
        b.next_due, b.overdue, b.unanswered = None, False, 0  # type: ignore[attr-defined]
    now = timezone.now()
    mine = [t.what for t in workspace.todo_for(solicitante, annotated, now)]
    assert (
        "Corregir y pedir de nuevo el aval de comunicaciones (rechazado: La pieza no usa el logo "
        "vigente.)"
    ) in mine
    theirs = [t.what for t in workspace.todo_for(comunicaciones, annotated, now)]
    assert not any("comunicaciones" in w for w in theirs)


# --- exit refusal ----------------------------------------------------------------------


def test_refusing_the_exit_sends_the_brief_back_to_the_provider(
    make_brief, solicitante, proveedor, analista, django_capture_on_commit_callbacks
):
    brief = make_brief(Status.AWAITING_EXIT_APPROVAL)
    with pytest.raises(Invalid):
        actions.perform(brief, "refuse_exit", actor=solicitante, note=" ")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.perform(brief, "refuse_exit", actor=solicitante, note="El SMS supera 160.")
    brief.refresh_from_db()
    assert brief.status == Status.BASE_LOADED
    last = BriefTransition.objects.filter(brief=brief).last()
    assert (last.action, last.note) == ("refuse_exit", "El SMS supera 160.")
    assert AuditEvent.objects.filter(type="BRIEF_EXIT_REFUSED").count() == 1
    # the exit approval clock stopped with ICETEX's decision
    clock = SLAClock.objects.get(rule__code="aprobacion-salida")
    assert clock.stopped_at == last.at
    # the provider is told and can request the exit again; the banner says why
    assert proveedor.email in {m.to[0] for m in mail.outbox}
    comeback = workspace.last_comeback(brief)
    assert comeback is not None
    assert comeback.transition == last
    actions.perform(brief, "request_exit", actor=proveedor)
    brief.refresh_from_db()
    assert brief.status == Status.AWAITING_EXIT_APPROVAL


def test_the_provider_cannot_refuse_the_exit(make_brief, proveedor):
    brief = make_brief(Status.AWAITING_EXIT_APPROVAL)
    with pytest.raises(Forbidden):
        actions.perform(brief, "refuse_exit", actor=proveedor, note="No")
    brief.refresh_from_db()
    assert brief.status == Status.AWAITING_EXIT_APPROVAL


# --- views -----------------------------------------------------------------------------


def _as(client, user):
    client.force_login(user)
    return client


def test_refuse_view_shows_the_banner_and_the_ask_again_button(client, solicitante, comunicaciones):
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    refuse = reverse("campaigns:approval_refuse", args=[brief.code, "comms"])
    detail = reverse("campaigns:brief_detail", args=[brief.code])
    # an empty reason shows the form again with the Spanish error, nothing recorded
    response = _as(client, comunicaciones).post(refuse, {"reason": ""})
    assert response.status_code == 400
    assert "Escriba el motivo del rechazo del aval." in response.content.decode()
    assert not ApprovalEvent.objects.exists()
    # a reason refuses it
    response = client.post(refuse, {"reason": "Falta el logo."}, follow=True)
    assert response.redirect_chain[-1][0].endswith("#avales")
    # the requester sees the banner and the button to ask again
    page = _as(client, solicitante).get(detail).content.decode()
    assert "Aval rechazado por" in page
    assert "Falta el logo." in page
    assert reverse("campaigns:approval_request", args=[brief.code, "comms"]) in page
    assert "Pedir aval de nuevo" in page
    # the requester may not refuse
    assert client.post(refuse, {"reason": "x"}).status_code == 403


def test_request_view_twice_in_a_minute_says_so(client, solicitante, comunicaciones):
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    url = reverse("campaigns:approval_request", args=[brief.code, "comms"])
    response = _as(client, solicitante).post(url, {"note": "Por favor"}, follow=True)
    assert response.status_code == 200
    assert "Aval de comunicaciones solicitado" in response.content.decode()
    response = client.post(url, {"note": ""})
    assert response.status_code == 409
    assert "menos de un minuto" in response.content.decode()
    assert ApprovalEvent.objects.count() == 1
    assert (
        client.post(reverse("campaigns:approval_request", args=[brief.code, "x"])).status_code
        == 404
    )


def test_give_view_keeps_the_comment_in_the_historial(client, solicitante, jefe):
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    url = reverse("campaigns:approve", args=[brief.code, "boss"])
    _as(client, jefe).post(url, {"note": "Aprobado con gusto."})
    page = client.get(workspace.brief_url(brief.code, tab="historial")).content.decode()
    assert "Aval dado" in page
    assert "Aprobado con gusto." in page


# --- API -------------------------------------------------------------------------------


def test_api_refuse_ask_again_and_give_with_comment(api, solicitante, comunicaciones, jefe):
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    base = f"/api/v1/briefs/{brief.code}/approvals/comms"
    # an empty reason is a structured 400
    r = api.as_user(comunicaciones).post(f"{base}/refuse/", {"reason": ""}, format="json")
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "reason"
    r = api.as_user(comunicaciones).post(f"{base}/refuse/", {"reason": "Logo"}, format="json")
    assert r.status_code == 200
    comms = next(a for a in r.json()["approvals"] if a["which"] == "comms")
    assert (comms["refused_by"], comms["refusal"]) == ("comunicaciones", "Logo")
    # the area asks again, then comms gives it with a comment
    r = api.as_user(solicitante).post(f"{base}/request/", {"note": "Listo"}, format="json")
    assert r.status_code == 200
    r = api.as_user(solicitante).post(f"{base}/request/", {}, format="json")
    assert r.status_code == 409
    assert r.json()["errors"][0]["code"] == "too_soon"
    r = api.as_user(comunicaciones).post(f"{base}/", {"note": "Bien"}, format="json")
    assert r.status_code == 200
    timeline = api.as_user(solicitante).get(f"/api/v1/briefs/{brief.code}/timeline/").json()
    assert [(e["decision"], e["note"]) for e in timeline["approvals"]] == [
        ("refused", "Logo"),
        ("requested", "Listo"),
        ("given", "Bien"),
    ]


def test_api_wrong_role_is_a_structured_403_and_changes_nothing(
    api, solicitante, jefe, comunicaciones
):
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    before = (ApprovalEvent.objects.count(), AuditEvent.objects.count())
    base = f"/api/v1/briefs/{brief.code}/approvals"
    r = api.as_user(jefe).post(f"{base}/comms/refuse/", {"reason": "No"}, format="json")
    assert r.status_code == 403
    assert r.json()["errors"][0]["message"] == "Su rol no permite dar el aval de comunicaciones."
    r = api.as_user(comunicaciones).post(f"{base}/comms/request/", {}, format="json")
    assert r.status_code == 403
    assert r.json()["errors"][0]["code"] == "permission_denied"
    brief.refresh_from_db()
    assert (brief.comms_refused_at, brief.comms_requested_at) == (None, None)
    assert (ApprovalEvent.objects.count(), AuditEvent.objects.count()) == before


def test_api_refuse_exit(api, make_brief, analista):
    brief = make_brief(Status.AWAITING_EXIT_APPROVAL)
    url = f"/api/v1/briefs/{brief.code}/refuse_exit/"
    r = api.as_user(analista).post(url, {"note": ""}, format="json")
    assert r.status_code == 400
    r = api.as_user(analista).post(url, {"note": "Plantilla incompleta"}, format="json")
    assert r.status_code == 200
    assert r.json()["status"] == Status.BASE_LOADED
    assert r.json()["transition"]["note"] == "Plantilla incompleta"
