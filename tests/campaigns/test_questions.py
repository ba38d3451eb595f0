"""Questions with both deadlines: the provider asks within 1 business day of the receipt, the
area answers within 1 business day; each side is told by e-mail."""

import datetime as dt

from django.core import mail
from django.urls import reverse

from brief.campaigns import actions
from brief.campaigns.choices import Status
from brief.core import sla
from brief.core.choices import ClockState


def _window(question):
    return sla.clocks_for(question).get(rule__code=sla.QUESTION_WINDOW_RULE)


def test_question_in_the_window_is_on_time_and_tells_ocm_and_the_area(
    make_brief, proveedor, django_capture_on_commit_callbacks
):
    brief = make_brief(Status.RECEIVED)
    received = brief.transitions.get(action="receive")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        question = actions.ask_question(brief, actor=proveedor, text="¿Incluye exterior?")
    window = _window(question)
    assert window.state == ClockState.MET
    assert window.started_at == received.at
    assert window.due_at == sla.compute_due(received.at, 1, "business_days")
    assert sorted(m.to[0] for m in mail.outbox) == [
        "analista@brief.example",
        "jefe@brief.example",
        "solicitante@brief.example",
    ]
    assert "¿Incluye exterior?" in mail.outbox[0].body


def test_question_asked_late_shows_as_late_in_the_sla_views(
    client, api, make_brief, proveedor, solicitante
):
    # given a brief received three business days ago
    brief = make_brief(Status.BASE_LOADED)
    brief.transitions.filter(action="receive").update(
        at=brief.transitions.get(action="receive").at - dt.timedelta(days=5)
    )
    # when the provider asks now
    question = actions.ask_question(brief, actor=proveedor, text="¿Y el guion?")
    # then its window clock is late, in the page and the API
    assert _window(question).state == ClockState.LATE
    client.force_login(solicitante)
    html = client.get(reverse("campaigns:brief_tab", args=[brief.code, "preguntas"])).content
    html = html.decode()
    assert "Fuera del plazo para preguntar" in html
    assert "plazo vencido" in html
    data = api.as_user(solicitante).get(reverse("api:brief-questions", args=[brief.code])).json()
    assert data[0]["asked_late"] is True
    assert {c["rule"]: c["state"] for c in data[0]["clocks"]}[sla.QUESTION_WINDOW_RULE] == "late"


def test_a_question_before_the_receipt_is_not_judged(make_brief, proveedor):
    brief = make_brief(Status.FORWARDED)
    question = actions.ask_question(brief, actor=proveedor, text="¿Cuándo llega la base?")
    assert not sla.clocks_for(question).filter(rule__code=sla.QUESTION_WINDOW_RULE).exists()


def test_answer_tells_the_provider(
    make_brief, proveedor, analista, django_capture_on_commit_callbacks
):
    brief = make_brief(Status.RECEIVED)
    question = actions.ask_question(brief, actor=proveedor, text="¿Horario?")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.answer_question(question, actor=analista, answer="De 8 a 19.")
    assert [m.to for m in mail.outbox] == [["proveedor@brief.example"]]
    assert "De 8 a 19." in mail.outbox[0].body
    assert f"/briefs/{brief.code}/?tab=preguntas#preguntas" in mail.outbox[0].body
