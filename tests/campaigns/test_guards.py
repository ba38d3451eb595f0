"""The workflow's checks (``ActionSpec.checks``): each transition keeps what its state says.

Through the API: a brief that does not meet a check is refused with the Spanish reason and
its state does not move; ``blocked_actions`` gives the same reason before trying; once the
brief meets it, the action runs.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from brief.campaigns.choices import Status
from brief.campaigns.models import Brief, BriefTransition
from brief.contacts.choices import BaseStatus
from brief.contacts.models import ContactBase
from brief.dispatch.choices import SweepState
from tests.helpers import channel_templates, finished_sweep, ready_base

pytestmark = pytest.mark.django_db


def act(api, user, brief, action):
    return api.as_user(user).post(f"/api/v1/briefs/{brief.code}/{action}/", {}, format="json")


def blocked(api, user, brief) -> dict[str, dict]:
    body = api.as_user(user).get(f"/api/v1/briefs/{brief.code}/").json()
    return {b["action"]: b for b in body["blocked_actions"]}


def assert_refused(response, brief, *, status: int, code: str, text: str) -> None:
    """Refused with ``status`` and the Spanish reason; the brief did not move."""
    assert response.status_code == status, response.json()
    errors = response.json()["errors"]
    assert {e["code"] for e in errors} == {code}
    assert any(text in e["message"] for e in errors)
    before = brief.status
    brief.refresh_from_db()
    assert brief.status == before
    assert not BriefTransition.objects.filter(brief=brief, from_status=before).exists()


def test_load_base_needs_a_ready_import_of_this_brief(api, make_brief, proveedor):
    brief = make_brief(Status.RECEIVED)
    # nothing imported yet: refused, and the brief page says why before anyone tries
    r = act(api, proveedor, brief, "load_base")
    assert_refused(r, brief, status=409, code="base_not_ready", text="Importe y depure la base")
    assert (
        blocked(api, proveedor, brief)["load_base"]["message"] == r.json()["errors"][0]["message"]
    )
    # an import still running is not a loaded base either
    ContactBase.objects.create(
        brief=brief, source_name="base.csv", status=BaseStatus.IMPORTING, created_by=proveedor
    )
    r = act(api, proveedor, brief, "load_base")
    assert_refused(r, brief, status=409, code="base_not_ready", text="sigue en curso")
    # a ready base of another brief does not count
    ready_base(make_brief(Status.RECEIVED, name="Otra campaña"), proveedor)
    assert act(api, proveedor, brief, "load_base").status_code == 409
    # when the brief's own import is ready, the load is registered with its summary
    ready_base(brief, proveedor, rows_total=7)
    r = act(api, proveedor, brief, "load_base")
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == Status.BASE_LOADED
    assert r.json()["transition"]["details"]["base_summary"]["rows_total"] == 7


def test_request_exit_needs_a_template_per_channel_and_the_call_script(api, make_brief, proveedor):
    brief = make_brief(Status.BASE_LOADED, channels=["sms", "email", "call"])
    templates = channel_templates(brief, proveedor)
    templates["email"].delete()
    templates["call"].delete()
    # two channels without content: both named in the one refusal
    r = act(api, proveedor, brief, "request_exit")
    assert_refused(r, brief, status=409, code="missing_template", text="Correo electrónico")
    messages = [e["message"] for e in r.json()["errors"]]
    assert messages == [
        "Falta la plantilla del canal «Correo electrónico».",
        "Falta el guion de llamada: cree la plantilla del canal «Llamada outbound» con sus "
        "secciones.",
    ]
    assert blocked(api, proveedor, brief)["request_exit"]["code"] == "missing_template"
    # with each channel's template (the call's carries its script) the exit is requested
    channel_templates(brief, proveedor)
    r = act(api, proveedor, brief, "request_exit")
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == Status.AWAITING_EXIT_APPROVAL
    assert "request_exit" not in blocked(api, proveedor, brief)


def test_deliver_results_needs_a_finished_sweep_not_an_uploaded_report(api, make_brief, proveedor):
    brief = make_brief(Status.EXECUTING)
    # no sweep at all: 409, nothing delivered
    r = act(api, proveedor, brief, "deliver_results")
    assert_refused(r, brief, status=409, code="no_finished_sweep", text="barrido terminado")
    # only a running sweep: 409, nothing delivered yet
    sweep = finished_sweep(brief, proveedor)
    sweep.state = SweepState.RUNNING
    sweep.save(update_fields=["state"])
    r = act(api, proveedor, brief, "deliver_results")
    assert_refused(r, brief, status=409, code="no_finished_sweep", text="barrido terminado")
    assert blocked(api, proveedor, brief)["deliver_results"]["code"] == "no_finished_sweep"
    # once a sweep finished, the results go to OCM (the report is generated and frozen; no
    # uploaded file is needed)
    sweep.state = SweepState.DONE
    sweep.save(update_fields=["state"])
    r = act(api, proveedor, brief, "deliver_results")
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == Status.RESULTS_REVIEW


def test_blocked_actions_are_only_the_users_own(api, make_brief, proveedor, analista):
    # given a received brief without a base
    brief = make_brief(Status.RECEIVED)
    # the provider sees load_base blocked; OCM, who cannot load it, sees no such entry
    assert list(blocked(api, proveedor, brief)) == ["load_base"]
    assert "load_base" not in blocked(api, analista, brief)


def test_the_exit_approval_shows_what_it_approves_and_freezes(
    client, make_brief, solicitante, proveedor
):
    # given a brief awaiting exit approval with its templates and a base of known size
    brief = make_brief(Status.AWAITING_EXIT_APPROVAL)
    ContactBase.objects.filter(brief=brief).update(
        summary={"usable_by_channel": {"sms": 1234, "email": 987}}
    )
    client.force_login(solicitante)
    # when the area opens the brief
    page = client.get(reverse("campaigns:brief_detail", args=[brief.code])).content.decode()
    # then the approve form lists the templates and the recipients per channel
    assert "Lo que se aprueba (queda congelado):" in page
    assert "Plantilla SMS: «Plantilla sms»" in page
    assert re.search(r"Destinatarios útiles por SMS: 1\D?234<", page)
    # and approving freezes exactly those templates
    client.post(reverse("campaigns:action", args=[brief.code, "approve_exit"]), {"note": ""})
    brief = Brief.objects.get(pk=brief.pk)
    assert brief.status == Status.EXECUTING
    assert not brief.templates.filter(frozen_at__isnull=True).exists()


def test_the_brief_page_disables_a_blocked_button_with_its_reason(client, make_brief, proveedor):
    brief = make_brief(Status.RECEIVED)
    client.force_login(proveedor)
    page = client.get(reverse("campaigns:brief_detail", args=[brief.code])).content.decode()
    assert 'disabled aria-describedby="bloqueo-load_base"' in page
    assert 'id="bloqueo-load_base" data-action="load_base">Importe y depure la base' in page
