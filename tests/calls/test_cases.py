"""Cases: a typification that creates one opens it once, due one business day later on
Colombia's calendar; overdue cases are breached and alerted by the SLA engine."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from brief.calls import actions
from brief.calls.models import Case, TypificationNode
from brief.campaigns.models import Notification
from brief.campaigns.notifications import alert_clocks
from brief.core import sla
from brief.core.calendar import BOGOTA
from brief.core.choices import ClockState
from brief.core.exceptions import Conflict, Forbidden


def record(brief, actor, node, *, at: dt.datetime, contact=None, observations="Reclamo"):
    return actions.record_interaction(
        brief,
        actor=actor,
        data={
            "channel": "call",
            "contact": contact.pk if contact else None,
            "external_id": f"call-{at.timestamp()}",
            "started_at": at,
            "ended_at": at + dt.timedelta(minutes=4),
            "typification": node.pk,
            "observations": observations,
        },
    )


@pytest.fixture
def case_node(call_campaign):
    brief, _contacts, _leaf = call_campaign
    return TypificationNode.objects.get(brief=brief, code="CD0203")  # creates a case


@pytest.mark.parametrize(
    ("started", "due_day"),
    [
        # a Friday: Saturday and Sunday do not count
        (dt.datetime(2026, 11, 27, 10, 0, tzinfo=BOGOTA), dt.date(2026, 11, 30)),
        # a Friday before the Monday holiday of Cartagena's independence (16 Nov 2026)
        (dt.datetime(2026, 11, 13, 16, 0, tzinfo=BOGOTA), dt.date(2026, 11, 17)),
    ],
)
def test_a_case_typification_opens_one_case_due_one_business_day_later(
    call_campaign, case_node, asesor, django_capture_on_commit_callbacks, started, due_day
):
    brief, contacts, _leaf = call_campaign
    with django_capture_on_commit_callbacks(execute=True):
        interaction = record(brief, asesor, case_node, at=started, contact=contacts[0])
    case = Case.objects.get()
    ended = started + dt.timedelta(minutes=4)
    assert (case.interaction, case.brief, case.contact) == (interaction, brief, contacts[0])
    assert case.code.startswith("CASO-")
    assert (case.status, case.responsible, case.summary) == ("open", "provider", "Reclamo")
    assert case.person == f"CC:{contacts[0].doc_number}"
    assert case.opened_at == ended
    assert case.due_at == dt.datetime.combine(due_day, dt.time.max, tzinfo=BOGOTA)
    [clock] = sla.clocks_for(case)
    assert (clock.rule.code, clock.due_at, clock.started_at) == (
        "creacion-casos",
        case.due_at,
        ended,
    )


def test_one_case_per_interaction_and_none_without_the_flag(
    call_campaign, case_node, asesor, django_capture_on_commit_callbacks
):
    brief, contacts, plain = call_campaign
    at = dt.datetime(2026, 11, 25, 9, 0, tzinfo=BOGOTA)
    interaction = record(brief, asesor, case_node, at=at, contact=contacts[0])
    actions.update_interaction(
        interaction, actor=asesor, data={"observations": "Otra vez", "typification": case_node.pk}
    )
    record(brief, asesor, plain, at=at + dt.timedelta(hours=1), contact=contacts[1])
    assert Case.objects.count() == 1


def test_a_later_typification_that_creates_a_case_opens_it_then(call_campaign, case_node, asesor):
    brief, contacts, plain = call_campaign
    at = dt.datetime(2026, 11, 25, 9, 0, tzinfo=BOGOTA)
    interaction = record(brief, asesor, plain, at=at, contact=contacts[0])
    assert not Case.objects.exists()
    actions.update_interaction(interaction, actor=asesor, data={"typification": case_node.pk})
    case = Case.objects.get()
    assert case.opened_at > at + dt.timedelta(days=1)  # now, when it was typified


def test_an_overdue_case_is_breached_once_and_alerts_the_provider(
    call_campaign, case_node, asesor, proveedor, django_capture_on_commit_callbacks
):
    brief, _contacts, _leaf = call_campaign
    with django_capture_on_commit_callbacks(execute=True):
        record(brief, asesor, case_node, at=dt.datetime(2026, 11, 20, 9, 0, tzinfo=BOGOTA))
    case = Case.objects.get()
    assert case.overdue()
    assert sla.scan_breaches() == 1
    assert sla.scan_breaches() == 0
    assert alert_clocks() >= 1
    [clock] = sla.clocks_for(case)
    alert = Notification.objects.get(user=proveedor, key=f"sla_breached:{clock.pk}")
    assert "Creación y gestión de un caso" in alert.text
    assert alert_clocks() == 0


def test_closing_in_time_and_late_stops_the_clock(
    call_campaign, case_node, asesor, analista, django_capture_on_commit_callbacks
):
    brief, _contacts, _leaf = call_campaign
    with django_capture_on_commit_callbacks(execute=True):
        record(brief, asesor, case_node, at=dt.datetime(2026, 11, 20, 9, 0, tzinfo=BOGOTA))
    case = Case.objects.get()
    note = actions.annotate_case(case, actor=analista, text="Remitido al área")
    case.refresh_from_db()
    assert (case.status, note.author) == ("in_progress", analista)
    with django_capture_on_commit_callbacks(execute=True):
        actions.close_case(case, actor=asesor, text="Resuelto")
    case.refresh_from_db()
    assert (case.status, case.closed_by, case.on_time) == ("closed", asesor, False)
    [clock] = sla.clocks_for(case)
    assert clock.state == ClockState.LATE
    with pytest.raises(Conflict):
        actions.close_case(case, actor=asesor)


def test_who_manages_cases(
    call_campaign, case_node, asesor, solicitante, other_provider_user, make_user, provider_org
):
    brief, _contacts, _leaf = call_campaign
    record(brief, asesor, case_node, at=dt.datetime(2026, 11, 24, 9, 0, tzinfo=BOGOTA))
    case = Case.objects.get()
    unassigned = make_user("asesor2", "asesor", provider=provider_org)
    for outsider in (solicitante, other_provider_user, unassigned):
        with pytest.raises(Forbidden):
            actions.annotate_case(case, actor=outsider, text="x")
    assert not case.notes.exists()


# --- pages and API -------------------------------------------------------------------------


def test_cases_page_filters_and_scoping(
    client, call_campaign, case_node, asesor, analista, solicitante, other_provider_user
):
    brief, _contacts, _leaf = call_campaign
    record(brief, asesor, case_node, at=dt.datetime(2026, 11, 20, 9, 0, tzinfo=BOGOTA))
    case = Case.objects.get()
    detail = reverse("calls:case_detail", args=[case.code])
    for user in (asesor, analista):
        client.force_login(user)
        page = client.get(reverse("calls:cases"), {"overdue": "true", "brief": brief.code})
        assert detail in page.text
        assert "Vencido" in page.text
        assert detail not in client.get(reverse("calls:cases"), {"status": "closed"}).text
    client.force_login(other_provider_user)
    assert detail not in client.get(reverse("calls:cases")).text
    assert client.get(detail).status_code == 403
    client.force_login(solicitante)
    assert client.get(reverse("calls:cases")).status_code == 403


def test_case_detail_annotates_and_closes(client, call_campaign, case_node, asesor):
    brief, _contacts, _leaf = call_campaign
    record(brief, asesor, case_node, at=dt.datetime(2026, 11, 24, 9, 0, tzinfo=BOGOTA))
    case = Case.objects.get()
    client.force_login(asesor)
    assert client.get(reverse("calls:case_detail", args=[case.code])).status_code == 200
    empty = client.post(reverse("calls:case_annotate", args=[case.code]), {"text": ""})
    assert empty.status_code == 400
    noted = client.post(reverse("calls:case_annotate", args=[case.code]), {"text": "Llamé"})
    assert noted.status_code == 302
    closed = client.post(reverse("calls:case_close", args=[case.code]), {"text": ""})
    assert closed.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.notes.count()) == ("closed", 1)


def test_cases_api(api, call_campaign, case_node, asesor, analista, other_provider_user):
    brief, _contacts, _leaf = call_campaign
    record(brief, asesor, case_node, at=dt.datetime(2026, 11, 24, 9, 0, tzinfo=BOGOTA))
    case = Case.objects.get()
    listed = api.as_user(analista).get(reverse("api:cases"), {"overdue": "true"}).json()
    assert [(c["code"], c["overdue"]) for c in listed["results"]] == [(case.code, True)]
    assert api.as_user(other_provider_user).get(reverse("api:cases")).json()["results"] == []
    url = reverse("api:case_detail", args=[case.code])
    noted = api.as_user(asesor).post(f"{url}annotate/", {"text": "Llamé"}, format="json")
    assert (noted.status_code, noted.json()["status"]) == (201, "in_progress")
    missing = api.as_user(asesor).post(f"{url}annotate/", {"text": ""}, format="json")
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["field"] == "text"
    closed = api.as_user(analista).post(f"{url}close/", {}, format="json").json()
    assert (closed["status"], closed["on_time"]) == ("closed", False)
    again = api.as_user(analista).post(f"{url}close/", {}, format="json")
    assert (again.status_code, again.json()["errors"][0]["code"]) == (409, "case_closed")
