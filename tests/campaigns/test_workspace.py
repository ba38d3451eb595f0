"""The brief as a workspace: stepper, who acts next, the return banner, tabs, the home to-do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from brief.campaigns import actions, workspace
from brief.campaigns.choices import ChecklistItem, Status
from brief.core import sla
from brief.core.models import SLAClock
from tests.helpers import brief_data, meet_checks

pytestmark = pytest.mark.django_db

AREA = "Vicepresidencia de Crédito y Cobranza"


def detail(client, user, brief, **params) -> str:
    client.force_login(user)
    response = client.get(reverse("campaigns:brief_detail", args=[brief.code]), params)
    assert response.status_code == 200
    return response.content.decode()


def return_brief(brief, analista, note="Falta el guion del SMS."):
    checklist = {item: item != ChecklistItem.SCRIPT for item in ChecklistItem.values}
    actions.perform(brief, "return", actor=analista, note=note, checklist=checklist)
    brief.refresh_from_db()
    return brief


# --- sla.risk ------------------------------------------------------------------------------


def test_risk_is_ok_at_risk_then_overdue():
    now = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
    assert sla.risk(now + dt.timedelta(hours=25), now) == sla.RISK_OK
    assert sla.risk(now + dt.timedelta(hours=24), now) == sla.RISK_AT_RISK
    assert sla.risk(now + dt.timedelta(minutes=1), now) == sla.RISK_AT_RISK
    assert sla.risk(now, now) == sla.RISK_OVERDUE
    assert sla.risk(now - dt.timedelta(days=3), now) == sla.RISK_OVERDUE
    # a clock marked breached stays overdue even if its due time was moved later
    assert sla.risk(now + dt.timedelta(days=3), now, breached=True) == sla.RISK_OVERDUE
    assert sla.risk(now + dt.timedelta(hours=2), now, within=dt.timedelta(hours=1)) == "ok"


# --- who acts next -------------------------------------------------------------------------


# The sentence of each state along the path, in the order ``make_brief`` walks it.
NEXT = {
    Status.SUBMITTED: "Le toca a: Analista OCM — iniciar verificación",
    Status.IN_REVIEW: "Le toca a: Analista OCM — remitir al proveedor o devolver al área",
    Status.FORWARDED: "Le toca a: Proveedor Contact Center BPO — recibir",
    Status.RECEIVED: "Le toca a: Proveedor Contact Center BPO — registrar cargue de base",
    Status.AWAITING_EXIT_APPROVAL: (
        f"Le toca a: Analista OCM o Solicitante o Jefe inmediato de {AREA} — aprobar salida o "
        "rechazar salida"
    ),
    Status.EXECUTING: "Le toca a: Proveedor Contact Center BPO — entregar resultados",
    Status.RESULTS_REVIEW: (
        "Le toca a: Analista OCM — enviar resultados al área o devolver resultados al proveedor"
    ),
    Status.RESULTS_SENT: (
        f"Le toca a: Solicitante o Jefe inmediato de {AREA} — aceptar o rechazar resultados"
    ),
}


def test_next_actor_sentence_per_state_for_each_role(
    client, make_brief, solicitante, analista, proveedor, auditor
):
    brief = make_brief(Status.SUBMITTED)
    path = {
        Status.SUBMITTED: ("start_review", analista),
        Status.IN_REVIEW: ("forward", analista),
        Status.FORWARDED: ("receive", proveedor),
        Status.RECEIVED: ("load_base", proveedor),
        Status.BASE_LOADED: ("request_exit", proveedor),
        Status.AWAITING_EXIT_APPROVAL: ("approve_exit", solicitante),
        Status.EXECUTING: ("deliver_results", proveedor),
        Status.RESULTS_REVIEW: ("send_results", analista),
    }
    seen = []
    while brief.status in path:
        if brief.status in NEXT:
            expected = NEXT[brief.status]
            assert [str(s) for s in workspace.next_steps(brief)] == [expected]
            # the header says it to whoever reads the brief
            readers = [solicitante, analista, auditor]
            if brief.status != Status.SUBMITTED and brief.status != Status.IN_REVIEW:
                readers.append(proveedor)
            for user in readers:
                assert expected in detail(client, user, brief)
            seen.append(brief.status)
        name, actor = path[brief.status]
        meet_checks(brief, name, proveedor)
        actions.perform(brief, name, actor=actor)
        brief.refresh_from_db()
    assert brief.status == Status.RESULTS_SENT
    assert [str(s) for s in workspace.next_steps(brief)] == [NEXT[Status.RESULTS_SENT]]
    assert len(seen) == len(NEXT) - 1


def test_draft_names_the_approvers_still_missing(client, solicitante, comunicaciones):
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    assert [str(s) for s in workspace.next_steps(brief)] == [
        f"Le toca a: Solicitante o Jefe inmediato de {AREA} — radicar",
        f"Le toca a: Jefe inmediato de {AREA} — dar el aval del jefe inmediato",
        "Le toca a: Comunicaciones — dar el aval de comunicaciones",
    ]
    # once communications gives its approval it is no longer named
    actions.give_approval(brief, "comms", actor=comunicaciones)
    page = detail(client, comunicaciones, brief)
    assert "dar el aval de comunicaciones" not in page
    assert "dar el aval del jefe inmediato" in page


def test_user_without_actions_is_told_who_acts(client, make_brief, proveedor):
    brief = make_brief(Status.AWAITING_EXIT_APPROVAL)
    page = detail(client, proveedor, brief)
    assert "No tiene acciones pendientes en este brief." in page
    assert page.count("aprobar salida") == 2  # the header and the action panel


def test_accepted_and_cancelled_say_nobody_acts(client, make_brief, solicitante):
    accepted = make_brief(Status.ACCEPTED)
    assert workspace.next_steps(accepted) == []
    assert "Proceso terminado: el área aceptó los resultados." in detail(
        client, solicitante, accepted
    )
    cancelled = make_brief(Status.SUBMITTED)
    actions.perform(cancelled, "cancel", actor=solicitante, note="Ya no se necesita.")
    cancelled.refresh_from_db()
    assert "Brief cancelado: nadie tiene que actuar." in detail(client, solicitante, cancelled)
    steps = workspace.stepper(cancelled)
    assert [s.state for s in steps[:3]] == ["done", "done", "next"]
    assert not any(s.state == "current" for s in steps)


# --- stepper -------------------------------------------------------------------------------


def test_stepper_marks_done_current_and_next(client, make_brief, analista):
    brief = make_brief(Status.BASE_LOADED)
    steps = workspace.stepper(brief)
    assert len(steps) == 11
    assert [s.state for s in steps] == ["done"] * 5 + ["current"] + ["next"] * 5
    page = detail(client, analista, brief)
    assert '<li class="step current" aria-current="step">' in page
    # a returned brief is back at the first step, named for what happened
    returned = return_brief(make_brief(Status.IN_REVIEW), analista)
    steps = workspace.stepper(returned)
    assert steps[0].state == "current"
    assert str(steps[0].label) == "Devuelto al área"
    assert all(s.state == "next" for s in steps[1:])
    assert all(s.state == "done" for s in workspace.stepper(make_brief(Status.ACCEPTED)))


# --- the return banner ---------------------------------------------------------------------


def test_returned_brief_shows_its_reasons_in_a_banner_until_resubmitted(
    client, make_brief, analista, solicitante
):
    brief = return_brief(make_brief(Status.IN_REVIEW), analista)
    page = detail(client, solicitante, brief)
    banner = page[page.index('id="motivos-devolucion"') : page.index('class="stepper"')]
    assert "Devolver al área: Analista" in banner
    assert "<strong>Motivos:</strong> Falta el guion del SMS." in banner
    assert "No cumple: Guion o contenido del mensaje" in banner
    assert f"Le toca a: Solicitante o Jefe inmediato de {AREA} — radicar" in page
    # on every tab: the banner is in the header
    assert 'id="motivos-devolucion"' in detail(client, solicitante, brief, tab="ans")
    # once resubmitted the brief moved on: no banner
    actions.perform(brief, "submit", actor=solicitante)
    assert 'id="motivos-devolucion"' not in detail(client, solicitante, brief)


def test_results_returned_to_the_provider_show_the_banner(client, make_brief, analista, proveedor):
    brief = make_brief(Status.RESULTS_REVIEW)
    actions.perform(brief, "return_results", actor=analista, note="Faltan los leídos.")
    page = detail(client, proveedor, brief)
    assert "Devolver resultados al proveedor: Analista" in page
    assert "Faltan los leídos." in page


# --- SLA countdown -------------------------------------------------------------------------


def test_countdown_shows_the_nearest_clock_coloured_by_risk(client, make_brief, analista):
    brief = make_brief(Status.SUBMITTED)
    clock = sla.clocks_for(brief).get(stopped_at__isnull=True)
    SLAClock.objects.filter(pk=clock.pk).update(due_at=timezone.now() + dt.timedelta(days=3))
    page = detail(client, analista, brief)
    assert 'class="countdown badge ok"' in page
    assert 'data-risk="ok"' in page
    assert "countdown.js" in page
    SLAClock.objects.filter(pk=clock.pk).update(due_at=timezone.now() + dt.timedelta(hours=3))
    assert 'class="countdown badge warn"' in detail(client, analista, brief)
    SLAClock.objects.filter(pk=clock.pk).update(due_at=timezone.now() - dt.timedelta(hours=3))
    page = detail(client, analista, brief)
    assert 'class="countdown badge late"' in page
    assert "vencido hace 3" in page


# --- tabs ----------------------------------------------------------------------------------


def test_each_tab_answers_for_the_area_and_is_denied_to_another_area(
    client, make_brief, solicitante, outsider
):
    brief = make_brief(Status.EXECUTING)
    for tab in workspace.TABS:
        url = reverse("campaigns:brief_tab", args=[brief.code, tab])
        client.force_login(solicitante)
        fragment = client.get(url, headers={"HX-Request": "true"})
        assert fragment.status_code == 200, tab
        body = fragment.content.decode()
        assert "<html" not in body  # a fragment for htmx
        assert f'id="pestana-{tab}"' in body
        assert f'data-tab="{tab}" aria-current="page"' in body
        # without JavaScript the same URL is the whole page on that tab
        page = client.get(url)
        assert page.status_code == 200
        assert "<html" in page.content.decode()
        assert f'id="pestana-{tab}"' in page.content.decode()
        client.force_login(outsider)
        denied = client.get(url, headers={"HX-Request": "true"})
        assert denied.status_code == 403
        assert brief.name not in denied.content.decode()


def test_tab_query_chooses_the_tab_without_js_and_unknown_tabs(client, make_brief, analista):
    brief = make_brief(Status.ACCEPTED)
    page = detail(client, analista, brief, tab="ans")
    assert 'id="pestana-ans"' in page
    assert "Acuerdos de nivel de servicio (ANS)" in page
    assert 'id="f559-title"' not in page  # one tab at a time
    # the default tab, and an unknown ?tab= falls back to it
    assert 'id="pestana-formato"' in detail(client, analista, brief)
    assert 'id="pestana-formato"' in detail(client, analista, brief, tab="nada")
    url = reverse("campaigns:brief_tab", args=[brief.code, "nada"])
    assert client.get(url).status_code == 404


def test_links_and_redirects_open_the_tab_that_holds_the_section(make_brief):
    assert workspace.brief_url("BRF-1", "preguntas") == "/briefs/BRF-1/?tab=preguntas#preguntas"
    assert workspace.brief_url("BRF-1", "adjuntos") == "/briefs/BRF-1/#adjuntos"
    assert workspace.brief_url("BRF-1", tab="ans") == "/briefs/BRF-1/?tab=ans"
    assert set(workspace.ANCHOR_TABS.values()) <= set(workspace.TABS)


def test_a_form_error_shows_the_tab_of_the_form(client, make_brief, proveedor):
    brief = make_brief(Status.RECEIVED)
    client.force_login(proveedor)
    response = client.post(reverse("campaigns:question_ask", args=[brief.code]), {"text": ""})
    assert response.status_code == 400
    assert 'id="pestana-preguntas"' in response.content.decode()


# --- the home to-do list -------------------------------------------------------------------


def test_todo_lists_what_waits_for_me_overdue_first_with_the_tab(client, make_brief, analista):
    # given two briefs waiting for OCM: the older one is on time, the newer one is overdue
    on_time = make_brief(Status.SUBMITTED)
    late = make_brief(Status.RESULTS_REVIEW)
    for brief, due in ((on_time, dt.timedelta(days=2)), (late, -dt.timedelta(hours=5))):
        SLAClock.objects.filter(
            pk__in=sla.clocks_for(brief).filter(stopped_at__isnull=True).values("pk")
        ).update(due_at=timezone.now() + due)
    # when OCM opens its home panels
    client.force_login(analista)
    response = client.get(reverse("campaigns:home_panels"))
    todo = response.context["pending"]
    # then the overdue brief's tasks come first, each linking to its tab
    assert [(t.brief.code, t.what, t.risk) for t in todo] == [
        (late.code, "Enviar resultados al área", "overdue"),
        (late.code, "Devolver resultados al proveedor", "overdue"),
        (on_time.code, "Iniciar verificación", "ok"),
    ]
    assert todo[0].url == workspace.brief_url(late.code, "acciones", tab="informe")
    page = response.content.decode()
    assert page.index(late.code) < page.index(on_time.code)
    assert 'class="overdue"' in page


def test_todo_includes_questions_and_approvals(client, make_brief, solicitante, proveedor, jefe):
    brief = make_brief(Status.RECEIVED)
    actions.ask_question(brief, actor=proveedor, text="¿Horario?")
    draft = actions.create_brief(actor=solicitante, data=brief_data())
    client.force_login(jefe)
    todo = client.get(reverse("campaigns:home_panels")).context["pending"]
    whats = {(t.brief.code, t.what, t.url) for t in todo}
    assert (
        brief.code,
        "Responder 1 pregunta(s) del proveedor",
        workspace.brief_url(brief.code, "preguntas"),
    ) in whats
    assert (
        draft.code,
        "Dar aval del jefe inmediato",
        workspace.brief_url(draft.code, "avales"),
    ) in whats
