"""Scope changes after forwarding: area/OCM file, OCM decides, the provider acknowledges."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from brief.campaigns import actions
from brief.campaigns.choices import ChangeState, Status
from brief.campaigns.models import Brief, ChangeRequest
from brief.core import calendar, sla
from brief.core.audit import AuditEvent
from brief.core.choices import ClockState
from brief.core.exceptions import Conflict, Forbidden, Invalid
from brief.dispatch.choices import SweepState
from tests.helpers import sweep_for, upload

MON = dt.datetime(2026, 12, 14, 9, 0, tzinfo=calendar.BOGOTA)  # a Monday, no holiday that week


def _provider_clock(brief):
    return sla.clocks_for(brief).get(rule__code="sms-email-ejecucion", stopped_at__isnull=True)


def test_area_to_ocm_to_provider_with_version_diff_and_extended_clock(
    make_brief, solicitante, analista, proveedor, django_capture_on_commit_callbacks
):
    # given a received brief whose provider clock runs
    brief = make_brief(Status.RECEIVED)
    clock = _provider_clock(brief)
    due_before = clock.due_at
    old_end = brief.end_date
    mail.outbox.clear()
    # when the area files a change of targets, OCM approves it, the provider acknowledges
    with django_capture_on_commit_callbacks(execute=True):
        change = actions.file_change(
            brief,
            actor=solicitante,
            reason="La meta cambió con la nueva resolución.",
            changes={"target_contact_rate": "75.5", "sweeps_planned": 2},
        )
    assert [m.to for m in mail.outbox] == [["analista@brief.example"]]
    ChangeRequest.objects.filter(pk=change.pk).update(filed_at=MON)
    change.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        change = actions.approve_change(change, actor=analista)
    brief.refresh_from_db()
    assert brief.version == 2
    assert brief.sweeps_planned == 2
    assert brief.end_date == old_end
    assert change.diff == [
        {"field": "sweeps_planned", "before": 1, "after": 2},
        {"field": "target_contact_rate", "before": None, "after": "75.50"},
    ]
    assert brief.versions.get(number=2).pdf
    assert actions.version_changes(brief)[0]["changes"] == change.diff
    assert _provider_clock(brief).state == ClockState.PAUSED
    assert "proveedor@brief.example" in {m.to[0] for m in mail.outbox}
    ack_at = MON + dt.timedelta(days=2)  # Wednesday: two business days after filing
    change = actions.acknowledge_change(change, actor=proveedor, at=ack_at)
    # then the clock runs again, due two business days later at the same time of day
    clock.refresh_from_db()
    assert change.state == ChangeState.ACKNOWLEDGED
    assert change.clock_rule == "extend"
    assert clock.state == ClockState.RUNNING
    expected_day = calendar.add_business_days(calendar.local(due_before).date(), 2)
    assert calendar.local(clock.due_at).date() == expected_day
    assert calendar.local(clock.due_at).time() == calendar.local(due_before).time()
    types = list(
        AuditEvent.objects.filter(type__startswith="CHANGE_REQUEST").values_list("type", flat=True)
    )
    assert sorted(types) == [
        "CHANGE_REQUEST_ACKNOWLEDGED",
        "CHANGE_REQUEST_APPROVED",
        "CHANGE_REQUEST_FILED",
    ]


def test_a_change_of_dates_restarts_the_provider_clock_from_the_acknowledgement(
    make_brief, analista, proveedor
):
    brief = make_brief(Status.BASE_LOADED)
    old = _provider_clock(brief)
    change = actions.file_change(
        brief,
        actor=analista,
        reason="El área movió la campaña una semana.",
        changes={"end_date": (brief.end_date + dt.timedelta(days=7)).isoformat()},
    )
    change = actions.approve_change(change, actor=analista)
    ack_at = MON + dt.timedelta(days=9)
    actions.acknowledge_change(change, actor=proveedor, at=ack_at)
    old.refresh_from_db()
    new = _provider_clock(brief)
    assert old.state == ClockState.CANCELLED
    assert new.pk != old.pk
    assert new.started_at == ack_at
    assert new.due_at == sla.compute_due(ack_at, new.rule.duration, new.rule.unit)


def test_content_change_pauses_running_sweeps_until_acknowledged(
    campaign, proveedor, analista, solicitante
):
    brief, _, templates = campaign(n=3)
    sweep = sweep_for(brief, templates["sms"], proveedor)
    change = actions.file_change(
        brief,
        actor=solicitante,
        reason="El guion cambió.",
        file_kind="script",
        upload=upload("guion.txt", "Nuevo guion"),
    )
    sweep.refresh_from_db()
    assert sweep.state in {SweepState.SCHEDULED, SweepState.RUNNING}  # filing changes nothing
    change = actions.approve_change(change, actor=analista)
    sweep.refresh_from_db()
    assert sweep.state == SweepState.PAUSED
    assert "Cambio de alcance 1" in sweep.pause_reason
    assert change.paused_sweeps == [sweep.pk]
    assert brief.attachments.filter(
        kind="script", brief_version=2, original_name="guion.txt", is_current=True
    ).exists()
    actions.acknowledge_change(change, actor=proveedor)
    sweep.refresh_from_db()
    assert sweep.state == SweepState.RUNNING
    assert sweep.pause_reason == ""


def test_rejection_needs_a_reason_and_changes_nothing(make_brief, solicitante, analista):
    brief = make_brief(Status.RECEIVED)
    change = actions.file_change(
        brief, actor=solicitante, reason="x", changes={"sweeps_planned": 3}
    )
    with pytest.raises(Invalid):
        actions.reject_change(change, actor=analista, note=" ")
    change = actions.reject_change(change, actor=analista, note="No cabe en el contrato.")
    brief.refresh_from_db()
    assert change.state == ChangeState.REJECTED
    assert brief.version == 1
    assert brief.sweeps_planned == 1
    # a rejected change is closed: a new one may be filed
    actions.file_change(brief, actor=solicitante, reason="otra", changes={"sweeps_planned": 2})


@pytest.mark.parametrize("who", ["proveedor", "outsider", "auditor", "comunicaciones"])
def test_who_may_not_file(make_brief, request, who):
    brief = make_brief(Status.RECEIVED)
    with pytest.raises(Forbidden):
        actions.file_change(
            brief, actor=request.getfixturevalue(who), reason="x", changes={"sweeps_planned": 2}
        )
    assert not ChangeRequest.objects.exists()


def test_who_may_decide_and_acknowledge(make_brief, solicitante, analista, proveedor):
    brief = make_brief(Status.RECEIVED)
    change = actions.file_change(
        brief, actor=solicitante, reason="x", changes={"sweeps_planned": 2}
    )
    for actor in (solicitante, proveedor):
        with pytest.raises(Forbidden):
            actions.approve_change(change, actor=actor)
    with pytest.raises(Conflict):  # not approved yet
        actions.acknowledge_change(change, actor=proveedor)
    change = actions.approve_change(change, actor=analista)
    for actor in (solicitante, analista):
        with pytest.raises(Forbidden):
            actions.acknowledge_change(change, actor=actor)
    with pytest.raises(Conflict):  # decided already
        actions.approve_change(change, actor=analista)


def test_refusals(make_brief, solicitante):
    draft = make_brief(Status.DRAFT)
    with pytest.raises(Conflict):
        actions.file_change(draft, actor=solicitante, reason="x", changes={"sweeps_planned": 2})
    brief = make_brief(Status.RECEIVED)
    bad = [
        ({"name": "Otro"}, "unknown_field"),
        ({"sweeps_planned": 1}, "no_change"),
        ({"channels": ["fax"]}, "invalid"),
        ({"end_date": "2020-01-01"}, "invalid_dates"),
        ({"start_date": "mañana"}, "invalid"),
    ]
    for changes, code in bad:
        with pytest.raises(Invalid) as caught:
            actions.file_change(brief, actor=solicitante, reason="x", changes=changes)
        assert caught.value.code == code, changes
    Brief.objects.filter(pk=brief.pk).update(includes_abroad=True, channels=["sms", "email"])
    brief.refresh_from_db()
    with pytest.raises(Invalid) as caught:  # the abroad rule of submission holds for changes
        actions.file_change(brief, actor=solicitante, reason="x", changes={"channels": ["sms"]})
    assert caught.value.code == "abroad_channels"
    with pytest.raises(Invalid):
        actions.file_change(brief, actor=solicitante, reason=" ", changes={"sweeps_planned": 2})
    actions.file_change(brief, actor=solicitante, reason="x", changes={"sweeps_planned": 2})
    with pytest.raises(Conflict) as caught:
        actions.file_change(brief, actor=solicitante, reason="y", changes={"sweeps_planned": 3})
    assert caught.value.code == "change_open"
    assert ChangeRequest.objects.count() == 1


def test_api_flow_and_structured_refusals(api, make_brief, solicitante, analista, proveedor):
    brief = make_brief(Status.RECEIVED)
    url = reverse("api:brief_changes", args=[brief.code])
    # a refusal is a structured 4xx
    response = api.as_user(proveedor).post(
        url, {"reason": "x", "changes": {"sweeps_planned": 2}}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "permission_denied"
    response = api.as_user(solicitante).post(
        url, {"reason": "x", "changes": {"nombre": 1}}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "unknown_field"
    response = api.as_user(solicitante).post(
        url, {"reason": "Más barridos", "changes": {"sweeps_planned": 2}}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["state"] == "filed"
    detail = reverse("api:brief_change", args=[brief.code, 1])
    response = api.as_user(analista).post(detail + "approve/", {"note": "De acuerdo"})
    assert response.status_code == 200
    assert response.json()["diff"] == [{"field": "sweeps_planned", "before": 1, "after": 2}]
    response = api.as_user(analista).post(detail + "acknowledge/")
    assert response.status_code == 403
    response = api.as_user(proveedor).post(detail + "acknowledge/")
    assert response.status_code == 200
    assert response.json()["state"] == "acknowledged"
    response = api.as_user(proveedor).post(detail + "acknowledge/")
    assert response.status_code == 409
    assert api.as_user(proveedor).get(url).json()[0]["version"] == 2


def test_api_multipart_with_a_new_base(api, make_brief, solicitante):
    brief = make_brief(Status.RECEIVED)
    response = api.as_user(solicitante).post(
        reverse("api:brief_changes", args=[brief.code]),
        {
            "reason": "Base corregida",
            "file_kind": "base",
            "file": upload("base2.csv", "documento,nombres\n1,Ana\n"),
            "changes": '{"estimated_base_size": 1}',
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["file_name"] == "base2.csv"
    assert response.json()["changes"] == {"estimated_base_size": 1}


def test_brief_page_files_decides_and_acknowledges(
    client, make_brief, solicitante, analista, proveedor
):
    brief = make_brief(Status.RECEIVED)
    page = reverse("campaigns:brief_detail", args=[brief.code])
    client.force_login(proveedor)
    assert "Solicitar un cambio de alcance" not in client.get(page).content.decode()
    client.force_login(solicitante)
    assert "Solicitar un cambio de alcance" in client.get(page).content.decode()
    response = client.post(reverse("campaigns:change_file", args=[brief.code]), {"reason": ""})
    assert response.status_code == 400
    assert "Explique el motivo del cambio." in response.content.decode()
    response = client.post(
        reverse("campaigns:change_file", args=[brief.code]),
        {"reason": "Más barridos", "sweeps_planned": "3"},
    )
    assert response.status_code == 302
    client.force_login(analista)
    html = client.get(page).content.decode()
    assert "Aprobar cambio" in html
    assert "Radicado, esperando a OCM" in html
    response = client.post(reverse("campaigns:change_decide", args=[brief.code, 1, "aprobar"]))
    assert response.status_code == 302
    client.force_login(proveedor)
    html = client.get(page).content.decode()
    assert "Acusar recibo del cambio" in html
    assert "Número de barridos" in html
    client.post(reverse("campaigns:change_acknowledge", args=[brief.code, 1]))
    assert ChangeRequest.objects.get().state == ChangeState.ACKNOWLEDGED
    assert "Acusado por el proveedor" in client.get(page).content.decode()
