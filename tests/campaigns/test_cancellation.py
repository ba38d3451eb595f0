"""Cancelling a brief at each state, and which states can be re-opened (README table).

Cancelling stops what runs (sweeps cancelled, open imports stopped, SLA clocks closed as
«anulado»), keeps every file and makes it read-only; a cancelled or accepted brief is closed
for good (no action leads out of it), a returned one is re-opened by submitting it again.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from brief.campaigns import actions, permissions
from brief.campaigns.choices import TERMINAL, Status
from brief.contacts.choices import BaseStatus
from brief.contacts.models import ContactBase
from brief.core import sla
from brief.core.choices import ClockState
from brief.core.exceptions import Conflict
from brief.dispatch.choices import SweepState
from tests.helpers import finished_sweep, upload

pytestmark = pytest.mark.django_db

PERSONAS = ("solicitante", "jefe", "comunicaciones", "analista", "lider", "proveedor", "auditor")


def brief_in(state, make_brief, analista, proveedor):
    """A brief walked to ``state`` (returned and cancelled through their actions)."""
    if state == Status.RETURNED:
        brief = make_brief(Status.IN_REVIEW)
        actions.perform(
            brief, "return", actor=analista, note="Falta", checklist={"base_quality": False}
        )
    elif state == Status.CANCELLED:
        brief = make_brief(Status.DRAFT)
        actions.perform(brief, "cancel", actor=analista)
    else:
        brief = make_brief(state)
    brief.refresh_from_db()
    return brief


@pytest.mark.parametrize("state", Status.values)
def test_cancelling_at_each_state(request, api, make_brief, analista, proveedor, state):
    brief = brief_in(state, make_brief, analista, proveedor)
    if state == Status.EXECUTING:
        # given sweeps in every state: one finished, one running, one paused
        for sweep_state in (SweepState.DONE, SweepState.RUNNING, SweepState.PAUSED):
            sweep = finished_sweep(brief, proveedor)
            sweep.state = sweep_state
            sweep.save(update_fields=["state"])
    if state == Status.RECEIVED:
        # given the provider's import still running
        ContactBase.objects.create(
            brief=brief, source_name="b.csv", status=BaseStatus.IMPORTING, created_by=proveedor
        )
    files = sorted(brief.attachments.values_list("sha256", flat=True))
    open_clocks = list(sla.clocks_for(brief).filter(stopped_at__isnull=True))
    # when OCM cancels it
    r = api.as_user(analista).post(
        f"/api/v1/briefs/{brief.code}/cancel/", {"note": "Ya no se hará."}, format="json"
    )
    if state in TERMINAL:
        # then a closed brief cannot be cancelled (again): 409, nothing moved
        assert r.status_code == 409, r.json()
        brief.refresh_from_db()
        assert brief.status == state
        return
    assert r.status_code == 200, r.json()
    brief.refresh_from_db()
    assert brief.status == Status.CANCELLED
    # clocks: every one that was open is closed as cancelled, none is left open
    assert not sla.clocks_for(brief).filter(stopped_at__isnull=True).exists()
    for clock in open_clocks:
        clock.refresh_from_db()
        assert clock.state == ClockState.CANCELLED
    # sweeps: nothing is left to send; a finished sweep stays finished (evidence)
    states = sorted(brief.sweeps.values_list("state", flat=True))
    if state == Status.EXECUTING:
        assert states == ["cancelled", "cancelled", "done"]
        assert sorted(r.json()["transition"]["details"]["sweeps_cancelled"]) == sorted(
            brief.sweeps.filter(state="cancelled").values_list("pk", flat=True)
        )
    else:
        assert not set(states) & {SweepState.RUNNING, SweepState.PAUSED}
    # imports: a running import is asked to stop
    assert not ContactBase.objects.filter(
        brief=brief, status=BaseStatus.IMPORTING, cancel_requested=False
    ).exists()
    # files: all kept, still readable, no more added
    assert sorted(brief.attachments.values_list("sha256", flat=True)) == files
    attachment = brief.attachments.first()
    client = request.getfixturevalue("client")
    client.force_login(analista)
    download = client.get(
        reverse("campaigns:attachment_download", args=[brief.code, attachment.pk])
    )
    assert download.status_code == 200
    solicitante = request.getfixturevalue("solicitante")
    with pytest.raises(Conflict):
        actions.add_attachment(
            brief, actor=solicitante, kind="base", upload=upload("otra.csv", "documento\n1\n")
        )
    if brief.provider_id:  # the provider it was forwarded to adds no more reports
        with pytest.raises(Conflict):
            actions.add_attachment(
                brief, actor=proveedor, kind="report", upload=upload("i.csv", "a\n")
            )
    # re-opening: nobody has an action on a cancelled brief
    for who in PERSONAS:
        assert permissions.allowed_actions(brief, request.getfixturevalue(who)) == []
    r = api.as_user(solicitante).post(f"/api/v1/briefs/{brief.code}/submit/", {}, format="json")
    assert r.status_code == 409


def test_a_returned_brief_is_reopened_by_submitting_it_again(
    make_brief, analista, proveedor, solicitante
):
    brief = brief_in(Status.RETURNED, make_brief, analista, proveedor)
    transition = actions.perform(brief, "submit", actor=solicitante)
    brief.refresh_from_db()
    assert (transition.from_status, brief.status, brief.version) == (
        Status.RETURNED,
        Status.SUBMITTED,
        2,
    )
