"""Contact-center figures: NPS/CSAT and per-option counts against numbers computed here from
generated answers, contact rate and effectiveness against a hand-built set of calls, message
rates from statuses."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import statistics
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from brief.calls import figures
from brief.calls.models import Interaction, TypificationNode
from brief.content.models import Template
from brief.dispatch.models import InboundMessage, Message, Sweep
from tests.calls.conftest import with_survey


def _contacts(n: int) -> list[dict]:
    return [
        {
            "doc_number": f"10{i:06d}",
            "first_names": f"Persona {i}",
            "last_names": "Prueba",
            "mobile": f"+57300{i:07d}",
            "email": "",
            "city": "Bogotá",
            "custom": {},
            "can_call": True,
        }
        for i in range(n)
    ]


@pytest.fixture
def survey_campaign(make_call_brief, make_base, proveedor, asesor):
    from brief.calls.actions import assign_advisor
    from brief.campaigns.choices import Status

    brief = make_call_brief(Status.EXECUTING)
    base = make_base(brief, contacts=_contacts(8))
    assign_advisor(brief, asesor, actor=proveedor)
    return with_survey(brief), list(base.contacts.order_by("row"))


def _interaction(brief, asesor, i: int, *, contact=None, node=None, sweep=None, **fields):
    return Interaction.objects.create(
        code=f"INT-T{i:06d}",
        channel=fields.pop("channel", "call"),
        brief=brief,
        contact=contact,
        sweep=sweep,
        typification=node,
        advisor=asesor,
        created_by=asesor,
        started_at=fields.pop("started_at", timezone.now() + dt.timedelta(seconds=i)),
        **fields,
    )


def test_nps_csat_and_options_match_the_generated_answers(survey_campaign, asesor):
    # given 300 survey answers drawn at random, one interaction each (no contact)
    brief, _ = survey_campaign
    rng = random.Random(11)
    generated = [
        {
            "recomendaria": rng.randint(0, 10),
            "satisfaccion": rng.randint(1, 5),
            "canal": rng.choice(["Correo", "WhatsApp", "Llamada"]),
            "al_dia": rng.random() < 0.3,
            "ingresos": rng.randint(0, 5_000_000),
        }
        for _ in range(300)
    ]
    for i, answers in enumerate(generated):
        _interaction(brief, asesor, i, answers=answers)
    # when the answers are consolidated
    questions = {q["key"]: q for q in figures.consolidate(brief)}
    # then NPS = % promoters − % detractors, computed here from the generated scores
    scores = [a["recomendaria"] for a in generated]
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    nps = questions["recomendaria"]
    assert nps["answered"] == 300
    assert nps["promoters"]["count"] == promoters
    assert nps["detractors"]["count"] == detractors
    assert nps["passives"]["count"] == 300 - promoters - detractors
    assert nps["nps"]["value"] == round(100 * promoters / 300 - 100 * detractors / 300, 1)
    assert [d["count"] for d in nps["distribution"]] == [scores.count(s) for s in range(11)]
    assert "promotores (9–10)" in nps["nps"]["formula"]
    # and CSAT = share of 4–5 answers
    ratings = [a["satisfaccion"] for a in generated]
    satisfied = sum(1 for r in ratings if r >= 4)
    csat = questions["satisfaccion"]["csat"]
    assert (csat["numerator"], csat["denominator"]) == (satisfied, 300)
    assert csat["value"] == round(100 * satisfied / 300, 1)
    # and each option's count and percentage
    channels = [a["canal"] for a in generated]
    assert [(o["label"], o["count"], o["percent"]) for o in questions["canal"]["options"]] == [
        (name, channels.count(name), round(100 * channels.count(name) / 300, 1))
        for name in ["Correo", "WhatsApp", "Llamada"]
    ]
    yes = sum(1 for a in generated if a["al_dia"])
    assert [(o["label"], o["count"]) for o in questions["al_dia"]["options"]] == [
        ("Sí", yes),
        ("No", 300 - yes),
    ]
    incomes = [a["ingresos"] for a in generated]
    assert questions["ingresos"]["mean"] == round(statistics.fmean(incomes), 2)
    assert questions["ingresos"]["median"] == statistics.median(incomes)
    assert questions["comentario"]["answered"] == 0


def test_a_person_counts_once_with_their_latest_answer(survey_campaign, asesor):
    brief, contacts = survey_campaign
    _interaction(brief, asesor, 1, contact=contacts[0], answers={"recomendaria": 2})
    _interaction(brief, asesor, 2, contact=contacts[0], answers={"recomendaria": 10})
    _interaction(brief, asesor, 3, contact=contacts[1], answers={"comentario": "Muy amable"})
    _interaction(brief, asesor, 4, contact=contacts[2], answers={"comentario": "Tarde"})
    questions = {q["key"]: q for q in figures.consolidate(brief)}
    assert questions["recomendaria"]["answered"] == 1
    assert questions["recomendaria"]["nps"]["value"] == 100.0
    assert questions["satisfaccion"]["csat"]["value"] is None
    assert [r["text"] for r in questions["comentario"]["sample"]] == ["Tarde", "Muy amable"]
    assert [r["interaction"] for r in figures.text_answers(brief, "comentario")] == [
        "INT-T000004",
        "INT-T000003",
    ]


def _sweep(brief, number, channel, account):
    template = Template.objects.filter(brief=brief).first()
    return Sweep.objects.create(
        brief=brief,
        number=number,
        channel=channel,
        template=template,
        base=brief.bases.first(),
        provider_account=account,
        created_by=template.created_by,
    )


def test_contact_rate_and_effectiveness_from_typifications(survey_campaign, asesor, accounts):
    # given a hand-built set of calls over two sweeps
    brief, c = survey_campaign
    node = {n.code: n for n in TypificationNode.objects.filter(brief=brief)}
    first, second = (_sweep(brief, n, "call", accounts["locmem"]) for n in (1, 2))
    calls = [
        (c[0], "NC01", first),  # no answer, then effective in the second sweep
        (c[0], "CD0101", second),
        (c[1], "CI01", first),  # a third party took the message: contact, not right party
        (c[2], "CD0202", first),  # right party who refuses: contact, not effective
        (c[3], "NC05", first),  # wrong number
        (c[4], None, second),  # not typified yet
        (c[5], "CD0103", None),  # effective, outside any sweep
    ]
    for i, (contact, code, sweep) in enumerate(calls):
        _interaction(brief, asesor, i, contact=contact, node=node.get(code), sweep=sweep)
    _interaction(brief, asesor, 99, contact=c[6], node=node["CD0101"], channel="whatsapp")
    # when the figures are read
    result = figures.call_figures(brief)
    overall = result["overall"]
    # then, over distinct contacts: dialled 6 (c0–c5), contacted 4, right party 3, effective 2
    assert {k: overall[k] for k in ("calls", "typified", "dialled")} == {
        "calls": 7,
        "typified": 6,
        "dialled": 6,
    }
    assert (overall["contacted"], overall["right_party"], overall["effective"]) == (4, 3, 2)
    assert overall["contact_rate"]["value"] == 50.0
    assert overall["total_contact_rate"]["value"] == round(100 * 4 / 6, 1)
    assert overall["effectiveness"]["value"] == round(100 * 2 / 3, 1)
    assert "÷ registros marcados" in overall["contact_rate"]["formula"]
    # and per sweep: a contact counts in each sweep that called it
    rows = {r["number"]: r for r in result["sweeps"]}
    assert (rows[1]["dialled"], rows[1]["right_party"], rows[1]["effective"]) == (4, 1, 0)
    assert rows[1]["contact_rate"]["value"] == 25.0
    assert rows[1]["effectiveness"]["value"] == 0.0
    assert (rows[2]["dialled"], rows[2]["right_party"], rows[2]["effectiveness"]["value"]) == (
        2,
        1,
        100.0,
    )
    assert rows[None]["dialled"] == 1
    assert list(rows) == [1, 2, None]


def test_no_calls_means_no_rate(survey_campaign):
    brief, _ = survey_campaign
    overall = figures.call_figures(brief)["overall"]
    assert overall["dialled"] == 0
    assert overall["contact_rate"] == {
        "value": None,
        "numerator": 0,
        "denominator": 0,
        "formula": overall["contact_rate"]["formula"],
    }


def test_message_rates_from_statuses(survey_campaign, accounts):
    # given an SMS sweep of 10: 6 delivered (2 of them read), 2 sent, 1 failed, 1 queued,
    # and replies to two delivered messages (one of them twice)
    brief, c = survey_campaign
    sweep = _sweep(brief, 1, "sms", accounts["locmem"])
    statuses = ["delivered"] * 4 + ["read"] * 2 + ["sent"] * 2 + ["failed", "queued"]
    messages = [
        Message.objects.create(
            sweep=sweep, contact=c[i % 8], person=f"CC:{i}", to=f"+5730{i}", status=s
        )
        for i, s in enumerate(statuses)
    ]
    for n, message in enumerate([messages[0], messages[0], messages[4]]):
        InboundMessage.objects.create(
            account=accounts["locmem"],
            channel="sms",
            sender=message.to,
            provider_message_id=f"MO-{n}",
            message=message,
            brief=brief,
        )
    # when the figures are read
    overall = figures.message_figures(brief)["overall"]
    # then delivered ÷ sent, read ÷ delivered and replied ÷ delivered
    assert (overall["sent"], overall["delivered"], overall["read"]) == (8, 6, 2)
    assert overall["delivery_rate"]["value"] == 75.0
    assert overall["read_rate"]["value"] == round(100 * 2 / 6, 1)
    assert (overall["replies"], overall["replied"]) == (3, 2)
    assert overall["reply_rate"]["value"] == round(100 * 2 / 6, 1)


def _worked(brief, asesor, contacts):
    node = {n.code: n for n in TypificationNode.objects.filter(brief=brief)}
    _interaction(
        brief,
        asesor,
        1,
        contact=contacts[0],
        node=node["CD0101"],
        answers={"recomendaria": 10, "satisfaccion": 5, "canal": "Correo", "al_dia": True,
                 "comentario": "=HYPERLINK(\"http://x\")"},
    )  # fmt: skip
    _interaction(
        brief,
        asesor,
        2,
        contact=contacts[1],
        node=node["CD0202"],
        answers={"recomendaria": 3, "comentario": "Muy lento"},
    )
    _interaction(brief, asesor, 3, contact=contacts[2], node=node["NC01"])


def test_the_results_page_shows_each_figure_with_its_definition(survey_campaign, asesor, client):
    # given three calls: one effective with answers, one right-party refusal, one no answer
    brief, contacts = survey_campaign
    _worked(brief, asesor, contacts)
    client.force_login(asesor)
    # when the assigned advisor opens the results page
    page = client.get(reverse("calls:results", args=[brief.code]))
    # then the rates, their definitions, NPS and the charts are there
    assert page.status_code == 200
    html = page.content.decode()
    assert page.context["data"]["calls"]["overall"]["contact_rate"]["value"] == round(200 / 3, 1)
    assert "66,7 %" in html or "66.7 %" in html
    assert str(figures.FORMULAS["contact_rate"]) in html
    assert str(figures.FORMULAS["nps"]) in html
    assert 'id="nps-recomendaria"' in html
    assert html.count("<svg") >= 5  # the funnel and one chart per choice / rating question
    # and every free-text answer is listed on request
    listed = client.get(reverse("calls:results", args=[brief.code]), {"respuestas": "comentario"})
    assert [a["text"] for a in listed.context["texts"]] == ["Muy lento", '=HYPERLINK("http://x")']


def test_the_api_gives_the_same_numbers_and_the_xlsx_is_formula_safe(
    api, survey_campaign, asesor, analista
):
    brief, contacts = survey_campaign
    _worked(brief, asesor, contacts)
    client = api.as_user(analista)
    url = reverse("api:brief_contact_center", args=[brief.code])
    body = client.get(url).json()
    assert body == json.loads(json.dumps(figures.figures(brief), default=str))
    nps = {q["key"]: q for q in body["questions"]}["recomendaria"]
    assert nps["nps"]["value"] == 0.0  # one promoter, one detractor
    answers = client.get(f"{url}answers/", {"question": "comentario"}).json()
    assert [a["text"] for a in answers["results"]] == ["Muy lento", '=HYPERLINK("http://x")']
    bad = client.get(f"{url}answers/", {"question": "nada"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "question"
    xlsx = client.get(f"{url}xlsx/")
    assert xlsx.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content))
    assert book.sheet_names == ["Llamadas", "Mensajes", "Preguntas", "Respuestas abiertas"]
    calls = book.get_sheet_by_name("Llamadas").to_python()
    assert calls[1][:6] == ["Total", "", "Tasa de contacto con el titular", 66.7, 2, 3]
    free = book.get_sheet_by_name("Respuestas abiertas").to_python()
    assert sorted(r[3] for r in free[1:]) == ['=HYPERLINK("http://x")', "Muy lento"]
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as archive:
        sheets = "".join(
            archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")
        )
    assert "<f>" not in sheets  # text stays text: no formula cell
    page = api.as_user(analista).get(reverse("calls:results_xlsx", args=[brief.code]))
    assert page.status_code in (200, 302)


def test_figures_are_scoped_like_the_rest_of_calls(
    api, client, survey_campaign, make_user, provider_org, outsider
):
    brief, _ = survey_campaign
    unassigned = make_user("asesor9", "asesor", provider=provider_org)
    for user in (unassigned, outsider):
        assert (
            api.as_user(user)
            .get(reverse("api:brief_contact_center", args=[brief.code]))
            .status_code
            == 403
        )
        client.force_login(user)
        assert client.get(reverse("calls:results", args=[brief.code])).status_code == 403
        assert client.get(reverse("calls:results_xlsx", args=[brief.code])).status_code == 403
    missing = api.as_user(outsider).get(reverse("api:brief_contact_center", args=["NOPE-1"]))
    assert missing.status_code == 404
