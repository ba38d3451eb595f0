"""Survey answers: checked per question kind against the brief's frozen call script, on every
write path of an interaction, with Spanish errors whose field is the question's key."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from brief.calls import actions
from brief.calls.answers import clean_answers, script_questions
from brief.calls.models import Interaction, TypificationNode
from brief.content.actions import clean_script
from tests.calls.conftest import SURVEY, with_survey


@pytest.fixture
def surveyed(call_campaign):
    brief, contacts, leaf = call_campaign
    return with_survey(brief), contacts, leaf


def test_the_questions_are_the_frozen_call_scripts(surveyed):
    brief, _, _ = surveyed
    questions = script_questions(brief)
    assert [q["key"] for q in questions] == [q["key"] for q in SURVEY]
    assert questions[0]["kind"] == "nps"
    assert questions[4]["required"] is False


@pytest.mark.parametrize(
    ("key", "given", "stored"),
    [
        ("recomendaria", "10", 10),
        ("recomendaria", 0, 0),
        ("satisfaccion", 5.0, 5),
        ("canal", "whatsapp", "WhatsApp"),
        ("al_dia", "Sí", True),
        ("al_dia", False, False),
        ("ingresos", "1500000", 1500000),
        ("ingresos", "3,5", 3.5),
        ("pago", "05/02/2027", "2027-02-05"),
        ("pago", dt.date(2027, 2, 5), "2027-02-05"),
        ("comentario", "  Todo bien  ", "Todo bien"),
    ],
)
def test_each_kind_is_read_and_normalized(surveyed, key, given, stored):
    brief, _, _ = surveyed
    assert clean_answers(brief, {key: given}) == ({key: stored}, [])


@pytest.mark.parametrize(
    ("key", "given", "says"),
    [
        ("recomendaria", 11, "de 0 a 10"),
        ("recomendaria", "7.5", "de 0 a 10"),
        ("recomendaria", True, "de 0 a 10"),
        ("satisfaccion", 0, "de 1 a 5"),
        ("satisfaccion", 6, "de 1 a 5"),
        ("canal", "Fax", "no es una opción de «canal»"),
        ("al_dia", "quizás", "sí o no"),
        ("ingresos", "mucho", "debe ser un número"),
        ("ingresos", "nan", "debe ser un número"),
        ("pago", "2027-02-30", "debe ser una fecha"),
        ("comentario", {"a": 1}, "debe ser un texto"),
        ("comentario", "x" * 2001, "máximo 2000"),
        ("quien", "yo", "no es una pregunta del guion"),
    ],
)
def test_a_bad_answer_names_its_question(surveyed, key, given, says):
    brief, _, _ = surveyed
    clean, errors = clean_answers(brief, {key: given})
    assert clean == {}
    assert [e["field"] for e in errors] == [key]
    assert says in errors[0]["message"]


def test_blank_answers_are_not_answers_and_required_ones_are_listed(surveyed):
    brief, _, _ = surveyed
    clean, errors = clean_answers(brief, {"canal": "", "comentario": None}, require=True)
    assert clean == {}
    assert [(e["field"], e["code"]) for e in errors] == [
        ("recomendaria", "required"),
        ("satisfaccion", "required"),
        ("canal", "required"),
        ("al_dia", "required"),
    ]


def test_an_effective_call_needs_the_required_answers(surveyed, asesor):
    # given a surveyed campaign and its effective leaf (CD0101) and a refusal (CD0202)
    brief, contacts, effective = surveyed
    refusal = TypificationNode.objects.get(brief=brief, code="CD0202")
    data = {"channel": "call", "contact": contacts[0].pk}
    # when an effective call comes without answers, it is refused, field by field
    with pytest.raises(actions.Invalid) as refused:
        actions.record_interaction(brief, actor=asesor, data={**data, "typification": effective.pk})
    assert [e["field"] for e in refused.value.errors] == [
        "recomendaria",
        "satisfaccion",
        "canal",
        "al_dia",
    ]
    assert not Interaction.objects.exists()
    # then a right-party refusal is recorded without answers
    interaction = actions.record_interaction(
        brief, actor=asesor, data={**data, "typification": refusal.pk}
    )
    assert interaction.answers == {}
    # and turning it effective needs the answers, which are stored clean
    with pytest.raises(actions.Invalid):
        actions.update_interaction(interaction, actor=asesor, data={"typification": effective.pk})
    answers = {"recomendaria": "9", "satisfaccion": "4", "canal": "correo", "al_dia": "no"}
    interaction = actions.update_interaction(
        interaction, actor=asesor, data={"typification": effective.pk, "answers": answers}
    )
    stored = Interaction.objects.get(pk=interaction.pk)
    assert stored.answers == {
        "recomendaria": 9,
        "satisfaccion": 4,
        "canal": "Correo",
        "al_dia": False,
    }
    # and changing only the typification later re-checks the stored answers (they pass)
    actions.update_interaction(interaction, actor=asesor, data={"typification": effective.pk})


def test_the_api_answers_a_bad_answer_with_a_4xx_naming_the_question(api, surveyed, asesor):
    brief, contacts, _ = surveyed
    answer = api.as_user(asesor).post(
        reverse("api:interactions"),
        {
            "brief": brief.code,
            "channel": "call",
            "contact": contacts[0].pk,
            "answers": {"recomendaria": 12, "canal": "Fax"},
        },
        format="json",
    )
    assert answer.status_code == 400
    assert [e["field"] for e in answer.json()["errors"]] == ["recomendaria", "canal"]
    assert not Interaction.objects.exists()


def test_scripts_accept_nps_and_csat_questions():
    errors: list[dict] = []
    sections = clean_script(
        [
            {
                "title": "Encuesta",
                "questions": [
                    {"key": "nps", "text": "¿Recomendaría?", "kind": "nps"},
                    {"key": "csat", "text": "¿Satisfecho?", "kind": "csat", "required": False},
                ],
            }
        ],
        errors,
    )
    assert errors == []
    assert [(q["kind"], q["required"]) for q in sections[0]["questions"]] == [
        ("nps", True),
        ("csat", False),
    ]
